"""Bad parameters are refused before a kernel starts: exit 2, the valid choices, nothing written.

Each case runs the real command line in-process (click's runner); two cases also run it as a
separate process to time what a user waits.
"""

import os
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pyreadstat
import pytest
from click.testing import CliRunner

from workbench.cli import main

REFERENCE = Path(__file__).parent / "reference"
GOOD_DESIGN = "strata: stratum\npsu: school\nweights: wt\nnest: true\nvariables: [myopia]\n"


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("inputs")
    data = pd.read_csv(REFERENCE / "nest_survey.csv")
    pyreadstat.write_sav(data, str(folder / "s.sav"))
    data.to_csv(folder / "s.csv", index=False)
    (folder / "broken.sav").write_bytes(b"this is not an SPSS file at all")
    (folder / "notes.txt").write_text("x")
    (folder / "folder.sav").mkdir()
    pd.DataFrame({"region": ["1"], "people": [10]}).to_csv(folder / "margins.csv", index=False)
    designs = {
        "bad_yaml": "strata: [stratum\npsu: school\n",
        "unknown_key": GOOD_DESIGN + "stratum: x\n",
        "lonely": GOOD_DESIGN + "lonely_psu: merge\n",
        "method": GOOD_DESIGN + "weighting: {method: raking}\n",
        "column": GOOD_DESIGN.replace("strata: stratum", "strata: district"),
        "nest": GOOD_DESIGN.replace("nest: true", "nest: maybe"),
        "no_margins": GOOD_DESIGN + "weighting: {method: rake, margins: nope.csv, "
                                    "mapping: {region: stratum}}\n",
        "margin_column": GOOD_DESIGN + "weighting: {method: rake, margins: margins.csv, "
                                       "mapping: {region: stratum}}\n",
        "not_mapping": "- strata\n- psu\n",
    }
    for name, text in designs.items():
        (folder / f"{name}.yaml").write_text(text, encoding="utf-8")
    return folder


def _cases(f: Path) -> dict[str, tuple[list[str], str]]:
    sav = ["special_survey", "-p", "survey_file", str(f / "s.sav")]
    design = [*sav, "-p", "design"]
    return {
        "missing survey file": (["special_survey", "-p", "survey_file", str(f / "nope.sav")],
                                "file not found"),
        "survey file is a folder": (["special_survey", "-p", "survey_file",
                                     str(f / "folder.sav")], "is a folder"),
        "unreadable survey file": (["special_survey", "-p", "survey_file",
                                    str(f / "broken.sav")], "Cannot read survey file"),
        "survey file of unknown kind": (["special_survey", "-p", "survey_file",
                                         str(f / "notes.txt")], ".csv, .xlsx"),
        "missing design file": ([*design, str(f / "nope.yaml")], "file not found"),
        "bad YAML": ([*design, str(f / "bad_yaml.yaml")], "not valid YAML"),
        "design not a mapping": ([*design, str(f / "not_mapping.yaml")], "valid keys"),
        "unknown design key": ([*design, str(f / "unknown_key.yaml")],
                               "valid keys: strata, psu, weights"),
        "bad lonely_psu": ([*design, str(f / "lonely.yaml")], "fail, adjust, average"),
        "bad weighting method": ([*design, str(f / "method.yaml")],
                                 "none, poststratify, rake, calibrate"),
        "design names a wrong column": ([*design, str(f / "column.yaml")],
                                        "Columns in the file: stratum, school"),
        "nest not true/false": ([*design, str(f / "nest.yaml")], "true or false"),
        "missing margins file": ([*design, str(f / "no_margins.yaml")],
                                 "Margins file not found"),
        "margins lack a column": ([*design, str(f / "margin_column.yaml")],
                                  "it has region, people"),
        "wrong analysis variable": ([*sav, "-p", "strata", "stratum", "-p", "psu", "school",
                                     "-p", "weights", "wt", "-p", "fpc", "", "-p",
                                     "domain_columns", "sex", "-p", "analysis_variables",
                                     "myopia,eyesight"], "variables: eyesight"),
        "wrong domain column": ([*sav, "-p", "strata=stratum", "-p", "psu=school", "-p",
                                 "weights=wt", "-p", "fpc=", "-p", "analysis_variables=myopia",
                                 "-p", "domain_columns=sex*grade"], "domains: grade"),
        "missing CSV dataset": (["missing_data", "-p", "dataset", str(f / "nope.csv")],
                                "file not found"),
        "CSV lacks the variables": (["missing_data", "-p", "dataset", str(f / "s.csv")],
                                    "Columns: stratum, school, wt"),
        "unknown dataset": (["missing_data", "-p", "dataset", "census"],
                            "choose panel, survey"),
        "unknown group": (["regional_comparison", "-p", "groups", "sex,gender"],
                          "Valid choices: sex, residence, hukou"),
        "province as region": (["topic_report", "-p", "region", "210000"],
                               "Valid choices: 210100, 210102"),
        "city among districts": (["monitoring", "-p", "regions", "210100"],
                                 "Valid choices: 210102, 210103"),
        "missing boundary file": (["regional_comparison", "-p", "boundary_file",
                                   str(f / "nope.geojson")], "file not found"),
        "unknown domain": (["topic_report", "-p", "domain=schooling"],
                           "Valid choices: health, safety"),
    }


CASE_NAMES = list(_cases(Path(".")))


@pytest.mark.parametrize("case", CASE_NAMES)
def test_bad_parameter_exits_2_before_a_kernel(files, tmp_path, monkeypatch, case):
    args, expected = _cases(files)[case]
    outputs = tmp_path / "outputs"
    monkeypatch.setenv("WORKBENCH_OUTPUTS", str(outputs))
    started = time.perf_counter()
    result = CliRunner().invoke(main, ["run", *args])
    took = time.perf_counter() - started
    assert result.exit_code == 2, result.output
    assert expected in result.output, result.output
    assert "错误" in result.output  # and in Chinese
    assert took < 5, took
    assert not outputs.exists() or not any(outputs.rglob("*"))  # nothing written


def test_cases_cover_twenty_kinds():
    assert len(CASE_NAMES) >= 20


@pytest.mark.parametrize("args", [["topic_report", "-p", "region", "210000"],
                                  ["regional_comparison", "-p", "groups=sex,gender"]])
def test_a_user_waits_under_five_seconds(tmp_path, args):
    env = {**os.environ, "WORKBENCH_OUTPUTS": str(tmp_path / "out")}
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "workbench.cli", "run", *args], env=env,
                          capture_output=True, text=True, timeout=60)
    took = time.perf_counter() - started
    assert done.returncode == 2 and "Valid choices" in done.stderr, done.stderr
    assert took < 5, took
    assert not (tmp_path / "out").exists()


def test_batch_checks_every_run_before_the_first_starts(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBENCH_OUTPUTS", str(tmp_path / "out"))
    result = CliRunner().invoke(main, ["batch", "--notebook", "topic_report", "--each",
                                       "region=210102,210000", "-p", "year", "2025"])
    assert result.exit_code == 2, result.output
    assert "210000" in result.output and "Valid choices" in result.output
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").rglob("*.ipynb"))
