"""Run a parameterised notebook with papermill into its own run folder.

``run_notebook("getting_started", {"lang": "en"})`` validates the
parameters (no kernel starts on a bad value), executes the notebook with
papermill in a fresh kernel and writes ``outputs/<notebook>/<run-id>/``:

- ``<notebook>.ipynb`` the executed notebook (kept also when a cell fails),
- ``report.html``, ``report.docx``, ``report.pdf`` the report (no code) in three formats,
- ``tables/`` (CSV and XLSX) and ``figures/`` (PNG) published by the notebook,
- ``manifest.json`` with parameters, input hashes, versions, times, status.

The run is assembled in a hidden ``.<run-id>.partial`` folder and renamed
when it is complete, so a folder that looks finished always is.

Examples
--------
>>> from workbench.runner import run_notebook
>>> result = run_notebook("getting_started", {"lang": "en"})  # doctest: +SKIP
>>> result.status  # doctest: +SKIP
'completed'
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import platform
import shutil
import socket
import sys
import traceback
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from ..foundation import config
from ..foundation.config import RUN_DIR_ENV
from ..foundation.errors import ParameterError
from ..foundation.files import file_sha256
from ._inputs import input_files
from ._runs import check_folder_name, publish, remove_stale_partials, run_lock
from .params import resolve_notebook, validate_parameters

__all__ = ["RunResult", "run_notebook", "input_hashes", "package_versions", "file_sha256",
           "cache_key", "publish_run", "finish_manifest", "remove_partial_runs"]

_VERSIONED = ("workbench", "papermill", "nbconvert", "nbclient", "ipykernel", "pandas", "numpy",
              "scipy", "duckdb", "matplotlib", "seaborn", "geopandas")


@dataclass(frozen=True)
class RunResult:
    """Where a run went and how it ended."""

    run_dir: Path
    status: str
    manifest: dict[str, Any]

    @property
    def ok(self) -> bool:
        return self.status == "completed"

    def _repr_html_(self) -> str:
        report = self.run_dir / "report.html"
        return f"<b>{self.status}</b>: <a href='{report}'>{report}</a>"


def input_hashes(extra: list[Path] | None = None) -> dict[str, str]:
    """Hashes of the data a run reads: catalogue, regions, boundaries, database."""
    p = config.paths()
    files = [p.catalogue, p.domains, p.units, p.regions, p.boundaries, p.database,
             *(extra or [])]
    return {str(f.relative_to(p.root) if f.is_relative_to(p.root) else f): file_sha256(f)
            for f in files if f.exists()}


def package_versions() -> dict[str, str]:
    """Versions of Python and the packages that shape a run's results."""
    return dict(_versions(_import_path_stamp()))


def _import_path_stamp() -> tuple[tuple[str, int], ...]:
    # installing or removing a package changes its site-packages folder, so a new stamp
    return tuple((p, os.stat(p).st_mtime_ns) for p in sys.path if p and os.path.isdir(p))


@functools.lru_cache(maxsize=4)
def _versions(stamp: tuple[tuple[str, int], ...]) -> tuple[tuple[str, str], ...]:
    # reading the packages' metadata costs 0.04 s, paid by every report of a warm worker
    versions = {"python": platform.python_version()}
    for name in _VERSIONED:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return tuple(versions.items())


def _run_id(notebook: str, parameters: dict[str, Any], started: datetime) -> str:
    key = json.dumps({"notebook": notebook, "parameters": parameters}, sort_keys=True,
                     default=str)
    return f"{started:%Y%m%dT%H%M%S}-{hashlib.sha256(key.encode()).hexdigest()[:6]}"


def _write_manifest(folder: Path, manifest: dict[str, Any]) -> None:
    tmp = folder / "manifest.json.tmp"
    tmp.write_text(json.dumps(manifest, ensure_ascii=False, indent=2, default=str),
                   encoding="utf-8")
    tmp.replace(folder / "manifest.json")


def _register_safe_translator() -> None:
    """Make papermill write parameter values as Python literals built by ``repr``.

    papermill's own translator quotes strings by escaping double quotes only,
    so a value ending in a backslash, or holding ``\\"``, can close the string
    and run code in the kernel.  ``repr`` always yields a literal that
    evaluates back to the same string.
    """
    from papermill.translators import PythonTranslator, papermill_translators

    class SafePythonTranslator(PythonTranslator):
        @classmethod
        def translate_str(cls, val: object) -> str:
            return repr(str(val))

        @classmethod
        def translate_escaped_str(cls, val: object) -> str:
            return repr(str(val))

    papermill_translators.register("python", SafePythonTranslator)


def _execute(source: Path, target: Path, parameters: dict[str, Any], work_dir: Path,
             progress: bool, engine: str) -> Any:
    from ._engine import execute

    _register_safe_translator()

    previous = os.environ.get(RUN_DIR_ENV)
    os.environ[RUN_DIR_ENV] = str(work_dir)  # inherited by the kernel process
    try:
        return execute(source, target, parameters, work_dir, progress, warm=engine == "warm")
    finally:
        if previous is None:
            os.environ.pop(RUN_DIR_ENV, None)
        else:
            os.environ[RUN_DIR_ENV] = previous


def _check_run_id(run_id: str) -> None:
    """A run folder name is one plain path component: nothing can land outside outputs/."""
    check_folder_name(run_id, "run id")


def cache_key(notebook_sha256: str, parameters: dict[str, Any], inputs: dict[str, str],
              versions: dict[str, str]) -> str:
    """What makes two runs the same: notebook, parameters, input data and package version."""
    payload = {"notebook": notebook_sha256, "parameters": parameters, "inputs": inputs,
               "workbench": versions.get("workbench")}
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def run_notebook(notebook: str | Path, parameters: dict[str, Any] | None = None,
                 from_cli: bool = False, progress: bool = False, update_index: bool = True,
                 run_id: str | None = None, inputs: dict[str, str] | None = None,
                 engine: str = "warm") -> RunResult:
    """Validate parameters, execute the notebook and write its run folder.

    Parameters
    ----------
    notebook : str or Path
        A notebook name (``getting_started``) or path.
    parameters : dict, optional
        Parameter values; strings converted to the declared types when ``from_cli``.
    progress : bool
        Show papermill's cell progress bar.
    update_index : bool
        Rebuild ``outputs/index.html`` afterwards.
    run_id : str, optional
        Name of the run folder (batches use a stable one); an existing folder
        of that name is replaced only by a completed run.
    inputs : dict, optional
        Precomputed :func:`input_hashes` (a batch hashes its inputs once).
    engine : {"warm", "papermill"}
        ``warm``: the kernel is forked from this process's warm zygote (imports
        paid once per process); ``papermill``: papermill's own kernel launch.

    Raises
    ------
    ParameterError
        Before anything runs or is written, on a bad parameter.
    RunBusyError
        When another process is executing the same run (same folder) right now.
    """
    if engine not in ("warm", "papermill"):
        raise ParameterError(f"engine must be 'warm' or 'papermill', not {engine!r}",
                             f"engine 只能是 warm 或 papermill，而不是 {engine!r}")
    source = resolve_notebook(notebook)
    check_folder_name(source.stem)
    typed = validate_parameters(source, parameters or {}, from_cli=from_cli)
    started = datetime.now(UTC)
    run_id = run_id or _run_id(source.stem, typed, started)
    _check_run_id(run_id)
    final = config.paths().outputs / source.stem / run_id
    with run_lock(final):
        work = final.parent / f".{run_id}.partial"
        if work.exists():
            shutil.rmtree(work)  # debris of an interrupted attempt (we hold the lock)
        work.mkdir(parents=True)
        manifest = _start_manifest(source, typed, run_id, started, inputs)
        _write_manifest(work, manifest)
        _run_in(source, work, typed, manifest, progress, engine)
        finish_manifest(work, manifest, started)
        final = publish(work, final)
    if update_index:
        from .site import write_index
        write_index()
    return RunResult(final, manifest["status"], manifest)


def _run_in(source: Path, work: Path, typed: dict[str, Any], manifest: dict[str, Any],
            progress: bool, engine: str) -> None:
    """Execute, render and wait for the kernel to exit, recording how it went."""
    from ._engine import kernel_exits, kernel_start_failures, settle_kernels

    kernel_exits()  # forget kernels of earlier runs
    kernel_start_failures()
    executed = work / f"{source.stem}.ipynb"
    nb = None  # as written to `executed`; a failed run's partial notebook is read back
    try:
        nb = _execute(source, executed, typed, work, progress, engine)
        manifest["status"] = "completed"
    except Exception as err:  # the run failed: record it, keep the partial notebook
        manifest.update(status="failed", error=f"{type(err).__name__}: {err}"[:4000],
                        traceback=traceback.format_exc()[-8000:])
    if executed.exists():
        _export_report(executed, work, manifest, nb)
    # the kernel exits while the report renders; wait before the folder is published
    statuses = settle_kernels()
    ended = [code for code in statuses if code not in (0, None)]
    if manifest["status"] == "failed" and ended:
        why = "".join(f": {reason}" for reason in kernel_start_failures()[:1])
        manifest["error"] += f" (kernel process ended with {_describe_exit(ended[0])}{why})"


def _describe_exit(code: int) -> str:
    if code < 0:
        import signal

        try:
            return f"signal {-code} ({signal.Signals(-code).name})"
        except ValueError:
            return f"signal {-code}"
    return f"exit code {code}"


def _start_manifest(source: Path, typed: dict[str, Any], run_id: str, started: datetime,
                    inputs: dict[str, str] | None) -> dict[str, Any]:
    versions = package_versions()
    notebook_sha = file_sha256(source)
    inputs = inputs if inputs is not None else input_hashes()
    inputs = {**inputs, **{str(f): file_sha256(f) for f in input_files(typed)}}  # user files
    return {"notebook": source.stem, "run_id": run_id, "status": "running",
            "parameters": typed, "started": started.isoformat(), "host": socket.gethostname(),
            "notebook_sha256": notebook_sha, "inputs": inputs, "versions": versions,
            "cache_key": cache_key(notebook_sha, typed, inputs, versions)}


def finish_manifest(work: Path, manifest: dict[str, Any], started: datetime) -> None:
    """Record the end time, duration and output files, and write the manifest."""
    manifest["finished"] = datetime.now(UTC).isoformat()
    manifest["duration_s"] = round((datetime.now(UTC) - started).total_seconds(), 3)
    manifest["outputs"] = sorted(str(f.relative_to(work)) for f in work.rglob("*")
                                 if f.is_file() and f.name != "manifest.json")
    _write_manifest(work, manifest)


def publish_run(work: Path, final: Path) -> Path:
    """Move a finished run folder into place; a failed run never replaces a completed one.

    Returns where the run went (``final``, or ``.<run-id>.failed`` beside a
    completed run of the same name).
    """
    return publish(work, final)


def _export_report(executed: Path, work: Path, manifest: dict[str, Any], nb: Any = None) -> None:
    """The report in its three formats (HTML, Word, PDF), from the executed notebook."""
    from ..reporting.render import render_formats

    try:
        failed = render_formats(executed, work, manifest["parameters"].get("lang"), nb=nb)
    except Exception as err:  # a report that cannot be rendered is a failed run
        failed = {"report": f"{type(err).__name__}: {err}"}
    if failed:
        manifest.update(status="failed", error="Report export: " + "; ".join(
            f"{fmt}: {why}" for fmt, why in failed.items()))


def remove_partial_runs(notebook: str | None = None) -> int:
    """Delete left-over ``.partial`` folders of interrupted runs (never a run in flight)."""
    return remove_stale_partials(notebook)
