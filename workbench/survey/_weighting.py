"""Weighting of a :class:`~workbench.survey.SurveyDesign` (a mixin): post-stratification,
raking, calibration (linear, raking and logit distances with bounds), trimming and
nonresponse adjustment.

Each returns a new design.  A linearisation design records the step so that the variance
uses R's residuals (``_variance.residualise``); a replicate design re-weights every
replicate column the same way, as R's ``postStratify``/``rake``/``calibrate`` methods for
``svyrep.design`` do.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..foundation.errors import ValidationError, WorkbenchError, choices_text
from . import _calibrate as cal
from . import _variance as sv
from ._checks import as_list, check_columns, numeric


class WeightingMixin:
    """Post-stratification, raking, calibration, trimming, nonresponse (see SurveyDesign)."""

    def _require_full(self, what: str) -> None:
        if self._domain is not None:
            raise WorkbenchError(f"{what} applies to the whole sample, not to a subset.",
                                 f"{what} 须在全样本上进行，不能在子集上进行。")

    def _cells(self, variables, population) -> tuple[np.ndarray, np.ndarray, list]:
        """Row codes into the population table and its totals (both checked)."""
        variables = as_list(variables)
        check_columns(self.data, variables, "weighting")
        if isinstance(population, pd.DataFrame):
            count = [c for c in population.columns if c not in variables]
            if len(count) != 1:
                raise WorkbenchError(
                    f"population table needs columns {variables} and one count column; "
                    f"got {list(population.columns)}.",
                    f"总体表需要列 {variables} 和一个计数列；实际为 {list(population.columns)}。")
            population = population.set_index(variables)[count[0]]
        pop = pd.Series(population, dtype=float)
        if not np.isfinite(pop.to_numpy()).all() or (pop.to_numpy() <= 0).any():
            raise ValidationError(f"Population totals for {variables} must be positive and "
                                  f"finite: {pop.to_dict()}",
                                  f"{variables} 的总体数须为有限正数：{pop.to_dict()}")
        keys = pd.MultiIndex.from_frame(self.data[variables]) if len(variables) > 1 \
            else pd.Index(self.data[variables[0]])
        index = pop.index
        if len(variables) == 1 and not isinstance(index, pd.MultiIndex):
            index = pd.Index(index.astype(self.data[variables[0]].dtype, copy=False))
        codes = index.get_indexer(keys)
        if (codes < 0).any():
            bad = list(pd.unique(pd.Series(list(keys[codes < 0])))[:5])
            raise ValidationError(
                f"Sample levels of {variables} missing from the population totals: {bad}. "
                f"Known levels: {choices_text(pop.index)}",
                f"样本中 {variables} 的取值 {bad} 在总体数中不存在。"
                f"已知：{choices_text(pop.index)}")
        present = np.bincount(codes, minlength=len(pop))
        if (present == 0).any():
            bad = list(pop.index[present == 0][:5])
            raise ValidationError(
                f"Population cells of {variables} with no respondents: {bad}; collapse them.",
                f"{variables} 的总体单元 {bad} 没有样本，请合并单元。")
        return codes, pop.to_numpy(), list(pop.index)

    def _reweighted(self, w: np.ndarray, step: sv.Calibration | None, reps=None):
        """New design with weights ``w``; a replicate design takes ``reps`` instead of a step."""
        if self._rep is not None:
            return self._copy(_w=w, _rep=self._rep.with_weights(reps))
        steps = self._steps if step is None else [*self._steps, step]
        return self._copy(_w=w, _steps=steps)

    def poststratify(self, variables, population):
        """Post-stratify to known totals (R ``postStratify``); returns a new design.

        The variance removes the post-stratum means of the scores weighted by the weights
        before post-stratifying (R's ``svyrecvar``); a replicate design post-stratifies every
        replicate.  ``population`` is a Series of totals by level or a table with the
        ``variables`` and one count column (R's ``population`` data frame).
        """
        self._require_full("poststratify")
        codes, totals, _ = self._cells(variables, population)
        est = np.bincount(codes, self._w, minlength=len(totals))
        w = self._w * (totals / est)[codes]
        reps = None
        if self._rep is not None:
            r = self._rep.weights
            reps = r * (totals[:, None] / sv.group_sum(codes, r, len(totals)))[codes]
        step = sv.Calibration("ps", codes=[codes], weights=[w], old=self._w)
        return self._reweighted(w, step, reps)

    def rake(self, margins: Mapping, maxit: int = 100, tol: float = 1e-8):
        """Rake to marginal totals by iterative proportional fitting (R ``rake``).

        ``margins`` maps a column (or tuple of columns) to its population totals.  Stops when
        no weight changes by more than ``tol`` (relative; R's ``control$epsilon`` is an
        absolute change in the table); ``history`` of the new design records each
        iteration's largest relative weight change and margin error.  A replicate design
        rakes every replicate.
        """
        self._require_full("rake")
        cells = [self._cells(list(v) if isinstance(v, tuple) else v, pop)[:2]
                 for v, pop in margins.items()]
        w, after, hist, ok = cal.ipf(cells, self._w.copy(), maxit, tol)
        if not ok:
            err = hist[-1]["max_margin_error"]
            raise WorkbenchError(
                f"Raking on {list(margins)} did not converge in {maxit} iterations (largest "
                f"relative margin error {err:.3g}); check the margins are consistent.",
                f"对 {list(margins)} 的迭代加权在 {maxit} 次内未收敛（最大相对误差 {err:.3g}），"
                "请检查各边际总数是否一致。")
        reps = None
        if self._rep is not None:
            reps = cal.ipf(cells, self._rep.weights.copy(), maxit * 2, tol)[0]
        step = sv.Calibration("rake", codes=[c for c, _ in cells], weights=after)
        new = self._reweighted(w, step, reps)
        new.history = pd.DataFrame(hist)
        return new

    def _model_matrix(self, population: Mapping, intercept):
        blocks, totals = [], []
        if intercept is not None:
            blocks.append(np.ones((len(self.data), 1)))
            totals.append(float(intercept))
        for var, pop in population.items():
            if isinstance(pop, (pd.Series, pd.DataFrame, Mapping)):
                codes, t, _ = self._cells(var, pop)
                blocks.append(np.eye(len(t))[codes])
                totals.extend(t)
            else:
                check_columns(self.data, [var], "calibration")
                x = numeric(self.data, var)
                if not np.isfinite(x).all():
                    raise ValidationError(f"Calibration variable {var!r} has missing values.",
                                          f"校准变量 {var!r} 含缺失值。")
                blocks.append(x[:, None])
                totals.append(float(pop))
        return np.hstack(blocks), np.asarray(totals)

    def calibrate(self, population: Mapping, calfun: str = "linear", bounds=None,
                  intercept: float | None = None, maxit: int = 50, epsilon: float = 1e-7):
        """Calibrate to population totals (R ``calibrate``); returns a new design.

        Parameters
        ----------
        population : mapping
            A categorical column to a Series of totals per level (all levels: R's
            ``~factor`` with its intercept), or a numeric column to its population total.
        calfun : {"linear", "raking", "logit"}
            R's ``calfun`` (distance): GREG, exponential (raking) or logit.
        bounds : (lower, upper), optional
            R's ``bounds`` on the g-weights (new / old weight); "logit" needs them.
        intercept : float, optional
            Population size N, calibrated explicitly (R's ``(Intercept)`` total, which a
            formula ``~x`` adds); without it, include a categorical variable or a constant.
        maxit, epsilon : int, float
            R's ``maxit`` and ``epsilon`` (relative misfit ``|T - t| / (1 + |T|)``).

        The variance uses the GREG residuals of the calibration variables (R's
        ``svyrecvar``); a replicate design calibrates every replicate (R's
        ``calibrate.svyrep.design``).  Totals that cannot be met (within ``bounds``) are an
        error naming the misfit, as R's "Calibration failed".
        """
        self._require_full("calibrate")
        lo, hi = cal.check_calfun(calfun, bounds)
        x, target = self._model_matrix(population, intercept)
        w0 = self._w
        g, achieved = self._g_weights(x, w0, target, calfun, lo, hi, maxit, epsilon)
        if achieved > epsilon:
            raise WorkbenchError(
                f"Calibration failed: the totals cannot be met with calfun={calfun!r}, "
                f"bounds={bounds} (relative misfit {achieved:.3g} after {maxit} iterations); "
                "widen the bounds or check the totals are consistent.",
                f"校准失败：在 calfun={calfun!r}、bounds={bounds} 下无法满足总数（相对误差 "
                f"{achieved:.3g}）；请放宽界限或检查总数是否一致。")
        w = w0 * g
        if (w <= 0).any():
            raise WorkbenchError(
                f"Calibration gave {int((w <= 0).sum())} non-positive weights; use bounds=, "
                "calfun='raking' or coarser totals.",
                f"校准产生 {int((w <= 0).sum())} 个非正权重；请设置 bounds=、改用 calfun='raking' "
                "或合并单元。")
        reps = None
        if self._rep is not None:
            r = self._rep.weights
            if calfun == "linear" and bounds is None:
                reps = r * cal.linear_g_replicates(x, r, target)
            else:  # Newton per replicate column: a loop over replicates, not rows
                reps = np.column_stack([r[:, j] * cal.grake(x, r[:, j], target, calfun, lo,
                                                            hi, maxit, epsilon)[0]
                                        for j in range(r.shape[1])])
        step = sv.Calibration("greg", weights=[w], x=x, w0=w0)
        return self._reweighted(w, step, reps)

    @staticmethod
    def _g_weights(x, w0, target, calfun, lo, hi, maxit, epsilon):
        if calfun == "linear" and not (np.isfinite(lo) or np.isfinite(hi)):
            g = cal.linear_g(x, w0, target)
            misfit = np.max(np.abs((w0 * g) @ x - target) / (1 + np.abs(target)))
            return g, float(misfit)
        return cal.grake(x, w0, target, calfun, lo, hi, maxit, epsilon)

    def trim_weights(self, upper: float | None = None, lower: float | None = None,
                     strict: bool = True, maxit: int = 50):
        """Trim weights to ``[lower, upper]``, sharing the excess equally (R ``trimWeights``).

        As R: the total trimmed is divided equally among the weights that were not outside
        the bounds (each gets the same amount added); ``strict=True`` (R's ``strict=TRUE``;
        R's default is ``False``, one pass) repeats until no weight is outside the bounds.
        The weight total is unchanged.  A replicate design trims each replicate the same way.
        """
        self._require_full("trim_weights")
        lo = -np.inf if lower is None else lower
        hi = np.inf if upper is None else upper
        w = _trim(self._w, lo, hi, strict, maxit, (lower, upper))
        reps = None
        if self._rep is not None:
            reps = np.column_stack([_trim(c, lo, hi, strict, maxit, (lower, upper))
                                    for c in self._rep.weights.T])
        return self._reweighted(w, None, reps)

    def adjust_nonresponse(self, respondent, classes):
        """Weighting-class nonresponse adjustment.

        Respondents' weights are multiplied by (weight of all sampled) / (weight of
        respondents) within each class; nonrespondents get weight 0 but stay in the design.
        """
        self._require_full("adjust_nonresponse")
        resp = (self.data[respondent] if isinstance(respondent, str) else pd.Series(respondent))
        if resp.isna().any():
            raise ValidationError("respondent indicator has missing values.",
                                  "应答标识含缺失值。")
        resp = resp.to_numpy(dtype=bool)
        codes, labels = sv.factorize(self.data, as_list(classes))
        k = len(labels)
        all_w = np.bincount(codes, self._w, minlength=k)
        resp_w = np.bincount(codes, np.where(resp, self._w, 0), minlength=k)
        if (resp_w == 0).any():
            bad = list(labels[resp_w == 0][:5])
            raise WorkbenchError(
                f"Weighting classes without respondents: {bad}; collapse them.",
                f"以下加权类别没有应答者：{bad}，请合并类别。")
        w = np.where(resp, self._w * (all_w / resp_w)[codes], 0.0)
        new = self._reweighted(w, None, None)
        if self._rep is not None:
            r = self._rep.weights
            ratio = sv.group_sum(codes, r, k) / sv.group_sum(codes, r * resp[:, None], k)
            new._rep = self._rep.with_weights(np.where(resp[:, None], r * ratio[codes], 0.0))
        new._domain = None
        return new.subset(resp)


def _trim(w: np.ndarray, lo: float, hi: float, strict: bool, maxit: int, bounds) -> np.ndarray:
    total = w.sum()
    for _ in range(maxit if strict else 1):
        outside = (w < lo) | (w > hi)
        if not outside.any():
            return w
        if outside.all():
            raise WorkbenchError(
                f"Cannot trim to {list(bounds)}: every weight is at a bound, so the "
                "weight total cannot be kept.",
                f"无法修剪到 {list(bounds)}：所有权重都在界限上，无法保持权重总和。")
        clipped = np.clip(w, lo, hi)
        w = np.where(outside, clipped, clipped + (total - clipped.sum()) / (~outside).sum())
    if strict and ((w < lo) | (w > hi)).any():
        raise WorkbenchError(f"Trimming to {list(bounds)} did not settle in {maxit} passes.",
                             f"修剪到 {list(bounds)} 在 {maxit} 轮内未完成。")
    return w
