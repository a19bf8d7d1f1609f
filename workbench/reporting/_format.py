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
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from ..foundation.i18n import check_lang, label
from ._columns import ColumnFacts, as_text, column_facts
from ._flags import FLAG_MARKS, MARK, cell_flags, flag_notes

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


# what the formatting reads from a catalogue -> (decimals by code, {code: decimals},
# {lang: {code: unit}}): a report publishes dozens of tables against the same catalogue
# (a fresh copy each time: load_catalogue copies), so the key is the content read
_BY_CATALOGUE: dict[str, tuple] = {}
_READ = ("unit", "decimals", "unit_zh", "unit_en")


def _catalogue_lookup(catalogue: Any) -> tuple:
    table = catalogue.table
    key = "\x1e".join([f"{c}:{table[c].dtype}:" + "\x1f".join(map(str, table[c].tolist()))
                       for c in _READ if c in table.columns] +
                      ["\x1f".join(map(str, table.index.tolist()))])
    cached = _BY_CATALOGUE.get(key)
    if cached is not None:
        return cached
    by_unit = table["unit"].map(_UNIT_DECIMALS).fillna(_DEFAULT_DECIMALS)
    if "decimals" in table.columns:
        by_unit = table["decimals"].fillna(by_unit)
    decimals = by_unit.astype("int64")
    units = {lang: dict(zip(table.index, table["unit_" + lang].tolist(), strict=True))
             for lang in ("zh", "en") if "unit_" + lang in table.columns}
    if len(_BY_CATALOGUE) > 8:
        _BY_CATALOGUE.clear()
    entry = _BY_CATALOGUE[key] = (decimals, dict(zip(decimals.index, decimals.tolist(),
                                                     strict=True)), units)
    return entry


def unit_decimals(catalogue: Any | None) -> pd.Series:
    """Decimals to show for each indicator code, by its unit (or the catalogue's ``decimals``).

    Worked out once per catalogue content; treat the result as read-only.

    >>> from workbench.catalogue import load_catalogue
    >>> unit_decimals(load_catalogue())[["H01", "E01"]].tolist()
    [2, 1]
    """
    if catalogue is None:
        return pd.Series(dtype="int64")
    return _catalogue_lookup(catalogue)[0]


@lru_cache(maxsize=4096)  # the same cells ("—", district names) recur in every table
def printed_em(text: str) -> float:
    """Printed width of a cell in em: CJK characters 1 em, others about 0.6 em.

    >>> round(printed_em("H01 新生儿"), 2)  # three letters and a space, three CJK
    5.4
    """
    return sum(1.0 if ord(ch) > 0x2E80 else 0.6 for ch in text)


def is_p_column(name: object) -> bool:
    """Whether a column holds p-values (``p``, ``p_value``, ``p 值``...)."""
    return bool(_P_NAME.match(str(name).strip()))


def _rule(name: object, facts: ColumnFacts, row_decimals: np.ndarray | None,
          decimals: int | None, percent: bool) -> tuple[str, int | np.ndarray | None, bool]:
    """:func:`display_rule` on a column's facts; per-row decimals as an array."""
    if facts.boolean:
        return "bool", None, False
    if not (facts.numeric or facts.marked):
        return "text", None, False
    if is_p_column(name):
        return "p", 3, False
    if decimals is not None or percent:
        return "fixed", 1 if decimals is None else decimals, True
    numbers = facts.numbers[~facts.missing]
    whole = bool(len(numbers)) and bool(np.allclose(numbers, np.round(numbers)))
    year = bool(_YEAR_NAME.search(str(name)))
    if whole and (year or _WHOLE_NAME.search(str(name)) or facts.integer):
        return "fixed", 0, not year
    # an indicator's value keeps its unit's decimals even when it happens to be whole (95.0)
    if row_decimals is not None and not _STAT_NAME.search(str(name)):
        return "fixed", np.where(np.isnan(row_decimals), _DEFAULT_DECIMALS,
                                 row_decimals).astype("int64"), True
    if whole:
        return "fixed", 0, True
    return "fixed", _DEFAULT_DECIMALS, True


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
    by_row = None if row_decimals is None else row_decimals.to_numpy(dtype="float64")
    kind, places, thousands = _rule(name, column_facts(values), by_row, decimals, percent)
    if isinstance(places, np.ndarray):
        places = pd.Series(places, index=row_decimals.index)
    return kind, places, thousands


def _format_column(name: object, facts: ColumnFacts, lang: str,
                   row_decimals: np.ndarray | None, decimals: int | None,
                   percent: bool) -> list:
    """One column as display strings; missing cells are None for the caller."""
    kind, places, thousands = _rule(name, facts, row_decimals, decimals, percent)
    present = (~facts.missing).tolist()
    if kind == "bool":
        yes, no = _WORDS[lang]
        return [(yes if bool(v) else no) if p else None
                for v, p in zip(facts.cells, present, strict=True)]
    if kind == "text" and facts.na is None:  # dates, categories: as pandas writes them
        series = facts.series[~facts.missing]
        text = series.astype(str).str.replace("<=", "≤").str.replace(">=", "≥").tolist()
        it = iter(text)
        return [next(it) if p else None for p in present]
    if kind == "text":
        return [as_text(v).replace("<=", "≤").replace(">=", "≥") if p else None
                for v, p in zip(facts.cells, present, strict=True)]
    numbers = (facts.numbers * (100 if percent else 1)).tolist()
    if kind == "p":
        return [("< 0.001" if v < 0.001 else f"{v:.3f}") if p else None
                for v, p in zip(numbers, present, strict=True)]
    sep = "," if thousands else ""
    by_row = np.broadcast_to(np.asarray(places, dtype="int64"), len(numbers)).tolist()
    return [f"{v:{sep}.{d}f}" if p else None
            for v, d, p in zip(numbers, by_row, present, strict=True)]


def _code_position(facts: list[ColumnFacts], codes: dict) -> int | None:
    """Position of the column of indicator codes among the first three, if any."""
    if not codes:
        return None
    for i, column in enumerate(facts[:3]):
        if column.numeric or column.boolean:
            continue  # numbers and yes/no are not codes
        if column.na is None:  # dates, categories
            values = column.series.dropna()
            if len(values) and not pd.api.types.is_numeric_dtype(values) and \
                    values.isin(list(codes)).all():
                return i
            continue
        present = [v for v, n in zip(column.cells, column.na.tolist(), strict=True) if not n]
        if present and all(v in codes for v in present):
            return i
    return None


def code_column(df: pd.DataFrame, decimals_by_code: pd.Series) -> object | None:
    """The column holding indicator codes, if the rows are indicators."""
    codes = dict.fromkeys(decimals_by_code.index)
    position = _code_position([column_facts(df.iloc[:, i]) for i in range(min(3, df.shape[1]))],
                              codes)
    return None if position is None else df.columns[position]


def _with_unit_column(names: list, facts: list[ColumnFacts], at: int, units: dict,
                      lang: str) -> tuple[list, list[ColumnFacts]]:
    if {str(c).lower() for c in names} & {"unit", "单位"}:
        return names, facts
    unit = np.array([units.get(code, np.nan) for code in facts[at].cells], dtype=object)
    after = at + 1
    named = after < len(names) and str(names[after]).lower() in {"name", "名称"}
    position = after + 1 if named else after
    return ([*names[:position], label("column", "unit", lang), *names[position:]],
            [*facts[:position], column_facts(pd.Series(unit, dtype=object)), *facts[position:]])


def _header(name: object, lang: str, unit: str | None, percent: bool) -> str:
    text = label("column", str(name), lang)
    unit = "%" if percent and not unit else unit
    if not unit:
        return text
    return f"{text}（{unit}）" if lang == "zh" else f"{text} ({unit})"


def _plain_columns(df: pd.DataFrame, lang: str) -> tuple[list, list[pd.Series]]:
    """No index in a publication: a meaningful index becomes a column.

    Of columns that read the same once translated (a code and its label, e.g. ``domain``
    and ``领域``), the reader sees the last one, the label; the CSV keeps both.
    """
    frame = df if isinstance(df.index, pd.RangeIndex) and df.index.name is None \
        else df.reset_index()
    headers = [label("column", str(c), lang) for c in frame.columns]
    last = {h: i for i, h in enumerate(headers)}
    kept = [i for i, h in enumerate(headers) if last[h] == i]
    return [frame.columns[i] for i in kept], [frame.iloc[:, i] for i in kept]


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
    names, series = _plain_columns(unflagged, lang)
    # lists, not Series: pandas costs ~50 us per call on these small tables
    facts = [column_facts(s) for s in series]
    lookup = _catalogue_lookup(catalogue) if catalogue is not None else (None, {}, {})
    at = _code_position(facts, lookup[1])
    row_decimals = None
    if at is not None:
        row_decimals = np.array([lookup[1].get(c, np.nan) for c in facts[at].cells],
                                dtype="float64")
        names, facts = _with_unit_column(names, facts, at, lookup[2].get(lang, {}), lang)
    units, decimals = units or {}, decimals or {}
    shown, used, any_missing = [], set(), False
    for name, column in zip(names, facts, strict=True):  # columns, not rows
        text = _format_column(name, column, lang, row_decimals, decimals.get(name),
                              name in percent)
        if column.marked:  # suppressed cells keep their mark, not "no data"
            text = [MARK if t is None and v != v and isinstance(c, str) and c == MARK else t
                    for t, v, c in zip(text, column.numbers.tolist(), column.cells, strict=True)]
            used.add("suppressed")
        text, kinds = _marked_cells(text, masks, name)
        used |= kinds
        any_missing |= None in text
        shown.append([MISSING if t is None else t for t in text])
    return {"headers": [_header(c, lang, units.get(c), c in percent) for c in names],
            "rows": [list(r) for r in zip(*shown, strict=True)] if shown else
            [[] for _ in range(len(df))],
            "align": ["r" if f.numeric or f.marked else "l" for f in facts],
            "notes": [*([_MISSING_NOTE[lang]] if any_missing else []),
                      *flag_notes(sorted(used), lang)]}


def _marked_cells(text: list, masks: dict[str, dict], name: object) -> tuple[list, set]:
    """Marks after the numbers (a space, then ``†``, ``‡``) and ``x`` for suppressed cells."""
    marked = {k: m[name].tolist() for k, m in masks.items() if name in m}
    marked = {k: [bool(f) and t is not None for f, t in zip(m, text, strict=True)]
              for k, m in marked.items()}
    kinds = {k for k, m in marked.items() if any(m)}
    marks = [(FLAG_MARKS[k], m) for k, m in marked.items() if k != "suppressed" and k in kinds]
    if marks:
        suffixes = ["".join(mark for mark, m in marks if m[i]) for i in range(len(text))]
        text = [f"{t} {s}" if s else t for t, s in zip(text, suffixes, strict=True)]
    if "suppressed" in kinds:
        text = [MARK if m else t for t, m in zip(text, marked["suppressed"], strict=True)]
    return text, kinds
