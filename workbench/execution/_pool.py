"""Warm workers seen from the batch: start, feed, watch, recycle, kill.

Each :class:`WarmWorker` is a ``_batch_worker`` process in its own session
(a terminal's Ctrl-C reaches only the batch, which then stops the workers
itself) that dies with the batch: Linux's parent-death signal covers even a
SIGKILL of the batch, and :meth:`WarmWorker.kill` signals the worker's whole
process group.

Examples
--------
>>> from workbench.execution._pool import LineReader
>>> import os
>>> r, w = os.pipe(); _ = os.write(w, b'{"a": 1}\\n{"b"')
>>> LineReader(r).lines()
['{"a": 1}']
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._zygote import package_home, set_parent_death_signal

__all__ = ["LineReader", "WarmWorker"]


class LineReader:
    """Whole lines from a pipe, without blocking and without losing buffered ones."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.buffer = b""
        self.closed = False

    def lines(self) -> list[str]:
        """Read what is available now; return the complete lines."""
        while not self.closed and select.select([self.fd], [], [], 0)[0]:
            chunk = os.read(self.fd, 65536)
            if not chunk:
                self.closed = True
                break
            self.buffer += chunk
        *complete, self.buffer = self.buffer.split(b"\n")
        return [line.decode("utf-8") for line in complete if line.strip()]


@dataclass
class WarmWorker:
    """One warm worker process and the run it is executing (if any)."""

    log_dir: Path
    env: dict[str, str] | None = None
    current: Any = None
    info: dict[str, Any] = field(default_factory=dict)
    done: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.log = self.log_dir / f"worker-{uuid.uuid4().hex[:12]}.log"
        with self.log.open("w", encoding="utf-8") as handle:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "workbench.execution._batch_worker"],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=handle,
                start_new_session=True, preexec_fn=set_parent_death_signal, env=self.env,
                cwd=package_home())
        assert self.proc.stdout is not None
        self.reader = LineReader(self.proc.stdout.fileno())

    @property
    def busy(self) -> bool:
        return self.current is not None

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def submit(self, run: Any, payload: dict[str, Any]) -> None:
        """Send one run (``payload`` is the JSON request)."""
        assert self.proc.stdin is not None
        self.current = run
        self.proc.stdin.write((json.dumps(payload, default=str) + "\n").encode("utf-8"))
        self.proc.stdin.flush()

    def answer(self) -> dict[str, Any] | None:
        """The answer to the current run if it has come (the ready line is kept in info)."""
        for line in self.reader.lines():
            message = json.loads(line)
            if message.get("ready"):
                self.info = message
            else:
                self.done.append(message)
        return self.done.pop(0) if self.done else None

    def log_tail(self, chars: int = 1500) -> str:
        try:
            return self.log.read_text(encoding="utf-8", errors="replace")[-chars:]
        except OSError:
            return ""

    def finish(self) -> None:
        """Tell the worker there is no more work (end of input); it then ends by itself."""
        with contextlib.suppress(OSError):
            if self.proc.stdin is not None and not self.proc.stdin.closed:
                self.proc.stdin.close()

    def stop(self, timeout: float = 15.0) -> None:
        """Ask the worker to finish (end of input); kill it if it does not."""
        try:
            self.finish()
            self.proc.wait(timeout=timeout)
        except (OSError, subprocess.TimeoutExpired):
            self.kill()
        self._close()

    def kill(self) -> None:
        """SIGKILL the worker's process group (worker and zygote; kernels follow)."""
        with contextlib.suppress(OSError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        self._close()

    def _close(self) -> None:
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                if stream is not None:
                    stream.close()
            except OSError:
                pass
        if self.proc.returncode == 0:
            self.log.unlink(missing_ok=True)


def wait_any(workers: list[WarmWorker], timeout: float) -> None:
    """Sleep until a busy worker has something to say or ``timeout`` passes."""
    fds = [w.reader.fd for w in workers if w.busy and not w.reader.closed]
    if fds:
        select.select(fds, [], [], timeout)
    else:
        time.sleep(timeout)
