"""The monitoring database: one embedded DuckDB file.

It holds the indicator catalogue, the regions, the child population and the
observations (indicator x region x year x sex x age group x residence x
hukou), with value, numerator/denominator where they exist, the standard
error of survey estimates, the source and the flags ``imputed`` and
``provisional``.

Stored values are never overwritten: every write that changes a value adds
a *revision* (who, when, why, from which batch), and the ``observations``
view shows the latest revision of each cell.  Notebooks read and write
through this module only; they never hold SQL strings of their own.

Examples
--------
>>> from workbench.database import connect
>>> with connect() as db:                     # the demo database, read-only
...     obs = db.observations(indicators=["E01"], regions=["210102"])
>>> obs.columns[:4].tolist(), obs["region"].unique().tolist()
(['indicator', 'region', 'year', 'sex'], ['210102'])
"""

from __future__ import annotations

import getpass
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from ..foundation import config
from ..foundation.catalogue import Catalogue
from ..foundation.errors import WorkbenchError, choices_text
from ..foundation.i18n import DIMENSIONS
from ..foundation.regions import Regions
from ..foundation.safe_io import private_file
from . import _snapshot
from ._snapshot import file_stamp, open_waiting
from .register import ensure_register_tables
from .validation import (
    DIMENSION_VALUES,
    KEY_COLUMNS,
    OBSERVATION_COLUMNS,
    SOURCES,
    check_observations,
)

__all__ = ["Database", "connect", "create_database", "init_database", "validate_observations",
           "WriteSummary", "KEY_COLUMNS", "OBSERVATION_COLUMNS", "DIMENSION_VALUES", "SOURCES",
           "SCHEMA_VERSION"]

SCHEMA_VERSION = "1"

_SCHEMA = """
CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR);
CREATE TABLE batches (
    batch_id INTEGER PRIMARY KEY, recorded_at TIMESTAMP, recorded_by VARCHAR,
    reason VARCHAR, source_file VARCHAR, file_sha256 VARCHAR,
    n_rows INTEGER, n_new INTEGER, n_revised INTEGER, n_unchanged INTEGER);
CREATE TABLE population (
    region VARCHAR, year INTEGER, sex VARCHAR, age_group VARCHAR, population BIGINT,
    PRIMARY KEY (region, year, sex, age_group));
CREATE TABLE observation_revisions (
    indicator VARCHAR NOT NULL, region VARCHAR NOT NULL, year INTEGER NOT NULL,
    sex VARCHAR NOT NULL, age_group VARCHAR NOT NULL, residence VARCHAR NOT NULL,
    hukou VARCHAR NOT NULL, revision INTEGER NOT NULL,
    value DOUBLE NOT NULL, numerator DOUBLE, denominator DOUBLE, se DOUBLE,
    source VARCHAR NOT NULL, imputed BOOLEAN NOT NULL, provisional BOOLEAN NOT NULL,
    batch_id INTEGER NOT NULL,
    PRIMARY KEY (indicator, region, year, sex, age_group, residence, hukou, revision));
CREATE VIEW observations AS
    SELECT * EXCLUDE (rn) FROM (
        SELECT *, row_number() OVER (
            PARTITION BY indicator, region, year, sex, age_group, residence, hukou
            ORDER BY revision DESC) AS rn
        FROM observation_revisions) WHERE rn = 1;
"""


@dataclass(frozen=True)
class WriteSummary:
    """What one write did: how many cells were new, revised or unchanged."""

    batch_id: int
    n_rows: int
    n_new: int
    n_revised: int
    n_unchanged: int

    def _repr_html_(self) -> str:
        return (f"<b>Batch {self.batch_id}</b>: {self.n_rows} rows — {self.n_new} new, "
                f"{self.n_revised} revised, {self.n_unchanged} unchanged")


class Database:
    """A connection to a monitoring database. Use :func:`connect` to open one.

    A read-only connection reads the file as it was when opened: the catalogue,
    regions, ``meta`` and observations come from that version's snapshot (read
    once per version, see :mod:`._snapshot`); DuckDB itself is opened only for
    the other queries, and refuses if another process has written since.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection | None, path: Path, read_only: bool,
                 snapshot: _snapshot.Snapshot | None = None, wait: float = 30.0):
        self._live, self._snapshot, self._wait = con, snapshot, wait
        self.path = path
        self.read_only = read_only

    @property
    def _con(self) -> duckdb.DuckDBPyConnection:
        if self._live is None:
            self._live = _snapshot.open_unchanged(self.path, self._snapshot, self._wait)
        return self._live

    # -- life cycle -------------------------------------------------------------
    def close(self) -> None:
        if self._live is not None:
            self._live.close()
            self._live = None

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        mode = "read-only" if self.read_only else "read-write"
        n = _scalar(self._con, "SELECT count(*) FROM observations")
        return f"<Database {self.path.name} ({mode}): {n:,} current observations>"

    def _repr_html_(self) -> str:
        return f"<p>{self.__repr__()[1:-1]}</p>" + self.summary().to_html(index=False)

    # -- reading ----------------------------------------------------------------
    def meta(self) -> dict[str, str]:
        if self._snapshot is not None:
            return dict(self._snapshot.meta)
        return dict(self._con.execute("SELECT key, value FROM meta ORDER BY key").fetchall())

    @property
    def synthetic(self) -> bool:
        """True when the database holds generated demo data."""
        return self.meta().get("synthetic") == "true"

    def catalogue(self) -> Catalogue:
        """The catalogue stored with the data (as it was when the data were written)."""
        if self._snapshot is None:
            return Catalogue(self._con.execute("SELECT * FROM indicators").df())
        # every caller gets its own copy of the kept table
        return Catalogue._validated(self._snapshot.catalogue_table.copy(), None, None)

    def regions(self) -> Regions:
        """The regions stored with the data (validated once per version of the file)."""
        if self._snapshot is None:
            return Regions(self._con.execute("SELECT * FROM regions").df())
        return Regions._validated(self._snapshot.regions_table.copy())

    def population(self, regions: Sequence[str] | None = None,
                   years: Sequence[int] | None = None) -> pd.DataFrame:
        """Children by region, year, sex and age group."""
        where, params = _where({"region": regions, "year": years})
        return self._con.execute(
            f"SELECT * FROM population {where} ORDER BY region, year, sex, age_group", params
        ).df()

    def observations(self, indicators: Sequence[str] | None = None,
                     regions: Sequence[str] | None = None,
                     years: Sequence[int] | None = None,
                     breakdown: str | None = "total") -> pd.DataFrame:
        """Current observations as a tidy table.

        Parameters
        ----------
        indicators, regions, years : sequence, optional
            Filters; None keeps all.  Unknown codes raise a clear error.
        breakdown : {"total", "sex", "age_group", "residence", "hukou", None}
            ``"total"`` (default) keeps the undisaggregated rows; a dimension
            name keeps the rows broken down by that dimension only; None
            keeps every row.
        """
        self._check_filters(indicators, regions)
        filters = {"indicator": indicators, "region": regions, "year": years}
        clause = _breakdown_clause(breakdown)
        if self._snapshot is not None:  # the same rows, in the same order (tested)
            table = _snapshot.filter_observations(self._snapshot.observations, filters,
                                                  breakdown)
            return table.to_pandas().astype({"year": int})
        where, params = _where(filters)
        if clause:
            where = f"{where} AND {clause}" if where else f"WHERE {clause}"
        # through Arrow: the same frame as .df() (tested), a fifth less CPU for the strings
        df = self._con.sql(
            f"SELECT * EXCLUDE (revision, batch_id) FROM observations {where} "
            f"ORDER BY {', '.join(KEY_COLUMNS)}", params=params).to_arrow_table().to_pandas()
        return df.astype({"year": int})

    def history(self, indicator: str, region: str, year: int) -> pd.DataFrame:
        """Every revision of the cells of one indicator, region and year, oldest first."""
        self._check_filters([indicator], [region])
        return self._con.execute(
            "SELECT r.*, b.recorded_at, b.recorded_by, b.reason, b.source_file "
            "FROM observation_revisions r JOIN batches b USING (batch_id) "
            "WHERE indicator = ? AND region = ? AND year = ? "
            "ORDER BY sex, age_group, residence, hukou, revision", [indicator, region, year]
        ).df()

    def checksum(self) -> str:
        """A digest of every stored revision and batch: equal digests, equal contents."""
        parts = [_scalar(self._con, f"SELECT count(*) || ':' || coalesce(bit_xor(hash(t)), 0) "
                                    f"FROM {_ident(table)} t")
                 for table in ("observation_revisions", "batches", "population")]
        return "/".join(str(p) for p in parts)

    def batches(self) -> pd.DataFrame:
        return self._con.execute("SELECT * FROM batches ORDER BY batch_id").df()

    def summary(self) -> pd.DataFrame:
        """Observations per domain: indicators with data, rows, years covered."""
        return self._con.execute(
            "SELECT i.domain, count(DISTINCT o.indicator) AS n_indicators, "
            "count(*) AS n_observations, min(o.year) AS first_year, max(o.year) AS last_year, "
            "count(*) FILTER (WHERE o.imputed) AS n_imputed, "
            "count(*) FILTER (WHERE o.provisional) AS n_provisional "
            "FROM observations o JOIN indicators i ON i.code = o.indicator "
            "GROUP BY i.domain ORDER BY i.domain").df().pipe(_counting, "observations")

    def _check_filters(self, indicators: Iterable[str] | None,
                       regions: Iterable[str] | None) -> None:
        for table, what, codes in (("indicators", "indicator", indicators),
                                   ("regions", "region", regions)):
            if codes is not None:
                valid = (self._snapshot.codes[table] if self._snapshot is not None
                         else _known_codes(self._con, table))
                _check_known(valid, what, codes)

    # -- writing ----------------------------------------------------------------
    def write_population(self, population: pd.DataFrame) -> None:
        """Replace the population table (a reference table, not observations)."""
        self._require_writable()
        cols = ["region", "year", "sex", "age_group", "population"]
        self._con.register("population_frame", population[cols])
        with _Transaction(self._con):
            self._con.execute("DELETE FROM population")
            self._con.execute("INSERT INTO population SELECT * FROM population_frame")
        self._con.unregister("population_frame")

    def write_observations(self, frame: pd.DataFrame, recorded_by: str | None = None,
                           reason: str = "", source_file: str = "",
                           file_sha256: str = "") -> WriteSummary:
        """Write observations as one batch, in one transaction.

        New cells are inserted as revision 1; cells whose value or flags
        differ from the current revision get a new revision; identical cells
        are left alone.  Invalid input raises :class:`ValidationError` listing
        every problem, and nothing is written.
        """
        self._require_writable()
        obs = validate_observations(frame, self.catalogue(), self.regions())
        return self.write_validated(obs, recorded_by, reason, source_file, file_sha256)

    def write_validated(self, obs: pd.DataFrame, recorded_by: str | None = None,
                        reason: str = "", source_file: str = "",
                        file_sha256: str = "") -> WriteSummary:
        """Write observations that already passed :func:`validate_observations`.

        For callers that validated the rows themselves (the submission round
        checks a file before opening the database for writing), so a million
        rows are not checked twice.  ``obs`` must have the canonical columns.
        """
        self._require_writable()
        self._con.register("incoming", obs)
        try:
            return self._write_incoming(recorded_by, reason, source_file, file_sha256)
        finally:
            self._con.unregister("incoming")

    def _write_incoming(self, recorded_by: str | None, reason: str, source_file: str,
                        file_sha256: str) -> WriteSummary:
        """Write the relation named ``incoming`` (a registered frame or a temp table)."""
        who = recorded_by or _current_user()
        with _Transaction(self._con):
            batch_id = _scalar(self._con, "SELECT coalesce(max(batch_id), 0) + 1 FROM batches")
            n_rows = _scalar(self._con, "SELECT count(*) FROM incoming")
            counts = self._con.execute(_CLASSIFY_SQL).df()
            self._con.execute(_INSERT_SQL, [batch_id])
            n_new, n_revised = int(counts.at[0, "n_new"]), int(counts.at[0, "n_revised"])
            summary = WriteSummary(batch_id, n_rows, n_new, n_revised,
                                   n_rows - n_new - n_revised)
            self._con.execute(
                "INSERT INTO batches VALUES (?, now(), ?, ?, ?, ?, ?, ?, ?, ?)",
                [batch_id, who, reason, source_file, file_sha256, summary.n_rows,
                 summary.n_new, summary.n_revised, summary.n_unchanged])
        return summary

    # -- merging other databases ------------------------------------------------------------
    def stage_databases(self, paths: Sequence[str | Path]) -> pd.DataFrame:
        """Read the current observations of other workbench databases into a staging table.

        Every source row passes the same validation as an ingest (codes,
        numbers, ranges, bounds); a source with any problem is refused with the
        list of problems and nothing is staged.  Returns the conflicts: cells
        present in several sources with different values (empty when none).
        """
        frames = [_read_source(self._con, Path(path)) for path in paths]
        staged = pd.concat(frames, ignore_index=True)
        catalogue, regions = self.catalogue(), self.regions()
        for frame in frames:  # one source at a time, so the rows named are that source's
            name = str(frame["source_db"].iat[0]) if len(frame) else ""
            validate_observations(frame.drop(columns="source_db"), catalogue, regions,
                                  what=f"source database {name}")
        self._con.execute("DROP TABLE IF EXISTS staged")
        self._con.register("staged_frame", staged)
        try:
            self._con.execute("CREATE TEMP TABLE staged AS SELECT * FROM staged_frame")
        finally:
            self._con.unregister("staged_frame")
        keys = ", ".join(_ident(k) for k in KEY_COLUMNS)
        return self._con.execute(
            f"SELECT {', '.join('s.' + _ident(k) for k in KEY_COLUMNS)}, s.value, s.source_db "
            f"FROM staged s JOIN (SELECT {keys} FROM staged GROUP BY {keys} "
            f"HAVING count(DISTINCT value) > 1) c USING ({keys}) ORDER BY {keys}, source_db"
        ).df()

    def staged_changes(self) -> pd.DataFrame:
        """Staged cells whose value differs from the stored current value."""
        keys = ", ".join(_ident(k) for k in KEY_COLUMNS)
        return self._con.execute(
            f"SELECT s.*, c.value AS stored FROM (SELECT DISTINCT ON ({keys}) * "
            f"EXCLUDE (source_db) FROM staged) s JOIN observations c USING ({keys}) "
            "WHERE s.value <> c.value").df()

    def write_staged(self, recorded_by: str | None, reason: str,
                     source_file: str) -> WriteSummary:
        """Write the staged observations as one batch (see :meth:`stage_databases`)."""
        self._require_writable()
        keys = ", ".join(_ident(k) for k in KEY_COLUMNS)
        self._con.execute("CREATE OR REPLACE TEMP TABLE incoming AS SELECT DISTINCT ON "
                          f"({keys}) * EXCLUDE (source_db) FROM staged")
        try:
            return self._write_incoming(recorded_by, reason, source_file, "")
        finally:
            self._con.execute("DROP TABLE IF EXISTS incoming")

    def _require_writable(self) -> None:
        if self.read_only:
            raise WorkbenchError("This database connection is read-only; open it with "
                                 "connect(read_only=False) to write",
                                 "数据库以只读方式打开，写入请使用 read_only=False")


_CHANGED = ("c.value IS DISTINCT FROM i.value OR c.numerator IS DISTINCT FROM i.numerator "
            "OR c.denominator IS DISTINCT FROM i.denominator OR c.se IS DISTINCT FROM i.se "
            "OR c.source IS DISTINCT FROM i.source OR c.imputed IS DISTINCT FROM i.imputed "
            "OR c.provisional IS DISTINCT FROM i.provisional")
_JOIN = ("FROM incoming i LEFT JOIN observations c USING "
         "(indicator, region, year, sex, age_group, residence, hukou)")
_CLASSIFY_SQL = (f"SELECT count(*) FILTER (WHERE c.revision IS NULL) AS n_new, "
                 f"count(*) FILTER (WHERE c.revision IS NOT NULL AND ({_CHANGED})) AS n_revised "
                 f"{_JOIN}")
_INSERT_SQL = (f"INSERT INTO observation_revisions SELECT i.indicator, i.region, i.year, i.sex, "
               f"i.age_group, i.residence, i.hukou, coalesce(c.revision, 0) + 1, i.value, "
               f"i.numerator, i.denominator, i.se, i.source, i.imputed, i.provisional, ? "
               f"{_JOIN} WHERE c.revision IS NULL OR ({_CHANGED})")


class _Transaction:
    """BEGIN/COMMIT, ROLLBACK on any error, so a failed write leaves no trace."""

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self.con = con

    def __enter__(self) -> None:
        self.con.execute("BEGIN TRANSACTION")

    def __exit__(self, exc_type: object, *rest: object) -> None:
        self.con.execute("ROLLBACK" if exc_type else "COMMIT")


def _scalar(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> object:
    """First value of a query, fetching the whole result so the connection is free again."""
    rows = con.execute(sql, params or []).fetchall()
    return rows[0][0] if rows else None


def _counting(frame: pd.DataFrame, what: str) -> pd.DataFrame:
    """Mark a table as counting ``what`` (not children), for disclosure control."""
    frame.attrs["counts_of"] = what
    return frame


def _ident(name: str) -> str:
    """A quoted SQL identifier: every name in a statement is quoted, even our own."""
    return '"' + str(name).replace('"', '""') + '"'


# A merge source is attached under one fixed alias (sources are read one at a time), so every
# statement below is constant text: the file name only ever travels as a ``?`` parameter.
_SOURCE = _ident("merge_source")
_ATTACH_SOURCE = "ATTACH ? AS " + _SOURCE + " (READ_ONLY)"
_SOURCE_VERSION = "SELECT value FROM " + _SOURCE + ".meta WHERE key = ?"
_SOURCE_ROWS = ("SELECT " + ", ".join(_ident(c) for c in OBSERVATION_COLUMNS)
                + " FROM " + _SOURCE + ".observations")
_DETACH_SOURCE = "DETACH " + _SOURCE


def _read_source(con: duckdb.DuckDBPyConnection, path: Path) -> pd.DataFrame:
    """The current observations of another database, attached read-only by parameter.

    The file name never enters the SQL text (an apostrophe in it is just a
    character); a file that is not a workbench database of this schema is
    refused with its name.
    """
    if not path.is_file():
        raise WorkbenchError(f"Source database not found: {path}", f"找不到来源数据库：{path}")
    try:
        con.execute(_ATTACH_SOURCE, [str(path)])
    except duckdb.Error as err:
        raise WorkbenchError(f"{path.name} cannot be opened as a database ({err})",
                             f"{path.name} 无法作为数据库打开") from err
    try:
        version = _scalar(con, _SOURCE_VERSION, ["schema_version"])
        if version != SCHEMA_VERSION:
            raise duckdb.CatalogException(f"schema {version!r}")
        frame = con.execute(_SOURCE_ROWS).df()
    except duckdb.Error as err:
        raise WorkbenchError(f"{path.name} is not a workbench database of schema "
                             f"{SCHEMA_VERSION} ({err})",
                             f"{path.name} 不是本工具的数据库（版本 {SCHEMA_VERSION}）") from err
    finally:
        con.execute(_DETACH_SOURCE)
    return frame.assign(source_db=path.name)


def _current_user() -> str:
    try:
        return getpass.getuser()
    except OSError:  # no user name in some containers
        return "unknown"


def _where(filters: dict[str, Sequence | None]) -> tuple[str, list]:
    clauses, params = [], []
    for column, values in filters.items():
        if values is None:
            continue
        values = [values] if isinstance(values, str | int) else list(values)
        clauses.append(f"{_ident(column)} IN ({', '.join('?' * len(values))})"
                       if values else "FALSE")
        params += [int(v) if column == "year" else str(v) for v in values]
    return ("WHERE " + " AND ".join(clauses) if clauses else ""), params


def _breakdown_clause(breakdown: str | None) -> str:
    if breakdown is None:
        return ""
    valid = ("total", *DIMENSIONS)
    if breakdown not in valid:
        raise WorkbenchError(f"Unknown breakdown {breakdown!r}; valid: {choices_text(valid)}",
                             f"未知分组 {breakdown!r}；可选：{choices_text(valid)}")
    others = [d for d in DIMENSIONS if d != breakdown]
    clause = " AND ".join(f"{_ident(d)} = 'total'" for d in others)
    return clause if breakdown == "total" else f"{clause} AND {_ident(breakdown)} <> 'total'"


def _known_codes(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    return [r[0] for r in con.execute(_snapshot.CODES[table]).fetchall()]


def _check_known(valid: list[str], what: str, codes: Iterable[str]) -> None:
    codes = [codes] if isinstance(codes, str) else [str(c) for c in codes]
    unknown = sorted(set(codes) - set(valid))
    if unknown:
        raise WorkbenchError(f"Unknown {what} code(s): {', '.join(unknown)}. "
                             f"Valid: {choices_text(valid)}",
                             f"未知代码：{', '.join(unknown)}。可选：{choices_text(valid)}")


def validate_observations(frame: pd.DataFrame, catalogue: Catalogue,
                          regions: Regions, what: str = "the observations") -> pd.DataFrame:
    """Check an observations table and return it with canonical dtypes.

    The one validation every way into a database goes through (a write, an
    ingest, ``db import``, a merge): see :func:`~workbench.store.validation.find_problems`.
    Raises :class:`ValidationError` listing every problem (row, column,
    reason) rather than stopping at the first one.  Rows are never dropped.
    """
    return check_observations(frame, catalogue, regions, what)


# -- opening and creating -------------------------------------------------------
def connect(path: str | Path | None = None, read_only: bool = True,
            wait: float = 30.0) -> Database:
    """Open a monitoring database (default: the project's demo database).

    Read-only by default, so several notebooks can read at once, each the
    file as it was when opened (see :class:`Database`).  While another
    process writes, the open waits up to ``wait`` seconds for it to finish
    (a read-only open too: DuckDB locks the whole file), then gives a clear
    message.
    """
    p = Path(path) if path else config.paths().database
    if not p.exists():
        raise WorkbenchError(
            f"Monitoring database not found: {p}. Build the demo with `workbench demo` "
            "(or `make demo`), or set WORKBENCH_DB to your database.",
            f"找不到监测数据库：{p}。请先运行 `workbench demo`（或 `make demo`）。")
    if read_only:
        snapshot = _snapshot.cached(file_stamp(p)) or _snapshot.read_file(p, wait, SCHEMA_VERSION)
        _check_schema(p, snapshot.schema_version)
        return Database(None, p, True, snapshot, wait)
    con = open_waiting(p, False, wait)
    try:
        version = _scalar(con, "SELECT value FROM meta WHERE key = ?", ["schema_version"])
    except duckdb.CatalogException:
        version = None
    if version != SCHEMA_VERSION:
        con.close()
    _check_schema(p, version)
    return Database(con, p, False)


def _check_schema(p: Path, version: str | None) -> None:
    if version != SCHEMA_VERSION:
        raise WorkbenchError(f"{p.name} is not a workbench database of schema "
                             f"{SCHEMA_VERSION}", f"{p.name} 不是本工具的数据库")


def create_database(path: str | Path, catalogue: Catalogue, regions: Regions,
                    meta: dict[str, str] | None = None, overwrite: bool = False) -> Database:
    """Create an empty monitoring database with the catalogue and regions.

    Returns a writable :class:`Database`.  Refuses to replace an existing
    file unless ``overwrite=True``.
    """
    p = Path(path)
    if p.exists():
        if not overwrite:
            raise WorkbenchError(f"{p} exists; pass overwrite=True to replace it",
                                 f"{p} 已存在；如需替换请传入 overwrite=True")
        p.unlink()
    p.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(p))
    private_file(p)  # children's data: readable by the owner only, from the start
    con.execute(_SCHEMA)
    ensure_register_tables(con)
    con.register("catalogue_frame", catalogue.table.reset_index(drop=True))
    con.register("region_frame", regions.table.reset_index(drop=True))
    con.execute("CREATE TABLE indicators AS SELECT * FROM catalogue_frame")
    con.execute("CREATE TABLE regions AS SELECT * FROM region_frame")
    con.unregister("catalogue_frame")
    con.unregister("region_frame")
    entries = {"schema_version": SCHEMA_VERSION, "created_by": _current_user(),
               "synthetic": "false", **(meta or {})}
    con.executemany("INSERT INTO meta VALUES (?, ?)", list(entries.items()))
    con.execute("INSERT INTO meta VALUES ('created_at', CAST(now() AS VARCHAR))")
    return Database(con, p, read_only=False)


def init_database(path: str | Path, catalogue: str | Path | None = None,
                  regions: str | Path | None = None) -> Path:
    """Create an empty monitoring database for one's own data.

    The catalogue and regions are the shipped ones or the user's own CSVs,
    validated on load (every problem listed).  Refuses an existing file.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "own.duckdb"
    >>> init_database(target).name
    'own.duckdb'
    >>> with connect(target) as db:
    ...     db.synthetic, len(db.observations())
    (False, 0)
    """
    from ..foundation.catalogue import load_catalogue
    from ..foundation.regions import load_regions

    cat, reg = load_catalogue(catalogue), load_regions(regions)
    meta = {"catalogue_source": Path(catalogue).name if catalogue else "shipped",
            "regions_source": Path(regions).name if regions else "shipped"}
    with create_database(path, cat, reg, meta=meta) as db:
        return db.path
