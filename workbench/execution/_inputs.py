"""Checks of the data a run will read, made before any kernel starts.

:func:`workbench.execution.params.validate_parameters` checks names, types and codes; this
module checks what those values point at, with every parameter of the run known (defaults
filled in): files exist and can be read, the columns a parameter names are in *that* file
(the message lists the file's columns), groups and domains are known, region codes are
of a level the notebook can use.  Each failure is a :class:`ParameterError` (exit code 2),
raised before anything is written.

Files are read as little as possible (headers, SPSS metadata) and cached on path and
modification time, so a batch of a hundred runs over one survey file reads it once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..foundation import config
from ..foundation.errors import ParameterError, WorkbenchError, choices_text

__all__ = ["check_inputs", "input_files", "GROUPS", "REGION_LEVELS"]

GROUPS = ("sex", "residence", "hukou")
# the region levels each region parameter takes; anything else names the valid codes
REGION_LEVELS = {"region": ("city", "district"), "focus_region": ("city", "district"),
                 "regions": ("district",)}
_FILE_PARAMETERS = ("survey_file", "margins_file", "boundary_file", "design")


def _fail(en: str, zh: str) -> ParameterError:
    return ParameterError(en, zh)


def _need_file(name: str, value: str) -> Path:
    p = Path(value).expanduser()
    if not p.exists():
        raise _fail(f"Parameter {name!r}: file not found: {p}", f"参数 {name!r}：找不到文件 {p}")
    if not p.is_file():
        raise _fail(f"Parameter {name!r}: {p} is a folder, not a file",
                    f"参数 {name!r}：{p} 是文件夹而不是文件")
    try:
        with p.open("rb") as fh:
            fh.read(1)
    except OSError as err:
        raise _fail(f"Parameter {name!r}: cannot read {p} ({err.strerror})",
                    f"参数 {name!r}：无法读取 {p}（{err.strerror}）") from err
    return p


def input_files(values: Mapping[str, Any]) -> list[Path]:
    """The user files a run's parameters name (for the manifest's input hashes)."""
    named = [values.get(k) for k in _FILE_PARAMETERS]
    dataset = str(values.get("dataset", ""))
    named.append(dataset if dataset.endswith(".csv") else None)
    files = [Path(str(v)).expanduser() for v in named if v]
    design = values.get("design")
    if design and Path(str(design)).is_file():
        try:
            margins = _survey_module("_spec").read_spec(design).margins
            files += [margins] if margins else []
        except WorkbenchError:
            pass
    return [f.resolve() for f in files if f.is_file()]


def _survey_module(name: str) -> Any:
    """``workbench.survey.<name>`` without running the package's ``__init__``.

    The package imports its estimation code (scipy.stats: seconds on a busy machine); the
    checks need only the light spec and file readers, and must answer in well under 5 s.
    A later ``import workbench.survey`` reuses the module registered here.
    """
    import importlib.util
    import sys

    full = f"workbench.survey.{name}"
    if full not in sys.modules:
        path = Path(__file__).resolve().parents[1] / "survey" / f"{name}.py"
        spec = importlib.util.spec_from_file_location(full, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[full] = module
        spec.loader.exec_module(module)
    return sys.modules[full]


@lru_cache(maxsize=32)
def _columns_cached(path: str, mtime: float, read: tuple) -> tuple[str, ...]:
    return tuple(_survey_module("_sources").survey_columns(path, dict(read)))


def _columns(path: Path, read: Mapping[str, Any] | None = None) -> list[str]:
    frozen = tuple(sorted((k, tuple(v) if isinstance(v, list) else v)
                          for k, v in (read or {}).items()))
    try:
        return list(_columns_cached(str(path.resolve()), path.stat().st_mtime, frozen))
    except WorkbenchError as err:
        raise _fail(err.en, err.zh) from err


def _check_survey(values: Mapping[str, Any]) -> None:
    spec_module = _survey_module("_spec")
    check_spec_columns, read_spec = spec_module.check_spec_columns, spec_module.read_spec
    spec_from_parameters = spec_module.spec_from_parameters
    survey = values.get("survey_file") or ""
    path = _need_file("survey_file", survey) if survey else config.paths().demo_survey
    try:
        if values.get("design"):
            spec = read_spec(_need_file("design", values["design"]))
        else:
            margins = values.get("margins_file") or ""
            if margins:
                _need_file("margins_file", margins)
            spec = spec_from_parameters(
                strata=values.get("strata"), psu=values.get("psu"),
                weights=values.get("weights"), fpc=values.get("fpc"),
                variables=values.get("analysis_variables"),
                domains=values.get("domain_columns"))
        if not path.is_file():  # the demo survey is not built: nothing to check against
            return
        check_spec_columns(spec, _columns(path, spec.read), path.name)
    except ParameterError:
        raise
    except WorkbenchError as err:
        raise _fail(err.en, err.zh) from err


def _check_dataset(values: Mapping[str, Any]) -> None:
    dataset = str(values.get("dataset", "survey"))
    if dataset == "panel":
        return
    if dataset == "survey":
        path = config.paths().demo_survey
        if not path.is_file():
            return
    elif dataset.endswith(".csv"):
        path = _need_file("dataset", dataset)
    else:
        raise _fail(f"Parameter 'dataset': {dataset!r} is not valid; choose panel, survey or "
                    "the path of a .csv file", f"参数 dataset 取值 {dataset!r} 无效；可选 panel、"
                    "survey 或 .csv 文件路径")
    have = _columns(path)
    for name in ("variables", "covariates", "target"):
        asked = values.get(name)
        asked = [asked] if isinstance(asked, str) else list(asked or [])
        wrong = [c for c in asked if c not in have]
        if wrong:
            raise _fail(f"Parameter {name!r}: column(s) {', '.join(wrong)} not in {path.name}. "
                        f"Columns: {choices_text(have)}",
                        f"参数 {name!r}：{path.name} 中没有列 {', '.join(wrong)}。"
                        f"现有列：{choices_text(have)}")


def _check_groups(values: Mapping[str, Any]) -> None:
    wrong = [g for g in values.get("groups") or [] if g not in GROUPS]
    if wrong:
        raise _fail(f"Parameter 'groups': unknown group(s) {', '.join(map(str, wrong))}. "
                    f"Valid choices: {choices_text(GROUPS)}",
                    f"参数 groups 的取值 {', '.join(map(str, wrong))} 无效。可选："
                    f"{choices_text(GROUPS)}")


def _check_boundaries(values: Mapping[str, Any]) -> None:
    if values.get("boundary_file"):
        _need_file("boundary_file", values["boundary_file"])


def _region_table() -> Any:
    """The regions of the configured database (a user's own), else the shipped table."""
    from ..foundation.regions import load_regions

    db = config.paths().database
    if db.is_file():
        return _db_regions(str(db), db.stat().st_mtime)
    return load_regions().table


@lru_cache(maxsize=4)
def _db_regions(path: str, mtime: float) -> Any:
    from ..store.database import connect

    with connect(path) as con:
        return con.regions().table


def check_regions(values: Mapping[str, Any]) -> None:
    """Region codes must be of a level the parameter takes (city/district or district)."""
    table = None
    for name, levels in REGION_LEVELS.items():
        value = values.get(name)
        if value in (None, "", ["all"], "all"):
            continue
        table = _region_table() if table is None else table
        valid = [str(c) for c in table.index[table["level"].isin(levels)]]
        asked = value if isinstance(value, list) else [value]
        wrong = [str(v) for v in asked if str(v) not in valid]
        if wrong:
            raise _fail(
                f"Parameter {name!r}: {', '.join(wrong)} is not a {' or '.join(levels)} code "
                f"this notebook can use. Valid choices: {choices_text(valid)}",
                f"参数 {name!r}：{', '.join(wrong)} 不是本笔记本可用的地区代码"
                f"（{'/'.join(levels)}）。可选：{choices_text(valid)}")


_CHECKS: dict[str, Callable[[Mapping[str, Any]], None]] = {
    "special_survey": _check_survey, "missing_data": _check_dataset,
}


def check_inputs(notebook: str, values: Mapping[str, Any]) -> None:
    """Every input check for one run of ``notebook`` (all parameters, defaults filled in)."""
    check_regions(values)
    _check_groups(values)
    _check_boundaries(values)
    check = _CHECKS.get(notebook)
    if check is not None:
        check(values)
