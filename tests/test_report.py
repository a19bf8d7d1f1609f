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
