"""A scalar test oracle of Open SDG's progress measure, transcribed from sdg-build.

Source: ``open-sdg/sdg-build``, ``sdg/ProgressMeasure.py`` (``SeriesProgress``:
``get_progress_thresholds``, ``is_target_achieved``, ``calculate_progress_value``,
``methodology_1``/``methodology_2``, ``get_score``, module function ``get_progress_status``).
sdg-build is not on PyPI, so its logic is restated here one series at a time, in the order
sdg-build runs it and with the numpy number types it sees (years come from a pandas column,
so a growth rate divided by a zero required growth gives +-inf rather than an exception).
The workbench's vectorised code is tested against this oracle; nothing here is imported by
the package.

>>> progress({2015: 90.0, 2020: 91.0}, None, "positive", limit=100)[0]
'moderate_progress'
"""

from __future__ import annotations

import numpy as np

HIGH_MED_LOW_TARGET = (0.95, 0.6, 0.0)
HIGH_MED_LOW_NO_TARGET = (0.015, 0.005, 0.0)
LIMIT_EXPONENT = 4.44


def _growth(v1: float, v0: float, t1: np.int64, t0: np.int64) -> np.float64:
    return ((v1 / v0) ** (1 / (t1 - t0))) - 1


def _thresholds(method: int, base: float, limit: float | None) -> dict[str, float]:
    if method == 2:
        return dict(zip(("high", "med", "low"), HIGH_MED_LOW_TARGET, strict=True))
    th = dict(zip(("high", "med", "low"), HIGH_MED_LOW_NO_TARGET, strict=True))
    if limit is not None:
        b, lim = abs(base), abs(limit)
        if b >= 2 * lim:        # first, so that base = limit = 0 gives 1
            coeff = 1.0
        elif b <= lim:
            coeff = 1 - (b / lim) ** LIMIT_EXPONENT
        else:
            coeff = 1 - ((2 * lim - b) / lim) ** LIMIT_EXPONENT
        th = {k: v * coeff for k, v in th.items()}
        th["coefficient"] = coeff
    return th


def _status(value, th: dict[str, float], achieved: bool) -> str:
    if achieved:
        return "target_achieved"
    if value is not None:
        if value >= th["high"]:
            return "substantial_progress"
        if th["med"] <= value < th["high"]:
            return "moderate_progress"
        if th["low"] <= value < th["med"]:
            return "limited_progress"
        if value < th["low"]:
            return "deterioration"
    return "not_available"


def _score(value, th: dict[str, float], achieved: bool, method: int):
    if achieved:
        return 5
    if value is None:
        return None
    high, med, low = th["high"], th["med"], th["low"]
    if method == 1:
        coeff = th.get("coefficient", 1)
        if value < low:
            return max(125 * value - 2.5, -5)
        if coeff == 0:
            return 5
        if value >= high:
            return min(500 * value / coeff - 5, 5)
        if value >= med:
            return 250 * value / coeff - 1.25
        if value >= low:
            return 500 * value / coeff - 2.5
        return None
    if value >= med:
        return min(7.1429 * value - 4.2857, 5)
    if value < med:         # NaN falls through both branches: no score, as in sdg-build
        return max(4.1667 * value - 2.5, -5)
    return None


def progress(values: dict[int, float], target: float | None, direction: str,
             target_year: int = 2030, limit: float | None = None,
             base_year: int = 2015) -> tuple[str, float | None]:
    """``(status, score)`` of one series as sdg-build computes them.

    ``direction`` is ``"positive"`` (higher is better) or anything else (lower is better).
    """
    years = np.array(sorted(values), dtype=np.int64)
    vals = [float(values[int(y)]) for y in years]
    if target == 0:
        target = 0.001
    sign_dir = 1 if direction == "positive" else -1
    method = 1 if target is None else 2
    current_year = years.max()
    current = vals[-1]
    if base_year not in years:
        base_year = years[years > base_year].min()
    base = vals[int(np.flatnonzero(years == base_year)[0])]
    sign = -1 if base < 0 else 1
    th = _thresholds(method, base, limit)
    achieved = target is not None and (
        (sign_dir == -1 and current <= target) or (sign_dir == 1 and current >= target))
    value = None
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if base == 0:
            base = 0.001
        if (base > 0 and current < 0) or (base < 0 and current > 0) or \
                base_year > current_year or current_year - base_year < 1:
            value = None
        elif method == 1:
            value = sign * sign_dir * _growth(current, base, current_year, base_year)
        else:
            obs = _growth(current, base, current_year, base_year)
            req = _growth(target, base, np.int64(target_year), base_year)
            value = sign * sign_dir * obs / abs(req)
    return _status(value, th, achieved), _score(value, th, achieved, method)
