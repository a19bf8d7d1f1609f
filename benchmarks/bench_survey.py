"""Benchmark: design-based domain means and raking on 1,000,000 respondents.

Run: ``.venv/bin/python benchmarks/bench_survey.py [--rows N]``.  50 strata, 2,000 PSUs,
means of one numeric variable in 20 domains with Taylor-linearisation SEs (with-replacement
first stage, no fpc: the estimator all three libraries compute), side by side in one process
against samplics and svy when they are installed (optional ``bench`` extra).  Prints each
time (best of ``--repeat``), the ratio to workbench and the largest relative difference of
estimates and SEs.  Then raking 1,000,000 rows to three margins.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from workbench.survey import SurveyDesign


def make_data(rows: int, seed: int = 20211231) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    psu = rng.integers(0, 2000, rows)
    return pd.DataFrame({
        "stratum": psu % 50, "psu": psu, "domain": rng.integers(0, 20, rows),
        "weight": rng.uniform(1, 10, rows), "y": rng.normal(50, 10, rows) + psu % 7,
        "a": rng.integers(0, 13, rows), "b": rng.integers(0, 2, rows),
        "c": rng.integers(0, 4, rows),
    })


def best(fn, repeat: int):
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


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


def compare(name: str, ours: pd.DataFrame, theirs: pd.DataFrame) -> str:
    theirs = theirs.reindex(ours.index)
    diff = (theirs - ours).abs() / ours.abs()
    return (f"max rel. diff vs workbench: estimate {diff['estimate'].max():.1e}, "
            f"SE {diff['se'].max():.1e}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    df = make_data(args.rows)
    print(f"{args.rows:,} rows, 50 strata, 2,000 PSUs, 20 domains")
    t_wb, ours = best(lambda: run_workbench(df), args.repeat)
    design = SurveyDesign(df, strata="stratum", psu="psu", weights="weight")
    t_est, _ = best(lambda: design.mean("y", by="domain"), args.repeat)
    print(f"workbench : {t_wb:8.3f} s (design + means), {t_est:.3f} s (means on a built design)")
    peers = {}
    try:
        t, theirs = best(lambda: run_samplics(df), 1)
        peers["samplics"] = t
        print(f"samplics  : {t:8.3f} s  ({t / t_wb:6.1f}x workbench)  {compare('s', ours, theirs)}")
    except ImportError:
        print("samplics  : not installed (pip install samplics)")
    try:
        import polars as pl

        pl_df = pl.from_pandas(df)
        t, theirs = best(lambda: run_svy(df, pl_df), 1)
        peers["svy"] = t
        print(f"svy       : {t:8.3f} s  ({t / t_wb:6.1f}x workbench)  {compare('v', ours, theirs)}")
    except ImportError:
        print("svy       : not installed (pip install svy)")
    if peers:
        fastest = min(peers, key=peers.get)
        print(f"fastest peer {fastest}: workbench is {peers[fastest] / t_wb:.1f}x faster")
    margins = {k: df.groupby(k)["weight"].sum() * 1.05 for k in ("a", "b", "c")}
    margins["a"] = margins["a"] * (1 + 0.1 * np.sin(np.arange(13)))  # margins to move towards
    margins["a"] *= margins["b"].sum() / margins["a"].sum()
    t_rake, raked = best(lambda: design.rake(margins), args.repeat)
    print(f"raking to 3 margins: {t_rake:.3f} s, {len(raked.history)} iterations, "
          f"max margin error {raked.history['max_margin_error'].iloc[-1]:.1e}")


if __name__ == "__main__":
    main()
