"""Layer 3, the monitoring store: the data the analyses read.

- ``database``     the DuckDB monitoring database: observations with revisions, batches, population
- ``validation``   the checks every row must pass before it is stored
- ``submissions``  templates for the reporting units, reading, checking and ingesting submissions,
  merging district databases, exports
- ``demo``         the seeded synthetic demo data (panel, survey, population)
"""

__all__ = ["database", "demo", "submissions", "validation"]
