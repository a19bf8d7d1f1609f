"""Monitoring, early warning and evaluation against the plan's targets.

Progress is measured the way statistical offices measure SDG progress:

* **Open SDG** (Statistics Canada / ONS, ``sdg-build`` ``ProgressMeasure``):
  with a target, ``R = d * CAGR_obs / |CAGR_req|`` (``d`` = +1 when higher is
  better, -1 when lower is better, times the sign of the base value), status
  ``substantial / moderate / limited progress / deterioration`` at 0.95, 0.60
  and 0, a score from -5 to 5 (5 when the target is achieved); without a
  target the observed CAGR itself against 0.015 / 0.005 / 0, thresholds
  shrunk by the natural-limit factor ``C``; a target of 0 becomes 0.001.
* **UNSD** progress chart: the latest value projected to the target year with
  the observed CAGR, ``X = (v_est - v_base) / (v_target - v_base)``, on track
  at ``X >= 0.95``, fair progress at ``X >= 0.10``, deterioration at
  ``X <= -0.10``.

For bounded percentages ``scale="logit"`` projects on the logit scale so a
rate never passes 100 %.  The arithmetic is written by hand (vectorised in
``_monitor_core``) because no maintained Python library implements these
methods; trend fits use ``scipy.stats.linregress`` / ``theilslopes`` and
exact Poisson/binomial intervals come from ``scipy.stats``.

Examples
--------
>>> import pandas as pd
>>> from workbench.monitor import assess_progress
>>> u5mr = pd.Series({2020: 7.5, 2022: 6.8})
>>> p = assess_progress(u5mr, target=6.0, direction="lower", target_year=2030)
>>> round(p.ratio, 4), p.status, p.score
(2.1665, 'substantial_progress', 5.0)
>>> q = assess_progress(u5mr, 6.0, "lower", 2030, method="unsd")
>>> round(q.projected_value, 4), round(q.ratio, 4), q.status
(4.5951, 1.9366, 'on_track')
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from . import _core as core
from ..foundation.catalogue import UNIT_RANGE, UNIT_SCALE, Catalogue
from ..foundation.errors import WorkbenchError, choices_text
from ..foundation.i18n import DIMENSIONS, check_lang, label
from ..foundation.regions import Regions

__all__ = [
    "Progress", "assess_progress", "target_status", "fit_trend", "assess", "early_warnings",
    "evaluation_summary", "latest_by_region", "data_gaps", "status_heatmap",
    "trend_to_target_chart", "status_label", "evaluation_target_year", "select_regions",
    "format_status", "format_warnings", "format_districts", "format_gaps", "warning_counts",
    "totals", "METHODS", "SCALES", "EVALUATIONS", "STATUS_GROUPS", "WARNING_KINDS",
]

METHODS = ("opensdg", "unsd")
SCALES = ("ratio", "logit")
TREND_METHODS = ("linear", "theilsen")
EVALUATIONS = {"annual": 2030, "midterm": 2025, "final": 2030}
KEYS = ["indicator", "region", *DIMENSIONS]
# Traffic-light groups shared by both methods (keys of plots.STATUS_COLORS).
STATUS_GROUPS = ("achieved", "on_track", "needs_acceleration", "off_track", "deteriorating",
                 "not_assessable", "no_data")
_GROUP_OF = {
    "target_achieved": "achieved", "substantial_progress": "on_track", "on_track": "on_track",
    "moderate_progress": "needs_acceleration", "fair_progress": "needs_acceleration",
    "limited_progress": "off_track", "not_achieved": "off_track",
    "deterioration": "deteriorating", "insufficient_data": "not_assessable",
    "not_computable": "not_assessable", "no_data": "no_data",
}
_LABELS = {
    "target_achieved": ("已达标", "target achieved"),
    "substantial_progress": ("进展显著", "substantial progress"),
    "moderate_progress": ("进展一般", "moderate progress"),
    "limited_progress": ("进展有限", "limited progress"),
    "deterioration": ("倒退", "deterioration"), "on_track": ("按期可达", "on track"),
    "fair_progress": ("有进展需加速", "fair progress"),
    "not_achieved": ("未达标", "not achieved"),
    "insufficient_data": ("数据不足", "insufficient data"),
    "not_computable": ("无法计算", "not computable"), "no_data": ("无数据", "no data"),
    "achieved": ("已达标", "achieved"), "needs_acceleration": ("需加速", "needs acceleration"),
    "off_track": ("偏离目标", "off track"), "deteriorating": ("倒退", "deteriorating"),
    "not_assessable": ("无法评估", "not assessable"),
    "projected_miss_2025": ("预计未达2025年目标", "projected to miss the 2025 target"),
    "projected_miss_2030": ("预计未达2030年目标", "projected to miss the 2030 target"),
    "missed_2025": ("未达2025年目标", "missed the 2025 target"),
    "off_path": ("偏离目标路径", "off the path to target"),
    "unusual_change": ("年度变化异常", "unusual year-on-year change"),
    "too_few_points": ("数据点过少", "too few data points"),
}
WARNING_KINDS = ("projected_miss_2025", "missed_2025", "projected_miss_2030", "off_path",
                 "unusual_change", "too_few_points")
_MIN_POINTS = 3          # fewer points than this: no trend judgement
_SMALL_COUNT = 30        # events in the latest year below this: pool years first
_POOL_YEARS = 3
_ROBUST_Z = 3.5          # Iglewicz-Hoaglin cut-off for the modified z-score


def status_label(status: str, lang: str = "zh") -> str:
    """The Chinese or English label of a status, group or warning kind."""
    zh, en = _LABELS.get(status, (status, status))
    return zh if check_lang(lang) == "zh" else en


@dataclass(frozen=True)
class Progress:
    """The progress of one series towards a target (see :func:`assess_progress`)."""

    method: str
    ratio: float
    status: str
    score: float
    projected_value: float
    base_year: int | None
    base_value: float
    current_year: int | None
    current_value: float
    target: float | None
    target_year: int
    direction: str
    notes: tuple[str, ...] = field(default=())

    @property
    def group(self) -> str:
        """Traffic-light group (``achieved``, ``on_track``, ... ``no_data``)."""
        return _GROUP_OF.get(self.status, "on_track" if self.score >= 0 else "deteriorating")

    def __repr__(self) -> str:
        tgt = "no target" if self.target is None else f"target {self.target:g} by "
        tgt += f"{self.target_year}" if self.target is not None else ""
        note = f"; {'; '.join(self.notes)}" if self.notes else ""
        return (f"<Progress {self.method}: {self.status}, ratio {self.ratio:.4g}, score "
                f"{self.score:.3g}, projected {self.projected_value:.4g} ({tgt}, "
                f"{self.direction} is better, {self.base_year}->{self.current_year}){note}>")

    def _repr_html_(self) -> str:
        notes = "".join(f"<br><i>{n}</i>" for n in self.notes)
        return (f"<b>{self.status}</b> ({self.method}) · ratio {self.ratio:.4g} · score "
                f"{self.score:.3g} · projected {self.target_year}: "
                f"{self.projected_value:.4g}{notes}")


# -- single series --------------------------------------------------------------------------
def _check_choice(name: str, value: object, choices: Sequence[str]) -> str:
    if value not in choices:
        raise WorkbenchError(f"Unknown {name} {value!r}; valid: {choices_text(choices)}",
                             f"未知的 {name}：{value!r}；可选：{choices_text(choices)}")
    return str(value)


def _clean_series(values: pd.Series | dict) -> tuple[pd.Series, list[str]]:
    s = pd.Series(values, dtype="object") if isinstance(values, dict) else values
    if not isinstance(s, pd.Series):
        raise WorkbenchError("values must be a pandas Series indexed by year",
                             "values 必须是以年份为索引的 pandas Series")
    years = pd.to_numeric(pd.Index(s.index).astype("object"), errors="coerce")
    whole = np.isfinite(years) & (np.mod(np.nan_to_num(years), 1) == 0)
    bad = [str(i) for i in s.index[~whole]]
    if bad:
        raise WorkbenchError(f"values must be indexed by whole years; not years: {', '.join(bad)}",
                             f"values 的索引必须是整数年份；以下不是年份：{'、'.join(bad)}")
    vals = pd.to_numeric(pd.Series(s.to_numpy()), errors="coerce")
    notnum = [str(y) for y in s.index[vals.isna().to_numpy() & s.notna().to_numpy()]]
    if notnum:
        raise WorkbenchError(f"values are not numbers in years {', '.join(notnum)}",
                             f"以下年份的数值不是数字：{'、'.join(notnum)}")
    out = pd.Series(vals.to_numpy(float), index=years.astype(int)).sort_index()
    if out.index.duplicated().any():
        dup = sorted(set(out.index[out.index.duplicated()].astype(str)))
        raise WorkbenchError(f"duplicate years in values: {', '.join(dup)}",
                             f"values 中年份重复：{'、'.join(dup)}")
    missing = out.index[~np.isfinite(out.to_numpy())]
    notes = [f"years without a value ignored: {', '.join(map(str, missing))}"] if len(missing) \
        else []
    return out[np.isfinite(out.to_numpy())], notes


def assess_progress(values: pd.Series | dict, target: float | None = None,
                    direction: str = "lower", target_year: int = 2030,
                    method: str = "opensdg", base_year: int | None = None,
                    limit: float | None = None, scale: str = "ratio",
                    bounds: tuple[float, float] = (0.0, 100.0)) -> Progress:
    """Progress of one series towards a target, by Open SDG's or UNSD's method.

    Parameters
    ----------
    values : Series
        Values indexed by year (NaN years are ignored and noted).
    target : float, optional
        The target value; None for Open SDG's no-target method.
    direction : {"lower", "higher"}
        Which way is better.
    target_year : int
        Year the target is due; must be after the base year and not before the latest value.
    method : {"opensdg", "unsd"}
        ``ratio`` is Open SDG's R or UNSD's X; ``status`` the method's category.
    base_year : int, optional
        First year used (default the first year with a value; a later year is used if the
        given one has no value, as in sdg-build).
    limit : float, optional
        Natural limit for the no-target method (factor C).
    scale : {"ratio", "logit"}
        Projection of ``projected_value``: the observed CAGR or a straight line on the logit
        scale of ``bounds`` (for percentages).  Open SDG's ratio always uses the CAGR.

    Returns
    -------
    Progress
        ``status`` is ``insufficient_data`` (fewer than two years) or ``not_computable``
        (zero base, a sign change, a value outside ``bounds`` on the logit scale) with the
        reason in ``notes`` rather than an error or a bare NaN.

    Examples
    --------
    >>> import pandas as pd
    >>> assess_progress(pd.Series({2020: 60.0, 2024: 63.0}), 70, "higher").status
    'moderate_progress'
    >>> assess_progress(pd.Series({2020: 5.0}), 4.0).status
    'insufficient_data'
    """
    _check_choice("method", method, METHODS)
    _check_choice("scale", scale, SCALES)
    _check_choice("direction", direction, ("higher", "lower"))
    s, notes = _clean_series(values)
    if base_year is not None:
        s = s[s.index >= base_year]
    if target is None and method == "unsd":
        raise WorkbenchError("method='unsd' needs a target value; use method='opensdg' for "
                             "indicators without a target",
                             "UNSD 方法需要目标值；无目标的指标请用 method='opensdg'")
    if len(s) and target_year <= s.index[0]:
        raise WorkbenchError(f"target_year {target_year} is not after the base year "
                             f"{s.index[0]}", f"目标年份 {target_year} 不晚于基期 {s.index[0]}")
    if len(s) and target_year < s.index[-1]:
        raise WorkbenchError(f"target_year {target_year} is before the latest value "
                             f"({s.index[-1]}); pass values up to {target_year}",
                             f"目标年份 {target_year} 早于最新数据年份 {s.index[-1]}；"
                             f"请只传入 {target_year} 年及以前的数值")
    n = len(s)
    by, bv = (int(s.index[0]), float(s.iloc[0])) if n else (None, np.nan)
    cy, cv = (int(s.index[-1]), float(s.iloc[-1])) if n else (None, np.nan)
    res = _assess_arrays(
        np.array([by or 0]), np.array([bv]), np.array([cy or 0]), np.array([cv]),
        np.array([n]), np.array([np.nan if target is None else float(target)]),
        np.array(["<=" if direction == "lower" else ">="], dtype=object),
        np.array([target_year]), method, np.array([scale == "logit"]),
        np.array([bounds[0]]), np.array([bounds[1]]),
        np.array([np.nan if limit is None else float(limit)]))
    notes += [res["note"][0]] if res["note"][0] else []
    if target is not None and _wrong_side(bv, float(target), direction):
        notes.append(f"the base value {bv:g} already meets the target {target:g}")
    return Progress(method, float(res["ratio"][0]), str(res["status"][0]),
                    float(res["score"][0]), float(res["projected"][0]), by, bv, cy, cv,
                    None if target is None else float(target), int(target_year), direction,
                    tuple(notes))


def _wrong_side(base: float, target: float, direction: str) -> bool:
    return bool(base <= target) if direction == "lower" else bool(base >= target)


def _assess_arrays(by: np.ndarray, bv: np.ndarray, cy: np.ndarray, cv: np.ndarray,
                   n: np.ndarray, target: np.ndarray, op: np.ndarray, ty: np.ndarray,
                   method: str, logit: np.ndarray, lo: np.ndarray, hi: np.ndarray,
                   limit: np.ndarray) -> dict[str, np.ndarray]:
    """Both methods over arrays of series; the one code path behind every assessment."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return _assess_arrays_raw(by, bv, cy, cv, n, target, op, ty, method, logit, lo, hi,
                                  limit)


def _assess_arrays_raw(by: np.ndarray, bv: np.ndarray, cy: np.ndarray, cv: np.ndarray,
                       n: np.ndarray, target: np.ndarray, op: np.ndarray, ty: np.ndarray,
                       method: str, logit: np.ndarray, lo: np.ndarray, hi: np.ndarray,
                       limit: np.ndarray) -> dict[str, np.ndarray]:
    d = np.where(op == "<=", -1.0, 1.0)
    has_target = np.isfinite(target)
    tgt = np.where(target == 0, 0.001, target)          # sdg-build config_defaults
    hit = np.where(has_target, core.achieved(cv, op, target), 0.0)
    sign = np.where(bv < 0, -1.0, 1.0)
    obs = core.cagr(cv, bv, cy, by)
    req = core.cagr(tgt, bv, ty, by)
    coeff = np.where(has_target, 1.0, core.limit_coefficient(bv, limit))
    high, med, low = (np.where(has_target, a, b * coeff) for a, b in
                      zip(core.OPENSDG_THRESHOLDS, core.OPENSDG_NO_TARGET_THRESHOLDS,
                          strict=True))
    ratio_os = np.where(has_target, sign * d * obs / np.abs(req), sign * d * obs)
    in_bounds = (bv > lo) & (bv < hi) & (cv > lo) & (cv < hi)
    use_logit = logit & in_bounds
    proj = np.where(use_logit, core.project(bv, cv, by, cy, ty, "logit", lo, hi),
                    core.project(bv, cv, by, cy, ty, "ratio"))
    with np.errstate(divide="ignore", invalid="ignore"):
        x = (proj - bv) / (target - bv)
    few = n < 2
    problem = np.select(
        [few, bv == 0, (cv / np.where(bv == 0, 1, bv)) < 0,
         has_target & ((tgt / np.where(bv == 0, 1, bv)) < 0), has_target & (tgt == bv)],
        ["fewer than two years with a value", "the base value is 0: growth rate undefined",
         "the values change sign: growth rate undefined",
         "target and base value have opposite signs: growth rate undefined",
         "the target equals the base value: required growth is 0"], "")
    if method == "opensdg":
        ratio = ratio_os
        status = core.opensdg_status(ratio, hit, high, med, low)
    else:
        ratio = x
        status = core.unsd_status(x, hit)
    score = core.opensdg_score(ratio_os, hit, has_target, coeff, high, med, low)
    bad = problem != ""
    fallback = logit & ~in_bounds & ~bad
    problem = np.where(fallback, "a value is on a bound of the logit scale: projected with the "
                       "CAGR", problem)
    status = np.where(few, "insufficient_data", np.where(bad & (hit != 1), "not_computable",
                                                         status))
    nan_if = bad & (hit != 1)
    bad &= ~fallback
    nan_if &= ~fallback
    return {"ratio": np.where(bad, np.nan, ratio), "status": status,
            "score": np.where(few, np.nan, np.where(hit == 1, 5.0, np.where(
                nan_if, np.nan, score))),
            "projected": np.where(bad, np.nan, proj), "achieved": hit, "note": problem}


def target_status(value: float | np.ndarray, op: str | np.ndarray,
                  target: float | np.ndarray) -> np.ndarray:
    """``achieved`` / ``not_achieved`` / ``no_target`` / ``no_data`` for values vs targets.

    Examples
    --------
    >>> target_status([5.9, 6.1, float("nan")], "<=", 6.0).tolist()
    ['achieved', 'not_achieved', 'no_data']
    """
    value = np.atleast_1d(np.asarray(value, float))
    op = np.broadcast_to(np.asarray(op, dtype=object), value.shape)
    target = np.broadcast_to(np.asarray(target, float), value.shape)
    unknown = set(op[(op != "") & pd.notna(op)]) - {"<=", ">=", "=="}
    if unknown:
        raise WorkbenchError(f"Unknown target operator(s) {sorted(unknown)}; valid: <=, >=, ==",
                             f"未知的目标运算符 {sorted(unknown)}；可选：<=、>=、==")
    hit = core.achieved(value, op, target)
    return np.select([~np.isfinite(target), ~np.isfinite(value), hit == 1],
                     ["no_target", "no_data", "achieved"], "not_achieved").astype(object)


# -- trend fits -------------------------------------------------------------------------------
def fit_trend(values: pd.Series | dict, years: Sequence[int] | None = None,
              method: str = "linear", level: float = 0.9, scale: str = "ratio",
              bounds: tuple[float, float] = (0.0, 100.0)) -> pd.DataFrame:
    """A straight-line trend with a prediction interval, for trend-to-target charts.

    ``linear`` is least squares with the textbook prediction interval
    ``t * s * sqrt(1 + 1/n + (x - xbar)^2 / Sxx)``; ``theilsen`` is the Theil-Sen line
    (``scipy.stats.theilslopes``) with the same interval formula around it (an
    approximation: Theil-Sen has no exact prediction interval).  ``scale="logit"`` fits on
    the logit scale of ``bounds`` and transforms back, so a band never leaves the bounds.

    Returns
    -------
    DataFrame
        ``year, fit, lower, upper, observed`` (``observed`` NaN for projected years).

    Examples
    --------
    >>> fit = fit_trend({2020: 1.0, 2021: 2.0, 2022: 3.0}, years=[2023])
    >>> fit["year"].tolist(), round(float(fit["fit"].iloc[-1]), 6)
    ([2020, 2021, 2022, 2023], 4.0)
    """
    _check_choice("method", method, TREND_METHODS)
    _check_choice("scale", scale, SCALES)
    s, _ = _clean_series(values)
    if len(s) < 3:
        raise WorkbenchError(f"a trend with a prediction interval needs at least 3 years, got "
                             f"{len(s)}", f"带预测区间的趋势至少需要 3 个年份，现有 {len(s)} 个")
    x, y = s.index.to_numpy(float), s.to_numpy(float)
    if scale == "logit":
        if ((y <= bounds[0]) | (y >= bounds[1])).any():
            raise WorkbenchError(f"logit scale needs values strictly inside {bounds}",
                                 f"logit 尺度要求数值严格位于 {bounds} 之内")
        y = core.logit(y, *bounds)
    if method == "linear":
        lr = stats.linregress(x, y)
        slope, intercept = lr.slope, lr.intercept
    else:
        slope, intercept, _, _ = stats.theilslopes(y, x)
    grid = np.union1d(x, np.asarray(years if years is not None else [], float))
    resid = y - (intercept + slope * x)
    dof = len(x) - 2
    s_e = np.sqrt(resid @ resid / dof) if dof > 0 else np.nan
    sxx = ((x - x.mean()) ** 2).sum()
    half = stats.t.ppf(0.5 + level / 2, dof) * s_e * np.sqrt(1 + 1 / len(x)
                                                              + (grid - x.mean()) ** 2 / sxx)
    fit = intercept + slope * grid
    lower, upper = fit - half, fit + half
    if scale == "logit":
        fit, lower, upper = (core.expit(a, *bounds) for a in (fit, lower, upper))
    return pd.DataFrame({"year": grid.astype(int), "fit": fit, "lower": lower, "upper": upper,
                         "observed": s.reindex(grid.astype(int)).to_numpy()})


# -- many series from the database ---------------------------------------------------------------
def _wide(obs: pd.DataFrame, year: int) -> pd.DataFrame:
    need = {*KEYS, "year", "value"}
    missing = need - set(obs.columns)
    if missing:
        raise WorkbenchError(f"observations lack column(s) {sorted(missing)}",
                             f"观测数据缺少列 {sorted(missing)}")
    o = obs[pd.to_numeric(obs["year"]) <= year]
    if o["value"].notna().sum() == 0:
        raise WorkbenchError(f"no observation with a value up to {year} to assess",
                             f"{year} 年及以前没有可评估的观测值")
    return o.pivot_table(index=KEYS, columns="year", values="value", aggfunc="first",
                         dropna=False).dropna(how="all")


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
    t = cat.table.reindex(codes)
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
           method: str = "opensdg") -> pd.DataFrame:
    """Assess every series (indicator x region x breakdown) in ``obs`` up to ``year``.

    Indicators with a ``<=``/``>=`` target use ``method``; those without a target use
    Open SDG's no-target method (natural limit = the top of the unit's range when higher is
    better); binary ones (``==``) are achieved or not.  When an indicator has no target for
    ``target_year`` the other year's target is used (``target_year`` column says which).
    Percentages are projected on the logit scale.

    Returns
    -------
    DataFrame
        One row per series: keys, ``n_points, base_year, base_value, latest_year,
        latest_value, target_op, target, target_prov, target_year, ratio, status, score,
        projected, group, note, domain, responsible_unit``.

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
    catalogue.check_codes(obs["indicator"].unique())
    wide = _wide(obs, year)
    out = wide.index.to_frame(index=False)
    ends = _ends(wide)
    out = out.assign(**ends)
    t = _targets(catalogue, pd.Index(out["indicator"]), target_year).reset_index(drop=True)
    binary = t["target_op"].to_numpy() == "=="
    numeric = np.isin(t["target_op"].to_numpy(), ["<=", ">="])
    op = np.where(numeric, t["target_op"], np.where(t["direction"] == "lower", "<=", ">="))
    target = np.where(numeric, t["target"], np.nan)
    res = _assess_arrays(
        out["base_year"].to_numpy(), out["base_value"].to_numpy(float),
        out["latest_year"].to_numpy(), out["latest_value"].to_numpy(float),
        out["n_points"].to_numpy(), target, op.astype(object),
        np.maximum(t["target_year"].to_numpy(), out["latest_year"].to_numpy()), method,
        (t["unit"] == "percent").to_numpy(), np.zeros(len(out)),
        np.full(len(out), 100.0), t["limit"].to_numpy(float))
    status = np.where(binary, np.where(core.achieved(out["latest_value"], "==", t["target"]) == 1,
                                       "target_achieved", "not_achieved"), res["status"])
    out = out.assign(
        target_op=t["target_op"].to_numpy(), target=t["target"].to_numpy(),
        target_prov=t["target_prov"].to_numpy(), target_year=t["target_year"].to_numpy(),
        direction=t["direction"].to_numpy(), ratio=np.where(binary, np.nan, res["ratio"]),
        status=status,
        score=np.where(binary, np.where(status == "target_achieved", 5.0, np.nan), res["score"]),
        projected=np.where(binary, np.nan, res["projected"]),
        note=np.where(binary, "", res["note"]), domain=t["domain"].to_numpy(),
        responsible_unit=t["responsible_unit"].to_numpy())
    out["group"] = out["status"].map(_GROUP_OF).fillna("no_data")
    # sdg-build's no-target score decides between improving and worsening
    no_target = ~numeric & ~binary
    out.loc[no_target & (out["status"] == "substantial_progress"), "group"] = "on_track"
    return out


# -- early warning ------------------------------------------------------------------------------
def _pooled(obs: pd.DataFrame, cat: Catalogue, year: int) -> pd.DataFrame:
    """Pooled last ``_POOL_YEARS`` years of numerator/denominator with exact intervals."""
    o = obs[(obs["year"] <= year) & (obs["year"] > year - _POOL_YEARS)]
    o = o[o[["numerator", "denominator"]].notna().all(axis=1)]
    g = o.groupby(KEYS, observed=True)[["numerator", "denominator"]].sum()
    latest = obs[obs["year"] == year].set_index(KEYS)["numerator"]
    g["latest_events"] = latest.reindex(g.index)
    units = cat.table["unit"].reindex(g.index.get_level_values("indicator")).to_numpy()
    scale = np.array([UNIT_SCALE[u] for u in units], float)
    binomial = units == "percent"
    lo, hi = core.exact_rate_interval(g["numerator"], g["denominator"], binomial)
    return g.assign(pooled=g["numerator"] / g["denominator"] * scale, ci_low=lo * scale,
                    ci_high=hi * scale)


def _breakdown(o: pd.DataFrame) -> pd.Series:
    """The dimension a row is broken down by ("total" for an undisaggregated row)."""
    dims = o[list(DIMENSIONS)] != "total"
    return pd.Series(np.where(dims.any(axis=1), dims.idxmax(axis=1), "total"), index=o.index)


def _yoy(obs: pd.DataFrame, year: int) -> pd.DataFrame:
    """Latest annual change against the series' and indicator's earlier changes."""
    o = obs[obs["year"] <= year].sort_values("year")
    o = o.assign(change=o.groupby(KEYS, observed=True)["value"].diff()
                 / o.groupby(KEYS, observed=True)["year"].diff())
    hist = o[o["year"] < year].dropna(subset=["change"])
    centre = hist.groupby(KEYS, observed=True)["change"].median()
    spread = (hist["change"] - centre.reindex(pd.MultiIndex.from_frame(hist[KEYS])).to_numpy())
    # breakdown cells are noisier than totals: one spread per indicator and breakdown
    by = spread.abs().groupby([hist["indicator"], _breakdown(hist)])
    # Iglewicz-Hoaglin: 1.4826 MAD, or 1.2533 x mean absolute deviation where the MAD is 0
    mad = by.median() * 1.4826
    mad = mad.where(mad > 0, by.mean() * 1.2533)
    cur = o[o["year"] == year].dropna(subset=["change"])
    last = cur.set_index(KEYS)["change"]
    scale = mad.reindex(pd.MultiIndex.from_arrays([cur["indicator"], _breakdown(cur)]))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (last - centre.reindex(last.index)) / scale.to_numpy()
    return pd.DataFrame({"change": last, "usual_change": centre.reindex(last.index), "z": z})


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
    frames = []
    a30 = assess(obs, catalogue, year, 2030, "unsd")
    os30 = assess(obs, catalogue, year, 2030, "opensdg")
    a25 = assess(obs, catalogue, min(year, 2025), 2025, "unsd")
    pool = _pooled(obs, catalogue, year)
    for a, kind, bad in _target_checks(a25, a30, os30):
        frames.append(a[bad].assign(kind=kind))
    w = pd.concat(frames, ignore_index=True) if frames else a30.iloc[:0].assign(kind="")
    w = _guard(w, pool)
    yo = _yoy(obs, year)
    unusual = yo[yo["z"].abs() > _ROBUST_Z].reset_index()
    unusual = _guard_yoy(unusual, obs, pool, year)
    few = a30[a30["n_points"] < _MIN_POINTS].assign(kind="too_few_points")
    cols = [*KEYS, "kind", "n_points", "latest_year", "latest_value", "base_year", "base_value",
            "target_op", "target", "target_prov", "target_year", "projected", "ratio",
            "change", "usual_change", "z", "small_numbers", "pooled", "ci_low", "ci_high",
            "responsible_unit"]
    info = a30.set_index(KEYS)
    unusual = unusual.join(info[["n_points", "latest_year", "latest_value",
                                 "responsible_unit"]], on=KEYS)
    out = pd.concat([w, unusual.assign(kind="unusual_change"), few], ignore_index=True)
    out = out.reindex(columns=cols)
    out["year"] = year
    out["kind_label"] = out["kind"].map(lambda k: status_label(k, lang))
    out["reason"] = _reasons(out, lang)
    order = {k: i for i, k in enumerate(WARNING_KINDS)}
    out = out.sort_values(["indicator", "region", *DIMENSIONS, "kind"],
                          key=lambda c: c.map(order) if c.name == "kind" else c)
    return out.reset_index(drop=True)[["year", *cols[:3], *cols[3:6], "kind_label", "reason",
                                       *cols[6:]]]


def _target_checks(a25: pd.DataFrame, a30: pd.DataFrame, os30: pd.DataFrame,
                   ) -> list[tuple[pd.DataFrame, str, pd.Series]]:
    numeric25 = a25["target_op"].isin(["<=", ">="]) & (a25["target_year"] == 2025)
    numeric30 = a30["target_op"].isin(["<=", ">="]) & (a30["target_year"] == 2030)
    miss25 = numeric25 & (a25["status"] != "target_achieved") & (a25["n_points"] >= 2)
    hit30 = core.achieved(a30["projected"], a30["target_op"], a30["target"]) == 1
    miss30 = numeric30 & (a30["status"] != "target_achieved") & ~hit30 \
        & a30["projected"].notna()
    hit25 = core.achieved(a25["projected"], a25["target_op"], a25["target"]) == 1
    checks = [(a30, "projected_miss_2030", miss30),
              (os30, "off_path", numeric30 & (os30["ratio"] < core.OPENSDG_THRESHOLDS[1])
               & (os30["status"] != "target_achieved"))]
    # judged on the 2025 value where there is one, else on its projection
    checks.append((a25, "missed_2025", miss25 & (a25["latest_year"] == 2025)))
    checks.append((a25, "projected_miss_2025", miss25 & (a25["latest_year"] < 2025) & ~hit25
                   & a25["projected"].notna()))
    return checks


def _guard(w: pd.DataFrame, pool: pd.DataFrame) -> pd.DataFrame:
    p = pool.reindex(pd.MultiIndex.from_frame(w[KEYS]))
    small = (p["latest_events"] < _SMALL_COUNT).to_numpy()
    lower = w["target_op"].to_numpy() == "<="
    wrong_side = np.where(lower, p["ci_low"].to_numpy() > w["target"].to_numpy(),
                          p["ci_high"].to_numpy() < w["target"].to_numpy())
    keep = ~small | wrong_side
    w = w.assign(small_numbers=small, pooled=p["pooled"].to_numpy(),
                 ci_low=p["ci_low"].to_numpy(), ci_high=p["ci_high"].to_numpy())
    return w[keep]


def _guard_yoy(u: pd.DataFrame, obs: pd.DataFrame, pool: pd.DataFrame,
               year: int) -> pd.DataFrame:
    """Keep a small-count unusual change only if an exact test says the rate changed.

    The latest year's events are compared with the pooled previous years by the conditional
    binomial test of two Poisson rates (events of the latest year given the total, with
    probability its share of the exposure), two-sided at 5 %.
    """
    if u.empty:
        return u.assign(small_numbers=pd.Series(dtype=bool))
    idx = pd.MultiIndex.from_frame(u[KEYS])
    p = pool.reindex(idx)
    small = (p["latest_events"] < _SMALL_COUNT).to_numpy()
    counts = obs[["numerator", "denominator"]].notna().all(axis=1)
    o = obs[counts & (obs["year"] <= year) & (obs["year"] >= year - _POOL_YEARS)]
    now = o[o["year"] == year].set_index(KEYS)[["numerator", "denominator"]].reindex(idx)
    before = o[o["year"] < year].groupby(KEYS, observed=True)[
        ["numerator", "denominator"]].sum().reindex(idx)
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
    fmt = lambda x: "" if pd.isna(x) else f"{x:.4g}"  # noqa: E731
    tgt = w["target_op"].fillna("") + " " + w["target"].map(fmt) + \
        np.where(w["target_prov"] == "P", "*", "")
    latest = w["latest_value"].map(fmt) + " (" + w["latest_year"].map(fmt) + ")"
    proj = w["projected"].map(fmt)
    change = w["change"].map(fmt) + (" 常年 " if zh else " vs usual ") + \
        w["usual_change"].map(fmt)
    texts = {
        "projected_miss_2030": (f"{'预计2030年' if zh else 'projected 2030: '}" + proj
                                + (" 目标 " if zh else ", target ") + tgt),
        "projected_miss_2025": (f"{'预计2025年' if zh else 'projected 2025: '}" + proj
                                + (" 目标 " if zh else ", target ") + tgt),
        "missed_2025": (("最新 " if zh else "latest ") + latest + (" 目标 " if zh else
                                                                    ", target ") + tgt),
        "off_path": (("进展比 R=" if zh else "progress ratio R=") + w["ratio"].map(fmt)
                     + (" < 0.60，目标 " if zh else " < 0.60, target ") + tgt),
        "unusual_change": ("年变化 " if zh else "annual change ") + change,
        "too_few_points": ("有数据的年份数：" if zh else "years with data: ")
        + w["n_points"].map(fmt),
    }
    out = pd.Series("", index=w.index, dtype=object)
    for kind, text in texts.items():
        out = out.where(w["kind"] != kind, text)
    pooled = (("；合并近3年 " if zh else "; pooled 3 years ") + w["pooled"].map(fmt) + " ["
              + w["ci_low"].map(fmt) + ", " + w["ci_high"].map(fmt) + "]")
    return out.where(~w["small_numbers"].fillna(False).astype(bool), out + pooled)


# -- evaluation summaries, regional comparison, data gaps ---------------------------------------
def evaluation_summary(assessment: pd.DataFrame, catalogue: Catalogue,
                       lang: str = "zh") -> pd.DataFrame:
    """Counts of indicator x region series by domain and traffic-light group.

    Every catalogue indicator counts: one without any series in ``assessment`` adds one
    ``no_data`` row per region assessed.  ``monitorable`` is the share of the domain's
    indicators with at least one assessable series (as monitoring reports present it).

    Examples
    --------
    >>> from workbench.catalogue import load_catalogue
    >>> from workbench.database import connect
    >>> cat = load_catalogue()
    >>> with connect() as db:
    ...     obs = db.observations(regions=["210102"])
    >>> evaluation_summary(assess(obs, cat), cat, "en").columns[:2].tolist()
    ['domain', 'Domain']
    """
    zh = check_lang(lang) == "zh"
    a = assessment[(assessment[list(DIMENSIONS)] == "total").all(axis=1)]
    regions = max(a["region"].nunique(), 1)
    t = catalogue.table
    absent = t.index.difference(a["indicator"].unique())
    gaps = pd.DataFrame({"indicator": absent, "domain": t.loc[absent, "domain"].to_numpy(),
                         "group": "no_data", "n": regions})
    rows = pd.concat([a.assign(n=1)[["indicator", "domain", "group", "n"]], gaps])
    counts = rows.pivot_table(index="domain", columns="group", values="n", aggfunc="sum",
                              fill_value=0).reindex(columns=list(STATUS_GROUPS), fill_value=0)
    counts = counts.reindex([d for d in t["domain"].unique()], fill_value=0)
    assessable = a[a["group"] != "no_data"].groupby("domain")["indicator"].nunique()
    n_ind = t.groupby("domain").size().reindex(counts.index)
    out = counts.rename(columns=lambda g: status_label(g, lang))
    out.insert(0, "指标数" if zh else "Indicators", n_ind.to_numpy())
    out["可监测比例" if zh else "Monitorable"] = (
        assessable.reindex(counts.index, fill_value=0) / n_ind).round(3).to_numpy()
    out = out.reset_index()
    out.insert(1, "领域" if zh else "Domain",
               out["domain"].map(lambda d: _domain_name(catalogue, d, lang)))
    total = out.select_dtypes("number").sum()
    total["可监测比例" if zh else "Monitorable"] = round(
        assessable.sum() / n_ind.sum(), 3) if n_ind.sum() else np.nan
    out = pd.concat([out, pd.DataFrame([{"domain": "all", out.columns[1]:
                                         "合计" if zh else "All", **total}])],
                    ignore_index=True)
    counts_cols = out.columns[2:-1]
    out[counts_cols] = out[counts_cols].astype(int)
    out.columns.name = None
    return out


def _domain_name(cat: Catalogue, domain: str, lang: str) -> str:
    from ..foundation.catalogue import load_domains

    names = load_domains().set_index("code")
    if domain not in names.index:
        return domain
    return str(names.loc[domain, "name_zh" if check_lang(lang) == "zh" else "name_en"])


def latest_by_region(obs: pd.DataFrame, catalogue: Catalogue, indicators: Sequence[str],
                     year: int = 2025) -> pd.DataFrame:
    """Latest total value (up to ``year``) by region with a rank, 1 = best for the direction.

    Examples
    --------
    >>> from workbench.catalogue import load_catalogue
    >>> from workbench.database import connect
    >>> with connect() as db:
    ...     obs = db.observations(indicators=["H03"])
    >>> int(latest_by_region(obs, load_catalogue(), ["H03"])["rank"].min())
    1
    """
    catalogue.check_codes(indicators)
    o = obs[obs["indicator"].isin(indicators) & (obs["year"] <= year)]
    o = o[(o[list(DIMENSIONS)] == "total").all(axis=1)].sort_values("year")
    last = o.groupby(["indicator", "region"], observed=True).tail(1)
    lower = catalogue.table["direction"].reindex(last["indicator"]).to_numpy() == "lower"
    key = np.where(lower, last["value"], -last["value"])
    rank = pd.Series(key, index=last.index).groupby(last["indicator"]).rank(method="min")
    return last.assign(rank=rank)[["indicator", "region", "year", "value", "imputed",
                                   "provisional", "rank"]].reset_index(drop=True)


def data_gaps(obs: pd.DataFrame, catalogue: Catalogue, domain: str | None = None,
              regions: Sequence[str] | None = None, year: int = 2025) -> pd.DataFrame:
    """Per indicator: regions and years with any value, and whether the indicator has none.

    Examples
    --------
    >>> from workbench.catalogue import load_catalogue
    >>> from workbench.database import connect
    >>> with connect() as db:
    ...     obs = db.observations(breakdown="total")
    >>> gaps = data_gaps(obs, load_catalogue(), "health")
    >>> gaps.loc[gaps["no_data"], "indicator"].tolist()
    ['H09', 'H16']
    """
    t = catalogue.table if domain is None else catalogue.in_domain(domain)
    codes = list(t.index)
    o = obs[obs["indicator"].isin(codes) & (obs["year"] <= year)]
    if regions is not None:
        o = o[o["region"].isin(regions)]
    g = o.groupby("indicator")
    out = pd.DataFrame({"n_regions": g["region"].nunique(), "n_years": g["year"].nunique(),
                        "first_year": g["year"].min(), "last_year": g["year"].max()})
    out = out.reindex(codes)
    out[["n_regions", "n_years"]] = out[["n_regions", "n_years"]].fillna(0).astype(int)
    out["no_data"] = out["n_years"] == 0
    out.index.name = "indicator"
    return out.reset_index()



# -- presentation helpers for the notebooks -----------------------------------------------------
def totals(frame: pd.DataFrame) -> pd.DataFrame:
    """The undisaggregated rows (every breakdown dimension ``total``) of a tidy frame.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"sex": ["total", "male"], "age_group": "total",
    ...                    "residence": "total", "hukou": "total"})
    >>> len(totals(df))
    1
    """
    return frame[(frame[list(DIMENSIONS)] == "total").all(axis=1)]


def evaluation_target_year(evaluation: str) -> int:
    """The target year an evaluation type judges against (annual/final 2030, midterm 2025).

    Examples
    --------
    >>> evaluation_target_year("midterm")
    2025
    """
    _check_choice("evaluation", evaluation, tuple(EVALUATIONS))
    return EVALUATIONS[evaluation]


def select_regions(regions: Sequence[str], known: Regions) -> list[str]:
    """District codes for a ``regions`` parameter: ``["all"]`` or a list of codes.

    Examples
    --------
    >>> from workbench.regions import load_regions
    >>> len(select_regions(["all"], load_regions()))
    13
    """
    districts = known.at_level("district")["code"].tolist()
    if list(regions) == ["all"]:
        return districts
    other = [str(r) for r in regions if r not in districts]
    if other or not list(regions):
        raise WorkbenchError(f"regions must be district codes or ['all']; not districts: "
                             f"{', '.join(other) or '(empty list)'}; valid: "
                             f"{choices_text(districts)}",
                             f"regions 必须是区县代码或 ['all']；以下不是区县：{'、'.join(other)}；"
                             f"可选：{choices_text(districts)}")
    return list(regions)


def _dims_label(frame: pd.DataFrame, lang: str) -> pd.Series:
    parts = [frame[d].map(lambda v, d=d: "" if v == "total" else label(d, v, lang))
             for d in DIMENSIONS]
    text = parts[0].str.cat(parts[1:], sep=" ").str.strip().str.replace(r"\s+", " ", regex=True)
    return text.where(text != "", label("text", "total", lang))


def _unit_names(lang: str) -> pd.Series:
    from ..foundation.catalogue import load_units

    u = load_units().set_index("code")
    return u["name_zh" if check_lang(lang) == "zh" else "name_en"]


def _target_text(frame: pd.DataFrame) -> pd.Series:
    val = frame["target"].map(lambda v: "" if pd.isna(v) else f"{v:g}")
    star = np.where(frame["target_prov"] == "P", "*", "")
    text = frame["target_op"].fillna("") + " " + val + star
    return text.where(frame["target_op"].fillna("") != "", "—")


def format_status(assessment: pd.DataFrame, catalogue: Catalogue, names: pd.Series,
                  lang: str = "zh") -> pd.DataFrame:
    """A readable status table (one row per series) from :func:`assess`, in ``lang``."""
    zh = check_lang(lang) == "zh"
    a = assessment
    ind = catalogue.table.reindex(a["indicator"])
    col = {k: label("column", k, lang) for k in ("code", "name", "region", "year", "value")}
    return pd.DataFrame({
        col["code"]: a["indicator"].to_numpy(),
        col["name"]: ind["name_zh" if zh else "name_en"].to_numpy(),
        col["region"]: a["region"].map(names).fillna(a["region"]).to_numpy(),
        ("分组" if zh else "Group"): _dims_label(a, lang).to_numpy(),
        col["year"]: a["latest_year"].to_numpy(),
        col["value"]: a["latest_value"].round(2).to_numpy(),
        ("目标" if zh else "Target"): (_target_text(a) + " (" + a["target_year"].astype(str)
                                       + ")").to_numpy(),
        ("状态" if zh else "Status"): a["status"].map(lambda v: status_label(v, lang)).to_numpy(),
        ("进展比" if zh else "Ratio"): a["ratio"].round(3).to_numpy(),
        ("得分" if zh else "Score"): a["score"].round(2).to_numpy(),
        ("预计值" if zh else "Projected"): a["projected"].round(2).to_numpy(),
        ("说明" if zh else "Note"): a["note"].to_numpy(),
    })


def format_warnings(warnings: pd.DataFrame, catalogue: Catalogue, names: pd.Series,
                    lang: str = "zh") -> pd.DataFrame:
    """The warning list from :func:`early_warnings` as a readable table in ``lang``."""
    zh = check_lang(lang) == "zh"
    w = warnings
    ind = catalogue.table.reindex(w["indicator"])
    return pd.DataFrame({
        label("column", "code", lang): w["indicator"].to_numpy(),
        label("column", "name", lang): ind["name_zh" if zh else "name_en"].to_numpy(),
        label("column", "region", lang): w["region"].map(names).fillna(w["region"]).to_numpy(),
        ("分组" if zh else "Group"): _dims_label(w, lang).to_numpy(),
        ("预警类型" if zh else "Warning"): w["kind_label"].to_numpy(),
        ("依据" if zh else "Evidence"): w["reason"].to_numpy(),
        label("column", "responsible_unit", lang):
            w["responsible_unit"].map(_unit_names(lang)).fillna(w["responsible_unit"]).to_numpy(),
    })


def format_districts(latest: pd.DataFrame, names: pd.Series, region: str,
                     lang: str = "zh") -> pd.DataFrame:
    """Latest values (:func:`latest_by_region`) as indicators x districts, plus the focus
    region's rank in the last column."""
    wide = latest.pivot(index="indicator", columns="region", values="value").round(2)
    wide = wide.rename(columns=names)
    rank_label = ("本区排名" if check_lang(lang) == "zh" else "Rank of ") + names[region]
    wide[rank_label] = latest[latest["region"] == region].set_index("indicator")["rank"]
    return wide.reset_index()


def format_gaps(gaps: pd.DataFrame, catalogue: Catalogue, lang: str = "zh") -> pd.DataFrame:
    """The table of :func:`data_gaps` with indicator names and headers in ``lang``."""
    zh = check_lang(lang) == "zh"
    out = gaps.copy()
    out.insert(1, "name", catalogue.table.loc[out["indicator"], "name_" + lang].to_numpy())
    return out.rename(columns={"n_regions": "有数据的地区数" if zh else "Regions with data",
                               "n_years": "有数据的年份数" if zh else "Years with data",
                               "no_data": "无数据" if zh else "No data"})


def warning_counts(warnings: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """Number of warnings by kind (all series and undisaggregated series only)."""
    zh = check_lang(lang) == "zh"
    total = (warnings[list(DIMENSIONS)] == "total").all(axis=1)
    kinds = [k for k in WARNING_KINDS if k in set(warnings["kind"])]
    out = pd.DataFrame({
        ("预警类型" if zh else "Warning"): [status_label(k, lang) for k in kinds],
        ("全部序列" if zh else "All series"):
            warnings["kind"].value_counts().reindex(kinds).to_numpy(),
        ("合计行" if zh else "Totals only"):
            warnings.loc[total, "kind"].value_counts().reindex(kinds, fill_value=0).to_numpy(),
    })
    return out


from ._charts import status_heatmap, trend_to_target_chart  # noqa: E402
