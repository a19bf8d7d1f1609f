"""No child's identity in outputs/: run every notebook on the demo data and search every file.

The demo microdata carry planted names, resident ID numbers and phone numbers.  After the
whole report set has run, no file under outputs/ may contain any of them: text files are
searched as text, workbooks member by member, Parquet files value by value.
"""

import re
import zipfile

import pandas as pd
import pytest

from workbench.batch import expand_plan, run_batch
from workbench.demo import load_survey
from workbench.params import list_notebooks

_CJK_RUN = re.compile(r"[\u4e00-\u9fff]{2,}")
_DIGIT_RUN = re.compile(r"\d{11,18}[\dXx]?")


def _texts(path):
    suffix = path.suffix.lower()
    if suffix in (".csv", ".html", ".json", ".ipynb", ".txt", ".md", ".yaml", ".log"):
        yield path.read_text(encoding="utf-8", errors="replace")
    elif suffix == ".xlsx":
        with zipfile.ZipFile(path) as archive:
            for member in archive.namelist():
                yield archive.read(member).decode("utf-8", errors="replace")
    elif suffix == ".parquet":
        yield pd.read_parquet(path).astype(str).to_csv()


def _hits(text, names, numbers):
    found = set()
    for run in _DIGIT_RUN.findall(text):
        found |= {n for n in numbers if n in run}
    for run in _CJK_RUN.findall(text):
        for size in (2, 3, 4):
            found |= {run[i:i + size] for i in range(len(run) - size + 1)} & names
    return found


@pytest.fixture(scope="module")
def all_reports(tmp_path_factory):
    out = tmp_path_factory.mktemp("outputs")
    mp = pytest.MonkeyPatch()
    mp.setenv("WORKBENCH_OUTPUTS", str(out))
    try:
        runs = expand_plan([{"notebook": nb} for nb in list_notebooks()])
        result = run_batch(runs, jobs=2, progress=False)
    finally:
        mp.undo()
    return out, result


def test_every_notebook_ran(all_reports):
    _, result = all_reports
    assert result.ok, result.table[["notebook", "outcome", "error"]]
    assert set(result.table["notebook"]) == set(list_notebooks())


def test_no_planted_identifier_reaches_outputs(all_reports):
    out, _ = all_reports
    survey = load_survey(identifiers="keep")
    # two-character names are common words too ("高明"); three or more are the planted people
    names = {n for n in survey["name"] if len(n) >= 3}
    numbers = set(survey["id_number"]) | set(survey["guardian_phone"])
    files = [p for p in out.rglob("*") if p.is_file()]
    assert len(files) > 20
    leaks = {str(p.relative_to(out)): hits for p in files for text in _texts(p)
             if (hits := _hits(text, names, numbers))}
    assert leaks == {}


def test_the_scan_would_catch_a_leak(tmp_path):
    survey = load_survey(identifiers="keep")
    leak = tmp_path / "leak.csv"
    row = survey.iloc[17]
    leak.write_text(f"x,{row['name']}说明,{row['id_number']}\n", encoding="utf-8")
    names = {n for n in survey["name"] if len(n) >= 3}
    found = _hits(next(_texts(leak)), names | {row["name"]}, set(survey["id_number"]))
    assert {row["name"], row["id_number"]} <= found
