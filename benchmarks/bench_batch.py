"""Batch of topic reports: the warm engine beside today's engine and plain papermill.

Default: the 91 topic reports (7 domains x 13 districts) on the demo data with ``--jobs 2``,
each batch a ``workbench batch`` command into a fresh (cold) outputs folder.  Prints:

- the warm engine's wall time (median of ``--repeat``; target <= 60 s on 2 cores);
- the same batch with the one-process-per-report engine of ``--baseline-commit`` (the
  engine before the warm workers; its package and its topic_report notebook, which does
  less (HTML only), are exported from git into a temporary folder);
- a loop of plain ``papermill`` CLI runs, one report after another (execution only, no
  HTML, manifest or index);
- ratios of those to the warm engine; ``workbench run topic_report`` alone (the first call
  starts the warm engine, later calls use it);
- the load average before and after (the machine is shared: compare numbers taken at
  similar load).

The baselines are slow (minutes); ``--baseline-sample N`` runs them on the first N reports
and scales to the full set (printed as "extrapolated").  ``--memory N`` instead runs N small
reports through two warm workers and prints their resident memory over the batch.
``--against COMMIT`` instead runs this checkout's batch and COMMIT's (its package and
notebook from git) back to back, ``--repeat`` times, and prints the ratios: a change of the
code measured on a host whose speed drifts.

Run: ``.venv/bin/python benchmarks/bench_batch.py [--jobs 2] [--repeat 3]
[--baseline-sample 26] [--memory 500] [--against COMMIT --domains 2]`` (needs the demo data
and git).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
DOMAINS = ["health", "safety", "education", "welfare", "family", "environment",
           "legal_protection"]


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _env(outputs: Path, pythonpath: Path = ROOT) -> dict[str, str]:
    return {**os.environ, "WORKBENCH_OUTPUTS": str(outputs), "WORKBENCH_HOME": str(ROOT),
            "PYTHONPATH": str(pythonpath)}


# CPU seconds of every finished descendant (workers wait for their zygote, zygotes reap
# their kernels): a load-independent measure beside the wall time
CPU: dict[str, float] = {}


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _timed(command: list[str], env: dict[str, str], label: str = "",
           cwd: Path | None = None) -> float:
    start, cpu = time.perf_counter(), _children_cpu()
    proc = subprocess.run(command, env=env, capture_output=True, text=True, check=False,
                          cwd=cwd)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(command[:4])}... failed:\n{proc.stdout}\n{proc.stderr}")
    if label:
        CPU[label] = CPU.get(label, 0.0) + _children_cpu() - cpu
    return seconds


def _batch_command(workbench: list[str], domains: list[str], jobs: int) -> list[str]:
    return [*workbench, "batch", "--notebook", "topic_report", "--each",
            f"domain={','.join(domains)}", "--each", "region=all", "-p", "year=2025",
            "-j", str(jobs), "--no-progress"]


def warm_batches(tmp: Path, jobs: int, repeat: int, domains: list[str]) -> list[float]:
    """The set with this checkout's engine, each time into empty outputs."""
    times = []
    for i in range(repeat):
        outputs = tmp / f"warm_{i}"
        times.append(_timed(_batch_command([sys.executable, "-m", "workbench.cli"], domains,
                                          jobs), _env(outputs), f"warm{i}"))
        print(f"  warm batch {i + 1}: {times[-1]:6.1f} s wall, {CPU[f'warm{i}']:6.1f} s CPU "
              f"(load {_load()})", flush=True)
    return times


def _export(tmp: Path, commit: str, name: str) -> Path:
    """The package and topic notebook of ``commit`` in ``tmp/name`` (today's data)."""
    tree = tmp / name
    tree.mkdir()
    # the engine with the notebook of its time: today's notebook needs today's package
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", commit, "workbench",
                              "notebooks/topic_report.ipynb"],
                             capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
    return tree


def _tree_batch(tree: Path, workbench: list[str], domains: list[str], jobs: int,
                outputs: Path, label: str) -> float:
    command = _batch_command(workbench, domains, jobs)
    command[command.index("topic_report")] = str(tree / "notebooks" / "topic_report.ipynb")
    # run from the exported tree: ``python -m`` puts the working directory first on sys.path
    return _timed(command, _env(outputs, tree), label, cwd=tree)


def baseline_batch(tmp: Path, commit: str, jobs: int, domains: list[str]) -> float:
    """The same batch with the engine of ``commit`` (its workbench package from git)."""
    tree = _export(tmp, commit, "baseline")
    return _tree_batch(tree, [str(BIN / "workbench")], domains, jobs, tmp / "baseline_out",
                       "baseline")


def paired_batches(tmp: Path, commit: str, jobs: int, repeat: int,
                   domains: list[str]) -> None:
    """This checkout's batch and ``commit``'s, back to back, ``repeat`` times.

    The host's speed drifts (the same batch has taken 62 s and 104 s on one machine within
    the hour, and 25 s and 36 s within minutes for a quarter of it): a pair run back to
    back, in alternating order, sees much the same host, so the median of the pairs'
    ratios measures a change of the code far better than medians taken minutes apart.
    It still takes several pairs.
    """
    tree = _export(tmp, commit, "against")
    ratios = []
    python = [sys.executable, "-m", "workbench.cli"]
    for i in range(repeat):
        runs = {"head": lambda i=i: _timed(_batch_command(python, domains, jobs),
                                           _env(tmp / f"head_{i}"), f"head{i}"),
                "against": lambda i=i: _tree_batch(tree, python, domains, jobs,
                                                   tmp / f"against_{i}", f"against{i}")}
        # ABBA order: a drift of the host during the set weighs on both sides alike
        order = ["head", "against"] if i % 2 == 0 else ["against", "head"]
        seconds = {name: runs[name]() for name in order}
        here, there = seconds["head"], seconds["against"]
        cpu_here, cpu_there = CPU[f"head{i}"], CPU[f"against{i}"]
        ratios.append((there / here, cpu_there / cpu_here))
        print(f"  pair {i + 1}: this checkout {here:6.1f} s wall, {cpu_here:6.1f} s CPU; "
              f"{commit} {there:6.1f} s wall, {cpu_there:6.1f} s CPU (load {_load()})",
              flush=True)
    print(f"{13 * len(domains)} topic reports, --jobs {jobs}: {commit} takes "
          f"{statistics.median(r[0] for r in ratios):.2f}x the wall time and "
          f"{statistics.median(r[1] for r in ratios):.2f}x the CPU time of this checkout "
          f"(medians of {repeat} pairs)")


def papermill_loop(tmp: Path, domains: list[str]) -> float:
    """Plain papermill CLI, one report after another (execution only; ``-r``: raw strings)."""
    from workbench.regions import load_regions

    regions = load_regions().at_level("district")["code"].tolist()
    source = ROOT / "notebooks" / "topic_report.ipynb"
    start, cpu = time.perf_counter(), _children_cpu()
    for domain in domains:
        for region in regions:
            folder = tmp / "papermill" / f"{domain}_{region}"
            folder.mkdir(parents=True)
            env = {**_env(tmp / "pm_out"), "WORKBENCH_RUN_DIR": str(folder)}
            subprocess.run([str(BIN / "papermill"), str(source), str(folder / "out.ipynb"),
                            "-r", "domain", domain, "-r", "region", region, "-p", "year",
                            "2025", "-k", "python3", "--cwd", str(folder), "--no-progress-bar"],
                           env=env, capture_output=True, check=True)
    CPU["papermill"] = _children_cpu() - cpu
    return time.perf_counter() - start


def single_runs(tmp: Path, count: int = 3) -> list[float]:
    """``workbench run topic_report``: the first starts the warm engine, the rest reuse it."""
    command = [sys.executable, "-m", "workbench.cli", "run", "topic_report", "--no-progress",
               "-p", "domain", "education", "-p", "region", "210103"]
    # an engine of its own (the variables are part of the engine's fingerprint), so the
    # first call really starts one even when an earlier run's engine is still up; it ends
    # a minute after the last call
    env = {**_env(tmp / "single"), "WORKBENCH_ENGINE_BENCH": str(tmp),
           "WORKBENCH_ENGINE_IDLE": "60"}
    return [_timed(command, env) for _ in range(count)]


def memory(tmp: Path, reports: int, jobs: int) -> None:
    """Resident memory of the warm workers over ``reports`` small reports."""
    import nbformat

    os.environ["WORKBENCH_OUTPUTS"] = str(tmp / "memory")
    from workbench.batch import expand_plan, run_batch

    source = tmp / "small.ipynb"
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("n: int = 0", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("import matplotlib.pyplot as plt\nimport pandas as pd\n"
                                  "from workbench import report as publish\n"
                                  "r = publish.start(lang='en')\n"
                                  "df = pd.DataFrame({'x': range(50), 'y': range(50)})\n"
                                  "fig, ax = plt.subplots()\nax.plot(df.x, df.y * n)\n"
                                  "r.figure(fig, 'line')\n"
                                  "r.table(df.head(), 'head', frequency=False)")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, source)
    runs = expand_plan([{"notebook": str(source), "each": {"n": list(range(reports))}}])
    result = run_batch(runs, jobs=jobs, progress=False)
    if result.counts().get("failed"):
        raise SystemExit(f"small reports failed: {result.table['error'].dropna().iloc[0]}")
    mem = result.memory
    print(f"{reports} small reports, --jobs {jobs}: {result.seconds:.1f} s, {result.counts()}")
    for worker, rows in mem.groupby("worker", sort=False):
        first, last = rows.iloc[0], rows.iloc[-1]
        print(f"  worker {worker}: {len(rows)} reports; worker RSS {first.rss_mb:.0f} -> "
              f"{last.rss_mb:.0f} MB (max {rows.rss_mb.max():.0f}); zygote "
              f"{first.zygote_mb:.0f} -> {last.zygote_mb:.0f} MB")
    growth = mem.groupby("worker").rss_mb.agg(lambda s: s.iloc[-1] - s.iloc[min(9, len(s) - 1)])
    print(f"  worker growth after its 10th report: {growth.max():.1f} MB at most")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--baseline-commit", default="b38cd75",
                        help="commit whose engine is 'today's' (one process per report)")
    parser.add_argument("--baseline-sample", type=int, default=0,
                        help="run the baselines on this many reports and scale (0: all 91)")
    parser.add_argument("--skip-baselines", action="store_true")
    parser.add_argument("--domains", type=int, default=7,
                        help="only the first N domains for every batch (13 N reports; on a "
                             "loaded machine), all times scaled to 91 reports")
    parser.add_argument("--memory", type=int, default=0, help="only the memory measurement")
    parser.add_argument("--against", metavar="COMMIT",
                        help="only: this checkout's batch and COMMIT's in --repeat pairs")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench_batch_"))
    try:
        if args.memory:
            memory(tmp, args.memory, args.jobs)
            return
        print(f"load average before: {_load()} ({os.cpu_count()} cores)")
        domains = DOMAINS[:args.domains]
        if args.against:
            paired_batches(tmp, args.against, args.jobs, args.repeat, domains)
            return
        full = 91 / (13 * len(domains))
        scaled = "" if full == 1 else f" (scaled from {13 * len(domains)} reports)"
        warm = statistics.median(warm_batches(tmp, args.jobs, args.repeat, domains)) * full
        warm_cpu = statistics.median(v for k, v in CPU.items() if k.startswith("warm")) * full
        singles = single_runs(tmp)
        print(f"91 topic reports, warm engine, --jobs {args.jobs}: {warm:6.1f} s wall "
              f"(median of {args.repeat}; target <= 60 s), {warm_cpu:6.1f} s CPU "
              f"({warm_cpu / 91:.2f} s a report; {warm_cpu / args.jobs:.0f} s on "
              f"{args.jobs} free cores){scaled}")
        print(f"workbench run topic_report: first {singles[0]:.2f} s (starts the warm "
              f"engine), then {', '.join(f'{s:.2f}' for s in singles[1:])} s (target < 2 s)")
        if args.skip_baselines:
            return
        sample = min(args.baseline_sample or 91, 13 * len(domains))
        domains = DOMAINS[:max(1, round(sample / 13))]
        scale = 91 / (13 * len(domains))
        note = "" if scale == 1 else f" (scaled from {13 * len(domains)} reports)"
        old = baseline_batch(tmp, args.baseline_commit, args.jobs, domains) * scale
        old_cpu = CPU["baseline"] * scale
        print(f"first-round engine and notebook ({args.baseline_commit}: no Word/PDF), "
              f"--jobs {args.jobs}: {old:6.1f} s wall, "
              f"{old_cpu:6.1f} s CPU{note}; ratios {old / warm:4.1f}x wall, "
              f"{old_cpu / warm_cpu:4.1f}x CPU", flush=True)
        loop = papermill_loop(tmp, domains) * scale
        loop_cpu = CPU["papermill"] * scale
        print(f"plain papermill CLI loop, 1 at a time: {loop:6.1f} s wall, {loop_cpu:6.1f} s "
              f"CPU{note}; ratios {loop / warm:4.1f}x wall, {loop_cpu / warm_cpu:4.1f}x CPU")
        print(f"load average after: {_load()}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
