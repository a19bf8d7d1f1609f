"""The submission round: template, bad files, revisions, merge, export, crash safety."""

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook
from owndata import fill_values as _fill_values

from workbench.catalogue import load_catalogue
from workbench.database import connect, create_database
from workbench.regions import load_regions
from workbench.submissions import (
    SHEET,
    TEMPLATE_COLUMNS,
    check_submission,
    expected_rows,
    export_observations,
    ingest_submission,
    merge_databases,
    write_template,
)

UNIT = "education"
YEAR = 2026


def _filled_template(tmp_path, name="filled.xlsx", change=None):
    path = write_template(UNIT, YEAR, tmp_path / "template.xlsx")
    wb = load_workbook(path)
    ws = wb[SHEET]
    header = [c.value for c in ws[1]]
    col = {k: header.index(v) + 1 for k, v in TEMPLATE_COLUMNS.items()}
    keys = pd.DataFrame([[ws.cell(r, col[k]).value for k in ("indicator", "region")]
                         for r in range(2, ws.max_row + 1)], columns=["indicator", "region"])
    values = _fill_values(keys)
    for i, r in enumerate(range(2, ws.max_row + 1)):
        for k in ("value", "numerator", "denominator"):
            v = values.at[i, k]
            ws.cell(r, col[k]).value = None if pd.isna(v) else float(v)
    if change:
        change(ws, col)
    wb.save(tmp_path / name)
    return tmp_path / name


@pytest.fixture
def city_db(tmp_path):
    path = tmp_path / "city.duckdb"
    create_database(path, load_catalogue(), load_regions()).close()
    return path


def _checksum(path):
    with connect(path) as db:
        return db.checksum()


def test_template_lists_the_units_indicators_and_breakdowns(tmp_path):
    path = write_template(UNIT, YEAR, tmp_path / "t.xlsx")
    wb = load_workbook(path)
    assert wb.sheetnames == [SHEET, "指标说明 indicators", "填报说明 instructions"]
    ws = wb[SHEET]
    assert ws.protection.sheet
    assert [c.value for c in ws[1]] == list(TEMPLATE_COLUMNS.values())
    expected = expected_rows(UNIT, YEAR)
    assert ws.max_row - 1 == len(expected)
    codes = {ws.cell(r, 1).value for r in range(2, ws.max_row + 1)}
    assert codes == set(load_catalogue().reported_by(UNIT)["code"])
    value_col = list(TEMPLATE_COLUMNS).index("value") + 1
    assert not ws.cell(2, value_col).protection.locked
    assert ws.cell(2, 1).protection.locked
    assert len(ws.data_validations.dataValidation) >= 5
    # urban-only Heping gets no urban/rural rows; rural Xinmin does
    heping = expected[expected["region"] == "210102"]
    assert heping["residence"].eq("total").all()


def test_round_trip_template_fill_ingest_export(tmp_path, city_db):
    filled = _filled_template(tmp_path)
    result = ingest_submission(filled, "教育局 tester", "annual round", database=city_db)
    assert result.status == "ingested", result.report.table("en")
    export = export_observations("parquet", tmp_path / "export", database=city_db)
    back = pd.read_parquet(export / "observations.parquet")
    sent = check_submission(filled).rows
    merged = sent.astype({"year": int}).merge(back, on=["indicator", "region", "year", "sex",
                                                        "age_group", "residence", "hukou"])
    assert len(merged) == len(sent) == len(back)
    np.testing.assert_array_equal(merged["value_x"].astype(float), merged["value_y"])
    assert (export / "data_dictionary.csv").exists() and (export / "indicators.csv").exists()


def _bad_cases():
    def set_cell(key, value, row=2):
        return lambda ws, col: setattr(ws.cell(row, col[key]), "value", value)

    return {
        "unknown indicator": (set_cell("indicator", "E99"), "unknown indicator E99"),
        "unknown region": (set_cell("region", "219999"), "unknown region 219999"),
        "rate above 100%": (lambda ws, col: [setattr(ws.cell(2, col[k]), "value", v) for k, v in
                                             (("value", 120.0), ("numerator", None),
                                              ("denominator", None))],
                            "outside the possible range"),
        "numerator > denominator": (lambda ws, col: [setattr(ws.cell(2, col[k]), "value", v)
                                                     for k, v in (("numerator", 50.0),
                                                                  ("denominator", 40.0),
                                                                  ("value", 100.0))],
                                    "numerator larger than denominator"),
        "value not num/den": (set_cell("value", 12.5), "does not match numerator/denominator"),
        "text in number": (set_cell("value", "九十"), "not a number"),
        "year outside plan": (set_cell("year", 2035), "outside the plan period"),
        "missing breakdown": (lambda ws, col: [setattr(ws.cell(3, col[k]), "value", None)
                                               for k in ("value", "numerator", "denominator")],
                              "missing required disaggregation"),
        "duplicate keys": (lambda ws, col: [setattr(ws.cell(3, col[k]), "value",
                                                    ws.cell(2, col[k]).value)
                                            for k in ("sex", "age_group", "residence", "hukou")],
                           "duplicate key"),
    }


@pytest.mark.parametrize("case", list(_bad_cases()))
def test_bad_submission_gets_row_level_message_and_nothing_changes(tmp_path, city_db, case):
    change, reason = _bad_cases()[case]
    bad = _filled_template(tmp_path, "bad.xlsx", change)
    before = _checksum(city_db)
    result = ingest_submission(bad, "tester", database=city_db, require_complete=True)
    assert result.status == "rejected"
    table = result.report.table("en")
    hit = table[table["reason"].str.contains(reason)]
    assert len(hit), table
    assert hit["sheet"].eq(SHEET).all()
    assert {2, 3} & set(hit["row"]), hit  # the planted row is named
    assert result.report.table("zh")["reason"].str.len().gt(0).all()
    assert _checksum(city_db) == before


def test_missing_breakdown_is_a_listed_warning_and_the_rest_is_written(tmp_path, city_db):
    change, _ = _bad_cases()["missing breakdown"]
    partial = _filled_template(tmp_path, "partial.xlsx", change)
    result = ingest_submission(partial, "tester", database=city_db)
    assert result.status == "ingested", result.report
    gaps = result.report.warnings
    assert len(gaps) == 1 and gaps["row"].iloc[0] == 3, gaps
    assert "missing required disaggregation" in gaps["reason_en"].iloc[0]
    assert result.n_new == len(result.report.rows)


def test_empty_file_wrong_sheet_merged_header_not_a_spreadsheet(tmp_path, city_db):
    from openpyxl import Workbook

    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    wrong = tmp_path / "wrong.xlsx"
    wb = Workbook()
    wb.active.title = "Sheet1"
    wb.save(wrong)
    merged = tmp_path / "merged.xlsx"
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    ws.append(list(TEMPLATE_COLUMNS.values()))
    ws.merge_cells("A1:B1")
    ws.append(["E01"] * len(TEMPLATE_COLUMNS))
    wb.save(merged)
    fake = tmp_path / "fake.xlsx"
    fake.write_text("this is not a workbook")
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(b"%PDF-1.4")
    header_only = tmp_path / "header.csv"
    header_only.write_text(",".join(TEMPLATE_COLUMNS) + "\n", encoding="utf-8")
    before = _checksum(city_db)
    expectations = {empty: "is empty", wrong: "no sheet named", merged: "merged header cells",
                    fake: "not a readable XLSX", pdf: "not a spreadsheet",
                    header_only: "no data rows"}
    for path, reason in expectations.items():
        result = ingest_submission(path, "tester", database=city_db)
        assert result.status == "rejected", path.name
        assert reason in result.report.problems["reason_en"].iloc[0], (path.name, result.report)
    assert "Sheet1" in ingest_submission(wrong, "t", database=city_db).report.problems[
        "reason_en"].iloc[0]
    assert _checksum(city_db) == before


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_in_chinese_encodings(tmp_path, city_db, encoding):
    rows = _fill_values(expected_rows(UNIT, YEAR))
    rows.columns = [TEMPLATE_COLUMNS.get(c, c) for c in rows.columns]  # bilingual headers
    path = tmp_path / f"sub_{encoding}.csv"
    path.write_bytes(rows.to_csv(index=False).encode(encoding))
    result = ingest_submission(path, "区统计局", database=city_db)
    assert result.status == "ingested", result.report.table("en").head()
    assert result.n_new == len(rows)


def test_revisions_are_recorded_and_large_ones_need_acceptance(tmp_path, city_db):
    first = _filled_template(tmp_path, "first.xlsx")
    assert ingest_submission(first, "a", database=city_db).status == "ingested"
    again = ingest_submission(first, "a", database=city_db)
    assert (again.n_new, again.n_revised) == (0, 0)

    def small_change(ws, col):
        ws.cell(2, col["value"]).value = ws.cell(2, col["value"]).value * 1.01
        ws.cell(2, col["numerator"]).value = None
        ws.cell(2, col["denominator"]).value = None

    small = _filled_template(tmp_path, "small.xlsx", small_change)
    result = ingest_submission(small, "b", "correction", database=city_db)
    assert (result.status, result.n_revised) == ("ingested", 1)

    def big_change(ws, col):
        ws.cell(2, col["value"]).value = ws.cell(2, col["value"]).value * 0.5
        ws.cell(2, col["numerator"]).value = None
        ws.cell(2, col["denominator"]).value = None

    big = _filled_template(tmp_path, "big.xlsx", big_change)
    before = _checksum(city_db)
    refused = ingest_submission(big, "c", database=city_db)
    assert refused.status == "needs_acceptance" and len(refused.large_revisions) == 1
    assert _checksum(city_db) == before
    accepted = ingest_submission(big, "c", "checked with unit", database=city_db,
                                 accept_revisions=True)
    assert accepted.n_revised == 1
    row = check_submission(big).rows.iloc[0]
    with connect(city_db) as db:
        history = db.history(row["indicator"], row["region"], YEAR)
    same = np.logical_and.reduce([history[d] == row[d] for d in
                                  ("sex", "age_group", "residence", "hukou")])
    cell = history[same]
    assert cell["revision"].tolist() == [1, 2, 3]
    assert cell["recorded_by"].tolist() == ["a", "b", "c"]


def _district_db(path, region, values, seed):
    create_database(path, load_catalogue(), load_regions()).close()
    rows = _fill_values(expected_rows(UNIT, YEAR, regions=[region]), seed)
    if values is not None:
        rows["value"] = values(rows)
    with connect(path, read_only=False) as db:
        db.write_observations(rows, recorded_by=region)
    return rows


def test_merge_districts_into_city_and_report_conflicts(tmp_path, city_db):
    a = _district_db(tmp_path / "heping.duckdb", "210102", None, 1)
    b = _district_db(tmp_path / "shenhe.duckdb", "210103", None, 2)
    merged = merge_databases([tmp_path / "heping.duckdb", tmp_path / "shenhe.duckdb"], city_db,
                             "city office")
    assert merged.status == "merged" and merged.n_new == len(a) + len(b)
    # a third database that disagrees with Heping on the same cells: conflicts, nothing merged
    create_database(tmp_path / "other.duckdb", load_catalogue(), load_regions()).close()
    clash = a.copy()
    clash["value"] = clash["value"] * 0.9
    clash[["numerator", "denominator"]] = np.nan
    with connect(tmp_path / "other.duckdb", read_only=False) as db:
        db.write_observations(clash.head(3), recorded_by="x")
    before = _checksum(city_db)
    result = merge_databases([tmp_path / "heping.duckdb", tmp_path / "other.duckdb"], city_db,
                             "city office")
    assert result.status == "conflicts"
    assert len(result.conflicts) == 6 and set(result.conflicts["source_db"]) == {
        "heping.duckdb", "other.duckdb"}
    assert _checksum(city_db) == before


_SLOW_INGEST = """
import sys, time
import workbench.database as database
def slow(self, obs, *args, **kwargs):
    self._con.execute("BEGIN TRANSACTION")
    self._con.register("incoming", obs)
    self._con.execute(database._INSERT_SQL, [999])
    print("inserted, not committed", flush=True)
    time.sleep(60)
database.Database.write_validated = slow
from workbench.submissions import ingest_submission
ingest_submission(sys.argv[1], "killed", database=sys.argv[2])
"""


def test_killed_ingest_leaves_database_as_it_was(tmp_path, city_db):
    first = _filled_template(tmp_path, "first.xlsx")
    ingest_submission(first, "a", database=city_db)
    with connect(city_db) as db:
        before = (db.checksum(), len(db.observations(breakdown=None)))
    rows = _fill_values(expected_rows(UNIT, YEAR + 1))
    path = tmp_path / "next.csv"
    rows.to_csv(path, index=False)
    proc = subprocess.Popen([sys.executable, "-c", _SLOW_INGEST, str(path), str(city_db)],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "inserted, not committed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    with connect(city_db) as db:
        assert (db.checksum(), len(db.observations(breakdown=None))) == before


def test_second_writer_waits_then_gets_a_clear_message(city_db):
    from workbench.errors import WorkbenchError
    from workbench.submissions import open_for_writing

    holder = subprocess.Popen([sys.executable, "-c",
                               "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
                               "print('locked', flush=True); time.sleep(30)", str(city_db)],
                              stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "locked"
    started = time.perf_counter()
    with pytest.raises(WorkbenchError, match="another process"):
        open_for_writing(city_db, wait=1.0)
    assert time.perf_counter() - started >= 1.0
    holder.kill()
    holder.wait()
    with open_for_writing(city_db, wait=5.0) as db:
        assert not db.read_only


def test_merge_applies_revision_rules(tmp_path, city_db):
    rows = _district_db(tmp_path / "heping.duckdb", "210102", None, 1)
    assert merge_databases([tmp_path / "heping.duckdb"], city_db, "city").status == "merged"
    create_database(tmp_path / "v2.duckdb", load_catalogue(), load_regions()).close()
    changed = rows.head(2).assign(value=lambda d: d["value"] * 0.5, numerator=np.nan,
                                  denominator=np.nan)
    with connect(tmp_path / "v2.duckdb", read_only=False) as db:
        db.write_observations(changed, recorded_by="x")
    before = _checksum(city_db)
    refused = merge_databases([tmp_path / "v2.duckdb"], city_db, "city")
    assert refused.status == "needs_acceptance" and refused.revisions["large"].sum() == 2
    assert _checksum(city_db) == before
    accepted = merge_databases([tmp_path / "v2.duckdb"], city_db, "city", accept_revisions=True)
    assert (accepted.status, accepted.n_revised) == ("merged", 2)


def test_merge_refuses_codes_unknown_to_the_city(tmp_path):
    from workbench.errors import WorkbenchError
    from workbench.regions import Regions

    table = load_regions().table.reset_index(drop=True)
    extra = pd.concat([table, pd.DataFrame([{"code": "210102001", "name_zh": "街道",
                                             "name_en": "street", "level": "street",
                                             "parent_code": "210102", "kind": "street",
                                             "urbanisation": "urban"}])], ignore_index=True)
    street_db = tmp_path / "street.duckdb"
    create_database(street_db, load_catalogue(), Regions(extra)).close()
    row = _fill_values(expected_rows(UNIT, YEAR, ["210102"])).head(1).assign(region="210102001")
    with connect(street_db, read_only=False) as db:
        db.write_observations(row, recorded_by="street")
    city = tmp_path / "c.duckdb"
    create_database(city, load_catalogue(), load_regions()).close()
    with pytest.raises(WorkbenchError, match="210102001"):
        merge_databases([street_db], city, "city")


def test_cli_round(tmp_path, city_db):
    from click.testing import CliRunner

    from workbench.cli import main

    run = CliRunner().invoke
    template = tmp_path / "t.xlsx"
    assert run(main, ["db", "template", "--unit", UNIT, "--year", str(YEAR), "-o",
                      str(template)]).exit_code == 0
    filled = _filled_template(tmp_path)
    ok = run(main, ["db", "validate", str(filled), "--db", str(city_db)])
    assert ok.exit_code == 0 and "OK" in ok.output
    bad = _filled_template(tmp_path, "bad.xlsx", lambda ws, col: setattr(
        ws.cell(2, col["indicator"]), "value", "E99"))
    refused = run(main, ["db", "ingest", str(bad), "--submitted-by", "t", "--db", str(city_db),
                         "--lang", "en"])
    assert refused.exit_code == 1 and "E99" in refused.output
    done = run(main, ["db", "ingest", str(filled), "--submitted-by", "教育局", "--db",
                      str(city_db)])
    assert done.exit_code == 0 and "ingested" in done.output
    row = check_submission(filled).rows.iloc[0]
    hist = run(main, ["db", "history", row["indicator"], row["region"], str(YEAR), "--db",
                      str(city_db)])
    assert hist.exit_code == 0 and "教育局" in hist.output
    out = tmp_path / "extract"
    exported = run(main, ["db", "export", "--format", "csv", "-o", str(out), "--db",
                          str(city_db)])
    assert exported.exit_code == 0 and (out / "observations.csv").exists()
    unknown = run(main, ["db", "template", "--unit", "nobody", "--year", "2026"])
    assert unknown.exit_code == 2 and "education" in unknown.output


def test_two_ingests_at_once_both_land_whole(tmp_path, city_db):
    first = _filled_template(tmp_path, "a.xlsx")
    rows = _fill_values(expected_rows(UNIT, YEAR + 1), seed=5)
    second = tmp_path / "b.csv"
    rows.to_csv(second, index=False)
    code = ("import sys; from workbench.submissions import ingest_submission; "
            "print(ingest_submission(sys.argv[1], sys.argv[2], database=sys.argv[3]).status)")
    procs = [subprocess.Popen([sys.executable, "-c", code, str(f), who, str(city_db)],
                              stdout=subprocess.PIPE, text=True)
             for f, who in ((first, "a"), (second, "b"))]
    outputs = [p.communicate(timeout=120)[0].strip() for p in procs]
    assert outputs == ["ingested", "ingested"]
    with connect(city_db) as db:
        assert sorted(db.batches()["recorded_by"]) == ["a", "b"]
        assert len(db.observations(breakdown=None)) == len(check_submission(first).rows) + len(rows)
