"""The :class:`SurveyDesign` object: design structure, domains and the variance dispatch.

Estimators live in ``_estimators`` and weighting in ``_weighting`` (mixins), the
Taylor-linearisation arithmetic in ``_variance`` and replicate weights in ``_replicate``.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from ..foundation.errors import ValidationError, WorkbenchError, choices_text
from . import _variance as sv
from ._checks import as_list, check_columns, no_missing, numeric, positive_weights
from ._estimators import EstimatorsMixin
from ._replicate import REPLICATE_TYPES, Replicates, design_factors, rep_cov, user_replicates
from ._weighting import WeightingMixin

LONELY_PSU = sv.LONELY


class SurveyDesign(EstimatorsMixin, WeightingMixin):
    """A complex survey design, as R's ``svydesign`` (or ``svrepdesign``).

    Parameters
    ----------
    data : DataFrame
        One row per respondent.
    strata : str or list of str, optional
        First-stage strata (R ``strata=``).
    psu : str or list of str, optional
        Cluster ids, one column per stage (``["dnum", "snum"]``; R ``id=``); ``None``: each
        row is a PSU (R ``id=~1``).
    weights : str, optional
        Sampling weights, finite and positive; derived from ``fpc`` (product of N/n over
        stages) when omitted.
    fpc : str or list of str, optional
        Per stage, the population size (number of units in the stratum, as R) or the
        sampling fraction (all values <= 1); :attr:`fpc_kind` says which was read.  One more
        fpc column than ``psu`` columns adds a final stage of individuals.  Later stages
        enter the variance only when every stage has an fpc (R's rule).
    nest : bool
        PSU ids are only unique within strata (R's ``nest=TRUE``).
    lonely_psu : {"fail", "adjust", "average", "certainty", "remove"}
        Strata with one sampled PSU (R's ``options(survey.lonely.psu)``).
    replicate_weights : list of str, optional
        Replicate weight columns (R ``svrepdesign(repweights=)``), analysis weights unless
        ``combined_weights=False`` (then multipliers of ``weights``).
    replicate_type : {"JK1", "JKn", "BRR", "Fay", "bootstrap", "other"}, optional
        R's ``type=``.
    scale, rscales : float, sequence of float, optional
        R's ``scale=`` and ``rscales=``; defaults as R (JK1 (R-1)/R, BRR 1/R, Fay
        1/(R (1-rho)^2), bootstrap 1/(R-1)); JKn needs ``rscales``, "other" ``scale``.
    mse : bool
        Centre replicates at the full-sample estimate (R ``mse=TRUE``).
    fay_rho : float, optional
        Fay's rho for ``replicate_type="Fay"`` (R ``rho=``).
    combined_weights : bool
        R's ``combined.weights``.
    replicate_fpc : float or sequence, optional
        Sampling fraction per replicate (R ``fpc=`` with ``fpctype="fraction"``): rscales are
        multiplied by ``1 - fraction``.
    level : float
        Confidence level of the intervals.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"psu": [1, 1, 2, 2, 3, 3], "y": [1., 3, 2, 2, 5, 7], "w": 10.})
    >>> SurveyDesign(df, psu="psu", weights="w").total("y")["estimate"].item()
    200.0
    """

    def __init__(self, data: pd.DataFrame, strata=None, psu=None, weights: str | None = None,
                 fpc=None, nest: bool = False, lonely_psu: str = "fail",
                 replicate_weights: Sequence[str] | None = None,
                 replicate_type: str | None = None, level: float = 0.95, *,
                 scale: float | None = None, rscales=None, mse: bool = False,
                 fay_rho: float | None = None, combined_weights: bool = True,
                 replicate_fpc=None):
        if lonely_psu not in LONELY_PSU:
            raise WorkbenchError(
                f"lonely_psu={lonely_psu!r} is not valid; choose one of "
                f"{choices_text(LONELY_PSU)}.",
                f"lonely_psu={lonely_psu!r} 无效，可选：{choices_text(LONELY_PSU)}。")
        self.data = data
        self.strata, self.psu, self.fpc = as_list(strata), as_list(psu), as_list(fpc)
        self.weights_column, self.nest = weights, nest
        self.lonely_psu, self.level = lonely_psu, level
        check_columns(data, self.strata + self.psu + self.fpc + as_list(weights), "design")
        no_missing(data, self.strata + self.psu, "design")
        self._stages, self.fpc_kind = self._build_stages()
        self._w = self._build_weights()
        self._cache: dict = {}
        self._steps: list[sv.Calibration] = []
        self._domain: np.ndarray | None = None
        self._rep: Replicates | None = None
        if replicate_weights is not None:
            self._rep = user_replicates(data, list(replicate_weights), replicate_type, self._w,
                                        scale, rscales, mse, fay_rho, combined_weights,
                                        replicate_fpc)
        self.history: pd.DataFrame | None = None

    # ----------------------------------------------------------------- construction
    def _build_stages(self):
        data, n = self.data, len(self.data)
        if self.strata:
            stratum, labels = sv.factorize(data, self.strata)
        else:
            stratum, labels = np.zeros(n, dtype=np.int64), pd.Index(["(all)"])
        if self.psu:
            unit, _ = sv.factorize(data, self.psu[:1])
            if self.nest:
                unit = sv.combine(stratum, unit)
            else:
                self._check_nesting(unit, stratum)
        else:
            unit = np.arange(n, dtype=np.int64)
        fpcs = [numeric(data, c) for c in self.fpc]
        for c, f in zip(self.fpc, fpcs, strict=True):
            if not np.isfinite(f).all() or (f <= 0).any():
                raise ValidationError(f"fpc column {c!r} has missing, infinite, zero or negative "
                                      "values.", f"有限总体校正列 {c!r} 含缺失、无穷、零或负值。")
        n_stage = max(len(self.psu), 1)
        if len(fpcs) > n_stage + 1 or (self.psu == [] and len(fpcs) > 1):
            raise WorkbenchError(
                f"{len(fpcs)} fpc columns for {n_stage} cluster stage(s): give one per stage "
                "(plus at most one for a final stage of individuals).",
                f"有 {len(fpcs)} 个 fpc 列，但只有 {n_stage} 个抽样阶段。")
        first, kind = sv.build_stage(unit, stratum, fpcs[0] if fpcs else None,
                                     np.ones(len(labels)), labels, 1,
                                     self.fpc[0] if fpcs else None)
        stages, kinds = [first], [kind]
        units = [unit] + [sv.combine(unit, sv.factorize(data, [c])[0]) for c in self.psu[1:]]
        if len(fpcs) == len(units) + 1 and self.psu:
            units.append(np.arange(n, dtype=np.int64))
        for s in range(1, min(len(units), len(fpcs))):
            prev = stages[-1]
            frac = prev.n_units / prev.popsize
            mult = (prev.mult * frac)[prev.unit_stratum]
            st_labels = pd.Index([f"stage-{s} unit {i}" for i in range(len(prev.unit_stratum))])
            stage, kind = sv.build_stage(sv.combine(units[s - 1], units[s]), units[s - 1],
                                         fpcs[s], mult, st_labels, s + 1, self.fpc[s])
            stages.append(stage)
            kinds.append(kind)
        for i, st in enumerate(stages):
            sv.check_lonely(st, self.lonely_psu, i + 1)
        return stages, (kinds[0] if len(set(kinds)) == 1 else kinds)

    def _check_nesting(self, unit: np.ndarray, stratum: np.ndarray) -> None:
        last = np.empty(int(unit.max()) + 1, dtype=np.int64)
        last[unit] = stratum
        clash = stratum != last[unit]
        if clash.any():
            col = self.psu[0]
            ex = list(pd.unique(self.data[col].to_numpy()[clash])[:5])
            raise ValidationError(
                f"PSU ids in {col!r} are shared across strata (e.g. {ex}); pass nest=True if ids "
                "are only unique within strata.",
                f"{col!r} 中的 PSU 编号跨层重复（如 {ex}）；若编号仅在层内唯一，请设置 nest=True。")

    def _build_weights(self) -> np.ndarray:
        if self.weights_column is not None:
            w = numeric(self.data, self.weights_column)
            return positive_weights(w, self.data, self.weights_column)
        if not self.fpc or len(self._stages) < max(len(self.psu), 1):
            raise WorkbenchError(
                "No weights: give weights= or an fpc (population size) for every stage.",
                "没有权重：请提供 weights=，或为每个阶段提供 fpc（总体规模）。")
        w = np.ones(len(self.data))
        for st in self._stages:
            w *= (st.popsize / st.n_units)[st.unit_stratum[st.unit]]
        return w

    def _copy(self, **changes) -> SurveyDesign:
        new = copy.copy(self)
        for k, v in changes.items():
            setattr(new, k, v)
        new._cache = {}
        return new

    def _wd(self) -> np.ndarray:
        """Analysis weights as an array (0 outside a subset), computed once per design."""
        if "w" not in self._cache:
            self._cache["w"] = self._w if self._domain is None else \
                np.where(self._domain, self._w, 0.0)
        return self._cache["w"]

    # ----------------------------------------------------------------- properties
    @property
    def weights(self) -> pd.Series:
        """Current analysis weights (0 outside a subset), indexed like the data."""
        return pd.Series(self._wd(), index=self.data.index, name="weight")

    @property
    def df(self) -> int:
        """Design degrees of freedom: PSUs minus strata with positive weight (R's degf)."""
        if "df" not in self._cache:
            if self._rep is not None:  # R: rank of the replicate weights minus one
                self._cache["df"] = int(np.linalg.matrix_rank(self._rep.weights, tol=None)) - 1
            else:
                self._cache["df"] = int(self._domain_df(np.where(self._wd() > 0, 0, -1), 1)[0])
        return self._cache["df"]

    def _domain_df(self, dom: np.ndarray, k: int) -> np.ndarray:
        """Each domain's df: its PSUs minus its strata (R's degf of the subset design)."""
        if self._rep is not None:
            return np.full(k, float(self.df))
        st = self._stages[0]
        n_u = len(st.unit_stratum)
        if k == 1 and (dom == 0).all():  # every row in: every PSU and stratum counts
            return np.array([float(n_u - st.n_strata)])
        # one pass: which (domain, PSU) pairs hold a row of the domain
        rows = np.bincount(np.maximum(dom, 0) * n_u + st.unit, dom >= 0, minlength=k * n_u)
        units = np.flatnonzero(rows)
        d, u = units // n_u, units % n_u
        strata = sv.distinct(d * st.n_strata + st.unit_stratum[u], k * st.n_strata) \
            // st.n_strata
        return (np.bincount(d, minlength=k) - np.bincount(strata, minlength=k)).astype(float)

    def summary(self) -> pd.DataFrame:
        """Design summary: one row per first-stage stratum."""
        st = self._stages[0]
        w = self._wd()
        rows_stratum = st.unit_stratum[st.unit]
        return pd.DataFrame({
            "stratum": [str(x) for x in st.labels],
            "psu_sampled": st.n_units.astype(int),
            "psu_population": st.popsize,
            "respondents": np.bincount(rows_stratum, minlength=st.n_strata),
            "weight_sum": np.bincount(rows_stratum, w, minlength=st.n_strata),
        })

    def __repr__(self) -> str:
        st = self._stages[0]
        kind = f"replicate {self._rep.kind}" if self._rep is not None else "linearisation"
        extra = f", calibrated x{len(self._steps)}" if self._steps else ""
        sub = f", subset of {int(self._domain.sum())}" if self._domain is not None else ""
        return (f"SurveyDesign({len(self.data):,} rows, {st.n_strata} strata, "
                f"{len(st.unit_stratum)} PSUs, {len(self._stages)} stage(s) in variance, "
                f"df={self.df}, fpc={self.fpc_kind}, {kind}{extra}{sub})")

    def _repr_html_(self) -> str:
        return f"<p><code>{self!r}</code></p>" + self.summary().to_html(index=False)

    # ----------------------------------------------------------------- domains
    def subset(self, mask) -> SurveyDesign:
        """A domain: rows outside keep their place in the design (R's ``subset``)."""
        m = np.asarray(mask, dtype=bool)
        if m.shape != (len(self.data),):
            raise WorkbenchError(f"subset mask has shape {m.shape}, expected ({len(self.data)},).",
                                 f"子集掩码形状为 {m.shape}，应为 ({len(self.data)},)。")
        dom = m if self._domain is None else (m & self._domain)
        return self._copy(_domain=dom)

    def _domains(self, by, valid: np.ndarray, na_rm: bool):
        """Domain code per row (-1 outside) and the domain labels frame."""
        base = valid & (self._wd() > 0)
        by = as_list(by)
        if not by:
            return np.where(base, 0, -1), pd.DataFrame(index=[0])
        check_columns(self.data, by, "by")
        if not base.any():
            raise WorkbenchError(
                f"No rows to split by {by}: the subset is empty or every value is missing.",
                f"没有可按 {by} 分组的行：子集为空或取值全部缺失。")
        for c in by:
            values = self.data[c].to_numpy()
            if values.dtype.kind in "iub":  # integer codes cannot be missing
                continue
            miss = pd.isna(values)
            if miss.all() or (miss | ~base).all():
                raise ValidationError(
                    f"by column {c!r} has only missing values"
                    f"{'' if miss.all() else ' among the rows analysed (subset, valid values)'}.",
                    f"分组列 {c!r} 在所分析的行中全部缺失。")
            if (miss & base).any() and not na_rm:
                raise ValidationError(
                    f"by column {c!r} has {int((miss & base).sum())} missing values; use "
                    "na_rm=True to leave them out of every domain (kept in the design).",
                    f"分组列 {c!r} 有 {int((miss & base).sum())} 个缺失值；"
                    "可设置 na_rm=True 将其排除在各分组之外（仍保留在设计中）。")
            base = base & ~miss
        codes, labels = sv.factorize(self.data, by)
        if base.all():  # every row analysed and every level present
            frame = pd.DataFrame(list(labels), columns=by) if len(by) > 1 \
                else pd.DataFrame({by[0]: labels})
            return codes, frame
        codes = np.where(base, codes, -1)
        present = np.bincount(codes[base], minlength=len(labels)) > 0
        if not present.all():  # levels seen only outside the domain or with missing values
            remap = np.cumsum(present) - 1
            codes = np.where(base, remap[np.maximum(codes, 0)], -1)
            labels = labels[present]
        frame = pd.DataFrame(list(labels), columns=by) if len(by) > 1 \
            else pd.DataFrame({by[0]: labels})
        return codes, frame

    def _variable(self, column: str, na_rm: bool) -> tuple[np.ndarray, np.ndarray]:
        check_columns(self.data, [column], "analysis")
        y = numeric(self.data, column)
        miss = ~np.isfinite(y)
        if not miss.any():
            return y, ~miss
        inside = self._wd() > 0
        if (miss & inside).any() and not na_rm:
            raise ValidationError(
                f"Analysis variable {column!r} has {int((miss & inside).sum())} missing values; "
                "use na_rm=True for a domain estimate over the respondents (not a row drop).",
                f"分析变量 {column!r} 有 {int((miss & inside).sum())} 个缺失值；"
                "可设置 na_rm=True，按应答者域估计（不删除行）。")
        return np.where(miss, 0.0, y), ~miss

    # ----------------------------------------------------------------- variance
    def _cov(self, w: np.ndarray, point, scores) -> np.ndarray:
        """Covariance of ``point(w)``: replicate weights or linearised ``scores``."""
        if self._rep is not None:
            reps = self._rep.weights
            dom = 1.0 if self._domain is None else self._domain
            with np.errstate(divide="ignore", invalid="ignore"):
                est = np.array([point(reps[:, r] * dom) for r in range(reps.shape[1])])
                full = point(w)
            return rep_cov(est.reshape(reps.shape[1], -1), np.atleast_1d(full), self._rep)
        return sv.design_cov(self._stages, self._steps, scores, self.lonely_psu)

    def _tcrit(self, df) -> np.ndarray:
        """t quantile on ``df`` degrees of freedom; NaN for df <= 0 (as R's qt)."""
        df = np.asarray(df, dtype=float)
        with np.errstate(invalid="ignore"):
            return np.where(df > 0, stats.t.ppf(0.5 + self.level / 2, np.maximum(df, 1)), np.nan)

    def _table(self, labels: pd.DataFrame, est, cov, n, extra=None, df=None) -> pd.DataFrame:
        se = np.sqrt(np.clip(np.diag(cov), 0, None))
        t = self._tcrit(max(self.df, 1) if df is None else df)
        out = labels.reset_index(drop=True).copy()
        for k, v in (extra or {}).items():
            out[k] = v
        n = np.asarray(n, dtype=np.int64)
        with np.errstate(divide="ignore", invalid="ignore"):
            est = np.where(n > 0, est, np.nan)  # an empty domain has no estimate, not SE 0
            se = np.where(n > 0, se, np.nan)
            out = out.assign(estimate=est, se=se, ci_low=est - t * se, ci_high=est + t * se,
                             cv=se / np.abs(est), n=n)
        if df is not None:
            out["df"] = df
        return out

    # ----------------------------------------------------------------- replicates
    def to_replicate(self, kind: str = "JK1", replicates: int = 200, seed: int = 0,
                     fay_rho: float = 0.3, mse: bool = False,
                     hadamard: np.ndarray | None = None) -> SurveyDesign:
        """Replicate-weight version of the design (R ``as.svrepdesign``).

        Parameters
        ----------
        kind : {"JK1", "JKn", "BRR", "Fay", "bootstrap"}
            R's ``type``.  JK1 (unstratified) and JKn fold the first-stage fpc into
            ``scale``/``rscales`` as R; BRR and Fay need 2 PSUs per stratum and drop the fpc
            (with a warning, as R); bootstrap is Rao-Wu with ``replicates`` draws.
        fay_rho : float
            R's ``fay.rho`` for ``kind="Fay"``.
        hadamard : array, optional
            R's ``hadamard.matrix`` (0/1 or -1/1); default a Sylvester matrix of size the
            smallest power of 2 above the number of strata (R's choice for such sizes).

        Examples
        --------
        >>> import pandas as pd
        >>> df = pd.DataFrame({"psu": [1, 2, 3, 4], "y": [1., 2, 4, 7], "w": 5.})
        >>> d = SurveyDesign(df, psu="psu", weights="w")
        >>> round(d.to_replicate("JK1").total("y")["se"].item(), 6)
        26.457513
        """
        choices = REPLICATE_TYPES[:-1]
        if kind not in choices:
            raise WorkbenchError(f"kind={kind!r}; choose one of {choices_text(choices)}.",
                                 f"kind={kind!r} 无效，可选：{choices_text(choices)}。")
        from ._replicate import check_fpc_choice

        check_fpc_choice(kind, self.fpc)
        st = self._stages[0]
        factor, scale, rscales = design_factors(st, kind, replicates, seed, fay_rho,
                                                self.lonely_psu, hadamard)
        reps = self._w[:, None] * factor[st.unit]
        return self._copy(_rep=Replicates(reps, scale, rscales, mse, kind), _steps=[])
