"""Property-based fuzzing of the submission reader (hypothesis).

Each example is a submission built from valid rows and then damaged: cells
replaced by hostile values (formulas, control characters, NUL, huge or
non-finite numbers, unsaved formulas), fields added, cells placed far away,
bytes overwritten or the file cut short.  The properties: ingesting it never
raises (every refusal is a report with reasons in both languages), and a file
that is not written leaves the database checksum unchanged.

50 examples run in the normal suite; the 500-example run is marked slow.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hostile_files import as_cells, column_letter, csv_text, valid_rows, xlsx_bytes
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench.catalogue import load_catalogue
from workbench.database import connect, create_database
from workbench.regions import load_regions
from workbench.submissions import ingest_submission

HOSTILE_TEXT = ['=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0", "@SUM(1+1)", "-2+3",
                "\x00", "\r\n", "'; DROP TABLE meta; --", "1e308", "-inf", "NaN",
                "12345678901234567890123", "１２３", "E01", "210102", "total", "", " "]
CELL = st.one_of(
    st.none(), st.sampled_from(HOSTILE_TEXT),
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=40),
    st.floats(allow_nan=True, allow_infinity=True), st.integers(-10**25, 10**25),
    st.tuples(st.just("f"), st.sampled_from(["=1+1", "=A1", "=SUM(H2:H9)"])))
BASE = as_cells(valid_rows())


@st.composite
def submissions(draw: st.DrawFn) -> tuple[str, bytes]:
    cells = [list(row) for row in BASE]
    for _ in range(draw(st.integers(0, 6))):
        r = draw(st.integers(0, len(cells) - 1))
        c = draw(st.integers(0, len(cells[0]) - 1))
        cells[r][c] = draw(CELL)
    if draw(st.booleans()):
        cells[draw(st.integers(1, len(cells) - 1))].extend(draw(st.lists(CELL, max_size=3)))
    kind = draw(st.sampled_from(["csv", "xlsx"]))
    if kind == "csv":
        flat = [[v[1] if isinstance(v, tuple) else v for v in row] for row in cells]
        text = csv_text(flat)
        encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]))
        data = text.encode(encoding, errors="replace")
    else:
        far = ""
        if draw(st.integers(0, 4)) == 0:
            row = draw(st.sampled_from([30, 20_000, 200_002, 1_048_576]))
            col = draw(st.sampled_from([1, 14, 51, 16_384]))
            far = f'<row r="{row}"><c r="{column_letter(col)}{row}"><v>1</v></c></row>'
        data = xlsx_bytes(cells, far)
    raw = bytearray(data)
    for _ in range(draw(st.integers(0, 2))):
        at = draw(st.integers(0, len(raw) - 1))
        raw[at:at + 4] = draw(st.binary(min_size=1, max_size=4))
    if draw(st.integers(0, 5)) == 0:
        raw = raw[: draw(st.integers(0, len(raw)))]
    return kind, bytes(raw)


@pytest.fixture(scope="module")
def fuzz_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("fuzz") / "fuzz.duckdb"
    create_database(path, load_catalogue(), load_regions()).close()
    return path


def _checksum(path: Path) -> str:
    with connect(path) as db:
        return db.checksum()


def _run(fuzz_db: Path, kind: str, data: bytes, seen: dict) -> None:
    before = seen.get("checksum") or _checksum(fuzz_db)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"submission.{kind}"
        path.write_bytes(data)
        result = ingest_submission(path, "fuzz", database=fuzz_db, wait=10)  # must not raise
    seen[result.status] = seen.get(result.status, 0) + 1
    seen["checksum"] = after = _checksum(fuzz_db)
    if result.status == "ingested":
        return
    assert after == before
    if result.status == "rejected":
        problems = result.report.problems
        assert len(problems) and problems["reason_en"].str.len().gt(0).all()
        assert problems["reason_zh"].str.len().gt(0).all()


def _property(n: int):
    seen: dict = {}

    @settings(max_examples=n, deadline=None, database=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                     HealthCheck.function_scoped_fixture])
    @given(sub=submissions())
    def check(fuzz_db: Path, sub: tuple[str, bytes]) -> None:
        _run(fuzz_db, *sub, seen)

    return check, seen


def test_fuzz_submission_reader(fuzz_db):
    check, seen = _property(50)
    check(fuzz_db)
    counts = {k: v for k, v in seen.items() if k != "checksum"}
    assert sum(counts.values()) >= 50 and counts.get("rejected", 0) > 0


@pytest.mark.slow
def test_fuzz_submission_reader_500(fuzz_db):
    check, seen = _property(500)
    check(fuzz_db)
    counts = {k: v for k, v in seen.items() if k != "checksum"}
    assert sum(counts.values()) >= 500 and counts.get("rejected", 0) > 0
    print(counts)
