"""A survey design written down once, in a YAML file, and used everywhere.

A design file says how the sample was drawn and weighted and what to estimate::

    strata: stratum              # one column, or a list; omit for no strata
    psu: [school, class]         # cluster ids, one column per stage; omit: each row a PSU
    weights: wt                  # design weights; omit to derive them from fpc
    fpc: [n_schools]             # per stage: population size or sampling fraction
    nest: true                   # PSU ids repeat across strata (NHANES, most national surveys)
    lonely_psu: adjust           # fail, adjust, average, certainty or remove
    weighting:
      method: rake               # none, poststratify, rake or calibrate
      margins: totals.csv        # known totals (a path relative to this file)
      mapping: {region: district, sex: sex}   # margin column -> survey column
      total: population          # the margins' count column (default: population)
    variables: [myopia, screen_h]            # what to estimate
    domains: [sex, district, district*sex]   # a*b crosses two classifications
    read: {platform: true, multi_choice: [Q7]}   # how to read the file (see _sources)
    value_labels: {sex: {1: 男, 2: 女}}        # for CSV/XLSX; SPSS/Stata bring their own
    variable_labels: {myopia: 近视}

Every key is checked when the file is read, with the valid keys and choices in the
message; :func:`check_spec_columns` checks the columns against a survey file before any
estimation (``workbench run`` does so before a kernel starts).

Examples
--------
>>> import tempfile, pathlib
>>> import pandas as pd
>>> from workbench.survey import SurveyDesign
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "survey.yaml").write_text(
...     "strata: s\\npsu: p\\nweights: w\\nnest: true\\nvariables: [y]\\n")
>>> df = pd.DataFrame({"s": [1, 1, 2, 2], "p": [1, 2, 1, 2], "y": [1., 2, 3, 4], "w": 2.})
>>> design = SurveyDesign.from_spec(df, folder / "survey.yaml")
>>> round(design.mean("y")["estimate"].item(), 6)
2.5
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..foundation.errors import WorkbenchError, choices_text

__all__ = ["DesignSpec", "read_spec", "spec_from_parameters", "check_spec_columns",
           "design_from_spec", "apply_weighting", "label_estimates", "SPEC_KEYS", "WEIGHTING"]

SPEC_KEYS = ("strata", "psu", "weights", "fpc", "nest", "lonely_psu", "weighting", "variables",
             "domains", "read", "value_labels", "variable_labels")
WEIGHTING = ("none", "poststratify", "rake", "calibrate")
_WEIGHTING_KEYS = ("method", "margins", "mapping", "total")
_LONELY = ("fail", "adjust", "average", "certainty", "remove")


@dataclass(frozen=True)
class DesignSpec:
    """A validated design specification (see the module docstring for the keys)."""

    strata: list[str] = field(default_factory=list)
    psu: list[str] = field(default_factory=list)
    weights: str | None = None
    fpc: list[str] = field(default_factory=list)
    nest: bool = False
    lonely_psu: str = "fail"
    weighting: str = "none"
    margins: Path | None = None
    mapping: dict[str, str] = field(default_factory=dict)
    total: str = "population"
    variables: list[str] = field(default_factory=list)
    domains: list[str] = field(default_factory=list)
    read: dict[str, Any] = field(default_factory=dict)
    value_labels: dict[str, dict] = field(default_factory=dict)
    variable_labels: dict[str, str] = field(default_factory=dict)
    source: Path | None = None

    def data_columns(self) -> dict[str, list[str]]:
        """Survey columns each role names (domains split at ``*``)."""
        return {"strata": self.strata, "psu": self.psu, "weights": _listed(self.weights),
                "fpc": self.fpc, "variables": self.variables,
                "domains": [c for d in self.domains for c in d.split("*")],
                "weighting.mapping": list(self.mapping.values())}


def _err(en: str, zh: str, where: Path | None) -> WorkbenchError:
    name = where.name if where else "design"
    return WorkbenchError(f"{name}: {en}", f"{name}：{zh}")


def _listed(value: object) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    if isinstance(value, list | tuple) and all(isinstance(v, str | int) for v in value):
        return [str(v) for v in value]
    raise WorkbenchError(f"expected a column name or a list of names, got {value!r}",
                         f"应为列名或列名列表，收到 {value!r}")


def read_spec(path: str | Path) -> DesignSpec:
    """Read and check a YAML design file; errors name the key and the valid choices."""
    import yaml

    p = Path(path)
    if not p.is_file():
        raise WorkbenchError(f"Design file not found: {p}", f"找不到设计文件：{p}")
    try:
        raw = yaml.safe_load(p.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as err:
        raise _err(f"not valid YAML ({err})".replace("\n", " "), f"不是有效的 YAML（{err}）",
                   p) from err
    if not isinstance(raw, dict):
        raise _err(f"must be a mapping of keys; valid keys: {choices_text(SPEC_KEYS)}",
                   f"应为键值映射（可用键：{choices_text(SPEC_KEYS)}）", p)
    return _build(raw, p)


def _build(raw: Mapping[str, Any], where: Path | None) -> DesignSpec:
    unknown = [k for k in raw if k not in SPEC_KEYS]
    if unknown:
        raise _err(f"unknown key(s) {unknown}; valid keys: {choices_text(SPEC_KEYS)}",
                   f"未知的键 {unknown}；可用键：{choices_text(SPEC_KEYS)}", where)
    lonely = str(raw.get("lonely_psu", "fail"))
    if lonely not in _LONELY:
        raise _err(f"lonely_psu {lonely!r} is not valid; choose one of {choices_text(_LONELY)}",
                   f"lonely_psu {lonely!r} 无效；可选：{choices_text(_LONELY)}", where)
    if not isinstance(raw.get("nest", False), bool):
        raise _err(f"nest must be true or false, got {raw['nest']!r}",
                   f"nest 应为 true 或 false，收到 {raw['nest']!r}", where)
    weighting = _weighting(raw.get("weighting") or "none", where)
    for key in ("read", "value_labels", "variable_labels"):
        if not isinstance(raw.get(key) or {}, dict):
            raise _err(f"{key} must be a mapping", f"{key} 应为映射", where)
    try:
        weights = _listed(raw.get("weights"))
        return DesignSpec(
            strata=_listed(raw.get("strata")), psu=_listed(raw.get("psu")),
            weights=weights[0] if weights else None, fpc=_listed(raw.get("fpc")),
            nest=bool(raw.get("nest", False)), lonely_psu=lonely, **weighting,
            variables=_listed(raw.get("variables")), domains=_listed(raw.get("domains")),
            read=dict(raw.get("read") or {}), value_labels=dict(raw.get("value_labels") or {}),
            variable_labels=dict(raw.get("variable_labels") or {}), source=where)
    except WorkbenchError as err:
        raise _err(err.en, err.zh, where) from err


def _weighting(value: object, where: Path | None) -> dict[str, Any]:
    block = {"method": value} if isinstance(value, str) else value
    if not isinstance(block, dict):
        raise _err("weighting must be a method name or a mapping", "weighting 应为方法名或映射",
                   where)
    unknown = [k for k in block if k not in _WEIGHTING_KEYS]
    method = str(block.get("method", "none"))
    if unknown or method not in WEIGHTING:
        raise _err(f"weighting: method must be one of {choices_text(WEIGHTING)} and keys one of "
                   f"{choices_text(_WEIGHTING_KEYS)} (got method {method!r}, keys {list(block)})",
                   f"weighting 的 method 应为 {choices_text(WEIGHTING)}，键应为 "
                   f"{choices_text(_WEIGHTING_KEYS)}", where)
    margins = block.get("margins")
    mapping = block.get("mapping") or {}
    if method != "none" and (not margins or not isinstance(mapping, dict) or not mapping):
        raise _err(f"weighting {method} needs margins (a file) and mapping (margin column: "
                   "survey column)", f"weighting {method} 需要 margins（文件）和 mapping "
                   "（边际列: 调查列）", where)
    if margins and where is not None and not Path(margins).is_absolute():
        margins = where.parent / margins  # relative to the design file, not the cwd
    return {"weighting": method, "margins": Path(margins) if margins else None,
            "mapping": {str(k): str(v) for k, v in mapping.items()},
            "total": str(block.get("total", "population"))}


def spec_from_parameters(**values: Any) -> DesignSpec:
    """A spec from the notebook's individual parameters (``margins`` → demo raking).

    >>> spec_from_parameters(strata="district", psu="psu", variables="a,b").variables
    ['a', 'b']
    """
    raw = {k: v for k, v in values.items() if k in SPEC_KEYS and v not in ("", None)}
    return _build(raw, None)


def check_spec_columns(spec: DesignSpec, columns: list[str], file_name: str) -> None:
    """Every column the spec names must be in the survey file; else list the file's columns."""
    wrong = {role: [c for c in cols if c not in columns]
             for role, cols in spec.data_columns().items()}
    wrong = {role: cols for role, cols in wrong.items() if cols}
    if wrong:
        said = "; ".join(f"{role}: {', '.join(cols)}" for role, cols in wrong.items())
        raise WorkbenchError(
            f"Column(s) not in {file_name}: {said}. Columns in the file: {choices_text(columns)}",
            f"{file_name} 中没有这些列：{said}。文件中的列：{choices_text(columns)}")
    if spec.margins is not None:
        if not spec.margins.is_file():
            raise WorkbenchError(f"Margins file not found: {spec.margins}",
                                 f"找不到边际总数文件：{spec.margins}")
        have = list(pd.read_csv(spec.margins, nrows=0, comment="#").columns)
        need = [c for c in [*spec.mapping, spec.total] if c not in have]
        if need:
            raise WorkbenchError(
                f"Margins file {spec.margins.name} lacks column(s) {', '.join(need)}; "
                f"it has {choices_text(have)}",
                f"边际总数文件 {spec.margins.name} 缺少列 {', '.join(need)}；"
                f"现有 {choices_text(have)}")


def design_from_spec(cls: type, data: pd.DataFrame, spec: DesignSpec | str | Path,
                     weighted: bool = True) -> Any:
    """Build ``cls`` (a SurveyDesign) from a spec; weighted as the spec says when ``weighted``."""
    spec = spec if isinstance(spec, DesignSpec) else read_spec(spec)
    check_spec_columns(spec, list(data.columns), "the survey data")
    design = cls(data, strata=spec.strata or None, psu=spec.psu or None,
                 weights=spec.weights, fpc=spec.fpc or None, nest=spec.nest,
                 lonely_psu=spec.lonely_psu)
    return apply_weighting(design, spec) if weighted else design


def _margins(spec: DesignSpec) -> pd.DataFrame:
    margins = pd.read_csv(spec.margins, comment="#", dtype={c: str for c in spec.mapping})
    return margins


def apply_weighting(design: Any, spec: DesignSpec) -> Any:
    """The spec's weighting step (none, poststratify, rake, calibrate) on ``design``."""
    if spec.weighting == "none":
        return design
    margins = _margins(spec)
    totals = {survey: margins.groupby(col)[spec.total].sum().rename(survey)
              for col, survey in spec.mapping.items()}
    if spec.weighting == "rake":
        return design.rake(totals)
    if spec.weighting == "calibrate":
        return design.calibrate(totals)
    cells = margins.groupby(list(spec.mapping))[spec.total].sum()
    cells.index = cells.index.set_names(list(spec.mapping.values()))
    return design.poststratify(list(spec.mapping.values()), cells)


def label_estimates(table: pd.DataFrame, value_labels: Mapping[str, Mapping],
                    variable_labels: Mapping[str, str]) -> pd.DataFrame:
    """Domain labels in ``domain`` with the codes kept in ``domain_code``; variable labels added.

    ``table`` is :func:`workbench.survey.domain_estimates` output (``by``, ``domain``, ...).
    """
    from ._sources import _key

    lookup = {col: {_key(k): str(v) for k, v in m.items()} for col, m in value_labels.items()}
    codes = table["domain"].astype(str)
    parts = codes.str.split(" / ", regex=False)
    columns = table["by"].str.split("*", regex=False)
    labels = [" / ".join(lookup.get(c, {}).get(_key(v), v) for c, v in zip(cs, vs, strict=True))
              for cs, vs in zip(columns, parts, strict=True)]
    out = table.copy()
    out.insert(out.columns.get_loc("domain") + 1, "domain_code", codes.to_numpy())
    out["domain"] = labels
    out.insert(out.columns.get_loc("variable") + 1, "variable_label",
               out["variable"].map(lambda v: variable_labels.get(v, v)))
    return out
