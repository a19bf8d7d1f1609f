"""Identifiers out, pseudonyms, k-anonymous extracts."""

import json

import numpy as np
import pandas as pd
import pytest

from workbench import config
from workbench.demo import load_survey
from workbench.errors import WorkbenchError
from workbench.privacy import (
    detect_identifiers,
    k_anonymise,
    load_microdata,
    protect_identifiers,
    pseudonym_salt,
    valid_id_number,
    valid_mobile,
    write_k_anonymous_extract,
)


@pytest.fixture(autouse=True)
def _salt(monkeypatch):
    monkeypatch.setenv("WORKBENCH_SALT", "test-salt")


def test_id_number_check_digits():
    # GB 11643-1999 examples: the check digit is ISO 7064 MOD 11-2
    valid = ["11010519491231002X", "440524188001010014", "11010119900307803X"]
    assert valid_id_number(valid).all()
    wrong_digit = ["110105194912310021", "440524188001010015", "110101199003078031"]
    assert not valid_id_number(wrong_digit).any()
    malformed = ["1101051949123100", "11010519491231002Y", "", None, "abcdefghijklmnopqr"]
    assert not valid_id_number(malformed).any()
    assert valid_id_number(["11010519491231002x"]).all()  # lower-case x is accepted


def test_mobile_numbers():
    assert valid_mobile(["13812345678", "+86 199-1234-5678", "8613812345678"]).all()
    assert not valid_mobile(["12812345678", "1381234567", "02412345678"]).any()


def test_detection_by_name_and_by_content():
    df = pd.DataFrame({
        "学生姓名": ["张三丰", "李四光"] * 20,
        "x1": ["11010519491231002X", "440524188001010014"] * 20,
        "contact": ["13812345678", "13987654321"] * 20,
        "score": np.arange(40.0),
        "district": ["210102"] * 40,
    })
    found = detect_identifiers(df).set_index("column")
    assert found.loc["x1", "kind"] == "id_number" and found.loc["x1", "found_by"] == "content"
    assert found.loc["contact", "kind"] == "phone"
    assert found.loc["学生姓名", "kind"] == "name"
    assert "score" not in found.index and "district" not in found.index


def test_demo_survey_loses_its_identifiers_on_load():
    raw = load_survey(identifiers="keep")
    protected = protect_identifiers(raw)
    for column in ("name", "id_number", "guardian_phone"):
        assert column not in protected.columns
    assert protected["child_id"].str.fullmatch(r"[0-9a-f]{16}").all()
    assert protected["child_id"].nunique() == raw["child_id"].nunique()
    flat = protected.astype(str).to_numpy().ravel()
    assert not set(raw["id_number"]) & set(flat)
    assert not set(raw["name"]) & set(flat)


def test_pseudonyms_depend_on_the_salt(monkeypatch):
    df = pd.DataFrame({"child_id": ["C1", "C2", "C1"]})
    a = protect_identifiers(df)["child_id"]
    assert a[0] == a[2] != a[1]
    monkeypatch.setenv("WORKBENCH_SALT", "another")
    assert protect_identifiers(df)["child_id"][0] != a[0]


def test_salt_file_lives_outside_the_project(monkeypatch, tmp_path):
    monkeypatch.delenv("WORKBENCH_SALT")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    salt = pseudonym_salt()
    path = tmp_path / "cfg" / "workbench" / "salt"
    assert path.exists() and len(salt) == 64 and pseudonym_salt() == salt
    assert not path.is_relative_to(config.paths().root)
    assert oct(path.stat().st_mode)[-3:] == "600"


def test_keep_is_explicit_and_recorded():
    df = pd.DataFrame({"name": ["张三", "李四"], "age": [5, 6]})
    kept = protect_identifiers(df, "keep")
    assert "name" in kept and kept.attrs["identifiers"] == "keep"
    with pytest.raises(WorkbenchError, match="drop, pseudonymise, keep"):
        protect_identifiers(df, "hide")


def test_load_microdata_reads_and_protects(tmp_path):
    path = tmp_path / "survey.csv"
    load_survey(identifiers="keep").head(50).to_csv(path, index=False)
    data = load_microdata(path)
    assert "id_number" not in data and "name" not in data and len(data) == 50


def test_k_anonymity_holds_after_export(tmp_path):
    survey = load_survey(identifiers="keep")
    qis = ["district", "sex", "age", "psu"]
    out = write_k_anonymous_extract(survey, qis, 5, tmp_path / "extract")
    data = pd.read_parquet(out / "microdata.parquet")
    assert data.groupby(qis, dropna=False).size().min() >= 5
    report = json.loads((out / "anonymisation_report.json").read_text())
    assert report["k"] == 5 and report["min_group_size"] >= 5
    assert report["records"] + report["suppressed_records"] == len(survey)
    actions = {c["column"]: c["action"] for c in report["identifier_columns"]}
    assert actions["name"] == actions["id_number"] == "dropped"
    assert actions["child_id"] == "pseudonymised"
    assert "name" not in data and "id_number" not in data


def test_k_anonymity_generalises_along_hierarchies():
    rng = np.random.default_rng(3)
    df = pd.DataFrame({"district": rng.choice(["210102", "210103", "210181"], 300),
                       "age": rng.integers(0, 18, 300), "sex": rng.choice(["m", "f"], 300)})
    result = k_anonymise(df, ["district", "age", "sex"], k=10)
    assert result.data.groupby(["district", "age", "sex"]).size().min() >= 10
    assert result.steps[0]["column"] == "age"  # most distinct values: coarsened first
    assert set(result.data["age"]) <= {"0-2", "3-5", "6-11", "12-14", "15-17", "0-17"}


def test_k_anonymity_bad_input():
    df = pd.DataFrame({"age": [1, 2]})
    with pytest.raises(WorkbenchError, match="school"):
        k_anonymise(df, ["school"])
    with pytest.raises(WorkbenchError, match="at least 2"):
        k_anonymise(df, ["age"], k=1)
