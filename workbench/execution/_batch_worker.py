"""A warm worker: ``python -m workbench.execution._batch_worker``.

It imports papermill, nbclient and nbconvert, compiles the HTML template and
starts its zygote (:mod:`._zygote`, which imports the scientific stack and
the workbench) once, then runs report after report: each request is one JSON
line on stdin (``{"run": {...RunSpec...}, "inputs": {...}}``), each answer one
JSON line on stdout (``{"status", "error", "run_dir", "rss_mb", "zygote_mb",
"reports", "recycle"}``).  Every report still gets its own freshly forked
kernel process; the worker only drives papermill and renders the report (HTML, Word, PDF).

Memory stays bounded: after ``WORKBENCH_WORKER_MAX_REPORTS`` reports (default
200) or when the worker and its zygote together exceed
``WORKBENCH_WORKER_MAX_MB`` (default 1500) the answer says ``recycle`` and
the worker exits; the batch starts a fresh one.  The worker asks Linux to
kill it when its parent dies (and its zygote and kernels die with it).
"""

from __future__ import annotations

import atexit
import json
import os
import sys
import traceback
from typing import Any, NoReturn

from ._zygote import _rss_mb, set_parent_death_signal

MAX_REPORTS = int(os.environ.get("WORKBENCH_WORKER_MAX_REPORTS", "200"))
MAX_MB = float(os.environ.get("WORKBENCH_WORKER_MAX_MB", "1500"))


def _skip_unused_grammar() -> None:
    """Keep jsonschema from importing ``rfc3987_syntax`` in this process.

    jsonschema imports that optional package for its "iri" format checker, and
    the import compiles a Lark grammar: 1.5-2 s of CPU for every worker and engine
    started.  The notebook schemas nbformat validates against use no format
    checker at all, so validation is unchanged; only this process is affected.
    """
    if "jsonschema" not in sys.modules:
        sys.modules.setdefault("rfc3987_syntax", None)  # None: "import" raises ImportError


def _warm_up() -> dict[str, Any]:
    _skip_unused_grammar()
    from . import _engine
    from .runner import _register_safe_translator

    # the zygote imports the scientific stack while this worker warms its renderers
    zygote = _engine.shared_zygote(wait=False)
    _register_safe_translator()
    _warm_renderers()
    return {"ready": True, "pid": os.getpid(), "zygote_pid": zygote.proc.pid,
            "missing": zygote.info.get("missing", [])}


def _warm_renderers() -> None:
    """Import what renders the report's three formats once per worker, not once per report."""
    import docx  # noqa: F401  (python-docx: the Word file)
    import typst  # noqa: F401  (the PDF)

    from ..reporting import render

    render.warm_up()  # and Typst's font index, shared by the worker's PDFs


def run_request(request: dict[str, Any]) -> dict[str, Any]:
    """Run one report; never raises (a failure is an answer)."""
    from .runner import run_notebook

    spec = request["run"]
    print(f"== {spec['notebook']}/{spec['run_id']}", file=sys.stderr, flush=True)
    try:
        result = run_notebook(spec["path"], spec["parameters"], update_index=False,
                              run_id=spec["run_id"], inputs=request.get("inputs"))
        return {"status": result.status, "error": result.manifest.get("error", ""),
                "run_dir": str(result.run_dir)}
    except Exception as err:  # refused before running (busy, bad parameter...)
        traceback.print_exc()
        return {"status": "failed", "error": f"{type(err).__name__}: {err}"[:4000],
                "run_dir": ""}


def memory() -> tuple[float, float]:
    """Resident MB of this worker and of its zygote."""
    from . import _engine

    zygote = _engine._SHARED.get("zygote")
    return _rss_mb(), (zygote.rss_mb() if zygote is not None and zygote.alive else 0.0)


def main() -> int:
    """Serve run requests until stdin closes or the worker is due for recycling."""
    set_parent_death_signal()
    # the protocol keeps the original stdout; fd 1 becomes stderr (the worker's log)
    # so that nothing papermill or a library prints can corrupt it
    out = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
    os.dup2(2, 1)
    out.write(json.dumps(_warm_up()) + "\n")
    from . import _engine

    reports = 0
    try:
        for line in sys.stdin:
            answer = run_request(json.loads(line))
            reports += 1
            own, zygote = memory()
            recycle = reports >= MAX_REPORTS or own + zygote > MAX_MB
            answer.update(rss_mb=round(own, 1), zygote_mb=round(zygote, 1), reports=reports,
                          recycle=recycle)
            out.write(json.dumps(answer) + "\n")
            if recycle:
                break
    finally:
        _engine.close_shared_zygote()
    return 0


def _exit_now(code: int) -> NoReturn:
    """End without tearing down the interpreter: the exit handlers run, the heap (every
    library a report's rendering imported) is simply dropped (0.2 s a worker otherwise)."""
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    _exit_now(main())
