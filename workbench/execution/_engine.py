"""The warm run engine on the client side: a zygote handle and its kernel provisioner.

papermill stays the execution API: :func:`execute` calls
``papermill.execute_notebook`` with a ``jupyter_client`` kernel manager whose
provisioner asks the zygote (:mod:`._zygote`) to fork the kernel instead of
starting ``python -m ipykernel_launcher``.  The kernel is still a separate,
fresh process speaking the ordinary Jupyter protocol; only the imports are
paid once.  Any other kernel command (another language, another Python) falls
back to jupyter_client's ordinary launcher.

Examples
--------
>>> from workbench.execution._engine import ZygoteKernelManager
>>> ZygoteKernelManager.__mro__[1].__name__
'AsyncKernelManager'
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from queue import Empty
from typing import Any

import zmq
import zmq.asyncio
from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.manager import AsyncKernelManager
from jupyter_client.provisioning import LocalProvisioner
from traitlets import Type, default

from ..foundation.errors import WorkbenchError
from ._zygote import IMPORT_ENV_PREFIXES, package_home, set_parent_death_signal

__all__ = ["Zygote", "ZygoteProvisioner", "ZygoteKernelManager", "ZygoteKernelClient",
           "shared_zygote", "close_shared_zygote", "settle_kernels", "kernel_exits", "execute",
           "ipc_prefix", "kernel_start_failures"]

_START_TIMEOUT = 180.0
# how soon a client retries connecting to a kernel that is not listening yet (ms)
_RECONNECT_MS = 5
# a Unix socket's path must fit in sockaddr_un (108 bytes on Linux, with its NUL)
_MAX_SOCKET_PATH = 100


def _import_env(env: dict[str, str] | os._Environ) -> dict[str, str]:
    return {k: v for k, v in env.items() if k.startswith(IMPORT_ENV_PREFIXES)}


class Zygote:
    """Handle on one zygote process (started on creation).

    ``wait=False`` returns as soon as the process is started: its caller does its own
    set-up while the zygote imports, and :attr:`info` (or the first request) waits for it.
    """

    def __init__(self, wait: bool = True) -> None:
        self.env = _import_env(os.environ)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "workbench.execution._zygote"], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, text=True, bufsize=1, preexec_fn=set_parent_death_signal,
            cwd=package_home())
        self.lock = threading.Lock()
        self._info: dict[str, Any] | None = None
        self.spawned = 0
        if wait:
            self._info = self._read(_START_TIMEOUT)

    @property
    def info(self) -> dict[str, Any]:
        """The zygote's ready line (what it preloaded, what was missing), waited for once."""
        if self._info is None:
            self._info = self._read(_START_TIMEOUT)
        return self._info

    def _read(self, timeout: float) -> dict[str, Any]:
        assert self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        line = self.proc.stdout.readline() if ready else ""
        if not line:
            code = self.proc.poll()
            self.close()
            raise WorkbenchError(f"The warm kernel process ended (exit code {code})",
                                 f"预热内核进程已退出（退出码 {code}）")
        return json.loads(line)

    def request(self, payload: dict[str, Any], timeout: float = 60.0) -> dict[str, Any]:
        """Send one request and return the zygote's answer."""
        with self.lock:
            _ = self.info  # its ready line comes first
            if self.proc.poll() is not None or self.proc.stdin is None:
                raise WorkbenchError("The warm kernel process is not running",
                                     "预热内核进程未运行")
            try:
                self.proc.stdin.write(json.dumps(payload) + "\n")
                self.proc.stdin.flush()
            except (BrokenPipeError, OSError) as err:
                raise WorkbenchError(f"The warm kernel process ended: {err}",
                                     f"预热内核进程已退出：{err}") from err
            answer = self._read(timeout)
        if "error" in answer:
            raise WorkbenchError(f"Warm kernel process: {answer['error']}",
                                 f"预热内核进程出错：{answer['error']}")
        return answer

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def matches(self) -> bool:
        """Alive and started under the same import-relevant environment as now."""
        return self.alive and self.env == _import_env(os.environ)

    def spawn(self, argv: list[str], cwd: str, env: dict[str, str]) -> int:
        self.spawned += 1
        return int(self.request({"op": "spawn", "argv": argv, "cwd": cwd, "env": env})["pid"])

    def rss_mb(self) -> float:
        return float(self.request({"op": "ping"})["rss_mb"]) if self.alive else 0.0

    def close(self) -> None:
        """End the zygote (closing its input ends it and any kernel it still has)."""
        if self.proc.stdin is not None:
            with contextlib.suppress(OSError):
                self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()


_SHARED: dict[str, Zygote] = {}
# kernels asked to shut down whose exit is awaited later (overlapping the HTML export)
_EXITING: list[tuple[Zygote, int]] = []
# exit statuses of this process's kernels, by pid, until read by kernel_exits()
_EXITS: dict[int, int] = {}
# why kernels that never started failed, by pid, until read by kernel_start_failures()
_START_FAILURES: dict[int, str] = {}


def kernel_exits() -> list[int]:
    """Exit statuses of the kernels that ended since the last call (negative: signal)."""
    statuses = list(_EXITS.values())
    _EXITS.clear()
    return statuses


def kernel_start_failures() -> list[str]:
    """Why the kernels that failed to start since the last call failed (their exception)."""
    reasons = list(_START_FAILURES.values())
    _START_FAILURES.clear()
    return reasons


def _exit_status(zygote: Zygote, pid: int) -> int | None:
    """Ask the zygote whether kernel ``pid`` has ended, recording how (None: running)."""
    answer = zygote.request({"op": "poll", "pid": pid})
    if answer.get("reason"):
        _START_FAILURES[pid] = str(answer["reason"])
    if answer["status"] is None:
        return None
    _EXITS[pid] = int(answer["status"])
    return _EXITS[pid]


def shared_zygote(wait: bool = True) -> Zygote:
    """This process's zygote, started on first use and restarted when stale or dead.

    ``wait=False``: do not wait for a newly started one to be ready (see :class:`Zygote`).
    """
    current = _SHARED.get("zygote")
    if current is not None and current.matches():
        return current
    if current is not None:
        current.close()
    _SHARED["zygote"] = Zygote(wait=wait)
    return _SHARED["zygote"]


def close_shared_zygote() -> None:
    """End this process's zygote, if any."""
    current = _SHARED.pop("zygote", None)
    if current is not None:
        current.close()


def _kernel_args(cmd: list[str]) -> list[str] | None:
    """The ipykernel arguments of a kernel command the zygote can run, else None."""
    if len(cmd) < 3 or cmd[1:3] != ["-m", "ipykernel_launcher"]:
        return None
    if os.path.realpath(cmd[0]) != os.path.realpath(sys.executable):
        return None
    return cmd[3:]


class ZygoteProvisioner(LocalProvisioner):
    """A kernel provisioner that forks kernels from the zygote (else launches normally)."""

    zygote_pid: int | None = None
    _status: int | None = None

    @property
    def has_process(self) -> bool:
        return self.zygote_pid is not None or super().has_process

    async def launch_kernel(self, cmd: list[str], **kwargs: Any) -> Any:
        args = _kernel_args(cmd)
        if args is None:
            return await super().launch_kernel(cmd, **kwargs)
        cwd = str(kwargs.get("cwd") or os.getcwd())
        env = {str(k): str(v) for k, v in (kwargs.get("env") or os.environ).items()}
        self.zygote_pid = shared_zygote().spawn(args, cwd, env)
        self.pid = self.pgid = self.zygote_pid
        self.cwd = cwd
        return self.connection_info

    async def poll(self) -> int | None:
        if self.zygote_pid is None:
            return await super().poll()
        zygote = _SHARED.get("zygote")
        if zygote is None or not zygote.alive:
            return -9  # the zygote is gone, and its kernels with it
        return _exit_status(zygote, self.zygote_pid)

    async def wait(self) -> int | None:
        if self.zygote_pid is None:
            return await super().wait()
        while (status := await self.poll()) is None:
            await asyncio.sleep(0.02)
        self.zygote_pid = None
        self._status = status
        return status

    async def send_signal(self, signum: int) -> None:
        if self.zygote_pid is None:
            return await super().send_signal(signum)
        zygote = _SHARED.get("zygote")
        if zygote is not None and zygote.alive:
            zygote.request({"op": "signal", "pid": self.zygote_pid, "signum": int(signum)})

    async def kill(self, restart: bool = False) -> None:
        if self.zygote_pid is None:
            return await super().kill(restart)
        import signal

        await self.send_signal(signal.SIGKILL)

    async def terminate(self, restart: bool = False) -> None:
        if self.zygote_pid is None:
            return await super().terminate(restart)
        import signal

        await self.send_signal(signal.SIGTERM)


def _quickly_reconnecting_context() -> zmq.asyncio.Context:
    """A zmq context whose sockets retry a refused connection after 5 ms, not 100-200 ms.

    The manager and the client connect while the forked kernel is still binding its
    ports, and zmq retries after RECONNECT_IVL plus jitter.  With the default, every
    report waited about 0.1 s for a kernel ready after 0.05 s of CPU, and a short
    notebook's shutdown request could still be queued on the manager's unconnected
    control socket when jupyter_client closed it (100 ms linger): the kernel never
    heard it and was killed 5 s later.  The interval doubles up to 1 s while a kernel
    stays unreachable (one that died).  Manager and client each own their context
    (jupyter_client destroys it with them), so no other socket is affected.
    """
    context = zmq.asyncio.Context()
    context.setsockopt(zmq.RECONNECT_IVL, _RECONNECT_MS)
    context.setsockopt(zmq.RECONNECT_IVL_MAX, 1000)
    return context


class ZygoteKernelClient(AsyncKernelClient):
    """Ready as soon as the kernel's IOPub says so, not after a fixed 0.2 s flush.

    No heartbeat channel: whether the kernel lives is asked of its manager (the
    zygote knows its children), and stopping a heartbeat thread costs up to its
    1 s beat at the end of every report.
    """

    @default("context")
    def _context_default(self) -> zmq.asyncio.Context:
        self._created_context = True
        return _quickly_reconnecting_context()

    def start_channels(self, shell: bool = True, iopub: bool = True, stdin: bool = True,
                       hb: bool = False, control: bool = True) -> None:
        super().start_channels(shell=shell, iopub=iopub, stdin=stdin, hb=False,
                               control=control)

    async def _async_wait_for_ready(self, timeout: float | None = None) -> None:
        deadline = time.monotonic() + (float("inf") if timeout is None else timeout)
        while True:
            request = self.kernel_info()
            try:
                reply = await self.shell_channel.get_msg(timeout=1)
            except Empty:
                reply = None
            if reply is not None and reply["msg_type"] == "kernel_info_reply" and \
                    await self._iopub_idle_after(request):
                self._handle_kernel_info_reply(reply)
                return
            if not await self._async_is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {timeout} seconds")

    # AsyncKernelClient binds the public name to the base coroutine (0.2 s of IOPub
    # silence on every start), not to the override above
    wait_for_ready = _async_wait_for_ready

    async def _iopub_idle_after(self, request: str) -> bool:
        """Read IOPub until it is known to be connected (False if IOPub stays silent).

        Connected means: the idle status of ``request`` arrived, or the kernel's
        ``iopub_welcome`` (ipykernel 7 sends it to each new subscriber, JEP 65),
        after which no output of a cell can be lost.
        """
        while True:
            try:
                msg = await self.iopub_channel.get_msg(timeout=0.2)
            except Empty:
                return False
            if msg["msg_type"] == "iopub_welcome":
                return True
            if msg["msg_type"] == "status" and \
                    msg["content"].get("execution_state") == "idle" and \
                    msg["parent_header"].get("msg_id") == request:
                return True


# this process's private folder of kernel sockets: (creating pid, path)
_IPC_FOLDER: list[tuple[int, str]] = []


def _remove_ipc_folder(pid: int, folder: str) -> None:
    if os.getpid() == pid:  # never from a forked child that runs this process's atexit
        shutil.rmtree(folder, ignore_errors=True)


def ipc_prefix(kernel_id: str) -> str | None:
    """Where one kernel's Unix sockets go (``<prefix>-<n>``), or None if too long a path.

    The folder is this process's own, readable by its user only (``mkdtemp``), and
    removed when the process ends; a kernel's id keeps its sockets apart from others'.
    """
    if not _IPC_FOLDER or _IPC_FOLDER[0][0] != os.getpid() or \
            not os.path.isdir(_IPC_FOLDER[0][1]):
        folder = tempfile.mkdtemp(prefix="wb-kernels-")
        atexit.register(_remove_ipc_folder, os.getpid(), folder)
        _IPC_FOLDER[:] = [(os.getpid(), folder)]
    prefix = os.path.join(_IPC_FOLDER[0][1], kernel_id.replace("-", "")[:16])
    return prefix if len(prefix) + 4 <= _MAX_SOCKET_PATH else None


class ZygoteKernelManager(AsyncKernelManager):
    """``AsyncKernelManager`` whose kernels come from this process's zygote.

    A graceful shutdown only asks the kernel to exit; :func:`settle_kernels`
    waits for it (and kills a kernel that does not exit) before the run is
    published, so the wait overlaps the HTML export.
    """

    client_class = "workbench.execution._engine.ZygoteKernelClient"
    # AsyncKernelManager's own client_factory default ignores client_class
    client_factory = Type(default_value=ZygoteKernelClient, klass=AsyncKernelClient)

    @default("context")
    def _context_default(self) -> zmq.asyncio.Context:
        self._created_context = True
        return _quickly_reconnecting_context()

    async def _async_pre_start_kernel(self, **kw: Any) -> Any:
        self.kernel_id = self.kernel_id or kw.pop("kernel_id", str(uuid.uuid4()))
        if self.provisioner is None:
            self.provisioner = ZygoteProvisioner(kernel_id=self.kernel_id,
                                                 kernel_spec=self.kernel_spec, parent=self)
        self._listen_on_unix_sockets()
        return await super()._async_pre_start_kernel(**kw)

    def _listen_on_unix_sockets(self) -> None:
        """A forked kernel listens on Unix sockets in a private folder, not on TCP ports.

        With TCP, jupyter_client picks free ports by binding and releasing them, and the
        kernel binds them again a little later: any process on the machine (the other
        batch worker's kernel, or an outgoing connection's ephemeral port) can take one
        in between, and the kernel dies before it starts ("Address already in use",
        papermill#511; seen here about once in 600 reports with two workers).  A kernel's
        socket files cannot be taken, and no other user can connect to them.  Kernels
        the zygote does not fork (another language, another Python) keep TCP.
        """
        if self.transport == "ipc" or _kernel_args(self.format_kernel_cmd()) is None:
            return
        prefix = ipc_prefix(self.kernel_id)
        if prefix is not None:
            self.transport = "ipc"
            self.ip = prefix

    async def _async_shutdown_kernel(self, now: bool = False, restart: bool = False) -> None:
        """Ask the kernel to exit and go on; :func:`settle_kernels` waits for the exit."""
        provisioner = self.provisioner
        if now or restart or not isinstance(provisioner, ZygoteProvisioner) or \
                provisioner.zygote_pid is None or not self.owns_kernel:
            return await super()._async_shutdown_kernel(now=now, restart=restart)
        self.shutting_down = True
        self.stop_restarter()
        await self._async_request_shutdown()
        _EXITING.append((shared_zygote(), provisioner.zygote_pid))
        provisioner.zygote_pid = None
        await self._async_cleanup_resources()

    # AsyncKernelManager binds the public name to the base class's coroutine, not to
    # the override above: without this, every report waited (polling every 0.1 s, up
    # to 3 s) for its kernel to exit before the report was rendered
    shutdown_kernel = _async_shutdown_kernel


def settle_kernels(grace: float = 5.0) -> list[int]:
    """Wait until the kernels asked to shut down have exited (killing any that hang).

    Returns the exit statuses of every kernel that ended since the last call
    (negative: the signal that ended it).
    """
    deadline = time.monotonic() + grace
    while _EXITING:
        zygote, pid = _EXITING[0]
        status = _exit_status(zygote, pid) if zygote.alive else None
        if status is not None or not zygote.alive:
            _EXITING.pop(0)
        elif time.monotonic() > deadline:
            zygote.request({"op": "signal", "pid": pid, "signum": 9})
            deadline = time.monotonic() + grace
        else:
            time.sleep(0.01)
    return kernel_exits()


def _register_engine() -> str:
    """Register papermill's engine ``workbench``: nbclient, with fewer notebook writes.

    papermill's default manager rewrites the whole output notebook (images
    included) before and after every cell.  This one writes it when the run
    starts, every ``autosave_cell_every`` seconds during long cells, and when
    the engine fails (a dead kernel included), so a failed run still leaves
    its partial notebook; a run that ends normally is written by papermill's
    ``execute_notebook`` itself, once.  The notebook written is the same.
    """
    from papermill.engines import NBClientEngine, NotebookExecutionManager, papermill_engines

    class SparseSaveManager(NotebookExecutionManager):
        _closing = False
        failed = False
        _saved_at = float("-inf")

        def save(self, **kwargs: Any) -> None:
            if self._closing and not self.failed:
                return  # papermill writes the finished notebook itself, right after us
            now = time.monotonic()
            if self._closing or now - self._saved_at >= max(self.autosave_cell_every, 1):
                self._saved_at = now
                super().save(**kwargs)

        def notebook_complete(self, **kwargs: Any) -> None:
            self._closing = True
            super().notebook_complete(**kwargs)

    class WorkbenchEngine(NBClientEngine):
        @classmethod
        def execute_notebook(cls, nb: Any, kernel_name: str, output_path: str | None = None,
                             progress_bar: bool = True, log_output: bool = False,
                             autosave_cell_every: int = 30, **kwargs: Any) -> Any:
            nb_man = SparseSaveManager(nb, output_path=output_path, progress_bar=progress_bar,
                                       log_output=log_output,
                                       autosave_cell_every=autosave_cell_every)
            nb_man.notebook_start()
            try:
                cls.execute_managed_notebook(nb_man, kernel_name, log_output=log_output,
                                             **kwargs)
            except BaseException:
                nb_man.failed = True  # papermill writes nothing after this: we must
                raise
            finally:
                nb_man.cleanup_pbar()
                nb_man.notebook_complete()
            return nb_man.nb

    papermill_engines.register("workbench", WorkbenchEngine)
    return "workbench"


def execute(source: Path, target: Path, parameters: dict[str, Any], cwd: Path,
            progress: bool, warm: bool = True) -> Any:
    """``papermill.execute_notebook``: a forked warm kernel (``warm``) or papermill's defaults.

    Returns the executed notebook papermill wrote to ``target``.
    """
    import papermill as pm

    extra: dict[str, Any] = {}
    if warm:
        extra = {"kernel_manager_class": ZygoteKernelManager, "engine_name": _register_engine()}
    return pm.execute_notebook(str(source), str(target), parameters=parameters,
                               kernel_name="python3", cwd=str(cwd), progress_bar=progress,
                               start_timeout=120, report_mode=False, **extra)
