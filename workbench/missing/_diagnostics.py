"""Diagnostics of the missingness mechanism: Little's MCAR test, md.pattern, Rubin's rules,
group comparisons and a logistic model of missingness."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from ..foundation.errors import WorkbenchError, choices_text
from . import _plots as _plots
from . import _stats as _st
from ._common import _check_columns


# -- diagnostics -------------------------------------------------------------------
@dataclass(frozen=True)
class LittleResult:
    """Little's MCAR test: chi-square ``statistic`` on ``df`` degrees of freedom."""

    statistic: float
    df: int
    p_value: float
    n_patterns: int
    n_rows: int
    mean: pd.Series = field(repr=False)
    cov: pd.DataFrame = field(repr=False)
    n_all_missing: int = 0
    iterations: int = field(default=0, repr=False)

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([{"statistic": self.statistic, "df": self.df,
                              "p_value": self.p_value, "n_patterns": self.n_patterns,
                              "n_rows": self.n_rows, "n_all_missing": self.n_all_missing}])

    def _repr_html_(self) -> str:
        return self.to_frame().to_html(index=False)


def little_mcar_test(df: pd.DataFrame, tol: float = 1e-10, max_iter: int = 10_000
                     ) -> LittleResult:
    """Little's (1988) test that data are missing completely at random.

    Mean and covariance are EM maximum-likelihood estimates under a multivariate normal
    (as ``norm::em.norm`` inside ``naniar::mcar_test``); then
    ``d2 = sum_j n_j (ybar_j - mu_j)' S_j^-1 (ybar_j - mu_j)`` over missingness patterns,
    on ``sum_j p_j - p`` degrees of freedom.

    Rows with every variable missing carry no information and are left out of the test
    (as in ``norm``); their number is reported as ``n_all_missing``.  Non-numeric or
    all-missing columns, constant columns, fewer rows than variables plus one, and data
    without any missing value raise :class:`WorkbenchError`.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> x = pd.DataFrame(rng.normal(size=(200, 3)), columns=list("abc"))
    >>> x.loc[rng.random(200) < 0.2, "c"] = np.nan
    >>> r = little_mcar_test(x)
    >>> r.df, r.n_patterns
    (2, 2)
    """
    x = _st.numeric_matrix(df, "little_mcar_test")
    allmiss = x.isna().all(axis=1)
    x = x[~allmiss]
    p = x.shape[1]
    if len(x) < p + 1:
        raise WorkbenchError(
            f"little_mcar_test: {len(x)} usable rows for {p} variables; the covariance needs "
            f"at least {p + 1} rows",
            f"little_mcar_test：{p} 个变量只有 {len(x)} 行可用，至少需要 {p + 1} 行")
    const = [c for c in x.columns if x[c].nunique(dropna=True) < 2]
    if const:
        raise WorkbenchError(f"little_mcar_test: column(s) {choices_text(const)} are constant "
                             "(zero variance); drop them",
                             f"little_mcar_test：列 {choices_text(const)} 为常数，请去掉")
    if not x.isna().any().any():
        raise WorkbenchError("little_mcar_test: no missing values, nothing to test",
                             "little_mcar_test：没有缺失值，无需检验")
    # standardise so the convergence tolerance is scale-free; d2 is scale-invariant
    centre, scale = x.mean(), x.std()
    y = ((x - centre) / scale).to_numpy()
    try:
        pstats = _st.pattern_stats(y)
        mu, sigma, iters = _st.em_mvn(y, tol=tol, max_iter=max_iter, stats_=pstats)
        if np.linalg.eigvalsh(sigma)[0] < 1e-10:  # data are standardised: scale-free check
            raise np.linalg.LinAlgError("singular")
        d2, dof, npat = _st.little_d2(y, mu, sigma, pstats)
    except np.linalg.LinAlgError as err:
        raise WorkbenchError("little_mcar_test: the covariance matrix is singular (collinear "
                             f"columns {choices_text(x.columns)}?)",
                             "little_mcar_test：协方差矩阵奇异（列共线？）") from err
    mean = pd.Series(mu * scale.to_numpy() + centre.to_numpy(), index=x.columns)
    cov = pd.DataFrame(sigma * np.outer(scale, scale), index=x.columns, columns=x.columns)
    return LittleResult(d2, dof, _st.chi2_sf(d2, dof), npat, len(x), mean, cov,
                        int(allmiss.sum()), iters)


@dataclass(frozen=True)
class PatternTable:
    """Missingness patterns as ``mice::md.pattern``: 1 observed, 0 missing.

    ``table`` has one row per pattern (``count`` rows, ``n_missing`` variables missing)
    and a last row ``total`` with the missing count per variable.
    """

    table: pd.DataFrame

    @property
    def n_patterns(self) -> int:
        return len(self.table) - 1

    @property
    def n_missing(self) -> int:
        return int(self.table.loc["total", "n_missing"])

    def __repr__(self) -> str:
        return (f"PatternTable({self.n_patterns} patterns, {self.n_missing} missing values)\n"
                f"{self.table}")

    def _repr_html_(self) -> str:
        return self.table.to_html()


def md_pattern(df: pd.DataFrame) -> PatternTable:
    """Pattern table of missing values, ordered as ``mice::md.pattern``.

    Columns go from least to most missing; rows sort by the pattern of missing flags, so the
    complete cases come first.

    Examples
    --------
    >>> import pandas as pd
    >>> md_pattern(pd.DataFrame({"a": [1, None], "b": [None, None]})).n_missing
    3
    """
    if not isinstance(df, pd.DataFrame) or df.shape[1] == 0 or len(df) == 0:
        raise WorkbenchError("md_pattern needs a DataFrame with at least one row and column",
                             "md_pattern 需要至少一行一列的 DataFrame")
    return PatternTable(_st.md_pattern_table(df))


@dataclass(frozen=True)
class RubinPool:
    """Estimates pooled over ``m`` imputations by Rubin's rules (as ``mice::pool.scalar``)."""

    m: int
    qbar: float | np.ndarray
    ubar: float | np.ndarray
    b: float | np.ndarray
    t: float | np.ndarray
    df: float | np.ndarray
    riv: float | np.ndarray
    fmi: float | np.ndarray
    lambda_: float | np.ndarray = float("nan")

    def conf_int(self, level: float = 0.95) -> tuple:
        half = stats.t.ppf(0.5 + level / 2, self.df) * np.sqrt(self.t)
        return self.qbar - half, self.qbar + half

    def to_frame(self) -> pd.DataFrame:
        cols = ["qbar", "ubar", "b", "t", "df", "riv", "fmi"]
        return pd.DataFrame({c: np.atleast_1d(getattr(self, c)) for c in cols})

    def _repr_html_(self) -> str:
        return self.to_frame().to_html(index=False)


def pool_rubin(estimates, variances, dfcom: float | None = None) -> RubinPool:
    """Pool ``m`` estimates and their squared standard errors by Rubin's rules.

    ``dfcom`` is the complete-data degrees of freedom (``n - k``; ``None`` for a large
    sample).  ``df`` is the Barnard-Rubin (1999) small-sample value and ``fmi`` uses mice's
    ``(riv + 2/(df + 3)) / (1 + riv)``; ``lambda_`` is the proportion of the total variance
    due to missingness, ``(1 + 1/m) b / t`` (mice's ``lambda``; the Barnard-Rubin df uses it
    floored at 1e-4, as mice does).  Arrays of shape (m, k) pool k parameters at once.
    Infinite or missing estimates or variances raise an error naming their positions.

    Examples
    --------
    >>> r = pool_rubin([1.0, 2.0, 3.0], [1.0, 1.0, 1.0], dfcom=10)
    >>> round(float(r.df), 4), round(float(r.fmi), 4), round(float(r.lambda_), 4)
    (2.2778, 0.7338, 0.5714)
    """
    q = np.asarray(estimates, dtype=float)
    u = np.asarray(variances, dtype=float)
    if q.shape != u.shape or q.ndim not in (1, 2):
        raise WorkbenchError(f"pool_rubin: estimates {q.shape} and variances {u.shape} must "
                             "have the same shape (m,) or (m, k)",
                             "pool_rubin：估计值与方差的形状必须相同 (m,) 或 (m, k)")
    if q.shape[0] < 2:
        raise WorkbenchError("pool_rubin needs at least 2 imputations (m >= 2)",
                             "pool_rubin 至少需要 2 次插补 (m >= 2)")
    for arr, what, zh in ((q, "estimates", "估计值"), (u, "variances", "方差")):
        bad = np.argwhere(~np.isfinite(arr))
        if len(bad):
            where = ", ".join(f"{tuple(int(i) for i in b)}={arr[tuple(b)]}" for b in bad[:5])
            raise WorkbenchError(f"pool_rubin: {what} must be finite numbers; not finite at "
                                 f"(imputation[, parameter]) {where}",
                                 f"pool_rubin：{zh}必须为有限数值；以下位置不是：{where}")
    if (u < 0).any():
        where = ", ".join(f"{tuple(int(i) for i in b)}={u[tuple(b)]}"
                          for b in np.argwhere(u < 0)[:5])
        raise WorkbenchError(f"pool_rubin: variances must not be negative; negative at {where}",
                             f"pool_rubin：方差不能为负；以下位置为负：{where}")
    if dfcom is not None and not dfcom > 0:
        raise WorkbenchError(f"pool_rubin: dfcom must be positive (n - k) or None, got {dfcom}",
                             f"pool_rubin：dfcom 须为正数 (n - k) 或 None，实际 {dfcom}")
    r = _st.rubin(q, u, dfcom)
    pick = (lambda v: float(v)) if q.ndim == 1 else (lambda v: v)
    return RubinPool(q.shape[0], *(pick(r[k]) for k in
                                   ("qbar", "ubar", "b", "t", "df", "riv", "fmi",
                                    "lambda_")))


def compare_groups(df: pd.DataFrame, target: str, covariates: list[str]) -> pd.DataFrame:
    """Covariate means where ``target`` is missing vs observed, with Welch's t test.

    A difference suggests the holes are not MCAR (they depend on the covariate).
    """
    _check_columns(df, [target, *covariates])
    miss = df[target].isna()
    g = df[covariates].apply(pd.to_numeric, errors="raise").groupby(miss)
    means, counts = g.mean(), g.count()
    if len(means) < 2:
        raise WorkbenchError(f"compare_groups: {target!r} has no missing (or no observed) values",
                             f"compare_groups：{target} 没有缺失值（或没有观测值）")
    tt = stats.ttest_ind(df.loc[miss, covariates], df.loc[~miss, covariates],
                         equal_var=False, nan_policy="omit")
    return pd.DataFrame({"covariate": covariates, "mean_missing": means.loc[True].to_numpy(),
                         "mean_observed": means.loc[False].to_numpy(),
                         "n_missing": counts.loc[True].to_numpy(),
                         "n_observed": counts.loc[False].to_numpy(),
                         "difference": (means.loc[True] - means.loc[False]).to_numpy(),
                         "t": np.asarray(tt.statistic), "p_value": np.asarray(tt.pvalue)})


def missingness_model(df: pd.DataFrame, target: str, covariates: list[str]) -> pd.DataFrame:
    """Logistic regression (statsmodels) of ``target`` being missing on covariates.

    Rows with a missing covariate are excluded; their number is in ``attrs['n_excluded']``.
    """
    import statsmodels.api as sm

    _check_columns(df, [target, *covariates])
    x = df[covariates].apply(pd.to_numeric, errors="raise")
    ok = x.notna().all(axis=1)
    y = df.loc[ok, target].isna().astype(float)
    if y.nunique() < 2:
        raise WorkbenchError(f"missingness_model: {target!r} is never (or always) missing",
                             f"missingness_model：{target} 从不（或总是）缺失")
    fit = sm.Logit(y, sm.add_constant(x[ok])).fit(disp=0)
    ci = fit.conf_int()
    out = pd.DataFrame({"term": fit.params.index, "coef": fit.params.to_numpy(),
                        "se": fit.bse.to_numpy(), "z": fit.tvalues.to_numpy(),
                        "p_value": fit.pvalues.to_numpy(), "odds_ratio": np.exp(fit.params)
                        .to_numpy(), "ci_low": ci[0].to_numpy(), "ci_high": ci[1].to_numpy()})
    out.attrs["n_excluded"] = int((~ok).sum())
    return out

