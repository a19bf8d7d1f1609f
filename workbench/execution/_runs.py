"""Run folders that survive kills and concurrent batches: locks, publishing, journal.

- Every run holds an exclusive lock (``outputs/<notebook>/.<run-id>.lock``,
  ``flock``) while it assembles ``.<run-id>.partial``; the kernel releases it
  when the process dies, however it dies.  Only an unlocked partial folder is
  debris that may be removed, so a batch never deletes another's run in flight.
- A run folder is replaced only by a *completed* run: a failed or killed
  rerun of a completed report leaves the report in place and keeps its own
  attempt in ``.<run-id>.failed`` for diagnosis.
- A batch journal (``outputs/.batch_journal.jsonl``, one JSON line per event,
  appended) records which runs a batch queued and how each ended, so
  ``--retry-failed`` after a killed batch also runs the ones never finished.

Examples
--------
>>> from workbench.execution._runs import check_folder_name
>>> check_folder_name("topic_report")
'topic_report'
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..foundation import config
from ..foundation.errors import ParameterError, WorkbenchError

__all__ = ["RunBusyError", "check_folder_name", "run_lock", "is_locked", "publish",
           "journal_append", "unfinished_runs", "remove_stale_partials"]

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9=_.\-]{0,159}")


class RunBusyError(WorkbenchError):
    """Another process is executing the same run right now."""


def check_folder_name(name: str, what: str = "notebook") -> str:
    """A notebook or run folder name is one plain path component (never ``..``)."""
    if not _NAME.fullmatch(name) or ".." in name:
        raise ParameterError(
            f"Invalid {what} name {name!r} for a run folder: use letters, digits, '=', '_', "
            f"'-', '.' (no '..')", f"{what} 名称 {name!r} 不能用作运行文件夹名")
    return name


def _lock_path(final: Path) -> Path:
    return final.with_name(f".{final.name}.lock")


def _acquire(path: Path, wait: float) -> int:
    """An fd holding the exclusive lock on ``path`` (the file as it is now), or raise busy."""
    deadline = time.monotonic() + wait
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            if time.monotonic() > deadline:
                return -1
            time.sleep(0.05)  # a probe or a finishing run holds it for a moment
            continue
        try:
            if os.fstat(fd).st_ino == os.stat(path).st_ino:
                return fd
        except FileNotFoundError:
            pass
        os.close(fd)  # its holder removed the file meanwhile: lock the new one


@contextmanager
def run_lock(final: Path, wait: float = 5.0) -> Iterator[None]:
    """Hold the run's lock for the block; :class:`RunBusyError` if another process has it.

    The lock file is removed when the block ends, so finished runs leave none.
    """
    path = _lock_path(final)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = _acquire(path, wait)
    if fd < 0:
        raise RunBusyError(
            f"Run {final.parent.name}/{final.name} is being executed by another process",
            f"运行 {final.parent.name}/{final.name} 正由另一个进程执行")
    try:
        os.write(fd, json.dumps({"pid": os.getpid(),
                                 "started": datetime.now(UTC).isoformat()}).encode())
        yield
    finally:
        path.unlink(missing_ok=True)
        os.close(fd)  # releases the lock


def is_locked(final: Path) -> bool:
    """Whether a live process holds the run's lock (probing holds it for an instant)."""
    path = _lock_path(final)
    try:
        fd = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def _status(folder: Path) -> str | None:
    try:
        return json.loads((folder / "manifest.json").read_text(encoding="utf-8")).get("status")
    except (OSError, ValueError):
        return None


def _replace(source: Path, target: Path) -> None:
    if target.exists():
        old = target.with_name(f".{target.name.lstrip('.')}.old")
        if old.exists():
            shutil.rmtree(old)
        target.rename(old)
        source.rename(target)
        shutil.rmtree(old)
    else:
        source.rename(target)


def publish(work: Path, final: Path) -> Path:
    """Move a finished run into place unless that would replace a completed run by a failed one.

    Returns where the run went: ``final``, or ``.<run-id>.failed`` beside it.
    """
    if _status(work) != "completed" and _status(final) == "completed":
        kept = final.with_name(f".{final.name}.failed")
        _replace(work, kept)
        return kept
    _replace(work, final)
    failed = final.with_name(f".{final.name}.failed")
    if _status(final) == "completed" and failed.exists():
        shutil.rmtree(failed)  # superseded by a completed run
    return final


def remove_stale_partials(notebook: str | None = None) -> int:
    """Delete ``.partial`` folders whose run is not locked by a live process; return how many."""
    base = config.paths().outputs
    pattern = f"{notebook}/.*.partial" if notebook else "*/.*.partial"
    removed = 0
    for partial in base.glob(pattern):
        final = partial.with_name(partial.name[1:-len(".partial")])
        if partial.is_dir() and not is_locked(final):
            try:
                with run_lock(final, wait=0):  # nobody can start it while we remove it
                    shutil.rmtree(partial, ignore_errors=True)
            except RunBusyError:
                continue
            removed += 1
    return removed


def _journal() -> Path:
    return config.paths().outputs / ".batch_journal.jsonl"


def journal_append(entries: list[dict[str, Any]]) -> None:
    """Append events (``{"run": "nb/run-id", "state": queued|completed|failed}``)."""
    if not entries:
        return
    path = _journal()
    path.parent.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).isoformat()
    text = "".join(json.dumps({**e, "at": stamp}, ensure_ascii=False) + "\n" for e in entries)
    # one write with O_APPEND: concurrent batches interleave whole lines
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, text.encode("utf-8"))
    finally:
        os.close(fd)


def unfinished_runs() -> set[str]:
    """Runs whose last journal event is ``queued`` or ``failed`` (never completed since)."""
    path = _journal()
    if not path.exists():
        return set()
    last: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            event = json.loads(line)
            last[event["run"]] = event["state"]
        except (ValueError, KeyError, TypeError):
            continue  # a line cut by a kill
    return {run for run, state in last.items() if state != "completed"}
