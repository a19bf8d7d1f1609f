"""The warning register: every year's early warnings and the responsible units' responses.

Two tables beside the observations, keyed by the stable warning key ``indicator x region x
breakdown (sex, age_group, residence, hukou) x kind``:

* ``warning_register``: one row per key and assessment year in which the warning was raised
  (a year's warnings are replaced as a whole when the year is recorded again);
* ``warning_responses``: the measures taken (text, date, unit, who recorded it), appended.

The tables are created by :func:`workbench.store.database.create_database`; a database made
before they existed still opens, reads as an empty register, and gets the tables the first
time a warning or response is written to it (``CREATE TABLE IF NOT EXISTS``).

Examples
--------
>>> import tempfile, pathlib
>>> from workbench.catalogue import load_catalogue
>>> from workbench.regions import load_regions
>>> from workbench.store.database import create_database
>>> tmp = pathlib.Path(tempfile.mkdtemp()) / "w.duckdb"
>>> db = create_database(tmp, load_catalogue(), load_regions())
>>> len(load_register(db)), list(REGISTER_KEY)[-1]
(0, 'kind')
>>> db.close()
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol

import duckdb
import pandas as pd

from ..foundation.errors import WorkbenchError
from ..foundation.i18n import DIMENSIONS


class Database(Protocol):
    """What the register needs of :class:`workbench.store.database.Database` (which imports
    this module for the create path, so it is not imported back)."""

    _con: duckdb.DuckDBPyConnection

    def _require_writable(self) -> None: ...

__all__ = ["REGISTER_KEY", "ensure_register_tables", "save_warnings", "load_register",
           "load_responses", "record_response", "open_warnings"]

REGISTER_KEY = ("indicator", "region", *DIMENSIONS, "kind")
_KEY_SQL = ", ".join(f"{c} VARCHAR NOT NULL" for c in REGISTER_KEY)
_TABLES_SQL = f"""
CREATE TABLE IF NOT EXISTS warning_register (
    {_KEY_SQL}, year INTEGER NOT NULL, reason VARCHAR, responsible_unit VARCHAR,
    recorded_at TIMESTAMP, PRIMARY KEY ({', '.join(REGISTER_KEY)}, year));
CREATE TABLE IF NOT EXISTS warning_responses (
    {_KEY_SQL}, response_id INTEGER NOT NULL, measure VARCHAR NOT NULL,
    response_date DATE NOT NULL, unit VARCHAR, recorded_by VARCHAR, recorded_at TIMESTAMP,
    PRIMARY KEY ({', '.join(REGISTER_KEY)}, response_id));
"""
_REGISTER_COLUMNS = [*REGISTER_KEY, "year", "reason", "responsible_unit"]
_RESPONSE_COLUMNS = [*REGISTER_KEY, "response_id", "measure", "response_date", "unit",
                     "recorded_by", "recorded_at"]


def _quoted(columns: list[str]) -> str:
    return ", ".join('"' + c.replace('"', '""') + '"' for c in columns)


# constant statements: identifiers quoted once here, every value passed as a ``?`` parameter
_SELECT_REGISTER = ("SELECT " + _quoted(_REGISTER_COLUMNS) + " FROM warning_register "
                    "ORDER BY year, indicator, region")
_SELECT_RESPONSES = ("SELECT " + _quoted(_RESPONSE_COLUMNS) + " FROM warning_responses "
                     "ORDER BY response_date, response_id")
_NEXT_RESPONSE = ("SELECT coalesce(max(response_id), 0) + 1 FROM warning_responses WHERE "
                  + " AND ".join(_quoted([c]) + " = ?" for c in REGISTER_KEY))
_INSERT_RESPONSE = ("INSERT INTO warning_responses VALUES ("
                    + ", ".join("?" * (len(REGISTER_KEY) + 5)) + ", now())")


def ensure_register_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create the register tables if the database does not have them yet."""
    con.execute(_TABLES_SQL)


def _has_tables(db: Database) -> bool:
    found = db._con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name IN "
        "('warning_register', 'warning_responses')").fetchone()[0]
    return found == 2


def save_warnings(db: Database, warnings: pd.DataFrame, years: list[int] | None = None) -> int:
    """Record the warnings of the years in ``warnings`` (replacing those years); return rows.

    ``years`` lists the assessment years recorded (default: those present in ``warnings``),
    so a year without any warning is recorded as such and resolves last year's warnings.
    """
    db._require_writable()
    missing = [c for c in _REGISTER_COLUMNS if c not in warnings.columns]
    if missing:
        raise WorkbenchError(f"warnings lack column(s) {missing}", f"预警表缺少列 {missing}")
    years = sorted({int(y) for y in (years if years is not None else warnings["year"])})
    rows = warnings[_REGISTER_COLUMNS].drop_duplicates(subset=[*REGISTER_KEY, "year"])
    rows = rows[rows["year"].isin(years)].astype({"year": int})
    ensure_register_tables(db._con)
    db._con.execute("BEGIN TRANSACTION")
    try:
        db._con.execute("DELETE FROM warning_register WHERE list_contains(?, year)", [years])
        db._con.register("register_rows", rows)
        db._con.execute("INSERT INTO warning_register SELECT *, now() FROM register_rows")
        db._con.unregister("register_rows")
        _set_years(db._con, years)
        db._con.execute("COMMIT")
    except Exception:
        db._con.execute("ROLLBACK")
        raise
    return len(rows)


def _set_years(con: duckdb.DuckDBPyConnection, years: list[int]) -> None:
    """Remember which years were assessed (a year may have no warning at all)."""
    row = con.execute("SELECT value FROM meta WHERE key = 'register_years'").fetchone()
    known = {int(y) for y in row[0].split(",") if y} if row else set()
    text = ",".join(str(y) for y in sorted(known | set(years)))
    con.execute("DELETE FROM meta WHERE key = 'register_years'")
    con.execute("INSERT INTO meta VALUES ('register_years', ?)", [text])


def register_years(db: Database) -> list[int]:
    """The assessment years recorded in the register."""
    row = db._con.execute("SELECT value FROM meta WHERE key = 'register_years'").fetchone()
    return sorted(int(y) for y in row[0].split(",") if y) if row else []


def load_register(db: Database) -> pd.DataFrame:
    """Every recorded warning (empty, with the columns, for a database without a register)."""
    if not _has_tables(db):
        return pd.DataFrame(columns=_REGISTER_COLUMNS)
    return db._con.execute(_SELECT_REGISTER).df()


def load_responses(db: Database) -> pd.DataFrame:
    """Every recorded response (empty, with the columns, for a database without a register)."""
    if not _has_tables(db):
        return pd.DataFrame(columns=_RESPONSE_COLUMNS)
    return db._con.execute(_SELECT_RESPONSES).df()


def open_warnings(db: Database, unit: str | None = None) -> pd.DataFrame:
    """The warnings of the latest recorded year (of one responsible unit if given)."""
    reg = load_register(db)
    years = register_years(db) if _has_tables(db) else []
    if reg.empty or not years:
        return reg
    reg = reg[reg["year"] == max(years)]
    return reg if unit is None else reg[reg["responsible_unit"] == unit]


def record_response(db: Database, key: dict[str, str], measure: str,
                    date: dt.date | str, unit: str | None = None,
                    recorded_by: str | None = None) -> int:
    """Record a response to an open warning; refuse one for a warning that is not open.

    ``key`` gives ``indicator``, ``region`` and ``kind`` (breakdown dimensions default to
    ``total``).  The refusal lists the open warnings of the responsible unit.
    """
    db._require_writable()
    full = {c: str(key.get(c, "total")) for c in REGISTER_KEY}
    if not str(measure).strip():
        raise WorkbenchError("measure must describe what was done",
                             "measure 不能为空，请说明采取的措施")
    when = pd.Timestamp(date).date() if not isinstance(date, dt.date) else date
    current = open_warnings(db)
    match = current
    for c in REGISTER_KEY:
        match = match[match[c] == full[c]]
    if match.empty:
        _refuse(full, current, unit)
    unit = unit or str(match["responsible_unit"].iloc[0])
    ensure_register_tables(db._con)
    nxt = db._con.execute(_NEXT_RESPONSE, list(full.values())).fetchone()[0]
    db._con.execute(_INSERT_RESPONSE, [*full.values(), int(nxt), str(measure), when, unit,
                                       recorded_by or "unknown"])
    return int(nxt)


def _refuse(full: dict[str, str], current: pd.DataFrame, unit: str | None) -> None:
    same = current[current["indicator"] == full["indicator"]]
    owner = unit or (str(same["responsible_unit"].iloc[0]) if len(same) else None)
    mine = current if owner is None else current[current["responsible_unit"] == owner]
    listed = "; ".join(" / ".join(str(r[c]) for c in REGISTER_KEY if r[c] != "total")
                       for _, r in mine.head(30).iterrows()) or "none"
    text = " / ".join(v for v in full.values() if v != "total")
    who = f" of unit {owner}" if owner else ""
    raise WorkbenchError(
        f"No open warning {text}; open warnings{who} ({len(mine)}): {listed}",
        f"不存在未解除的预警 {text}；{owner or ''}单位当前预警（{len(mine)} 条）：{listed}")
