"""Progress of every series in a table of observations (vectorised over indicators and regions)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..foundation.catalogue import UNIT_RANGE, Catalogue
from ..foundation.errors import WorkbenchError
from . import _core as core
from ._forecast import p_target_arrays
from ._labels import (
    _GROUP_OF,
    KEYS,
    METHODS,
    _check_choice,
)
from ._measures import NO_TARGET_RULES
from ._measures import assess_arrays as _assess_arrays


# -- many series from the database ---------------------------------------------------------------
def _wide(obs: pd.DataFrame, year: int, series: np.ndarray | None = None) -> pd.DataFrame:
    """Values as series x years (the first non-missing value of each series and year).

    With ``series`` (an integer id per row of ``obs``, as :func:`series_ids` gives) the
    rows are indexed by that id: grouping on one integer is several times cheaper than on
    the six string keys, which matters when one report assesses the same rows three times.
    """
    check_columns(obs)
    keep = (pd.to_numeric(obs["year"]) <= year).to_numpy()
    o = obs[keep]
    if o["value"].notna().sum() == 0:
        raise WorkbenchError(f"no observation with a value up to {year} to assess",
                             f"{year} 年及以前没有可评估的观测值")
    by = [*KEYS, "year"] if series is None else [pd.Series(series[keep], name="series",
                                                           index=o.index), "year"]
    # the first non-missing value of each series and year (as pivot_table's "first", 3x faster)
    return o.groupby(by, observed=True, sort=True)["value"].first() \
        .unstack("year").dropna(how="all")


def check_columns(obs: pd.DataFrame) -> None:
    """Refuse observations without the keys, year or value (naming the columns missing)."""
    missing = {*KEYS, "year", "value"} - set(obs.columns)
    if missing:
        raise WorkbenchError(f"observations lack column(s) {sorted(missing)}",
                             f"观测数据缺少列 {sorted(missing)}")


def series_ids(obs: pd.DataFrame) -> tuple[np.ndarray, pd.MultiIndex]:
    """An integer id per row for its series (keys sorted as ``groupby`` sorts them), and the
    keys of each id."""
    g = obs.groupby(KEYS, observed=True, sort=True)
    return g.ngroup().to_numpy(), g.size().index


def _ends(wide: pd.DataFrame) -> dict[str, np.ndarray]:
    v = wide.to_numpy(float)
    years = wide.columns.to_numpy(int)
    ok = np.isfinite(v)
    n = ok.sum(axis=1)
    first = ok.argmax(axis=1)
    last = v.shape[1] - 1 - ok[:, ::-1].argmax(axis=1)
    rows = np.arange(len(v))
    return {"n_points": n, "base_year": years[first], "base_value": v[rows, first],
            "latest_year": years[last], "latest_value": v[rows, last]}


_TARGET_COLUMNS = [f"target_{y}{c}" for y in (2025, 2030) for c in ("_op", "", "_prov")]


def _targets(cat: Catalogue, codes: pd.Index, target_year: int) -> pd.DataFrame:
    # the columns used, before the reindex: taking all 28 string columns cost 2/3 of the time
    t = cat.table[[*_TARGET_COLUMNS, "unit", "direction", "domain", "responsible_unit"]] \
        .reindex(codes)
    other = 2025 if target_year == 2030 else 2030
    own = t[f"target_{target_year}_op"].fillna("") != ""
    pick = {c: np.where(own, t[f"target_{target_year}{c}"], t[f"target_{other}{c}"])
            for c in ("_op", "", "_prov")}
    ty = np.where(own, target_year, np.where(pick["_op"] != "", other, target_year))
    top = t["unit"].map(lambda u: UNIT_RANGE[u][1]).to_numpy(float)
    lim = np.where(t["direction"].to_numpy() == "higher", top, np.nan)
    return pd.DataFrame({"target_op": pick["_op"], "target": pick[""].astype(float),
                         "target_prov": pick["_prov"], "target_year": ty.astype(int),
                         "direction": t["direction"].to_numpy(), "unit": t["unit"].to_numpy(),
                         "limit": np.where(np.isfinite(lim), lim, np.nan),
                         "domain": t["domain"].to_numpy(),
                         "responsible_unit": t["responsible_unit"].to_numpy()}, index=codes)


def assess(obs: pd.DataFrame, catalogue: Catalogue, year: int = 2025, target_year: int = 2030,
           method: str = "opensdg", no_target: str = "opensdg",
           within_one_point: bool = False) -> pd.DataFrame:
    """Assess every series (indicator x region x breakdown) in ``obs`` up to ``year``.

    Indicators with a ``<=``/``>=`` target use ``method``; those without a target use
    Open SDG's no-target method (natural limit = the top of the unit's range when higher is
    better); binary ones (``==``) are achieved or not.  When an indicator has no target for
    ``target_year`` the other year's target is used (``target_year`` column says which).
    Percentages are projected on the logit scale.  A series whose latest value meets the
    target but whose projection to the target year does not is
    ``achieved_projected_miss`` ("achieved now but projected to miss", group
    ``achieved``).  ``no_target`` and ``within_one_point``
    are the UNSD options of :func:`workbench.monitor.assess_progress`.

    Returns
    -------
    DataFrame
        One row per series: keys, ``n_points, base_year, base_value, latest_year,
        latest_value, target_op, target, target_prov, target_year, ratio, status, score,
        projected, group, note, domain, responsible_unit, p_target``: ``p_target`` is
        the predictive probability that the series meets its target in the target year
        (log-linear or logit-linear trend with its prediction distribution, see
        :func:`workbench.monitor.forecast`; NaN with fewer than 3 years).

    Examples
    --------
    >>> from workbench.catalogue import load_catalogue
    >>> from workbench.database import connect
    >>> with connect() as db:
    ...     obs = db.observations(indicators=["H03"], regions=["210102"])
    >>> assess(obs, load_catalogue())[["indicator", "region", "group"]].shape
    (1, 3)
    """
    _check_choice("method", method, METHODS)
    _check_choice("target_year", target_year, (2025, 2030))
    _check_choice("no_target", no_target, NO_TARGET_RULES)
    catalogue.check_codes(obs["indicator"].unique())
    wide = _wide(obs, year)
    return assess_wide(wide, wide.index.to_frame(index=False), catalogue, target_year, method,
                       no_target, within_one_point)


def assess_wide(wide: pd.DataFrame, keys: pd.DataFrame, catalogue: Catalogue,
                target_year: int, method: str, no_target: str = "opensdg",
                within_one_point: bool = False,
                targets: pd.DataFrame | None = None) -> pd.DataFrame:
    """:func:`assess` of series already shaped by :func:`_wide` (``keys``: one row each).

    ``targets`` (from :func:`_targets` for ``target_year``) may be passed by a caller that
    assesses the same series by several methods.
    """
    out = keys.assign(**_ends(wide))
    t = _targets(catalogue, pd.Index(out["indicator"]), target_year).reset_index(drop=True) \
        if targets is None else targets
    op_col = t["target_op"].to_numpy()
    binary, numeric = op_col == "==", np.isin(op_col, ["<=", ">="])
    op = np.where(numeric, op_col, np.where(t["direction"] == "lower", "<=", ">=")) \
        .astype(object)
    target = np.where(numeric, t["target"], np.nan)
    percent = (t["unit"] == "percent").to_numpy()
    latest = out["latest_value"].to_numpy(float)
    res = _assess_arrays(
        out["base_year"].to_numpy(), out["base_value"].to_numpy(float),
        out["latest_year"].to_numpy(), latest, out["n_points"].to_numpy(), target, op,
        np.maximum(t["target_year"].to_numpy(), out["latest_year"].to_numpy()), method,
        percent, np.zeros(len(out)), np.full(len(out), 100.0), t["limit"].to_numpy(float),
        no_target, within_one_point, percent)
    projected = np.where(binary, np.nan, res["projected"])
    status = np.where(binary, np.where(core.achieved(latest, "==", t["target"]) == 1,
                                       "target_achieved", "not_achieved"), res["status"])
    # met now, but the projection to the target year misses: not plain "achieved"
    at_risk = (status == "target_achieved") & numeric & (core.achieved(projected, op, target)
                                                         == 0)
    status = np.where(at_risk, "achieved_projected_miss", status)
    # one assignment of every column: each separate pandas call costs more than the arithmetic
    out = out.assign(
        target_op=op_col, target=t["target"].to_numpy(),
        target_prov=t["target_prov"].to_numpy(), target_year=t["target_year"].to_numpy(),
        direction=t["direction"].to_numpy(), ratio=np.where(binary, np.nan, res["ratio"]),
        status=status,
        score=np.where(binary, np.where(status == "target_achieved", 5.0, np.nan), res["score"]),
        projected=projected, note=np.where(binary, "", res["note"]),
        domain=t["domain"].to_numpy(), responsible_unit=t["responsible_unit"].to_numpy(),
        p_target=p_target_arrays(wide.to_numpy(float), wide.columns.to_numpy(int),
                                 target.astype(float), op, t["target_year"].to_numpy(float),
                                 percent))
    group = out["status"].map(_GROUP_OF).fillna("no_data")
    # sdg-build's no-target score decides between improving and worsening
    no_target = ~numeric & ~binary
    out["group"] = group.where(~(no_target & (status == "substantial_progress")), "on_track")
    return out
