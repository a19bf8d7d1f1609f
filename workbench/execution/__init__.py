"""Layer 6, execution: running the notebooks as reports.

- ``params``  a notebook's parameters, checked before any kernel starts
- ``runner``  one run with papermill into a run folder (notebook, HTML, tables, manifest)
- ``batch``   report sets on warm workers or a Dask cluster, with caching, retries and a journal
- ``site``    ``outputs/index.html``, the report site

Internal: ``_zygote`` (the warm process that forks a fresh kernel per report), ``_engine`` (its
jupyter_client provisioner and papermill engine), ``_batch_worker`` and ``_pool`` (warm workers
and their handles), ``_daemon`` (the warm engine behind ``workbench run``), ``_runs`` (run locks,
publishing rules, the batch journal).
"""

__all__ = ["batch", "params", "runner", "site"]
