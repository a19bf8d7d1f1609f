"""Composite child development index after the JRC/OECD Handbook (2008) and COINr.

Written by hand because no maintained Python library builds composite indicators with
normalisation, domain weights, an availability threshold and Monte Carlo sensitivity.
All steps are matrix operations: the sensitivity analysis groups draws by normalisation and
aggregation and scores every group with one matrix product.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..foundation.catalogue import Catalogue
from ..foundation.errors import WorkbenchError, choices_text
from ._core import min_ranks

NORMALISATIONS = ("minmax", "zscore", "distance_to_target", "goalposts")
AGGREGATIONS = ("arithmetic", "geometric")
_BOUNDED = ("percent", "binary")


def indicator_matrix(obs: pd.DataFrame, year: int, indicators: Sequence[str] | None = None,
                     regions: Sequence[str] | None = None) -> pd.DataFrame:
    """Regions x indicators of the total values in ``year`` (missing = NaN, never dropped)."""
    sel = obs[obs["year"] == year]
    for col in ("sex", "age_group", "residence", "hukou"):
        if col in sel:
            sel = sel[sel[col] == "total"]
    wide = sel.pivot_table(index="region", columns="indicator", values="value", aggfunc="first")
    if indicators is not None:
        wide = wide.reindex(columns=list(indicators))
    if regions is not None:
        wide = wide.reindex(index=list(regions))
    return wide.rename_axis(index="region", columns=None)


def informative(matrix: pd.DataFrame, min_coverage: float = 0.5
                ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Keep indicators that vary across regions and have data for ``min_coverage`` of them.

    Returns the kept matrix and a table of the dropped indicators with the reason, so a
    report can list them rather than lose them silently.

    Examples
    --------
    >>> import pandas as pd
    >>> m = pd.DataFrame({"A": [1.0, 2.0], "B": [3.0, 3.0], "C": [None, None]})
    >>> kept, dropped = informative(m)
    >>> list(kept.columns), dropped["reason"].tolist()
    (['A'], ['no variation', 'too few regions with data'])
    """
    share = matrix.notna().mean()
    flat = matrix.nunique() < 2
    reason = pd.Series(np.select([share < min_coverage, flat],
                                 ["too few regions with data", "no variation"], ""),
                       index=matrix.columns)
    dropped = reason[reason != ""].rename("reason").rename_axis("indicator").reset_index()
    return matrix.loc[:, reason == ""], dropped


def _directions(matrix: pd.DataFrame, catalogue: Catalogue) -> np.ndarray:
    catalogue.check_codes(list(matrix.columns))
    return np.where(catalogue.table.loc[matrix.columns, "direction"] == "higher", 1.0, -1.0)


def _goalposts(matrix: pd.DataFrame, catalogue: Catalogue,
               goalposts: Mapping[str, tuple[float, float]] | None) -> tuple[np.ndarray, ...]:
    lo, hi = matrix.min().to_numpy(float).copy(), matrix.max().to_numpy(float).copy()
    units = catalogue.table.loc[matrix.columns, "unit"].to_numpy()
    for j, code in enumerate(matrix.columns):
        if goalposts and code in goalposts:
            lo[j], hi[j] = goalposts[code]
        elif units[j] in _BOUNDED:
            lo[j], hi[j] = catalogue[code].value_range
    return lo, hi


def normalise(matrix: pd.DataFrame, catalogue: Catalogue, method: str = "minmax",
              goalposts: Mapping[str, tuple[float, float]] | None = None) -> pd.DataFrame:
    """Normalise indicators so that higher is always better.

    ``minmax``: 0-100 between the worst and best region.  ``zscore``: standard scores
    (population SD).  ``distance_to_target``: ``100 x / target`` (``100 target / x`` when
    lower is better) against the 2030 target, or against the best region when the
    indicator has no numeric target ("distance to frontier"), capped at 100 once the
    reference is reached (as in the SDSN SDG Index).  ``goalposts``: 0-100 between
    fixed goalposts, clipped: ``goalposts={code: (worst_bound, best_bound)}`` as (low, high),
    by default 0-100 for percentages, else the observed range.

    Examples
    --------
    >>> import pandas as pd
    >>> from workbench.catalogue import load_catalogue
    >>> m = pd.DataFrame({"E01": [40.0, 80.0], "H07": [10.0, 30.0]}, index=["a", "b"])
    >>> normalise(m, load_catalogue(), "goalposts").to_dict("list")
    {'E01': [40.0, 80.0], 'H07': [90.0, 70.0]}
    """
    if method not in NORMALISATIONS:
        raise WorkbenchError(f"Unknown normalisation {method!r}; choose from "
                             f"{choices_text(NORMALISATIONS)}",
                             f"未知的标准化方法 {method!r}；可选：{choices_text(NORMALISATIONS)}")
    sign = _directions(matrix, catalogue)
    x = matrix.to_numpy(float)
    if method == "minmax":
        lo, hi = np.nanmin(x, axis=0), np.nanmax(x, axis=0)
        _check_spread(matrix.columns, hi - lo)
        out = np.where(sign > 0, x - lo, hi - x) / (hi - lo) * 100
    elif method == "zscore":
        sd = np.nanstd(x, axis=0)
        _check_spread(matrix.columns, sd)
        out = sign * (x - np.nanmean(x, axis=0)) / sd
    elif method == "goalposts":
        lo, hi = _goalposts(matrix, catalogue, goalposts)
        _check_spread(matrix.columns, hi - lo)
        out = np.clip(np.where(sign > 0, x - lo, hi - x) / (hi - lo) * 100, 0, 100)
    else:
        target = catalogue.table.loc[matrix.columns, "target_2030"].to_numpy(float)
        best = np.where(sign > 0, np.nanmax(x, axis=0), np.nanmin(x, axis=0))
        ref = np.where(np.isfinite(target) & (target > 0), target, best)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(sign > 0, x / ref, ref / x)
        # at or beyond the reference scores 100 (as in the SDSN SDG Index); 0 / 0 is "at it"
        out = np.where(np.isnan(x), np.nan, np.fmin(np.nan_to_num(ratio, nan=1.0), 1.0) * 100)
    return pd.DataFrame(out, index=matrix.index, columns=matrix.columns)


def _check_spread(columns: pd.Index, spread: np.ndarray) -> None:
    flat = list(columns[~(spread > 0)])
    if flat:
        raise WorkbenchError(f"Indicators {flat} have the same value in every region (or no "
                             "data), so they cannot be normalised; drop them",
                             f"指标 {flat} 在各地区取值相同（或无数据），无法标准化，请剔除")


def domain_weights(columns: Sequence[str], catalogue: Catalogue,
                   weights: Mapping[str, float] | None = None) -> pd.Series:
    """Indicator weights: each domain's weight (equal by default) split equally inside it."""
    domains = catalogue.table.loc[list(columns), "domain"]
    present = list(dict.fromkeys(domains))
    weights = dict.fromkeys(present, 1.0) if weights is None else dict(weights)
    unknown = sorted(set(weights) - set(catalogue.table["domain"]))
    if unknown:
        raise WorkbenchError(f"Unknown domains in weights: {unknown}; choose from "
                             f"{choices_text(sorted(set(catalogue.table['domain'])))}",
                             f"权重中有未知领域：{unknown}")
    missing = [d for d in present if d not in weights]
    if missing:
        raise WorkbenchError(f"weights give no value for domains {missing}",
                             f"权重缺少领域 {missing}")
    if any(v < 0 for v in weights.values()) or sum(weights[d] for d in present) <= 0:
        raise WorkbenchError("domain weights must be non-negative and not all zero",
                             "领域权重必须非负且不能全为 0")
    w = domains.map(weights) / domains.map(domains.value_counts())
    return (w / w.sum()).astype(float)


@dataclass
class CompositeResult:
    """A composite index per region (``table``) and the normalised matrix behind it."""

    normalisation: str
    aggregation: str
    threshold: float
    weights: pd.Series = field(repr=False)
    normalised: pd.DataFrame = field(repr=False)
    table: pd.DataFrame = field(repr=False)

    def __repr__(self) -> str:
        scored = self.table["index"].notna().sum()
        return (f"CompositeResult({self.normalisation}, {self.aggregation}, "
                f"{self.normalised.shape[1]} indicators, {scored}/{len(self.table)} regions "
                f"scored at coverage >= {self.threshold:.0%})")

    def _repr_html_(self) -> str:
        return f"<p>{self.__repr__()}</p>" + self.table.to_html(float_format="{:.4g}".format)


def _aggregate(norm: np.ndarray, weights: np.ndarray, aggregation: str,
               shift: float) -> np.ndarray:
    """Weighted means over available indicators; ``weights`` is (p,) or (p, draws)."""
    avail = np.isfinite(norm)
    total = avail.astype(float) @ weights
    if aggregation == "arithmetic":
        return (np.where(avail, norm, 0.0) @ weights) / total
    return np.exp((np.where(avail, np.log(np.where(avail, norm, 1.0) + shift), 0.0) @ weights)
                  / total) - shift


def _check_geometric(norm: pd.DataFrame, method: str, shift: float | None) -> float:
    if method == "zscore":
        raise WorkbenchError("Geometric aggregation needs positive scores; z-scores are "
                             "negative for half the regions. Use another normalisation",
                             "几何加总需要正值，z 分数有负值，请换用其他标准化方法")
    low = np.nanmin(norm.to_numpy())
    if shift is None and low <= 0:
        bad = norm.columns[(norm <= 0).any()].tolist()
        raise WorkbenchError(
            f"Geometric aggregation of a zero: indicators {bad} score 0 for some region "
            f"(the worst region under {method!r}). Pass shift=1 (adds 1 point on the 0-100 "
            "scale before the geometric mean and removes it after) or aggregate arithmetically",
            f"几何加总遇到 0 值（指标 {bad}），请设置 shift=1 或改用算术加总")
    return float(shift or 0.0)


def composite_index(matrix: pd.DataFrame, catalogue: Catalogue, normalisation: str = "minmax",
                    aggregation: str = "arithmetic", weights: Mapping[str, float] | None = None,
                    threshold: float = 2 / 3, shift: float | None = None,
                    goalposts: Mapping[str, tuple[float, float]] | None = None,
                    ) -> CompositeResult:
    """Composite index: normalise, weight by domain, aggregate, rank (1 = best).

    Parameters
    ----------
    matrix : DataFrame
        Regions x indicators (see :func:`indicator_matrix`).
    weights : mapping, optional
        Weight per domain (equal by default), split equally among its indicators.
    threshold : float
        Minimum share of the indicator weight a region must have data for; regions below
        it get no index (listed with their coverage, not dropped).  Above it, weights are
        re-scaled over the available indicators.
    shift : float, optional
        Geometric aggregation only: added before and removed after the geometric mean so
        that a normalised 0 does not zero the index.  Without it a zero is an error.

    Examples
    --------
    >>> import pandas as pd
    >>> from workbench.catalogue import load_catalogue
    >>> m = pd.DataFrame({"E01": [40.0, 80.0], "H07": [10.0, 30.0]}, index=["a", "b"])
    >>> r = composite_index(m, load_catalogue(), "goalposts", "geometric")
    >>> r.table[["index", "rank"]].round(2).to_dict("list")
    {'index': [60.0, 74.83], 'rank': [2.0, 1.0]}
    """
    if aggregation not in AGGREGATIONS:
        raise WorkbenchError(f"Unknown aggregation {aggregation!r}; choose from "
                             f"{choices_text(AGGREGATIONS)}",
                             f"未知的加总方法 {aggregation!r}；可选：{choices_text(AGGREGATIONS)}")
    if not 0 <= threshold <= 1:
        raise WorkbenchError(f"threshold must be a share between 0 and 1, got {threshold}",
                             f"threshold 必须在 0 和 1 之间，实际为 {threshold}")
    norm = normalise(matrix, catalogue, normalisation, goalposts)
    w = domain_weights(matrix.columns, catalogue, weights)
    s = _check_geometric(norm, normalisation, shift) if aggregation == "geometric" else 0.0
    coverage = np.isfinite(norm.to_numpy()).astype(float) @ w.to_numpy()
    index = _aggregate(norm.to_numpy(), w.to_numpy(), aggregation, s)
    index = np.where(coverage >= threshold - 1e-12, index, np.nan)
    table = pd.DataFrame({"index": index, "coverage": coverage}, index=matrix.index)
    table["rank"] = table["index"].rank(ascending=False, method="min")
    return CompositeResult(normalisation, aggregation, threshold, w, norm, table)


@dataclass
class Sensitivity:
    """Monte Carlo rank distribution of the composite index per region."""

    n_draws: int
    level: float
    table: pd.DataFrame = field(repr=False)
    draws: pd.DataFrame = field(repr=False)

    def __repr__(self) -> str:
        width = (self.table["rank_high"] - self.table["rank_low"]).median()
        return (f"Sensitivity({self.n_draws} draws, {len(self.table)} regions, median "
                f"{self.level:.0%} rank-interval width {width:g})")

    def _repr_html_(self) -> str:
        return f"<p>{self.__repr__()}</p>" + self.table.to_html(float_format="{:.4g}".format)


def composite_sensitivity(matrix: pd.DataFrame, catalogue: Catalogue, n_draws: int = 1000,
                          seed: int = 0, normalisations: Sequence[str] = NORMALISATIONS,
                          aggregations: Sequence[str] = AGGREGATIONS,
                          weights: Mapping[str, float] | None = None, weight_spread: float = 0.25,
                          threshold: float = 2 / 3, shift: float = 1.0, level: float = 0.95,
                          goalposts: Mapping[str, tuple[float, float]] | None = None,
                          ) -> Sensitivity:
    """Rank intervals of the composite index under uncertain weights and methods.

    Each draw picks a normalisation and an aggregation uniformly (z-scores are only
    aggregated arithmetically) and multiplies every domain weight by an independent
    Uniform(1 - ``weight_spread``, 1 + ``weight_spread``) factor, as in the JRC/OECD
    handbook's uncertainty analysis.  Geometric draws use ``shift``.  The nominal rank is
    that of :func:`composite_index` with the first normalisation and aggregation listed.

    Examples
    --------
    >>> import pandas as pd
    >>> from workbench.catalogue import load_catalogue
    >>> m = pd.DataFrame({"E01": [40.0, 80.0, 60], "H07": [10.0, 30.0, 5]}, index=list("abc"))
    >>> s = composite_sensitivity(m, load_catalogue(), n_draws=200)
    >>> s.table.columns.tolist()
    ['rank', 'rank_low', 'rank_median', 'rank_high']
    >>> bool((s.table["rank_low"] <= s.table["rank_high"]).all())
    True
    """
    cat = catalogue
    combos = [(n, a) for n in normalisations for a in aggregations
              if not (n == "zscore" and a == "geometric")]
    if not combos:
        raise WorkbenchError("No valid normalisation/aggregation combination to sample",
                             "没有可抽样的标准化/加总组合")
    nominal = composite_index(matrix, cat, normalisations[0], aggregations[0], weights, threshold,
                              shift if aggregations[0] == "geometric" else None, goalposts).table
    base_w = domain_weights(matrix.columns, cat, weights)
    domains = cat.table.loc[list(matrix.columns), "domain"]
    codes, dom_idx = np.unique(domains.to_numpy(), return_inverse=True)
    rng = np.random.default_rng(seed)
    combo = rng.integers(len(combos), size=n_draws)
    factors = rng.uniform(1 - weight_spread, 1 + weight_spread, (len(codes), n_draws))
    w = base_w.to_numpy()[:, None] * factors[dom_idx]
    w /= w.sum(axis=0)
    norms = {n: normalise(matrix, cat, n, goalposts).to_numpy() for n in normalisations}
    scores = np.full((len(matrix), n_draws), np.nan)
    for i, (n, a) in enumerate(combos):  # a handful of method pairs, not rows
        cols = combo == i
        if cols.any():
            scores[:, cols] = _aggregate(norms[n], w[:, cols], a, shift if a == "geometric"
                                         else 0.0)
    scored = nominal["index"].notna().to_numpy()
    ranks = np.full(scores.shape, np.nan)
    ranks[scored] = min_ranks(-scores[scored].T).T
    alpha = (1 - level) / 2
    table = pd.DataFrame({"rank": nominal["rank"]}, index=matrix.index)
    if scored.any():
        lo, med, hi = np.quantile(ranks[scored], [alpha, 0.5, 1 - alpha], axis=1,
                                  method="inverted_cdf")
        table.loc[scored, "rank_low"], table.loc[scored, "rank_median"] = lo, med
        table.loc[scored, "rank_high"] = hi
    else:
        table[["rank_low", "rank_median", "rank_high"]] = np.nan
    draws = pd.DataFrame({"normalisation": [combos[c][0] for c in combo],
                          "aggregation": [combos[c][1] for c in combo]})
    table = table.astype({c: "Int64" for c in ("rank", "rank_low", "rank_median", "rank_high")})
    return Sensitivity(n_draws, level, table, draws)
