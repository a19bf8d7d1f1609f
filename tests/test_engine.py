"""The warm run engine: isolation between reports, equality with papermill, lost runs."""

import json
import os
import signal
import subprocess
import sys
import time

import nbformat
import pytest

from workbench.batch import expand_plan, run_batch, run_status
from workbench.errors import ParameterError

PROBE = """import builtins, json, os, pathlib, sys
import matplotlib
fds = [pathlib.Path(f"/proc/self/fd/{fd}") for fd in os.listdir("/proc/self/fd")]
state = {"global": hasattr(builtins, "PLANTED"), "module": getattr(json, "planted", None),
         "linewidth": matplotlib.rcParams["lines.linewidth"],
         "open_files": sorted(str(fd.resolve()) for fd in fds
                              if fd.exists() and "planted" in str(fd.resolve())),
         "cwd_is_run": os.path.basename(os.getcwd()).startswith(".action=")}
print(json.dumps(state, sort_keys=True))
"""

ACTIONS = """import builtins, json, os, signal, sys
import matplotlib
if action == "global":
    builtins.PLANTED = 1
    json.planted = "yes"
elif action == "rcparams":
    matplotlib.rcParams["lines.linewidth"] = 9.5
elif action == "handle":
    leaked = open(os.path.join(os.environ["TMPDIR_PLANT"], "planted.txt"), "w")
    leaked.write("never closed")
elif action == "raise":
    raise RuntimeError("planted failure")
elif action == "exit":
    sys.exit(3)
elif action == "abort":
    os.abort()
elif action == "kill":
    os.kill(os.getpid(), signal.SIGKILL)
"""


def _notebook(path, *cells, parameters='action: str = "probe"  # what to do'):
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell(parameters, metadata={"tags": ["parameters"]}),
        *[nbformat.v4.new_code_cell(c) for c in cells]])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, path)
    return path


def _probe_output(run):
    nb = nbformat.read(run.folder / "isolation.ipynb", as_version=4)
    return json.loads(nb.cells[-1].outputs[0]["text"])


def test_a_report_cannot_change_the_next_one(outputs_dir, tmp_path, monkeypatch):
    """One warm worker runs every hostile report, each followed by a probe."""
    monkeypatch.setenv("TMPDIR_PLANT", str(tmp_path))
    source = _notebook(tmp_path / "isolation.ipynb", ACTIONS, PROBE)
    order = ["probe", "global", "probe2", "rcparams", "probe3", "handle", "probe4", "raise",
             "exit", "abort", "kill", "probe5"]
    runs = expand_plan([{"notebook": str(source), "each": {"action": order}}])
    result = run_batch(runs, jobs=1, progress=False)
    outcome = dict(zip(result.table["action"], result.table["outcome"], strict=True))
    errors = dict(zip(result.table["action"], result.table["error"], strict=True))
    assert {a for a, o in outcome.items() if o == "failed"} == {"raise", "exit", "abort",
                                                                 "kill"}
    assert "planted failure" in errors["raise"]
    assert "SystemExit" in errors["exit"]
    assert "SIGABRT" in errors["abort"] and "SIGKILL" in errors["kill"]
    probes = {r.parameters["action"]: _probe_output(r) for r in runs
              if r.parameters["action"].startswith("probe")}
    assert probes["probe"] == {"global": False, "module": None, "linewidth": 1.5,
                               "open_files": [], "cwd_is_run": True}
    assert all(p == probes["probe"] for p in probes.values()), probes
    # the reports that changed state completed normally
    assert all(outcome[a] == "completed" for a in ("global", "rcparams", "handle"))
    manifest = json.loads((next(r for r in runs if r.parameters["action"] == "abort")
                           .folder / "manifest.json").read_text())
    assert manifest["status"] == "failed" and "SIGABRT" in manifest["error"]


def _outputs(path):
    nb = nbformat.read(path, as_version=4)
    cells = [cell.outputs for cell in nb.cells if cell.cell_type == "code"]
    return cells, nb.metadata.get("papermill", {}).get("parameters")


def test_warm_and_papermill_engines_give_the_same_outputs(outputs_dir, completed_run):
    """Text, tables and images of getting_started are identical with papermill's own engine."""
    from workbench.runner import run_notebook

    assert completed_run.manifest["status"] == "completed"
    plain = run_notebook("getting_started", {"lang": "en", "indicator": "E01"},
                         update_index=False, engine="papermill")
    assert plain.ok, plain.manifest.get("error")
    warm_cells, warm_params = _outputs(completed_run.run_dir / "getting_started.ipynb")
    plain_cells, plain_params = _outputs(plain.run_dir / "getting_started.ipynb")
    assert warm_params == plain_params == {"lang": "en", "indicator": "E01"}
    kinds = {kind for cell in warm_cells for out in cell for kind in out.get("data", {})}
    assert {"image/png", "text/html", "text/plain"} <= kinds
    assert len(warm_cells) == len(plain_cells)
    for number, (warm, plain_out) in enumerate(zip(warm_cells, plain_cells, strict=True)):
        assert warm == plain_out, f"code cell {number} differs"


def test_jobs_below_one_are_refused(outputs_dir, tmp_path):
    source = _notebook(tmp_path / "toy.ipynb", "print(action)")
    runs = expand_plan([{"notebook": str(source)}])
    for jobs in (-1, 0):
        with pytest.raises(ParameterError, match="at least 1"):
            run_batch(runs, jobs=jobs, progress=False)
    env = {**os.environ, "WORKBENCH_OUTPUTS": str(outputs_dir)}
    proc = subprocess.run([sys.executable, "-m", "workbench.cli", "batch", "--notebook",
                           str(source), "-j", "-1", "--no-progress"], env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "at least 1" in proc.stderr
    assert list(outputs_dir.iterdir()) == []


def test_a_notebook_named_dots_cannot_write_outside_outputs(outputs_dir, tmp_path):
    from workbench.runner import run_notebook

    source = _notebook(tmp_path / "...ipynb", "print(action)")
    with pytest.raises(ParameterError, match="'..'"):
        expand_plan([{"notebook": str(source)}])
    with pytest.raises(ParameterError, match="'..'"):
        run_notebook(source)
    assert list(outputs_dir.iterdir()) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["...ipynb", "outputs"]


def test_a_batch_never_deletes_another_runs_partial_folder(outputs_dir, tmp_path):
    from workbench.execution._runs import run_lock

    source = _notebook(tmp_path / "toy.ipynb", "print(action)")
    other, mine = expand_plan([{"notebook": str(source), "each": {"action": ["a", "b"]}}])
    partial = other.folder.with_name(f".{other.run_id}.partial")
    with run_lock(other.folder):  # another process's run in flight
        partial.mkdir(parents=True)
        (partial / "manifest.json").write_text("{}")
        result = run_batch([mine], jobs=1, progress=False)
        assert result.counts() == {"completed": 1}
        assert (partial / "manifest.json").exists()
    stale = mine.folder.with_name(".stale-run.partial")
    stale.mkdir()
    run_batch([mine], jobs=1, progress=False)  # unlocked debris is removed
    assert not stale.exists() and partial.exists() is False


def test_a_failed_rerun_never_replaces_a_completed_report(outputs_dir, tmp_path):
    from workbench.execution.batch import _record_lost

    flag = tmp_path / "fail-now"
    source = _notebook(tmp_path / "toy.ipynb",
                       "import os\nif os.path.exists(flag):\n    raise RuntimeError('planted')",
                       parameters=f'flag: str = "{flag}"  # fail when this file exists')
    (run,) = expand_plan([{"notebook": str(source)}])
    assert run_batch([run], jobs=1, progress=False).counts() == {"completed": 1}
    flag.write_text("x")
    forced = run_batch([run], jobs=1, force=True, progress=False)
    assert forced.counts() == {"failed": 1}
    manifest = json.loads((run.folder / "manifest.json").read_text())
    assert manifest["status"] == "completed" and (run.folder / "report.html").exists()
    kept = json.loads((run.folder.with_name(f".{run.run_id}.failed") / "manifest.json")
                      .read_text())
    assert kept["status"] == "failed" and "planted" in kept["error"]
    _record_lost(run, "worker process died (exit code -9)")  # a killed --force rerun
    assert json.loads((run.folder / "manifest.json").read_text())["status"] == "completed"
    assert run_status(run) == "cached"


def _descendants(pid):
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    stat = handle.read()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as handle:
            state = handle.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_killed_batch_takes_its_workers_and_retry_resumes_unfinished(outputs_dir, tmp_path):
    source = _notebook(tmp_path / "slow.ipynb", "import time\ntime.sleep(float(action))")
    plan = tmp_path / "plan.yaml"
    plan.write_text(f"runs:\n  - notebook: {source}\n    each: {{action: ['4', '5']}}\n",
                    encoding="utf-8")
    env = {**os.environ, "WORKBENCH_OUTPUTS": str(outputs_dir)}
    command = [sys.executable, "-m", "workbench.cli", "batch", str(plan), "--no-progress",
               "-j", "2"]
    proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.time() + 120
    while len(list(outputs_dir.glob("slow/.*.partial"))) < 2 and time.time() < deadline:
        time.sleep(0.1)
    family = _descendants(proc.pid)
    assert len(family) >= 4, family  # two workers, their zygotes (and kernels)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    deadline = time.time() + 15
    while any(_alive(p) for p in family) and time.time() < deadline:
        time.sleep(0.1)
    assert not [p for p in family if _alive(p)]
    retry = subprocess.run([*command, "--retry-failed"], env=env, capture_output=True,
                           text=True, timeout=300)
    assert retry.returncode == 0, retry.stdout + retry.stderr
    assert "completed 2" in retry.stdout and "skipped" not in retry.stdout


def test_the_engine_uses_its_own_client_and_shutdown():
    """jupyter_client binds public names to base-class coroutines; the engine rebinds them.

    Without this the zygote's client (ready on IOPub's welcome, no heartbeat thread) and
    its non-blocking shutdown were silently replaced by the base ones (0.2 s of IOPub
    silence on every start, up to 3 s waiting for every kernel to exit).
    """
    from workbench.execution._engine import ZygoteKernelClient, ZygoteKernelManager

    manager = ZygoteKernelManager(kernel_name="python3")
    client = manager.client()
    assert type(client) is ZygoteKernelClient
    assert ZygoteKernelClient.wait_for_ready is ZygoteKernelClient._async_wait_for_ready
    assert ZygoteKernelManager.shutdown_kernel is ZygoteKernelManager._async_shutdown_kernel


def test_the_client_retries_a_kernel_that_is_still_binding_soon():
    """zmq waits 100-200 ms before retrying a refused connection; a forked kernel binds
    its ports about 0.05 s after the client connects, so every report waited for that.
    The client's sockets retry after 5 ms, doubling up to 1 s; the context is its own.
    """
    import zmq
    import zmq.asyncio

    from workbench.execution._engine import ZygoteKernelManager

    manager = ZygoteKernelManager(kernel_name="python3")
    client = manager.client()
    assert client.context is not manager.context
    for context in (manager.context, client.context):  # the manager sends the shutdown
        assert context is not zmq.asyncio.Context.instance()
        sock = context.socket(zmq.DEALER)
        try:
            assert sock.getsockopt(zmq.RECONNECT_IVL) == 5
            assert sock.getsockopt(zmq.RECONNECT_IVL_MAX) == 1000
        finally:
            sock.close(linger=0)
            context.destroy(linger=0)
    plain = zmq.Context()
    try:
        with plain.socket(zmq.DEALER) as other:  # the process's other sockets are untouched
            assert other.getsockopt(zmq.RECONNECT_IVL) == 100
    finally:
        plain.term()


SOCKETS = """from ipykernel.kernelapp import IPKernelApp
import zmq
app = IPKernelApp.instance()
print(app.transport, app.shell_socket.getsockopt(zmq.LAST_ENDPOINT).decode())"""


def test_forked_kernels_listen_on_private_unix_sockets(outputs_dir, tmp_path):
    """jupyter_client's TCP ports are free when it picks them, not always when the kernel
    binds them: another process can take one in between and the kernel dies at its start
    ("Address already in use", papermill#511; one report in about 600 here with two
    workers).  A forked kernel listens on Unix sockets in this process's own folder (mode
    0700, so no other user connects either), and they are gone after the run."""
    from workbench.execution.runner import run_notebook

    run = run_notebook(_notebook(tmp_path / "sockets.ipynb", SOCKETS), update_index=False)
    assert run.status == "completed"
    cells = nbformat.read(run.run_dir / "sockets.ipynb", as_version=4).cells
    transport, endpoint = cells[-1].outputs[0]["text"].split()
    assert transport == "ipc" and endpoint.startswith("ipc:///")
    socket_file = endpoint.removeprefix("ipc://")
    folder = os.stat(os.path.dirname(socket_file))
    assert folder.st_mode & 0o777 == 0o700 and folder.st_uid == os.getuid()
    assert not os.path.exists(socket_file)


def test_kernels_the_zygote_does_not_fork_keep_tcp(monkeypatch, tmp_path):
    """Another language's kernel may not speak IPC; and a socket path must fit in 108 bytes."""
    from workbench.execution import _engine

    def manager(cmd):
        km = _engine.ZygoteKernelManager(kernel_name="python3")
        km.kernel_id = "0123456789abcdef-rest"
        monkeypatch.setattr(km, "format_kernel_cmd", lambda **kw: cmd)
        km._listen_on_unix_sockets()
        return km

    ours = [sys.executable, "-m", "ipykernel_launcher", "-f", "kernel.json"]
    assert manager(["/usr/bin/R", "--slave", "-f", "kernel.json"]).transport == "tcp"
    forked = manager(ours)
    assert forked.transport == "ipc" and forked.ip.endswith("/0123456789abcdef")
    deep = tmp_path / ("d" * 100)
    deep.mkdir()
    monkeypatch.setattr(_engine, "_IPC_FOLDER", [(os.getpid(), str(deep))])
    assert _engine.ipc_prefix("0123456789abcdef") is None
    assert manager(ours).transport == "tcp"
    _engine._remove_ipc_folder(os.getpid() + 1, str(deep))  # a forked child's atexit
    assert deep.is_dir()
    _engine._remove_ipc_folder(os.getpid(), str(deep))
    assert not deep.exists()


def test_a_kernel_that_cannot_start_fails_its_run_with_the_reason(outputs_dir, tmp_path,
                                                                   monkeypatch):
    """The kernel's own exception reaches the run's error, not only its exit code (its
    traceback goes to the worker's log, which a batch removes when the worker ends well)."""
    from workbench.execution import _engine
    from workbench.execution.runner import run_notebook

    spawn = _engine.Zygote.spawn

    def unreadable_connection_file(self, argv, cwd, env):
        broken = tmp_path / "broken.json"
        broken.write_text("{not json")
        return spawn(self, [str(broken) if a.endswith(".json") else a for a in argv], cwd, env)

    monkeypatch.setattr(_engine.Zygote, "spawn", unreadable_connection_file)
    run = run_notebook(_notebook(tmp_path / "nostart.ipynb", "print(1)"), update_index=False)
    assert run.status == "failed"
    error = run.manifest["error"]
    assert "Kernel died before replying to kernel_info" in error
    assert "(kernel process ended with exit code 1: JSONDecodeError: " in error


def _exit_statuses(monkeypatch):
    """Record the kernel exit statuses each run waits for (0: it exited by itself)."""
    from workbench.execution import _engine

    seen, settle = [], _engine.settle_kernels

    def recording(*args, **kwargs):
        seen.append(settle(*args, **kwargs))
        return seen[-1]

    monkeypatch.setattr(_engine, "settle_kernels", recording)
    return seen


def test_short_notebooks_kernels_hear_their_shutdown(outputs_dir, tmp_path, monkeypatch):
    """A notebook done within zmq's first reconnect: its shutdown request was queued on the
    manager's still unconnected control socket and dropped when that closed, so the kernel
    lived on until settle_kernels killed it 5 s later (-9).  Each now exits by itself."""
    from workbench.execution.runner import run_notebook

    seen = _exit_statuses(monkeypatch)
    source = _notebook(tmp_path / "short.ipynb", "print(action)")
    runs = [run_notebook(source, {"action": f"run{i}"}, update_index=False) for i in range(4)]
    assert [run.status for run in runs] == ["completed"] * 4
    assert seen == [[0]] * 4


def test_a_hanging_exit_handler_is_ended_by_the_kernel_itself(outputs_dir, tmp_path,
                                                              monkeypatch, capfd):
    """The kernel's watchdog ends it 0.5 s into its exit handlers (status 0, a line in the
    worker's log), before settle_kernels' 5 s grace would kill it (-9)."""
    from workbench.execution._engine import close_shared_zygote
    from workbench.execution.runner import run_notebook

    close_shared_zygote()  # the next one writes its log to the stderr captured here
    seen = _exit_statuses(monkeypatch)
    source = _notebook(tmp_path / "atexit.ipynb",
                       "import atexit, time\natexit.register(time.sleep, 60)\nprint(action)")
    assert run_notebook(source, update_index=False).status == "completed"
    assert seen == [[0]]
    assert "exit handlers overran 0.5 s; ended" in capfd.readouterr().err


def test_a_kernel_lets_its_control_thread_answer_the_shutdown_before_exiting():
    """ipykernel's exit handler stops IOPub while the control thread may still flush the
    shutdown's idle status through it; that flush then blocks until the watchdog ends
    the kernel (0.5 s of a worker idle).  The kernel joins its control thread first."""
    import threading

    from workbench.execution._zygote import _let_control_finish

    answered = threading.Event()

    class App:
        control_thread = threading.Thread(target=lambda: (time.sleep(0.1), answered.set()))

    App.control_thread.start()
    _let_control_finish(App())
    assert answered.is_set() and not App.control_thread.is_alive()
    _let_control_finish(type("NoControlThread", (), {})())  # an app without one is fine


def test_a_hanging_exit_handler_does_not_hold_the_batch(outputs_dir, tmp_path):
    """A report whose exit handler sleeps a minute: the kernel still ends, the batch goes on.

    This guards the bound (no report's exit can hold a worker for its handlers' whole
    duration), not the 0.5 s watchdog itself: without the watchdog, settle_kernels kills
    the kernel after its 5 s grace and the test still passes.
    """
    source = _notebook(tmp_path / "atexit.ipynb",
                       "import atexit, time\nif action == 'hang':\n"
                       "    atexit.register(time.sleep, 60)\nprint(action)")
    runs = expand_plan([{"notebook": str(source), "each": {"action": ["hang", "after"]}}])
    started = time.monotonic()
    result = run_batch(runs, jobs=1, progress=False)
    assert list(result.table["outcome"]) == ["completed", "completed"]
    assert time.monotonic() - started < 45, "the batch waited for the exit handler"


def test_the_zygote_head_start_leaves_no_trace():
    """The zygote runs the table and chart code once before forking; nothing of it remains.

    rcParams, open figures, warning filters and the thread count are the same before and
    after, so every kernel starts as a fresh one would (the isolation test above checks
    the kernels themselves).
    """
    script = """
import json, os, warnings
from workbench.execution import _zygote
_zygote._preload()
import matplotlib, matplotlib.pyplot as plt
def state():
    return {"rc": {k: repr(v) for k, v in matplotlib.rcParams.items()},
            "figures": plt.get_fignums(), "filters": repr(warnings.filters),
            "threads": len(os.listdir("/proc/self/task"))}
before = state()
_zygote._exercise()
_zygote._warm_store()
after = state()
from workbench.foundation import config
from workbench.store import database, provenance
db = str(config.paths().database)
open_db = [f for f in os.listdir("/proc/self/fd") if os.path.realpath(f"/proc/self/fd/{f}") == db]
provenance.database_provenance()  # what a kernel's first cell asks for: already there
print(json.dumps({"same": before == after, "open_db": open_db,
                  "changed": sorted(k for k in before["rc"] if before["rc"][k] != after["rc"][k]),
                  "cached": [provenance._cached_provenance.cache_info().hits,
                             len(database._snapshot._SNAPSHOTS)]}))
"""
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          check=True)
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == {
        "same": True, "changed": [], "open_db": [], "cached": [1, 1]}


def test_the_zygote_never_waits_for_a_database_being_written(tmp_path, catalogue, regions):
    """A writer holds the database: the zygote's head start gives up at once (kernels then
    open it themselves, waiting as any reader does), and the zygote still starts."""
    from workbench.store.database import create_database

    path = tmp_path / "locked.duckdb"
    writer = create_database(path, catalogue, regions)
    script = """
import json, time
from workbench.errors import WorkbenchError
from workbench.execution import _zygote
started = time.monotonic()
try:
    _zygote._warm_store()
    print(json.dumps("read"))
except WorkbenchError as err:
    print(json.dumps([str(err).split(";")[0], time.monotonic() - started < 5]))
"""
    try:
        proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                              check=True, env={**os.environ, "WORKBENCH_DB": str(path)})
    finally:
        writer.close()
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == [
        "The database locked.duckdb is being written by another process", True]


def test_workers_skip_the_iri_grammar_and_still_validate_notebooks():
    """Workers keep jsonschema from compiling rfc3987_syntax's grammar (1.5-2 s a start).

    Safe because nbformat's schemas use no ``format`` checker; a notebook that breaks the
    schema is still refused.
    """
    from pathlib import Path

    def format_keywords(node):  # "format": "<checker>" (a property named format is fine)
        if isinstance(node, dict):
            return [v for k, v in node.items() if k == "format" and isinstance(v, str)] + \
                [f for v in node.values() for f in format_keywords(v)]
        return [f for v in node for f in format_keywords(v)] if isinstance(node, list) else []

    schemas = sorted((Path(nbformat.__file__).parent / "v4").glob("*.json"))
    assert schemas and not [f for p in schemas for f in format_keywords(json.loads(p.read_text()))]
    script = """
import json, sys
from workbench.execution._batch_worker import _skip_unused_grammar
_skip_unused_grammar()
import nbformat
nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1")])
nbformat.validate(nb)
nb.cells[0]["execution_count"] = "not a number"
try:
    nbformat.validate(nb)
    refused = False
except nbformat.ValidationError:
    refused = True
print(json.dumps({"refused": refused, "grammar": sys.modules.get("rfc3987_syntax") is not None}))
"""
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          check=True)
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == {"refused": True,
                                                                 "grammar": False}


def test_a_warm_kernel_keeps_no_history_database(outputs_dir, tmp_path):
    """Report kernels write no IPython history (a shared SQLite file every kernel locked)."""
    source = _notebook(tmp_path / "history.ipynb",
                       "print(get_ipython().history_manager.enabled)")
    runs = expand_plan([{"notebook": str(source), "each": {"action": ["probe"]}}])
    result = run_batch(runs, jobs=1, progress=False)
    assert list(result.table["outcome"]) == ["completed"]
    nb = nbformat.read(runs[0].folder / "history.ipynb", as_version=4)
    assert nb.cells[-1].outputs[0]["text"].strip() == "False"


def test_package_versions_are_read_again_after_an_install(tmp_path, monkeypatch):
    """Versions are cached per state of the import path: an install changes a folder on it."""
    from workbench.execution import runner

    monkeypatch.setattr(sys, "path", [str(tmp_path)])
    runner.package_versions()
    read = runner._versions.cache_info().misses
    runner.package_versions()
    assert runner._versions.cache_info().misses == read  # nothing installed: kept
    time.sleep(0.01)
    (tmp_path / "newpkg-1.0.dist-info").mkdir()
    assert runner.package_versions()["python"] == sys.version.split()[0]
    assert runner._versions.cache_info().misses == read + 1  # read again


def test_batch_workers_share_the_cores_for_typst(monkeypatch):
    """Typst's threads: the cores shared among the workers, at least one, unless set."""
    from workbench.execution.batch import _worker_env

    monkeypatch.delenv("RAYON_NUM_THREADS", raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 4)
    assert [_worker_env(set(), n)["RAYON_NUM_THREADS"] for n in (1, 2, 4, 8)] == \
        ["4", "2", "1", "1"]
    monkeypatch.setenv("RAYON_NUM_THREADS", "3")
    assert _worker_env(set(), 4)["RAYON_NUM_THREADS"] == "3"


def test_a_batchs_zygotes_preload_only_the_analyses_its_notebooks_import(tmp_path):
    """A topic-report batch's zygote leaves out the analyses no notebook of the batch
    imports (scikit-learn, behind the missing-data module); without the list, all."""
    from workbench.config import paths
    from workbench.execution._zygote import ANALYSES, notebook_imports
    from workbench.execution.batch import _worker_env

    topic = paths().notebooks / "topic_report.ipynb"
    env = _worker_env({str(topic)})
    assert set(env["WORKBENCH_PRELOAD_ONLY"].split(",")) >= {"workbench", "workbench.monitor"}
    assert notebook_imports([tmp_path / "none.ipynb"]) is None  # unreadable: preload all
    script = ("import json, sys; from workbench.execution import _zygote; "
              "done, missing = _zygote._preload(); "
              "print(json.dumps([done, missing, 'sklearn' in sys.modules]))")
    for only, wanted in ((env["WORKBENCH_PRELOAD_ONLY"], ["workbench.monitor"]),
                         (None, list(ANALYSES))):
        child_env = {k: v for k, v in env.items() if k != "WORKBENCH_PRELOAD_ONLY"}
        if only is not None:
            child_env["WORKBENCH_PRELOAD_ONLY"] = only
        out = subprocess.run([sys.executable, "-c", script], env=child_env, check=True,
                             capture_output=True, text=True).stdout.strip().splitlines()[-1]
        done, missing, sklearn = json.loads(out)
        assert [m for m in done if m in ANALYSES] == wanted and missing == []
        assert sklearn is (only is None)
