"""Reading a submission (XLSX or CSV, UTF-8 or GBK) into a frame of text cells with row numbers.

Submissions come from outside, so every file is treated as possibly hostile:
its size, the number of rows and columns, the length of a line and of a
cell are bounded (:data:`LIMITS`) and checked *before* anything grows with
them.  An XLSX sheet is first scanned as a stream of XML (a cell at
``A1048576`` or ``XFD2`` is refused the moment it is seen, in constant
memory) and then read with openpyxl in read-only mode within the scanned
bounds.  Formulas whose result was never saved are reported cell by cell,
never read as blanks.  Whatever cannot be read gives a
:class:`SubmissionError` in Chinese and English, never a traceback.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from pathlib import Path
from xml.etree.ElementTree import iterparse

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

# A unit's yearly file has a few thousand rows of 14 columns; these bounds are far above
# any real submission and far below what would exhaust the machine.
MAX_FILE_BYTES = 100_000_000
MAX_XML_BYTES = 300_000_000       # all parts of an XLSX, uncompressed
MAX_ROWS = 1_000_000
MAX_XLSX_ROWS = 200_000
MAX_COLUMNS = 50
MAX_LINE_CHARS = 20_000
MAX_CELL_CHARS = 1_000
MAX_FORMULAS_LISTED = 200
LIMITS = {"file bytes": MAX_FILE_BYTES, "XLSX unzipped bytes": MAX_XML_BYTES,
          "CSV rows": MAX_ROWS, "XLSX rows": MAX_XLSX_ROWS, "columns": MAX_COLUMNS,
          "line characters": MAX_LINE_CHARS, "cell characters": MAX_CELL_CHARS}
_REF = re.compile(r"^([A-Z]{1,3})(\d{1,7})$")


# -- reading ------------------------------------------------------------------------------
def _problem(sheet: str, row: object, column: str, value: object, en: str, zh: str) -> dict:
    return {"sheet": sheet, "row": row, "column": column, "value": value, "reason_en": en,
            "reason_zh": zh}


class SubmissionError(WorkbenchError):
    """The file cannot be read as a submission at all (not a spreadsheet, no data...).

    ``problems`` lists one row per problem (usually one; one per cell for
    formulas without a saved result).
    """

    def __init__(self, en: str, zh: str, sheet: str = "", row: object = "",
                 problems: list[dict] | None = None):
        super().__init__(en, zh)
        self.problem = _problem(sheet, row, "", "", en, zh)
        self.problems = problems or [self.problem]


def _header_keys(labels: list[object], sheet: str) -> list[str]:
    lookup = {}
    for key, label in TEMPLATE_COLUMNS.items():
        zh, en = label.split(" ", 1)
        lookup.update({key: key, label: key, zh: key, en: key})
    keys = []
    for i, text in enumerate(labels, start=1):
        label = str(text).strip() if text is not None else ""
        # cells beyond the header get a name of their own, so no two columns share ""
        keys.append(lookup.get(label) or lookup.get(label.split(" ")[-1]) or label
                    or f"(column {i})")
    missing = [k for k in (*KEY_COLUMNS, "value") if k not in keys]
    if missing:
        raise SubmissionError(
            f"Header of sheet {sheet!r} lacks column(s) {', '.join(missing)}; found "
            f"{choices_text(labels, 20)}; expected {choices_text(TEMPLATE_COLUMNS.values())}",
            f"工作表 {sheet!r} 表头缺少列：{', '.join(missing)}", sheet, 1)
    named = [k for k in keys if k]
    repeated = sorted({k for k in named if named.count(k) > 1})
    if repeated:
        raise SubmissionError(f"Header of sheet {sheet!r} repeats column(s) "
                              f"{', '.join(repeated)}", f"工作表 {sheet!r} 表头有重复的列："
                              f"{', '.join(repeated)}", sheet, 1)
    return keys


def read_submission(path: str | Path) -> pd.DataFrame:
    """Read a submission (XLSX or CSV) into a table of strings.

    Two bookkeeping columns say where each row came from: ``_sheet`` and
    ``_row`` (the spreadsheet row or CSV line number).  Raises
    :class:`SubmissionError` for files that are not submissions at all,
    exceed :data:`LIMITS`, or hold formulas without a saved result.
    """
    p = Path(path)
    if not p.is_file():
        raise SubmissionError(f"File not found: {p}", f"找不到文件：{p}")
    size = p.stat().st_size
    if size == 0:
        raise SubmissionError(f"{p.name} is empty", f"{p.name} 是空文件")
    if size > MAX_FILE_BYTES:
        raise SubmissionError(f"{p.name} has {size:,} bytes, more than {MAX_FILE_BYTES:,}; "
                              "split it", f"{p.name} 超过 {MAX_FILE_BYTES:,} 字节，请拆分")
    suffix = p.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        frame = _read_xlsx(p)
    elif suffix in (".csv", ".txt"):
        frame = _read_csv(p)
    else:
        raise SubmissionError(f"{p.name} is not a spreadsheet: use .xlsx or .csv",
                              f"{p.name} 不是电子表格文件，请使用 .xlsx 或 .csv")
    _check_cell_length(frame)
    return frame


def _check_cell_length(frame: pd.DataFrame) -> None:
    for i in range(2, frame.shape[1]):  # by position, whatever the header says
        column, values = frame.columns[i], frame.iloc[:, i]
        if pd.api.types.is_numeric_dtype(values):
            continue
        long = (values.astype(object).map(str).str.len() > MAX_CELL_CHARS).to_numpy()
        if long.any():
            row = frame["_row"].to_numpy()[long][0]
            raise SubmissionError(
                f"Row {row}, column {column}: a cell longer than {MAX_CELL_CHARS:,} characters",
                f"第 {row} 行 {column} 列的单元格超过 {MAX_CELL_CHARS:,} 个字符",
                str(frame["_sheet"].iat[0]), row)


# -- CSV --------------------------------------------------------------------------------------
def _decode(raw: bytes, name: str) -> str:
    nul = raw.find(b"\x00")
    if nul >= 0:
        line = raw.count(b"\n", 0, nul) + 1
        raise SubmissionError(f"{name} is not a text (CSV) file: NUL byte on line {line}",
                              f"{name} 不是文本（CSV）文件：第 {line} 行有空字符", name, line)
    for encoding in ("utf-8-sig", "gb18030"):  # GB18030 is a superset of GBK and GB2312
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise SubmissionError(f"{name}: unknown text encoding (use UTF-8 or GBK)",
                          f"{name}：无法识别的编码（请用 UTF-8 或 GBK）")


def _check_lines(raw: bytes, name: str) -> None:
    lengths = np.diff(np.flatnonzero(np.frombuffer(raw + b"\n", dtype=np.uint8) == 10),
                      prepend=-1)
    if len(lengths) - 1 > MAX_ROWS + 1:
        raise SubmissionError(f"{name} has more than {MAX_ROWS:,} rows; split it",
                              f"{name} 超过 {MAX_ROWS:,} 行，请拆分", name)
    long = np.flatnonzero(lengths > MAX_LINE_CHARS * 4)  # bytes; up to 4 per character
    if len(long):
        line = int(long[0]) + 1
        raise SubmissionError(f"{name}: line {line} is longer than {MAX_LINE_CHARS:,} "
                              "characters", f"{name}：第 {line} 行过长", name, line)


def _read_csv(p: Path) -> pd.DataFrame:
    raw = p.read_bytes()
    _check_lines(raw, p.name)
    text = _decode(raw, p.name)
    first = next(csv.reader(io.StringIO(text.splitlines()[0] if text else "")), [])
    if len(first) > MAX_COLUMNS:
        raise SubmissionError(f"{p.name} has {len(first)} columns, more than {MAX_COLUMNS}",
                              f"{p.name} 有 {len(first)} 列，超过 {MAX_COLUMNS} 列", p.name, 1)
    keys = _header_keys([c.strip() for c in first], p.name)
    if text.count("\n") < 1 or not text.split("\n", 1)[1].strip():
        raise SubmissionError(f"{p.name} has a header but no data rows",
                              f"{p.name} 只有表头，没有数据行", p.name, 2)
    key_types = {k: str for k in (*KEY_COLUMNS, "note") if k != "year" and k in keys}
    try:
        frame = pd.read_csv(io.BytesIO(text.encode("utf-8")), engine="pyarrow", header=0,
                            names=keys, dtype=key_types)
    except Exception as err:  # noqa: BLE001 - any parser failure: find the line and say why
        raise _csv_shape_error(text, len(keys), p.name) from err
    frame.insert(0, "_row", np.arange(2, len(frame) + 2))
    frame.insert(0, "_sheet", p.name)
    return frame


def _csv_shape_error(text: str, n_fields: int, name: str) -> SubmissionError:
    """The first line whose number of fields differs from the header's, as a clear error."""
    reader = csv.reader(io.StringIO(text))
    next(reader, None)
    try:
        for fields in reader:
            if fields and len(fields) != n_fields:
                line = reader.line_num
                return SubmissionError(
                    f"{name}: line {line} has {len(fields)} fields, the header has {n_fields}"
                    " (a comma inside a value must be quoted)",
                    f"{name}：第 {line} 行有 {len(fields)} 个字段，表头有 {n_fields} 个"
                    "（值中的逗号须加引号）", name, line)
    except csv.Error as err:
        return SubmissionError(f"{name}: line {reader.line_num} is not valid CSV ({err})",
                               f"{name}：第 {reader.line_num} 行不是有效的 CSV", name,
                               reader.line_num)
    return SubmissionError(f"{name} cannot be read as CSV", f"{name} 无法按 CSV 读取", name)


# -- XLSX -------------------------------------------------------------------------------------
def _unreadable(p: Path, err: object) -> SubmissionError:
    return SubmissionError(f"{p.name} is not a readable XLSX workbook ({err})",
                           f"{p.name} 不是可读取的 XLSX 工作簿（文件损坏或不是 XLSX）")


def _check_archive(p: Path) -> None:
    """Refuse zip bombs and XML with document type declarations before any parsing."""
    try:
        with zipfile.ZipFile(p) as archive:
            members = archive.infolist()
            total = sum(m.file_size for m in members)
            if total > MAX_XML_BYTES:
                raise SubmissionError(
                    f"{p.name} unpacks to {total:,} bytes, more than {MAX_XML_BYTES:,}",
                    f"{p.name} 解压后超过 {MAX_XML_BYTES:,} 字节", "", "")
            for member in members:
                if member.filename.endswith((".xml", ".rels")):
                    with archive.open(member) as fh:
                        head = fh.read(2048)
                    if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
                        raise SubmissionError(
                            f"{p.name}: {member.filename} declares a document type or "
                            "entities, which XLSX never does", f"{p.name} 含有非法的 XML 声明")
    except SubmissionError:
        raise
    except Exception as err:  # noqa: BLE001 - a corrupt zip fails in many ways
        raise _unreadable(p, err) from err


def _read_xlsx(p: Path) -> pd.DataFrame:
    from openpyxl import load_workbook

    _check_archive(p)
    try:
        wb = load_workbook(p, read_only=True, data_only=True)
    except Exception as err:  # noqa: BLE001 - any failure of the parser means unreadable
        raise _unreadable(p, err) from err
    try:
        sheet = next((s for s in SHEET_ALIASES if s in wb.sheetnames), None)
        if sheet is None:
            raise SubmissionError(
                f"{p.name} has no sheet named {SHEET!r}; sheets found: "
                f"{choices_text(wb.sheetnames)}",
                f"{p.name} 中没有名为 {SHEET!r} 的工作表；现有：{choices_text(wb.sheetnames)}")
        ws = wb[sheet]
        scan = _scan_sheet(wb._archive, ws._worksheet_path, sheet)
        try:
            values = list(ws.iter_rows(min_row=1, max_row=max(scan["rows"], 1),
                                       max_col=max(scan["columns"], 1), values_only=True))
        except Exception as err:  # noqa: BLE001 - corrupt cells surface while reading
            raise _unreadable(p, err) from err
    finally:
        wb.close()
    if len(values) < 2:
        raise SubmissionError(f"Sheet {sheet!r} has no data rows", f"工作表 {sheet!r} 没有数据行",
                              sheet, 2)
    keys = _header_keys(list(values[0]), sheet)
    if scan["formulas"]:
        raise _formula_error(scan["formulas"], keys, sheet)
    frame = pd.DataFrame(values[1:], columns=keys, dtype=object)
    frame.insert(0, "_row", np.arange(2, len(frame) + 2))
    frame.insert(0, "_sheet", sheet)
    return frame


def _column_number(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def _scan_sheet(archive: zipfile.ZipFile, member: str, sheet: str) -> dict:
    """Stream the sheet's XML once: its true extent, merged header cells, unsaved formulas.

    Stops at the first cell outside :data:`MAX_XLSX_ROWS` x :data:`MAX_COLUMNS`,
    so a one-cell sheet reaching row 1,048,576 costs nothing.
    """
    found = {"rows": 0, "columns": 0, "formulas": []}
    row_no = col_no = 0
    try:
        with archive.open(member) as fh:
            parent = None
            for event, elem in iterparse(fh, events=("start", "end")):
                tag = elem.tag.rsplit("}", 1)[-1]
                if event == "start":
                    if tag == "sheetData":
                        parent = elem
                    elif tag == "row":
                        row_no = int(elem.get("r") or row_no + 1)
                        col_no = 0
                        _check_extent(row_no, 1, sheet)
                    continue
                if tag == "c":
                    row_no, col_no = _cell_position(elem.get("r"), row_no, col_no, sheet)
                    _check_extent(row_no, col_no, sheet)
                    if _unsaved_formula(elem):
                        found["formulas"].append((row_no, col_no))
                    if _has_content(elem):
                        found["rows"] = max(found["rows"], row_no)
                        found["columns"] = max(found["columns"], col_no)
                elif tag == "row" and parent is not None:
                    parent.clear()  # constant memory: rows are not kept once scanned
                elif tag == "mergeCell":
                    _check_merged(elem.get("ref", ""), sheet)
    except SubmissionError:
        raise
    except Exception as err:  # noqa: BLE001 - malformed XML, bad numbers in attributes ...
        raise SubmissionError(f"Sheet {sheet!r} is corrupt ({err})",
                              f"工作表 {sheet!r} 已损坏（XML 无法解析）", sheet) from err
    return found


def _cell_position(ref: str | None, row_no: int, col_no: int, sheet: str) -> tuple[int, int]:
    if ref is None:
        return row_no, col_no + 1
    match = _REF.match(ref)
    if match is None:
        raise SubmissionError(f"Sheet {sheet!r} has a cell with an invalid reference {ref[:20]!r}",
                              f"工作表 {sheet!r} 有无效的单元格引用", sheet)
    return int(match.group(2)), _column_number(match.group(1))


def _check_extent(row_no: int, col_no: int, sheet: str) -> None:
    if row_no > MAX_XLSX_ROWS + 1 or col_no > MAX_COLUMNS:
        from openpyxl.utils import get_column_letter

        where = f"{get_column_letter(min(col_no, 16384))}{row_no}"
        raise SubmissionError(
            f"Sheet {sheet!r} has a cell at {where}, beyond {MAX_XLSX_ROWS:,} rows x "
            f"{MAX_COLUMNS} columns; delete the cells outside the data (Ctrl+End shows the "
            "last one) or split the file",
            f"工作表 {sheet!r} 在 {where} 有单元格，超出 {MAX_XLSX_ROWS:,} 行 × {MAX_COLUMNS} 列；"
            "请删除数据区域以外的单元格或拆分文件", sheet, row_no)


def _children(elem: object) -> dict[str, object]:
    return {child.tag.rsplit("}", 1)[-1]: child for child in elem}


def _unsaved_formula(elem: object) -> bool:
    parts = _children(elem)
    value = parts.get("v")
    return "f" in parts and (value is None or not (value.text or "").strip())


def _has_content(elem: object) -> bool:
    parts = _children(elem)
    return any((p.text or "").strip() or len(p) for p in parts.values())


def _check_merged(ref: str, sheet: str) -> None:
    first = ref.split(":")[0]
    match = _REF.match(first)
    if match and int(match.group(2)) == 1:
        raise SubmissionError(f"Sheet {sheet!r} has merged header cells {ref}; use one header "
                              "row of single cells as in the template",
                              f"工作表 {sheet!r} 表头有合并单元格 {ref}", sheet, 1)


def _formula_error(cells: list[tuple[int, int]], keys: list[str], sheet: str) -> SubmissionError:
    """One problem per formula cell whose result was never saved (it is not a blank)."""
    def column(c: int) -> str:
        return keys[c - 1] if 0 < c <= len(keys) and keys[c - 1] else f"column {c}"

    en = ("formula without a saved result: open the file in Excel or WPS and save it, "
          "or paste the values")
    zh = "公式没有保存计算结果：请在 Excel 或 WPS 中打开并保存，或粘贴为数值"
    problems = [_problem(sheet, r, column(c), "", en, zh)
                for r, c in cells[:MAX_FORMULAS_LISTED]]
    more = len(cells) - len(problems)
    if more:
        problems.append(_problem(sheet, "—", "", "", f"... and {more} more formula cells",
                                 f"……另有 {more} 个公式单元格"))
    return SubmissionError(f"Sheet {sheet!r} has {len(cells)} formula cell(s) without a saved "
                           "result", f"工作表 {sheet!r} 有 {len(cells)} 个公式单元格没有保存结果",
                           sheet, cells[0][0], problems)
