"""The progress measures over arrays of series: Open SDG, UNSD and ESCAP (internal).

One code path behind :func:`assess_progress` (one series) and :func:`assess` (thousands).

Decisions where the references are silent or disagree with each other (each one tested):

* Open SDG follows sdg-build ``ProgressMeasure`` exactly, including a single value that
  already meets the target (achieved, score 5) and a target equal to the base value (any
  movement away from it is deterioration, score -5).  One deliberate difference: sdg-build
  replaces a base value of 0 by 0.001, which makes the growth rate depend on the unit
  (0 -> 5 per 1,000 and 0 -> 0.5 per 100 would differ); here a zero base is
  ``not_computable`` with the reason in ``note``.  Likewise a target of 0 for a negative
  series (sdg-build's 0.001 then has the other sign, and its growth rate is defined only
  when the target year is one year after the base) is ``not_computable``; and where
  sdg-build reports ``not_available`` (a ratio of 0/0) the status is ``not_computable``.
* UNSD: a series whose base already met the target and whose latest value no longer does
  is ``deterioration`` (UNSD's X would be a ratio of two negative numbers, i.e. "on track").
  Without a target the UNSD path uses Open SDG's no-target method (``no_target="opensdg"``,
  the default) or UNSD's growth rule (``no_target="unsd"``: CAGR >= 1 % on track,
  >= 0.5 % fair progress, > -0.5 % limited, else deterioration, signed by the direction).
  ``within_one_point=True`` applies UNSD's exception that a percentage within one point
  of a 0 % or 100 % target counts as achieved.
* ESCAP anticipated progress: ``AP = (projected - base) / (target - base)`` with the
  projection to the target year; ``on_track`` ("maintain progress") at AP >= 1,
  ``fair_progress`` ("accelerate progress") at 0 < AP < 1 and ``deterioration``
  ("reverse the trend") at AP <= 0; the anticipated gap ``1 - AP`` is ``ratio``'s
  complement.
"""

from __future__ import annotations

import numpy as np

from . import _core as core

NO_TARGET_RULES = ("opensdg", "unsd")


def assess_arrays(by: np.ndarray, bv: np.ndarray, cy: np.ndarray, cv: np.ndarray,
                  n: np.ndarray, target: np.ndarray, op: np.ndarray, ty: np.ndarray,
                  method: str, logit: np.ndarray, lo: np.ndarray, hi: np.ndarray,
                  limit: np.ndarray, no_target: str = "opensdg",
                  within_one_point: bool = False, percent: np.ndarray | None = None,
                  ) -> dict[str, np.ndarray]:
    """Every method over arrays of series; returns ratio, status, score, projected, note."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return _raw(by, bv, cy, cv, n, target, op, ty, method, logit, lo, hi, limit,
                    no_target, within_one_point,
                    np.zeros(len(bv), bool) if percent is None else percent)


def _raw(by, bv, cy, cv, n, target, op, ty, method, logit, lo, hi, limit, no_target,
         within_one_point, percent) -> dict[str, np.ndarray]:
    d = np.where(op == "<=", -1.0, 1.0)
    has_target = np.isfinite(target)
    tgt = np.where(target == 0, 0.001, target)          # sdg-build: a target of 0 is 0.001
    hit = np.where(has_target, core.achieved(cv, op, target), 0.0)
    if within_one_point and method == "unsd":
        # UNSD: a percentage within one point of a 0 % / 100 % target counts as achieved
        near = percent & np.isin(target, [0.0, 100.0]) & (np.abs(cv - target) <= 1.0)
        hit = np.where(near, 1.0, hit)
    sign = np.where(bv < 0, -1.0, 1.0)
    obs = core.cagr(cv, bv, cy, by)
    req = core.cagr(tgt, bv, ty, by)
    coeff = np.where(has_target, 1.0, core.limit_coefficient(bv, limit))
    high, med, low = (np.where(has_target, a, b * coeff) for a, b in
                      zip(core.OPENSDG_THRESHOLDS, core.OPENSDG_NO_TARGET_THRESHOLDS,
                          strict=True))
    # target == base: |req| = 0 and the ratio is +-inf (deterioration), as in sdg-build
    ratio_os = np.where(has_target, sign * d * obs / np.abs(req), sign * d * obs)
    in_bounds = (bv > lo) & (bv < hi) & (cv > lo) & (cv < hi)
    use_logit = logit & in_bounds
    proj = np.where(use_logit, core.project(bv, cv, by, cy, ty, "logit", lo, hi),
                    core.project(bv, cv, by, cy, ty, "ratio"))
    x = (proj - bv) / (target - bv)
    few = n < 2
    problem = _problems(few, bv, cv, tgt, has_target)
    status_os = core.opensdg_status(ratio_os, hit, high, med, low)
    if method == "opensdg":
        ratio, status = ratio_os, status_os
    else:
        ratio, status = _target_method(method, x, hit, bv, target, op)
        if no_target == "unsd":
            growth_status = core.unsd_growth_status(sign * d * obs, hit)
            status = np.where(has_target, status, growth_status)
            ratio = np.where(has_target, ratio, sign * d * obs)
        else:
            status = np.where(has_target, status, status_os)
            ratio = np.where(has_target, ratio, ratio_os)
    score = core.opensdg_score(ratio_os, hit, has_target, coeff, high, med, low)
    # 0 / 0: the value sits (to rounding) on a target equal to the base without meeting it
    zero = (problem == "") & (hit != 1) & np.isnan(ratio)
    problem = np.where(zero, "no growth and no required growth: progress ratio 0/0", problem)
    bad = problem != ""
    fallback = logit & ~in_bounds & ~bad
    problem = np.where(fallback, "a value is on a bound of the logit scale: projected with the "
                       "CAGR", problem)
    unknown = bad & (hit != 1)
    status = np.where(unknown, np.where(few, "insufficient_data", "not_computable"), status)
    return {"ratio": np.where(bad, np.nan, ratio), "status": status,
            "score": np.where(hit == 1, 5.0, np.where(unknown, np.nan, score)),
            "projected": np.where(bad, np.nan, proj), "achieved": hit, "note": problem}


def _problems(few, bv, cv, tgt, has_target) -> np.ndarray:
    safe = np.where(bv == 0, 1, bv)
    return np.select(
        [few, bv == 0, (cv / safe) < 0, has_target & ((tgt / safe) < 0)],
        ["fewer than two years with a value", "the base value is 0: growth rate undefined",
         "the values change sign: growth rate undefined",
         "target and base value have opposite signs: growth rate undefined"], "")


def _target_method(method, x, hit, bv, target, op) -> tuple[np.ndarray, np.ndarray]:
    """UNSD's X or ESCAP's anticipated progress, with the met-then-lost rule."""
    status = core.unsd_status(x, hit) if method == "unsd" else core.escap_status(x, hit)
    # the base met the target (or sat on it) and the latest value no longer does: moving
    # away from a met target is deterioration, whatever the sign arithmetic of X says
    lost = (core.achieved(bv, op, target) == 1) & (hit != 1)
    # X has no meaning when the target equals the base (a division by zero)
    x = np.where(lost, -np.inf, np.where(target == bv, np.nan, x))
    return x, np.where(lost, "deterioration", status)
