"""Reading a submission (XLSX or CSV, UTF-8 or GBK) into a frame of text cells with row numbers."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from ..foundation.errors import WorkbenchError, choices_text
from ._submission_template import (
    SHEET,
    SHEET_ALIASES,
    TEMPLATE_COLUMNS,
)
from .validation import (
    KEY_COLUMNS,
)


# -- reading ------------------------------------------------------------------------------
def _problem(sheet: str, row: object, column: str, value: object, en: str, zh: str) -> dict:
    return {"sheet": sheet, "row": row, "column": column, "value": value, "reason_en": en,
            "reason_zh": zh}


class SubmissionError(WorkbenchError):
    """The file cannot be read as a submission at all (not a spreadsheet, no data...)."""

    def __init__(self, en: str, zh: str, sheet: str = "", row: object = ""):
        super().__init__(en, zh)
        self.problem = _problem(sheet, row, "", "", en, zh)


def _header_keys(labels: list[object], sheet: str) -> list[str]:
    lookup = {}
    for key, label in TEMPLATE_COLUMNS.items():
        zh, en = label.split(" ", 1)
        lookup.update({key: key, label: key, zh: key, en: key})
    keys, unknown = [], []
    for text in labels:
        label = str(text).strip() if text is not None else ""
        key = lookup.get(label) or lookup.get(label.split(" ")[-1])
        if key is None:
            unknown.append(label)
        keys.append(key or label)
    missing = [k for k in (*KEY_COLUMNS, "value") if k not in keys]
    if missing:
        raise SubmissionError(
            f"Header of sheet {sheet!r} lacks column(s) {', '.join(missing)}; found "
            f"{choices_text(labels)}; expected {choices_text(TEMPLATE_COLUMNS.values())}",
            f"工作表 {sheet!r} 表头缺少列：{', '.join(missing)}", sheet, 1)
    return keys


def read_submission(path: str | Path) -> pd.DataFrame:
    """Read a submission (XLSX or CSV) into a table of strings.

    Two bookkeeping columns say where each row came from: ``_sheet`` and
    ``_row`` (the spreadsheet row or CSV line number).  Raises
    :class:`SubmissionError` for files that are not submissions at all.
    """
    p = Path(path)
    if not p.exists():
        raise SubmissionError(f"File not found: {p}", f"找不到文件：{p}")
    if p.stat().st_size == 0:
        raise SubmissionError(f"{p.name} is empty", f"{p.name} 是空文件")
    suffix = p.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(p)
    if suffix in (".csv", ".txt"):
        return _read_csv(p)
    raise SubmissionError(f"{p.name} is not a spreadsheet: use .xlsx or .csv",
                          f"{p.name} 不是电子表格文件，请使用 .xlsx 或 .csv")


def _decode(raw: bytes, name: str) -> str:
    if b"\x00" in raw[:4096]:
        raise SubmissionError(f"{name} is not a text (CSV) file", f"{name} 不是文本（CSV）文件")
    for encoding in ("utf-8-sig", "gb18030"):  # GB18030 is a superset of GBK and GB2312
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise SubmissionError(f"{name}: unknown text encoding (use UTF-8 or GBK)",
                          f"{name}：无法识别的编码（请用 UTF-8 或 GBK）")


def _read_csv(p: Path) -> pd.DataFrame:
    text = _decode(p.read_bytes(), p.name)
    first = text.split("\n", 1)[0].rstrip("\r")
    keys = _header_keys([c.strip().strip('"') for c in first.split(",")], p.name)
    if text.count("\n") < 1 or not text.split("\n", 1)[1].strip():
        raise SubmissionError(f"{p.name} has a header but no data rows",
                              f"{p.name} 只有表头，没有数据行", p.name, 2)
    key_types = {k: str for k in (*KEY_COLUMNS, "note") if k != "year" and k in keys}
    frame = pd.read_csv(io.BytesIO(text.encode("utf-8")), engine="pyarrow", header=0,
                        names=keys, dtype=key_types)
    frame.insert(0, "_row", np.arange(2, len(frame) + 2))
    frame.insert(0, "_sheet", p.name)
    return frame


def _read_xlsx(p: Path) -> pd.DataFrame:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        wb = load_workbook(p, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, OSError, KeyError, ValueError) as err:
        raise SubmissionError(f"{p.name} is not a readable XLSX workbook ({err})",
                              f"{p.name} 不是可读取的 XLSX 工作簿") from err
    sheet = next((s for s in SHEET_ALIASES if s in wb.sheetnames), None)
    if sheet is None:
        raise SubmissionError(
            f"{p.name} has no sheet named {SHEET!r}; sheets found: {choices_text(wb.sheetnames)}",
            f"{p.name} 中没有名为 {SHEET!r} 的工作表；现有：{choices_text(wb.sheetnames)}")
    ws = wb[sheet]
    merged = [str(r) for r in ws.merged_cells.ranges if r.min_row == 1]
    if merged:
        raise SubmissionError(f"Sheet {sheet!r} has merged header cells {', '.join(merged)}; "
                              "use one header row of single cells as in the template",
                              f"工作表 {sheet!r} 表头有合并单元格 {', '.join(merged)}", sheet, 1)
    values = list(ws.values)
    if not values or len(values) < 2:
        raise SubmissionError(f"Sheet {sheet!r} has no data rows", f"工作表 {sheet!r} 没有数据行",
                              sheet, 2)
    keys = _header_keys(list(values[0]), sheet)
    frame = pd.DataFrame(values[1:], columns=keys, dtype=object)
    frame.insert(0, "_row", np.arange(2, len(frame) + 2))
    frame.insert(0, "_sheet", sheet)
    return frame

