"""The "likelihood" interval of R's ``svyciprop``: a design-scaled profile likelihood.

R fits ``svyglm(y ~ 1, family=quasibinomial)`` (weights rescaled to mean 1), profiles the
deviance on a grid of at most nine steps each side (``MASS``'s ``profile.glm`` with
``del = zmax / 5``), fits an FMM cubic spline through (beta, signed root deviance) at
``3 x`` the grid points and reads off, by linear interpolation, where the root deviance
crosses ``qt((1 - level) / 2, df) * sqrt(lambda)`` (``lambda`` = design variance of the
logit / its model variance).  Reproduced step by step so that the limits match R's.
"""

from __future__ import annotations

import numpy as np
from scipy import stats


def fmm_spline(x: np.ndarray, y: np.ndarray, xout: np.ndarray) -> np.ndarray:
    """R's ``spline(method="fmm")`` (Forsythe, Malcolm and Moler) evaluated at ``xout``."""
    n = len(x)
    b, c, d = np.zeros(n), np.zeros(n), np.zeros(n)
    if n < 3:
        slope = (y[1] - y[0]) / (x[1] - x[0])
        b[:] = slope
    else:
        m = n - 1
        d[0] = x[1] - x[0]
        c[1] = (y[1] - y[0]) / d[0]
        for i in range(1, m):  # a loop over the <= 60 spline knots, not over rows
            d[i] = x[i + 1] - x[i]
            b[i] = 2 * (d[i - 1] + d[i])
            c[i + 1] = (y[i + 1] - y[i]) / d[i]
            c[i] = c[i + 1] - c[i]
        b[0], b[m], c[0], c[m] = -d[0], -d[n - 2], 0.0, 0.0
        if n > 3:
            c[0] = c[2] / (x[3] - x[1]) - c[1] / (x[2] - x[0])
            c[m] = c[n - 2] / (x[m] - x[n - 3]) - c[n - 3] / (x[n - 2] - x[n - 4])
            c[0] = c[0] * d[0] * d[0] / (x[3] - x[0])
            c[m] = -c[m] * d[n - 2] * d[n - 2] / (x[m] - x[n - 4])
        for i in range(1, n):
            t = d[i - 1] / b[i - 1]
            b[i] -= t * d[i - 1]
            c[i] -= t * c[i - 1]
        c[m] /= b[m]
        for i in range(n - 2, -1, -1):
            c[i] = (c[i] - d[i] * c[i + 1]) / b[i]
        b[m] = (y[m] - y[n - 2]) / d[n - 2] + d[n - 2] * (c[n - 2] + 2 * c[m])
        for i in range(m):
            b[i] = (y[i + 1] - y[i]) / d[i] - d[i] * (c[i + 1] + 2 * c[i])
            d[i] = (c[i + 1] - c[i]) / d[i]
            c[i] = 3 * c[i]
        c[m], d[m] = 3 * c[m], d[n - 2]
    i = np.clip(np.searchsorted(x, xout, side="right") - 1, 0, n - 1)
    dx = xout - x[i]
    return y[i] + dx * (b[i] + dx * (c[i] + dx * d[i]))


def irls(y: np.ndarray, w: np.ndarray, maxit: int = 25) -> tuple[float, np.ndarray]:
    """R's ``glm.fit`` for ``y ~ 1``, quasibinomial: the logit and the last working weights.

    R's design variance of the coefficient uses the working weights of the last iteration
    (one step behind the final fit), so the iterations are repeated as R runs them
    (start ``(w y + 0.5) / (w + 1)``, stop when the deviance changes by < 1e-8 relative).
    """
    def dev(mu):
        return -2 * np.sum(w * (y * np.log(mu) + (1 - y) * np.log1p(-mu)))

    mu = (w * y + 0.5) / (w + 1)
    eta = np.log(mu / (1 - mu))
    dev_old = dev(mu)
    beta, ww = 0.0, w
    for _ in range(maxit):  # iterations, not rows
        ww = w * mu * (1 - mu)
        beta = float(np.sum(ww * (eta + (y - mu) / (mu * (1 - mu)))) / np.sum(ww))
        eta = np.full(len(y), beta)
        mu = np.full(len(y), 1 / (1 + np.exp(-beta)))
        d = dev(mu)
        if abs(d - dev_old) / (abs(d) + 0.1) < 1e-8:
            break
        dev_old = d
    return beta, ww


def profile_limits(beta: float, p: float, n: int, std_err: float, lam: float, df: float,
                   dispersion: float, level: float) -> tuple[float, float]:
    """Limits for one domain: R's fitted logit ``beta`` (proportion ``p``), ``n`` rows
    (weights rescaled to mean 1, as ``svyglm``), the design SE of the logit, ``lam`` (its
    design over model variance) and R's dispersion (``summary.svyglm``).
    """
    if not 0 < p < 1 or not std_err > 0 or not df > 0 or not dispersion > 0:
        return np.nan, np.nan
    s1, s0 = n * p, n * (1 - p)

    def deviance(b):
        mu = 1 / (1 + np.exp(-b))
        return -2 * (s1 * np.log(mu) + s0 * np.log1p(-mu))

    alpha = stats.norm.cdf(stats.t.ppf((1 - level) / 2, df) * np.sqrt(lam)) / 2
    zmax = np.sqrt(stats.f.isf(alpha, 1, n - 1))
    step_size = zmax / 5
    d0 = deviance(beta)
    bs, zs = [beta], [0.0]
    for sgn in (-1, 1):
        z, step = 0.0, 0
        while (step := step + 1) < 10 and abs(z) < zmax:
            b = beta + sgn * step * step_size * std_err
            z = sgn * np.sqrt(max((deviance(b) - d0) / dispersion, 0.0))
            bs.append(b)
            zs.append(z)
    order = np.argsort(zs, kind="stable")
    bs, zs = np.asarray(bs)[order], np.asarray(zs)[order]
    grid = np.linspace(bs.min(), bs.max(), 3 * len(bs))
    spline_z = fmm_spline(np.sort(bs), zs[np.argsort(bs)], grid)
    cut = stats.norm.ppf(2 * alpha)
    order = np.argsort(spline_z, kind="stable")
    lo, hi = np.interp([cut, -cut], spline_z[order], grid[order], left=np.nan, right=np.nan)
    return 1 / (1 + np.exp(-lo)), 1 / (1 + np.exp(-hi))
