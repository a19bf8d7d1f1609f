"""Own files in the forms researchers have them: platform XLSX, plain papermill values, imports."""

import subprocess
import sys

import pandas as pd
import pytest
from click.testing import CliRunner
from owndata import filled_submission

from workbench.cli import main
from workbench.database import connect
from workbench.params import coerce_values, split_pair
from workbench.survey import SurveyDesign, load_survey_file, read_spec


def test_chinese_platform_xlsx_with_a_design_file(tmp_path):
    raw = pd.DataFrame({
        "序号": [1, 2, 3, 4, 5, 6],
        "提交答卷时间": ["2026/3/1 10:00"] * 6,
        "1、您孩子的性别：": ["男", "女", "女", "男", "女", "男"],
        "2、所在学校": [1, 1, 2, 2, 3, 3],
        "3、每天屏幕时间（小时）": [1.5, 2.0, 3.0, 0.5, 2.5, 1.0],
        "4、课外活动（多选）": ["运动┋阅读", "阅读", "艺术┋运动", None, "运动", "阅读┋艺术"],
        "weight": 1.0,  # the platform gives none: the researcher adds the design weight
    })
    raw.to_excel(tmp_path / "wjx.xlsx", index=False)
    (tmp_path / "survey.yaml").write_text(
        "psu: Q2\nweights: weight\nread: {platform: true, multi_choice: [Q4]}\n"
        "variables: [Q3, Q4_1]\n"
        "domains: [Q1]\nvalue_labels: {Q1: {男: boy, 女: girl}}\n", encoding="utf-8")
    spec = read_spec(tmp_path / "survey.yaml")
    source = load_survey_file(tmp_path / "wjx.xlsx", spec.read, spec.value_labels)
    data = source.data
    questions = [c for c in data.columns if c.startswith("Q")]
    assert questions == ["Q1", "Q2", "Q3", "Q4_1", "Q4_2", "Q4_3"]
    assert source.variable_labels["Q1"] == "您孩子的性别"
    assert source.variable_labels["Q4_2"] == "课外活动（多选）: 阅读"
    # 0/1 per option; the unanswered row stays missing, never counted as "no"
    assert data["Q4_1"].tolist()[:3] == [1.0, 0.0, 1.0] and pd.isna(data["Q4_1"].iloc[3])
    assert source.labelled["Q1"].tolist()[:2] == ["boy", "girl"]
    design = SurveyDesign.from_spec(data, spec)
    share = design.mean("Q4_1", na_rm=True)["estimate"].item()
    assert share == pytest.approx(3 / 5)  # 运动 in 3 of the 5 answers (equal weights)


def test_values_as_plain_papermill_passes_them():
    got = coerce_values("monitoring", {"year": "2026", "regions": 210102, "lang": "en"})
    assert got == {"year": 2026, "regions": ["210102"], "lang": "en"}
    got = coerce_values("regional_comparison", {"indicators": "S04,H01", "focus_region": 210104})
    assert got == {"indicators": ["S04", "H01"], "focus_region": "210104"}
    assert split_pair("design=a=b.yaml") == ("design", "a=b.yaml")


def test_plain_papermill_cli_region_as_number(tmp_path):
    out = tmp_path / "gs.ipynb"
    done = subprocess.run([sys.executable, "-m", "papermill", "notebooks/getting_started.ipynb",
                           str(out), "-p", "focus_region", "210104", "-p", "year", "2024",
                           "--no-progress-bar"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]


def test_db_import_history_and_missing_breakdowns_warned(tmp_path, monkeypatch):
    db = tmp_path / "own.duckdb"
    runner = CliRunner()
    assert runner.invoke(main, ["db", "init", str(db)]).exit_code == 0
    history = filled_submission(tmp_path / "history.csv", [2023, 2024, 2025], ["210102"])
    rows = pd.read_csv(history, encoding="utf-8-sig")
    sex = rows.columns[[c.endswith("sex") for c in rows.columns]][0]
    rows = rows[~((rows[sex] == "female") & rows.iloc[:, 0].eq("E01"))]  # a breakdown left out
    rows.to_csv(history, index=False, encoding="utf-8-sig")
    refused = runner.invoke(main, ["db", "import", str(history), "--db", str(db),
                                   "--require-complete", "--lang", "en"])
    assert refused.exit_code == 1 and "missing required disaggregation" in refused.output
    done = runner.invoke(main, ["db", "import", str(history), "--db", str(db), "--lang", "en"])
    assert done.exit_code == 0, done.output
    assert "required breakdown(s) missing" in done.output and "ingested" in done.output
    with connect(db) as con:
        obs = con.observations(breakdown=None)
    assert sorted(obs["year"].unique()) == [2023, 2024, 2025]
    assert len(obs) == len(rows)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_demo_exports_say_they_are_demo(tmp_path, fmt):
    from workbench.provenance import DEMO_LABEL
    from workbench.submissions import export_observations

    folder = export_observations(fmt, tmp_path / "export")
    if fmt == "csv":
        first = (folder / "observations.csv").read_text("utf-8-sig").splitlines()[0]
        assert first.startswith("# 数据来源：monitoring.duckdb")
        body = pd.read_csv(folder / "observations.csv", comment="#", encoding="utf-8-sig")
        assert len(body) > 1000 and "indicator" in body.columns
    else:
        first = pd.read_excel(folder / "observations.xlsx", sheet_name="source").iloc[0, 0]
    assert DEMO_LABEL["zh"] in first and DEMO_LABEL["en"] in first
