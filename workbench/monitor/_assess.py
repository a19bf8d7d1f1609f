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

    With ``series`` (an integer id per row of ``obs``, as :func:`_series_ids` gives) the
    rows are indexed by that id: grouping on one integer is several times cheaper than on
    the six string keys, which matters when one report assesses the same rows three times.
    """
    _check_columns(obs)
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


def _check_columns(obs: pd.DataFrame) -> None:
    """Refuse observations without the keys, year or value (naming the columns missing)."""
    missing = {*KEYS, "year", "value"} - set(obs.columns)
    if missing:
        raise WorkbenchError(f"observations lack column(s) {sorted(missing)}",
                             f"观测数据缺少列 {sorted(missing)}")


def _series_ids(obs: pd.DataFrame) -> tuple[np.ndarray, pd.MultiIndex]:
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


def _targets(cat: Catalogue, codes: pd.Index, target_year: int) -> pd.DataFrame:
    table = cat.table
    pos = table.index.get_indexer(codes)
    if (pos < 0).any():  # not a checked code: the rows of the unknown ones are NaN
        table, pos = table.reindex(codes), np.arange(len(codes))

    def col(name: str) -> np.ndarray:
        # plain arrays by position: a reindex of the catalogue's string columns cost more
        # than the rest of an assessment
        return table[name].to_numpy()[pos]

    other = 2025 if target_year == 2030 else 2030
    own_op = col(f"target_{target_year}_op")
    own = ~pd.isna(own_op) & (own_op != "")
    pick = {c: np.where(own, col(f"target_{target_year}{c}"), col(f"target_{other}{c}"))
            for c in ("_op", "", "_prov")}
    ty = np.where(own, target_year, np.where(pick["_op"] != "", other, target_year))
    units, direction = col("unit"), col("direction")
    known, where = np.unique(units, return_inverse=True)
    top = np.array([UNIT_RANGE[u][1] for u in known], float)[where]  # one per unit
    lim = np.where(direction == "higher", top, np.nan)
    return pd.DataFrame({"target_op": pick["_op"], "target": pick[""].astype(float),
                         "target_prov": pick["_prov"], "target_year": ty.astype(int),
                         "direction": direction, "unit": units,
                         "limit": np.where(np.isfinite(lim), lim, np.nan),
                         "domain": col("domain"), "responsible_unit": col("responsible_unit")},
                        index=codes)


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
    return _assess_wide(wide, wide.index.to_frame(index=False), catalogue, target_year, method,
                        no_target, within_one_point)


def _assess_wide(wide: pd.DataFrame, keys: pd.DataFrame, catalogue: Catalogue,
                 target_year: int, method: str, no_target: str = "opensdg",
                 within_one_point: bool = False,
                 targets: pd.DataFrame | None = None) -> pd.DataFrame:
    """:func:`assess` of series already shaped by :func:`_wide` (``keys``: one row each).

    ``targets`` (from :func:`_targets` for ``target_year``) may be passed by a caller that
    assesses the same series by several methods.
    """
    out = _ends(wide)
    t = _targets(catalogue, pd.Index(keys["indicator"]), target_year).reset_index(drop=True) \
        if targets is None else targets
    op_col = t["target_op"].to_numpy()
    binary, numeric = op_col == "==", np.isin(op_col, ["<=", ">="])
    op = np.where(numeric, op_col, np.where(t["direction"] == "lower", "<=", ">=")) \
        .astype(object)
    target = np.where(numeric, t["target"], np.nan)
    percent = (t["unit"] == "percent").to_numpy()
    latest = out["latest_value"]
    res = _assess_arrays(
        out["base_year"], out["base_value"], out["latest_year"], latest, out["n_points"],
        target, op, np.maximum(t["target_year"].to_numpy(), out["latest_year"]), method,
        percent, np.zeros(len(keys)), np.full(len(keys), 100.0), t["limit"].to_numpy(float),
        no_target, within_one_point, percent)
    projected = np.where(binary, np.nan, res["projected"])
    status = np.where(binary, np.where(core.achieved(latest, "==", t["target"]) == 1,
                                       "target_achieved", "not_achieved"), res["status"])
    # met now, but the projection to the target year misses: not plain "achieved"
    at_risk = (status == "target_achieved") & numeric & (core.achieved(projected, op, target)
                                                         == 0)
    status = np.where(at_risk, "achieved_projected_miss", status)
    # one frame built from every column: each DataFrame.assign copies the frame, and the
    # catalogue's columns go in as the string arrays they are (no re-inference)
    status_col = pd.Series(status, index=keys.index)
    group = status_col.map(_GROUP_OF).fillna("no_data")
    # sdg-build's no-target score decides between improving and worsening
    no_target = ~numeric & ~binary
    cols = {c: t[c].array for c in ("target_op", "target", "target_prov", "target_year",
                                    "direction")}
    return pd.DataFrame({
        **{c: keys[c].array for c in keys.columns}, **out, **cols,
        "ratio": np.where(binary, np.nan, res["ratio"]), "status": status_col.array,
        "score": np.where(binary, np.where(status == "target_achieved", 5.0, np.nan),
                          res["score"]),
        "projected": projected, "note": np.where(binary, "", res["note"]),
        "domain": t["domain"].array, "responsible_unit": t["responsible_unit"].array,
        "p_target": p_target_arrays(wide.to_numpy(float), wide.columns.to_numpy(int),
                                    target.astype(float), op, t["target_year"].to_numpy(float),
                                    percent),
        "group": group.where(~(no_target & (status == "substantial_progress")),
                             "on_track").array}, index=keys.index)
