"""The papermill runner and the CLI, with real kernels (one per run)."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner

from workbench import config
from workbench.cli import main
from workbench.runner import run_notebook
from workbench.site import collect_runs


def test_run_writes_complete_folder(completed_run):
    assert completed_run.ok, completed_run.manifest.get("error")
    folder = completed_run.run_dir
    assert (folder / "getting_started.ipynb").exists()
    assert (folder / "report.html").exists()
    assert (folder / "tables" / "catalogue_summary.csv").exists()
    assert (folder / "tables" / "catalogue_summary.xlsx").exists()
    assert (folder / "figures" / "E01_trend.png").stat().st_size > 10_000
    assert not list(folder.parent.glob(".*.partial"))


def test_manifest_records_parameters_inputs_versions(completed_run):
    m = json.loads((completed_run.run_dir / "manifest.json").read_text())
    assert m["status"] == "completed"
    assert m["parameters"] == {"lang": "en", "indicator": "E01"}
    assert "data/catalogue/indicators.csv" in m["inputs"]
    assert any(k.endswith("monitoring.duckdb") for k in m["inputs"])
    assert m["versions"]["papermill"] and m["versions"]["workbench"]
    assert m["started"] < m["finished"]
    assert "report.html" in m["outputs"]


def test_report_hides_code_and_shows_results(completed_run):
    page = (completed_run.run_dir / "report.html").read_text(encoding="utf-8")
    assert "import workbench" not in page
    assert "Gross enrolment rate" in page
    assert "data:image/png;base64" in page


def test_executed_notebook_got_the_parameters(completed_run):
    nb = nbformat.read(completed_run.run_dir / "getting_started.ipynb", as_version=4)
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert "indicator = 'E01'" in injected[0].source


def test_index_lists_the_run(completed_run):
    out = completed_run.run_dir.parents[1]
    runs = collect_runs(out)
    assert runs["run_id"].tolist() == [completed_run.run_dir.name]
    page = (out / "index.html").read_text(encoding="utf-8")
    assert f"getting_started/{completed_run.run_dir.name}/report.html" in page


def test_failed_run_keeps_partial_notebook_and_says_failed(outputs_dir, tmp_path):
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("x: int = 1", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("raise RuntimeError('planted failure')"),
        nbformat.v4.new_code_cell("print('never')"),
    ])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    path = tmp_path / "failing.ipynb"
    nbformat.write(nb, path)
    result = run_notebook(path, {"x": 2})
    assert result.status == "failed"
    assert "planted failure" in result.manifest["error"]
    assert (result.run_dir / "failing.ipynb").exists()
    saved = json.loads((result.run_dir / "manifest.json").read_text())
    assert saved["status"] == "failed"


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "workbench.cli", *args],
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("args, expected", [
    (["-p", "colour", "red"], "Valid parameters: lang, indicator, focus_region, year"),
    (["-p", "indicator", "H99"], "Valid choices: H01"),
    (["-p", "year", "soon"], "must be of type int"),
])
def test_bad_parameters_exit_2_fast_and_write_nothing(outputs_dir, args, expected):
    started = time.perf_counter()
    proc = _cli("run", "getting_started", *args)
    elapsed = time.perf_counter() - started
    assert proc.returncode == 2, proc.stderr
    assert expected in proc.stderr
    assert elapsed < 5, f"took {elapsed:.1f}s"
    assert list(outputs_dir.iterdir()) == []


def test_params_command_lists_parameters():
    result = CliRunner().invoke(main, ["params", "getting_started"])
    assert result.exit_code == 0
    assert "indicator" in result.output and "H03" in result.output


def test_unknown_notebook_exits_2():
    result = CliRunner().invoke(main, ["run", "nope"])
    assert result.exit_code == 2
    assert "getting_started" in result.output


def test_notebooks_have_parameters_cells_and_python3_kernel():
    for path in sorted(Path(config.paths().notebooks).glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        assert nb.metadata["kernelspec"]["name"] == "python3", path.name
        tags = [t for c in nb.cells for t in c.metadata.get("tags", [])]
        assert "parameters" in tags, path.name
        assert not any("def " in c.source for c in nb.cells if c.cell_type == "code"), \
            f"{path.name}: functions belong in the package"


def test_parameters_file_is_validated_too(outputs_dir, tmp_path):
    params = tmp_path / "params.yaml"
    params.write_text("lang: en\nregion_code: '210102'\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["run", "getting_started", "-f", str(params)])
    assert result.exit_code == 2
    assert "region_code" in result.output and "focus_region" in result.output
    assert list(outputs_dir.iterdir()) == []


@pytest.mark.parametrize("value", [
    "'); import os; os.system('touch pwned') #",
    '"); import os; os.system("touch pwned") #',
    '\\"; import os; os.system("touch pwned") #',
    "ends with a backslash \\",
    "多行\nline two\"\"\"'''",
])
def test_parameter_values_reach_the_kernel_as_literals(outputs_dir, tmp_path, monkeypatch, value):
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell('text: str = "x"', metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("import pathlib\n"
                                  "pathlib.Path('received.txt').write_text(text, "
                                  "encoding='utf-8')"),
    ])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    path = tmp_path / "echo.ipynb"
    nbformat.write(nb, path)
    monkeypatch.chdir(tmp_path)
    result = run_notebook(path, {"text": value}, update_index=False)
    assert result.ok, result.manifest.get("error")
    assert (result.run_dir / "received.txt").read_text(encoding="utf-8") == value
    assert not list(tmp_path.rglob("pwned")) and not list(outputs_dir.rglob("pwned"))


def test_workbench_run_uses_one_warm_engine_for_every_caller(tmp_path):
    """The engine runs each call with the caller's environment (outputs) and validation."""
    env = {**os.environ, "WORKBENCH_ENGINE_IDLE": "30"}  # its own short-lived engine
    folders = []
    for name in ("first", "second"):
        out = tmp_path / name
        proc = subprocess.run([sys.executable, "-m", "workbench.cli", "run", "getting_started",
                               "-p", "lang", "en"], env={**env, "WORKBENCH_OUTPUTS": str(out)},
                              capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr
        folders.append(Path(proc.stdout.split("completed: ")[1].split()[0]))
        assert folders[-1].parent.parent == out and (folders[-1] / "report.html").exists()
    bad = subprocess.run([sys.executable, "-m", "workbench.cli", "run", "getting_started",
                          "-p", "indicator", "H99"], env=env, capture_output=True, text=True,
                         timeout=60)
    assert bad.returncode == 2 and "Valid choices: H01" in bad.stderr
    env_sock = subprocess.run(
        [sys.executable, "-c", "from workbench.execution._daemon import running; "
         "print(running())"], env=env, capture_output=True, text=True, timeout=60)
    assert env_sock.stdout.strip() == "True"
