import pandas as pd
import pytest
from openpyxl import load_workbook

from workbench.errors import WorkbenchError
from workbench.report import RUN_DIR_ENV, start


def test_interactive_report_writes_nothing(monkeypatch, tmp_path):
    monkeypatch.delenv(RUN_DIR_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    report = start(lang="en")
    report.table(pd.DataFrame({"value": [1.0]}), "t", display=False)
    assert report.out_dir is None and list(tmp_path.iterdir()) == []


def test_run_report_writes_csv_and_formatted_xlsx(monkeypatch, tmp_path):
    monkeypatch.setenv(RUN_DIR_ENV, str(tmp_path))
    report = start(lang="zh")
    df = pd.DataFrame({"region": ["和平区"], "value": [3.25]})
    report.table(df, "demo", title="标题", notes=["* 演示占位值"], display=False)
    csv = (tmp_path / "tables" / "demo.csv").read_bytes()
    assert csv.startswith(b"\xef\xbb\xbf")  # BOM so Excel opens Chinese correctly
    assert "地区" in csv.decode("utf-8-sig")
    ws = load_workbook(tmp_path / "tables" / "demo.xlsx").active
    assert ws["A1"].value == "标题"
    assert ws["A3"].value == "地区" and ws["A3"].font.bold
    assert ws.freeze_panes == "A4"
    assert ws["A6"].value == "* 演示占位值"


def test_bad_output_names_are_refused(monkeypatch, tmp_path):
    monkeypatch.setenv(RUN_DIR_ENV, str(tmp_path))
    report = start()
    for name in ("../escape", "/abs", "a b", ""):
        with pytest.raises(WorkbenchError):
            report.table(pd.DataFrame({"a": [1]}), name, display=False)


def test_published_estimates_pass_disclosure_control(monkeypatch, tmp_path):
    monkeypatch.setenv(RUN_DIR_ENV, str(tmp_path))
    report = start(lang="en")
    df = pd.DataFrame({"group": ["a", "b"], "estimate": [0.52, 0.31], "se": [0.01, 0.02],
                       "cv": [0.02, 0.45], "n": [120, 6]})
    report.table(df, "est", display=False)
    saved = pd.read_csv(tmp_path / "tables" / "est.csv", dtype=str)
    assert saved.loc[1, "estimate"] == "x" and saved.loc[0, "estimate"] == "0.52"
    ws = load_workbook(tmp_path / "tables" / "est.xlsx").active
    notes = [c.value for c in ws["A"] if c.value and "fewer than 10" in str(c.value)]
    assert notes


def test_frequency_tables_get_secondary_suppression(monkeypatch, tmp_path):
    monkeypatch.setenv(RUN_DIR_ENV, str(tmp_path))
    report = start(lang="zh")
    df = pd.DataFrame({"district": ["A", "B", "C", "total"], "boys": [3, 20, 25, 48],
                       "girls": [30, 40, 22, 92], "total": [33, 60, 47, 140]})
    report.table(df, "freq", frequency=True, display=False)
    saved = pd.read_csv(tmp_path / "tables" / "freq.csv", dtype=str)
    assert (saved[["boys", "girls"]] == "x").to_numpy().sum() == 4
    assert saved.loc[0, "total"] == "33"


def test_identifier_columns_are_refused(monkeypatch, tmp_path):
    monkeypatch.setenv(RUN_DIR_ENV, str(tmp_path))
    report = start()
    df = pd.DataFrame({"id_number": ["11010519491231002X"], "value": [1]})
    with pytest.raises(WorkbenchError, match="id_number"):
        report.table(df, "leak", display=False)
    assert not (tmp_path / "tables" / "leak.csv").exists()
