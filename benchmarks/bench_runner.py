"""Runner overhead, measured side by side with plain papermill.

Times (median of --repeat runs, seconds):

- ``validate_fail``: `workbench run` refusing a bad parameter (the CLI process end to end;
  the target is under 5 s, and no kernel may start);
- ``papermill_empty``: papermill executing a one-cell notebook (the kernel start floor);
- ``papermill_getting_started``: plain papermill on notebooks/getting_started.ipynb;
- ``workbench_getting_started``: `run_notebook` on the same notebook (validation, input
  hashes, HTML export, manifest, index) with the warm engine (its zygote started beforehand);
- ``workbench_cold_getting_started``: the same with ``engine="papermill"`` (papermill's own
  kernel launch, as before the warm engine);
- ``cli_run_topic_report``: the `workbench run topic_report` command end to end, served by the
  warm engine daemon (started by an untimed first call); target under 2 s.

Run: ``.venv/bin/python benchmarks/bench_runner.py [--repeat 3]`` (needs the demo data).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import papermill as pm
from _common import empty_notebook

from workbench import config
from workbench.runner import run_notebook


def _timed(func, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench_runner_"))
    os.environ["WORKBENCH_OUTPUTS"] = str(tmp / "outputs")
    empty = empty_notebook(tmp / "empty.ipynb")
    source = config.paths().notebooks / "getting_started.ipynb"

    from workbench.execution._engine import shared_zygote

    shared_zygote()  # the warm engine's one-off start is not part of a run
    run_notebook("getting_started")
    cli = [sys.executable, "-m", "workbench.cli", "run", "topic_report", "--no-progress",
           "-p", "domain", "education", "-p", "region", "210103"]
    subprocess.run(cli, capture_output=True, check=True)  # starts the daemon
    results = {
        "validate_fail": _timed(lambda: subprocess.run(
            [sys.executable, "-m", "workbench.cli", "run", "getting_started", "-p", "indicator",
             "H99"], capture_output=True, check=False), args.repeat),
        "papermill_empty": _timed(lambda: pm.execute_notebook(
            str(empty), str(tmp / "empty_out.ipynb"), kernel_name="python3",
            progress_bar=False), args.repeat),
        "papermill_getting_started": _timed(lambda: pm.execute_notebook(
            str(source), str(tmp / "gs_out.ipynb"), kernel_name="python3", progress_bar=False,
            cwd=str(tmp)), args.repeat),
        "workbench_getting_started": _timed(lambda: run_notebook("getting_started"),
                                            args.repeat),
        "workbench_cold_getting_started": _timed(
            lambda: run_notebook("getting_started", engine="papermill"), args.repeat),
        "cli_run_topic_report": _timed(lambda: subprocess.run(cli, capture_output=True,
                                                              check=True), args.repeat),
    }
    for name, seconds in results.items():
        print(f"{name:<28} {seconds:7.2f} s")
    ratio = results["workbench_getting_started"] / results["papermill_getting_started"]
    overhead = results["workbench_getting_started"] - results["papermill_getting_started"]
    print(f"{'workbench / papermill':<28} {ratio:7.2f} x  (overhead {overhead:.2f} s per run)")
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
