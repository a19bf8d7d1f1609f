"""Progress of one series towards a target: Open SDG and UNSD methods, target status, trend fits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from ..foundation.errors import WorkbenchError
from . import _core as core
from ._labels import (
    _GROUP_OF,
    METHODS,
    SCALES,
    TREND_METHODS,
    _check_choice,
)
from ._measures import NO_TARGET_RULES
from ._measures import assess_arrays as _assess_arrays


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
                    bounds: tuple[float, float] = (0.0, 100.0), no_target: str = "opensdg",
                    within_one_point: bool = False) -> Progress:
    """Progress of one series towards a target, by Open SDG's, UNSD's or ESCAP's method.

    Parameters
    ----------
    values : Series
        Values indexed by year (NaN years are ignored and noted).
    target : float, optional
        The target value; None (or NaN) for the no-target method (see ``no_target``).
    direction : {"lower", "higher"}
        Which way is better.
    target_year : int
        Year the target is due; must be after the base year and not before the latest value.
    method : {"opensdg", "unsd", "escap"}
        ``ratio`` is Open SDG's R, UNSD's X or ESCAP's anticipated progress; ``status``
        the method's category (decisions where the references are silent:
        :mod:`workbench.monitor._measures`).
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
    _check_choice("no_target", no_target, NO_TARGET_RULES)
    target = _check_number("target", target)
    limit = _check_number("limit", limit)
    _check_options(target_year, bounds)
    s, notes = _clean_series(values)
    if base_year is not None:
        s = s[s.index >= base_year]
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
        np.array([np.nan if limit is None else float(limit)]), no_target, within_one_point,
        np.array([within_one_point]))
    notes += [res["note"][0]] if res["note"][0] else []
    if target is not None and _wrong_side(bv, float(target), direction):
        notes.append(f"the base value {bv:g} already meets the target {target:g}")
    return Progress(method, float(res["ratio"][0]), str(res["status"][0]),
                    float(res["score"][0]), float(res["projected"][0]), by, bv, cy, cv,
                    None if target is None else float(target), int(target_year), direction,
                    tuple(notes))


def _check_number(name: str, value: float | None) -> float | None:
    """A finite number or None; NaN means "none" (as a missing target in a table)."""
    if value is None:
        return None
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise WorkbenchError(f"{name} must be a number or None, got {value!r}",
                             f"{name} 必须是数字或 None，实际为 {value!r}") from None
    if np.isnan(v):
        return None
    if not np.isfinite(v):
        raise WorkbenchError(f"{name} must be finite, got {value!r}",
                             f"{name} 必须是有限数值，实际为 {value!r}")
    return v


def _check_options(target_year: object, bounds: tuple[float, float]) -> None:
    whole = isinstance(target_year, int | float | np.integer | np.floating) and \
        not isinstance(target_year, bool) and float(target_year).is_integer()
    if not whole:
        raise WorkbenchError(f"target_year must be a whole year, got {target_year!r}",
                             f"target_year 必须是整数年份，实际为 {target_year!r}")
    if len(bounds) != 2 or not np.all(np.isfinite(bounds)) or not bounds[0] < bounds[1]:
        raise WorkbenchError(f"bounds must be (lower, upper) with lower < upper, got "
                             f"{bounds!r}", f"bounds 必须为 (下限, 上限) 且下限小于上限，"
                             f"实际为 {bounds!r}")


def _wrong_side(base: float, target: float, direction: str) -> bool:
    return bool(base <= target) if direction == "lower" else bool(base >= target)


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

