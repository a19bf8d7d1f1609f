"""Tests of independence in two-way tables for :mod:`workbench.survey` (R ``svychisq``).

Rao-Scott first- ("Chisq") and second-order ("F") corrections of the Pearson statistic and
the design-based Wald tests ("Wald", "adjWald"), following ``svychisq.survey.design``: the
Pearson X2 is computed on the table scaled to the number of rows (R's ``Ntotal = N``) and
the denominator df is the design's (PSUs minus strata).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ..foundation.errors import WorkbenchError
from ._checks import check_columns
from ._intervals import check_method

STATISTICS = ("F", "Chisq", "Wald", "adjWald")


def chisq(design, row: str, col: str, statistic: str = "F") -> pd.Series:
    """See :meth:`SurveyDesign.chisq`."""
    check_method(statistic, STATISTICS, "statistic")
    check_columns(design.data, [row, col], "analysis")
    r, c = design.data[row], design.data[col]
    weight = design._wd()
    valid = (r.notna() & c.notna()).to_numpy() & (weight > 0)
    # levels seen in the analysed rows only: an empty row or column has no expected count
    rc, rl = pd.factorize(r.where(valid), sort=True)
    cc, cl = pd.factorize(c.where(valid), sort=True)
    nr, nc = len(rl), len(cl)
    if nr < 2 or nc < 2:
        raise WorkbenchError(f"chisq needs two levels in {row!r} and {col!r}.",
                             f"卡方检验要求 {row!r} 与 {col!r} 各至少两个取值。")
    m = nr * nc
    cell = np.where(valid, rc + nr * cc, -1)   # column-major cells, as R's interaction()
    w = np.where(valid, weight, 0.0)
    big_n = int((weight > 0).sum())            # R: nrow of the design's rows
    nu = design.df
    p = np.bincount(np.maximum(cell, 0), w, minlength=m) / w.sum()
    tab = (p * big_n).reshape(nc, nr).T
    expected = np.outer(tab.sum(1), tab.sum(0)) / big_n
    pearson = float(((tab - expected) ** 2 / expected).sum())
    name = f"{row} x {col}"
    if statistic in ("Wald", "adjWald"):
        stat, ndf, ddf = _wald(design, cell, rc, cc, valid, nr, nc, nu, statistic)
        return pd.Series({"statistic": stat, "ndf": ndf, "ddf": ddf,
                          "p_value": float(stats.f.sf(stat, ndf, ddf)), "chisq": pearson},
                         name=name)
    delta = _delta(design, cell, valid, p, nr, nc, big_n)
    tr = np.trace(delta)
    if statistic == "Chisq":
        k = delta.shape[1]
        return pd.Series({"statistic": pearson, "ndf": float(k), "ddf": np.nan,
                          "p_value": float(stats.chi2.sf(pearson / (tr / k), k)),
                          "chisq": pearson}, name=name)
    d0 = tr ** 2 / np.trace(delta @ delta)
    f = pearson / tr
    return pd.Series({"statistic": f, "ndf": d0, "ddf": d0 * nu,
                      "p_value": float(stats.f.sf(f, d0, d0 * nu)), "chisq": pearson},
                     name=name)


def _delta(design, cell, valid, p, nr, nc, big_n) -> np.ndarray:
    """Rao-Scott design effect matrix of the interaction contrasts."""
    m = nr * nc
    w = np.where(valid, design._wd(), 0.0)
    total = w.sum()
    cpos = np.maximum(cell, 0)

    def point(wt):
        wt = np.where(valid, wt, 0.0)
        return np.bincount(cpos, wt, minlength=m) / wt.sum()

    # score of the cell means: (indicator - p) * w / total, as dense n x m
    scores = [(w / total, cell, m)] + [(-p[j] * w / total, np.where(valid, j, -1), m)
                                       for j in range(m)]
    v = design._cov(w, point, scores)
    grid_r, grid_c = np.tile(np.arange(nr), nc), np.repeat(np.arange(nc), nr)
    x1 = np.column_stack([np.ones(m)] + [(grid_r == i).astype(float) for i in range(1, nr)]
                         + [(grid_c == j).astype(float) for j in range(1, nc)])
    inter = np.column_stack([(grid_r == i) & (grid_c == j)
                             for j in range(1, nc) for i in range(1, nr)]).astype(float)
    beta, *_ = np.linalg.lstsq(x1, inter, rcond=None)
    cmat = inter - x1 @ beta
    idm = np.diag(np.where(p == 0, 0, 1 / np.where(p == 0, 1, p)))
    denom = cmat.T @ (idm / big_n) @ cmat
    numr = cmat.T @ idm @ v @ idm @ cmat
    return np.linalg.solve(denom, numr)


def _wald(design, cell, rc, cc, valid, nr, nc, nu, statistic):
    """R's Wald test on the totals of cells, row and column margins and the count."""
    m = nr * nc
    k = m + nr + nc + 1
    w = np.where(valid, design._wd(), 0.0)
    cols = [np.where(valid, cell, -1), np.where(valid, m + rc, -1),
            np.where(valid, m + nr + cc, -1), np.where(valid, k - 1, -1)]

    def point(wt):
        wt = np.where(valid, wt, 0.0)
        return sum(np.bincount(np.maximum(c, 0), np.where(c >= 0, wt, 0.0), minlength=k)
                   for c in cols)

    tot = point(w)
    v = design._cov(w, point, [(w, c, k) for c in cols])
    t_r, t_c, t_n = tot[m:m + nr], tot[m + nr:m + nr + nc], tot[k - 1]
    grid_r, grid_c = np.tile(np.arange(nr), nc), np.repeat(np.arange(nc), nr)
    in_row = (grid_r[:, None] == np.arange(nr)).astype(float)
    in_col = (grid_c[:, None] == np.arange(nc)).astype(float)
    jac = np.hstack([np.eye(m), -in_row * (t_c[grid_c] / t_n)[:, None],
                     -in_col * (t_r[grid_r] / t_n)[:, None],
                     (t_r[grid_r] * t_c[grid_c] / t_n ** 2)[:, None]])
    y = tot[:m] - t_r[grid_r] * t_c[grid_c] / t_n
    vy = jac @ v @ jac.T
    use = (grid_r > 0) & (grid_c > 0)
    stat = float(y[use] @ np.linalg.solve(vy[np.ix_(use, use)], y[use]))
    ndf = (nr - 1) * (nc - 1)
    if statistic == "Wald":
        return stat / ndf, float(ndf), float(nu)
    ddf = nu - ndf + 1
    return stat * ddf / (ndf * nu), float(ndf), float(ddf)
