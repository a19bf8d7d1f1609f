"""Replicate weights for :mod:`workbench.survey`: JK1, JKn, BRR, Fay, bootstrap, user columns.

As R ``survey``'s ``as.svrepdesign`` (``jk1weights``, ``jknweights``, ``brrweights``) and
``svrepdesign``: the variance of a statistic is ``scale * sum_r rscales_r (theta_r -
centre)^2`` (``svrVar``), the centre being the mean of the replicates (or the full-sample
estimate with ``mse=True``).  Replicate weights are held as analysis ("combined") weights,
one column per replicate.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..foundation.errors import ValidationError, WorkbenchError, choices_text
from ._checks import check_columns

REPLICATE_TYPES = ("JK1", "JKn", "BRR", "Fay", "bootstrap", "other")


@dataclass
class Replicates:
    """Replicate analysis weights (n x R) and the constants of R's ``svrVar``."""

    weights: np.ndarray
    scale: float
    rscales: np.ndarray
    mse: bool
    kind: str

    def with_weights(self, weights: np.ndarray) -> Replicates:
        return Replicates(weights, self.scale, self.rscales, self.mse, self.kind)


def rep_cov(est: np.ndarray, full: np.ndarray, rep: Replicates) -> np.ndarray:
    """R's ``svrVar``: replicates giving NaN are dropped with a warning (as R)."""
    est = np.atleast_2d(est)
    rscales = rep.rscales
    ok = np.isfinite(est).all(axis=1)
    if not ok.all():
        if not ok.any():
            return np.full((est.shape[1], est.shape[1]), np.nan)
        warnings.warn(f"{int((~ok).sum())} replicates gave NaN results and were discarded "
                      f"({int((~ok).sum())} 个重复样本结果为 NaN，已舍弃).", stacklevel=4)
        est, rscales = est[ok], rscales[ok]
    centre = full if rep.mse else est[rscales > 0].mean(axis=0)
    dev = est - centre
    return rep.scale * (dev * rscales[:, None]).T @ dev


def _choice(kind) -> None:
    if kind not in REPLICATE_TYPES:
        raise WorkbenchError(f"replicate_type={kind!r}; choose one of "
                             f"{choices_text(REPLICATE_TYPES)}.",
                             f"replicate_type={kind!r} 无效，"
                             f"可选：{choices_text(REPLICATE_TYPES)}。")


def user_replicates(data: pd.DataFrame, columns: list[str], kind: str | None, w: np.ndarray,
                    scale: float | None, rscales, mse: bool, fay_rho: float | None,
                    combined_weights: bool, fraction) -> Replicates:
    """Replicate columns supplied with the data, as R's ``svrepdesign``.

    Defaults as R: JK1 ``scale=(R-1)/R``; BRR ``1/R``; Fay ``1/(R (1-rho)^2)``; bootstrap
    ``1/(R-1)``; JKn needs ``rscales``; "other" needs ``scale``.  ``fraction`` (R's ``fpc``
    with ``fpctype="fraction"``) multiplies ``rscales`` by ``1 - fraction``.
    """
    _choice(kind)
    check_columns(data, columns, "replicate weight")
    reps = np.column_stack([pd.to_numeric(data[c], errors="coerce").to_numpy(dtype=float)
                            for c in columns])
    bad = ~np.isfinite(reps) | (reps < 0)
    if bad.any():
        j = int(np.flatnonzero(bad.any(axis=0))[0])
        rows = list(data.index[bad[:, j]][:5])
        raise ValidationError(
            f"Replicate weight column {columns[j]!r} has {int(bad[:, j].sum())} missing, "
            f"infinite or negative values, e.g. rows {rows} (R: 'Missing values not "
            "allowed').",
            f"复制权重列 {columns[j]!r} 有 {int(bad[:, j].sum())} 个缺失、无穷或负值，"
            f"例如第 {rows} 行。")
    r = reps.shape[1]
    if r < 2:
        raise WorkbenchError(f"{r} replicate weight column given; replicate variance needs at "
                             "least 2.", f"只有 {r} 个复制权重列；复制方差至少需要 2 个。")
    if not combined_weights:
        reps = reps * w[:, None]
    if kind == "Fay" and fay_rho is None:
        raise WorkbenchError("replicate_type='Fay' needs fay_rho= (R's rho).",
                             "replicate_type='Fay' 需要 fay_rho=（R 的 rho）。")
    if kind == "JKn" and rscales is None:
        raise WorkbenchError("replicate_type='JKn' needs rscales= ((n_h-1)/n_h per replicate).",
                             "replicate_type='JKn' 需要 rscales=（每个重复样本的 (n_h-1)/n_h）。")
    if kind == "other" and scale is None:
        raise WorkbenchError("replicate_type='other' needs scale= (and rscales= unless 1).",
                             "replicate_type='other' 需要 scale=（及 rscales=）。")
    default = {"JK1": (r - 1) / r, "BRR": 1 / r, "bootstrap": 1 / (r - 1), "JKn": 1.0,
               "Fay": 1 / (r * (1 - (fay_rho or 0)) ** 2)}
    if kind in ("BRR", "Fay") and scale is not None:
        raise WorkbenchError(f"replicate_type={kind!r} fixes the scale; do not pass scale=.",
                             f"replicate_type={kind!r} 的 scale 是固定的，请勿传入 scale=。")
    scale = default[kind] if scale is None else scale
    rs = np.ones(r) if rscales is None else np.asarray(rscales, dtype=float).ravel()
    if rs.size == 1:
        rs = np.full(r, rs[0])
    if rs.shape != (r,):
        raise WorkbenchError(f"rscales has length {rs.size}; give one per replicate ({r}).",
                             f"rscales 长度为 {rs.size}，应为每个重复样本一个（{r}）。")
    if not np.isfinite(scale) or scale <= 0 or (rs < 0).any() or not np.isfinite(rs).all():
        raise WorkbenchError(f"scale={scale} must be positive and rscales non-negative.",
                             f"scale={scale} 须为正数，rscales 须非负。")
    if fraction is not None:
        f = np.broadcast_to(np.asarray(fraction, dtype=float), (r,))
        if ((f < 0) | (f > 1)).any():
            raise WorkbenchError("replicate_fpc (sampling fractions) must be in [0, 1].",
                                 "replicate_fpc（抽样比）须在 [0, 1] 内。")
        rs = rs * (1 - f)
    return Replicates(reps, float(scale), rs, bool(mse), kind)


def sylvester(size: int) -> np.ndarray:
    """Sylvester Hadamard matrix in R's 0/1 coding (1 = +): parity of popcount(i & j)."""
    i = np.arange(size)
    bits = np.bitwise_and.outer(i, i)
    parity = np.zeros_like(bits)
    while bits.any():
        parity ^= bits & 1
        bits >>= 1
    return 1 - parity


def _first_seen_order(unit: np.ndarray, n_units: int) -> np.ndarray:
    first = np.full(n_units, len(unit), dtype=np.int64)
    np.minimum.at(first, unit, np.arange(len(unit)))
    return first


def design_factors(stage, kind: str, replicates: int, seed: int, fay_rho: float,
                   lonely_psu: str, hadamard: np.ndarray | None = None):
    """PSU x R multipliers, scale and rscales of ``as.svrepdesign(type=kind)``."""
    h, n = stage.unit_stratum, stage.n_units
    n_psu = len(h)
    fpc = np.where(np.isinf(stage.popsize), 1.0, 1 - n / np.where(np.isinf(stage.popsize), 1,
                                                                   stage.popsize))
    if kind == "JK1":
        if stage.n_strata > 1:
            raise WorkbenchError("JK1 needs an unstratified design; use kind='JKn'.",
                                 "JK1 要求非分层设计；请使用 kind='JKn'。")
        factor = np.full((n_psu, n_psu), n_psu / (n_psu - 1))
        np.fill_diagonal(factor, 0.0)
        return factor, float(fpc[0] * (n_psu - 1) / n_psu), np.ones(n_psu)
    if kind == "JKn":
        keep = n[h] > 1
        if (~keep).any() and lonely_psu in ("adjust", "average", "fail"):
            raise WorkbenchError(
                "JKn with single-PSU strata needs lonely_psu='remove' or 'certainty'.",
                "含单一 PSU 层的 JKn 需要 lonely_psu='remove' 或 'certainty'。")
        cols = np.flatnonzero(keep)
        factor = np.ones((n_psu, len(cols)))
        same = h[:, None] == h[cols][None, :]
        factor[same] = (n[h] / (n[h] - 1))[:, None].repeat(len(cols), 1)[same]
        factor[cols, np.arange(len(cols))] = 0.0
        rscales = ((n - 1) / n * fpc)[h[cols]]
        return factor, 1.0, rscales
    if kind in ("BRR", "Fay"):
        if not (n == 2).all():
            bad = [str(stage.labels[i]) for i in np.flatnonzero(n != 2)[:5]]
            raise WorkbenchError(
                f"BRR/Fay need exactly 2 PSUs per stratum; strata {bad} differ. Use JKn or "
                "bootstrap, or pass the agency's replicate columns.",
                f"BRR/Fay 要求每层恰好 2 个 PSU；层 {bad} 不符合。请改用 JKn 或 bootstrap。")
        rho = fay_rho if kind == "Fay" else 0.0
        size = hadamard.shape[0] if hadamard is not None else \
            int(2 ** np.ceil(np.log2(stage.n_strata + 1)))
        hm = sylvester(size) if hadamard is None else np.asarray(hadamard)
        # R: strata in sorted (character) order, PSUs within a stratum in order of appearance
        rank = np.empty(stage.n_strata, dtype=np.int64)
        rank[np.argsort(np.asarray([str(x) for x in stage.labels]), kind="stable")] = \
            np.arange(stage.n_strata)
        first = _first_seen_order(stage.unit, n_psu)
        order = np.lexsort((first, h))
        is_first = np.zeros(n_psu, dtype=bool)
        is_first[order[::2]] = True
        plus = hm[1 + rank[h], :] == 1
        factor = np.where(plus == is_first[:, None], 2 - rho, rho)
        return factor, 1 / (factor.shape[1] * (1 - rho) ** 2), np.ones(factor.shape[1])
    rng = np.random.default_rng(seed)
    factor = np.zeros((n_psu, replicates))
    for s in range(stage.n_strata):  # loop over strata (not rows): Rao-Wu with m = n - 1
        members = np.flatnonzero(h == s)
        nh = len(members)
        draws = rng.integers(0, nh, size=(replicates, max(nh - 1, 1)))
        counts = np.zeros((replicates, nh))
        np.add.at(counts, (np.repeat(np.arange(replicates), draws.shape[1]), draws.ravel()), 1)
        factor[members] = counts.T * nh / max(nh - 1, 1)
    return factor, 1 / (replicates - 1), np.ones(replicates)


def check_fpc_choice(kind: str, fpc: Sequence | None) -> None:
    """Fay and BRR drop a finite population correction (R warns the same)."""
    if kind in ("BRR", "Fay") and fpc:
        warnings.warn("Finite population correction dropped in conversion to BRR/Fay "
                      "(转换为 BRR/Fay 时忽略有限总体校正).", stacklevel=3)
