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

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from ..foundation import config
from ..foundation.catalogue import Catalogue, load_catalogue
from ..foundation.errors import WorkbenchError, choices_text
from ..foundation.regions import Regions, load_regions
from ._submission_reader import (
    SubmissionError,
    read_submission,
)
from ._submission_template import (
    _PROBLEM_COLUMNS,
    REVISION_THRESHOLD,
    SHEET,
    SHEET_ALIASES,
    TEMPLATE_COLUMNS,
    _cells,
    breakdown_levels,
    expected_rows,
    write_template,
)
from .database import Database, connect
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
           "REVISION_THRESHOLD", "SHEET_ALIASES", "breakdown_levels"]



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
