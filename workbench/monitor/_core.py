"""Vectorised arithmetic behind :mod:`workbench.monitor` (internal).

Open SDG's progress measure (``sdg-build``, ``sdg/ProgressMeasure.py``) and
UNSD's progress chart projection work on one series at a time in their own
code; the workbench assesses thousands of indicator x region x breakdown
series at once, so the same formulas are written here over numpy arrays.
No maintained Python library implements either method.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

# Open SDG defaults (sdg-build ProgressMeasure.get_progress_thresholds).
OPENSDG_THRESHOLDS = (0.95, 0.60, 0.0)
OPENSDG_NO_TARGET_THRESHOLDS = (0.015, 0.005, 0.0)
# Exponent of the natural-limit factor C in sdg-build.
LIMIT_EXPONENT = 4.44
# UNSD progress chart: X >= 0.95 on track, 0.10 <= X < 0.95 fair progress,
# -0.10 < X < 0.10 limited or no progress, X <= -0.10 deterioration.
UNSD_THRESHOLDS = (0.95, 0.10, -0.10)
# UNSD progress chart without a numerical target: CAGR (signed so that positive is better)
# >= 1 % substantial progress / on track, >= 0.5 % fair, > -0.5 % limited, else deterioration.
UNSD_GROWTH_THRESHOLDS = (0.01, 0.005, -0.005)
# ESCAP anticipated progress: AP >= 1 maintain progress (on track), 0 < AP < 1 accelerate,
# AP <= 0 reverse the trend.
ESCAP_THRESHOLDS = (1.0, 0.0)


def cagr(v1: np.ndarray, v0: np.ndarray, t1: np.ndarray, t0: np.ndarray) -> np.ndarray:
    """Compound annual growth rate ``(v1 / v0) ** (1 / (t1 - t0)) - 1``."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.power(np.asarray(v1, float) / np.asarray(v0, float),
                        1.0 / (np.asarray(t1, float) - np.asarray(t0, float))) - 1.0


def achieved(value: np.ndarray, op: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Whether ``value op target`` holds (``<=``, ``>=`` or ``==``); NaN where undecidable."""
    value, target = np.asarray(value, float), np.asarray(target, float)
    op = np.asarray(op, dtype=object)
    out = np.where(op == "<=", value <= target,
                   np.where(op == ">=", value >= target, np.isclose(value, target)))
    ok = np.isfinite(value) & np.isfinite(target) & np.isin(op, ["<=", ">=", "=="])
    return np.where(ok, out.astype(float), np.nan)


def limit_coefficient(base: np.ndarray, limit: np.ndarray) -> np.ndarray:
    """Open SDG's natural-limit factor C (1 where no limit is given)."""
    b, lim = np.abs(np.asarray(base, float)), np.abs(np.asarray(limit, float))
    with np.errstate(divide="ignore", invalid="ignore"):
        near = 1 - (b / lim) ** LIMIT_EXPONENT
        beyond = 1 - ((2 * lim - b) / lim) ** LIMIT_EXPONENT
    c = np.where(b <= lim, near, np.where(b <= 2 * lim, beyond, 1.0))
    return np.where(np.isfinite(lim) & (lim > 0), c, 1.0)


def opensdg_status(ratio: np.ndarray, hit: np.ndarray, high: np.ndarray, med: np.ndarray,
                   low: np.ndarray) -> np.ndarray:
    """sdg-build ``get_progress_status`` over arrays."""
    r = np.asarray(ratio, float)
    status = np.select([r >= high, r >= med, r >= low, r < low],
                       ["substantial_progress", "moderate_progress", "limited_progress",
                        "deterioration"], "not_available").astype(object)
    return np.where(np.asarray(hit) == 1, "target_achieved", status)


def opensdg_score(ratio: np.ndarray, hit: np.ndarray, has_target: np.ndarray,
                  coeff: np.ndarray, high: np.ndarray, med: np.ndarray,
                  low: np.ndarray) -> np.ndarray:
    """sdg-build ``get_score``: -5 to 5, 5 when the target is achieved.

    ``high, med, low`` are the thresholds already multiplied by the natural-limit factor
    ``coeff`` (no-target method).  As in sdg-build, progress is compared with those reduced
    thresholds and only a non-negative growth is divided by ``coeff`` for the score (it is
    put on the scale of the unreduced thresholds); a decline is scored as it is, and a base
    at the limit (``coeff == 0``) that holds or improves scores 5.
    """
    r = np.asarray(ratio, float)
    coeff = np.asarray(coeff, float)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        with_target = np.where(r >= med, np.minimum(7.1429 * r - 4.2857, 5),
                               np.maximum(4.1667 * r - 2.5, -5))
        rc = r / coeff
        no_target = np.select(
            [r < low, coeff == 0, r >= high, r >= med, r >= low],
            [np.maximum(125 * r - 2.5, -5), 5.0, np.minimum(500 * rc - 5, 5),
             250 * rc - 1.25, 500 * rc - 2.5], np.nan)
    score = np.where(has_target, with_target, no_target)
    score = np.where(np.isnan(r), np.nan, score)
    return np.where(np.asarray(hit) == 1, 5.0, score)


def unsd_status(x: np.ndarray, hit: np.ndarray) -> np.ndarray:
    """UNSD progress chart category of X."""
    x = np.asarray(x, float)
    on, fair, lim = UNSD_THRESHOLDS
    status = np.select([x >= on, x >= fair, x > lim, x <= lim],
                       ["on_track", "fair_progress", "limited_progress", "deterioration"],
                       "not_available").astype(object)
    return np.where(np.asarray(hit) == 1, "target_achieved", status)


def unsd_growth_status(growth: np.ndarray, hit: np.ndarray) -> np.ndarray:
    """UNSD progress chart category of a signed CAGR (indicators without a target)."""
    g = np.asarray(growth, float)
    on, fair, lim = UNSD_GROWTH_THRESHOLDS
    status = np.select([g >= on, g >= fair, g > lim, g <= lim],
                       ["on_track", "fair_progress", "limited_progress", "deterioration"],
                       "not_available").astype(object)
    return np.where(np.asarray(hit) == 1, "target_achieved", status)


def escap_status(ap: np.ndarray, hit: np.ndarray) -> np.ndarray:
    """ESCAP anticipated-progress category (maintain, accelerate, reverse the trend)."""
    a = np.asarray(ap, float)
    on, zero = ESCAP_THRESHOLDS
    status = np.select([a >= on, a > zero, a <= zero],
                       ["on_track", "fair_progress", "deterioration"],
                       "not_available").astype(object)
    return np.where(np.asarray(hit) == 1, "target_achieved", status)


def logit(p: np.ndarray, lo: float, hi: float) -> np.ndarray:
    q = (np.asarray(p, float) - lo) / (hi - lo)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log(q / (1 - q))


def expit(x: np.ndarray, lo: float, hi: float) -> np.ndarray:
    return lo + (hi - lo) / (1 + np.exp(-np.asarray(x, float)))


def project(v0: np.ndarray, v1: np.ndarray, t0: np.ndarray, t1: np.ndarray, t: np.ndarray,
            scale: str, lo: float = 0.0, hi: float = 100.0) -> np.ndarray:
    """Extend the base->latest change to year ``t`` (CAGR, or straight on the logit scale)."""
    v0, v1 = np.asarray(v0, float), np.asarray(v1, float)
    span = np.asarray(t1, float) - np.asarray(t0, float)
    ahead = np.asarray(t, float) - np.asarray(t1, float)
    if scale == "logit":
        l0, l1 = logit(v0, lo, hi), logit(v1, lo, hi)
        with np.errstate(divide="ignore", invalid="ignore"):
            return expit(l1 + (l1 - l0) / span * ahead, lo, hi)
    g = cagr(v1, v0, t1, t0)
    with np.errstate(invalid="ignore"):
        return v1 * np.power(1 + g, ahead)


def exact_rate_interval(events: np.ndarray, exposure: np.ndarray, binomial: np.ndarray,
                        level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Exact intervals of ``events / exposure``: Clopper-Pearson or Garwood (Poisson)."""
    a = (1 - level) / 2
    k, n = np.asarray(events, float), np.asarray(exposure, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        cp_lo = np.where(k > 0, stats.beta.ppf(a, k, n - k + 1), 0.0)
        cp_hi = np.where(k < n, stats.beta.ppf(1 - a, k + 1, n - k), 1.0)
        po_lo = np.where(k > 0, stats.chi2.ppf(a, 2 * k) / 2, 0.0) / n
        po_hi = stats.chi2.ppf(1 - a, 2 * k + 2) / 2 / n
    return np.where(binomial, cp_lo, po_lo), np.where(binomial, cp_hi, po_hi)
