"""Little's MCAR test by EM, mice-style pattern tables and Rubin's rules.

Written by hand because no maintained Python library offers them with R's results:
statsmodels and scikit-learn have no Little's test or EM for a multivariate normal with
missing data (R: ``norm::em.norm`` used by ``naniar::mcar_test``), and no pooling with the
Barnard-Rubin degrees of freedom (R: ``mice::pool.scalar``).  The EM step works on
pattern-level sufficient statistics, so one iteration costs O(patterns x p^3), not O(n).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ..foundation.errors import WorkbenchError, choices_text


def numeric_matrix(df: pd.DataFrame, what: str, min_rows: int = 2) -> pd.DataFrame:
    """Check a frame for the mechanism diagnostics and return it as float."""
    if not isinstance(df, pd.DataFrame):
        raise WorkbenchError(f"{what} needs a pandas DataFrame, got {type(df).__name__}",
                             f"{what} 需要 pandas DataFrame，而不是 {type(df).__name__}")
    bad = [c for c in df.columns if not (pd.api.types.is_numeric_dtype(df[c])
                                         or pd.api.types.is_bool_dtype(df[c]))]
    if bad:
        raise WorkbenchError(
            f"{what}: non-numeric column(s) {choices_text(bad)}; select numeric columns "
            f"(numeric ones: {choices_text([c for c in df.columns if c not in bad])})",
            f"{what}：非数值列 {choices_text(bad)}，请只选数值列")
    if df.shape[1] == 0:
        raise WorkbenchError(f"{what}: no columns given", f"{what}：没有给出任何列")
    x = df.astype(float)
    empty = [c for c in x.columns if x[c].isna().all()]
    if empty:
        raise WorkbenchError(f"{what}: column(s) {choices_text(empty)} are entirely missing; "
                             "drop them first",
                             f"{what}：列 {choices_text(empty)} 全部缺失，请先去掉")
    inf = np.isinf(x.to_numpy())
    if inf.any():
        rows, cols = np.nonzero(inf)
        where = ", ".join(f"row {x.index[r]!r} column {x.columns[c]!r}"
                          for r, c in zip(rows[:5], cols[:5], strict=True))
        raise WorkbenchError(f"{what}: infinite values at {where}; replace them (e.g. by NaN) "
                             "first", f"{what}：存在无穷值（{where}），请先处理")
    if len(x) < min_rows:
        raise WorkbenchError(f"{what}: needs at least {min_rows} rows, got {len(x)}",
                             f"{what}：至少需要 {min_rows} 行，实际 {len(x)} 行")
    return x


def pattern_codes(miss: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unique missingness patterns (rows of booleans) and each row's pattern index."""
    p = miss.shape[1]
    if p > 62:  # too wide for an integer key: the slower row-wise unique
        patterns, inverse = np.unique(miss, axis=0, return_inverse=True)
        return patterns, inverse.ravel()
    # one integer per row, most significant bit first: sorts like the boolean rows
    keys = miss.astype(np.int64) @ (np.int64(1) << np.arange(p - 1, -1, -1, dtype=np.int64))
    uniq, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    return miss[first], inverse.ravel()


def pattern_stats(y: np.ndarray, cross: bool = True) -> tuple:
    """Patterns, counts, sums and cross-products of each pattern's rows (missing = 0)."""
    miss = np.isnan(y)
    patterns, idx = pattern_codes(miss)
    order = np.argsort(idx, kind="stable")
    y0 = np.where(miss, 0.0, y)[order]
    counts = np.bincount(idx, minlength=len(patterns))
    starts = np.r_[0, np.cumsum(counts)[:-1]]
    sums = np.add.reduceat(y0, starts, axis=0)
    crosses = (np.stack([y0[a:a + c].T @ y0[a:a + c] for a, c in zip(starts, counts,
                                                                     strict=True)])
               if cross else None)
    return patterns, counts.astype(float), sums, crosses


def em_mvn(y: np.ndarray, tol: float = 1e-10, max_iter: int = 10_000,
           stats_: tuple | None = None) -> tuple[np.ndarray, np.ndarray, int]:
    """ML mean and covariance of a multivariate normal with missing values (EM).

    Rows must have at least one observed value.  Returns (mu, sigma, iterations).
    """
    n, p = y.shape
    patterns, counts, sums, crosses = stats_ or pattern_stats(y)
    mu = np.nanmean(y, axis=0)
    sigma = np.diag(np.nanvar(y, axis=0))
    for it in range(1, max_iter + 1):
        t1 = np.zeros(p)
        t2 = np.zeros((p, p))
        for j, pat in enumerate(patterns):
            o, m = ~pat, pat
            nj = counts[j]
            a = np.zeros(p)
            lin = np.zeros((o.sum(), p))  # y_full = a + y_O @ lin
            lin[:, np.flatnonzero(o)] = np.eye(o.sum())
            cond = np.zeros((p, p))
            if m.any():
                s_oo = sigma[np.ix_(o, o)]
                beta = np.linalg.solve(s_oo, sigma[np.ix_(o, m)])
                lin[:, np.flatnonzero(m)] = beta
                a[m] = mu[m] - mu[o] @ beta
                cond[np.ix_(m, m)] = sigma[np.ix_(m, m)] - sigma[np.ix_(m, o)] @ beta
            s_o = sums[j, o]
            c_oo = crosses[j][np.ix_(o, o)]
            sl = s_o @ lin
            t1 += nj * a + sl
            t2 += (nj * np.outer(a, a) + np.outer(a, sl) + np.outer(sl, a)
                   + lin.T @ c_oo @ lin + nj * cond)
        new_mu = t1 / n
        new_sigma = t2 / n - np.outer(new_mu, new_mu)
        change = max(np.max(np.abs(new_mu - mu)), np.max(np.abs(new_sigma - sigma)))
        mu, sigma = new_mu, new_sigma
        if change < tol:
            return mu, sigma, it
    raise WorkbenchError(f"EM did not converge in {max_iter} iterations",
                         f"EM 在 {max_iter} 次迭代内未收敛")


def little_d2(y: np.ndarray, mu: np.ndarray, sigma: np.ndarray, stats_: tuple | None = None
              ) -> tuple[float, int, int]:
    """Little's d2 statistic, its degrees of freedom and the number of patterns."""
    patterns, counts, sums, _ = stats_ or pattern_stats(y, cross=False)
    d2 = 0.0
    for j, pat in enumerate(patterns):
        o = ~pat
        diff = sums[j, o] / counts[j] - mu[o]
        d2 += counts[j] * diff @ np.linalg.solve(sigma[np.ix_(o, o)], diff)
    dof = int((~patterns).sum() - y.shape[1])
    return float(d2), dof, len(patterns)


def md_pattern_table(df: pd.DataFrame) -> pd.DataFrame:
    """mice::md.pattern: columns by increasing missingness, rows sorted by pattern string."""
    miss = df.isna()
    nmis = miss.sum()
    order = nmis.sort_values(kind="stable").index
    r = miss[order].to_numpy().astype(int)
    # np.unique sorts 0/1 rows lexicographically, as R's order() on pattern strings does
    mpat, counts = np.unique(r.reshape(len(r), -1), axis=0, return_counts=True)
    mpat = pd.DataFrame(mpat, columns=order)
    table = (1 - mpat)
    table["n_missing"] = mpat.sum(axis=1)
    table.insert(0, "count", counts)
    table = table.reset_index(drop=True)
    totals = pd.DataFrame([[int(len(df))] + [int(v) for v in nmis[order]] + [int(nmis.sum())]],
                          columns=table.columns, index=["total"])
    return pd.concat([table, totals])


def rubin(q: np.ndarray, u: np.ndarray, dfcom: float | None) -> dict[str, np.ndarray]:
    """Rubin's rules with Barnard-Rubin df, as ``mice::pool.scalar`` / ``barnard.rubin``."""
    m = q.shape[0]
    qbar = q.mean(axis=0)
    ubar = u.mean(axis=0)
    b = q.var(axis=0, ddof=1)
    t = ubar + (1 + 1 / m) * b
    lam_raw = (1 + 1 / m) * b / t
    lam = np.maximum(lam_raw, 1e-4)  # mice's barnard.rubin floors lambda at 1e-4
    dfold = (m - 1) / lam**2
    if dfcom is None or np.isinf(dfcom):
        df = dfold
    else:
        dfobs = (dfcom + 1) / (dfcom + 3) * dfcom * (1 - lam)
        df = dfold * dfobs / (dfold + dfobs)
    riv = (1 + 1 / m) * b / ubar
    fmi = (riv + 2 / (df + 3)) / (1 + riv)
    return {"qbar": qbar, "ubar": ubar, "b": b, "t": t, "df": df, "riv": riv, "fmi": fmi,
            "lambda_": lam_raw}


def chi2_sf(stat: float, dof: int) -> float:
    return float(stats.chi2.sf(stat, dof))
