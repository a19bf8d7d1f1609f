"""What the Word and PDF reports add to a run, against the HTML report alone (issue 14).

For every run of the standard report set (``outputs/`` after ``make demo``; the set is run
first when outputs/ has none), the report is rendered from the stored notebook in a fresh
Python process, as a batch worker does, once as HTML only and once in all three formats.
Each time includes the imports the formats need (python-docx, typst) and Typst's cold
start, since every run of a batch pays them.  Printed per run and in total: seconds for
HTML only, for all three, the extra seconds and the ratio.  The target is at most 1 s
extra per report; the script exits non-zero when the median extra exceeds it.

Run: ``.venv/bin/python benchmarks/bench_report_formats.py [--repeat 3]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from workbench import config

TARGET_EXTRA_S = 1.0
_CHILD = """
import json, sys, time
start = time.perf_counter()
from workbench.reporting.render import render_formats
failed = render_formats(sys.argv[1], sys.argv[2], None, sys.argv[3].split(","))
print(json.dumps({"seconds": time.perf_counter() - start, "failed": failed}))
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


def _render(notebook: Path, formats: str) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run([sys.executable, "-c", _CHILD, str(notebook), tmp, formats],
                             capture_output=True, text=True, check=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    if result["failed"]:
        raise SystemExit(f"{notebook}: {result['failed']}")
    return result["seconds"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    extras, ratios = [], []
    print(f"{'run':<60} {'html s':>7} {'all s':>7} {'extra s':>8} {'ratio':>6}")
    for run in _standard_runs():
        notebook = next(run.glob("*.ipynb"))
        html = statistics.median(_render(notebook, "html") for _ in range(args.repeat))
        every = statistics.median(_render(notebook, "html,docx,pdf") for _ in range(args.repeat))
        extras.append(every - html)
        ratios.append(every / html)
        name = f"{run.parent.name}/{run.name}"[:60]
        print(f"{name:<60} {html:7.2f} {every:7.2f} {every - html:8.2f} {every / html:6.2f}")
    extra, ratio = statistics.median(extras), statistics.median(ratios)
    print(f"median over {len(extras)} reports: extra {extra:.2f} s (max {max(extras):.2f} s), "
          f"ratio all/html {ratio:.2f}; target extra <= {TARGET_EXTRA_S} s")
    return 0 if extra <= TARGET_EXTRA_S else 1


if __name__ == "__main__":
    sys.exit(main())
