"""Checks of observation tables, vectorised, with every problem reported.

Used by the database (every write) and by the submission round (files sent
by departments and districts).  Each check is a boolean mask over the rows;
the problems of all checks are collected into one tidy table (row, column,
value, reason in English and Chinese) instead of stopping at the first, so
a department can fix its file in one pass.

Examples
--------
>>> import pandas as pd
>>> from workbench.catalogue import load_catalogue
>>> from workbench.regions import load_regions
>>> from workbench.validation import find_problems
>>> rows = pd.DataFrame({"indicator": ["H03"], "region": ["210102"], "year": [2035],
...     "sex": ["total"], "age_group": ["total"], "residence": ["total"],
...     "hukou": ["total"], "value": [4.0]})
>>> find_problems(rows, load_catalogue(), load_regions())[["column", "reason_en"]].values.tolist()
[['year', 'year 2035 is outside the plan period 2020-2030']]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from ..foundation import config
from ..foundation.catalogue import UNIT_RANGE, UNIT_SCALE, Catalogue
from ..foundation.errors import ValidationError, choices_text
from ..foundation.regions import Regions

__all__ = ["find_problems", "check_observations", "coerce_observations", "is_blank",
           "PROBLEM_COLUMNS", "KEY_COLUMNS", "OBSERVATION_COLUMNS", "DIMENSION_VALUES", "SOURCES",
           "NUMBER_COLUMNS", "MAX_COUNT", "MAX_NUMBER"]

KEY_COLUMNS = ["indicator", "region", "year", "sex", "age_group", "residence", "hukou"]
OBSERVATION_COLUMNS = [*KEY_COLUMNS, "value", "numerator", "denominator", "se", "source",
                       "imputed", "provisional"]
DIMENSION_VALUES = {
    "sex": ("total", "male", "female"),
    "age_group": ("total", "0-2", "3-5", "6-11", "12-14", "15-17"),
    "residence": ("total", "urban", "rural"),
    "hukou": ("total", "local", "migrant"),
}
SOURCES = ("admin", "survey")
NUMBER_COLUMNS = ("year", "value", "numerator", "denominator", "se")
# Upper bounds: no count of children or events reaches a billion, no published value 1e12;
# beyond them a number is a typing error or an attack (1e308, 23-digit integers, inf).
MAX_COUNT = 1e9
MAX_NUMBER = 1e12
PROBLEM_COLUMNS = ["index", "column", "value", "reason_en", "reason_zh"]
_OPTIONAL = {"numerator": np.nan, "denominator": np.nan, "se": np.nan, "source": "admin",
             "imputed": False, "provisional": False}
# Tolerance for value vs numerator/denominator: published values are rounded (to 0.1 at most).
_RATIO_ATOL = 0.051


def _chunk(mask: pd.Series, frame: pd.DataFrame, column: str, en: object,
           zh: object) -> pd.DataFrame:
    """Problems of the rows where ``mask`` holds.

    ``en``/``zh`` are plain strings or callables that build the messages
    from the index of the bad rows only, so a clean million-row file costs
    no string formatting.
    """
    rows = mask.index[mask.fillna(False).to_numpy(dtype=bool)]
    if len(rows) == 0:
        return pd.DataFrame(columns=PROBLEM_COLUMNS)
    value = frame[column].loc[rows] if column in frame else pd.Series("", index=rows)
    return pd.DataFrame({
        "index": rows, "column": column, "value": value.astype(object).to_numpy(),
        "reason_en": en(rows) if callable(en) else en,
        "reason_zh": zh(rows) if callable(zh) else zh,
    })


def _text(series: pd.Series) -> Callable[[pd.Index], pd.Series]:
    # through object: an Arrow string column keeps a missing cell as a float NaN under astype(str)
    return lambda rows: series.loc[rows].astype(object).fillna("").map(str).to_numpy(dtype=object)


def _code_checks(obs: pd.DataFrame, catalogue: Catalogue, regions: Regions) -> list:
    vocab: dict[str, Sequence[str]] = {"indicator": catalogue.codes, "region": regions.codes,
                                       "source": SOURCES, **DIMENSION_VALUES}
    chunks = []
    for column, valid in vocab.items():
        bad = ~obs[column].astype(object).isin(list(valid))
        text = _text(obs[column])
        chunks.append(_chunk(
            bad, obs, column,
            lambda rows, t=text, c=column, v=valid: f"unknown {c} " + t(rows).astype(object)
            + f"; valid: {choices_text(v, 20)}",
            lambda rows, t=text, c=column, v=valid: f"未知的{c} " + t(rows).astype(object)
            + f"；可选：{choices_text(v, 20)}"))
    return chunks


def is_blank(series: pd.Series) -> pd.Series:
    """True where a cell is empty: NaN/None, or only whitespace in a text column."""
    if pd.api.types.is_numeric_dtype(series):
        return series.isna()  # numbers cannot be whitespace; skip the costly str conversion
    return series.isna() | series.astype(str).str.strip().isin(["", "nan", "None"])


def _number_checks(obs: pd.DataFrame, parsed: dict[str, pd.Series]) -> list:
    chunks = []
    for column, numbers in parsed.items():
        raw = obs[column]
        blank = is_blank(raw)
        text = _text(raw)
        chunks.append(_chunk(numbers.isna() & ~blank, obs, column,
                             lambda rows, t=text: "not a number: " + t(rows).astype(object),
                             lambda rows, t=text: "不是数字：" + t(rows).astype(object)))
        if column == "value":
            chunks.append(_chunk(blank, obs, "value", "value is missing", "缺少数值"))
    for column, numbers in parsed.items():
        limit = MAX_COUNT if column in ("numerator", "denominator") else MAX_NUMBER
        chunks.append(_chunk(numbers.notna() & ~(numbers.abs() <= limit), obs, column,
                             f"{column} is not a finite number of at most {limit:.0e}",
                             f"{column} 必须是不超过 {limit:.0e} 的有限数"))
    chunks.append(_chunk(parsed["se"] < 0, obs, "se", "negative standard error", "标准误为负数"))
    year = parsed["year"]
    first, last = config.BASE_YEAR, config.PLAN_END
    outside = year.notna() & ((year < first) | (year > last) | (year % 1 != 0))
    def shown(rows: pd.Index) -> np.ndarray:
        return year.loc[rows].map("{:g}".format, na_action="ignore").astype(str).to_numpy()

    chunks.append(_chunk(outside, obs, "year",
                         lambda rows: "year " + shown(rows).astype(object)
                         + f" is outside the plan period {first}-{last}",
                         lambda rows: "年份 " + shown(rows).astype(object)
                         + f" 不在规划期 {first}-{last} 内"))
    return chunks


def _range_checks(obs: pd.DataFrame, parsed: dict[str, pd.Series],
                  catalogue: Catalogue) -> list:
    # map through category codes: one lookup per indicator, not per row
    codes = pd.Index(catalogue.codes).get_indexer(obs["indicator"].astype(object))
    per_code = catalogue.table["unit"].to_numpy()
    units = pd.Series(np.where(codes >= 0, per_code[codes], None), index=obs.index)
    low = pd.Series(np.array([UNIT_RANGE[u][0] for u in per_code] + [np.nan])[codes],
                    index=obs.index)
    high = pd.Series(np.array([UNIT_RANGE[u][1] for u in per_code] + [np.nan])[codes],
                     index=obs.index)
    value, num, den = parsed["value"], parsed["numerator"], parsed["denominator"]

    def bounds(rows: pd.Index, template: str) -> np.ndarray:
        return np.array([template.format(lo=lo, hi=hi, u=u) for lo, hi, u in
                         zip(low.loc[rows], high.loc[rows], units.loc[rows], strict=True)],
                        dtype=object)

    chunks = [_chunk((value < low) | (value > high), obs, "value",
                     lambda rows: bounds(rows, "value outside the possible range [{lo:g}, "
                                               "{hi:g}] of unit {u}"),
                     lambda rows: bounds(rows, "数值超出单位 {u} 的可能范围 [{lo:g}, {hi:g}]"))]
    for column, numbers in (("numerator", num), ("denominator", den)):
        chunks.append(_chunk(numbers < 0, obs, column, f"negative {column}", "分子或分母为负数"))
    has_ratio = num.notna() & den.notna()
    chunks.append(_chunk(has_ratio & (num > den), obs, "numerator",
                         "numerator larger than denominator", "分子大于分母"))
    scale = pd.Series(np.array([UNIT_SCALE[u] for u in per_code] + [np.nan])[codes],
                      index=obs.index)
    implied = num / den.where(den > 0) * scale
    mismatch = has_ratio & implied.notna() & value.notna() & \
        ~np.isclose(implied, value, rtol=1e-6, atol=_RATIO_ATOL)
    def shown(rows: pd.Index) -> np.ndarray:
        return implied.loc[rows].map("{:.4g}".format, na_action="ignore").astype(str).to_numpy()

    chunks.append(_chunk(mismatch, obs, "value",
                         lambda rows: "value does not match numerator/denominator ("
                         + shown(rows).astype(object) + ")",
                         lambda rows: "数值与分子/分母不符（应为 " + shown(rows).astype(object)
                         + "）"))
    return chunks


def _numbers(column: pd.Series) -> pd.Series:
    if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
        return column.astype(float)  # already numbers: nothing to parse
    return pd.to_numeric(column, errors="coerce").astype(float)


def find_problems(frame: pd.DataFrame, catalogue: Catalogue, regions: Regions) -> pd.DataFrame:
    """Every problem in an observations table, one row each (empty when all is well).

    Columns: ``index`` (the row's label in ``frame``), ``column``, ``value``,
    ``reason_en``, ``reason_zh``.  Missing required columns give one problem
    each with index -1.
    """
    missing = [c for c in [*KEY_COLUMNS, "value"] if c not in frame.columns]
    if missing:
        return pd.DataFrame({
            "index": -1, "column": missing, "value": "",
            "reason_en": [f"required column {c} is missing; required: "
                          f"{choices_text([*KEY_COLUMNS, 'value'])}" for c in missing],
            "reason_zh": [f"缺少必需的列 {c}" for c in missing]})
    obs = frame.assign(**{c: d for c, d in _OPTIONAL.items() if c not in frame})
    parsed = {c: _numbers(obs[c]) for c in NUMBER_COLUMNS}
    chunks = [*_code_checks(obs, catalogue, regions), *_number_checks(obs, parsed),
              *_range_checks(obs, parsed, catalogue)]
    keys = obs[KEY_COLUMNS].astype(str).assign(year=parsed["year"])
    dup = keys.duplicated(keep=False)
    chunks.append(_chunk(dup, obs, "indicator",
                         "duplicate key (indicator, region, year, sex, age group, residence, "
                         "hukou)", "重复的记录（指标、地区、年份及分组均相同）"))
    problems = pd.concat([c for c in chunks if len(c)] or [pd.DataFrame(columns=PROBLEM_COLUMNS)],
                         ignore_index=True)
    return problems.sort_values(["index", "column"], kind="stable", ignore_index=True)


def check_observations(frame: pd.DataFrame, catalogue: Catalogue, regions: Regions,
                       what: str = "the observations") -> pd.DataFrame:
    """Validate observations (every problem listed) and return them with canonical dtypes.

    The single validation shared by every way into a database: a write, an
    ingest, ``db import`` and a merge.  Raises
    :class:`~workbench.foundation.errors.ValidationError` naming ``what`` and
    listing every problem; rows are never dropped.
    """
    frame = frame.reset_index(drop=True)
    found = find_problems(frame, catalogue, regions)
    if len(found):
        problems = [{"row": int(p.index) + 1, "column": p.column, "value": p.value,
                     "reason": p.reason_en, "reason_zh": p.reason_zh}
                    for p in found.itertuples()]  # only the problem rows, for the message
        raise ValidationError(f"{len(found)} problem(s) in {what}; nothing written",
                              f"{what} 有 {len(found)} 处错误，未写入任何数据", problems)
    return coerce_observations(frame)


def coerce_observations(frame: pd.DataFrame) -> pd.DataFrame:
    """Observations with canonical columns and dtypes (call after :func:`find_problems`)."""
    obs = frame.assign(**{c: d for c, d in _OPTIONAL.items() if c not in frame})
    out = pd.DataFrame({c: obs[c].astype(str).to_numpy() for c in KEY_COLUMNS})
    out["year"] = pd.to_numeric(obs["year"]).astype("int32").to_numpy()
    for c in ("value", "numerator", "denominator", "se"):
        out[c] = pd.to_numeric(obs[c], errors="coerce").astype(float).to_numpy()
    out["source"] = obs["source"].astype(str).to_numpy()
    for c in ("imputed", "provisional"):
        out[c] = obs[c].astype(bool).to_numpy()
    return out[OBSERVATION_COLUMNS]
