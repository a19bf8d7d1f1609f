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


def test_xlsx_shows_each_indicator_with_its_decimals_and_keeps_full_values(monkeypatch,
                                                                           tmp_path):
    from workbench.catalogue import load_catalogue

    units = load_catalogue().table["unit"]
    assert units["H05"] == "percent" and units["H01"] == "per_1000"  # 1 and 2 decimals
    monkeypatch.setenv(RUN_DIR_ENV, str(tmp_path))
    report = start(lang="en")
    df = pd.DataFrame({"indicator": ["H05", "H01"], "year": [2024, 2025],
                       "value": [96.123456, 4.56789], "ratio": [1.23456, 0.5],
                       "p_value": [0.0412, 1e-9], "share": [0.875, 0.1234],
                       "regions": [13, 1200]})
    report.table(df, "ind", title="t", percent=["share"], display=False)
    ws = load_workbook(tmp_path / "tables" / "ind.xlsx").active
    header = [c.value for c in ws[3]]
    rows = {r[0].value: {h: c for h, c in zip(header, r, strict=True)} for r in ws.iter_rows(4, 5)}
    value = header[2]
    assert rows["H05"][value].number_format == "#,##0.0"  # percent: one decimal
    assert rows["H01"][value].number_format == "#,##0.00"  # per 1,000: two
    assert rows["H05"][value].value == 96.123456  # the value itself is not rounded
    assert rows["H05"][header[1]].number_format == "0"  # a year has no thousands separator
    assert rows["H01"][header[3]].number_format == "#,##0.00"  # a statistic, not the value
    assert rows["H01"][header[4]].number_format == '[<0.001]"< 0.001";0.000'
    assert rows["H01"][header[4]].value == 1e-9
    assert rows["H05"][header[5]].number_format == "#,##0.0%"
    assert rows["H01"][header[6]].number_format == "#,##0"


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


def test_indicator_values_keep_their_decimals_even_when_whole():
    """95.0 % prints 95.0 in a table of indicators; ranks, counts and years stay whole."""
    from workbench.catalogue import load_catalogue
    from workbench.reporting._format import format_table

    table = pd.DataFrame({"indicator": ["H05", "H01"], "和平区": [95.0, 3.0],
                          "本区排名": [2.0, 5.0], "自": [2025, 2024],
                          "达标概率": [1.0, 0.5]})
    rows = format_table(table, "zh", load_catalogue())["rows"]
    # columns: code, unit (added), district value, rank, since, probability
    assert [r[2] for r in rows] == ["95.0", "3.00"]
    assert [r[3] for r in rows] == ["2", "5"]
    assert [r[4] for r in rows] == ["2025", "2024"]
    assert [r[5] for r in rows] == ["1.00", "0.50"]


def test_register_table_has_no_row_label_column():
    """The register's filtered row labels are not published as an "index" column."""
    from workbench.monitor import format_register
    from workbench.reporting._format import format_table

    status = pd.DataFrame({
        "indicator": ["H01"], "region": ["210102"], "sex": ["total"], "age_group": ["total"],
        "residence": ["total"], "hukou": ["total"], "kind": ["off_path"], "state": ["new"],
        "years_warned": [1], "since": [2025], "response": [""], "response_date": [pd.NaT],
        "responsible_unit": ["health_commission"]}, index=[6])
    from workbench.catalogue import load_catalogue

    table = format_register(status, load_catalogue(), pd.Series({"210102": "和平区"}), "zh")
    formatted = format_table(table, "zh", load_catalogue())
    assert "index" not in formatted["headers"]
    assert formatted["rows"][0][formatted["headers"].index("自")] == "2025"


def test_column_facts_follow_the_pandas_rules():
    """The list-based column facts give the answers of the pandas rules they replace."""
    import numpy as np

    from workbench.reporting._columns import column_facts, is_bool_pandas, missing_pandas
    from workbench.reporting._flags import numbers_with_marks

    columns = [
        pd.Series([1.5, np.nan, np.inf, -np.inf, 0.0]),
        pd.Series([1, None, 3, 4, 5], dtype="Int64"),
        pd.Series(["a", None, "nan", "", "<NA>"]),
        pd.Series(["a", None, "None", "inf"], dtype="string"),
        pd.Series([True, None, False, np.nan], dtype=object),
        pd.Series([True, False]),
        pd.Series(["x", 12, 2.5, None, "x"], dtype=object),  # numbers among marks
        pd.Series(["x", "12"], dtype=object),                # text, not numbers
        pd.Series([b"x", 1.0, float("nan"), "None"], dtype=object),
        pd.Series(pd.to_datetime(["2024-01-01", None])),
        pd.Series(pd.Categorical(["a", None, "nan"])),
    ]
    for values in columns:
        facts = column_facts(values)
        marked = numbers_with_marks(values)
        expected = missing_pandas(values if marked is None else marked).tolist()
        assert facts.missing.tolist() == expected, values.tolist()
        assert facts.boolean == bool(is_bool_pandas(values if marked is None else marked))
        assert facts.marked == (marked is not None)
        if marked is not None:
            np.testing.assert_array_equal(facts.numbers, marked.to_numpy())
