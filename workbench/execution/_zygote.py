"""The warm "zygote": imports the heavy modules once, forks a fresh kernel per report.

Run as ``python -m workbench.execution._zygote``.  The process imports numpy,
pandas, scipy, matplotlib, seaborn, duckdb, the workbench and ipykernel, then
waits for requests on its stdin (one JSON object a line) and answers on its
stdout.  A ``spawn`` request forks a child that becomes an ordinary IPython
kernel (``IPKernelApp``) on the connection file the kernel manager wrote, in
the requested working directory and environment.  The zygote itself never
runs report code: every child starts from the same pristine state, so a
global, an rcParams change, a leaked handle, ``sys.exit``, ``os.abort`` or a
kill in one report cannot reach another (each child is its own process).

The child also takes a new session (like ``jupyter_client``'s launcher, so a
signal to the kernel reaches its subprocesses) and asks Linux to kill it
when the zygote dies; the zygote likewise dies with the process that
started it, so no kernel outlives its batch.

Requests: ``{"op": "spawn", "argv": [...], "cwd": ..., "env": {...}}`` ->
``{"pid": n}``; ``{"op": "poll", "pid": n}`` -> ``{"status": None | code, "reason":
None | text}`` (negative: killed by that signal; ``reason``: why a kernel that never
started failed, e.g. ``ZMQError: Address already in use``);
``{"op": "signal", "pid": n, "signum": s}``;
``{"op": "ping"}`` -> ``{"pid", "rss_mb", "kernels_cpu_s", "preloaded", "missing"}``
(``kernels_cpu_s``: CPU seconds of the kernels that have ended).
End of input ends the zygote and its remaining kernels.
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import importlib
import json
import os
import resource
import select
import signal
import sys
import threading
import traceback
from collections.abc import Iterable
from pathlib import Path
from typing import Any, NoReturn

__all__ = ["PRELOAD", "ANALYSES", "IMPORT_ENV_PREFIXES", "notebook_imports", "package_home",
           "set_parent_death_signal", "main"]

# The analyses a notebook imports.  A zygote preloads them all, unless the batch that
# started it lists the workbench modules its notebooks import (WORKBENCH_PRELOAD_ONLY, a
# comma list): then only the analyses named there (a topic-report batch skips
# scikit-learn, 0.5 s of CPU for every zygote).  A kernel imports what was not preloaded.
ANALYSES = ("workbench.monitor", "workbench.compare", "workbench.survey", "workbench.missing")
# What every report's kernel would import anyway (the notebooks' imports).
PRELOAD = ("numpy", "pandas", "scipy", "scipy.stats", "matplotlib", "matplotlib.pyplot",
           "seaborn", "duckdb", "openpyxl", "workbench",
           "workbench.reporting.report", "IPython", "ipykernel.kernelapp", "ipykernel.ipkernel",
           "ipykernel.zmqshell", "ipykernel.debugger", "matplotlib_inline.backend_inline",
           # what a report imports on its way (its first table, figure and data line)
           "workbench.execution.params", "workbench.store.database",
           "workbench.store.provenance", "workbench.protection.disclosure",
           "workbench.protection.privacy", "pandas.core.reshape.reshape",
           "workbench.reporting._cover", "workbench.reporting._document",
           "workbench.reporting._format", "workbench.reporting._html",
           "workbench.reporting._summary", "pandas.io.formats.excel", "pandas.io.formats.csvs",
           "pyarrow.pandas_compat", "pylopdf_fonts_zh_cn", "PIL.PngImagePlugin", "tomllib",
           "xlsxwriter", "workbench.params", "pyarrow.vendored.version",
           # what the kernel itself imports as it starts (0.1-0.2 s a report otherwise)
           "ipykernel_launcher", "IPython.core.debugger", "IPython.core.completerlib",
           "IPython.core.logger", "IPython.core.oinspect", "IPython.extensions.storemagic",
           "tornado.platform.asyncio", "zmq.utils.garbage", "PIL.BmpImagePlugin",
           "PIL.GifImagePlugin", "PIL.JpegImagePlugin", "PIL.PpmImagePlugin",
           # and as it shuts down (ipykernel looks for the kernel's child processes)
           "psutil")

# Environment variables read while those modules import: a zygote started under
# other values is stale (see _engine.Zygote.matches).
IMPORT_ENV_PREFIXES = ("PYTHON", "MPL", "OPENBLAS", "OMP_", "MKL", "NUMEXPR", "LD_",
                       "VIRTUAL_ENV", "JUPYTER", "IPYTHON", "WORKBENCH_PRELOAD", "LANG", "LC_",
                       "TZ", "HOME", "PATH")

_INLINE = "module://matplotlib_inline.backend_inline"
# Seconds a kernel's exit handlers may take before the process ends anyway.
_EXIT_GRACE = 0.5
# how much of a kernel's start failure the zygote passes on
_REASON_BYTES = 2000


def package_home() -> str:
    """The folder holding the imported ``workbench`` package.

    Helper processes start there: ``python -m`` puts the working directory first on
    ``sys.path``, so they import the very package their parent imported.
    """
    return str(Path(__file__).resolve().parents[2])


def notebook_imports(notebooks: Iterable[str | Path]) -> list[str] | None:
    """The workbench modules the code cells of ``notebooks`` import, for ``WORKBENCH_PRELOAD_ONLY``.

    ``from workbench import monitor`` counts as ``workbench.monitor`` (a name that is
    not a module is just not preloaded).  None when a notebook cannot be read or
    parsed (cell magics, say): its zygote then preloads every analysis.

    >>> import json, tempfile
    >>> cells = [{"cell_type": "code", "source": "import os; from workbench import monitor"}]
    >>> with tempfile.NamedTemporaryFile("w", suffix=".ipynb", delete=False) as f:
    ...     json.dump({"cells": cells}, f)
    >>> notebook_imports([f.name])
    ['workbench', 'workbench.monitor']
    """
    import ast

    found: dict[str, None] = {}
    for path in notebooks:
        try:
            cells = json.loads(Path(path).read_text(encoding="utf-8"))["cells"]
            trees = [ast.parse("".join(c["source"])) for c in cells
                     if c.get("cell_type") == "code"]
        except (OSError, ValueError, KeyError, TypeError, SyntaxError):
            return None
        for node in (n for tree in trees for n in ast.walk(tree)):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
            else:
                continue
            found.update(dict.fromkeys(n for n in names if n.split(".")[0] == "workbench"))
    return list(found)


def set_parent_death_signal() -> None:
    """Ask Linux to SIGKILL this process when its parent dies (no-op elsewhere)."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG


class _KernelShell:
    """What ``builtins.get_ipython()`` returns inside a kernel, as far as imports look.

    pandas decides at import time whether it runs in a terminal (display
    options sized to the terminal) or in a Jupyter kernel (``max_columns`` 20)
    by calling ``get_ipython()`` and looking for a ``kernel`` attribute.
    """

    kernel = None


def _preload() -> tuple[list[str], list[str]]:
    import builtins

    # ipykernel sets the inline backend before user code imports matplotlib; so do we
    os.environ.setdefault("MPLBACKEND", _INLINE)
    extra = [m for m in os.environ.get("WORKBENCH_PRELOAD", "").split(",") if m]
    only = os.environ.get("WORKBENCH_PRELOAD_ONLY")
    analyses = [m for m in ANALYSES if only is None or m in only.split(",")]
    done, missing = [], []
    builtins.get_ipython = _KernelShell  # type: ignore[attr-defined]
    try:
        for name in (*PRELOAD, *analyses, *extra):
            try:
                importlib.import_module(name)
                done.append(name)
            except Exception as err:  # an optional module: the kernel imports it itself
                missing.append(f"{name}: {type(err).__name__}: {err}")
    finally:
        del builtins.get_ipython
    _register_fonts()
    return done, missing


def _register_fonts() -> None:
    """Register the CJK font with matplotlib once (every report's theme would, 0.03 s each).

    The font list it adds to is rebuilt identically by any kernel that would
    register it itself; a report that changes it changes only its own copy.
    """
    plots = sys.modules.get("workbench.foundation.plots")
    if plots is not None:
        with contextlib.suppress(RuntimeError):  # no CJK font: the report says so itself
            plots.cjk_font()


def _exercise() -> None:
    """Run the workbench's own table and chart code once, on a made-up table.

    A fresh process fills caches on first use: compiled regular expressions,
    the CJK font's glyphs, the validated catalogue, XlsxWriter's and pandas'
    first-call set-up.  Filled here, before any fork, every kernel starts with
    them (0.15-0.2 s a report).  Nothing of a report is involved: the input is
    fixed, rcParams and warning filters are restored, every figure is closed,
    and no thread or database connection is left behind (a fork copies
    neither safely).
    """
    import tempfile
    import warnings

    import matplotlib.pyplot as plt
    import pandas as pd

    from workbench.foundation.catalogue import load_catalogue
    from workbench.foundation.plots import fixed_layout, png_bytes, set_theme
    from workbench.foundation.safe_io import write_csv
    from workbench.reporting._format import format_table
    from workbench.reporting._xlsx import write_xlsx

    with warnings.catch_warnings(), plt.rc_context(), \
            tempfile.TemporaryDirectory(prefix="workbench-zygote-") as tmp:
        warnings.simplefilter("ignore")
        try:
            catalogue = load_catalogue()
        except Exception:  # no catalogue where the zygote looks: reports will say so
            catalogue = None
        code = catalogue.codes[0] if catalogue is not None else "X01"
        table = pd.DataFrame({"indicator": [code, code], "名称 name": ["新生儿 α", "x"],
                              "year": [2024, 2025], "value": [1.25, None],
                              "provisional": [False, True]})
        for lang in ("zh", "en"):
            format_table(table, lang, catalogue)
        write_csv(table, Path(tmp) / "t.csv", comment="x")
        write_xlsx(table, Path(tmp) / "t.xlsx", title="表 table", notes=["注 note"],
                   catalogue=catalogue)
        set_theme()
        fig, ax = plt.subplots()
        ax.plot([2020, 2025], [1.0, 2.0], "o-", label="观测值 observed")
        ax.set_title("新生儿死亡率 · 和平区 Rate")
        ax.legend(loc="best")
        png_bytes(fixed_layout(fig))
        plt.close("all")


def _warm_store() -> None:
    """Read the configured database's provenance and snapshot once, before any fork.

    Both are cached per version of the file (:mod:`workbench.store._snapshot`: catalogue,
    regions and current observations), so every kernel forked while the database is
    unchanged starts with them and never starts DuckDB (0.06 s a report) or validates the
    catalogue; the regions file likewise.
    A database that is changed later is a new version, read afresh by the kernel.  Only a
    database that opens at once is read (another process writing it must not delay the
    zygote), and every connection is closed again: DuckDB's threads end with its last
    connection.
    """
    from workbench.foundation import config
    from workbench.foundation.regions import load_regions
    from workbench.store import database, provenance

    with contextlib.suppress(Exception):  # no regions file: the report says so itself
        load_regions()  # the title page names the region from it
    path = config.paths().database
    if not path.is_file():
        return
    with database.connect(path, wait=0) as db:  # the opens below share this instance
        provenance.database_provenance(path)
        db.catalogue()
        db.regions()


def _rss_mb(pid: int | str = "self") -> float:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _reseed() -> None:
    """Fresh entropy in the child, as in a new process (``random`` reseeds itself at fork)."""
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        numpy.random.seed()


# the zygote's stderr (the worker's log), kept apart from fd 2, which ipykernel redirects
# into its IOPub capture in every kernel
_LOG_FD = 2


def _forced_exit(code: int) -> NoReturn:
    """End a kernel whose exit handlers overran, saying so in the worker's log."""
    os.write(_LOG_FD, f"workbench: kernel {os.getpid()} exit handlers overran {_EXIT_GRACE} s; "
                "ended\n".encode())
    os._exit(code)


def _let_control_finish(app: Any) -> None:
    """Wait for the control thread to finish the shutdown request it is answering.

    The shutdown request stops the shell loop, so ``app.start()`` returns while
    the control thread still flushes and publishes its idle status through the
    IOPub thread.  ipykernel's exit handler stops the IOPub thread first, and a
    flush then blocks for good (until the watchdog below ends the process: a
    report's run waited up to ``_EXIT_GRACE`` for it).  The control loop has
    been told to stop already; joining it lets it finish first.
    """
    thread = getattr(app, "control_thread", None)
    if thread is not None and thread.is_alive():
        thread.join(timeout=_EXIT_GRACE)


def _tell_start_failure(report_fd: int, exc: BaseException) -> None:
    """Say why the kernel did not start on its report pipe (the run's error gives it).

    ipykernel (and traitlets) log a start failure and exit(1) inside their ``except``:
    the exception handled there is the reason, not the ``SystemExit``.
    """
    while isinstance(exc, SystemExit) and exc.__context__ is not None:
        exc = exc.__context__
    with contextlib.suppress(OSError):
        os.write(report_fd, f"{type(exc).__name__}: {exc}".encode()[:_REASON_BYTES])


def _become_kernel(request: dict[str, Any], zygote_pid: int, inherited: list[int],
                   report_fd: int) -> NoReturn:
    """In the forked child: turn into an IPython kernel; never return.

    ``inherited``: the zygote's descriptors to close; ``report_fd``: the pipe on which a
    start failure is told (closed once the kernel has started).
    """
    code, started = 1, False
    try:
        os.setsid()
        set_parent_death_signal()
        if os.getppid() != zygote_pid:  # the zygote died between fork and prctl
            os._exit(1)
        for fd in inherited:
            os.close(fd)
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGCHLD, signal.SIGPIPE):
            signal.signal(signum, signal.SIG_DFL)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        os.environ.setdefault("MPLBACKEND", _INLINE)
        import ipykernel_launcher

        # no IPython history database: a report's kernel never reads it back, and every
        # kernel committing to the one shared SQLite file cost 0.03 s and serialised them
        argv = [*request["argv"], "--HistoryManager.enabled=False"]
        sys.argv = [ipykernel_launcher.__file__, *argv]
        _reseed()
        from ipykernel.kernelapp import IPKernelApp

        # as jupyter_client's launcher would say: the parent is the zygote (whose death
        # ends the kernel); ipykernel read this variable when the zygote imported it
        os.environ["JPY_PARENT_PID"] = str(zygote_pid)
        app = IPKernelApp.instance(parent_handle=zygote_pid)
        app.initialize(argv)
        # the backend module was imported before this shell existed: hook it up now,
        # as its import would have in a fresh kernel
        inline = sys.modules.get("matplotlib_inline.backend_inline")
        if inline is not None:
            inline._enable_matplotlib_integration()
        os.close(report_fd)
        started = True
        app.start()
        _let_control_finish(app)
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
        if not started and code:
            _tell_start_failure(report_fd, exc)
    except BaseException as exc:
        traceback.print_exc()
        if not started:
            _tell_start_failure(report_fd, exc)
    finally:
        # exit handlers (a report's own, or ipykernel's if its shutdown race strikes
        # anyway) get _EXIT_GRACE; the report is complete by then
        watchdog = threading.Timer(_EXIT_GRACE, _forced_exit, args=(code,))
        watchdog.daemon = True
        watchdog.start()
        try:
            atexit._run_exitfuncs()
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


class _Server:
    """The zygote's request loop (single-threaded, so forking is safe)."""

    def __init__(self, inp: int, out: int, preloaded: list[str], missing: list[str]) -> None:
        self.inp, self.out = inp, out
        self.reader = os.fdopen(inp, "r", encoding="utf-8")
        self.children: dict[int, int | None] = {}
        # each live kernel's report pipe (read end); then why it failed to start, if it did
        self.report_fds: dict[int, int] = {}
        self.reasons: dict[int, str] = {}
        self.preloaded, self.missing = preloaded, missing

    def reply(self, payload: dict[str, Any]) -> None:
        os.write(self.out, (json.dumps(payload) + "\n").encode())

    def reap(self) -> None:
        for pid, status in self.children.items():
            if status is not None:
                continue
            try:
                done, raw = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                done, raw = pid, signal.SIGKILL  # reaped elsewhere: count it as killed
            if done:
                self.children[pid] = (-os.WTERMSIG(raw) if os.WIFSIGNALED(raw)
                                      else os.WEXITSTATUS(raw))
                self._read_reason(pid)  # and close its report pipe

    def _read_reason(self, pid: int) -> None:
        fd = self.report_fds.pop(pid, None)
        if fd is None:
            return
        try:  # the child has exited: what it wrote is all there, and read() cannot block
            reason = os.read(fd, _REASON_BYTES).decode("utf-8", "replace").strip()
        finally:
            os.close(fd)
        if reason:
            self.reasons[pid] = reason

    def handle(self, request: dict[str, Any]) -> dict[str, Any]:
        op = request.get("op")
        if op == "spawn":
            read_fd, report_fd = os.pipe()
            pid = os.fork()
            if pid == 0:
                _become_kernel(request, os.getppid(),
                               [self.inp, self.out, read_fd, *self.report_fds.values()],
                               report_fd)
            os.close(report_fd)
            self.children[pid] = None
            self.report_fds[pid] = read_fd
            return {"pid": pid}
        if op == "poll":
            self.reap()
            pid = request["pid"]
            return {"status": self.children.get(pid, 0), "reason": self.reasons.pop(pid, None)}
        if op == "signal":
            self.reap()
            pid = request["pid"]
            if self.children.get(pid, 0) is None:  # not reaped: the pid is still ours
                try:
                    os.killpg(pid, request["signum"])
                except OSError:
                    os.kill(pid, request["signum"])
                return {"ok": True}
            return {"ok": False}
        if op == "ping":
            reaped = resource.getrusage(resource.RUSAGE_CHILDREN)  # kernels that ended
            return {"pid": os.getpid(), "rss_mb": round(_rss_mb(), 1),
                    "kernels_cpu_s": round(reaped.ru_utime + reaped.ru_stime, 3),
                    "preloaded": self.preloaded, "missing": self.missing}
        return {"error": f"unknown op {op!r}"}

    def serve(self) -> None:
        self.reply(self.handle({"op": "ping"}))
        while True:
            ready, _, _ = select.select([self.inp], [], [], 0.5)
            self.reap()
            if not ready:
                continue
            line = self.reader.readline()
            if not line:
                break
            try:
                self.reply(self.handle(json.loads(line)))
            except Exception as err:  # a bad request must not end the zygote
                self.reply({"error": f"{type(err).__name__}: {err}"})
        self.shutdown()

    def shutdown(self) -> None:
        for pid, status in self.children.items():
            if status is None:
                with contextlib.suppress(OSError):
                    os.killpg(pid, signal.SIGKILL)
        self.reap()


def main() -> None:
    """Preload, then serve spawn requests until stdin closes."""
    set_parent_death_signal()
    # the protocol keeps the original stdin/stdout; fd 1 becomes stderr so that
    # nothing a module prints can corrupt it, and kernels inherit sane std streams
    global _LOG_FD
    inp, out, _LOG_FD = os.dup(0), os.dup(1), os.dup(2)
    os.dup2(2, 1)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the worker decides when we end
    if sys.path and sys.path[0] in ("", os.getcwd()):
        del sys.path[0]  # as ipykernel_launcher does; the kernel adds '' back itself
    preloaded, missing = _preload()
    for head_start in (_exercise, _warm_store):
        try:
            head_start()
        except Exception as err:  # only a head start is lost: kernels fill the caches
            missing.append(f"{head_start.__name__}: {type(err).__name__}: {err}")
    # the preloaded objects live as long as any kernel: keep the collector off them, or
    # every kernel's first collections would touch (and so copy) the whole shared heap
    gc.collect()
    gc.freeze()
    _Server(inp, out, preloaded, missing).serve()


if __name__ == "__main__":
    main()
