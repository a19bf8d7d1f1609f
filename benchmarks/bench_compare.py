"""Regional comparison speed: comparison tables plus a composite index with Monte Carlo draws.

Synthetic data: ``--regions`` regions (default 3,000) x 50 indicators (the 49 catalogue
indicators plus a copy of E01 as ``E99``), two years, survey-style SEs on every value and
5 % of values missing.  Timed (median of ``--repeat`` runs, seconds):

* ``comparison_table`` for one indicator and for all 50 (each with 1,000 rank draws);
* ``composite_index`` plus ``composite_sensitivity`` with ``--draws`` (1,000) Monte Carlo
  draws over normalisation, aggregation and weights.

Target (issue 4): comparison table + composite index with 1,000 draws for 3,000 regions x 50
indicators under 10 s on the 2-core machine.  The peer is the way COINr's
``get_sensitivity`` works: rebuild the whole index once per draw (here a loop calling
``composite_index`` per draw), timed on ``--peer-draws`` draws and scaled to ``--draws``
(stated as an extrapolation).

Run: ``.venv/bin/python benchmarks/bench_compare.py [--regions 3000] [--draws 1000]``
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd
from _common import timed as _timed

from workbench import compare
from workbench.catalogue import Catalogue, load_catalogue


def _catalogue() -> Catalogue:
    base = load_catalogue()
    extra = base.table.loc[["E01"]].assign(code="E99")
    return Catalogue(pd.concat([base.table, extra]).reset_index(drop=True))


def _observations(cat: Catalogue, n_regions: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    codes = cat.codes
    regions = [f"R{i:05d}" for i in range(n_regions)]
    idx = pd.MultiIndex.from_product([codes, regions, [2020, 2025]],
                                     names=["indicator", "region", "year"])
    frame = idx.to_frame(index=False)
    level = rng.uniform(20, 80, len(codes))
    value = (level[frame["indicator"].cat.codes if hasattr(frame["indicator"], "cat")
                   else pd.Categorical(frame["indicator"], codes).codes]
             + rng.normal(0, 8, len(frame)))
    frame["value"] = np.clip(value, 0.5, 99.5)
    frame["se"] = rng.uniform(0.5, 3.0, len(frame))
    frame["numerator"], frame["denominator"] = np.nan, np.nan
    frame.loc[rng.random(len(frame)) < 0.05, "value"] = np.nan
    return frame.dropna(subset=["value"])  # a missing observation is an absent row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--regions", type=int, default=3000)
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--peer-draws", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    cat = _catalogue()
    obs = _observations(cat, args.regions)
    print(f"{args.regions} regions x {len(cat)} indicators, {len(obs):,} observations, "
          f"{args.draws} draws")

    t_one, _ = _timed(lambda: compare.comparison_table(obs, cat, "E01", 2025,
                                                       n_draws=args.draws), args.repeat)
    t_all, _ = _timed(lambda: [compare.comparison_table(obs, cat, c, 2025, n_draws=args.draws)
                               for c in cat.codes], 1)
    matrix = compare.indicator_matrix(obs, 2025)

    def composite():
        index = compare.composite_index(matrix, cat)
        return index, compare.composite_sensitivity(matrix, cat, n_draws=args.draws, seed=0)

    t_comp, (_, sens) = _timed(composite, args.repeat)

    def peer():
        rng = np.random.default_rng(0)
        combos = [(n, a) for n in compare.NORMALISATIONS for a in compare.AGGREGATIONS
                  if not (n == "zscore" and a == "geometric")]
        domains = sorted(set(cat.table["domain"]))
        ranks = []
        for _ in range(args.peer_draws):  # one full rebuild per draw, as COINr does
            n, a = combos[rng.integers(len(combos))]
            weights = dict(zip(domains, rng.uniform(0.75, 1.25, len(domains)), strict=True))
            res = compare.composite_index(matrix, cat, n, a, weights,
                                          shift=1.0 if a == "geometric" else None)
            ranks.append(res.table["rank"])
        return ranks

    t_peer, _ = _timed(peer, 1)
    t_peer_full = t_peer / args.peer_draws * args.draws
    total = t_one + t_comp
    print(f"comparison_table, 1 indicator:             {t_one:8.3f} s")
    print(f"comparison_table, all {len(cat)} indicators:      {t_all:8.3f} s")
    width = (sens.table["rank_high"] - sens.table["rank_low"]).median()
    print(f"composite_index + {args.draws} MC draws:        {t_comp:8.3f} s "
          f"(median rank-interval width {width})")
    print(f"peer: rebuild per draw, {args.peer_draws} draws:      {t_peer:8.3f} s "
          f"-> {t_peer_full:.1f} s for {args.draws} (extrapolated)")
    print(f"ratio peer / vectorised sensitivity:         {t_peer_full / t_comp:8.1f} x")
    print(f"table (1 indicator) + composite: {total:.2f} s; with all tables: "
          f"{t_all + t_comp:.2f} s (target < 10 s)")


if __name__ == "__main__":
    main()
