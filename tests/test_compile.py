"""The annual compilation: workbook, CSVs, footnote marks, atomic write, CLI."""

from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from workbench import config
from workbench.cli import main
from workbench.compile import FOOTNOTES, MARKS, compile_year


@pytest.fixture(scope="module")
def compiled(tmp_path_factory):
    if not config.paths().database.exists():
        pytest.skip("demo database not built (run `workbench demo`)")
    return compile_year(2025, out_dir=tmp_path_factory.mktemp("comp"))


def test_one_sheet_per_domain(compiled, catalogue):
    wb = load_workbook(compiled.workbook, read_only=True)
    assert len(wb.sheetnames) == catalogue.table["domain"].nunique() == 7
    assert "健康 Health" in wb.sheetnames
    csvs = sorted(p.stem for p in compiled.folder.glob("*.csv"))
    assert csvs == sorted(catalogue.table["domain"].unique())


def test_every_indicator_listed_with_targets(compiled, catalogue):
    health = pd.read_csv(compiled.folder / "health.csv", encoding="utf-8-sig", dtype=str)
    assert set(health["代码 Code"]) == set(catalogue.in_domain("health").index)
    # never-collected indicators appear with "…" for every district
    h09 = health[health["代码 Code"] == "H09"]
    assert len(h09) == 1 and (h09.iloc[0, 7:] == "…").all()
    # placeholder targets carry *; published ones do not
    h04 = health[health["代码 Code"] == "H04"].iloc[0]
    assert h04["2030年目标 2030 target"].endswith(MARKS["placeholder"])
    assert health[health["代码 Code"] == "H03"].iloc[0]["2030年目标 2030 target"] == "<= 6"
    assert {"合计 Total", "男 Male", "女 Female"} <= set(health["分组 Breakdown"])


def test_marks_match_database_flags(compiled):
    from workbench.database import connect

    with connect() as db:
        obs = db.observations(years=[2025], breakdown="total", regions=["210102"])
    health = pd.read_csv(compiled.folder / "health.csv", encoding="utf-8-sig", dtype=str)
    total = health[health["分组 Breakdown"] == "合计 Total"].set_index("代码 Code")
    cell = total["和平区 Heping"]
    for _, row in obs[obs["indicator"].str.startswith("H")].iterrows():
        text = cell[row["indicator"]]
        assert (MARKS["provisional"] in text) == bool(row["provisional"])
        assert (MARKS["imputed"] in text) == bool(row["imputed"])


def test_footnotes_in_workbook(compiled):
    ws = load_workbook(compiled.workbook)["健康 Health"]
    texts = {c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)}
    assert set(FOOTNOTES) <= texts


def test_rewrite_replaces_atomically(compiled):
    again = compile_year(2025, out_dir=compiled.folder.parent)
    assert again.folder == compiled.folder
    assert not [p for p in compiled.folder.parent.iterdir() if p.name.startswith(".")]


def test_cli_compile(tmp_path):
    if not config.paths().database.exists():
        pytest.skip("demo database not built")
    res = CliRunner().invoke(main, ["compile", "--year", "2025", "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "2025" / "compilation_2025.xlsx").exists()


def test_cli_compile_unknown_year(tmp_path):
    if not config.paths().database.exists():
        pytest.skip("demo database not built")
    res = CliRunner().invoke(main, ["compile", "--year", "1999", "--out", str(tmp_path)])
    assert res.exit_code == 2
    assert "No observations for year 1999" in res.output
    assert not list(tmp_path.iterdir())
