"""Research workbench for children's development monitoring.

Modules by topic (imported lazily, so ``import workbench`` is fast):

- ``workbench.config``     paths and settings
- ``workbench.catalogue``  the indicator catalogue
- ``workbench.regions``    regions and their codes; ``workbench.geo`` boundaries
- ``workbench.database``   the DuckDB monitoring database
- ``workbench.demo``       the synthetic demo data
- ``workbench.plots``      the figure theme with Chinese fonts
- ``workbench.report``     publishing tables and figures from a notebook
- ``workbench.params``, ``workbench.runner``, ``workbench.site``  running notebooks
- ``workbench.cli``        the ``workbench`` command

Examples
--------
>>> import workbench
>>> workbench.load_catalogue()["H01"].name_zh
'新生儿死亡率'
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_SHORTCUTS = {
    "load_catalogue": "catalogue", "load_regions": "regions", "load_boundaries": "geo",
    "connect": "database", "run_notebook": "runner", "set_theme": "plots", "paths": "config",
}
_MODULES = ("config", "catalogue", "regions", "geo", "database", "demo", "plots", "report",
            "params", "runner", "site", "i18n", "errors")

__all__ = ["__version__", *_SHORTCUTS, *_MODULES]


def __getattr__(name: str) -> Any:
    if name in _SHORTCUTS:
        module = importlib.import_module(f".{_SHORTCUTS[name]}", __name__)
        return getattr(module, name)
    if name in _MODULES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'workbench' has no attribute {name!r}")
