"""Project paths and settings, in one place.

Every path the package uses comes from here, never from the working directory,
so a notebook behaves the same in JupyterLab (cwd ``notebooks/``), under plain
papermill, under ``workbench run`` and under nbval.

The project root is found in this order:

1. the ``WORKBENCH_HOME`` environment variable;
2. the folder holding ``pyproject.toml`` above this package (an editable
   install or a source checkout).

Individual locations can be overridden with ``WORKBENCH_DATA``,
``WORKBENCH_OUTPUTS`` and ``WORKBENCH_DB``.

Examples
--------
>>> from workbench import config
>>> config.paths().catalogue.name
'indicators.csv'
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

__all__ = ["Paths", "paths", "project_root", "PLAN_START", "PLAN_END", "BASE_YEAR", "LANGS",
           "RUN_DIR_ENV"]

PLAN_START = 2021
PLAN_END = 2030
BASE_YEAR = 2020
MIDTERM_YEAR = 2025
LANGS = ("zh", "en")
# Set by the runner for the kernel: the run folder where a notebook's outputs go.
RUN_DIR_ENV = "WORKBENCH_RUN_DIR"


def project_root() -> Path:
    """Return the project root (see the module docstring for the search order)."""
    return _project_root(os.environ.get("WORKBENCH_HOME"), _cwd())


def _cwd() -> str | None:
    try:
        return os.getcwd()  # relative overrides resolve against it
    except OSError:  # the working folder was removed
        return None


# A report asks for its paths some twenty times, and resolving them costs 0.3 ms a call:
# the answers are kept, keyed by all they depend on (the overrides and the working folder).
@lru_cache(maxsize=8)
def _project_root(home: str | None, cwd: str | None) -> Path:
    if home:
        return Path(home).expanduser().resolve()
    here = Path(__file__).resolve().parent
    for candidate in (here.parent, *here.parents):
        if (candidate / "pyproject.toml").exists() and (candidate / "data").is_dir():
            return candidate
    raise RuntimeError(
        "Cannot find the workbench project folder (a folder with pyproject.toml and data/). "
        "Set WORKBENCH_HOME to the project folder. / 找不到项目目录，请设置 WORKBENCH_HOME。"
    )


@dataclass(frozen=True)
class Paths:
    """Locations of the project's data, outputs and database."""

    root: Path
    data: Path
    outputs: Path
    database: Path
    demo: Path

    @property
    def notebooks(self) -> Path:
        return self.root / "notebooks"

    @property
    def catalogue(self) -> Path:
        return self.data / "catalogue" / "indicators.csv"

    @property
    def domains(self) -> Path:
        return self.data / "catalogue" / "domains.csv"

    @property
    def units(self) -> Path:
        return self.data / "catalogue" / "units.csv"

    @property
    def regions(self) -> Path:
        return self.data / "regions" / "regions.csv"

    @property
    def boundaries(self) -> Path:
        return self.data / "geo" / "shenyang_districts.geojson"

    @property
    def demo_survey(self) -> Path:
        return self.demo / "child_survey_2025.parquet"

    @property
    def demo_margins(self) -> Path:
        return self.demo / "survey_margins_2025.csv"

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><th style='text-align:left'>{k}</th><td><code>{v}</code></td></tr>"
            for k, v in self.as_dict().items()
        )
        return f"<table><caption>workbench paths</caption>{rows}</table>"

    def as_dict(self) -> dict[str, str]:
        names = ["root", "data", "outputs", "database", "notebooks", "catalogue", "regions",
                 "boundaries", "demo"]
        return {n: str(getattr(self, n)) for n in names}


def paths() -> Paths:
    """Return the project's paths, honouring the environment overrides."""
    return _paths(_cwd(), *(os.environ.get(name) for name in _PATH_VARIABLES))


_PATH_VARIABLES = ("WORKBENCH_HOME", "WORKBENCH_DATA", "WORKBENCH_OUTPUTS", "WORKBENCH_DEMO",
                   "WORKBENCH_DB")


@lru_cache(maxsize=8)
def _paths(cwd: str | None, home: str | None, data: str | None, outputs: str | None,
           demo: str | None, database: str | None) -> Paths:
    root = _project_root(home, cwd)
    data_dir = Path(data or root / "data").expanduser().resolve()
    demo_dir = Path(demo or data_dir / "demo").expanduser().resolve()
    return Paths(root=root, data=data_dir,
                 outputs=Path(outputs or root / "outputs").expanduser().resolve(),
                 database=Path(database or demo_dir / "monitoring.duckdb").expanduser().resolve(),
                 demo=demo_dir)
