"""Formatting a published table for reading: numbers, missing values, units, footnotes.

The CSV a notebook publishes keeps full precision; this module decides how the
same table *reads* in the HTML, Word and PDF report.  Decisions are made
column by column (never row by row):

- no row index: a meaningful index becomes a column, a 0..N index is dropped;
- booleans as words (是/否, Yes/No);
- whole numbers (years, ranks, counts stored as floats) without decimals;
- p-values as ``< 0.001`` or three decimals;
- values of indicators with the decimals of the indicator's unit (catalogue
  column ``decimals`` if present, else by unit: percent 1, rates per 1,000 2 ...);
- proportions published as percentages when the caller says so;
- missing, NaN, <NA> and infinity as "—" with a footnote saying what it means;
- a unit column next to the indicator name when the rows are indicators.

Examples
--------
>>> import pandas as pd
>>> t = format_table(pd.DataFrame({"year": [2020.0, 2021.0], "ok": [True, None],
...                                "p": [1e-72, 0.0412]}), "en")
>>> t["headers"], t["rows"]
(['Year', 'ok', 'p'], [['2020', 'Yes', '< 0.001'], ['2021', '—', '0.041']])
>>> t["notes"]
['— no data or not applicable']
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from ..foundation.i18n import check_lang, label
from ._flags import MARK, append_marks, cell_flags, flag_notes, numbers_with_marks

__all__ = ["format_table", "MISSING", "unit_decimals", "is_p_column", "display_rule",
           "code_column"]

MISSING = "—"
_DEFAULT_DECIMALS = 2
_UNIT_DECIMALS = {"percent": 1, "per_1000": 2, "per_10000": 2, "per_100000": 1,
                  "per_1000_children": 2}
_P_NAME = re.compile(r"^(p|p[ _-]?val(ue)?|pr\(>.*\)|p ?值)$", re.IGNORECASE)
_YEAR_NAME = re.compile(r"(year|年份|起始年|最近年|年$|^since$|^自$)", re.IGNORECASE)
# whole numbers by nature: ranks and counts keep no decimals even in a table of indicators
_WHOLE_NAME = re.compile(r"(rank|排名|名次|count|^n$|^n_|数$|number of)", re.IGNORECASE)
# statistics about a value (not the value itself) keep their own decimals
_STAT_NAME = re.compile(r"(ratio|score|进展比|得分|^z$|^cv|^se$|deff|比例|share|coverage|覆盖率|"
                        r"probab|概率|p_target)", re.IGNORECASE)
_WORDS = {"zh": ("是", "否"), "en": ("Yes", "No")}
_MISSING_NOTE = {"zh": "“—”表示无数据或不适用", "en": "— no data or not applicable"}


def unit_decimals(catalogue: Any | None) -> pd.Series:
    """Decimals to show for each indicator code, by its unit (or the catalogue's ``decimals``).

    >>> from workbench.catalogue import load_catalogue
    >>> unit_decimals(load_catalogue())[["H01", "E01"]].tolist()
    [2, 1]
    """
    if catalogue is None:
        return pd.Series(dtype="int64")
    table = catalogue.table
    by_unit = table["unit"].map(_UNIT_DECIMALS).fillna(_DEFAULT_DECIMALS)
    if "decimals" in table.columns:
        by_unit = table["decimals"].fillna(by_unit)
    return by_unit.astype("int64")


def printed_em(text: str) -> float:
    """Printed width of a cell in em: CJK characters 1 em, others about 0.6 em.

    >>> round(printed_em("H01 新生儿"), 2)  # three letters and a space, three CJK
    5.4
    """
    return sum(1.0 if ord(ch) > 0x2E80 else 0.6 for ch in text)


def is_p_column(name: object) -> bool:
    """Whether a column holds p-values (``p``, ``p_value``, ``p 值``...)."""
    return bool(_P_NAME.match(str(name).strip()))


_MISSING_TEXT = ("nan", "NaN", "<NA>", "None", "inf", "-inf")


def _missing(values: pd.Series) -> pd.Series:
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        numbers = values.to_numpy(dtype="float64", na_value=np.nan)
        return pd.Series(~np.isfinite(numbers), index=values.index)
    # an empty text cell stays blank: nothing to say is not missing data
    text = values if pd.api.types.is_string_dtype(values) and values.dtype != object \
        else values.astype(str)
    return values.isna() | text.isin(_MISSING_TEXT).fillna(False).astype(bool)


def _is_bool(values: pd.Series) -> bool:
    if pd.api.types.is_bool_dtype(values):
        return True
    present = values.dropna()
    return not pd.api.types.is_numeric_dtype(values) and len(present) > 0 and \
        present.map(lambda v: isinstance(v, bool | np.bool_)).all()


def _fixed(values: pd.Series, decimals: pd.Series | int, thousands: bool = True) -> pd.Series:
    sep = "," if thousands else ""
    numbers = values.to_numpy(dtype="float64")
    places = np.broadcast_to(np.asarray(decimals, dtype="int64"), numbers.shape)
    # string formatting is per cell whichever way it is written; a comprehension
    # avoids pandas' per-call overhead on the small tables a report shows
    return pd.Series([f"{v:{sep}.{d}f}" for v, d in zip(numbers.tolist(), places.tolist(),
                                                          strict=True)],
                     index=values.index, dtype=object)


def _p_values(values: pd.Series) -> pd.Series:
    return values.map(lambda v: "< 0.001" if v < 0.001 else f"{v:.3f}")


def display_rule(name: object, values: pd.Series, row_decimals: pd.Series | None = None,
                 decimals: int | None = None, percent: bool = False
                 ) -> tuple[str, int | pd.Series | None, bool]:
    """How a column reads: ``(kind, decimals, thousands)``, shared by the HTML and the XLSX.

    ``kind`` is ``"bool"``, ``"text"``, ``"p"`` (p-values) or ``"fixed"``; ``decimals`` is
    a number or, for indicator values, a Series of decimals by row; ``thousands`` says
    whether digits are grouped (not in years).

    >>> display_rule("year", pd.Series([2020.0, 2021.0]))
    ('fixed', 0, False)
    """
    if _is_bool(values):
        return "bool", None, False
    if not pd.api.types.is_numeric_dtype(values):
        return "text", None, False
    if is_p_column(name):
        return "p", 3, False
    if decimals is not None or percent:
        return "fixed", 1 if decimals is None else decimals, True
    numbers = values[~_missing(values)].astype("float64")
    whole = bool(len(numbers)) and bool(np.allclose(numbers, np.round(numbers)))
    year = bool(_YEAR_NAME.search(str(name)))
    if whole and (year or _WHOLE_NAME.search(str(name)) or
                  pd.api.types.is_integer_dtype(values)):
        return "fixed", 0, not year
    # an indicator's value keeps its unit's decimals even when it happens to be whole (95.0)
    if row_decimals is not None and not _STAT_NAME.search(str(name)):
        return "fixed", row_decimals.fillna(_DEFAULT_DECIMALS).astype("int64"), True
    if whole:
        return "fixed", 0, True
    return "fixed", _DEFAULT_DECIMALS, True


def _format_column(name: str, values: pd.Series, lang: str, row_decimals: pd.Series | None,
                   decimals: int | None, percent: bool) -> pd.Series:
    """One column as display strings; missing cells are left as NaN for the caller."""
    miss = _missing(values)
    present = values[~miss]
    kind, places, thousands = display_rule(name, values, row_decimals, decimals, percent)
    if kind == "bool":
        yes, no = _WORDS[lang]
        return present.map(lambda v: yes if bool(v) else no)
    if kind == "text":
        return present.astype(str).str.replace("<=", "≤").str.replace(">=", "≥")
    numbers = present.astype("float64") * (100 if percent else 1)
    if kind == "p":
        return _p_values(numbers)
    if isinstance(places, pd.Series):
        places = places.reindex(numbers.index)
    return _fixed(numbers, places, thousands)


def code_column(df: pd.DataFrame, decimals_by_code: pd.Series) -> str | None:
    """The column holding indicator codes, if the rows are indicators."""
    if decimals_by_code.empty:
        return None
    for col in df.columns[:3]:
        values = df[col].dropna()
        if len(values) and not pd.api.types.is_numeric_dtype(values) and \
                values.isin(decimals_by_code.index).all():
            return col
    return None


def _with_unit_column(df: pd.DataFrame, code_col: str, catalogue: Any, lang: str) -> pd.DataFrame:
    names = {str(c).lower() for c in df.columns}
    if names & {"unit", "单位"}:
        return df
    unit = catalogue.table["unit_" + lang].reindex(df[code_col]).to_numpy()
    after = list(df.columns).index(code_col) + 1
    named = after < len(df.columns) and str(df.columns[after]).lower() in {"name", "名称"}
    position = after + 1 if named else after
    out = df.copy()
    out.insert(position, label("column", "unit", lang), unit)
    return out


def _header(name: object, lang: str, unit: str | None, percent: bool) -> str:
    text = label("column", str(name), lang)
    unit = "%" if percent and not unit else unit
    if not unit:
        return text
    return f"{text}（{unit}）" if lang == "zh" else f"{text} ({unit})"


def _plain_frame(df: pd.DataFrame, lang: str) -> pd.DataFrame:
    """No index in a publication: a meaningful index becomes a column.

    Of columns that read the same once translated (a code and its label, e.g. ``domain``
    and ``领域``), the reader sees the last one, the label; the CSV keeps both.
    """
    if isinstance(df.index, pd.RangeIndex) and df.index.name is None:
        frame = df.reset_index(drop=True)
    else:
        frame = df.reset_index()
    headers = pd.Index([label("column", str(c), lang) for c in frame.columns])
    return frame.loc[:, ~headers.duplicated(keep="last")]


def format_table(df: pd.DataFrame, lang: str, catalogue: Any | None = None,
                 units: dict[str, str] | None = None, decimals: dict[str, int] | None = None,
                 percent: list[str] | tuple[str, ...] = ()) -> dict[str, Any]:
    """Format a table for reading; return headers, rows of strings, alignment and footnotes.

    Parameters
    ----------
    df : DataFrame
        The table as published (full precision).
    lang : {"zh", "en"}
    catalogue : Catalogue, optional
        When the rows are indicators (a column of catalogue codes), values take the
        decimals of each indicator's unit and a unit column is added.
    units : dict, optional
        Unit shown in a column's header, by column name.
    decimals : dict, optional
        Fixed decimals by column name (wins over the indicator's).
    percent : list of str
        Columns holding proportions (0..1) to show as percentages.

    Examples
    --------
    >>> format_table(pd.DataFrame({"share": [0.875]}), "zh", percent=["share"])["rows"]
    [['87.5']]
    """
    check_lang(lang)
    unflagged, masks = cell_flags(df, lang)
    frame = _plain_frame(unflagged, lang)
    by_code = unit_decimals(catalogue)
    code_col = code_column(frame, by_code)
    row_decimals = None
    if code_col is not None:
        frame = _with_unit_column(frame, code_col, catalogue, lang)
        row_decimals = frame[code_col].map(by_code)
    units, decimals = units or {}, decimals or {}
    shown, any_missing, numeric, used = {}, False, [], set()
    for col in frame.columns:  # columns, not rows: a handful of iterations
        numbers = numbers_with_marks(frame[col])
        values = frame[col] if numbers is None else numbers
        text = _format_column(col, values, lang, row_decimals, decimals.get(col),
                              col in percent).reindex(frame.index)
        if numbers is not None:  # suppressed cells keep their mark, not "no data"
            text = text.fillna(frame[col].where(numbers.isna() & frame[col].eq(MARK)))
            used.add("suppressed")
        marked = {k: _column_mask(m, col, len(frame)) & text.notna().to_numpy()
                  for k, m in masks.items()}
        used |= {k for k, m in marked.items() if m.any()}
        text = append_marks(text, {k: m for k, m in marked.items() if k != "suppressed"})
        if "suppressed" in marked:
            text = text.where(~marked["suppressed"], MARK)
        any_missing |= bool(text.isna().any())
        shown[col] = text.fillna(MISSING)
        numeric.append(numbers is not None or (pd.api.types.is_numeric_dtype(frame[col])
                                               and not _is_bool(frame[col])))
    body = pd.DataFrame(shown, index=frame.index)
    return {"headers": [_header(c, lang, units.get(c), c in percent) for c in frame.columns],
            "rows": body.to_numpy(dtype=object).tolist(),
            "align": ["r" if n else "l" for n in numeric],
            "notes": [*([_MISSING_NOTE[lang]] if any_missing else []),
                      *flag_notes(sorted(used), lang)]}


def _column_mask(mask: pd.DataFrame, col: object, n: int) -> np.ndarray:
    """One column of a flag mask by position (the frame lost the table's index)."""
    return mask[col].to_numpy(bool) if col in mask.columns else np.zeros(n, bool)
