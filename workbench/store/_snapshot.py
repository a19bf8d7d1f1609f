"""One version of a monitoring database as a read-only reader sees it, read once.

A report only reads the database: its schema version and ``meta``, the
catalogue and regions stored with the data, the code lists that filters are
checked against, and the current observations of a few indicators.  Opening
DuckDB for that cost a report's kernel about 0.06 s of CPU (the instance's
start-up, its threads, the close) for a table of a few thousand rows.  So
all of it is read once per version of the file (:func:`file_stamp`: a
committed write changes it) and kept, the last four versions; the warm
engine's zygote reads it before it forks, and every report then filters a
table already in memory.  The current observations are kept as one Arrow
table sorted by the key, so a filter keeps the order ``ORDER BY`` gives.

Examples
--------
>>> import pyarrow as pa
>>> table = pa.table({"indicator": ["A", "A", "B"], "region": ["1", "2", "1"],
...                   "year": [2024, 2024, 2025], "sex": ["total", "boys", "total"],
...                   "age_group": ["total"] * 3, "residence": ["total"] * 3,
...                   "hukou": ["total"] * 3})
>>> filter_observations(table, {"indicator": ["A"], "region": None, "year": None},
...                     "total")["region"].to_pylist()
['1']
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..foundation.catalogue import Catalogue
from ..foundation.errors import WorkbenchError
from ..foundation.i18n import DIMENSIONS
from ..foundation.regions import Regions
from .validation import KEY_COLUMNS

__all__ = ["Snapshot", "CODES", "file_stamp", "cached", "read", "read_file", "open_waiting",
           "open_unchanged", "filter_observations"]

_KEEP = 4  # versions kept (a batch reads one; a comparison of two files, two)
# constant statements (the column and table names are the schema's own, quoted)
_CURRENT = ('SELECT * EXCLUDE ("revision", "batch_id") FROM "observations" ORDER BY '
            + ", ".join('"' + c + '"' for c in KEY_COLUMNS))
CODES = {"indicators": 'SELECT "code" FROM "indicators" ORDER BY "code"',
         "regions": 'SELECT "code" FROM "regions" ORDER BY "code"'}
_SNAPSHOTS: OrderedDict[tuple, Snapshot] = OrderedDict()


def file_stamp(path: Path) -> tuple:
    """What identifies a database's contents: path, and mtime, size and inode of the file and
    of its write-ahead log (a committed write changes one of them)."""
    def stat(p: Path) -> tuple[int, int, int] | None:
        try:
            st = p.stat()
        except FileNotFoundError:
            return None
        return st.st_mtime_ns, st.st_size, st.st_ino

    return str(path), str(path.resolve()), stat(path), stat(path.with_name(path.name + ".wal"))


@dataclass(eq=False)
class Snapshot:
    """What a read-only reader needs of one version of a database file.

    ``observations``: the current observations without ``revision`` and ``batch_id``,
    sorted by the key; ``codes``: the sorted codes of ``indicators`` and ``regions``.
    Shared by every reader of this version: callers copy what they hand out.
    """

    stamp: tuple
    schema_version: str | None
    meta: dict[str, str] = field(default_factory=dict)
    observations: pa.Table | None = None
    indicators: pd.DataFrame | None = None
    regions: pd.DataFrame | None = None
    codes: dict[str, list[str]] = field(default_factory=dict)

    @cached_property
    def catalogue_table(self) -> pd.DataFrame:
        """The stored catalogue, validated once for this version."""
        return Catalogue(self.indicators).table

    @cached_property
    def regions_table(self) -> pd.DataFrame:
        """The stored regions, validated once for this version."""
        return Regions(self.regions).table


def cached(stamp: tuple) -> Snapshot | None:
    """The kept snapshot of this version of the file, if any."""
    snapshot = _SNAPSHOTS.get(stamp)
    if snapshot is not None:
        _SNAPSHOTS.move_to_end(stamp)
    return snapshot


def read(con: duckdb.DuckDBPyConnection, stamp: tuple, schema_version: str) -> Snapshot:
    """Read (and keep) the snapshot of the file ``con`` has open; ``stamp`` taken while open.

    A file of another schema gives a snapshot with only its ``schema_version``
    (``None`` when it has none), for the caller to refuse.
    """
    try:
        rows = con.execute("SELECT value FROM meta WHERE key = ?", ["schema_version"]).fetchall()
    except duckdb.CatalogException:
        rows = []
    version = rows[0][0] if rows else None
    if version != schema_version:
        return Snapshot(stamp, version)
    snapshot = Snapshot(
        stamp, version,
        meta=dict(con.execute("SELECT key, value FROM meta ORDER BY key").fetchall()),
        observations=con.sql(_CURRENT).to_arrow_table(),
        indicators=con.execute("SELECT * FROM indicators").df(),
        regions=con.execute("SELECT * FROM regions").df(),
        codes={table: [r[0] for r in con.execute(sql).fetchall()]
               for table, sql in CODES.items()})
    _SNAPSHOTS[stamp] = snapshot
    while len(_SNAPSHOTS) > _KEEP:
        _SNAPSHOTS.popitem(last=False)
    return snapshot


def filter_observations(table: pa.Table, filters: dict[str, Sequence | None],
                        breakdown: str | None) -> pa.Table:
    """The rows of ``table`` that the SQL filters of ``Database.observations`` select, in order.

    ``filters`` maps a column to the values kept (None: all; empty: none);
    ``breakdown`` as in ``Database.observations`` (already checked).
    """
    mask = pa.scalar(True)
    for column, values in filters.items():
        if values is None:
            continue
        values = [values] if isinstance(values, str | int) else list(values)
        kind = table.schema.field(column).type
        if pa.types.is_integer(kind):  # a year no column can hold matches nothing, as in SQL
            info = np.iinfo(kind.to_pandas_dtype())
            values = [v for v in map(int, values) if info.min <= v <= info.max]
        else:
            values = [str(v) for v in values]
        mask = pc.and_kleene(mask, pc.is_in(table[column], value_set=pa.array(values, kind)))
    if breakdown is not None:
        for dim in DIMENSIONS:
            test = pc.not_equal if dim == breakdown else pc.equal
            mask = pc.and_kleene(mask, test(table[dim], "total"))
    if isinstance(mask, pa.Scalar):  # no filter at all
        return table
    return table.filter(mask)


def read_file(p: Path, wait: float, schema_version: str) -> Snapshot:
    """Open the file (waiting for a writer), read this version's snapshot, close it."""
    con = open_waiting(p, True, wait)
    try:  # stamped while open: no writer can change the file now
        return read(con, file_stamp(p), schema_version)
    finally:
        con.close()


def open_unchanged(p: Path, snapshot: Snapshot | None,
                   wait: float) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the version of the file ``snapshot`` was read from."""
    con = open_waiting(p, True, wait)
    if snapshot is not None and file_stamp(p) != snapshot.stamp:
        con.close()
        raise WorkbenchError(
            f"{p.name} has been written by another process since it was opened here; "
            "connect again to read the new version.",
            f"{p.name} 在本连接打开后已被其他进程写入；请重新连接以读取新版本。")
    return con


def open_waiting(p: Path, read_only: bool, wait: float) -> duckdb.DuckDBPyConnection:
    """duckdb.connect, retried with growing pauses while another process holds the lock."""
    deadline = time.monotonic() + max(wait, 0.0)
    pause = 0.05
    while True:
        try:
            return duckdb.connect(str(p), read_only=read_only)
        except duckdb.IOException as err:
            if "lock" not in str(err).lower():
                raise WorkbenchError(f"{p.name} cannot be opened as a database ({err})",
                                     f"{p.name} 无法作为数据库打开") from err
            if time.monotonic() >= deadline:
                raise WorkbenchError(
                    f"The database {p.name} is being written by another process; waited "
                    f"{wait:g} s. Try again when it has finished. ({err})",
                    f"数据库 {p.name} 正被其他进程写入，已等待 {wait:g} 秒，请稍后再试。") from err
        time.sleep(min(pause, max(deadline - time.monotonic(), 0.0)))
        pause = min(pause * 2, 1.0)
