"""What a report was made from, computed from the data themselves.

Every report opens with one line saying which data it rests on: the
monitoring database (file name, SHA-256, latest ingest and who submitted
it) or a survey/CSV file (file name and SHA-256).  Demo data are labelled
demo only when they *are* the demo: the demo builder writes
``synthetic = true`` into the database's ``meta`` table (and into the demo
survey's Parquet metadata, and a marker line into its CSVs); nothing in a
notebook says so.

:class:`Provenance` is a small frozen dataclass so a report's title page,
the exported tables and the run manifest can all read the same facts.

Examples
--------
>>> import tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "my_survey.csv"
>>> _ = p.write_text("id,x\\n1,2\\n")
>>> prov = file_provenance(p)
>>> prov.name, prov.demo, len(prov.sha256)
('my_survey.csv', False, 64)
>>> prov.line("en").startswith("Data: my_survey.csv (file, SHA-256 ")
True
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..foundation import config
from ..foundation.errors import WorkbenchError
from ..foundation.files import file_sha256

__all__ = ["Provenance", "database_provenance", "file_provenance", "data_provenance",
           "provenance_line", "DEMO_LABEL"]

DEMO_LABEL = {"zh": "合成演示数据，非真实统计", "en": "synthetic demo data, not real statistics"}
_DEMO_MARK = "synthetic demo data"  # first line of the demo builder's marked CSVs


@dataclass(frozen=True)
class Provenance:
    """The data one report rests on.

    Attributes
    ----------
    kind : {"database", "file"}
    name, path : str
        File name and full path.
    sha256 : str
        SHA-256 of the file's bytes (``sha256sum`` gives the same).
    demo : bool
        True only when the data carry the demo builder's marker.
    latest_ingest, submitted_by : str or None
        For a database: time and submitter of the latest batch written.
    rows : int or None
        Current observations (database) or rows (file), when known.
    """

    kind: str
    name: str
    path: str
    sha256: str
    demo: bool = False
    latest_ingest: str | None = None
    submitted_by: str | None = None
    rows: int | None = None

    def line(self, lang: str = "zh") -> str:
        """One line for the top of a report and every exported table."""
        short = self.sha256[:12]
        if lang == "zh":
            text = f"数据来源：{self.name}（{'数据库' if self.kind == 'database' else '文件'}，" \
                   f"SHA-256 {short}"
            if self.latest_ingest:
                text += f"，最近导入 {self.latest_ingest}，提交者 {self.submitted_by}"
            text += "）"
            return text + (f"【{DEMO_LABEL['zh']}】" if self.demo else "")
        text = f"Data: {self.name} ({self.kind}, SHA-256 {short}"
        if self.latest_ingest:
            text += f", latest ingest {self.latest_ingest} by {self.submitted_by}"
        text += ")"
        return text + (f" [{DEMO_LABEL['en']}]" if self.demo else "")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def _repr_markdown_(self) -> str:
        return f"**{self.line('zh')}**  \n**{self.line('en')}**"


def provenance_line(items: list[Provenance] | Provenance | None, lang: str = "zh") -> str:
    """The lines of several sources joined with ``; `` ("" for none)."""
    if items is None:
        return ""
    items = [items] if isinstance(items, Provenance) else items
    return "; ".join(p.line(lang) for p in items)


def database_provenance(path: str | Path | None = None) -> Provenance:
    """Provenance of a monitoring database (default: the configured one)."""
    from .database import file_stamp

    p = Path(path) if path else config.paths().database
    if not p.exists():
        return _database_provenance(p)  # connect's error, naming the file
    return _cached_provenance(file_stamp(p))


# Every report opens with the provenance line: hashing the file and opening DuckDB (20 ms
# for its start-up alone) once per database version, not once per report, is a quarter of
# a topic report's set-up.  A Provenance is frozen, so sharing it is safe.
@lru_cache(maxsize=4)
def _cached_provenance(stamp: tuple) -> Provenance:
    return _database_provenance(Path(stamp[0]))


def _database_provenance(path: Path) -> Provenance:
    from .database import connect

    with connect(path) as db:
        meta = db.meta()
        latest = db._con.execute(  # the newest batch: when and by whom
            "SELECT strftime(recorded_at, '%Y-%m-%d %H:%M'), recorded_by FROM batches "
            "ORDER BY recorded_at DESC, batch_id DESC LIMIT 1").fetchone()
        rows = db._con.execute("SELECT count(*) FROM observations").fetchone()[0]
        where = db.path
    return Provenance("database", where.name, str(where), file_sha256(where),
                      demo=meta.get("synthetic") == "true",
                      latest_ingest=latest[0] if latest else None,
                      submitted_by=latest[1] if latest else None, rows=int(rows))


def file_provenance(path: str | Path) -> Provenance:
    """Provenance of a data file (survey microdata, a CSV of values, margins)."""
    p = Path(path)
    if not p.is_file():
        raise WorkbenchError(f"Data file not found: {p}", f"找不到数据文件：{p}")
    return Provenance("file", p.name, str(p.resolve()), file_sha256(p), demo=_file_is_demo(p))


def _file_is_demo(p: Path) -> bool:
    """True for the demo builder's files: Parquet metadata or the CSV marker line."""
    suffix = p.suffix.lower()
    if suffix == ".parquet":
        import pyarrow.parquet as pq

        meta = pq.read_schema(p).metadata or {}
        return meta.get(b"synthetic") == b"true"
    if suffix == ".csv":
        with p.open(encoding="utf-8", errors="replace") as fh:
            first = fh.readline()
        return first.startswith("#") and _DEMO_MARK in first.lower()
    return False


def data_provenance(source: str | Path | None = None) -> Provenance:
    """Provenance of a database or a file: ``None`` or ``.duckdb`` → database, else file.

    ``source=""`` means the demo survey (as the ``survey_file`` parameters do).
    """
    if source is None:
        return database_provenance()
    if str(source) == "":
        return file_provenance(config.paths().demo_survey)
    if Path(source).suffix.lower() in {".duckdb", ".db"}:
        return database_provenance(source)
    return file_provenance(source)
