import duckdb
import numpy as np
import pandas as pd
import pytest

from workbench.database import KEY_COLUMNS, connect, create_database
from workbench.errors import ValidationError, WorkbenchError


def _obs(**overrides):
    row = {"indicator": "H03", "region": "210102", "year": 2021, "sex": "total",
           "age_group": "total", "residence": "total", "hukou": "total", "value": 4.0,
           "numerator": 40.0, "denominator": 10_000.0, "source": "admin"}
    row.update(overrides)
    return row


def test_write_then_read_back(empty_db):
    frame = pd.DataFrame([_obs(), _obs(year=2022, value=3.5, numerator=35.0)])
    summary = empty_db.write_observations(frame, recorded_by="tester", reason="first load")
    assert (summary.n_new, summary.n_revised, summary.n_unchanged) == (2, 0, 0)
    back = empty_db.observations(indicators=["H03"])
    assert back["value"].tolist() == [4.0, 3.5]
    assert back["year"].tolist() == [2021, 2022]
    assert not back["imputed"].any()


def test_changed_value_becomes_a_revision_not_an_overwrite(empty_db):
    empty_db.write_observations(pd.DataFrame([_obs()]), recorded_by="a")
    same = empty_db.write_observations(pd.DataFrame([_obs()]), recorded_by="b")
    assert (same.n_new, same.n_revised, same.n_unchanged) == (0, 0, 1)
    changed = empty_db.write_observations(
        pd.DataFrame([_obs(value=4.2, numerator=42.0)]), recorded_by="c", reason="correction")
    assert changed.n_revised == 1
    history = empty_db.history("H03", "210102", 2021)
    assert history["revision"].tolist() == [1, 2]
    assert history["value"].tolist() == [4.0, 4.2]
    assert history["recorded_by"].tolist() == ["a", "c"]
    assert history["reason"].tolist()[-1] == "correction"
    assert empty_db.observations(indicators=["H03"])["value"].tolist() == [4.2]


def test_bad_rows_are_all_reported_and_nothing_is_written(empty_db):
    frame = pd.DataFrame([
        _obs(indicator="X99"),                              # unknown indicator
        _obs(region="999999"),                              # unknown region
        _obs(sex="boys"),                                   # unknown dimension value
        _obs(year=2023, value=1200.0, numerator=np.nan, denominator=np.nan),  # > 1,000 per mille
        _obs(year=2024, value="abc"),                       # text in a number cell
        _obs(indicator="E01", value=90.0, numerator=110.0, denominator=100.0),  # num > den
        _obs(year=2025, value=9.9),                         # does not match num/den (4.0)
    ])
    with pytest.raises(ValidationError) as info:
        empty_db.write_observations(frame)
    reasons = {(p["row"], p["column"]) for p in info.value.problems}
    assert {(1, "indicator"), (2, "region"), (3, "sex"), (4, "value"), (5, "value"),
            (6, "numerator"), (7, "value")} <= reasons
    assert empty_db.observations(breakdown=None).empty
    assert empty_db.batches().empty


def test_duplicate_keys_are_refused(empty_db):
    with pytest.raises(ValidationError, match="duplicate key"):
        empty_db.write_observations(pd.DataFrame([_obs(), _obs()]))


def test_missing_key_column_names_it(empty_db):
    with pytest.raises(ValidationError, match="hukou"):
        empty_db.write_observations(pd.DataFrame([_obs()]).drop(columns="hukou"))


def test_failed_statement_rolls_back(empty_db, monkeypatch):
    import workbench.database as database

    monkeypatch.setattr(database, "_INSERT_SQL", "INSERT INTO no_such_table VALUES (?)")
    with pytest.raises(duckdb.Error):
        empty_db.write_observations(pd.DataFrame([_obs()]))
    assert empty_db.batches().empty
    assert empty_db.observations(breakdown=None).empty


def test_breakdown_filter(empty_db):
    frame = pd.DataFrame([_obs(), _obs(sex="male", value=4.4, numerator=22.0,
                                       denominator=5_000.0)])
    empty_db.write_observations(frame)
    assert empty_db.observations(breakdown="sex")["sex"].tolist() == ["male"]
    assert empty_db.observations(breakdown="total")["sex"].tolist() == ["total"]
    assert len(empty_db.observations(breakdown=None)) == 2
    with pytest.raises(WorkbenchError, match="valid"):
        empty_db.observations(breakdown="colour")


def test_unknown_filter_codes_name_valid_ones(empty_db):
    with pytest.raises(WorkbenchError, match="Unknown indicator code.*H01"):
        empty_db.observations(indicators=["NOPE"])


def test_read_only_connection_refuses_writes(tmp_path, catalogue, regions):
    create_database(tmp_path / "r.duckdb", catalogue, regions).close()
    with connect(tmp_path / "r.duckdb") as db, pytest.raises(WorkbenchError, match="read-only"):
        db.write_observations(pd.DataFrame([_obs()]))


def test_create_refuses_to_overwrite(tmp_path, catalogue, regions):
    create_database(tmp_path / "r.duckdb", catalogue, regions).close()
    with pytest.raises(WorkbenchError, match="overwrite"):
        create_database(tmp_path / "r.duckdb", catalogue, regions)


def test_missing_database_says_how_to_build_it(tmp_path):
    with pytest.raises(WorkbenchError, match="workbench demo"):
        connect(tmp_path / "none.duckdb")


def test_catalogue_round_trips_through_the_database(empty_db, catalogue):
    assert empty_db.catalogue().codes == catalogue.codes
    assert KEY_COLUMNS[:3] == ["indicator", "region", "year"]


def test_observations_frame_is_duckdbs_own_conversion(empty_db):
    # observations() converts through Arrow for speed: same values, dtypes and missing values
    # (a NULL numerator) as DuckDB's own DataFrame conversion
    frame = pd.DataFrame([_obs(), _obs(year=2022, value=3.5, numerator=None, denominator=None)])
    empty_db.write_observations(frame, recorded_by="tester")
    direct = empty_db._con.execute(
        "SELECT * EXCLUDE (revision, batch_id) FROM observations ORDER BY year").df()
    pd.testing.assert_frame_equal(empty_db.observations(),
                                  direct.astype({"year": int}), check_exact=True)


def test_catalogue_cache_follows_the_file_and_hands_out_copies(tmp_path, catalogue, regions):
    path = tmp_path / "m.duckdb"
    create_database(path, catalogue, regions).close()
    with connect(path) as db:
        first = db.catalogue()
        first.table.loc["H01", "name_en"] = "changed by a caller"
        assert db.catalogue().table.loc["H01", "name_en"] == catalogue.table.loc["H01", "name_en"]
    with connect(path, read_only=False) as db:  # a write: a new version of the file
        db._con.execute("UPDATE indicators SET name_en = 'renamed' WHERE code = 'H01'")
        db._con.execute("CHECKPOINT")
    with connect(path) as db:
        assert db.catalogue().table.loc["H01", "name_en"] == "renamed"


def test_provenance_cache_sees_every_write(tmp_path, catalogue, regions):
    from workbench.provenance import database_provenance

    path = tmp_path / "p.duckdb"
    with create_database(path, catalogue, regions) as db:
        db.write_observations(pd.DataFrame([_obs()]), recorded_by="first")
    assert database_provenance(path).rows == 1
    with connect(path, read_only=False) as db:
        db.write_observations(pd.DataFrame([_obs(year=2022)]), recorded_by="second")
    after = database_provenance(path)
    assert (after.rows, after.submitted_by) == (2, "second")
    assert database_provenance(path) is after  # unchanged file: the kept answer


def _varied_database(db):
    """Three indicators x two districts x three years, totals and sex/age breakdowns,
    one revised cell, one with numerator and denominator, some with a standard error."""
    rows = []
    for i, code in enumerate(["H01", "H03", "E01"]):
        for region in ["210102", "210103"]:
            for year in [2020, 2021, 2022]:
                base = _obs(indicator=code, region=region, year=year, value=10.0 + i + year % 7,
                            numerator=None, denominator=None)
                rows += [base, {**base, "sex": "male", "value": base["value"] + 0.5},
                         {**base, "age_group": "0-2", "se": 0.25}]
    db.write_observations(pd.DataFrame(rows), recorded_by="tester")
    db.write_observations(pd.DataFrame([_obs(value=9.0, numerator=90.0)]), reason="revised")


@pytest.mark.parametrize("filters", [
    {}, {"indicators": ["H03"]}, {"indicators": ["E01", "H01"], "regions": ["210103"]},
    {"indicators": []}, {"regions": "210102"}, {"years": [2021]}, {"years": ["2022", 2099]},
    {"years": [2 ** 40]}, {"breakdown": None}, {"breakdown": "sex"}, {"breakdown": "age_group"},
    {"breakdown": "hukou"}, {"indicators": ["H03"], "years": [2020, 2022], "breakdown": None},
])
def test_read_only_observations_are_the_sql_querys_rows(tmp_path, catalogue, regions, filters):
    """A read-only connection filters the version's snapshot instead of asking DuckDB:
    the same frame (rows, order, dtypes, missing values) as the SQL query."""
    from workbench.store.database import Database

    path = tmp_path / "v.duckdb"
    with create_database(path, catalogue, regions) as db:
        _varied_database(db)
    with connect(path) as db, Database(duckdb.connect(str(path), read_only=True), path,
                                       True) as sql:
        assert sql._snapshot is None and db._snapshot is not None
        expected = sql.observations(**filters)
        pd.testing.assert_frame_equal(db.observations(**filters), expected, check_exact=True)
        assert db._live is None  # DuckDB was not opened for it
        if filters == {"breakdown": None}:
            revised = expected.query("indicator == 'H03' and region == '210102' and year == 2021 "
                                     "and sex == 'total' and age_group == 'total'")
            assert len(expected) == 54 and revised["value"].tolist() == [9.0]
        assert db.meta() == sql.meta() and db.catalogue().codes == sql.catalogue().codes


def test_read_only_connection_reads_the_version_it_opened(tmp_path, catalogue, regions):
    """A reader holds no lock: a writer may write meanwhile.  The reader keeps reading the
    version it opened; a query it must ask DuckDB refuses, naming the file; a new
    connection reads the new version."""
    path = tmp_path / "w.duckdb"
    with create_database(path, catalogue, regions) as db:
        db.write_observations(pd.DataFrame([_obs()]))
    with connect(path) as reader:
        assert len(reader.observations()) == 1
        with connect(path, read_only=False) as writer:
            writer.write_observations(pd.DataFrame([_obs(year=2022)]))
        assert len(reader.observations()) == 1
        with pytest.raises(WorkbenchError, match="w.duckdb has been written"):
            reader.population()
    with connect(path) as reader:
        assert reader.observations()["year"].tolist() == [2021, 2022]
        assert reader.population().empty  # a live query on an unchanged file
