"""Batch of topic reports: wall time, overhead against papermill's floor, cached rerun.

Default: the 91 topic reports (7 domains x 13 districts) on the demo data, ``--jobs`` equal to
the cores.  Reports:

- the kernel-start floor: plain papermill executing a one-cell notebook;
- one report run by plain papermill (the floor plus the notebook's own compute);
- the batch wall time and the effective time per report (wall x jobs / reports), with its
  ratio to that single papermill run (target: within 2x);
- the fully cached rerun (target: under 5 s).

Run: ``.venv/bin/python benchmarks/bench_batch.py [--notebook topic_report] [--jobs 2]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import papermill as pm
from _common import empty_notebook

from workbench import config
from workbench.batch import expand_plan, run_batch


def _papermill_seconds(source: Path, parameters: dict, repeat: int, tmp: Path) -> float:
    times = []
    for i in range(repeat):
        start = time.perf_counter()
        pm.execute_notebook(str(source), str(tmp / f"pm_{i}.ipynb"), parameters=parameters,
                            kernel_name="python3", progress_bar=False, cwd=str(tmp))
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--notebook", default="topic_report")
    parser.add_argument("--jobs", type=int, default=os.cpu_count())
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench_batch_"))
    os.environ["WORKBENCH_OUTPUTS"] = str(tmp / "outputs")
    empty = empty_notebook(tmp / "empty.ipynb")
    each = ({"domain": "all", "region": "all"} if args.notebook == "topic_report"
            else {"focus_region": "all"})
    runs = expand_plan([{"notebook": args.notebook, "each": each,
                         "parameters": {"year": 2025}}])
    floor = _papermill_seconds(empty, {}, 3, tmp)
    source = config.paths().notebooks / f"{args.notebook}.ipynb"
    single = _papermill_seconds(source, runs[0].parameters, 2, tmp)

    start = time.perf_counter()
    result = run_batch(runs, jobs=args.jobs, progress=True)
    wall = time.perf_counter() - start
    start = time.perf_counter()
    cached = run_batch(runs, jobs=args.jobs, progress=False)
    rerun = time.perf_counter() - start

    per_report = wall * args.jobs / len(runs)
    print(f"reports                          {len(runs)} ({result.counts()})")
    print(f"papermill empty notebook (floor) {floor:7.2f} s")
    print(f"papermill one {args.notebook:<18} {single:7.2f} s")
    print(f"batch wall time, --jobs {args.jobs:<8} {wall:7.2f} s")
    print(f"effective time per report        {per_report:7.2f} s  "
          f"({per_report / single:4.2f}x one papermill run; target <= 2x)")
    print(f"fully cached rerun               {rerun:7.2f} s  ({cached.counts()}; target < 5 s)")


if __name__ == "__main__":
    main()
