"""Layer 6, execution: running the notebooks as reports.

- ``params``  a notebook's parameters, checked before any kernel starts
- ``runner``  one run with papermill into a run folder (notebook, HTML, tables, manifest)
- ``batch``   report sets in parallel processes or on a Dask cluster, with caching and retries
- ``site``    ``outputs/index.html``, the report site
"""

__all__ = ["batch", "params", "runner", "site"]
