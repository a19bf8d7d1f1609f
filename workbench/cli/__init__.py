"""The ``workbench`` command: a thin layer over the package, one module per command group.

- ``run``   notebooks, parameters, runs, batches, the report site
- ``export`` re-rendering a run's report (HTML, Word, PDF) from its stored notebook
- ``data``  the demo data, k-anonymous microdata extracts, the annual compilation, paths
- ``db``    the monitoring database: templates, submissions, revisions, merge, export

Examples
--------
.. code-block:: console

    $ workbench demo                       # build the synthetic demo data
    $ workbench params getting_started     # list a notebook's parameters
    $ workbench run getting_started -p lang en
    $ workbench index                      # rebuild outputs/index.html
"""

from __future__ import annotations

from . import data, export, run  # noqa: F401  (importing registers the commands)
from ._main import main
from .db import db

__all__ = ["main"]

main.add_command(db)
