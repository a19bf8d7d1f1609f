"""Short import names for modules that live in the layer subpackages.

``from workbench.database import connect`` and ``from workbench import plots`` are the names the
notebooks, the README and users' scripts use; the modules themselves sit in the subpackage of
their layer (``workbench.store.database``, ``workbench.foundation.plots``). A short name is the
*same module object* as the long one (not a copy), so attributes, monkeypatching and ``isinstance``
behave identically. Inside the package, code imports the long names only: the layering test
checks that.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
from types import ModuleType

#: short name -> module path inside the package
ALIASES: dict[str, str] = {
    "config": "foundation.config", "errors": "foundation.errors", "i18n": "foundation.i18n",
    "catalogue": "foundation.catalogue", "regions": "foundation.regions", "geo": "foundation.geo",
    "plots": "foundation.plots",
    "privacy": "protection.privacy", "disclosure": "protection.disclosure",
    "database": "store.database", "validation": "store.validation",
    "provenance": "store.provenance",
    "submissions": "store.submissions", "demo": "store.demo",
    "maps": "compare.maps", "compile": "monitor.compile",
    "report": "reporting.report", "tables": "reporting.tables",
    "params": "execution.params", "runner": "execution.runner", "batch": "execution.batch",
    "site": "execution.site",
}


class _AliasLoader(importlib.abc.Loader):
    def __init__(self, target: str) -> None:
        self.target = target

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return None  # a placeholder; exec_module swaps in the real module

    def exec_module(self, module: ModuleType) -> None:
        # The import system re-reads sys.modules after exec_module, so the short name ends up
        # bound to the real module (the documented way for a module to replace itself).
        sys.modules[module.__name__] = importlib.import_module(self.target)


class _AliasFinder(importlib.abc.MetaPathFinder):
    def __init__(self, package: str) -> None:
        self.prefix = package + "."
        self.package = package

    def find_spec(self, fullname: str, path: object = None, target: object = None
                  ) -> importlib.machinery.ModuleSpec | None:
        if not fullname.startswith(self.prefix):
            return None
        short = fullname[len(self.prefix):]
        if short not in ALIASES:
            return None
        loader = _AliasLoader(f"{self.package}.{ALIASES[short]}")
        return importlib.machinery.ModuleSpec(fullname, loader)


def install(package: str) -> None:
    """Register the finder once for ``package`` (idempotent)."""
    if not any(isinstance(f, _AliasFinder) for f in sys.meta_path):
        sys.meta_path.append(_AliasFinder(package))


def resolve(short: str, package: str) -> ModuleType:
    """The module behind a short name, imported on first use."""
    return importlib.import_module(f"{package}.{ALIASES[short]}")
