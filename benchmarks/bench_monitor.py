"""Progress assessment speed: the vectorised ``monitor.assess`` vs a per-series loop.

The peer is the way sdg-build computes progress: one series at a time, scalar
formulas in Python (``growth_calculation``, ``methodology_2``, ``get_score``),
after selecting the series from the long table.  sdg-build itself is not on
PyPI, so its scalar formulas are transcribed here; the benchmark also checks
that both give the same ratios and scores.

Times (median of --repeat runs, seconds) on the demo observations (every
indicator x district x breakdown series) and on the same replicated --scale
times; plus ``early_warnings`` and the three-year warning register on the demo (the
assessment now includes the vectorised probability of meeting the target).

Run: ``.venv/bin/python benchmarks/bench_monitor.py [--repeat 3] [--scale 10]``
(needs the demo data).
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd
from _common import timed as _timed

from workbench import connect, load_catalogue
from workbench.i18n import DIMENSIONS
from workbench.monitor import assess, build_register, early_warnings

KEYS = ["indicator", "region", *DIMENSIONS]


def _growth(v1: float, v0: float, t1: float, t0: float) -> float:
    return (v1 / v0) ** (1 / (t1 - t0)) - 1


def _peer(obs: pd.DataFrame, table: pd.DataFrame) -> pd.DataFrame:
    """sdg-build's per-series computation (quantitative targets only)."""
    rows = []
    for key, g in obs.groupby(KEYS, sort=False):
        ind = table.loc[key[0]]
        if ind["target_2030_op"] not in ("<=", ">="):
            continue
        g = g.dropna(subset=["value"]).sort_values("year")
        if len(g) < 2 or g["value"].iloc[0] == 0:
            continue
        by, bv = g["year"].iloc[0], g["value"].iloc[0]
        cy, cv = g["year"].iloc[-1], g["value"].iloc[-1]
        d = -1 if ind["direction"] == "lower" else 1
        target = ind["target_2030"] or 0.001
        hit = cv <= target if d == -1 else cv >= target
        if target == bv:
            continue
        r = np.sign(bv) * d * _growth(cv, bv, cy, by) / abs(_growth(target, bv, 2030, by))
        if hit:
            score = 5.0
        elif r >= 0.6:
            score = min(7.1429 * r - 4.2857, 5)
        else:
            score = max(4.1667 * r - 2.5, -5)
        rows.append((*key, r, score))
    return pd.DataFrame(rows, columns=[*KEYS, "ratio", "score"])


def _replicate(obs: pd.DataFrame, times: int) -> pd.DataFrame:
    copies = [obs.assign(region=obs["region"] + (f"_{i}" if i else "")) for i in range(times)]
    return pd.concat(copies, ignore_index=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--scale", type=int, default=10)
    args = parser.parse_args()
    cat = load_catalogue()
    with connect() as db:
        obs = db.observations(breakdown=None)
    big = _replicate(obs, args.scale)
    table = cat.table
    print(f"demo: {len(obs):,} observations; x{args.scale}: {len(big):,}")
    for name, frame in (("demo", obs), (f"x{args.scale}", big)):
        t_ours, ours = _timed(lambda f=frame: assess(f, cat, 2025, 2030), args.repeat)
        t_peer, peer = _timed(lambda f=frame: _peer(f, table), args.repeat)
        both = peer.merge(ours, on=KEYS, suffixes=("_peer", ""))
        agree = np.allclose(both["ratio_peer"], both["ratio"], rtol=1e-12) and np.allclose(
            both["score_peer"], both["score"], rtol=1e-12)
        print(f"{name:>5}: {len(ours):>6,} series  assess {t_ours:8.3f} s   per-series loop "
              f"{t_peer:8.3f} s   ratio {t_peer / t_ours:6.1f}x   results agree on "
              f"{len(both):,} series: {agree}")
    t_warn, warn = _timed(lambda: early_warnings(obs, cat, 2025, "en"), args.repeat)
    print(f"early_warnings on the demo: {t_warn:.3f} s ({len(warn):,} warnings)")
    t_reg, reg = _timed(lambda: build_register(obs, cat, [2023, 2024, 2025], "en"), args.repeat)
    print(f"warning register 2023-2025 on the demo: {t_reg:.3f} s ({len(reg):,} rows)")


if __name__ == "__main__":
    main()
