"""The yearly submission round: templates, validation, ingestion, merge, export.

Each responsible unit (and each district) sends its figures once a year.
This module makes that round safe:

- :func:`write_template` writes an XLSX template per unit and year with the
  indicators the unit reports, one row per expected cell (every
  disaggregation the catalogue requires), units and definitions, locked key
  columns and drop-down lists;
- :func:`read_submission` reads XLSX or CSV (UTF-8 or GBK/GB18030, which
  Excel in China writes) and :func:`check_submission` lists every problem
  with sheet, row, column and reason in Chinese and English;
- :func:`ingest_submission` writes a clean file in one transaction, as new
  revisions where values changed (never overwriting), and refuses large
  revisions unless they are accepted;
- :func:`merge_databases` merges district databases into the city database,
  reporting conflicts; :func:`export_observations` gives partners a clean
  extract with a data dictionary.

Examples
--------
>>> from workbench.submissions import expected_rows
>>> rows = expected_rows("education", 2025, regions=["210102"])
>>> rows[["indicator", "sex"]].head(3).values.tolist()
[['E01', 'total'], ['E01', 'male'], ['E01', 'female']]
"""

from __future__ import annotations

import io
import time
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from ..foundation import config
from ..foundation.catalogue import Catalogue, load_catalogue
from .database import Database, connect
from ..foundation.errors import WorkbenchError, choices_text
from ..foundation.regions import Regions, load_regions
from .validation import (
    DIMENSION_VALUES,
    KEY_COLUMNS,
    coerce_observations,
    find_problems,
    is_blank,
)

__all__ = ["expected_rows", "write_template", "read_submission", "check_submission",
           "ingest_submission", "merge_databases", "export_observations", "CheckReport",
           "IngestResult", "open_for_writing", "SHEET", "TEMPLATE_COLUMNS",
           "REVISION_THRESHOLD"]

SHEET = "填报数据 data"
SHEET_ALIASES = (SHEET, "data", "填报数据")
# Relative change above which a revision must be accepted explicitly.
REVISION_THRESHOLD = 0.2
TEMPLATE_COLUMNS = {
    "indicator": "指标代码 indicator", "indicator_name": "指标名称 indicator name",
    "unit": "单位 unit", "region": "地区代码 region", "region_name": "地区名称 region name",
    "year": "年份 year", "sex": "性别 sex", "age_group": "年龄组 age_group",
    "residence": "城乡 residence", "hukou": "户籍 hukou", "value": "数值 value",
    "numerator": "分子 numerator", "denominator": "分母 denominator", "note": "备注 note",
}
_PROBLEM_COLUMNS = ["sheet", "row", "column", "value", "reason_en", "reason_zh"]
_INPUT_COLUMNS = ("value", "numerator", "denominator", "note")
_BREAKDOWN_LEVELS = {"sex": ("male", "female"), "residence": ("urban", "rural"),
                     "hukou": ("local", "migrant")}


# -- expected rows and the template -------------------------------------------------------
def breakdown_levels(catalogue: Catalogue, codes: list[str] | None = None) -> pd.DataFrame:
    """Per indicator, the cells a complete report has: the total and every breakdown level."""
    frames = []
    for code in codes or catalogue.codes:
        ind = catalogue[code]
        levels = [("total", "total")]
        for dim in ind.disaggregations:
            values = ind.age_groups if dim == "age_group" else _BREAKDOWN_LEVELS[dim]
            levels += [(dim, v) for v in values]
        cells = pd.DataFrame([{d: (v if d == dim else "total") for d in DIMENSION_VALUES}
                              for dim, v in levels])
        frames.append(cells.assign(indicator=code))
    return pd.concat(frames, ignore_index=True)


def _cells(groups: pd.DataFrame, catalogue: Catalogue, regions: Regions) -> pd.DataFrame:
    """Expected cells of (indicator, region, year) groups; no urban/rural split where a
    region has no rural part."""
    con = duckdb.connect()
    con.register("groups", groups[["indicator", "region", "year"]])
    levels = breakdown_levels(catalogue, sorted(set(groups["indicator"])))
    con.register("levels", levels.assign(_pos=np.arange(len(levels))))
    con.register("urban_only", regions.table.loc[regions.table["urbanisation"].eq("urban"),
                                                 ["code"]].reset_index(drop=True))
    cells = con.execute(
        "SELECT g.indicator, g.region, g.year, l.sex, l.age_group, l.residence, l.hukou "
        "FROM groups g JOIN levels l USING (indicator) "
        "WHERE l.residence = 'total' OR g.region NOT IN (SELECT code FROM urban_only) "
        "ORDER BY g.indicator, g.region, g.year, l._pos").df()
    con.close()
    return cells


def expected_rows(unit: str, year: int, regions: list[str] | None = None,
                  catalogue: Catalogue | None = None,
                  region_table: Regions | None = None) -> pd.DataFrame:
    """The cells a unit is expected to report for a year, one row each.

    Per indicator and region: the total row, then one row per level of each
    disaggregation in the catalogue (sex, the indicator's age groups,
    urban/rural where the region has a rural part, hukou).
    """
    catalogue = catalogue or load_catalogue()
    region_table = region_table or load_regions()
    codes = regions or list(region_table.at_level("district")["code"])
    region_table.check_codes(codes)
    groups = pd.DataFrame({"indicator": catalogue.reported_by(unit)["code"].tolist()}).merge(
        pd.DataFrame({"region": codes, "year": int(year)}), how="cross")
    return _cells(groups, catalogue, region_table)


def write_template(unit: str, year: int, path: str | Path | None = None,
                   regions: list[str] | None = None) -> Path:
    """Write the XLSX submission template of a unit for a year; return its path."""
    from openpyxl import Workbook

    catalogue, region_table = load_catalogue(), load_regions()
    rows = expected_rows(unit, year, regions, catalogue, region_table)
    target = Path(path) if path else (config.paths().outputs / "templates"
                                      / f"template_{unit}_{year}.xlsx")
    target.parent.mkdir(parents=True, exist_ok=True)
    wb = Workbook()
    _data_sheet(wb.active, rows, catalogue, region_table)
    _indicator_sheet(wb.create_sheet("指标说明 indicators"), catalogue.reported_by(unit))
    _instruction_sheet(wb.create_sheet("填报说明 instructions"), unit, year)
    tmp = target.with_name(f".{target.name}.tmp")
    wb.save(tmp)
    tmp.replace(target)
    return target


def _data_sheet(ws, rows: pd.DataFrame, catalogue: Catalogue, regions: Regions) -> None:
    from openpyxl.styles import Font, PatternFill, Protection
    from openpyxl.worksheet.datavalidation import DataValidation

    ws.title = SHEET
    table = rows.assign(
        indicator_name=rows["indicator"].map(catalogue.table["name_zh"]),
        unit=rows["indicator"].map(catalogue.table["unit_zh"]),
        region_name=rows["region"].map(regions.table["name_zh"]),
        value=None, numerator=None, denominator=None, note=None)[list(TEMPLATE_COLUMNS)]
    ws.append(list(TEMPLATE_COLUMNS.values()))
    for record in table.itertuples(index=False):  # a template has hundreds of rows at most
        ws.append(list(record))
    header_fill = PatternFill("solid", fgColor="DDEBF7")
    input_fill = PatternFill("solid", fgColor="FFF2CC")
    for cell in ws[1]:
        cell.font, cell.fill = Font(bold=True), header_fill
    last = ws.max_row
    for j, key in enumerate(TEMPLATE_COLUMNS, start=1):
        letter = ws.cell(row=1, column=j).column_letter
        ws.column_dimensions[letter].width = 28 if key.endswith("name") else 14
        if key in _INPUT_COLUMNS:
            for (cell,) in ws.iter_rows(min_row=2, max_row=last, min_col=j, max_col=j):
                cell.protection, cell.fill = Protection(locked=False), input_fill
    numbers = DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0",
                             showErrorMessage=True, error="请填写非负数字 / a number >= 0")
    ws.add_data_validation(numbers)
    for key in ("value", "numerator", "denominator"):
        letter = ws.cell(row=1, column=list(TEMPLATE_COLUMNS).index(key) + 1).column_letter
        numbers.add(f"{letter}2:{letter}{last}")
    for dim, values in DIMENSION_VALUES.items():
        listed = DataValidation(type="list", formula1='"' + ",".join(values) + '"')
        ws.add_data_validation(listed)
        letter = ws.cell(row=1, column=list(TEMPLATE_COLUMNS).index(dim) + 1).column_letter
        listed.add(f"{letter}2:{letter}{last}")
    ws.freeze_panes = "A2"
    ws.protection.sheet = True  # keys and header locked; input columns unlocked above


def _indicator_sheet(ws, indicators: pd.DataFrame) -> None:
    columns = ["code", "name_zh", "name_en", "unit_zh", "unit_en", "direction",
               "disaggregations", "age_groups", "denominator", "target_2025_op", "target_2025",
               "target_2025_prov", "target_2030_op", "target_2030", "target_2030_prov", "notes"]
    ws.append(columns)
    for record in indicators[columns].itertuples(index=False):
        ws.append([None if isinstance(v, float) and np.isnan(v) else v for v in record])
    ws.append([])
    ws.append(["Provenance: F published, D derived, R programme text (unverified), "
               "P demo placeholder — not an official target / P 为演示占位值，非官方目标"])


def _instruction_sheet(ws, unit: str, year: int) -> None:
    lines = [
        f"填报单位 unit: {unit}    年份 year: {year}",
        "1. 只在黄色单元格填写数值、分子、分母和备注；其他列已锁定。",
        "   Fill in only the yellow cells (value, numerator, denominator, note); keys are locked.",
        "2. 比率类指标请同时填写分子和分母，数值须等于 分子/分母 × 单位倍数。",
        "   For rates give numerator and denominator; value must equal num/den x the unit scale.",
        "3. 某指标某地区填报了任何一行，则该指标要求的全部分组行都须填写。",
        "   Once any row of an indicator and region is filled, every required breakdown row is.",
        "4. 未掌握的数据请留空，不要填 0。 Leave unknown values blank; never type 0 for unknown.",
    ]
    for line in lines:
        ws.append([line])
    ws.column_dimensions["A"].width = 100


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


# -- checking -----------------------------------------------------------------------------
@dataclass
class CheckReport:
    """The result of checking a submission: the rows to write and every problem."""

    source: str
    rows: pd.DataFrame
    problems: pd.DataFrame
    not_reported: int = 0
    revisions: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def ok(self) -> bool:
        return self.problems.empty

    def table(self, lang: str = "zh") -> pd.DataFrame:
        """Problems as a table with the reason in one language."""
        reason = "reason_zh" if lang == "zh" else "reason_en"
        return self.problems[["sheet", "row", "column", "value", reason]].rename(
            columns={reason: "reason"})

    def write(self, path: str | Path) -> Path:
        """Write the problems (both languages) as CSV (UTF-8 with BOM)."""
        target = Path(path)
        self.problems.to_csv(target, index=False, encoding="utf-8-sig")
        return target

    def __repr__(self) -> str:
        state = "OK" if self.ok else f"{len(self.problems)} problem(s)"
        return (f"<CheckReport {self.source}: {state}; {len(self.rows):,} rows to write, "
                f"{self.not_reported:,} left blank>")

    def _repr_html_(self) -> str:
        return f"<p>{self.__repr__()[1:-1]}</p>" + self.table("zh").head(50).to_html(index=False)


def check_submission(path: str | Path, catalogue: Catalogue | None = None,
                     regions: Regions | None = None) -> CheckReport:
    """Read and check a submission; nothing is written anywhere."""
    catalogue = catalogue or load_catalogue()
    regions = regions or load_regions()
    try:
        frame = read_submission(path)
    except SubmissionError as err:
        return CheckReport(str(path), pd.DataFrame(), pd.DataFrame([err.problem]))
    for col in ("numerator", "denominator"):
        if col not in frame:
            frame[col] = np.nan
    unreported = is_blank(frame["value"]) & is_blank(frame["numerator"]) & \
        is_blank(frame["denominator"])
    reported = frame[~unreported]
    found = find_problems(reported.drop(columns=["_sheet", "_row"]), catalogue, regions)
    problems = pd.DataFrame({
        "sheet": reported["_sheet"].reindex(found["index"]).to_numpy(),
        "row": reported["_row"].reindex(found["index"]).to_numpy(),
        "column": found["column"], "value": found["value"],
        "reason_en": found["reason_en"], "reason_zh": found["reason_zh"]})
    problems = pd.concat([problems, _missing_breakdowns(frame, unreported, catalogue, regions)],
                         ignore_index=True)
    return CheckReport(str(path), reported.drop(columns=["_sheet", "_row"]), problems,
                       int(unreported.sum()))


def _missing_breakdowns(frame: pd.DataFrame, unreported: pd.Series, catalogue: Catalogue,
                        regions: Regions) -> pd.DataFrame:
    """Rows required by the catalogue but blank or absent, for groups that were reported."""
    keys = frame[KEY_COLUMNS].astype(str).assign(
        year=pd.to_numeric(frame["year"], errors="coerce"), _row=frame["_row"],
        _blank=unreported.to_numpy())
    known = keys["indicator"].isin(catalogue.codes) & keys["region"].isin(regions.codes) & \
        keys["year"].notna() & ~keys["_blank"]
    groups = keys.loc[known, ["indicator", "region", "year"]].drop_duplicates()
    if groups.empty:
        return pd.DataFrame(columns=_PROBLEM_COLUMNS)
    con = duckdb.connect()
    con.register("needed", _cells(groups, catalogue, regions))
    con.register("sent", keys)
    on = " AND ".join(f"n.{k} = s.{k}" for k in KEY_COLUMNS)
    gaps = con.execute(  # needed cells with no reported row; the blank template row if any
        f"SELECT n.*, (SELECT min(s._row) FROM sent s WHERE {on} AND s._blank) AS _row "
        f"FROM needed n WHERE NOT EXISTS (SELECT 1 FROM sent s WHERE {on} AND NOT s._blank) "
        "ORDER BY n.indicator, n.region, n.year").df()
    con.close()
    if gaps.empty:
        return pd.DataFrame(columns=_PROBLEM_COLUMNS)
    described = gaps[list(DIMENSION_VALUES)].apply(
        lambda g: " ".join(f"{d}={v}" for d, v in g.items() if v != "total") or "total", axis=1)
    where = gaps["indicator"] + " " + gaps["region"] + " " + \
        gaps["year"].astype(int).astype(str)
    return pd.DataFrame({
        "sheet": frame["_sheet"].iloc[0],
        "row": gaps["_row"].astype(object).where(gaps["_row"].notna(), "—").to_numpy(),
        "column": "value", "value": "",
        "reason_en": ("missing required disaggregation " + described + " of " + where)
        .to_numpy(),
        "reason_zh": ("缺少必报分组 " + described + "（" + where + "）").to_numpy()})


# -- writing ------------------------------------------------------------------------------
def open_for_writing(path: str | Path | None = None, wait: float = 30.0) -> Database:
    """Open a database for writing, waiting up to ``wait`` seconds for another writer.

    DuckDB allows one writing process at a time; a second ingest waits its
    turn instead of failing at once, and gives a clear message after ``wait``.
    """
    deadline = time.monotonic() + wait
    while True:
        try:
            return connect(path, read_only=False)
        except WorkbenchError as err:
            if "another process" not in err.en or time.monotonic() >= deadline:
                raise
            time.sleep(0.2)


def _revision_preview(db: Database, rows: pd.DataFrame, threshold: float) -> pd.DataFrame:
    """Cells whose value would change, with the relative change and whether it is large."""
    current = db.observations(indicators=sorted(set(rows["indicator"])), breakdown=None)
    joined = rows[[*KEY_COLUMNS, "value"]].merge(
        current[[*KEY_COLUMNS, "value"]].rename(columns={"value": "stored"}), on=KEY_COLUMNS)
    return _large(joined[joined["value"] != joined["stored"]], threshold).reset_index(drop=True)


@dataclass
class IngestResult:
    """What an ingest did (or why it did nothing)."""

    status: str  # "ingested", "rejected" or "needs_acceptance"
    report: CheckReport
    batch_id: int | None = None
    n_new: int = 0
    n_revised: int = 0
    n_unchanged: int = 0

    @property
    def large_revisions(self) -> pd.DataFrame:
        rev = self.report.revisions
        return rev[rev["large"]] if len(rev) else rev

    def __repr__(self) -> str:
        if self.status == "ingested":
            return (f"<IngestResult ingested as batch {self.batch_id}: {self.n_new:,} new, "
                    f"{self.n_revised:,} revised, {self.n_unchanged:,} unchanged>")
        if self.status == "needs_acceptance":
            return (f"<IngestResult not ingested: {len(self.large_revisions)} large revision(s) "
                    "need --accept-revisions>")
        return f"<IngestResult rejected: {len(self.report.problems)} problem(s)>"


def ingest_submission(path: str | Path, submitted_by: str, reason: str = "",
                      database: str | Path | None = None, accept_revisions: bool = False,
                      threshold: float = REVISION_THRESHOLD, wait: float = 30.0) -> IngestResult:
    """Check a submission and write it in one transaction, or write nothing.

    Changed values become new revisions (who, when, why, which file); values
    changing by more than ``threshold`` (relative) are refused unless
    ``accept_revisions``.  An interrupted ingest leaves the database as it was.
    """
    from ..foundation.files import file_sha256

    with connect(database) as reader:
        catalogue, regions = reader.catalogue(), reader.regions()
    report = check_submission(path, catalogue, regions)
    if not report.ok:
        return IngestResult("rejected", report)
    rows = coerce_observations(report.rows)
    with open_for_writing(database, wait) as db:
        report.revisions = _revision_preview(db, rows, threshold)
        if report.revisions["large"].any() and not accept_revisions:
            return IngestResult("needs_acceptance", report)
        summary = db.write_validated(rows, recorded_by=submitted_by,
                                     reason=reason, source_file=Path(path).name,
                                     file_sha256=file_sha256(Path(path)))
    return IngestResult("ingested", report, summary.batch_id, summary.n_new, summary.n_revised,
                        summary.n_unchanged)


# -- interconnection ----------------------------------------------------------------------
@dataclass
class MergeResult:
    """Outcome of merging district databases into the city database."""

    status: str  # "merged", "conflicts" or "needs_acceptance"
    conflicts: pd.DataFrame
    revisions: pd.DataFrame
    batch_id: int | None = None
    n_new: int = 0
    n_revised: int = 0
    n_unchanged: int = 0

    def __repr__(self) -> str:
        if self.status == "merged":
            return (f"<MergeResult merged as batch {self.batch_id}: {self.n_new:,} new, "
                    f"{self.n_revised:,} revised, {self.n_unchanged:,} unchanged>")
        return (f"<MergeResult {self.status}: {len(self.conflicts)} conflict(s), "
                f"{int(self.revisions['large'].sum()) if len(self.revisions) else 0} large "
                "revision(s)>")


def _large(changes: pd.DataFrame, threshold: float) -> pd.DataFrame:
    changes = changes.copy()
    changes["relative_change"] = (changes["value"] - changes["stored"]).abs() / \
        changes["stored"].abs().where(changes["stored"] != 0, np.nan)
    changes["large"] = changes["relative_change"].isna() | \
        (changes["relative_change"] > threshold)
    return changes


def merge_databases(sources: list[str | Path], into: str | Path, submitted_by: str,
                    accept_revisions: bool = False, threshold: float = REVISION_THRESHOLD,
                    wait: float = 30.0) -> MergeResult:
    """Merge district databases into the city database in one transaction.

    The same cell with different values in two sources is a conflict: the
    merge stops and lists them.  Values that differ from the city's become
    revisions, with the same acceptance rule as an ingest.  The sources'
    rows were validated when they were written to their own databases; here
    their codes are checked against the city's catalogue and regions.
    """
    with open_for_writing(into, wait) as db:
        conflicts = db.stage_databases(sources)
        if len(conflicts):
            return MergeResult("conflicts", conflicts, pd.DataFrame())
        revisions = _large(db.staged_changes(), threshold)
        if revisions["large"].any() and not accept_revisions:
            return MergeResult("needs_acceptance", conflicts, revisions)
        names = ", ".join(Path(s).name for s in sources)
        summary = db.write_staged(submitted_by, f"merge of {names}", names)
    return MergeResult("merged", conflicts, revisions, summary.batch_id, summary.n_new,
                       summary.n_revised, summary.n_unchanged)


_DICTIONARY = [
    ("indicator", "指标代码", "Indicator code (see the catalogue sheet/file)"),
    ("region", "地区代码", "Administrative code of the region"),
    ("year", "年份", "Year of the observation"),
    ("sex", "性别", "total / male / female"),
    ("age_group", "年龄组", "total / 0-2 / 3-5 / 6-11 / 12-14 / 15-17"),
    ("residence", "城乡", "total / urban / rural"),
    ("hukou", "户籍", "total / local / migrant"),
    ("value", "数值", "The published value, in the indicator's unit"),
    ("numerator", "分子", "Numerator of a rate, where reported"),
    ("denominator", "分母", "Denominator of a rate, where reported"),
    ("se", "标准误", "Standard error of a survey estimate"),
    ("source", "来源", "admin (administrative records) or survey"),
    ("imputed", "插补", "True when the value was imputed, not observed"),
    ("provisional", "初步数", "True when the value is provisional"),
]
EXPORT_FORMATS = ("parquet", "csv", "xlsx")


def export_observations(fmt: str, out_dir: str | Path | None = None,
                        database: str | Path | None = None) -> Path:
    """Write a clean extract of the current observations with a data dictionary.

    Files: ``observations.<fmt>``, ``data_dictionary.csv`` and
    ``indicators.csv`` (the catalogue), in a folder that appears only when
    complete.
    """
    if fmt not in EXPORT_FORMATS:
        raise WorkbenchError(f"Unknown export format {fmt!r}; valid: "
                             f"{choices_text(EXPORT_FORMATS)}",
                             f"未知导出格式 {fmt!r}；可选：{choices_text(EXPORT_FORMATS)}")
    with connect(database) as db:
        obs = db.observations(breakdown=None)
        catalogue = db.catalogue().table.reset_index(drop=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    target = Path(out_dir) if out_dir else config.paths().outputs / "exports" / stamp
    work = target.with_name(f".{target.name}.partial")
    work.mkdir(parents=True, exist_ok=False)
    if fmt == "parquet":
        obs.to_parquet(work / "observations.parquet", index=False)
    elif fmt == "csv":
        obs.to_csv(work / "observations.csv", index=False, encoding="utf-8-sig")
    else:
        if len(obs) > 1_048_575:
            raise WorkbenchError("Too many rows for one XLSX sheet; export as parquet or csv",
                                 "行数超过 XLSX 上限，请导出为 parquet 或 csv")
        obs.to_excel(work / "observations.xlsx", index=False, sheet_name="observations")
    pd.DataFrame(_DICTIONARY, columns=["column", "name_zh", "description"]).to_csv(
        work / "data_dictionary.csv", index=False, encoding="utf-8-sig")
    catalogue.to_csv(work / "indicators.csv", index=False, encoding="utf-8-sig")
    work.rename(target)
    return target
