"""Confidence intervals for proportions and quantiles, as R ``svyciprop`` and ``woodruffCI``.

Every method takes the design-based proportion ``p``, its standard error and the design's
degrees of freedom; ``n_rows`` is R's ``nrow(design)`` (the "beta" method's effective
sample size correction).
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from ..foundation.errors import WorkbenchError, choices_text

CIPROP_METHODS = ("logit", "likelihood", "asin", "beta", "mean", "xlogit")


def check_method(method: str, allowed=CIPROP_METHODS, name: str = "method") -> None:
    if method not in allowed:
        raise WorkbenchError(f"{name}={method!r}; choose one of {choices_text(allowed)}.",
                             f"{name}={method!r} 无效，可选：{choices_text(allowed)}。")


def _t(level: float, df) -> np.ndarray:
    df = np.asarray(df, dtype=float)
    q = stats.t.ppf(0.5 + level / 2, np.maximum(df, 1))
    q = np.where(np.isinf(df), stats.norm.ppf(0.5 + level / 2), q)
    return np.where(df > 0, q, np.nan)


def ciprop_interval(p, se, df, level: float, method: str, n_rows: int | None = None,
                    profile=None) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper limits of R's ``svyciprop(method=)`` (vectorised over domains).

    ``logit`` and ``xlogit`` are the same Wald interval on the logit scale (R fits the
    first with ``svyglm``, the second with ``svycontrast``); ``likelihood`` needs the
    ``profile`` callable (see ``_likelihood``).
    """
    p, se, df = (np.asarray(a, dtype=float) for a in (p, se, df))
    t = _t(level, df)
    with np.errstate(divide="ignore", invalid="ignore"):
        if method == "mean":
            return p - t * se, p + t * se
        if method in ("logit", "xlogit"):
            centre, half = np.log(p / (1 - p)), t * se / (p * (1 - p))
            return _expit(centre - half), _expit(centre + half)
        if method == "asin":
            centre, half = np.arcsin(np.sqrt(p)), t * se / (2 * np.sqrt(p * (1 - p)))
            return np.sin(centre - half) ** 2, np.sin(centre + half) ** 2
        if method == "beta":
            alpha = 1 - level
            n_eff = p * (1 - p) / se ** 2 * (stats.t.ppf(alpha / 2, n_rows - 1)
                                              / stats.t.ppf(alpha / 2, df)) ** 2
            return (stats.beta.ppf(alpha / 2, n_eff * p, n_eff * (1 - p) + 1),
                    stats.beta.ppf(1 - alpha / 2, n_eff * p + 1, n_eff * (1 - p)))
    return profile(p, se, df)


def _expit(x):
    return 1 - 1 / (1 + np.exp(x))


def woodruff_limits(f_hat: float, se_f: float, t: float) -> tuple[float, float, str]:
    """Probability limits of R's ``woodruffCI(method="mean")``; NaN outside [0, 1] (as R)."""
    lo, hi = f_hat - t * se_f, f_hat + t * se_f
    note = []
    if not lo >= 0:
        lo = np.nan
        note.append("lower limit below the sample minimum")
    if not hi <= 1:
        hi = np.nan
        note.append("upper limit above the sample maximum")
    return lo, hi, "; ".join(note)
