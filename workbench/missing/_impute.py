"""Panel and survey imputation helpers behind :mod:`workbench.missing`.

Interpolation and LOCF are pandas operations along each district's year axis; the
cross-sectional methods are scikit-learn's KNNImputer / IterativeImputer on a
district x year matrix per indicator (so a district borrows from districts whose series
look alike).  Hot-deck within classes is written here because no maintained Python
library offers it (R: ``VIM::hotdeck``, ``simputation::impute_rhd``).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from sklearn.exceptions import ConvergenceWarning
from sklearn.experimental import enable_iterative_imputer  # noqa: F401
from sklearn.impute import IterativeImputer, KNNImputer

PANEL_METHODS = ("interpolate", "locf", "knn", "iterative")


def panel_grid(obs: pd.DataFrame, regions: list[str] | None, years: list[int] | None
               ) -> pd.DataFrame:
    """Wide matrix: rows (indicator, region), columns years; NaN where no observation."""
    wide = obs.pivot_table(index=["indicator", "region"], columns="year", values="value",
                           aggfunc="first")
    inds = wide.index.get_level_values("indicator").unique()
    regs = regions if regions is not None else sorted(obs["region"].unique())
    yrs = years if years is not None else sorted(obs["year"].unique())
    full = pd.MultiIndex.from_product([inds, regs], names=["indicator", "region"])
    return wide.reindex(index=full, columns=yrs)


def fill_time(wide: pd.DataFrame, locf: bool) -> pd.DataFrame:
    """Linear interpolation inside each series; carry the last value forward if asked."""
    out = wide.interpolate(axis=1, limit_area="inside")
    if locf:
        out = out.ffill(axis=1)
    return out


def fill_cross(wide: pd.DataFrame, method: str, seed: int, k: int) -> pd.DataFrame:
    """Borrow from similar districts, one indicator at a time (districts x years)."""
    parts = []
    for _ind, block in wide.groupby(level="indicator", sort=False):
        x = block.to_numpy()
        keep = ~np.isnan(x).all(axis=0)  # a year nobody reported stays missing
        filled = x.copy()
        if keep.sum() and np.isnan(x[:, keep]).any() and len(x) > 1:
            if method == "knn":
                imp = KNNImputer(n_neighbors=min(k, len(x) - 1))
            else:
                imp = IterativeImputer(max_iter=10, random_state=seed, tol=1e-3)
            with warnings.catch_warnings():
                # a fixed iteration budget is the design; accuracy is judged by masking
                warnings.simplefilter("ignore", ConvergenceWarning)
                filled[:, keep] = imp.fit_transform(x[:, keep])
            # rows with no observed year get a column mean: not borrowing, keep missing
            empty_rows = np.isnan(x[:, keep]).all(axis=1)
            filled[empty_rows] = np.nan
        parts.append(pd.DataFrame(filled, index=block.index, columns=block.columns))
    return pd.concat(parts) if parts else wide


def hotdeck(values: pd.Series, classes: pd.Series | None, rng: np.random.Generator
            ) -> pd.Series:
    """Random hot-deck: each hole gets a random donor's value from its own class."""
    out = values.copy()
    groups = classes if classes is not None else pd.Series(0, index=values.index)
    for _, idx in values.groupby(groups, dropna=False).groups.items():  # one pass per class
        part = values.loc[idx]
        donors = part.dropna().to_numpy()
        holes = part.index[part.isna()]
        if len(holes) and len(donors):
            out.loc[holes] = rng.choice(donors, size=len(holes), replace=True)
    return out


def iterative_draw(x: pd.DataFrame, seed: int, posterior: bool, max_iter: int = 10
                   ) -> pd.DataFrame:
    imp = IterativeImputer(max_iter=max_iter, sample_posterior=posterior, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return pd.DataFrame(imp.fit_transform(x), index=x.index, columns=x.columns)
