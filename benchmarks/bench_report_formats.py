"""What the Word and PDF reports add to a run, against the HTML report alone (issue 14).

For every run of the standard report set (``outputs/`` after ``make demo``; the set is run
first when outputs/ has none), the report is rendered from the stored notebook in a fresh
Python process, as a batch worker does, once as HTML only and once in all three formats.
Wall and CPU time are both printed:
on a machine shared with other work the wall time stretches while the CPU time does not.
Each time includes the imports the formats need (python-docx, typst) and Typst's cold
start, since every run of a batch pays them.  Printed per run and in total: seconds for
HTML only, for all three, the extra seconds and the ratio.  The target is at most 1 s
extra per report; the script exits non-zero when the median extra CPU time exceeds it.

Run: ``.venv/bin/python benchmarks/bench_report_formats.py [--repeat 3]``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from workbench import config

TARGET_EXTRA_S = 1.0
_CHILD = """
import json, sys, time
start, cpu = time.perf_counter(), time.process_time()
from workbench.reporting.render import render_formats
failed = render_formats(sys.argv[1], sys.argv[2], None, sys.argv[3].split(","))
print(json.dumps({"seconds": time.perf_counter() - start, "cpu": time.process_time() - cpu,
                  "failed": failed}))
"""


def _standard_runs() -> list[Path]:
    runs = sorted(p.parent for p in config.paths().outputs.glob("*/*/manifest.json")
                  if not p.parent.name.startswith(".")
                  and json.loads(p.read_text(encoding="utf-8")).get("status") == "completed")
    if runs:
        return runs
    subprocess.run([sys.executable, "-m", "workbench.cli", "batch",
                    "notebooks/plans/standard.yaml"], check=True, cwd=config.paths().root)
    return _standard_runs()


def _render(notebook: Path, formats: str) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run([sys.executable, "-c", _CHILD, str(notebook), tmp, formats],
                             capture_output=True, text=True, check=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    if result["failed"]:
        raise SystemExit(f"{notebook}: {result['failed']}")
    return result["seconds"], result["cpu"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    extras, ratios, cpu_extras = [], [], []
    print(f"{'run':<52} {'html s':>7} {'all s':>7} {'extra s':>8} {'ratio':>6} {'extra cpu':>9}")
    for run in _standard_runs():
        notebook = next(run.glob("*.ipynb"))
        html = [_render(notebook, "html") for _ in range(args.repeat)]
        every = [_render(notebook, "html,docx,pdf") for _ in range(args.repeat)]
        wall = [statistics.median(t[0] for t in x) for x in (html, every)]
        cpu = [statistics.median(t[1] for t in x) for x in (html, every)]
        extras.append(wall[1] - wall[0])
        ratios.append(wall[1] / wall[0])
        cpu_extras.append(cpu[1] - cpu[0])
        name = f"{run.parent.name}/{run.name}"[:52]
        print(f"{name:<52} {wall[0]:7.2f} {wall[1]:7.2f} {extras[-1]:8.2f} {ratios[-1]:6.2f} "
              f"{cpu_extras[-1]:9.2f}")
    extra, ratio = statistics.median(extras), statistics.median(ratios)
    print(f"median over {len(extras)} reports: extra {extra:.2f} s wall (max {max(extras):.2f}), "
          f"{statistics.median(cpu_extras):.2f} s CPU (max {max(cpu_extras):.2f}), ratio all/html "
          f"{ratio:.2f}; target extra <= {TARGET_EXTRA_S} s; load average "
          f"{os.getloadavg()[0]:.1f} (wall times stretch on a busy machine)")
    # judged on CPU time: it is what the report costs; wall time also counts other work
    return 0 if statistics.median(cpu_extras) <= TARGET_EXTRA_S else 1


if __name__ == "__main__":
    sys.exit(main())
