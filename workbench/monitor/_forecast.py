"""Forecasts with prediction intervals and the probability of meeting a target.

Three trend models, each with its own prediction interval:

* ``linear``: least squares on the values, interval ``t * s * sqrt(1 + 1/n + (x - xbar)^2/Sxx)``;
* ``loglinear``: the same on log values (constant growth, the statistical counterpart of the
  CAGR projection), transformed back (a median forecast with an asymmetric interval); for
  percentages the logit scale of 0-100 is used instead, so a band never leaves 0-100;
* ``ets``: statsmodels' additive-trend exponential smoothing (``ETSModel``, error "add",
  trend "add"), interval from 2,000 seeded simulated future paths; only for series of at
  least :data:`ETS_MIN_POINTS` years, since with fewer its four parameters are not estimable.

``method="auto"`` picks the model with the smallest mean absolute one-step-ahead error over
rolling origins (each fit uses only the years before the one predicted) and reports the
errors, so the choice is checked on the series itself.  The probability of meeting the
target is the predictive probability of the same model (Student t for the regressions, the
simulated paths for ETS).  Coverage of the intervals on simulated series with known truth
is tested in ``tests/test_monitor_forecast.py``: 90 % intervals of the regressions cover
0.896, 0.906 and 0.894 under their own model (10,000 log-linear, 10,000 logit and 1,000
linear simulated series); ETS covers only 0.68 on 100 simulated 20-year
local-linear-trend series (the straight line 0.56 on the same series), because its
intervals ignore the uncertainty of its estimated parameters: read an ETS band as a lower
bound of the uncertainty.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ..foundation.errors import WorkbenchError
from . import _core as core
from ._labels import _check_choice

FORECAST_METHODS = ("auto", "linear", "loglinear", "ets")
ETS_MIN_POINTS = 10
_ETS_PATHS = 2000


def _transform(y: np.ndarray, percent: bool) -> tuple[np.ndarray, str]:
    if percent and ((y > 0) & (y < 100)).all():
        return core.logit(y, 0.0, 100.0), "logit"
    if (y > 0).all():
        return np.log(y), "log"
    return y, "identity"


def _back(v: np.ndarray, scale: str) -> np.ndarray:
    if scale == "logit":
        return core.expit(v, 0.0, 100.0)
    return np.exp(v) if scale == "log" else v


def _regression(x: np.ndarray, y: np.ndarray, grid: np.ndarray, level: float,
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
    """OLS fit at ``grid`` with the prediction half-width and the predictive scale."""
    n = len(x)
    lr = stats.linregress(x, y)
    resid = y - (lr.intercept + lr.slope * x)
    s = np.sqrt(resid @ resid / (n - 2))
    sxx = ((x - x.mean()) ** 2).sum()
    se = s * np.sqrt(1 + 1 / n + (grid - x.mean()) ** 2 / sxx)
    fit = lr.intercept + lr.slope * grid
    return fit, stats.t.ppf(0.5 + level / 2, n - 2) * se, se, fit, n - 2


def _ets_paths(y: np.ndarray, steps: int, seed: int) -> np.ndarray:
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    res = ETSModel(y, error="add", trend="add").fit(disp=False)
    sims = res.simulate(steps, repetitions=_ETS_PATHS, anchor="end",
                        rng=np.random.default_rng(seed))
    return np.asarray(sims).reshape(steps, _ETS_PATHS)


def _one(method: str, x: np.ndarray, y: np.ndarray, grid: np.ndarray, level: float,
         percent: bool, seed: int) -> dict[str, np.ndarray]:
    if method == "ets":
        ahead = grid[grid > x[-1]]
        paths = _ets_paths(y, int(ahead.max() - x[-1]), seed)[(ahead - x[-1] - 1).astype(int)]
        a = (1 - level) / 2
        return {"fit": np.median(paths, axis=1), "lower": np.quantile(paths, a, axis=1),
                "upper": np.quantile(paths, 1 - a, axis=1), "paths": paths, "years": ahead}
    yt, scale = _transform(y, percent) if method == "loglinear" else (y, "identity")
    fit, half, se, _, dof = _regression(x, yt, grid, level)
    return {"fit": _back(fit, scale), "lower": _back(fit - half, scale),
            "upper": _back(fit + half, scale), "centre": fit, "se": se, "dof": dof,
            "scale": scale, "years": grid}


def _candidates(y: np.ndarray, percent: bool) -> list[str]:
    out = ["linear"]
    if _transform(y, percent)[1] != "identity":
        out.append("loglinear")
    if len(y) >= ETS_MIN_POINTS:
        out.append("ets")
    return out


def _backtest(method: str, x: np.ndarray, y: np.ndarray, percent: bool, seed: int) -> float:
    """Mean absolute one-step-ahead error over rolling origins (fits on earlier years only)."""
    start = ETS_MIN_POINTS if method == "ets" else 3
    errors = [abs(_one(method, x[:k], y[:k], x[k:k + 1], 0.9, percent, seed)["fit"][0] - y[k])
              for k in range(start, len(y))]   # one fit per origin: a handful of years
    return float(np.mean(errors)) if errors else np.nan


def forecast(values: pd.Series | dict, target_year: int = 2030, method: str = "auto",
             level: float = 0.9, target: float | None = None, direction: str = "lower",
             percent: bool = False, seed: int = 20240601) -> pd.DataFrame:
    """Forecast a yearly series to ``target_year`` with a prediction interval.

    Returns
    -------
    DataFrame
        ``year, fit, lower, upper`` for the forecast years; ``attrs`` hold ``method`` (the
        model used), ``backtest`` (with ``method="auto"``: mean absolute one-step errors of
        each candidate, the basis of the choice) and ``p_target``, the probability that the
        ``target_year`` value meets ``target`` (NaN without a target).

    Examples
    --------
    >>> f = forecast({2020: 10.0, 2021: 9.6, 2022: 9.1, 2023: 8.9, 2024: 8.4}, 2030,
    ...              method="linear", target=6.0, direction="lower")
    >>> f["year"].tolist()[-1], round(float(f["fit"].iloc[-1]), 2), f.attrs["method"]
    (2030, 6.08, 'linear')
    >>> 0.3 < f.attrs["p_target"] < 0.5
    True
    """
    from ._progress import _check_number, _clean_series

    _check_choice("method", method, FORECAST_METHODS)
    _check_choice("direction", direction, ("higher", "lower"))
    if not 0 < level < 1:
        raise WorkbenchError(f"level must be between 0 and 1, got {level}",
                             f"level 必须在 0 和 1 之间，实际为 {level}")
    target = _check_number("target", target)
    s, _ = _clean_series(values)
    if len(s) < 3:
        raise WorkbenchError(f"a forecast with a prediction interval needs at least 3 years, "
                             f"got {len(s)}",
                             f"带预测区间的预测至少需要 3 个年份，现有 {len(s)} 个")
    x, y = s.index.to_numpy(float), s.to_numpy(float)
    if target_year <= x[-1]:
        raise WorkbenchError(f"target_year {target_year} is not after the latest year "
                             f"{int(x[-1])}", f"目标年份 {target_year} 不晚于最新年份 {int(x[-1])}")
    cands = _candidates(y, percent)
    if method != "auto" and method not in cands:
        raise WorkbenchError(f"method {method!r} does not apply to this series (usable: "
                             f"{', '.join(cands)}; ets needs {ETS_MIN_POINTS} years, "
                             "loglinear positive values)",
                             f"方法 {method!r} 不适用于该序列（可用：{'、'.join(cands)}）")
    # the check behind "auto"; a named method is used as asked, without the back-test
    backtest = {m: _backtest(m, x, y, percent, seed) for m in cands} if method == "auto" \
        else {}
    chosen = method if method != "auto" else min(
        cands, key=lambda m: (np.nan_to_num(backtest[m], nan=np.inf), cands.index(m)))
    grid = np.arange(x[-1] + 1, target_year + 1)
    res = _one(chosen, x, y, grid, level, percent, seed)
    out = pd.DataFrame({"year": grid.astype(int), "fit": res["fit"], "lower": res["lower"],
                        "upper": res["upper"]})
    out.attrs.update(method=chosen, backtest=backtest, level=level,
                     p_target=_p_target(res, target, direction))
    return out


def _p_target(res: dict, target: float | None, direction: str) -> float:
    if target is None:
        return float("nan")
    if "paths" in res:
        last = res["paths"][-1]
        return float(np.mean(last <= target if direction == "lower" else last >= target))
    scale = res["scale"]
    if (scale == "log" and target <= 0) or (scale == "logit" and not 0 < target < 100):
        # the target lies outside the values the model can produce: 0 or 1 for certain
        below = target <= 0
        return float((direction == "lower") != below)
    t_target = {"log": np.log, "logit": lambda v: core.logit(v, 0.0, 100.0),
                "identity": lambda v: v}[scale](target)
    z = (t_target - res["centre"][-1]) / res["se"][-1]
    cdf = float(stats.t.cdf(z, res["dof"]))
    return cdf if direction == "lower" else 1 - cdf


def p_target_arrays(values: np.ndarray, years: np.ndarray, target: np.ndarray,
                    op: np.ndarray, target_year: np.ndarray, percent: np.ndarray,
                    ) -> np.ndarray:
    """Predictive probability of meeting the target, for many series at once.

    Each row of ``values`` (NaN where a year has no value) gets the ``loglinear`` model of
    :func:`forecast` (logit scale for percentages strictly inside 0-100, log scale for
    positive series, else linear), fitted by closed-form least squares over the row;
    NaN with fewer than 3 values or without a ``<=``/``>=`` target.
    """
    v = np.asarray(values, float)
    ok = np.isfinite(v)
    inside = np.where(ok, (v > 0) & (v < 100), True).all(axis=1)
    positive = np.where(ok, v > 0, True).all(axis=1)
    scale = np.where(percent & inside, 2, np.where(positive, 1, 0))    # logit, log, identity
    with np.errstate(divide="ignore", invalid="ignore"):
        yt = np.select([scale[:, None] == 2, scale[:, None] == 1],
                       [core.logit(v, 0.0, 100.0), np.log(v)], v)
        tt = np.select([scale == 2, scale == 1],
                       [core.logit(target, 0.0, 100.0), np.log(target)], target)
        x = np.where(ok, years[None, :].astype(float), 0.0)
        n = ok.sum(axis=1)
        xbar = x.sum(axis=1) / n
        ybar = np.where(ok, yt, 0.0).sum(axis=1) / n
        dx = np.where(ok, x - xbar[:, None], 0.0)
        dy = np.where(ok, yt - ybar[:, None], 0.0)
        sxx = (dx**2).sum(axis=1)
        slope = (dx * dy).sum(axis=1) / sxx
        rss = ((dy - slope[:, None] * dx) ** 2).sum(axis=1)
        s = np.sqrt(rss / (n - 2))
        fit = ybar + slope * (target_year - xbar)
        se = s * np.sqrt(1 + 1 / n + (target_year - xbar) ** 2 / sxx)
        cdf = stats.t.cdf((tt - fit) / se, np.maximum(n - 2, 1))
    # a target the transformed scale cannot reach: impossible below it, certain above
    below = ((scale == 1) & (target <= 0)) | ((scale == 2) & (target <= 0))
    above = (scale == 2) & (target >= 100)
    cdf = np.where(below, 0.0, np.where(above, 1.0, cdf))
    p = np.where(op == "<=", cdf, np.where(op == ">=", 1 - cdf, np.nan))
    return np.where((n >= 3) & np.isfinite(target) & (sxx > 0), p, np.nan)
