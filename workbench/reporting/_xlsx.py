"""The XLSX of a published table: full-precision values, each shown as the report shows it.

The cells keep the values of the CSV; only Excel's display format changes, decided by
the same rule as the HTML, Word and PDF tables (:func:`._format.display_rule`): the
decimals of each row's indicator (by its unit in the catalogue), whole numbers grouped
by thousands, years without a separator, p-values as ``< 0.001`` or three decimals,
proportions as percentages.  Formats are decided per column (one per indicator row in a
value column).  Written with XlsxWriter (three times faster than openpyxl for the small
tables a report publishes by the dozen).

Examples
--------
>>> import pandas as pd
>>> number_formats(pd.DataFrame({"year": [2024, 2025], "p": [0.2, 1e-9], "v": [1.25, 2.5]}))
['0', '[<0.001]"< 0.001";0.000', '#,##0.00']
"""

from __future__ import annotations

import math
import numbers
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..foundation.safe_io import neutralise_value, open_private
from ._columns import ColumnFacts, column_facts
from ._format import _catalogue_lookup, _code_position, _rule

__all__ = ["write_xlsx", "number_formats", "P_FORMAT"]

# Excel's conditional section shows tiny p-values as the report does; the cell keeps the value
P_FORMAT = '[<0.001]"< 0.001";0.000'


def _excel(decimals: int, thousands: bool = True, percent: bool = False) -> str:
    body = ("#,##0" if thousands else "0") + ("." + "0" * decimals if decimals > 0 else "")
    return body + "%" if percent else body


def number_formats(df: pd.DataFrame, catalogue: Any | None = None,
                   decimals: dict[str, int] | None = None,
                   percent: list[str] | tuple[str, ...] = ()) -> list[str | list | None]:
    """Excel number format of each column, by position: a string, a list by row, or None.

    A list is returned for an indicator-value column of a table whose rows are
    indicators (a column of catalogue codes): each row takes its indicator's decimals.
    Text and yes/no columns get None.  Columns are taken by position, since a published
    table may carry two columns with the same header (a code and its label).
    """
    return _formats(df, [column_facts(df.iloc[:, i]) for i in range(df.shape[1])], catalogue,
                    decimals or {}, percent)


def _formats(df: pd.DataFrame, facts: list[ColumnFacts], catalogue: Any | None,
             decimals: dict, percent: list[str] | tuple[str, ...]) -> list[str | list | None]:
    codes = _catalogue_lookup(catalogue)[1] if catalogue is not None else {}
    at = _code_position(facts, codes)
    row_decimals = None if at is None else np.array(
        [codes.get(c, np.nan) for c in facts[at].cells], dtype="float64")
    formats: list[str | list | None] = []
    for name, column in zip(df.columns, facts, strict=True):  # columns, not rows
        # suppressed cells ("x") stay text
        kind, places, thousands = _rule(name, column, row_decimals, decimals.get(name),
                                        name in percent)
        if kind == "p":
            formats.append(P_FORMAT)
        elif kind == "fixed" and isinstance(places, np.ndarray):
            codes_by_places = {d: _excel(d, thousands) for d in set(places.tolist())}
            formats.append([codes_by_places[d] for d in places.tolist()])
        elif kind == "fixed":
            formats.append(_excel(int(places), thousands, name in percent))
        else:
            formats.append(None)
    return formats


def write_xlsx(df: pd.DataFrame, path: Path, title: str | None = None,
               notes: list[str] | None = None, sheet: str = "table", *,
               catalogue: Any | None = None, decimals: dict[str, int] | None = None,
               percent: list[str] | tuple[str, ...] = ()) -> None:
    """Write a formatted workbook: title, bold frozen header, fitted widths, notes below.

    Values are written at full precision; :func:`number_formats` sets how they show
    (``catalogue`` for the decimals of indicator rows, ``decimals`` and ``percent`` by
    column name as in :meth:`Report.table`).
    """
    import io

    import xlsxwriter

    # each column read once into a list: pandas costs ~50 us per call on these small tables
    columns = [df.iloc[:, i] for i in range(df.shape[1])]
    facts = [column_facts(c) for c in columns]
    formats = _formats(df, facts, catalogue, decimals or {}, percent)
    buffer = io.BytesIO()
    # text stays text: no formulas, URLs or numbers made of strings (the values are
    # neutralised too, and written with write_string below)
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False,
                                        "strings_to_urls": False, "strings_to_numbers": False})
    ws = book.add_worksheet(sheet)
    header_row = 2 if title else 0  # 0-based, as xlsxwriter counts
    if title:
        ws.write_string(0, 0, str(neutralise_value(title)), book.add_format(
            {"bold": True, "font_size": 13}))
    header = book.add_format({"bold": True, "bg_color": "#DDEBF7", "text_wrap": True,
                              "valign": "vcenter"})
    styles: dict[str, Any] = {}
    for i, (name, values) in enumerate(zip(df.columns, columns, strict=True)):
        ws.write_string(header_row, i, str(neutralise_value(name)), header)
        cells = _cells(values, facts[i])
        _write_column(ws, book, styles, header_row + 1, i, cells, formats[i])
        ws.set_column(i, i, _width(name, facts[i].cells[:200] if facts[i].na is not None
                                   else values.iloc[:200].tolist()))
    ws.freeze_panes(header_row + 1, 0)
    italic = book.add_format({"italic": True, "font_size": 9})
    for j, note in enumerate(notes or [], start=header_row + len(df) + 2):
        ws.write_string(j, 0, str(neutralise_value(note)), italic)
    book.close()
    with open_private(path) as fh:
        fh.write(buffer.getvalue())


def _cells(values: pd.Series, facts: ColumnFacts) -> list:
    """A column's cells as written: formula-like text neutralised, dates as text."""
    if pd.api.types.is_datetime64_any_dtype(values):
        return values.dt.strftime("%Y-%m-%d %H:%M:%S").tolist()  # no time zone to lose
    if facts.numeric:
        return values.tolist()
    # every text cell that a spreadsheet would run as a formula gets its apostrophe
    return [neutralise_value(v) for v in (values.tolist() if facts.na is None else facts.cells)]


def _width(name: object, values: list) -> float:
    texts = [str(name), *map(str, values)]
    # CJK characters are about twice as wide as Latin ones
    width = max(sum(2 if ord(ch) > 0x2E80 else 1 for ch in v) for v in texts)
    return min(max(width + 2, 8), 60)


def _write_column(ws: Any, book: Any, styles: dict[str, Any], first: int, column: int,
                  values: list, fmt: str | list | None) -> None:
    """One column's cells by type; numbers get their display format (one, or one per row)."""
    per_row = fmt if isinstance(fmt, list) else [fmt] * len(values)
    for row, (value, number_format) in enumerate(zip(values, per_row, strict=True),
                                                 start=first):
        style = None
        if number_format is not None:
            style = styles.get(number_format)
            if style is None:
                style = styles[number_format] = book.add_format({"num_format": number_format})
        if value is None or value is pd.NA or value is pd.NaT or (
                isinstance(value, float | np.floating) and not math.isfinite(value)):
            continue  # missing (and inf) cells are blank, as in the CSV
        if isinstance(value, bool | np.bool_):
            ws.write_boolean(row, column, bool(value))
        elif isinstance(value, numbers.Real):
            ws.write_number(row, column, float(value), style)
        else:
            ws.write_string(row, column, str(value))
