"""Special survey on a user's own file: a design file, SPSS labels, nested PSUs, R's numbers.

The reference values (tests/reference/survey_spec_r.csv) were computed by R's survey package
from tests/reference/nest_survey.csv with survey_spec_reference.R; R is not needed here.
"""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest

from workbench.runner import run_notebook
from workbench.survey import (
    SurveyDesign,
    domain_estimates,
    label_estimates,
    load_survey_file,
    read_spec,
)

REFERENCE = Path(__file__).parent / "reference"
SEX = {1: "男 boy", 2: "女 girl"}
SCHOOL = {1: "公办 public", 2: "民办 private"}
DESIGN = """\
strata: stratum
psu: school            # school 1, 2, 3 ... in every stratum
weights: wt
nest: true
lonely_psu: fail
weighting: none
variables: [myopia, screen_h]
domains: [sex, school_type]
"""


@pytest.fixture(scope="module")
def spss(tmp_path_factory):
    folder = tmp_path_factory.mktemp("spss")
    data = pd.read_csv(REFERENCE / "nest_survey.csv")
    path = folder / "district_survey.sav"
    pyreadstat.write_sav(data, str(path),
                         column_labels={"myopia": "近视 Myopia", "screen_h": "屏幕时间（小时）"},
                         variable_value_labels={"sex": SEX, "school_type": SCHOOL,
                                                "myopia": {0: "否", 1: "是"}})
    (folder / "survey.yaml").write_text(DESIGN, encoding="utf-8")
    return path, folder / "survey.yaml"


def _r_reference() -> pd.DataFrame:
    r = pd.read_csv(REFERENCE / "survey_spec_r.csv", keep_default_na=False)
    r["domain"] = r["domain"].astype(str)
    return r


def test_nested_design_from_spec_equals_r(spss):
    path, design_file = spss
    source = load_survey_file(path)
    design = SurveyDesign.from_spec(source.data, design_file)
    r = _r_reference()
    overall = design.mean(["myopia", "screen_h"], na_rm=True).set_index("variable")
    ours = domain_estimates(design, ["myopia", "screen_h"], ["sex", "school_type"])
    ours["key"] = ours["variable"] + "|" + ours["by"] + "|" + ours["domain"].str.replace(".0", "")
    r_dom = r[r["by"] != ""].assign(key=lambda t: t["variable"] + "|" + t["by"] + "|" + t["domain"])
    merged = r_dom.merge(ours, on="key", suffixes=("_r", ""))
    assert len(merged) == len(r_dom) == 8
    np.testing.assert_allclose(merged["estimate"], merged["estimate_r"], rtol=1e-9)
    np.testing.assert_allclose(merged["se"], merged["se_r"], rtol=1e-7)
    r_all = r[r["by"] == ""].set_index("variable")
    np.testing.assert_allclose(overall.loc[r_all.index, "estimate"], r_all["estimate"], rtol=1e-9)
    np.testing.assert_allclose(overall.loc[r_all.index, "se"], r_all["se"], rtol=1e-7)


def test_without_nest_the_repeated_ids_are_refused(spss):
    path, _ = spss
    data = load_survey_file(path).data
    with pytest.raises(Exception, match="nest=True"):
        SurveyDesign(data, strata="stratum", psu="school", weights="wt")


def test_labels_in_tables_with_the_codes_beside(spss):
    path, design_file = spss
    source = load_survey_file(path)
    spec = read_spec(design_file)
    design = SurveyDesign.from_spec(source.data, spec)
    table = label_estimates(domain_estimates(design, spec.variables, spec.domains),
                            source.value_labels, source.variable_labels)
    sex = table[(table["by"] == "sex") & (table["variable"] == "myopia")]
    assert sex["domain"].tolist() == [SEX[1], SEX[2]]
    assert sex["domain_code"].tolist() == ["1.0", "2.0"]
    assert set(table["variable_label"]) == {"近视 Myopia", "屏幕时间（小时）"}


def test_special_survey_notebook_on_the_spss_file(spss, tmp_path, monkeypatch):
    path, design_file = spss
    monkeypatch.setenv("WORKBENCH_OUTPUTS", str(tmp_path))
    result = run_notebook("special_survey", {"survey_file": str(path),
                                             "design": str(design_file), "lang": "en",
                                             "likert_prefix": "", "multi_prefix": ""},
                          update_index=False)
    assert result.ok, result.manifest.get("error")
    run = result.run_dir
    table = pd.read_csv(run / "tables" / "domain_estimates.csv", comment="#",
                        encoding="utf-8-sig", dtype=str)
    assert {SEX[1], SEX[2], SCHOOL[1], SCHOOL[2]} <= set(table.iloc[:, 1])
    assert {"1.0", "2.0"} <= set(table.iloc[:, 2])  # the codes stay beside the labels
    estimates = table.set_index([table.columns[0], table.columns[1], table.columns[3]])
    r = _r_reference().query("by == 'sex' and variable == 'myopia'")
    for code, value in zip(r["domain"], r["estimate"], strict=True):
        ours = float(estimates.loc[("sex", SEX[int(float(code))], "myopia"), "estimate"])
        assert ours == pytest.approx(value, rel=1e-9)  # the CSV keeps full precision
    first = (run / "tables" / "domain_estimates.csv").read_text("utf-8-sig").splitlines()[0]
    assert "district_survey.sav" in first and "survey.yaml" in first
    assert "synthetic" not in first
    inputs = json.loads((run / "manifest.json").read_text())["inputs"]
    assert any(k.endswith("district_survey.sav") for k in inputs)
    assert any(k.endswith("survey.yaml") for k in inputs)
    html = (run / "report.html").read_text(encoding="utf-8")
    assert "近视 Myopia" in html  # variable label as table title (XLSX) and in the table
