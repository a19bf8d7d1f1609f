"""Dynamic early warning: the register (new / persisting / resolved), responses, refusals."""

from __future__ import annotations

import shutil

import duckdb
import pandas as pd
import pytest
from click.testing import CliRunner

from workbench import config
from workbench.catalogue import load_catalogue
from workbench.cli import main
from workbench.database import connect
from workbench.errors import WorkbenchError
from workbench.monitor import (
    build_register,
    evaluation_summary,
    format_register,
    register_counts,
    register_status,
)
from workbench.store.register import load_register, load_responses, record_response


@pytest.fixture(scope="module")
def demo_register():
    with connect() as db:
        obs = db.observations(breakdown=None)
    return obs, build_register(obs, load_catalogue(), [2023, 2024, 2025], "en")


def _row(indicator: str, region: str, year: int, kind: str = "off_path") -> dict:
    return {"indicator": indicator, "region": region, "sex": "total", "age_group": "total",
            "residence": "total", "hukou": "total", "kind": kind, "year": year,
            "reason": f"r{year}", "responsible_unit": "health"}


def test_states_and_years_on_a_known_register():
    reg = pd.DataFrame([_row("A", "1", 2023), _row("A", "1", 2024), _row("A", "1", 2025),
                        _row("B", "1", 2024), _row("C", "1", 2025),
                        _row("D", "1", 2023), _row("D", "1", 2025)])
    st = register_status(reg, 2025, [2023, 2024, 2025]).set_index("indicator")
    assert st.loc["A", ["state", "years_warned", "since"]].tolist() == ["persisting", 3, 2023]
    assert st.loc["B", ["state", "years_warned", "since"]].tolist() == ["resolved", 1, 2024]
    assert st.loc["C", ["state", "years_warned", "since"]].tolist() == ["new", 1, 2025]
    assert st.loc["D", ["state", "years_warned", "since"]].tolist() == ["new", 1, 2025]
    assert st.loc["A", "reason"] == "r2025" and st.loc["B", "reason"] == "r2024"
    # a year with no warning at all resolves everything of the year before
    quiet = register_status(reg, 2026, [2023, 2024, 2025, 2026]).set_index("indicator")
    assert sorted(quiet.index) == ["A", "C", "D"] and (quiet["state"] == "resolved").all()
    assert quiet.loc["A", ["years_warned", "since"]].tolist() == [3, 2023]
    with pytest.raises(WorkbenchError, match="not assessed"):
        register_status(reg, 2022, [2023, 2024, 2025])


def test_demo_year_over_year_shows_new_persisting_and_resolved(demo_register):
    obs, reg = demo_register
    st = register_status(reg, 2025)
    counts = st["state"].value_counts()
    assert {"new", "persisting", "resolved"} <= set(counts.index)
    assert (st.loc[st["state"] == "persisting", "years_warned"] >= 2).all()
    assert st.loc[st["state"] == "persisting", "years_warned"].max() == 3
    assert not st.duplicated(["indicator", "region", "sex", "age_group", "residence", "hukou",
                              "kind"]).any()
    table = register_counts(st, "en")
    assert table[["new", "persisting", "resolved"]].to_numpy().sum() == len(st)


def test_planted_off_track_series_stay_warned_in_the_register(demo_register):
    from workbench.demo import load_planted

    _, reg = demo_register
    planted = load_planted()
    planted = planted.loc[planted["kind"] == "off_track", ["indicator", "region"]]
    warned = reg[reg["year"] == 2025][["indicator", "region"]].drop_duplicates()
    merged = planted.merge(warned, how="left", indicator=True)
    assert (merged["_merge"] == "both").all(), merged[merged["_merge"] != "both"]


def test_projected_miss_then_miss_persists(demo_register):
    _, reg = demo_register
    assert not reg["kind"].isin(["missed_2025", "projected_miss_2025"]).any()
    st = register_status(reg, 2025)
    t25 = st[st["kind"] == "target_2025"]
    assert (t25["state"] == "persisting").any()


def test_evaluation_counts_resolved_warnings(demo_register):
    obs, reg = demo_register
    from workbench.monitor import assess

    cat = load_catalogue()
    summary = evaluation_summary(assess(obs, cat, 2025, 2025), cat, "en", reg, 2025)
    st = register_status(reg, 2025)
    all_row = summary.set_index("domain").loc["all"]
    keys = reg.drop_duplicates(["indicator", "region", "sex", "age_group", "residence",
                                "hukou", "kind"])
    assert all_row["Warnings raised"] == len(keys)
    open_now = (st["state"] != "resolved").sum()
    assert all_row["Warnings resolved"] == len(keys) - open_now
    with pytest.raises(WorkbenchError, match="evaluation year"):
        evaluation_summary(assess(obs, cat, 2025, 2025), cat, "en", reg)


@pytest.fixture
def db_copy(tmp_path):
    path = tmp_path / "monitoring.duckdb"
    shutil.copy(config.paths().database, path)
    return path


def test_cli_records_warnings_and_responses(db_copy):
    run = CliRunner().invoke
    res = run(main, ["db", "warnings", "--year", "2024", "--year", "2025", "--db", str(db_copy)])
    assert res.exit_code == 0, res.output
    with connect(db_copy) as db:
        reg = load_register(db)
    key = reg[(reg["year"] == 2025) & (reg["kind"] == "off_path")].iloc[0]
    args = ["db", "respond", "--indicator", key["indicator"], "--region", key["region"],
            "--kind", "off_path", "--sex", key["sex"], "--age-group", key["age_group"],
            "--residence", key["residence"], "--hukou", key["hukou"],
            "--measure", "home visits doubled", "--date", "2026-03-01", "--db", str(db_copy)]
    res = run(main, args)
    assert res.exit_code == 0, res.output
    with connect(db_copy) as db:
        responses = load_responses(db)
        reg = load_register(db)
    st = register_status(reg, 2025, [2024, 2025], responses)
    got = st[(st["indicator"] == key["indicator"]) & (st["region"] == key["region"])
             & (st["kind"] == "off_path") & (st["sex"] == key["sex"])
             & (st["age_group"] == key["age_group"])]
    assert got["response"].tolist() == ["home visits doubled"]
    assert got["n_responses"].tolist() == [1]
    table = format_register(st, load_catalogue(), pd.Series(dtype=object), "en")
    assert table["Response"].str.contains("home visits doubled (2026-03-01)",
                                          regex=False).sum() == 1


def test_response_to_a_missing_warning_is_refused_with_the_open_list(db_copy):
    run = CliRunner().invoke
    assert run(main, ["db", "warnings", "--year", "2025", "--db", str(db_copy)]).exit_code == 0
    with connect(db_copy) as db:
        reg = load_register(db)
    unit = reg["responsible_unit"].iloc[0]
    code = reg.loc[reg["responsible_unit"] == unit, "indicator"].iloc[0]
    res = run(main, ["db", "respond", "--indicator", code, "--region", "999999", "--kind",
                     "off_path", "--measure", "x", "--date", "2026-01-01", "--db", str(db_copy)])
    assert res.exit_code == 2
    n_open = (reg["responsible_unit"] == unit).sum()
    assert f"open warnings of unit {unit} ({n_open})" in res.output
    first = reg[reg["responsible_unit"] == unit].iloc[0]
    assert f"{first['indicator']} / {first['region']}" in res.output


def test_database_without_register_tables_still_opens(db_copy):
    con = duckdb.connect(str(db_copy))
    con.execute("DROP TABLE IF EXISTS warning_register")
    con.execute("DROP TABLE IF EXISTS warning_responses")
    con.close()
    with connect(db_copy) as db:
        assert load_register(db).empty and load_responses(db).empty
    with connect(db_copy, read_only=False) as db, pytest.raises(WorkbenchError,
                                                                 match="No open warning"):
        record_response(db, {"indicator": "H01", "region": "210102", "kind": "off_path"},
                        "x", "2026-01-01")
