"""Layer 5, reporting: what a notebook publishes.

- ``report``  the publishing API of a notebook: tables (with disclosure control) and figures
- ``tables``  shaping tidy results into the tables researchers read
"""

__all__ = ["report", "tables"]
