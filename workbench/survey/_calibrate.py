"""Calibration arithmetic for :mod:`workbench.survey` (R ``survey``'s ``grake`` and calfuns).

Generalised raking (Deville and Särndal 1992) by Newton steps with a generalised inverse,
as R: the g-weights are ``1 + F(x'eta)`` with the distance's inverse derivative ``F``
truncated to ``bounds``; the linear distance without bounds has a closed form.  Also the
per-replicate versions used when a replicate design is weighted (R re-weights every
replicate).
"""

from __future__ import annotations

import numpy as np

from ..foundation.errors import WorkbenchError, choices_text
from ._variance import group_sum

CALFUNS = ("linear", "raking", "logit")


def _fm1(kind: str, u: np.ndarray, lo: float, hi: float) -> np.ndarray:
    if kind == "linear":
        return np.minimum(np.maximum(u + 1, lo), hi) - 1
    if kind == "raking":
        with np.errstate(over="ignore"):
            return np.minimum(np.maximum(np.exp(u), lo), hi) - 1
    a = (hi - lo) / ((hi - 1) * (1 - lo))
    with np.errstate(over="ignore", invalid="ignore"):
        e = np.exp(a * u)
        return (lo * (hi - 1) + hi * (1 - lo) * e) / (hi - 1 + (1 - lo) * e) - 1


def _df(kind: str, u: np.ndarray, lo: float, hi: float) -> np.ndarray:
    inside = (u < hi - 1) & (u > lo - 1)
    if kind == "linear":
        return inside.astype(float)
    if kind == "raking":
        with np.errstate(over="ignore"):
            return np.where(inside, np.exp(u), 0.0)
    a = (hi - lo) / ((hi - 1) * (1 - lo))
    with np.errstate(over="ignore", invalid="ignore"):
        e = np.exp(a * u)
        d = hi - 1 + (1 - lo) * e
        return hi * (1 - lo) * e * a / d - (lo * (hi - 1) + hi * (1 - lo) * e) * (
            (1 - lo) * e * a) / d ** 2


def check_calfun(calfun: str, bounds) -> tuple[float, float]:
    if calfun not in CALFUNS:
        raise WorkbenchError(f"calfun={calfun!r}; choose one of {choices_text(CALFUNS)}.",
                             f"calfun={calfun!r} 无效，可选：{choices_text(CALFUNS)}。")
    lo, hi = (-np.inf, np.inf) if bounds is None else (float(bounds[0]), float(bounds[1]))
    if not lo < 1 < hi:
        raise WorkbenchError(f"bounds={bounds} must satisfy lower < 1 < upper (g-weight limits).",
                             f"bounds={bounds} 须满足 下限 < 1 < 上限（g 权重界限）。")
    if calfun == "logit" and not (np.isfinite(lo) and np.isfinite(hi)):
        raise WorkbenchError("calfun='logit' needs finite bounds=(lower, upper).",
                             "calfun='logit' 需要有限的 bounds=(下限, 上限)。")
    return lo, hi


def grake(x: np.ndarray, w: np.ndarray, target: np.ndarray, calfun: str, lo: float,
          hi: float, maxit: int = 50, epsilon: float = 1e-7) -> tuple[np.ndarray, float]:
    """g-weights from R's ``grake``; returns them and the achieved relative misfit."""
    sample_total = w @ x
    scale = None
    with np.errstate(divide="ignore", invalid="ignore"):
        scales = target / sample_total
    if np.min(scales) > 20:  # R rescales weights far below the population (bounds then relative)
        scale = float(np.mean(scales))
        w, sample_total = w * scale, sample_total * scale
    eta = np.zeros(x.shape[1])
    xeta = np.zeros(len(w))
    deriv = _df(calfun, xeta, lo, hi)
    achieved = np.inf
    for _ in range(maxit):
        tmat = (x * (w * deriv)[:, None]).T @ x
        misfit = target - sample_total - (w * _fm1(calfun, xeta, lo, hi)) @ x
        deta = np.linalg.pinv(tmat, rcond=256 * np.finfo(float).eps) @ misfit
        eta = eta + deta
        xeta = x @ eta
        g, deriv = 1 + _fm1(calfun, xeta, lo, hi), _df(calfun, xeta, lo, hi)
        halvings = 0
        while halvings < maxit and not (np.isfinite(g).all() and np.isfinite(deriv).all()):
            deta = deta / 2
            eta = eta - deta
            xeta = x @ eta
            g, deriv = 1 + _fm1(calfun, xeta, lo, hi), _df(calfun, xeta, lo, hi)
            halvings += 1
        misfit = target - sample_total - (w * _fm1(calfun, xeta, lo, hi)) @ x
        achieved = float(np.max(np.abs(misfit) / (1 + np.abs(target))))
        if achieved < epsilon:
            break
    g = 1 + _fm1(calfun, x @ eta, lo, hi)
    return (g * scale if scale is not None else g), achieved


def linear_g(x: np.ndarray, w: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Closed-form GREG g-weights (R ``regcalibrate``), generalised inverse for collinear x."""
    lam = np.linalg.pinv((x * w[:, None]).T @ x) @ (target - w @ x)
    return 1 + x @ lam


def linear_g_replicates(x: np.ndarray, reps: np.ndarray, target: np.ndarray) -> np.ndarray:
    """GREG g-weights of every replicate column at once (n x R)."""
    xtwx = np.einsum("ni,nj,nr->rij", x, x, reps)
    gap = target[None, :] - reps.T @ x
    lam = np.einsum("rij,rj->ri", np.linalg.pinv(xtwx), gap)
    return 1 + x @ lam.T


def ipf(cells: list[tuple[np.ndarray, np.ndarray]], w: np.ndarray, maxit: int, tol: float):
    """Iterative proportional fitting of weights (n,) or replicate weights (n, R).

    Returns the weights, the weights after each margin of the last sweep (for R's raking
    residuals), the history of each sweep and whether it converged.
    """
    history, after = [], []
    for it in range(1, maxit + 1):
        old, after = w, []
        for codes, totals in cells:
            w = w * _ratio(totals, _margin(codes, w, len(totals)))[codes]
            after.append(w)
        change = float(np.max(np.abs(w - old) / np.where(old > 0, old, 1.0)))  # JK zeros
        err = max(float(np.max(np.abs(_margin(c, w, len(t)) - _col(t, w)) / _col(t, w)))
                  for c, t in cells)
        history.append({"iteration": it, "max_weight_change": change, "max_margin_error": err})
        if change < tol and err < 1e-6:  # stable weights can still miss inconsistent margins
            return w, after, history, True
    return w, after, history, False


def _col(totals: np.ndarray, w: np.ndarray) -> np.ndarray:
    return totals if w.ndim == 1 else totals[:, None]


def _ratio(totals: np.ndarray, sums: np.ndarray) -> np.ndarray:
    return (totals / sums) if sums.ndim == 1 else totals[:, None] / sums


def _margin(codes: np.ndarray, w: np.ndarray, k: int) -> np.ndarray:
    if w.ndim == 1:
        return np.bincount(codes, w, minlength=k)
    return group_sum(codes, w, k)
