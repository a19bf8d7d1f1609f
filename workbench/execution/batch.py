"""Run a set of reports like a build: in parallel, resumable, with progress.

A *plan* lists notebooks and how to expand their parameters::

    runs:
      - notebook: topic_report
        each: {domain: all, region: all}     # one run per combination
        parameters: {year: 2025, lang: zh}   # the same for every run
      - notebook: monitoring
        parameters: {year: 2025}

``all`` means every valid code of that parameter (domains, the districts,
indicators...).  :func:`expand_plan` checks every run before anything
starts: an unknown notebook, parameter or code, or an empty expansion, is a
clear error.

:func:`run_batch` executes the runs, each in its own process (papermill's
kernels clash over ports and the working directory when run in threads), up
to ``jobs`` at a time, or on a Dask distributed cluster.  A run whose
notebook, parameters, input data and package version are unchanged is
skipped as *cached*; a failing or killed run does not stop the others and is
recorded as failed, so ``retry_failed`` reruns just those.  Runs are
assembled in hidden ``.partial`` folders and moved into place when complete,
so an interrupted batch leaves no half-written report that looks finished.

Examples
--------
>>> from workbench.batch import expand_plan
>>> runs = expand_plan([{"notebook": "getting_started", "each": {"lang": ["zh", "en"]}}])
>>> [r.parameters["lang"] for r in runs]
['zh', 'en']
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from ..foundation import config
from ..foundation.errors import ParameterError, WorkbenchError, choices_text
from ._pool import WarmWorker, wait_any
from ._runs import (
    RunBusyError,
    check_folder_name,
    journal_append,
    remove_stale_partials,
    run_lock,
    unfinished_runs,
)
from ._zygote import notebook_imports
from .params import SEMANTIC_PARAMETERS, resolve_notebook, validate_parameters
from .runner import cache_key, file_sha256, input_hashes, package_versions

__all__ = ["RunSpec", "BatchResult", "load_plan", "expand_plan", "run_batch", "run_status"]

# "all" for these parameters means the districts, not every row of the region table
_REGION_PARAMETERS = {"region", "regions", "focus_region"}


@dataclass(frozen=True)
class RunSpec:
    """One run of a batch: notebook, parameters and the stable folder name."""

    notebook: str
    parameters: dict[str, Any]
    run_id: str
    cache_key: str
    path: str

    @property
    def folder(self) -> Path:
        return config.paths().outputs / self.notebook / self.run_id


def load_plan(path: str | Path) -> list[dict[str, Any]]:
    """Read a YAML plan (a mapping with a ``runs`` list)."""
    from ..foundation.safe_io import load_yaml

    p = Path(path)
    if not p.exists():
        raise WorkbenchError(f"Plan file not found: {p}", f"找不到批量计划文件：{p}")
    plan = load_yaml(p) or {}  # safe loader with limits: no tags, bombs or huge integers
    runs = plan.get("runs") if isinstance(plan, dict) else None
    if not isinstance(runs, list) or not runs:
        raise WorkbenchError(f"{p.name} must have a non-empty 'runs' list",
                             f"{p.name} 必须包含非空的 runs 列表")
    return runs


def _all_values(name: str) -> list[Any]:
    if name in _REGION_PARAMETERS:
        from ..foundation.regions import load_regions

        return load_regions().at_level("district")["code"].tolist()
    if name in SEMANTIC_PARAMETERS:
        values = SEMANTIC_PARAMETERS[name]()
        return [int(v) for v in values] if name in ("year", "years", "base_year") else values
    raise ParameterError(f"'all' is not defined for parameter {name!r}; list its values",
                         f"参数 {name!r} 不能用 all，请列出取值")


def _combinations(each: dict[str, Any]) -> list[dict[str, Any]]:
    axes = {name: (_all_values(name) if values == "all" else
                   values if isinstance(values, list) else [values])
            for name, values in each.items()}
    return [dict(zip(axes, combo, strict=True)) for combo in itertools.product(*axes.values())]


def _slug(parameters: dict[str, Any]) -> str:
    parts = [f"{k}={v}" for k, v in sorted(parameters.items())
             if isinstance(v, str | int | float) and len(str(v)) <= 24]
    text = "_".join(parts) or "default"
    # only plain characters, and no "..": a folder name, never a path
    safe = "".join(c if (c.isascii() and c.isalnum()) or c in "=_-." else "-" for c in text)
    return safe.replace("..", "-")[:120].lstrip(".-") or "run"


def expand_plan(entries: list[dict[str, Any]],
                inputs: dict[str, str] | None = None) -> list[RunSpec]:
    """Expand plan entries into validated runs; raise before anything runs on any problem."""
    inputs = inputs if inputs is not None else input_hashes()
    versions = package_versions()
    runs: list[RunSpec] = []
    for number, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict) or "notebook" not in entry:
            raise WorkbenchError(f"Plan entry {number} needs a 'notebook'",
                                 f"计划第 {number} 项缺少 notebook")
        source = resolve_notebook(entry["notebook"])
        check_folder_name(source.stem)
        notebook_sha = file_sha256(source)
        combos = _combinations(entry.get("each") or {})
        if not combos:
            raise WorkbenchError(f"Plan entry {number} ({source.stem}) expands to no runs",
                                 f"计划第 {number} 项（{source.stem}）展开后没有任何运行")
        fixed = entry.get("parameters") or {}
        from_cli = bool(entry.get("from_cli"))  # shorthand on the command line: strings
        for combo in combos:
            typed = validate_parameters(source, {**fixed, **combo}, from_cli=from_cli)
            key = cache_key(notebook_sha, typed, inputs, versions)
            runs.append(RunSpec(source.stem, typed, f"{_slug(typed)}-{key[:8]}", key,
                                str(source)))
    seen: dict[tuple[str, str], int] = {}
    for run in runs:
        seen[(run.notebook, run.run_id)] = seen.get((run.notebook, run.run_id), 0) + 1
    dup = [f"{nb}/{rid}" for (nb, rid), n in seen.items() if n > 1]
    if dup:
        raise WorkbenchError(f"The plan repeats runs: {choices_text(dup)}",
                             f"计划中有重复的运行：{choices_text(dup)}")
    return runs


def run_status(run: RunSpec) -> str:
    """``cached`` (completed with the same key), ``failed``, or ``new``."""
    manifest = run.folder / "manifest.json"
    if not manifest.exists():
        return "new"
    m = json.loads(manifest.read_text(encoding="utf-8"))
    if m.get("cache_key") != run.cache_key:
        return "new"
    return "cached" if m.get("status") == "completed" else "failed"


@dataclass
class BatchResult:
    """The summary of a batch: one row per run with its outcome."""

    table: pd.DataFrame
    seconds: float
    #: one row per report answered by a warm worker: its pid, reports so far, resident MB
    #: of the worker and of its zygote (how memory behaves over a long batch)
    memory: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def ok(self) -> bool:
        return not self.table["outcome"].eq("failed").any()

    def counts(self) -> dict[str, int]:
        return self.table["outcome"].value_counts().to_dict()

    def __repr__(self) -> str:
        parts = ", ".join(f"{k} {v}" for k, v in sorted(self.counts().items()))
        return f"<BatchResult {len(self.table)} runs in {self.seconds:.1f} s: {parts}>"

    def _repr_html_(self) -> str:
        return f"<p>{self.__repr__()[1:-1]}</p>" + self.table.to_html(index=False)


def _journal_key(run: RunSpec) -> str:
    return f"{run.notebook}/{run.run_id}"


def _select(runs: list[RunSpec], force: bool, retry_failed: bool) -> tuple[list, list]:
    unfinished = unfinished_runs() if retry_failed else set()
    todo, skipped = [], []
    for run in runs:
        status = run_status(run)
        if force or status == "failed" or (status == "new" and (
                not retry_failed or _journal_key(run) in unfinished)):
            todo.append(run)
        else:
            skipped.append((run, "cached" if status == "cached" else "skipped"))
    return todo, skipped


def _record_lost(run: RunSpec, error: str) -> None:
    """A worker died without finishing: record a failed run that says why.

    It never replaces a completed run of the same name (see ``_runs.publish``).
    """
    from .runner import finish_manifest, publish_run

    try:
        with run_lock(run.folder):
            work = run.folder.with_name(f".{run.run_id}.partial")
            work.mkdir(parents=True, exist_ok=True)
            manifest_path = work / "manifest.json"
            manifest = (json.loads(manifest_path.read_text(encoding="utf-8"))
                        if manifest_path.exists() else
                        {"notebook": run.notebook, "run_id": run.run_id,
                         "parameters": run.parameters, "cache_key": run.cache_key,
                         "started": datetime.now(UTC).isoformat()})
            manifest.update(status="failed", error=error)
            finish_manifest(work, manifest, datetime.fromisoformat(manifest["started"]))
            publish_run(work, run.folder)
    except RunBusyError:
        pass  # another process is running it now: it will record the outcome


def _discard_partial(run: RunSpec) -> None:
    """Remove an interrupted run's partial folder (and its lock file)."""
    try:
        with run_lock(run.folder):
            shutil.rmtree(run.folder.with_name(f".{run.run_id}.partial"), ignore_errors=True)
    except RunBusyError:
        pass  # someone else is running it now


def _log_dir() -> Path:
    return config.paths().outputs / ".batch_logs"


def _request(run: RunSpec, inputs: dict[str, str]) -> dict[str, Any]:
    return {"run": asdict(run), "inputs": inputs}


def _lost(run: RunSpec, worker: WarmWorker) -> tuple[str, str]:
    error = (f"worker process died (exit code {worker.proc.returncode}) "
             f"{worker.log_tail()}").strip()
    _record_lost(run, error)
    return "failed", error


_MEMORY: list[dict[str, Any]] = []


def _run_local(todo: list[RunSpec], jobs: int, bar: Any,
               inputs: dict[str, str]) -> list[tuple[RunSpec, str, str]]:
    pending, results = list(todo), []
    slots: list[WarmWorker | None] = [None] * min(jobs, len(todo))
    env = _worker_env({run.path for run in todo}, len(slots))
    try:
        while pending or any(w is not None and w.busy for w in slots):
            for i, worker in enumerate(slots):
                if pending and (worker is None or not worker.alive):
                    worker = slots[i] = WarmWorker(_log_dir(), env=env)
                if pending and not worker.busy:
                    run = pending.pop(0)
                    worker.submit(run, _request(run, inputs))
                elif not pending and worker is not None and not worker.busy:
                    worker.finish()  # it winds down while the others finish their last runs
            wait_any([w for w in slots if w is not None], 0.5)
            for i, worker in enumerate(slots):
                if worker is None or not worker.busy:
                    continue
                answer = worker.answer()
                if answer is None and worker.alive:
                    continue
                run, worker.current = worker.current, None
                if answer is None:  # the worker died with the run
                    outcome, error = _lost(run, worker)
                    worker.kill()
                    slots[i] = None
                else:
                    outcome, error = answer["status"], answer.get("error", "")
                    _MEMORY.append({"worker": worker.proc.pid, **{
                        k: answer.get(k) for k in ("reports", "rss_mb", "zygote_mb")}})
                    if answer.get("recycle"):
                        worker.stop()
                        slots[i] = None
                results.append((run, outcome, error))
                journal_append([{"run": _journal_key(run), "state": outcome}])
                _advance(bar, results, len(todo))
    except KeyboardInterrupt:
        for worker in slots:
            if worker is not None:
                worker.kill()  # its lock dies with it
                if worker.current is not None:
                    _discard_partial(worker.current)
        raise
    finally:
        for worker in slots:  # all told first: they wind down side by side
            if worker is not None:
                worker.finish()
        for worker in slots:
            if worker is not None and worker.alive:
                worker.stop()
    return results


def _worker_env(notebooks: set[str], workers: int = 1) -> dict[str, str]:
    """The workers' environment: their zygotes preload only the analyses these notebooks
    import (see ``_zygote.ANALYSES``), unless the notebooks cannot be read for it.

    Typst typesets a PDF with a thread on every core (rayon).  With a worker per core
    those threads only compete with the other workers' kernels, and their spinning while
    idle costs CPU (0.015 s of a PDF's 0.13 s): each worker gets its share of the
    cores instead, unless ``RAYON_NUM_THREADS`` is set already.
    """
    imports = notebook_imports(sorted(notebooks))
    env = dict(os.environ)
    if imports is not None:
        env.setdefault("WORKBENCH_PRELOAD_ONLY", ",".join(imports))
    env.setdefault("RAYON_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // max(workers, 1))))
    return env


def _run_on_dask(todo: list[RunSpec], scheduler: str | None, jobs: int, bar: Any,
                 inputs: dict[str, str]) -> list[tuple[RunSpec, str, str]]:
    from dask.distributed import Client, LocalCluster, as_completed

    cluster = None if scheduler else LocalCluster(n_workers=jobs, threads_per_worker=1,
                                                  processes=True, dashboard_address=None)
    client = Client(scheduler or cluster)
    env = {k: v for k, v in os.environ.items() if k.startswith("WORKBENCH_")}
    try:
        futures = {client.submit(_dask_task, _request(run, inputs), env, pure=False,
                                 key=f"workbench-{run.notebook}-{run.run_id}"): run
                   for run in todo}
        results = []
        for future in as_completed(futures):
            run = futures[future]
            try:
                answer = future.result()
            except Exception as err:  # the Dask worker itself was lost
                answer = {"status": "failed", "lost": f"Dask worker lost: {err}"}
            if answer.get("lost"):
                _record_lost(run, answer["lost"])
                answer["error"] = answer["lost"]
            results.append((run, answer["status"], answer.get("error", "")))
            journal_append([{"run": _journal_key(run), "state": answer["status"]}])
            _advance(bar, results, len(todo))
        return results
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


# The warm worker of this Dask worker process, kept between tasks.
_DASK_WORKER: dict[str, Any] = {}


def _dask_task(request: dict[str, Any], env: dict[str, str]) -> dict[str, Any]:
    """Runs on a Dask worker: the report goes to this process's warm worker."""
    full_env = {**os.environ, **env}
    worker = _DASK_WORKER.get("worker")
    if worker is None or not worker.alive or _DASK_WORKER.get("env") != full_env:
        if worker is not None:
            worker.stop()
        os.environ.update(env)  # so the outputs folder (and its logs) are the batch's
        worker = WarmWorker(_log_dir(), env=full_env)
        _DASK_WORKER.update(worker=worker, env=full_env)
    worker.submit(request["run"]["run_id"], request)
    while (answer := worker.answer()) is None and worker.alive:
        wait_any([worker], 0.5)
    answer = answer or worker.answer()
    worker.current = None
    if answer is None:
        error = f"worker process died (exit code {worker.proc.returncode}) {worker.log_tail()}"
        worker.kill()
        _DASK_WORKER.clear()
        return {"status": "failed", "lost": error.strip()}
    if answer.get("recycle"):
        worker.stop()
        _DASK_WORKER.clear()
    return answer


def _advance(bar: Any, results: list, total: int) -> None:
    if bar is None:
        return
    failed = sum(1 for _, outcome, _ in results if outcome == "failed")
    bar.set_postfix(done=len(results) - failed, failed=failed, remaining=total - len(results),
                    refresh=False)
    bar.update(1)


def run_batch(runs: list[RunSpec], jobs: int | None = None, force: bool = False,
              retry_failed: bool = False, dask: bool = False, scheduler: str | None = None,
              progress: bool = True) -> BatchResult:
    """Execute the runs; see the module docstring for caching and failures.

    Parameters
    ----------
    jobs : int, optional
        Runs at a time (default: the number of cores).
    force : bool
        Rerun cached runs too.
    retry_failed : bool
        Run only the runs whose last attempt failed.
    dask, scheduler :
        Run on a Dask ``LocalCluster`` (``dask=True``) or on the cluster at
        ``scheduler`` (``tcp://host:port``).
    """
    from .site import write_index

    started = time.perf_counter()
    jobs = os.cpu_count() or 1 if jobs is None else jobs
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ParameterError(f"jobs must be a whole number of at least 1, not {jobs!r}",
                             f"并行数 jobs 必须是不小于 1 的整数，而不是 {jobs!r}")
    _MEMORY.clear()
    remove_stale_partials()  # debris of killed runs only; never a run in flight
    todo, skipped = _select(runs, force, retry_failed)
    journal_append([{"run": _journal_key(run), "state": "queued"} for run in todo])
    inputs = input_hashes()
    bar = None
    if progress and todo:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(todo), desc="reports", unit="run")
    try:
        if not todo:
            done = []
        elif dask or scheduler:
            done = _run_on_dask(todo, scheduler, jobs, bar, inputs)
        else:
            done = _run_local(todo, jobs, bar, inputs)
    finally:
        if bar is not None:
            bar.close()
        write_index()
    rows = [(r, outcome, "") for r, outcome in skipped] + done
    # parameters as text: runs of different notebooks have different parameters
    table = pd.DataFrame([{"notebook": r.notebook, "run_id": r.run_id, "outcome": outcome,
                           "error": error, **{k: str(v) for k, v in r.parameters.items()}}
                          for r, outcome, error in rows])
    table = table.fillna("").sort_values(["notebook", "run_id"], ignore_index=True)
    return BatchResult(table, time.perf_counter() - started, pd.DataFrame(_MEMORY))
