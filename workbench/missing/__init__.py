"""Missing data: gaps in the indicator system, mechanism diagnostics, flagged imputation.

Coverage compares the cells the catalogue expects (indicator x district x year x each
breakdown level named in ``disaggregations``) with the rows present in the database.
Little's MCAR test (EM maximum likelihood, as ``naniar::mcar_test``), the md.pattern table
and Rubin's rules with Barnard-Rubin degrees of freedom (as ``mice::pool.scalar``) are
written by hand in :mod:`workbench._missing_stats` because no maintained Python library
reproduces R's results; imputation uses pandas and scikit-learn.  Imputed values always
carry ``imputed=True``; observed values are never changed.

Examples
--------
>>> import pandas as pd
>>> from workbench.missing import md_pattern, pool_rubin
>>> md_pattern(pd.DataFrame({"a": [1, None, 3], "b": [1.0, 2.0, None]})).table["count"].tolist()
[1, 1, 1, 3]
>>> round(float(pool_rubin([1.0, 2.0, 3.0], [1.0, 1.0, 1.0]).t), 4)
2.3333
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from . import _impute as _imp
from . import _plots as _plots
from . import _stats as _st
from ..foundation.errors import WorkbenchError, choices_text

__all__ = ["LittleResult", "PatternTable", "RubinPool", "Coverage", "little_mcar_test",
           "md_pattern", "pool_rubin", "panel_coverage", "coverage_gaps", "compare_groups",
           "missingness_model", "impute_panel", "impute_survey", "multiple_impute",
           "mi_pool_mean", "evaluate_by_masking", "share_imputed", "flag_values",
           "write_imputed", "missing_matrix_plot", "coverage_heatmap", "coverage_choropleth",
           "imputed_series_plot", "PANEL_METHODS", "SURVEY_METHODS", "BREAKDOWN_LEVELS",
           "IMPUTED_MARK", "load_dataset", "SURVEY_IDENTIFIERS"]

PANEL_METHODS = _imp.PANEL_METHODS
SURVEY_METHODS = ("hotdeck", "iterative")
BREAKDOWN_LEVELS = {"sex": ("female", "male"), "residence": ("urban", "rural"),
                    "hukou": ("local", "migrant")}  # age_group levels come from the catalogue
IMPUTED_MARK = "†"
_FOOTNOTE = {"en": f"{IMPUTED_MARK} imputed value (not observed); method: {{}}.",
             "zh": f"{IMPUTED_MARK} 插补值（非观测值）；方法：{{}}。"}


def _check_choice(value: str, valid: tuple[str, ...], name: str) -> None:
    if value not in valid:
        raise WorkbenchError(f"unknown {name} {value!r}; valid choices: {choices_text(valid)}",
                             f"未知的 {name}「{value}」；可选：{choices_text(valid)}")


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
    ``(riv + 2/(df + 3)) / (1 + riv)``.  Arrays of shape (m, k) pool k parameters at once.

    Examples
    --------
    >>> r = pool_rubin([1.0, 2.0, 3.0], [1.0, 1.0, 1.0], dfcom=10)
    >>> round(float(r.df), 4), round(float(r.fmi), 4)
    (2.2778, 0.7338)
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
    if np.isnan(q).any() or np.isnan(u).any() or (u < 0).any():
        raise WorkbenchError("pool_rubin: estimates/variances contain NaN or negative "
                             "variances", "pool_rubin：估计值或方差含 NaN 或负方差")
    if dfcom is not None and not dfcom > 0:
        raise WorkbenchError(f"pool_rubin: dfcom must be positive (n - k) or None, got {dfcom}",
                             f"pool_rubin：dfcom 须为正数 (n - k) 或 None，实际 {dfcom}")
    r = _st.rubin(q, u, dfcom)
    pick = (lambda v: float(v)) if q.ndim == 1 else (lambda v: v)
    return RubinPool(q.shape[0], *(pick(r[k]) for k in
                                   ("qbar", "ubar", "b", "t", "df", "riv", "fmi")))


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


def _check_columns(df: pd.DataFrame, cols: list[str]) -> None:
    absent = [c for c in cols if c not in df.columns]
    if absent:
        raise WorkbenchError(f"column(s) {choices_text(absent)} not found; available: "
                             f"{choices_text(df.columns)}",
                             f"找不到列 {choices_text(absent)}；现有列：{choices_text(df.columns)}")


# -- coverage of the monitoring panel ----------------------------------------------
@dataclass(frozen=True)
class Coverage:
    """Expected vs observed cells of the monitoring panel.

    ``cells`` has one row per expected cell (indicator, region, year, breakdown, level) with
    ``observed``; ``by_indicator`` / ``by_region`` / ``by_year`` give the share observed.
    """

    cells: pd.DataFrame = field(repr=False)
    catalogue_table: pd.DataFrame = field(repr=False)

    def share(self, by: str | list[str]) -> pd.DataFrame:
        g = self.cells.groupby(by, observed=True)["observed"]
        return g.agg(expected="size", observed="sum").assign(
            coverage=lambda t: t["observed"] / t["expected"]).reset_index()

    @property
    def by_indicator(self) -> pd.DataFrame:
        return self.share("indicator")

    @property
    def by_region(self) -> pd.DataFrame:
        return self.share("region")

    def matrix(self, rows: str = "indicator", cols: str = "year") -> pd.DataFrame:
        """Share observed as a rows x cols table, for heatmaps."""
        return self.share([rows, cols]).pivot(index=rows, columns=cols, values="coverage")

    def __repr__(self) -> str:
        c = self.cells
        return (f"Coverage({c['indicator'].nunique()} indicators, {c['region'].nunique()} "
                f"regions, {len(c)} expected cells, {c['observed'].mean():.1%} observed)")

    def _repr_html_(self) -> str:
        return f"<p>{self.__repr__()}</p>" + self.by_indicator.to_html(index=False)


def _expected_levels(cat_table: pd.DataFrame) -> pd.DataFrame:
    """indicator, breakdown, level: 'total' plus every level of every disaggregation."""
    t = cat_table[["code", "disaggregations", "age_groups"]].fillna("")
    rows = [pd.DataFrame({"indicator": t["code"], "breakdown": "total", "level": "total"})]
    split = t.assign(breakdown=t["disaggregations"].str.split(";")).explode("breakdown")
    split = split[split["breakdown"].str.len() > 0]
    for name, levels in BREAKDOWN_LEVELS.items():
        sub = split[split["breakdown"] == name]
        rows.append(sub[["code", "breakdown"]].rename(columns={"code": "indicator"})
                    .merge(pd.DataFrame({"level": levels}), how="cross"))
    ages = split[split["breakdown"] == "age_group"].assign(
        level=lambda d: d["age_groups"].str.split(";")).explode("level")
    rows.append(ages.rename(columns={"code": "indicator"})[["indicator", "breakdown", "level"]])
    return pd.concat(rows, ignore_index=True)


def _breakdown_of(obs: pd.DataFrame) -> pd.DataFrame:
    """Which breakdown (and level) each observation row belongs to.

    A cross-classified row (two dimensions not 'total') counts under the first of
    sex, age_group, residence, hukou.
    """
    dims = ["sex", "age_group", "residence", "hukou"]
    not_total = obs[dims].ne("total").to_numpy()
    breakdown = np.select(list(not_total.T), dims, default="total")
    level = np.select(list(not_total.T), [obs[d].to_numpy() for d in dims], default="total")
    return obs.assign(breakdown=breakdown, level=level)


def panel_coverage(observations: pd.DataFrame, catalogue, regions: list[str],
                   years: list[int], indicators: list[str] | None = None) -> Coverage:
    """Coverage of the panel: catalogue-expected cells vs rows in ``observations``.

    ``observations`` is ``Database.observations(breakdown=None)``; ``regions`` the districts
    and ``years`` the years expected.  Every expected cell appears once in ``cells``.

    Examples
    --------
    >>> from workbench.catalogue import load_catalogue
    >>> import pandas as pd
    >>> obs = pd.DataFrame({"indicator": ["H04"], "region": ["210102"], "year": [2020],
    ...     "sex": ["total"], "age_group": ["total"], "residence": ["total"],
    ...     "hukou": ["total"], "value": [1.0]})
    >>> cov = panel_coverage(obs, load_catalogue(), ["210102"], [2020, 2021], ["H04"])
    >>> cov.by_indicator[["expected", "observed"]].values.tolist()
    [[6, 1]]
    """
    table = catalogue.table
    if indicators is not None:
        catalogue.check_codes(list(indicators))
        table = table.loc[list(indicators)]
    if not len(regions) or not len(years):
        raise WorkbenchError("panel_coverage needs at least one region and one year",
                             "panel_coverage 至少需要一个地区和一个年份")
    levels = _expected_levels(table.reset_index(drop=True))
    grid = levels.merge(pd.DataFrame({"region": list(regions)}), how="cross").merge(
        pd.DataFrame({"year": [int(y) for y in years]}), how="cross")
    _check_columns(observations, ["indicator", "region", "year", "sex", "age_group",
                                  "residence", "hukou", "value"])
    have = _breakdown_of(observations[observations["value"].notna()])
    have = have[["indicator", "region", "year", "breakdown", "level"]].drop_duplicates()
    have = have.assign(year=have["year"].astype(int), observed=True)
    cells = grid.merge(have, how="left", on=["indicator", "region", "year", "breakdown",
                                               "level"])
    cells["observed"] = cells["observed"].fillna(False).astype(bool)
    return Coverage(cells, table)


def coverage_gaps(coverage: Coverage, threshold: float = 0.5, lang: str = "en"
                  ) -> pd.DataFrame:
    """Indicators with no data or coverage below ``threshold``: special-survey candidates.

    Columns: indicator, name, coverage, status (``never_collected`` / ``low_coverage``),
    responsible_unit, source_type, expected, observed.
    """
    if not 0 <= threshold <= 1:
        raise WorkbenchError(f"threshold must be between 0 and 1, got {threshold}",
                             f"threshold 须在 0 到 1 之间，实际 {threshold}")
    if lang not in ("zh", "en"):
        raise WorkbenchError(f"unknown lang {lang!r}; valid choices: zh, en",
                             f"未知语言「{lang}」；可选：zh, en")
    s = coverage.by_indicator
    t = coverage.catalogue_table
    gaps = s[(s["observed"] == 0) | (s["coverage"] < threshold)].copy()
    gaps["status"] = np.where(gaps["observed"] == 0, "never_collected", "low_coverage")
    gaps["name"] = t.loc[gaps["indicator"], f"name_{lang}"].to_numpy()
    gaps["responsible_unit"] = t.loc[gaps["indicator"], "responsible_unit"].to_numpy()
    gaps["source_type"] = t.loc[gaps["indicator"], "source_type"].to_numpy()
    cols = ["indicator", "name", "status", "coverage", "expected", "observed",
            "responsible_unit", "source_type"]
    return gaps[cols].sort_values(["coverage", "indicator"]).reset_index(drop=True)


# -- imputation ---------------------------------------------------------------------
def impute_panel(observations: pd.DataFrame, method: str = "interpolate",
                 regions: list[str] | None = None, years: list[int] | None = None,
                 locf: bool = False, k: int = 5, seed: int = 0) -> pd.DataFrame:
    """Fill holes in district x year series of each indicator (totals only).

    Methods: ``interpolate`` (linear, inside a district's own series; with ``locf=True``
    the last observation is also carried forward), ``locf`` (last observation carried
    forward only), ``knn`` (KNNImputer: the ``k`` districts with the most similar series
    of the same indicator), ``iterative`` (IterativeImputer across districts, years as
    features).  Cells no method can fill (a district or year with no data at all) stay
    absent.  Returns the observed rows unchanged (``imputed=False``) plus one row per
    imputed cell (``imputed=True``, ``method``) in the columns of ``observations``.

    Examples
    --------
    >>> import pandas as pd
    >>> obs = pd.DataFrame({"indicator": "H04", "region": "210102", "year": [2020, 2022],
    ...                     "value": [1.0, 3.0]})
    >>> out = impute_panel(obs, years=[2020, 2021, 2022])
    >>> out[["year", "value", "imputed"]].values.tolist()
    [[2020, 1.0, False], [2021, 2.0, True], [2022, 3.0, False]]
    """
    _check_choice(method, PANEL_METHODS, "method")
    _check_columns(observations, ["indicator", "region", "year", "value"])
    obs = _totals(observations)
    dup = obs.duplicated(["indicator", "region", "year"])
    if dup.any():
        first = obs[dup].iloc[0]
        raise WorkbenchError(f"impute_panel: {int(dup.sum())} duplicate indicator/region/year "
                             f"rows, e.g. {first['indicator']} {first['region']} "
                             f"{first['year']}", "impute_panel：指标/地区/年份有重复行")
    wide = _imp.panel_grid(obs, regions, years)
    if method in ("interpolate", "locf"):
        filled = (wide.ffill(axis=1) if method == "locf"
                  else _imp.fill_time(wide, locf))
    else:
        filled = _imp.fill_cross(wide, method, seed, k)
    new = filled.where(wide.isna()).stack().rename("value").reset_index()
    new = new.dropna(subset=["value"]).assign(imputed=True, method=method)
    base = obs.assign(imputed=obs.get("imputed", False), method="observed")
    base["imputed"] = base["imputed"].fillna(False).astype(bool)
    out = pd.concat([base, new], ignore_index=True)
    for dim in ("sex", "age_group", "residence", "hukou"):
        if dim in observations.columns:
            out[dim] = out[dim].fillna("total")
    if "source" in out.columns:  # an imputed cell keeps its series' source type
        src = obs.groupby("indicator")["source"].first()
        out["source"] = out["source"].fillna(out["indicator"].map(src))
    out["year"] = out["year"].astype(int)
    return out.sort_values(["indicator", "region", "year"], kind="stable").reset_index(drop=True)


def _totals(observations: pd.DataFrame) -> pd.DataFrame:
    """Rows of the total breakdown (all present dimension columns equal 'total')."""
    dims = [d for d in ("sex", "age_group", "residence", "hukou") if d in observations.columns]
    keep = observations[dims].eq("total").all(axis=1) if dims else True
    obs = observations[keep] if dims else observations
    return obs[obs["value"].notna()].copy()


def impute_survey(df: pd.DataFrame, columns: list[str], method: str = "hotdeck",
                  by: list[str] | str | None = None, seed: int = 0,
                  predictors: list[str] | None = None) -> pd.DataFrame:
    """Item imputation for survey microdata; adds ``imputed_<column>`` flags.

    ``hotdeck``: each hole gets the value of a random donor from the same class (``by``);
    ``iterative``: IterativeImputer on ``columns`` plus numeric ``predictors``.  Holes in a
    class with no donor stay missing (and unflagged).  Observed values are unchanged.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"g": ["a", "a", "b"], "y": [1.0, None, 5.0]})
    >>> impute_survey(d, ["y"], by="g")[["y", "imputed_y"]].values.tolist()
    [[1.0, False], [1.0, True], [5.0, False]]
    """
    _check_choice(method, SURVEY_METHODS, "method")
    by_cols = [by] if isinstance(by, str) else list(by or [])
    _check_columns(df, [*columns, *by_cols, *(predictors or [])])
    out = df.copy()
    rng = np.random.default_rng(seed)
    if method == "hotdeck":
        classes = (df[by_cols].astype(str).agg("|".join, axis=1) if by_cols else None)
        for c in columns:
            out[c] = _imp.hotdeck(df[c], classes, rng)
    else:
        x = _st.numeric_matrix(df[[*columns, *(predictors or [])]], "impute_survey")
        out[columns] = _imp.iterative_draw(x, seed, posterior=False)[columns]
    for c in columns:
        out[f"imputed_{c}"] = df[c].isna() & out[c].notna()
    return out


def multiple_impute(df: pd.DataFrame, m: int = 5, seed: int = 0, max_iter: int = 10
                    ) -> list[pd.DataFrame]:
    """``m`` completed copies of numeric ``df`` drawn by IterativeImputer(sample_posterior).

    Each draw uses a different seed (``seed + i``), so the spread between copies reflects
    imputation uncertainty, as Rubin's rules require.  ``max_iter`` is the number of
    chained-equation rounds (one suffices when a single column has holes).
    """
    if m < 2:
        raise WorkbenchError(f"multiple_impute needs m >= 2 imputations, got {m}",
                             f"multiple_impute 至少需要 2 次插补，实际 {m}")
    x = _st.numeric_matrix(df, "multiple_impute")
    return [_imp.iterative_draw(x, seed + i, True, max_iter) for i in range(m)]


def mi_pool_mean(df: pd.DataFrame, column: str, m: int = 5, seed: int = 0,
                 max_iter: int = 10) -> RubinPool:
    """Mean of ``column`` by multiple imputation, pooled by Rubin's rules (dfcom = n - 1).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> d = pd.DataFrame({"x": rng.normal(size=50)}); d["y"] = d["x"] + rng.normal(size=50)
    >>> d.loc[:9, "y"] = np.nan
    >>> mi_pool_mean(d, "y", m=3).m
    3
    """
    _check_columns(df, [column])
    draws = multiple_impute(df, m, seed, max_iter)
    n = len(df)
    q = np.array([d[column].mean() for d in draws])
    u = np.array([d[column].var(ddof=1) / n for d in draws])
    return pool_rubin(q, u, dfcom=n - 1)


# -- evaluation by masking ------------------------------------------------------------
def evaluate_by_masking(observations: pd.DataFrame, methods: tuple[str, ...] = PANEL_METHODS,
                        regions: list[str] | None = None, years: list[int] | None = None,
                        min_share: float = 0.1, repeats: int = 1, seed: int = 0
                        ) -> pd.DataFrame:
    """Hide observed values in the pattern of the real holes, impute, and score.

    For each indicator and year, a share of observed cells equal to that indicator-year's
    real missing share (at least ``min_share``) is hidden at random; each method fills the
    panel and is scored on the hidden cells: ``mae``, ``rmse``, ``bias`` (imputed minus
    true), ``n_masked`` and ``filled`` (share of hidden cells the method could fill).
    """
    for mth in methods:
        _check_choice(mth, PANEL_METHODS, "method")
    if not 0 < min_share < 1:
        raise WorkbenchError(f"min_share must be in (0, 1), got {min_share}",
                             f"min_share 须在 0 和 1 之间，实际 {min_share}")
    obs = _totals(observations)
    wide = _imp.panel_grid(obs, regions, years)
    miss_share = wide.isna().groupby(level="indicator").transform("mean")
    rng = np.random.default_rng(seed)
    scores = []
    for rep in range(repeats):
        hide = wide.notna() & (rng.random(wide.shape) < miss_share.clip(lower=min_share))
        truth = wide.where(hide).stack().rename("truth")
        kept = wide.mask(hide).stack().rename("value").reset_index()
        for mth in methods:
            filled = impute_panel(kept, mth, list(wide.index.levels[1]), list(wide.columns),
                                  seed=seed + rep)
            est = filled.set_index(["indicator", "region", "year"])["value"]
            both = truth.to_frame().join(est.rename("estimate"), how="left")
            scores.append(both.assign(method=mth, repeat=rep).reset_index())
    return _score(pd.concat(scores, ignore_index=True))


def _score(both: pd.DataFrame) -> pd.DataFrame:
    err = both["estimate"] - both["truth"]
    both = both.assign(err=err, abs_err=err.abs(), sq_err=err**2,
                       filled=both["estimate"].notna())
    g = both.groupby(["method", "indicator"])
    out = g.agg(n_masked=("truth", "size"), filled=("filled", "mean"), mae=("abs_err", "mean"),
                rmse=("sq_err", "mean"), bias=("err", "mean")).reset_index()
    out["rmse"] = np.sqrt(out["rmse"])
    return out


# -- flags in tables, shares and the database -----------------------------------------
def share_imputed(frame: pd.DataFrame) -> pd.DataFrame:
    """Share of imputed values per indicator (rows of an imputed panel)."""
    _check_columns(frame, ["indicator", "imputed"])
    return (frame.groupby("indicator")["imputed"].agg(n_cells="size", n_imputed="sum")
            .assign(share_imputed=lambda t: t["n_imputed"] / t["n_cells"]).reset_index())


def flag_values(frame: pd.DataFrame, index: str = "region", columns: str = "year",
                digits: int = 1, lang: str = "en") -> tuple[pd.DataFrame, str]:
    """A display table with imputed values marked ``†`` and the footnote to print under it.

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame({"region": "r", "year": [1, 2], "value": [1.0, 2.0],
    ...                   "imputed": [False, True], "method": ["observed", "locf"]})
    >>> t, note = flag_values(f)
    >>> t.values.tolist()
    [['1.0', '2.0†']]
    """
    _check_columns(frame, [index, columns, "value", "imputed"])
    if lang not in _FOOTNOTE:
        raise WorkbenchError(f"unknown lang {lang!r}; valid choices: zh, en",
                             f"未知语言「{lang}」；可选：zh, en")
    text = frame["value"].round(digits).map(f"{{:.{digits}f}}".format)
    text = text.where(~frame["imputed"].astype(bool), text + IMPUTED_MARK)
    table = frame.assign(text=text).pivot(index=index, columns=columns, values="text")
    used = frame.loc[frame["imputed"].astype(bool), "method"].unique() \
        if "method" in frame.columns else []
    return table.fillna(""), _FOOTNOTE[lang].format(", ".join(map(str, used)) or "-")


def write_imputed(imputed: pd.DataFrame, source: str | Path, dest: str | Path,
                  recorded_by: str = "workbench.missing", reason: str = "imputation") -> Path:
    """Copy the database ``source`` to ``dest`` and write the imputed rows there.

    The source is never written.  Imputed rows are stored with ``imputed=True`` through
    ``Database.write_observations`` (validated, one batch).
    """
    from ..store.database import connect

    source, dest = Path(source), Path(dest)
    if source.resolve() == dest.resolve():
        raise WorkbenchError(f"write_imputed: dest must differ from the source {source}",
                             f"write_imputed：目标文件不能是源数据库 {source}")
    _check_columns(imputed, ["indicator", "region", "year", "value", "imputed"])
    rows = imputed[imputed["imputed"].astype(bool)].drop(columns=["method"], errors="ignore")
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, dest)
    with connect(dest, read_only=False) as db:
        if len(rows):
            db.write_observations(rows.assign(imputed=True), recorded_by,
                                  reason)
    return dest


# -- figures --------------------------------------------------------------------------
def missing_matrix_plot(df: pd.DataFrame, lang: str = "zh", max_rows: int = 2000):
    """Missingness matrix of a table (missingno-style): dark observed, white missing."""
    return _plots.matrix_plot(df, lang, max_rows)


def coverage_heatmap(coverage: Coverage, rows: str = "indicator", cols: str = "year",
                     lang: str = "zh", title: str | None = None):
    """Heatmap of the share observed, e.g. indicator x year or indicator x region."""
    return _plots.heatmap(coverage.matrix(rows, cols), lang, title)


def coverage_choropleth(coverage: Coverage, boundaries, lang: str = "zh",
                        title: str | None = None):
    """Map of each district's share of expected cells observed (``plots.choropleth``)."""
    from ..foundation.plots import choropleth

    share = coverage.by_region.set_index("region")["coverage"]
    gdf = boundaries[boundaries["code"].isin(share.index)].copy()
    gdf["coverage"] = gdf["code"].map(share)
    return choropleth(gdf, "coverage", title or _plots.TEXT["map"][lang], lang, cmap="viridis")


def imputed_series_plot(frame: pd.DataFrame, indicator: str, names: pd.Series,
                        lang: str = "zh", title: str | None = None):
    """Series of one indicator by region, imputed points drawn hollow (a different mark)."""
    _check_columns(frame, ["indicator", "region", "year", "value", "imputed"])
    part = frame[frame["indicator"] == indicator]
    if part.empty:
        raise WorkbenchError(f"indicator {indicator!r} not in the frame; available: "
                             f"{choices_text(sorted(frame['indicator'].unique()))}",
                             f"数据中没有指标 {indicator}")
    return _plots.series_plot(part, names, lang, title or indicator)


# -- data for the notebook ------------------------------------------------------------
SURVEY_IDENTIFIERS = ("child_id", "name", "id_number", "guardian_phone")


def load_dataset(dataset: str, variables: list[str] | None = None,
                 indicators: list[str] | None = None, years: list[int] | None = None
                 ) -> pd.DataFrame:
    """Numeric table for the diagnostics: ``"survey"`` (demo survey items), ``"panel"``
    (district-year rows x indicator totals from the database) or a CSV path.

    Identifier columns of the survey are never returned.
    """
    if dataset == "panel":
        from ..store.database import connect

        with connect() as db:
            obs = db.observations(indicators=indicators, years=years, breakdown="total")
        return obs.pivot_table(index=["region", "year"], columns="indicator", values="value",
                               aggfunc="first")
    if dataset == "survey":
        from ..store.demo import load_survey

        data = load_survey()
    elif str(dataset).endswith(".csv") and Path(dataset).is_file():
        data = pd.read_csv(dataset)
    else:
        raise WorkbenchError(f"unknown dataset {dataset!r}; valid choices: panel, survey, or "
                             "the path of an existing .csv file",
                             f"未知数据集「{dataset}」；可选：panel、survey 或已有 .csv 文件路径")
    data = data.drop(columns=[c for c in SURVEY_IDENTIFIERS if c in data.columns])
    if variables:
        _check_columns(data, list(variables))
        data = data[list(variables)]
    return data
