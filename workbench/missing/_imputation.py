"""Imputation of panel and survey data, evaluation by masking, flags and the imputed copy of the
database. Imputed values always carry ``imputed=True``."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd

from ..foundation.errors import WorkbenchError
from . import _impute as _imp
from . import _plots as _plots
from . import _stats as _st
from ._common import (
    _FOOTNOTE,
    IMPUTED_MARK,
    PANEL_METHODS,
    SURVEY_METHODS,
    _check_choice,
    _check_columns,
)
from ._diagnostics import RubinPool, pool_rubin


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

