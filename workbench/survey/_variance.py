"""Design structure and Taylor-linearisation variance for :mod:`workbench.survey`.

The variance is R ``survey``'s ``svyrecvar``/``multistage``/``onestage`` (Lumley) written
with integer codes and ``np.bincount`` so that one million rows take milliseconds: scores
are summed to unit totals per stage, centred within stage strata, scaled by
``(1 - f) n / (n - 1)`` and, for later stages (only when every stage has an fpc, as in R),
by the sampling fractions of the stages above.  Post-stratification, raking and linear
calibration replace the scores by R's residuals before the sums.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..foundation.errors import ValidationError, WorkbenchError, choices_text

LONELY = ("fail", "adjust", "average", "certainty", "remove")


@dataclass
class Stage:
    """One sampling stage: unit and stratum codes and per-stratum constants."""

    unit: np.ndarray          # unit code of each row (0..P-1)
    unit_stratum: np.ndarray  # stratum code of each unit (0..H-1)
    n_units: np.ndarray       # sampled units per stratum (H,)
    popsize: np.ndarray       # population units per stratum (H,), inf without fpc
    mult: np.ndarray          # product of the sampling fractions of the stages above (H,)
    labels: pd.Index          # stratum labels (for error messages)

    @property
    def n_strata(self) -> int:
        return len(self.n_units)


@dataclass
class Calibration:
    """One step that R's svyrecvar removes from the scores before summing."""

    kind: str                     # "ps", "rake" or "greg"
    codes: list = field(default_factory=list)     # ps: [codes]; rake: [codes per margin]
    weights: list = field(default_factory=list)   # weights after each step
    old: np.ndarray | None = None  # ps: weights before (R centres at their weighted mean)
    x: np.ndarray | None = None   # greg: model matrix
    w0: np.ndarray | None = None  # greg: weights before calibration


def factorize(frame: pd.DataFrame, columns: list[str]) -> tuple[np.ndarray, pd.Index]:
    """Integer codes of the combinations of ``columns`` (sorted levels, no missing values)."""
    if len(columns) == 1:
        return factorize_values(frame[columns[0]])
    mi = pd.MultiIndex.from_frame(frame[columns])
    codes, uniques = pd.factorize(mi, sort=True)
    return codes.astype(np.int64), pd.Index(uniques)


def factorize_values(s: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Sorted codes of one column; integer ids in a compact range avoid hashing.

    ``pd.factorize`` hashes every value (0.1 s per million rows); integer design columns
    (strata, PSU and domain codes) are coded in O(n) by marking the values present.
    """
    values = np.asarray(s)
    if values.dtype.kind in "iu" and len(values):
        lo, hi = int(values.min()), int(values.max())
        if hi - lo <= 4 * len(values) + 1024:
            shifted = values - lo if lo else values
            present = np.zeros(hi - lo + 1, dtype=bool)
            present[shifted] = True
            remap = np.cumsum(present, dtype=np.int64) - 1
            labels = np.flatnonzero(present) + lo
            return remap[shifted], pd.Index(labels.astype(values.dtype))
    codes, uniques = pd.factorize(values if isinstance(s, np.ndarray) else s, sort=True)
    return codes.astype(np.int64), pd.Index(uniques)


def distinct(keys: np.ndarray, size: int) -> np.ndarray:
    """Sorted distinct non-negative integer ``keys`` below ``size`` (O(n) when size is small)."""
    if size <= 4 * len(keys) + 1024:
        present = np.zeros(size, dtype=bool)
        present[keys] = True
        return np.flatnonzero(present)
    return np.unique(keys)


def crossprod(a: np.ndarray) -> np.ndarray:
    """``a.T @ a`` for a narrow matrix without BLAS threads (which stall on a busy machine)."""
    if a.shape[1] <= 64:
        return np.einsum("ik,il->kl", a, a)
    return a.T @ a


def combine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Codes of the pairs (a, b), dense 0..k-1."""
    key = a.astype(np.int64) * (int(b.max()) + 1 if len(b) else 1) + b
    return factorize_values(key)[0]


def build_stage(unit: np.ndarray, stratum: np.ndarray, popsize_row: np.ndarray | None,
                parent_mult: np.ndarray, labels: pd.Index, stage: int,
                fpc_name: str | None) -> tuple[Stage, str | None]:
    """Per-stratum unit counts and population sizes of one stage.

    ``popsize_row`` holds, per row, the fpc column (population size or sampling fraction).
    Returns the stage and which kind of fpc was read ("population size" or "fraction").
    """
    n_units_total = int(unit.max()) + 1
    unit_stratum = np.zeros(n_units_total, dtype=np.int64)
    unit_stratum[unit] = stratum
    n_str = int(stratum.max()) + 1
    n_units = np.bincount(unit_stratum, minlength=n_str).astype(float)
    kind = None
    if popsize_row is None:
        popsize = np.full(n_str, np.inf)
    else:
        first = np.full(n_str, np.nan)
        first[stratum[::-1]] = popsize_row[::-1]
        differs = popsize_row != first[stratum]
        if differs.any():
            bad = labels[stratum[np.flatnonzero(differs)[0]]]
            raise ValidationError(
                f"fpc column {fpc_name!r} (stage {stage}) is not constant within stratum {bad!r}.",
                f"有限总体校正列 {fpc_name!r}（第 {stage} 阶段）在层 {bad!r} 内取值不一致。")
        if np.all(first <= 1):
            kind = "fraction"
            popsize = np.where(first > 0, n_units / np.where(first > 0, first, 1), np.inf)
        else:
            kind = "population size"
            popsize = first
            too_small = np.flatnonzero(popsize < n_units)
            if len(too_small):
                h = too_small[0]
                raise ValidationError(
                    f"fpc column {fpc_name!r} (stage {stage}): population size {popsize[h]:g} is "
                    f"smaller than the {int(n_units[h])} sampled units in stratum {labels[h]!r}.",
                    f"有限总体校正列 {fpc_name!r}（第 {stage} 阶段）：层 {labels[h]!r} 的总体规模 "
                    f"{popsize[h]:g} 小于样本单位数 {int(n_units[h])}。")
    return Stage(unit, unit_stratum, n_units, popsize, parent_mult, labels), kind


def check_lonely(stage: Stage, lonely_psu: str, number: int) -> None:
    """Raise for strata with a single sampled unit that is not a certainty unit."""
    lonely = (stage.n_units == 1) & (stage.popsize > 1)
    if lonely.any() and lonely_psu == "fail":
        bad = [str(stage.labels[h]) for h in np.flatnonzero(lonely)[:10]]
        raise WorkbenchError(
            f"{int(lonely.sum())} stratum/strata at stage {number} have only one sampled unit "
            f"(lonely PSU): {', '.join(bad)}. Choose lonely_psu= one of "
            f"{choices_text(LONELY[1:])} (as R's options(survey.lonely.psu)).",
            f"第 {number} 阶段有 {int(lonely.sum())} 个层只有一个样本单位（孤立 PSU）："
            f"{', '.join(bad)}。请设置 lonely_psu 为 {choices_text(LONELY[1:])} 之一。")


def group_sum(codes: np.ndarray, values: np.ndarray, size: int) -> np.ndarray:
    """Column sums of ``values`` (n x K) by ``codes`` -> (size x K), one bincount."""
    k = values.shape[1]
    flat = (codes[:, None] * k + np.arange(k)).ravel()
    return np.bincount(flat, weights=values.ravel(), minlength=size * k).reshape(size, k)


def unit_totals(stage: Stage, scores) -> np.ndarray:
    """Unit totals of scores: dense (n x K), or a list of sparse ``(values, column, K)``."""
    n_units = len(stage.unit_stratum)
    if isinstance(scores, list):
        return sum(unit_totals(stage, part) for part in scores)
    if isinstance(scores, tuple):
        values, col, k = scores
        flat = stage.unit * k + np.maximum(col, 0)
        kept = np.where(col >= 0, values, 0.0)  # cheaper than boolean indexing three arrays
        return np.bincount(flat, weights=kept, minlength=n_units * k).reshape(n_units, k)
    return group_sum(stage.unit, scores, n_units)


def stage_cov(stage: Stage, totals: np.ndarray, lonely_psu: str) -> np.ndarray:
    """One stage's contribution: sum over strata of (1-f) n/(n-1) x centred crossproducts."""
    h, n = stage.unit_stratum, stage.n_units
    sums = group_sum(h, totals, stage.n_strata)
    centred = totals - (sums / n[:, None])[h]
    f = np.where(np.isinf(stage.popsize), 1.0, 1 - n / np.where(np.isinf(stage.popsize), 1,
                                                                   stage.popsize))
    lonely = (n == 1) & (stage.popsize > 1)
    coef = stage.mult * f * np.where(n > 1, n / np.maximum(n - 1, 1), 0.0)
    if lonely.any() and lonely_psu == "adjust":
        # R 4.1.1 (onestrat) leaves a lonely PSU's total uncentred: the same as centring at
        # the grand mean for means (scores sum to zero), larger for totals
        centred = np.where(lonely[h][:, None], totals, centred)
        coef = np.where(lonely, stage.mult * f, coef)
    scaled = centred * np.sqrt(coef[h])[:, None]
    cov = crossprod(scaled)
    if lonely.any() and lonely_psu == "average":
        cov *= stage.n_strata / max(stage.n_strata - int(lonely.sum()), 1)
    return cov


def residualise(scores: np.ndarray, steps: list[Calibration]) -> np.ndarray:
    """R's svyrecvar: remove post-stratum means / raking margins / GREG fits from scores."""
    x = scores
    for step in steps:
        if step.kind == "ps":
            x = x - _ave_times_w(x, step.codes[0], step.weights[0], step.old)
        elif step.kind == "rake":
            for _ in range(10):
                for codes, w in zip(step.codes, step.weights, strict=True):
                    x = x - _ave_times_w(x, codes, w)
        else:
            sw = np.sqrt(step.w0)
            g = step.weights[0] / step.w0
            pw = g * sw
            xs = step.x * sw[:, None]
            y = x / pw[:, None]
            beta, *_ = np.linalg.lstsq(xs, y, rcond=None)
            x = (y - xs @ beta) * pw[:, None]
    return x


def _ave_times_w(x: np.ndarray, codes: np.ndarray, w: np.ndarray,
                 old: np.ndarray | None = None) -> np.ndarray:
    """``psw * mean(x / psw)`` by cell, the mean weighted by ``old`` (R's svyrecvar).

    Post-stratification weights the mean by the weights before post-stratifying (R's
    ``rowsum(x * oldw / psw) / by(oldw)``, the GREG residual); R's raking margins use an
    unweighted ``ave`` (``old=None``).
    """
    k = int(codes.max()) + 1
    ratio = np.divide(x, w[:, None], out=np.zeros_like(x), where=w[:, None] != 0)
    if old is None:
        sums, counts = group_sum(codes, ratio, k), np.bincount(codes, minlength=k)[:, None]
    else:
        sums = group_sum(codes, ratio * old[:, None], k)
        counts = np.bincount(codes, old, minlength=k)[:, None]
    return w[:, None] * (sums / counts)[codes]


def design_cov(stages: list[Stage], steps: list[Calibration], scores,
               lonely_psu: str) -> np.ndarray:
    """Covariance matrix of the totals of ``scores`` under the design (R svyrecvar)."""
    if steps:
        if isinstance(scores, list):
            scores = densify(scores)
        scores = residualise(scores, steps)
    cov = None
    for stage in stages:
        part = stage_cov(stage, unit_totals(stage, scores), lonely_psu)
        cov = part if cov is None else cov + part
    return cov


def densify(parts: list) -> np.ndarray:
    """Sum of sparse ``(values, column, K)`` parts as a dense n x K array."""
    n, k = len(parts[0][0]), parts[0][2]
    dense = np.zeros((n, k))
    for values, col, _ in parts:
        keep = np.flatnonzero(col >= 0)
        dense[keep, col[keep]] += values[keep]  # one column per row: no duplicate pairs
    return dense
