"""A researcher's own data, end to end: an empty database, one or two years, the reports.

No demo database is used (WORKBENCH_DEMO points at an empty folder), except in the test that
checks the demo label appears on the demo.  The notebooks run for real (a kernel each), so
these tests are few: one run per notebook and database shape.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from owndata import filled_submission

from workbench.provenance import DEMO_LABEL, database_provenance
from workbench.runner import run_notebook

REGIONS = ["210102", "210103"]
# a district's first year rarely covers the whole catalogue
LEFT_OUT = ("H01", "H02", "S04")
LABELS = (DEMO_LABEL["zh"], DEMO_LABEL["en"])


def _cli(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "workbench.cli", *args], env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def own(tmp_path_factory):
    """own.duckdb made as a user would: db init, a filled 2026 submission, db ingest."""
    folder = tmp_path_factory.mktemp("own")
    (folder / "nodemo").mkdir()
    env = {**os.environ, "WORKBENCH_DB": str(folder / "own.duckdb"),
           "WORKBENCH_DEMO": str(folder / "nodemo"), "WORKBENCH_OUTPUTS": str(folder / "out")}
    init = _cli("db", "init", str(folder / "own.duckdb"), env=env)
    assert init.returncode == 0, init.stderr
    assert "WORKBENCH_DB=" in init.stdout
    sub = filled_submission(folder / "heping_2026.csv", [2026], REGIONS, drop_indicators=LEFT_OUT)
    ingest = _cli("db", "ingest", str(sub), "--submitted-by", "Heping CDC", env=env)
    assert ingest.returncode == 0, ingest.stderr
    assert "ingested as batch 1" in ingest.stdout
    return folder, env


def _only_run(folder: Path, notebook: str) -> Path:
    runs = [p for p in (folder / notebook).iterdir() if not p.name.startswith(".")]
    assert len(runs) == 1, runs
    return runs[0]


@pytest.mark.parametrize("notebook", ["topic_report", "monitoring"])
def test_first_year_database_reports_name_it_and_carry_no_demo_label(own, notebook):
    folder, env = own
    done = _cli("run", notebook, "-p", "year", "2026", "--no-progress", env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    run = _only_run(folder / "out", notebook)
    html = (run / "report.html").read_text(encoding="utf-8")
    assert "own.duckdb" in html and "Heping CDC" in html
    assert not any(label in html for label in LABELS)
    digest = database_provenance(folder / "own.duckdb").sha256
    assert digest[:12] in html
    manifest = json.loads((run / "manifest.json").read_text())
    assert digest in manifest["inputs"].values()
    tables = sorted((run / "tables").glob("*.csv"))
    assert tables
    for table in tables:  # every exported table opens with the same data line
        first = table.read_text(encoding="utf-8-sig").splitlines()[0]
        assert first.startswith("# 数据来源：own.duckdb") and digest[:12] in first, table.name
    if notebook == "topic_report":  # too few years for a trend: said in words, per indicator
        short = pd.read_csv(run / "tables" / "health_210102_short_series.csv", comment="#",
                            encoding="utf-8-sig")
        assert len(short) and short.iloc[:, 2].eq(1).all()
        assert short.iloc[:, 3].str.contains("3 个年份").all()


def test_demo_database_reports_carry_the_demo_label(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBENCH_OUTPUTS", str(tmp_path))
    result = run_notebook("topic_report", {"year": 2024, "lang": "en"}, update_index=False)
    assert result.ok, result.manifest.get("error")
    html = (result.run_dir / "report.html").read_text(encoding="utf-8")
    assert DEMO_LABEL["en"] in html and "monitoring.duckdb" in html
    first = next((result.run_dir / "tables").glob("*.csv")).read_text("utf-8-sig").splitlines()[0]
    assert first.startswith("# Data: monitoring.duckdb") and DEMO_LABEL["en"] in first
    # year 2024: nothing from 2025 in any table
    latest = pd.read_csv(result.run_dir / "tables" / "health_210102_status.csv", comment="#")
    years = [c for c in latest.columns if "year" in c.lower()]
    assert years and (latest[years].max() <= 2024).all(), latest[years].max()


@pytest.fixture(scope="module")
def two_years(tmp_path_factory):
    """2025 and 2026 for two districts, made with the Python API (db import's path)."""
    from workbench.database import init_database
    from workbench.submissions import ingest_submission

    folder = tmp_path_factory.mktemp("two")
    db = init_database(folder / "two.duckdb")
    sub = filled_submission(folder / "history.csv", [2025, 2026], REGIONS, seed=3,
                            drop_indicators=LEFT_OUT)
    assert ingest_submission(sub, "history import", database=db).status == "ingested"
    return db


_FAST = {"regional_comparison": {"n_draws": 50, "indicators": ["E01", "H03"]},
         "missing_data": {"dataset": "panel", "methods": ["interpolate", "knn"], "m": 2},
         "monitoring": {}, "topic_report": {}, "getting_started": {"indicator": "H03"}}


@pytest.mark.parametrize("shape", ["one_year", "two_years"])
@pytest.mark.parametrize("notebook", sorted(_FAST))
def test_every_notebook_runs_on_one_and_two_year_databases(own, two_years, monkeypatch,
                                                           tmp_path, notebook, shape):
    if shape == "one_year" and notebook in ("topic_report", "monitoring"):
        pytest.skip("run through the command line in the first test of this module")
    folder, _ = own
    db = folder / "own.duckdb" if shape == "one_year" else two_years
    monkeypatch.setenv("WORKBENCH_DB", str(db))
    monkeypatch.setenv("WORKBENCH_DEMO", str(folder / "nodemo"))
    monkeypatch.setenv("WORKBENCH_OUTPUTS", str(tmp_path))
    result = run_notebook(notebook, {"year": 2026, **_FAST[notebook]} if notebook !=
                          "missing_data" else _FAST[notebook], update_index=False)
    assert result.ok, result.manifest.get("error")
    html = (result.run_dir / "report.html").read_text(encoding="utf-8")
    assert Path(db).name in html and not any(label in html for label in LABELS)
