"""Vectorised arithmetic behind :mod:`workbench.compare`.

Rank intervals by simulation, a weighted Gini and weighted Theil indices are
written here because the maintained library (PySAL ``inequality``) only has
unweighted versions; the tests cross-check the unweighted case against it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..foundation.errors import WorkbenchError


def check_values(values: object, weights: object = None, name: str = "values",
                 positive: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Finite, non-negative values and positive weights as float arrays, or a clear error."""
    x = _as_vector(values, name)
    w = np.ones_like(x) if weights is None else _as_vector(weights, "weights")
    labels = values.index if isinstance(values, pd.Series) else np.arange(len(x))
    if len(x) < 2:
        raise WorkbenchError(f"{name}: need at least 2 values, got {len(x)}",
                             f"{name}：至少需要 2 个数值，实际 {len(x)} 个")
    if len(w) != len(x):
        raise WorkbenchError(f"weights has {len(w)} entries but {name} has {len(x)}",
                             f"权重个数 {len(w)} 与数值个数 {len(x)} 不一致")
    for arr, what, zh in ((x, name, "数值"), (w, "weights", "权重")):
        bad = ~np.isfinite(arr)
        if bad.any():
            raise WorkbenchError(
                f"{what} has missing or infinite entries at {[str(v) for v in labels[bad][:10]]}; "
                "drop or impute them first",
                f"{zh}存在缺失或无穷值（位置 {list(labels[bad])[:10]}），请先处理")
    if (x < 0).any() or (positive and (x <= 0).any()):
        bad = labels[(x <= 0) if positive else (x < 0)]
        need, need_zh = ("positive", "正数") if positive else ("non-negative", "非负数")
        raise WorkbenchError(f"{name} must be {need}; offending entries at {list(bad)[:10]}",
                             f"{name} 必须为{need_zh}（位置 {list(bad)[:10]}）")
    if (w <= 0).any():
        raise WorkbenchError("weights must be positive", "权重必须为正数")
    if np.average(x, weights=w) == 0:
        raise WorkbenchError(f"{name} are all zero: the mean is 0, so relative inequality "
                             "is undefined", f"{name} 全为 0，均值为 0，相对不平等无定义")
    return x, w


def _as_vector(values: object, name: str) -> np.ndarray:
    """A 1-D float array, refusing None, scalars, 2-D input and text with the offending value."""
    if values is None or np.ndim(values) == 0:
        raise WorkbenchError(f"{name} must be a list, array or Series of numbers, got "
                             f"{values!r}",
                             f"{name} 必须是数值列表、数组或 Series，实际为 {values!r}")
    arr = np.asarray(values, dtype=object)
    if arr.ndim != 1:
        raise WorkbenchError(f"{name} must be one-dimensional, got shape {arr.shape}; pass one "
                             "column", f"{name} 必须是一维的，实际形状 {arr.shape}；请只传一列")
    num = pd.to_numeric(pd.Series(arr), errors="coerce").to_numpy(float)
    text = np.isnan(num) & pd.notna(pd.Series(arr)).to_numpy()
    if text.any():
        labels = values.index if isinstance(values, pd.Series) else np.arange(len(arr))
        shown = [f"{labels[i]}={arr[i]!r}" for i in np.flatnonzero(text)[:5]]
        raise WorkbenchError(f"{name} has entries that are not numbers: {', '.join(shown)}",
                             f"{name} 中有非数值项：{'、'.join(shown)}")
    return num


def gini(x: np.ndarray, w: np.ndarray) -> float:
    """Weighted Gini: sum_ij w_i w_j |x_i - x_j| / (2 W^2 mean), from sorted cumulative weights."""
    order = np.argsort(x, kind="stable")
    x, w = x[order], w[order]
    total = w.sum()
    cum = np.cumsum(w)
    mean = np.dot(w, x) / total
    return float(np.dot(w * x, 2 * cum - w - total) / (total**2 * mean))


def theil_parts(x: np.ndarray, w: np.ndarray, kind: str) -> np.ndarray:
    """Per-unit contributions s_i * f(x_i / mean) whose sum is the Theil index."""
    s = w / w.sum()
    r = x / np.dot(s, x)
    if kind == "T":
        with np.errstate(divide="ignore", invalid="ignore"):
            return s * np.where(r > 0, r * np.log(r), 0.0)  # lim r log r = 0
    return -s * np.log(r)


def rank_draws(values: np.ndarray, se: np.ndarray, higher_better: bool, n_draws: int,
               seed: int) -> np.ndarray:
    """Ranks (1 = best) of ``n_draws`` normal draws around the estimates, shape (draws, n).

    A zero or missing SE means the value is known exactly, so every draw keeps it and
    the rank interval collapses to the observed rank.
    """
    rng = np.random.default_rng(seed)
    sd = np.nan_to_num(np.asarray(se, dtype=float), nan=0.0)
    sims = values[None, :] + rng.standard_normal((n_draws, len(values))) * sd[None, :]
    return min_ranks(-sims if higher_better else sims)


def min_ranks(key: np.ndarray) -> np.ndarray:
    """Row-wise 'min' ranks (ties share the best rank), as ``scipy.stats.rankdata``.

    An unstable argsort plus a tie fix is ~2.5x faster than ``rankdata`` on 1,000 x 3,000
    (it sorts stably); the tests check both agree.
    """
    order = np.argsort(key, axis=1)
    ordered = np.take_along_axis(key, order, axis=1)
    new = np.ones(key.shape, dtype=bool)
    new[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
    first = np.maximum.accumulate(np.where(new, np.arange(key.shape[1]), 0), axis=1)
    ranks = np.empty(key.shape, dtype=np.int64)
    np.put_along_axis(ranks, order, first + 1, axis=1)
    return ranks
