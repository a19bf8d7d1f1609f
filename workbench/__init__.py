"""Research workbench for children's development monitoring.

The package is built in layers; each imports only from the layers above it in this list
(``tests/test_layering.py`` checks it):

1. ``workbench.foundation``  paths and settings (``config``), bilingual errors and labels, the
   indicator catalogue, regions and boundaries, the figure theme with Chinese fonts.
2. ``workbench.protection``  data protection: identifier detection, pseudonyms, k-anonymous
   extracts (``privacy``) and disclosure control of published tables (``disclosure``).
3. ``workbench.store``       the DuckDB monitoring database, submission validation and ingest,
   and the synthetic demo data.
4. The analyses, one subpackage each, independent of one another:
   ``workbench.survey`` (design-based estimation as R ``survey``), ``workbench.missing``
   (missing data), ``workbench.compare`` (regional comparisons, inequality, maps),
   ``workbench.monitor`` (progress, early warnings, evaluations, the annual compilation).
5. ``workbench.reporting``   what a notebook publishes: tables and figures with disclosure control.
6. ``workbench.execution``   parameters, running notebooks (papermill), batches, the report site.
7. ``workbench.cli``         the ``workbench`` command, one module per command group.

Short names stay importable for notebooks and scripts: ``workbench.config``,
``workbench.database``, ``workbench.report``, ``workbench.plots`` and the others listed in
``workbench._aliases.ALIASES`` are the same module objects as their long names. Everything is
imported lazily, so ``import workbench`` is fast.

Examples
--------
>>> import workbench
>>> workbench.load_catalogue()["H01"].name_zh
'新生儿死亡率'
>>> from workbench.database import connect
>>> connect is workbench.store.database.connect
True
"""

from __future__ import annotations

import importlib
from typing import Any

from . import _aliases

__version__ = "0.1.0"

_aliases.install(__name__)

_SHORTCUTS = {
    "load_catalogue": "catalogue", "load_regions": "regions", "load_boundaries": "geo",
    "connect": "database", "run_notebook": "runner", "set_theme": "plots", "paths": "config",
}
_LAYERS = ("foundation", "protection", "store", "survey", "missing", "compare", "monitor",
           "reporting", "execution", "cli")

__all__ = ["__version__", *_SHORTCUTS, *_aliases.ALIASES, *_LAYERS]


def __getattr__(name: str) -> Any:
    if name in _SHORTCUTS:
        return getattr(_aliases.resolve(_SHORTCUTS[name], __name__), name)
    if name in _aliases.ALIASES:
        return _aliases.resolve(name, __name__)
    if name in _LAYERS:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'workbench' has no attribute {name!r}")
