"""A warm engine that outlives one ``workbench run``: ``python -m workbench.execution._daemon``.

``workbench run`` hands its (already validated) run to this process over a
Unix socket; the first call starts it, later calls find it warm, so a report
costs its own computation instead of a Python start-up and the scientific
imports.  The process is the same warm worker as a batch's (its zygote forks
a fresh kernel per report) and serves one run at a time.

It is keyed by a fingerprint of the interpreter, ``sys.path``, the
environment variables read at import time and the workbench's source files:
edit the package or switch environment and the next call starts a new engine.
It exits after ``WORKBENCH_ENGINE_IDLE`` seconds without a run (default 900),
after ``WORKBENCH_WORKER_MAX_REPORTS`` runs or above ``WORKBENCH_WORKER_MAX_MB``.
``WORKBENCH_ENGINE_IDLE=0`` turns the daemon off: ``workbench run`` then runs
in its own process.  The socket lives in a folder only the user can open.

Examples
--------
>>> from workbench.execution._daemon import fingerprint
>>> len(fingerprint())
64
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from ..foundation.errors import WorkbenchError
from ._zygote import IMPORT_ENV_PREFIXES, package_home

__all__ = ["enabled", "fingerprint", "socket_path", "running", "idle", "submit", "serve"]

IDLE = float(os.environ.get("WORKBENCH_ENGINE_IDLE", "900"))


def enabled() -> bool:
    """Whether ``workbench run`` should use the daemon (Unix, and not turned off)."""
    return IDLE > 0 and hasattr(socket, "AF_UNIX")


def fingerprint() -> str:
    """What a warm engine depends on: interpreter, paths, import-time env, package files."""
    package = Path(__file__).resolve().parents[1]
    files = sorted((str(p.relative_to(package)), p.stat().st_mtime_ns, p.stat().st_size)
                   for p in package.rglob("*.py"))
    # WORKBENCH_OUTPUTS, _DB, _HOME... are read per run (each request carries the caller's
    # environment), so one engine serves them all
    env = sorted((k, v) for k, v in os.environ.items()
                 if k.startswith((*IMPORT_ENV_PREFIXES, "WORKBENCH_WORKER_",
                                  "WORKBENCH_ENGINE_")))
    # sys.path[0] is the caller's script folder or working directory: not the engine's
    payload = [sys.executable, sys.path[1:], env, str(package), files]
    return hashlib.sha256(json.dumps(payload).encode()).hexdigest()


def socket_path() -> Path:
    """The socket of the engine for this fingerprint, in a private per-user folder."""
    base = Path(os.environ.get("XDG_RUNTIME_DIR") or tempfile.gettempdir())
    folder = base / f"workbench-engine-{os.getuid()}"
    folder.mkdir(mode=0o700, exist_ok=True)
    info = folder.stat()
    if info.st_uid != os.getuid() or info.st_mode & 0o077:
        raise WorkbenchError(f"{folder} must belong to you and be private (mode 700)",
                             f"{folder} 必须属于当前用户且权限为 700")
    return folder / f"{fingerprint()[:20]}.sock"


def _connect(path: Path) -> socket.socket | None:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(str(path))
    except OSError:
        sock.close()
        return None
    return sock


def running() -> bool:
    """Whether a warm engine for this fingerprint is listening now."""
    sock = _connect(socket_path())
    if sock is None:
        return False
    sock.close()
    return True


def idle(wait: float = 0.3) -> bool:
    """Whether a warm engine is up and free now (it greets a connection it accepts)."""
    sock = _connect(socket_path())
    if sock is None:
        return False
    with sock:
        sock.settimeout(wait)
        try:
            return sock.recv(6) == b"ready\n"
        except OSError:
            return False  # busy with another caller's run


def _start(path: Path) -> None:
    log = path.with_suffix(".log")
    with log.open("a", encoding="utf-8") as handle:
        subprocess.Popen([sys.executable, "-m", "workbench.execution._daemon", str(path)],
                         stdin=subprocess.DEVNULL, stdout=handle, stderr=handle,
                         start_new_session=True, close_fds=True, cwd=package_home())


def submit(request: dict[str, Any], start_timeout: float = 180.0) -> dict[str, Any]:
    """Send one run to the warm engine (starting it if needed) and return its answer."""
    try:
        return _submit(request, start_timeout)
    except ConnectionError:  # an engine that was just ending: start a fresh one
        return _submit(request, start_timeout)


def _submit(request: dict[str, Any], start_timeout: float) -> dict[str, Any]:
    path = socket_path()
    sock = _connect(path)
    if sock is None:
        _start(path)
        deadline = time.monotonic() + start_timeout
        while (sock := _connect(path)) is None:
            if time.monotonic() > deadline:
                log = path.with_suffix(".log")
                raise WorkbenchError(f"The warm engine did not start; see {log}",
                                     f"预热引擎未能启动，见 {log}")
            time.sleep(0.05)
    with sock, sock.makefile("rwb") as stream:
        if stream.readline() != b"ready\n":  # waits while the engine serves another caller
            raise ConnectionError("the warm engine closed the connection")
        stream.write((json.dumps({**request, "env": dict(os.environ), "cwd": os.getcwd()},
                                 default=str) + "\n").encode("utf-8"))
        stream.flush()
        line = stream.readline()
    if not line:
        raise ConnectionError("the warm engine closed the connection")
    return json.loads(line)


@contextlib.contextmanager
def _as_caller(request: dict[str, Any]) -> Any:
    """The caller's environment and working directory for the duration of one run."""
    saved_env, saved_cwd = dict(os.environ), os.getcwd()
    os.environ.clear()
    os.environ.update(request["env"])
    os.chdir(request["cwd"])
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved_env)
        os.chdir(saved_cwd)


def _answer(request: dict[str, Any]) -> dict[str, Any]:
    """Validate as ``workbench run`` does (file values typed, -p strings converted) and run."""
    from .params import check_run_parameters
    from .runner import run_notebook

    try:
        with _as_caller(request):
            notebook = request["notebook"]
            typed = check_run_parameters(notebook, request.get("pairs", {}),
                                         request.get("parameters_file"))
            result = run_notebook(notebook, typed,
                                  update_index=request.get("update_index", True))
        return {"status": result.status, "run_dir": str(result.run_dir),
                "error": result.manifest.get("error", ""), "pid": os.getpid()}
    except WorkbenchError as err:
        return {"status": "refused", "en": err.en, "zh": err.zh}
    except Exception as err:  # reported to the caller, the engine stays up
        return {"status": "failed", "run_dir": "", "error": f"{type(err).__name__}: {err}"}


def _serve_one(conn: socket.socket) -> int:
    """Greet, read one request, answer it; return 1 if a run was served."""
    with conn, conn.makefile("rwb") as stream:
        stream.write(b"ready\n")
        stream.flush()
        line = stream.readline()  # empty: a caller only checked that we are idle
        if not line:
            return 0
        answer = _answer(json.loads(line))
        stream.write((json.dumps(answer) + "\n").encode("utf-8"))
        stream.flush()
        return 1


def serve(path: Path) -> None:
    """Listen on ``path`` until idle, recycled, or another engine already serves it."""
    from ._batch_worker import MAX_MB, MAX_REPORTS, _warm_up, memory

    lock = os.open(path.with_suffix(".lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return  # another engine owns this socket
    path.unlink(missing_ok=True)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen(16)
    server.settimeout(IDLE)
    _warm_up()
    runs = 0
    try:
        while runs < MAX_REPORTS and sum(memory()) < MAX_MB:
            try:
                conn, _ = server.accept()
            except TimeoutError:
                break
            conn.settimeout(None)
            try:
                runs += _serve_one(conn)
            except OSError:
                continue  # the caller went away (an idle() probe, or an interrupted run)
    finally:
        path.unlink(missing_ok=True)
        server.close()
        from ._engine import close_shared_zygote

        close_shared_zygote()


if __name__ == "__main__":
    serve(Path(sys.argv[1]))
