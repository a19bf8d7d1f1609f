"""Early warnings: targets projected to be missed, off-path series, unusual year-on-year changes,
with a small-number guard that pools years and uses exact intervals."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ..foundation.catalogue import UNIT_SCALE, Catalogue
from ..foundation.i18n import DIMENSIONS, check_lang
from . import _core as core
from ._assess import _assess_wide, _check_columns, _series_ids, _targets, _wide
from ._labels import (
    _ACHIEVED,
    _MIN_POINTS,
    _POOL_YEARS,
    _ROBUST_Z,
    _SMALL_COUNT,
    KEYS,
    WARNING_KINDS,
    status_label,
)


# -- early warning ------------------------------------------------------------------------------
# The helpers below group and align on an integer id per series (``_series_ids``) rather than
# the six string keys: a report's tables are small, so the cost is per pandas call, and a
# call on one integer column is several times cheaper than one on six (pyarrow) strings.
def _pooled(obs: pd.DataFrame, sid: np.ndarray, indicator: pd.Index, cat: Catalogue,
            year: int) -> pd.DataFrame:
    """Pooled last ``_POOL_YEARS`` years of numerator/denominator with exact intervals,
    indexed by series id (``indicator``: the indicator of each id)."""
    y = obs["year"].to_numpy()
    counts = obs[["numerator", "denominator"]]
    keep = (y <= year) & (y > year - _POOL_YEARS) & counts.notna().all(axis=1).to_numpy()
    g = counts[keep].groupby(sid[keep]).sum()
    now = y == year
    g["latest_events"] = pd.Series(obs["numerator"].to_numpy()[now], index=sid[now]) \
        .reindex(g.index)
    units = cat.table["unit"].reindex(indicator[g.index]).to_numpy()
    scale = np.array([UNIT_SCALE[u] for u in units], float)
    binomial = units == "percent"
    lo, hi = core.exact_rate_interval(g["numerator"], g["denominator"], binomial)
    return g.assign(pooled=g["numerator"] / g["denominator"] * scale, ci_low=lo * scale,
                    ci_high=hi * scale)


def _breakdown(o: pd.DataFrame) -> pd.Series:
    """The dimension a row is broken down by ("total" for an undisaggregated row)."""
    dims = o[list(DIMENSIONS)] != "total"
    return pd.Series(np.where(dims.any(axis=1), dims.idxmax(axis=1), "total"), index=o.index)


def _yoy(obs: pd.DataFrame, sid: np.ndarray, keys: pd.DataFrame, year: int) -> pd.DataFrame:
    """Latest annual change against the series' and indicator's earlier changes.

    Indexed by series id; ``keys`` has one row of keys per id.
    """
    y = obs["year"].to_numpy()
    before = np.flatnonzero(y <= year)
    # rows by year (the sort the changes were always taken in, so every sum adds in the
    # same order), then each row's previous row of the same series
    rows = before[np.argsort(y[before], kind="quicksort")]
    s, v, t = sid[rows], obs["value"].to_numpy(float)[rows], y[rows].astype(float)
    order = np.argsort(s, kind="stable")
    prev = np.full(len(rows), -1)
    same = s[order][1:] == s[order][:-1]
    prev[order[1:][same]] = order[:-1][same]
    with np.errstate(divide="ignore", invalid="ignore"):  # first years: no previous one
        change = np.where(prev >= 0, (v - v[prev]) / (t - t[prev]), np.nan)
    hist = (t < year) & ~np.isnan(change)
    centre = pd.Series(change[hist]).groupby(s[hist]).median()
    spread = change[hist] - centre.reindex(s[hist]).to_numpy()
    # breakdown cells are noisier than totals: one spread per indicator and breakdown
    cell = pd.MultiIndex.from_arrays([keys["indicator"], _breakdown(keys)]).factorize()[0]
    by = pd.Series(np.abs(spread)).groupby(cell[s[hist]])
    # Iglewicz-Hoaglin: 1.4826 MAD, or 1.2533 x mean absolute deviation where the MAD is 0
    mad = by.median() * 1.4826
    mad = mad.where(mad > 0, by.mean() * 1.2533)
    cur = (t == year) & ~np.isnan(change)
    last, usual = change[cur], centre.reindex(s[cur]).to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (last - usual) / mad.reindex(cell[s[cur]]).to_numpy()
    return pd.DataFrame({"change": last, "usual_change": usual, "z": z}, index=s[cur])


def early_warnings(obs: pd.DataFrame, catalogue: Catalogue, year: int = 2025,
                   lang: str = "zh") -> pd.DataFrame:
    """The warning list for ``year``: one row per series and kind, with the numbers behind it.

    Kinds: ``projected_miss_2025`` / ``projected_miss_2030`` (UNSD projection of the latest
    value does not meet the target), ``missed_2025`` (the 2025 value itself misses it),
    ``off_path`` (Open SDG ratio below 0.60 and target not achieved), ``unusual_change``
    (latest annual change more than 3.5 robust SD from the series' usual change, SD from the
    indicator's history in all regions), ``too_few_points`` (fewer than 3 years).

    Small-number guard: where the latest year has fewer than 30 events, the last 3 years are
    pooled and a target or path warning is raised only if the exact (Clopper-Pearson or
    Poisson) 95 % interval of the pooled rate lies entirely on the wrong side of the target;
    an unusual change only if the exact conditional test of the latest year's events against
    the 3 years before rejects equal rates at 5 %.

    Examples
    --------
    >>> from workbench.catalogue import load_catalogue
    >>> from workbench.database import connect
    >>> with connect() as db:
    ...     obs = db.observations(indicators=["H12"], regions=["210102"])
    >>> early_warnings(obs, load_catalogue(), 2025, "en")["kind"].tolist()[:1]
    ['missed_2025']
    """
    check_lang(lang)
    obs = obs.assign(**{c: np.nan for c in ("numerator", "denominator") if c not in obs})
    catalogue.check_codes(obs["indicator"].unique())
    _check_columns(obs)
    sid, index = _series_ids(obs)
    keys = index.to_frame(index=False)
    a25, a30, os30 = _assessments(obs, sid, keys, catalogue, year)
    pool = _pooled(obs, sid, index.get_level_values("indicator"), catalogue, year)
    cols = [*KEYS, "kind", "n_points", "latest_year", "latest_value", "base_year", "base_value",
            "target_op", "target", "target_prov", "target_year", "projected", "ratio",
            "change", "usual_change", "z", "small_numbers", "pooled", "ci_low", "ci_high",
            "responsible_unit"]
    used = [c for c in cols if c in a30.columns]  # carrying the other 8 columns costs time
    # every frame below keeps its series ids as index, for the guards and the final order
    frames = [a.loc[bad, used].assign(kind=kind)
              for a, kind, bad in _target_checks(a25, a30, os30)]
    w = _guard(pd.concat(frames), pool)
    yo = _yoy(obs, sid, keys, year)
    yo = yo[yo["z"].abs() > _ROBUST_Z]
    unusual = _guard_yoy(keys.iloc[yo.index].assign(**yo), obs, sid, pool, year)
    few = a30.loc[a30["n_points"] < _MIN_POINTS, used].assign(kind="too_few_points")
    info = a30[["n_points", "latest_year", "latest_value", "responsible_unit"]]
    unusual = unusual.assign(**info.reindex(unusual.index))
    out = pd.concat([w, unusual.assign(kind="unusual_change"), few])
    out = out.reindex(columns=cols)
    out["year"] = year
    out["kind_label"] = out["kind"].map(lambda k: status_label(k, lang))
    out["reason"] = _reasons(out, lang)
    # by keys (the series ids are the sorted keys' ranks) and the kinds' order
    kind = pd.Index(WARNING_KINDS).get_indexer(out["kind"])
    out = out.iloc[np.lexsort((kind, out.index.to_numpy()))]
    return out.reset_index(drop=True)[["year", *cols[:3], *cols[3:6], "kind_label", "reason",
                                       *cols[6:]]]


def _target_checks(a25: pd.DataFrame, a30: pd.DataFrame, os30: pd.DataFrame,
                   ) -> list[tuple[pd.DataFrame, str, pd.Series]]:
    numeric25 = a25["target_op"].isin(["<=", ">="]) & (a25["target_year"] == 2025)
    numeric30 = a30["target_op"].isin(["<=", ">="]) & (a30["target_year"] == 2030)
    miss25 = numeric25 & ~a25["status"].isin(_ACHIEVED) & (a25["n_points"] >= 2)
    hit30 = core.achieved(a30["projected"], a30["target_op"], a30["target"]) == 1
    miss30 = numeric30 & ~a30["status"].isin(_ACHIEVED) & ~hit30 \
        & a30["projected"].notna()
    hit25 = core.achieved(a25["projected"], a25["target_op"], a25["target"]) == 1
    checks = [(a30, "projected_miss_2030", miss30),
              (os30, "off_path", numeric30 & (os30["ratio"] < core.OPENSDG_THRESHOLDS[1])
               & ~os30["status"].isin(_ACHIEVED))]
    # judged on the 2025 value where there is one, else on its projection
    checks.append((a25, "missed_2025", miss25 & (a25["latest_year"] == 2025)))
    checks.append((a25, "projected_miss_2025", miss25 & (a25["latest_year"] < 2025) & ~hit25
                   & a25["projected"].notna()))
    return checks


def _assessments(obs: pd.DataFrame, sid: np.ndarray, keys: pd.DataFrame, cat: Catalogue,
                 year: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The UNSD 2025, UNSD 2030 and Open SDG 2030 assessments, indexed by series id.

    What :func:`assess` would give, with one reshaping per data year and one target
    look-up per target year instead of one each per assessment.
    """
    def wide_keys(up_to: int) -> tuple[pd.DataFrame, pd.DataFrame]:
        wide = _wide(obs, up_to, sid)
        return wide, keys.iloc[wide.index].reset_index(drop=True)

    def ided(a: pd.DataFrame, wide: pd.DataFrame) -> pd.DataFrame:
        return a.set_axis(wide.index.to_numpy())

    wide, k = wide_keys(year)
    t30 = _targets(cat, pd.Index(k["indicator"]), 2030).reset_index(drop=True)
    a30 = ided(_assess_wide(wide, k, cat, 2030, "unsd", targets=t30), wide)
    os30 = ided(_assess_wide(wide, k, cat, 2030, "opensdg", targets=t30), wide)
    # a database that starts after 2025 (a district's first year) has no 2025 check to make
    if not (obs["value"].notna() & (pd.to_numeric(obs["year"]) <= 2025)).any():
        return a30.iloc[:0], a30, os30
    if min(year, 2025) != year:
        wide, k = wide_keys(min(year, 2025))
    return ided(_assess_wide(wide, k, cat, 2025, "unsd"), wide), a30, os30


def _guard(w: pd.DataFrame, pool: pd.DataFrame) -> pd.DataFrame:
    p = pool.reindex(w.index)
    small = (p["latest_events"] < _SMALL_COUNT).to_numpy()
    lower = w["target_op"].to_numpy() == "<="
    wrong_side = np.where(lower, p["ci_low"].to_numpy() > w["target"].to_numpy(),
                          p["ci_high"].to_numpy() < w["target"].to_numpy())
    keep = ~small | wrong_side
    w = w.assign(small_numbers=small, pooled=p["pooled"].to_numpy(),
                 ci_low=p["ci_low"].to_numpy(), ci_high=p["ci_high"].to_numpy())
    return w[keep]


def _guard_yoy(u: pd.DataFrame, obs: pd.DataFrame, sid: np.ndarray, pool: pd.DataFrame,
               year: int) -> pd.DataFrame:
    """Keep a small-count unusual change only if an exact test says the rate changed.

    The latest year's events are compared with the pooled previous years by the conditional
    binomial test of two Poisson rates (events of the latest year given the total, with
    probability its share of the exposure), two-sided at 5 %.  ``u`` is indexed by series id.
    """
    if u.empty:
        return u.assign(small_numbers=pd.Series(dtype=bool))
    idx = u.index
    p = pool.reindex(idx)
    small = (p["latest_events"] < _SMALL_COUNT).to_numpy()
    y = obs["year"].to_numpy()
    counts = obs[["numerator", "denominator"]]
    ok = counts.notna().all(axis=1).to_numpy() & (y <= year) & (y >= year - _POOL_YEARS)
    now = counts[ok & (y == year)].set_axis(sid[ok & (y == year)]).reindex(idx)
    before = counts[ok & (y < year)].groupby(sid[ok & (y < year)]).sum().reindex(idx)
    k = now["numerator"].to_numpy(float)
    total = k + before["numerator"].to_numpy(float)
    share = now["denominator"].to_numpy(float) / (now["denominator"].to_numpy(float)
                                                  + before["denominator"].to_numpy(float))
    p_two = np.minimum(1.0, 2 * np.minimum(stats.binom.cdf(k, total, share),
                                           stats.binom.sf(k - 1, total, share)))
    keep = ~small | (p_two < 0.05)
    return u.assign(small_numbers=small, pooled=p["pooled"].to_numpy(),
                    ci_low=p["ci_low"].to_numpy(), ci_high=p["ci_high"].to_numpy())[keep]


def _reasons(w: pd.DataFrame, lang: str) -> pd.Series:
    zh = check_lang(lang) == "zh"
    if w.empty:  # no warnings: string arithmetic on empty float columns would fail
        return pd.Series(dtype=object, index=w.index)
    # the texts are Python strings in object arrays: each row is formatted in Python anyway,
    # and pyarrow string arithmetic on a few dozen rows cost several times the formatting
    fmt = np.frompyfunc(lambda x: "" if pd.isna(x) else f"{x:.4g}", 1, 1)

    def num(column: str) -> np.ndarray:
        return fmt(w[column].to_numpy(object))

    tgt = w["target_op"].fillna("").to_numpy(object) + " " + num("target") + \
        np.where(w["target_prov"] == "P", "*", "").astype(object)
    latest = num("latest_value") + " (" + num("latest_year") + ")"
    proj = num("projected")
    change = num("change") + (" 常年 " if zh else " vs usual ") + num("usual_change")
    texts = {
        "projected_miss_2030": (f"{'预计2030年' if zh else 'projected 2030: '}" + proj
                                + (" 目标 " if zh else ", target ") + tgt),
        "projected_miss_2025": (f"{'预计2025年' if zh else 'projected 2025: '}" + proj
                                + (" 目标 " if zh else ", target ") + tgt),
        "missed_2025": (("最新 " if zh else "latest ") + latest + (" 目标 " if zh else
                                                                    ", target ") + tgt),
        "off_path": (("进展比 R=" if zh else "progress ratio R=") + num("ratio")
                     + (" < 0.60，目标 " if zh else " < 0.60, target ") + tgt),
        "unusual_change": ("年变化 " if zh else "annual change ") + change,
        "too_few_points": ("有数据的年份数：" if zh else "years with data: ") + num("n_points"),
    }
    kinds = w["kind"].to_numpy(object)
    out = np.full(len(w), "", dtype=object)
    for kind, text in texts.items():
        out = np.where(kinds == kind, text, out)
    pooled = (("；合并近3年 " if zh else "; pooled 3 years ") + num("pooled") + " ["
              + num("ci_low") + ", " + num("ci_high") + "]")
    small = w["small_numbers"].fillna(False).astype(bool).to_numpy()
    return pd.Series(np.where(small, out + pooled, out), index=w.index, dtype=object)
