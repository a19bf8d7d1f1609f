"""Benchmark: design-based domain means and raking on 1,000,000 respondents.

Run: ``.venv/bin/python benchmarks/bench_survey.py [--rows N] [--repeat 3]``.  50 strata,
2,000 PSUs, means of one numeric variable in 20 domains with Taylor-linearisation SEs
(with-replacement first stage, no fpc: the estimator all three libraries compute), design
construction included, side by side in one process against samplics and svy when they are
installed (optional ``bench`` extra).  Prints each time (median of ``--repeat``), the ratio
to workbench, the largest relative difference of estimates and SEs (must be <= 1e-9) and
the machine's load average (other processes share the cores).  Then raking 1,000,000 rows
to three margins.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))

from workbench.survey import SurveyDesign  # noqa: E402

SAME = 1e-9
CPU: dict[str, float] = {}  # median CPU seconds (all threads) per run, less sensitive to load


def timed(func, repeat: int, name: str = ""):
    """Median wall time of ``repeat`` calls and the last result; CPU time kept in ``CPU``."""
    walls, cpus, out = [], [], None
    for _ in range(repeat):
        c0, t0 = time.process_time(), time.perf_counter()
        out = func()
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    CPU[name] = statistics.median(cpus)
    return statistics.median(walls), out


def make_data(rows: int, seed: int = 20211231) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    psu = rng.integers(0, 2000, rows)
    return pd.DataFrame({
        "stratum": psu % 50, "psu": psu, "domain": rng.integers(0, 20, rows),
        "weight": rng.uniform(1, 10, rows), "y": rng.normal(50, 10, rows) + psu % 7,
        "a": rng.integers(0, 13, rows), "b": rng.integers(0, 2, rows),
        "c": rng.integers(0, 4, rows),
    })


def run_workbench(df: pd.DataFrame) -> pd.DataFrame:
    d = SurveyDesign(df, strata="stratum", psu="psu", weights="weight")
    return d.mean("y", by="domain").set_index("domain")[["estimate", "se"]]


def run_samplics(df: pd.DataFrame) -> pd.DataFrame:
    from samplics.estimation import TaylorEstimator
    from samplics.utils.types import PopParam

    est = TaylorEstimator(PopParam.mean)
    est.estimate(y=df["y"], samp_weight=df["weight"], stratum=df["stratum"], psu=df["psu"],
                 domain=df["domain"])
    return pd.DataFrame({"estimate": pd.Series(est.point_est), "se": pd.Series(est.stderror)})


def run_svy(df: pd.DataFrame, pl_df) -> pd.DataFrame:
    import svy

    sample = svy.Sample(pl_df, svy.Design(stratum="stratum", psu="psu", wgt="weight"))
    res = sample.estimation.mean("y", by="domain").to_polars().to_pandas()
    return res.set_index("domain")[["est", "se"]].rename(columns={"est": "estimate"})


def compare(ours: pd.DataFrame, theirs: pd.DataFrame) -> tuple[float, str]:
    theirs = theirs.reindex(ours.index)
    diff = (theirs - ours).abs() / ours.abs()
    worst = float(np.nanmax(diff.to_numpy())) if theirs.notna().all().all() else np.inf
    flag = "same to 1e-9" if worst <= SAME else "DIFFERENT"
    return worst, (f"max rel. diff: estimate {diff['estimate'].max():.1e}, "
                   f"SE {diff['se'].max():.1e} ({flag})")


def peer(name: str, run, ours: pd.DataFrame, t_wb: float, repeat: int, times: dict) -> None:
    try:
        t, theirs = timed(run, repeat, name)
    except ImportError:
        print(f"{name:10s}: not installed (pip install -e '.[bench]')")
        return
    worst, text = compare(ours, theirs)
    if worst <= SAME:
        times[name] = t
    print(f"{name:10s}: {t:8.3f} s  (workbench {t / t_wb:5.1f}x faster; CPU "
          f"{CPU[name]:.3f} s, {CPU[name] / CPU['workbench']:.1f}x)  {text}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    df = make_data(args.rows)
    print(f"{args.rows:,} rows, 50 strata, 2,000 PSUs, 20 domains; median of {args.repeat}; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    run_workbench(df)  # warm-up (imports, page faults), not timed
    t_wb, ours = timed(lambda: run_workbench(df), args.repeat, "workbench")
    design = SurveyDesign(df, strata="stratum", psu="psu", weights="weight")
    t_est, _ = timed(lambda: design.mean("y", by="domain"), args.repeat)
    print(f"workbench : {t_wb:8.3f} s (design + 20 domain means; CPU {CPU['workbench']:.3f} s), "
          f"{t_est:.3f} s (means on a built design)")
    times: dict[str, float] = {}
    peer("samplics", lambda: run_samplics(df), ours, t_wb, args.repeat, times)
    try:
        import polars as pl

        pl_df = pl.from_pandas(df)
        peer("svy", lambda: run_svy(df, pl_df), ours, t_wb, args.repeat, times)
    except ImportError:
        print("svy       : not installed (pip install -e '.[bench]')")
    if times:
        fastest = min(times, key=times.get)
        print(f"fastest peer {fastest}: workbench is {times[fastest] / t_wb:.1f}x faster "
              f"(wall), {CPU[fastest] / CPU['workbench']:.1f}x (CPU); load average now "
              f"{os.getloadavg()[0]:.1f}")
    margins = {k: df.groupby(k)["weight"].sum() * 1.05 for k in ("a", "b", "c")}
    margins["a"] = margins["a"] * (1 + 0.1 * np.sin(np.arange(13)))  # margins to move towards
    margins["a"] *= margins["b"].sum() / margins["a"].sum()
    t_rake, raked = timed(lambda: design.rake(margins), args.repeat)
    print(f"raking to 3 margins: {t_rake:.3f} s, {len(raked.history)} iterations, "
          f"max margin error {raked.history['max_margin_error'].iloc[-1]:.1e}")


if __name__ == "__main__":
    main()
