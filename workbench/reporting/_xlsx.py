"""The XLSX of a published table: full-precision values, each shown as the report shows it.

The cells keep the values of the CSV; only Excel's display format changes, decided by
the same rule as the HTML, Word and PDF tables (:func:`._format.display_rule`): the
decimals of each row's indicator (by its unit in the catalogue), whole numbers grouped
by thousands, years without a separator, p-values as ``< 0.001`` or three decimals,
proportions as percentages.  Formats are decided per column (one per indicator row in a
value column), so a long table costs one assignment per numeric cell.

Examples
--------
>>> import pandas as pd
>>> number_formats(pd.DataFrame({"year": [2024, 2025], "p": [0.2, 1e-9], "v": [1.25, 2.5]}))
['0', '[<0.001]"< 0.001";0.000', '#,##0.00']
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from ..foundation.safe_io import neutralise, neutralise_value, open_private
from ._flags import numbers_with_marks
from ._format import code_column, display_rule, unit_decimals

__all__ = ["write_xlsx", "number_formats", "P_FORMAT"]

# Excel's conditional section shows tiny p-values as the report does; the cell keeps the value
P_FORMAT = '[<0.001]"< 0.001";0.000'


def _excel(decimals: int, thousands: bool = True, percent: bool = False) -> str:
    body = ("#,##0" if thousands else "0") + ("." + "0" * decimals if decimals > 0 else "")
    return body + "%" if percent else body


def number_formats(df: pd.DataFrame, catalogue: Any | None = None,
                   decimals: dict[str, int] | None = None,
                   percent: list[str] | tuple[str, ...] = ()) -> list[str | pd.Series | None]:
    """Excel number format of each column, by position: a string, a Series by row, or None.

    A Series is returned for an indicator-value column of a table whose rows are
    indicators (a column of catalogue codes): each row takes its indicator's decimals.
    Text and yes/no columns get None.  Columns are taken by position, since a published
    table may carry two columns with the same header (a code and its label).
    """
    decimals = decimals or {}
    by_code = unit_decimals(catalogue)
    flat = df.set_axis(range(df.shape[1]), axis=1)
    code_col = code_column(flat, by_code)
    row_decimals = flat[code_col].map(by_code) if code_col is not None else None
    formats: list[str | pd.Series | None] = []
    for i, name in enumerate(df.columns):  # columns, not rows
        numbers = numbers_with_marks(flat[i])  # suppressed cells ("x") stay text
        kind, places, thousands = display_rule(name, flat[i] if numbers is None else numbers,
                                               row_decimals, decimals.get(name),
                                               name in percent)
        if kind == "p":
            formats.append(P_FORMAT)
        elif kind == "fixed" and isinstance(places, pd.Series):
            codes = {d: _excel(int(d), thousands) for d in places.unique()}
            formats.append(places.map(codes))
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
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    start_row = 2 if title else 0
    formats = number_formats(df, catalogue, decimals, percent)
    with open_private(path) as fh, pd.ExcelWriter(fh, engine="openpyxl") as writer:
        neutralise(df).to_excel(writer, sheet_name=sheet, index=False, startrow=start_row)
        ws = writer.sheets[sheet]
        if title:
            ws.cell(row=1, column=1, value=neutralise_value(title)).font = Font(bold=True, size=13)
        header_row = start_row + 1
        for cell in ws[header_row]:
            cell.font = Font(bold=True)
            cell.fill = PatternFill("solid", fgColor="DDEBF7")
            cell.alignment = Alignment(wrap_text=True, vertical="center")
        ws.freeze_panes = ws.cell(row=header_row + 1, column=1)
        for i, col in enumerate(df.columns, start=1):
            values = [str(col), *df.iloc[:200, i - 1].map(str)]
            # CJK characters are about twice as wide as Latin ones
            width = max(sum(2 if ord(ch) > 0x2E80 else 1 for ch in v) for v in values)
            ws.column_dimensions[get_column_letter(i)].width = min(max(width + 2, 8), 60)
            if formats[i - 1] is not None:
                _apply(ws, i, header_row + 1, len(df), formats[i - 1])
        for j, note in enumerate(notes or [], start=header_row + len(df) + 2):
            ws.cell(row=j, column=1, value=neutralise_value(note)).font = Font(italic=True, size=9)


def _apply(ws: Any, column: int, first: int, n: int, fmt: str | pd.Series) -> None:
    """Set one column's display format on its value cells (one format, or one per row)."""
    if n == 0:
        return
    per_row = fmt.tolist() if isinstance(fmt, pd.Series) else [fmt] * n
    cells = ws.iter_rows(min_row=first, max_row=first + n - 1, min_col=column, max_col=column)
    for (cell,), number_format in zip(cells, per_row, strict=True):
        cell.number_format = number_format
