"""Batches: expansion and validation, caching, failure isolation, kills, Dask, interrupts."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from workbench.batch import expand_plan, run_batch, run_status
from workbench.errors import ParameterError, WorkbenchError


def _notebook(path, body, extra=""):
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell('lang: str = "zh"  # language\nwait: float = 0.0  # seconds\n'
                                  'fail: bool = False  # raise on purpose' + extra,
                                  metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell(body),
    ])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, path)
    return path


@pytest.fixture
def toy(tmp_path):
    return _notebook(tmp_path / "toy.ipynb",
                     "import time\ntime.sleep(wait)\n"
                     "if fail:\n    raise RuntimeError('planted failure')\nprint(lang)")


def test_all_expands_to_the_districts_and_domains():
    runs = expand_plan([{"notebook": "getting_started",
                         "each": {"focus_region": "all", "lang": ["zh", "en"]}}])
    assert len(runs) == 26
    assert {r.parameters["focus_region"] for r in runs} >= {"210102", "210181"}
    assert len({r.run_id for r in runs}) == 26


@pytest.mark.parametrize("entry, message", [
    ({"notebook": "no_such_report"}, "getting_started"),
    ({"notebook": "getting_started", "parameters": {"colour": "red"}}, "Valid parameters"),
    ({"notebook": "getting_started", "each": {"lang": []}}, "expands to no runs"),
    ({"notebook": "getting_started", "each": {"focus_region": ["210102", "219999"]}}, "219999"),
    ({"each": {"lang": ["zh"]}}, "needs a 'notebook'"),
])
def test_bad_plans_fail_before_anything_runs(outputs_dir, entry, message):
    with pytest.raises((ParameterError, WorkbenchError), match=message):
        expand_plan([entry])
    assert list(outputs_dir.iterdir()) == []


def test_cached_rerun_and_force(outputs_dir, toy):
    runs = expand_plan([{"notebook": str(toy), "each": {"lang": ["zh", "en"]}}])
    first = run_batch(runs, jobs=2, progress=False)
    assert first.counts() == {"completed": 2}
    assert (outputs_dir / "index.html").exists()
    assert all(run_status(r) == "cached" for r in runs)
    second = run_batch(runs, jobs=2, progress=False)
    assert second.counts() == {"cached": 2} and second.seconds < 5
    forced = run_batch(runs, jobs=2, force=True, progress=False)
    assert forced.counts() == {"completed": 2}


def test_a_failing_run_does_not_stop_the_others(outputs_dir, toy):
    runs = expand_plan([{"notebook": str(toy), "each": {"fail": [False, True]}}])
    result = run_batch(runs, jobs=2, progress=False)
    assert not result.ok
    outcomes = dict(zip(result.table["fail"], result.table["outcome"], strict=True))
    assert outcomes == {"False": "completed", "True": "failed"}
    failed = next(r for r in runs if r.parameters["fail"])
    manifest = json.loads((failed.folder / "manifest.json").read_text())
    assert manifest["status"] == "failed" and "planted failure" in manifest["error"]
    retry = run_batch(runs, jobs=2, retry_failed=True, progress=False)
    assert retry.counts() == {"failed": 1, "cached": 1}  # only the failed one ran again


def _batch_process(plan, outputs_dir, *extra, preexec_fn=None):
    env = {**os.environ, "WORKBENCH_OUTPUTS": str(outputs_dir)}
    return subprocess.Popen([sys.executable, "-m", "workbench.cli", "batch", str(plan),
                             "--no-progress", *extra], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, preexec_fn=preexec_fn)


def _worker_pids(outputs_dir, marker):
    """Warm workers (``_batch_worker`` processes) executing a run whose folder name has marker.

    A worker holds the run's lock file, which names its pid, while the run's
    ``.partial`` folder is being assembled.
    """
    pids = []
    for lock in outputs_dir.glob(f"*/.*{marker}*.lock"):
        partial = lock.with_name(lock.name[:-len(".lock")] + ".partial")
        if not partial.exists() or not lock.read_text():
            continue
        pid = json.loads(lock.read_text())["pid"]
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as handle:
                cmdline = handle.read()
        except OSError:
            continue
        if b"_batch_worker" in cmdline:
            pids.append(pid)
    return pids


def _wait_for(predicate, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("timed out")


def test_killed_worker_is_reported_failed_and_retry_completes_it(outputs_dir, toy, tmp_path):
    plan = tmp_path / "plan.yaml"
    plan.write_text(f"runs:\n  - notebook: {toy}\n    each: {{lang: [zh, en]}}\n"
                    f"    parameters: {{wait: 3.0}}\n", encoding="utf-8")
    proc = _batch_process(plan, outputs_dir, "-j", "2")
    pids = _wait_for(lambda: _worker_pids(outputs_dir, "lang=en"))
    os.kill(pids[0], signal.SIGKILL)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 1, out + err
    assert "worker process died" in err
    assert "completed" in out and "failed" in out
    retry = _batch_process(plan, outputs_dir, "-j", "2", "--retry-failed")
    out, err = retry.communicate(timeout=120)
    assert retry.returncode == 0, out + err
    assert "cached 1, completed 1" in out


def test_ctrl_c_keeps_completed_runs_and_no_half_written_ones(outputs_dir, toy, tmp_path):
    plan = tmp_path / "plan.yaml"
    plan.write_text(f"runs:\n  - notebook: {toy}\n    each: {{wait: [0.0, 30.0]}}\n",
                    encoding="utf-8")
    # started as from a terminal: SIGINT at its default, whatever this test process inherited
    # (a SIGINT ignored by a parent stays ignored in its children, and Python then never
    # raises KeyboardInterrupt)
    proc = _batch_process(plan, outputs_dir, "-j", "2",
                          preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    _wait_for(lambda: list(outputs_dir.glob("toy/wait=0.0-*/manifest.json")))
    masks = {line.split(":")[0]: line.split()[1] for line in
             Path(f"/proc/{proc.pid}/status").read_text().splitlines()
             if line.startswith(("SigIgn", "SigCgt"))}
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, f"{masks}\n{out}{err}"
    folders = [p for p in (outputs_dir / "toy").iterdir()]
    assert [p.name.startswith("wait=0.0") for p in folders] == [True]
    manifest = json.loads((folders[0] / "manifest.json").read_text())
    assert manifest["status"] == "completed"


def test_runs_on_a_dask_local_cluster(outputs_dir, toy):
    pytest.importorskip("dask.distributed")
    runs = expand_plan([{"notebook": str(toy), "each": {"lang": ["zh", "en"]}}])
    result = run_batch(runs, jobs=2, dask=True, progress=False)
    assert result.counts() == {"completed": 2}
    assert all(run_status(r) == "cached" for r in runs)


def test_runs_on_a_dask_scheduler_address(outputs_dir, toy):
    distributed = pytest.importorskip("dask.distributed")
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=None, host="127.0.0.1")
    try:
        runs = expand_plan([{"notebook": str(toy), "each": {"lang": ["zh", "en"]}}])
        result = run_batch(runs, scheduler=cluster.scheduler_address, progress=False)
        assert result.counts() == {"completed": 2}
    finally:
        cluster.close()


@pytest.mark.parametrize("value", ["../../etc", "/abs/path", "a/b\\c", "..", "和平 区;rm -rf"])
def test_run_folders_stay_inside_outputs(outputs_dir, tmp_path, value):
    nb = _notebook(tmp_path / "paths.ipynb", "print(lang)", '\nlabel: str = "x"  # any text')
    runs = expand_plan([{"notebook": str(nb), "parameters": {"label": value}}])
    folder = runs[0].folder.resolve()
    assert folder.parent == (outputs_dir / "paths").resolve()
    assert "/" not in runs[0].run_id and ".." not in runs[0].run_id


def test_run_id_cannot_escape(outputs_dir, toy):
    from workbench.runner import run_notebook

    for bad in ("../escape", "a/b", "/abs", ".."):
        with pytest.raises(ParameterError):
            run_notebook(toy, {}, run_id=bad)
    assert list(outputs_dir.iterdir()) == []
