"""Design-based estimation for special surveys (专项调查), checked against R ``survey``.

:class:`SurveyDesign` describes a stratified multi-stage sample (strata, clusters, weights,
finite population corrections) and estimates means, totals, proportions, ratios and
quantiles with Taylor-linearisation (or replicate-weight) standard errors, t intervals on
the design's degrees of freedom (PSUs minus strata), design effects, and domain
estimation that keeps the whole design.  Weighting: post-stratification, raking, linear
(GREG) calibration, trimming and nonresponse adjustment, each returning a new design
whose variance uses R's calibration residuals.  Also a Rao-Scott test of independence.

Written by hand because no maintained Python library does this correctly and fast:
samplics is archived (its quantile SE and Rao-Scott test are wrong) and svy changes its
API; the arithmetic follows Lumley's R ``survey`` (``svyrecvar``, ``svymean``,
``postStratify``, ``rake``, ``calibrate``, ``svychisq``, ``svyquantile``) and is vectorised
with ``np.bincount`` on integer codes (see ``_survey_var``).  Helpers for planning and
reporting (sample size, SPSS/Stata files, reliability flags, forest plots) are in
``_survey_extras`` and re-exported here.

Examples
--------
>>> import pandas as pd
>>> from workbench.survey import SurveyDesign
>>> df = pd.DataFrame({"s": ["a"] * 4 + ["b"] * 4, "y": [1., 2, 3, 4, 5, 6, 7, 8],
...                    "w": [2.] * 8, "N": [8] * 8})
>>> d = SurveyDesign(df, strata="s", weights="w", fpc="N")
>>> d.mean("y")[["variable", "estimate", "se", "n"]].round(4)
  variable  estimate      se  n
0        y       4.5  0.3227  8
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from ..foundation.errors import ValidationError, WorkbenchError, choices_text
from . import _variance as sv
from ._extras import (
    SurveyFile,
    flag_unreliable,
    forest_plot,
    read_survey,
    sample_size,
)
from ._report import (
    IDENTIFIER_COLUMNS,
    difference_tests,
    domain_estimates,
    survey_data,
    survey_margins,
    weight_diagnostics,
    weight_plot,
)
from ._sources import load_survey_file, survey_columns
from ._spec import (
    DesignSpec,
    apply_weighting,
    check_spec_columns,
    label_estimates,
    read_spec,
    spec_from_parameters,
)

__all__ = [
    "SurveyDesign", "sample_size", "read_survey", "SurveyFile", "flag_unreliable",
    "forest_plot", "LONELY_PSU", "REPLICATE_TYPES", "IDENTIFIER_COLUMNS", "survey_data",
    "weight_diagnostics", "domain_estimates", "difference_tests", "survey_margins",
    "weight_plot", "DesignSpec", "read_spec", "spec_from_parameters", "check_spec_columns",
    "apply_weighting", "label_estimates", "load_survey_file", "survey_columns",
]

LONELY_PSU = sv.LONELY
REPLICATE_TYPES = ("JK1", "bootstrap")
_RESULT = ["estimate", "se", "ci_low", "ci_high", "cv", "n"]


def _as_list(x) -> list:
    if x is None:
        return []
    return [x] if isinstance(x, str) else list(x)


def _check_columns(data: pd.DataFrame, columns: list[str], role: str) -> None:
    missing = [c for c in columns if c not in data.columns]
    if missing:
        raise WorkbenchError(
            f"{role} column(s) {missing} not in the data. Columns: {choices_text(data.columns)}",
            f"数据中没有{role}列 {missing}。可用列：{choices_text(data.columns)}")


def _numeric(data: pd.DataFrame, column: str) -> np.ndarray:
    """A column as float; text in it is an error naming the column and a bad value."""
    s = data[column]
    if pd.api.types.is_bool_dtype(s) or pd.api.types.is_numeric_dtype(s):
        return s.to_numpy(dtype=float, na_value=np.nan)
    conv = pd.to_numeric(s, errors="coerce")
    bad = conv.isna() & s.notna()
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise ValidationError(
            f"Column {column!r} must be numeric but holds text, e.g. {s.iloc[i]!r} "
            f"at row {s.index[i]!r} ({int(bad.sum())} such rows).",
            f"列 {column!r} 应为数值，但含有文本，例如第 {s.index[i]!r} 行的 {s.iloc[i]!r}"
            f"（共 {int(bad.sum())} 行）。")
    return conv.to_numpy(dtype=float, na_value=np.nan)


def _no_missing(data: pd.DataFrame, columns: list[str], role: str) -> None:
    for c in columns:
        miss = data[c].isna().to_numpy()
        if miss.any():
            rows = list(data.index[miss][:5])
            raise ValidationError(
                f"Design column {c!r} ({role}) has {int(miss.sum())} missing values, "
                f"e.g. rows {rows}; every respondent needs a {role}.",
                f"设计列 {c!r}（{role}）有 {int(miss.sum())} 个缺失值，例如第 {rows} 行。")


class SurveyDesign:
    """A complex survey design, as R's ``svydesign`` (or ``svrepdesign``).

    Parameters
    ----------
    data : DataFrame
        One row per respondent.
    strata : str or list of str, optional
        First-stage strata.
    psu : str or list of str, optional
        Cluster ids, one column per stage (``["dnum", "snum"]``); ``None``: each row is a PSU.
    weights : str, optional
        Sampling weights; derived from ``fpc`` (product of N/n over stages) when omitted.
    fpc : str or list of str, optional
        Per stage, the population size (number of units in the stratum, as R) or the
        sampling fraction (all values <= 1); :attr:`fpc_kind` says which was read.  One more
        fpc column than ``psu`` columns adds a final stage of individuals.  Later stages
        enter the variance only when every stage has an fpc (R's rule).
    nest : bool
        PSU ids are only unique within strata (R's ``nest=TRUE``).
    lonely_psu : {"fail", "adjust", "average", "certainty", "remove"}
        Strata with one sampled PSU: an error by default, else R's options.
    replicate_weights : list of str, optional
        Replicate weight columns (with ``replicate_type``) for replicate variance.
    replicate_type : {"JK1", "bootstrap"}, optional
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
                 replicate_type: str | None = None, level: float = 0.95):
        if lonely_psu not in LONELY_PSU:
            raise WorkbenchError(
                f"lonely_psu={lonely_psu!r} is not valid; choose one of "
                f"{choices_text(LONELY_PSU)}.",
                f"lonely_psu={lonely_psu!r} 无效，可选：{choices_text(LONELY_PSU)}。")
        self.data = data
        self.strata, self.psu, self.fpc = _as_list(strata), _as_list(psu), _as_list(fpc)
        self.weights_column, self.nest = weights, nest
        self.lonely_psu, self.level = lonely_psu, level
        _check_columns(data, self.strata + self.psu + self.fpc + _as_list(weights), "design")
        _no_missing(data, self.strata + self.psu, "design")
        self._stages, self.fpc_kind = self._build_stages()
        self._w = self._build_weights()
        self._cache: dict = {}
        self._steps: list[sv.Calibration] = []
        self._domain: np.ndarray | None = None
        self._rep = None
        if replicate_weights is not None:
            self._rep = _replicates(data, list(replicate_weights), replicate_type)
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
        fpcs = [_numeric(data, c) for c in self.fpc]
        for c, f in zip(self.fpc, fpcs, strict=True):
            if np.isnan(f).any() or (f <= 0).any():
                raise ValidationError(f"fpc column {c!r} has missing, zero or negative values.",
                                      f"有限总体校正列 {c!r} 含缺失、零或负值。")
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
        for s in range(1, len(units)):
            if s >= len(fpcs):
                break
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
            ids = self.data[col].to_numpy()[clash]
            ex = list(pd.unique(ids)[:5])
            raise ValidationError(
                f"PSU ids in {col!r} are shared across strata (e.g. {ex}); pass nest=True if ids "
                "are only unique within strata.",
                f"{col!r} 中的 PSU 编号跨层重复（如 {ex}）；若编号仅在层内唯一，请设置 nest=True。")

    def _build_weights(self) -> np.ndarray:
        if self.weights_column is not None:
            w = _numeric(self.data, self.weights_column)
            bad = np.isnan(w) | (w <= 0)
            if bad.any():
                rows = list(self.data.index[bad][:5])
                raise ValidationError(
                    f"Weights column {self.weights_column!r} has {int(bad.sum())} missing, zero or "
                    f"negative values, e.g. rows {rows}; weights must be positive.",
                    f"权重列 {self.weights_column!r} 有 {int(bad.sum())} 个缺失、零或负值，"
                    f"例如第 {rows} 行；权重必须为正。")
            return w
        if not self.fpc or len(self._stages) < max(len(self.psu), 1):
            raise WorkbenchError(
                "No weights: give weights= or an fpc (population size) for every stage.",
                "没有权重：请提供 weights=，或为每个阶段提供 fpc（总体规模）。")
        w = np.ones(len(self.data))
        for st in self._stages:
            rows_stratum = st.unit_stratum[st.unit]
            w *= (st.popsize / st.n_units)[rows_stratum]
        return w

    @classmethod
    def from_spec(cls, data: pd.DataFrame, spec, weighted: bool = True) -> SurveyDesign:
        """Build from a YAML design file (or DesignSpec); see :mod:`workbench.survey._spec`."""
        from ._spec import design_from_spec
        return design_from_spec(cls, data, spec, weighted)

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
            if self._rep is not None:
                self._cache["df"] = int(np.linalg.matrix_rank(self._rep[0])) - 1
            else:
                st = self._stages[0]
                has = np.bincount(st.unit, self._wd() > 0, minlength=len(st.unit_stratum))
                units = np.flatnonzero(has)
                self._cache["df"] = len(units) - len(np.unique(st.unit_stratum[units]))
        return self._cache["df"]

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
        kind = "replicate" if self._rep is not None else "linearisation"
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
        by = _as_list(by)
        if not by:
            return np.where(base, 0, -1), pd.DataFrame(index=[0])
        _check_columns(self.data, by, "by")
        for c in by:
            miss = self.data[c].isna().to_numpy()
            if miss.all():
                raise ValidationError(f"by column {c!r} has only missing values.",
                                      f"分组列 {c!r} 全部缺失。")
            if (miss & base).any() and not na_rm:
                raise ValidationError(
                    f"by column {c!r} has {int((miss & base).sum())} missing values; use "
                    "na_rm=True to leave them out of every domain (kept in the design).",
                    f"分组列 {c!r} 有 {int((miss & base).sum())} 个缺失值；"
                    "可设置 na_rm=True 将其排除在各分组之外（仍保留在设计中）。")
            base = base & ~miss
        codes, labels = sv.factorize(self.data, by)
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
        _check_columns(self.data, [column], "analysis")
        y = _numeric(self.data, column)
        miss = np.isnan(y)
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
            reps, scale, rscales = self._rep
            dom = 1.0 if self._domain is None else self._domain
            est = np.array([point(reps[:, r] * dom) for r in range(reps.shape[1])])
            dev = est - est.mean(axis=0)
            return scale * (dev * rscales[:, None]).T @ dev
        return sv.design_cov(self._stages, self._steps, scores, self.lonely_psu)

    def _table(self, labels: pd.DataFrame, est, cov, n, extra=None) -> pd.DataFrame:
        se = np.sqrt(np.clip(np.diag(cov), 0, None))
        t = stats.t.ppf(0.5 + self.level / 2, max(self.df, 1))
        out = labels.reset_index(drop=True).copy()
        for k, v in (extra or {}).items():
            out[k] = v
        with np.errstate(divide="ignore", invalid="ignore"):
            out = out.assign(estimate=est, se=se, ci_low=est - t * se, ci_high=est + t * se,
                             cv=se / np.abs(est), n=np.asarray(n, dtype=np.int64))
        return out

    # ----------------------------------------------------------------- estimators
    def _mean_total(self, variables, by, na_rm, deff, total: bool) -> pd.DataFrame:
        frames = []
        for var in _as_list(variables):
            y, valid = self._variable(var, na_rm)
            dom, labels = self._domains(by, valid, na_rm)
            frames.append(self._mean_arrays(y, dom, labels, var, deff, total))
        return pd.concat(frames, ignore_index=True)

    def _mean_arrays(self, y, dom, labels, var, deff, total) -> pd.DataFrame:
        k = len(labels)
        w = self._wd()
        inside = dom >= 0
        dc = np.where(inside, dom, 0)

        def sums(wt):
            wt = np.where(inside, wt, 0.0)
            return np.bincount(dc, wt * y, minlength=k), np.bincount(dc, wt, minlength=k)

        wi = np.where(inside, w, 0.0)
        big_y, big_n = np.bincount(dc, wi * y, minlength=k), np.bincount(dc, wi, minlength=k)
        est = big_y if total else big_y / big_n

        def point(wt):
            a, b = sums(wt)
            return a if total else a / b

        resid = y if total else (y - est[dc]) / big_n[dc]
        scores = [(w * resid, dom, k)]
        cov = self._cov(w, point, scores)
        n = np.bincount(dc[inside], minlength=k)
        table = self._table(labels, est, cov, n, {"variable": var})
        if deff:
            mean = big_y / big_n
            svar = np.bincount(dc, np.where(inside, w * (y - mean[dc]) ** 2, 0), minlength=k)
            with np.errstate(divide="ignore", invalid="ignore"):
                svar = svar / big_n * n / (n - 1)
                vsrs = svar / n * (big_n - n) / big_n
                if total:
                    vsrs = vsrs * big_n ** 2
                table["deff"] = np.diag(cov) / vsrs
        return table

    def mean(self, variables, by=None, na_rm: bool = False, deff: bool = False) -> pd.DataFrame:
        """Weighted means with design-based SEs (R ``svymean`` / ``svyby``).

        Examples
        --------
        >>> import pandas as pd
        >>> df = pd.DataFrame({"g": list("aabb"), "y": [1., 3, 2, 6], "w": [1., 1, 1, 3]})
        >>> SurveyDesign(df, weights="w").mean("y", by="g")[["g", "estimate"]]
           g  estimate
        0  a       2.0
        1  b       5.0
        """
        return self._mean_total(variables, by, na_rm, deff, total=False)

    def total(self, variables, by=None, na_rm: bool = False, deff: bool = False) -> pd.DataFrame:
        """Estimated population totals (R ``svytotal``)."""
        return self._mean_total(variables, by, na_rm, deff, total=True)

    def proportion(self, variable: str, by=None, na_rm: bool = False,
                   deff: bool = False) -> pd.DataFrame:
        """Share of each level of a categorical variable, one row per level (and domain)."""
        _check_columns(self.data, [variable], "analysis")
        s = self.data[variable]
        valid = s.notna().to_numpy()
        if (~valid & (self._wd() > 0)).any() and not na_rm:
            raise ValidationError(
                f"Analysis variable {variable!r} has {int((~valid).sum())} missing values; "
                "use na_rm=True for a domain estimate over the respondents.",
                f"分析变量 {variable!r} 有 {int((~valid).sum())} 个缺失值；可设置 na_rm=True。")
        levels = pd.Index(sorted(pd.unique(s[valid])))
        frames = []
        for level in levels:
            y = (s == level).to_numpy(dtype=float)
            dom, labels = self._domains(by, valid, na_rm)
            t = self._mean_arrays(y, dom, labels, variable, deff, total=False)
            t.insert(len(labels.columns) + 1, "level", level)
            frames.append(t)
        out = pd.concat(frames, ignore_index=True)
        order = [*_as_list(by), "level"] if by else ["level"]
        return out.sort_values(order, kind="stable").reset_index(drop=True)

    def ratio(self, numerator: str, denominator: str, by=None,
              na_rm: bool = False) -> pd.DataFrame:
        """Ratio of two totals (R ``svyratio``)."""
        y, vy = self._variable(numerator, na_rm)
        x, vx = self._variable(denominator, na_rm)
        dom, labels = self._domains(by, vy & vx, na_rm)
        return self._ratio_arrays(y, x, dom, labels, f"{numerator}/{denominator}")

    def quantile(self, variable: str, probs=(0.5,), by=None, na_rm: bool = False) -> pd.DataFrame:
        """Quantiles with Woodruff intervals (R ``svyquantile``, ``qrule="math"``).

        As R's ``woodruffCI`` (method "mean"): the interval for the probability is
        ``F(q) +/- t * SE(F(q))``, the design-based mean of ``y <= q`` at the estimated
        quantile ``q``, mapped back through the weighted empirical CDF; ``se`` is the
        interval's width divided by ``2 t`` (as R reports), t on the design df.
        """
        y, valid = self._variable(variable, na_rm)
        dom, labels = self._domains(by, valid, na_rm)
        w = self._wd()
        t = stats.t.ppf(0.5 + self.level / 2, max(self.df, 1))
        rows = []
        for k in range(len(labels)):
            sel = dom == k
            for p in np.atleast_1d(probs):
                q = _qrule_math(y[sel], w[sel], p)
                ind = (y <= q).astype(float)
                f = self._mean_arrays(ind, np.where(sel, 0, -1), pd.DataFrame(index=[0]),
                                      variable, False, False)
                f_hat, se_f = float(f["estimate"].iloc[0]), float(f["se"].iloc[0])
                lo = _qrule_math(y[sel], w[sel], max(f_hat - t * se_f, 0.0))
                hi = _qrule_math(y[sel], w[sel], min(f_hat + t * se_f, 1.0))
                est = q
                se = (hi - lo) / (2 * t)
                rows.append({**labels.iloc[k].to_dict(), "variable": variable, "quantile": p,
                             "estimate": est, "se": se, "ci_low": lo, "ci_high": hi,
                             "cv": se / abs(est) if est else np.nan, "n": int(sel.sum())})
        return pd.DataFrame(rows)

    # ----------------------------------------------------------------- tests
    def chisq(self, row: str, col: str) -> pd.Series:
        """Rao-Scott second-order test of independence (R ``svychisq``, statistic "F").

        Returns ``statistic`` (F), ``ndf``, ``ddf``, ``p_value`` and the Pearson ``chisq``.
        """
        _check_columns(self.data, [row, col], "analysis")
        r = self.data[row]
        c = self.data[col]
        valid = (r.notna() & c.notna()).to_numpy() & (self._wd() > 0)
        # levels seen in the analysed rows only: an empty row or column has no expected count
        rc, rl = pd.factorize(r.where(valid), sort=True)
        cc, cl = pd.factorize(c.where(valid), sort=True)
        nr, nc = len(rl), len(cl)
        if nr < 2 or nc < 2:
            raise WorkbenchError(f"chisq needs two levels in {row!r} and {col!r}.",
                                 f"卡方检验要求 {row!r} 与 {col!r} 各至少两个取值。")
        cell = np.where(valid, rc + nr * cc, -1)
        m = nr * nc
        w = np.where(valid, self._wd(), 0.0)
        cpos = np.where(valid, cell, 0)
        total = w.sum()

        def point(wt):
            wt = np.where(valid, wt, 0.0)
            return np.bincount(cpos, wt, minlength=m) / wt.sum()

        p = point(w)
        base = np.where(valid, 0, -1)
        scores = [(w / total, cell, m)] + [(-p[j] * w / total, np.where(valid, j, -1), m)
                                           for j in range(m)]
        del base
        v = self._cov(w, point, scores)
        grid = pd.DataFrame({"r": np.tile(np.arange(nr), nc), "c": np.repeat(np.arange(nc), nr)})
        x1 = np.column_stack([np.ones(m), pd.get_dummies(grid["r"], drop_first=True, dtype=float),
                              pd.get_dummies(grid["c"], drop_first=True, dtype=float)])
        inter = np.column_stack([(grid["r"] == i) & (grid["c"] == j)
                                 for j in range(1, nc) for i in range(1, nr)]).astype(float)
        beta, *_ = np.linalg.lstsq(x1, inter, rcond=None)
        cmat = inter - x1 @ beta
        idm = np.diag(np.where(p == 0, 0, 1 / np.where(p == 0, 1, p)))
        denom = cmat.T @ (idm / total) @ cmat
        numr = cmat.T @ idm @ v @ idm @ cmat
        delta = np.linalg.solve(denom, numr)
        tr = np.trace(delta)
        d0 = tr ** 2 / np.trace(delta @ delta)
        tab = (p * total).reshape(nc, nr).T
        expected = np.outer(tab.sum(1), tab.sum(0)) / total
        pearson = float(((tab - expected) ** 2 / expected).sum())
        f = pearson / tr
        ddf = d0 * self.df
        return pd.Series({"statistic": f, "ndf": d0, "ddf": ddf,
                          "p_value": float(stats.f.sf(f, d0, ddf)), "chisq": pearson},
                         name=f"{row} x {col}")

    # ----------------------------------------------------------------- weighting
    def _require_full(self, what: str) -> None:
        if self._domain is not None:
            raise WorkbenchError(f"{what} applies to the whole sample, not to a subset.",
                                 f"{what} 须在全样本上进行，不能在子集上进行。")

    def _cells(self, variables, population) -> tuple[np.ndarray, np.ndarray, list]:
        """Row codes into the population table and its totals (both checked)."""
        variables = _as_list(variables)
        _check_columns(self.data, variables, "weighting")
        if isinstance(population, pd.DataFrame):
            count = [c for c in population.columns if c not in variables]
            if len(count) != 1:
                raise WorkbenchError(
                    f"population table needs columns {variables} and one count column; "
                    f"got {list(population.columns)}.",
                    f"总体表需要列 {variables} 和一个计数列；实际为 {list(population.columns)}。")
            population = population.set_index(variables)[count[0]]
        pop = pd.Series(population, dtype=float)
        keys = pd.MultiIndex.from_frame(self.data[variables]) if len(variables) > 1 \
            else pd.Index(self.data[variables[0]])
        index = pop.index
        if len(variables) == 1:
            index = pd.Index(index.astype(self.data[variables[0]].dtype, copy=False)) \
                if not isinstance(index, pd.MultiIndex) else index
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

    def poststratify(self, variables, population) -> SurveyDesign:
        """Post-stratify to known totals (R ``postStratify``); returns a new design."""
        self._require_full("poststratify")
        codes, totals, _ = self._cells(variables, population)
        est = np.bincount(codes, self._w, minlength=len(totals))
        w = self._w * (totals / est)[codes]
        step = sv.Calibration("ps", codes=[codes], weights=[w])
        return self._copy(_w=w, _steps=[*self._steps, step], _rep=self._rep_scaled(w))

    def rake(self, margins: Mapping, maxit: int = 100, tol: float = 1e-8) -> SurveyDesign:
        """Rake to marginal totals by iterative proportional fitting (R ``rake``).

        ``margins`` maps a column (or tuple of columns) to its population totals.  Stops when
        no weight changes by more than ``tol`` (relative); ``history`` of the new design
        records each iteration's largest relative weight change and margin error.
        """
        self._require_full("rake")
        cells = [self._cells(list(v) if isinstance(v, tuple) else v, pop)
                 for v, pop in margins.items()]
        w = self._w.copy()
        hist = []
        for it in range(1, maxit + 1):
            old, after = w, []
            for codes, totals, _ in cells:
                w = w * (totals / np.bincount(codes, w, minlength=len(totals)))[codes]
                after.append(w)
            change = float(np.max(np.abs(w - old) / old))
            err = max(float(np.max(np.abs(np.bincount(c, w, minlength=len(t)) - t) / t))
                      for c, t, _ in cells)
            hist.append({"iteration": it, "max_weight_change": change, "max_margin_error": err})
            if change < tol and err < 1e-6:  # stable weights can still miss inconsistent margins
                break
        else:
            raise WorkbenchError(
                f"Raking on {list(margins)} did not converge in {maxit} iterations (largest "
                f"relative margin error {err:.3g}); check the margins are consistent.",
                f"对 {list(margins)} 的迭代加权在 {maxit} 次内未收敛（最大相对误差 {err:.3g}），"
                "请检查各边际总数是否一致。")
        step = sv.Calibration("rake", codes=[c for c, _, _ in cells], weights=after)
        new = self._copy(_w=w, _steps=[*self._steps, step], _rep=self._rep_scaled(w))
        new.history = pd.DataFrame(hist)
        return new

    def calibrate(self, population: Mapping) -> SurveyDesign:
        """Linear (GREG) calibration to totals (R ``calibrate``, ``calfun="linear"``).

        ``population`` maps a categorical column to a Series of totals per level, or a
        numeric column to its population total.
        """
        self._require_full("calibrate")
        blocks, totals = [], []
        for var, pop in population.items():
            if isinstance(pop, (pd.Series, pd.DataFrame, Mapping)):
                codes, t, _ = self._cells(var, pop)
                blocks.append(np.eye(len(t))[codes])
                totals.extend(t)
            else:
                blocks.append(_numeric(self.data, var)[:, None])
                totals.append(float(pop))
        x = np.hstack(blocks)
        target = np.asarray(totals)
        w0 = self._w
        lam = np.linalg.lstsq((x * w0[:, None]).T @ x, target - w0 @ x, rcond=None)[0]
        w = w0 * (1 + x @ lam)
        if not np.allclose(w @ x, target, rtol=1e-8):
            raise WorkbenchError("Calibration totals are inconsistent (cannot all be met).",
                                 "校准总数互相矛盾，无法同时满足。")
        if (w <= 0).any():
            raise WorkbenchError(
                f"Linear calibration gave {int((w <= 0).sum())} non-positive weights; "
                "use rake() or coarser totals.",
                f"线性校准产生 {int((w <= 0).sum())} 个非正权重；请改用 rake() 或合并单元。")
        step = sv.Calibration("greg", weights=[w], x=x, w0=w0)
        return self._copy(_w=w, _steps=[*self._steps, step], _rep=self._rep_scaled(w))

    def trim_weights(self, upper: float | None = None, lower: float | None = None,
                     maxit: int = 50) -> SurveyDesign:
        """Trim weights to ``[lower, upper]`` and share the excess among the others.

        As R's ``trimWeights(strict=TRUE)``: repeat until no weight is outside the bounds; the
        weight total is unchanged.
        """
        self._require_full("trim_weights")
        w = self._w.copy()
        total = w.sum()
        for _ in range(maxit):
            lo = -np.inf if lower is None else lower
            hi = np.inf if upper is None else upper
            clipped = np.clip(w, lo, hi)
            free = (clipped > lo) & (clipped < hi)
            excess = total - clipped.sum()
            if abs(excess) <= 1e-9 * total:
                w = clipped
                break
            if not free.any():
                raise WorkbenchError(
                    f"Cannot trim to [{lower}, {upper}]: every weight is at a bound, so the "
                    "weight total cannot be kept.",
                    f"无法修剪到 [{lower}, {upper}]：所有权重都在界限上，无法保持权重总和。")
            w = np.where(free, clipped * (1 + excess / clipped[free].sum()), clipped)
        return self._copy(_w=w, _rep=self._rep_scaled(w))

    def adjust_nonresponse(self, respondent, classes) -> SurveyDesign:
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
        codes, labels = sv.factorize(self.data, _as_list(classes))
        k = len(labels)
        all_w = np.bincount(codes, self._w, minlength=k)
        resp_w = np.bincount(codes, np.where(resp, self._w, 0), minlength=k)
        if (resp_w == 0).any():
            bad = list(labels[resp_w == 0][:5])
            raise WorkbenchError(
                f"Weighting classes without respondents: {bad}; collapse them.",
                f"以下加权类别没有应答者：{bad}，请合并类别。")
        w = np.where(resp, self._w * (all_w / resp_w)[codes], 0.0)
        return self._copy(_w=w, _domain=None, _rep=self._rep_scaled(w)).subset(resp)

    def _rep_scaled(self, w: np.ndarray):
        """Replicate weights follow a reweighting by the same factor (approximation)."""
        if self._rep is None:
            return None
        reps, scale, rscales = self._rep
        factor = np.divide(w, self._w, out=np.zeros_like(w), where=self._w != 0)
        return reps * factor[:, None], scale, rscales

    # ----------------------------------------------------------------- replicates
    def to_replicate(self, kind: str = "JK1", replicates: int = 200,
                     seed: int = 0) -> SurveyDesign:
        """Replicate-weight version: JK1 (delete one PSU, unstratified) or Rao-Wu bootstrap."""
        if kind not in REPLICATE_TYPES:
            raise WorkbenchError(f"kind={kind!r}; choose one of {choices_text(REPLICATE_TYPES)}.",
                                 f"kind={kind!r} 无效，可选：{choices_text(REPLICATE_TYPES)}。")
        st = self._stages[0]
        n_psu = len(st.unit_stratum)
        if kind == "JK1":
            if st.n_strata > 1:
                raise WorkbenchError("JK1 needs an unstratified design.", "JK1 要求非分层设计。")
            factor = np.full((n_psu, n_psu), n_psu / (n_psu - 1))
            np.fill_diagonal(factor, 0.0)
            scale = (n_psu - 1) / n_psu
        else:
            rng = np.random.default_rng(seed)
            factor = np.zeros((n_psu, replicates))
            for h in range(st.n_strata):
                members = np.flatnonzero(st.unit_stratum == h)
                nh = len(members)
                draws = rng.integers(0, nh, size=(max(nh - 1, 1), replicates))
                counts = np.stack([np.bincount(draws[:, r], minlength=nh)
                                   for r in range(replicates)], axis=1)
                factor[members] = counts * nh / max(nh - 1, 1)
            scale = 1 / (replicates - 1)
        reps = self._w[:, None] * factor[st.unit]
        return self._copy(_rep=(reps, scale, np.ones(reps.shape[1])), _steps=[])

    # ----------------------------------------------------------------- questionnaires
    def likert(self, items, labels: Mapping | None = None, by=None,
               na_rm: bool = True) -> pd.DataFrame:
        """Share of each answer of Likert items; every scale point shown, even when empty.

        ``labels`` maps codes to text (e.g. ``demo.LIKERT_LABELS["en"]``); its codes define
        the scale.  Nonresponse to an item is a domain (``na_rm=True``), never a row drop.
        """
        frames = []
        for item in _as_list(items):
            y, valid = self._variable(item, na_rm)
            codes = sorted(labels) if labels else sorted(np.unique(y[valid]))
            dom, lab = self._domains(by, valid, na_rm)
            for code in codes:
                t = self._mean_arrays((y == code).astype(float), dom, lab, item, False, False)
                t.insert(len(lab.columns) + 1, "level", code)
                t.insert(len(lab.columns) + 2, "label", (labels or {}).get(code, str(code)))
                frames.append(t)
        out = pd.concat(frames, ignore_index=True)
        return out.sort_values([*_as_list(by), "variable", "level"], kind="stable",
                               ignore_index=True)

    def multi_response(self, items, by=None, na_rm: bool = False) -> pd.DataFrame:
        """Multi-response question (0/1 columns): % of respondents and % of mentions.

        The base is the children who answered the question (any item present); a row with
        only some items missing is an error unless ``na_rm=True`` (missing = not chosen).
        """
        items = _as_list(items)
        _check_columns(self.data, items, "analysis")
        mat = np.column_stack([_numeric(self.data, c) for c in items])
        miss = np.isnan(mat)
        partial = miss.any(1) & ~miss.all(1)
        if partial.any() and not na_rm:
            raise ValidationError(
                f"{int(partial.sum())} rows answered only some of {items}; use na_rm=True to "
                "count a missing item as not chosen.",
                f"{int(partial.sum())} 行只回答了 {items} 中的部分选项；可设置 na_rm=True。")
        answered = ~miss.all(1)
        mat = np.nan_to_num(mat)
        mentions = mat.sum(1)
        dom, labels = self._domains(by, answered, True)
        frames = []
        for j, item in enumerate(items):
            t = self._mean_arrays(mat[:, j], dom, labels, item, False, False)
            t.insert(len(labels.columns) + 1, "measure", "respondents")
            frames.append(t)
            r = self._ratio_arrays(mat[:, j], mentions, dom, labels, item)
            r.insert(len(labels.columns) + 1, "measure", "mentions")
            frames.append(r)
        return pd.concat(frames, ignore_index=True)

    def _ratio_arrays(self, y, x, dom, labels, var) -> pd.DataFrame:
        k, w, inside = len(labels), self._wd(), dom >= 0
        dc = np.where(inside, dom, 0)

        def point(wt):
            wt = np.where(inside, wt, 0.0)
            return np.bincount(dc, wt * y, minlength=k) / np.bincount(dc, wt * x, minlength=k)

        est = point(w)
        big_x = np.bincount(dc, np.where(inside, w * x, 0), minlength=k)
        cov = self._cov(w, point, [(w * (y - est[dc] * x) / big_x[dc], dom, k)])
        return self._table(labels, est, cov, np.bincount(dc[inside], minlength=k),
                           {"variable": var})


def _qrule_math(y: np.ndarray, w: np.ndarray, p: float) -> float:
    """Inverse of the weighted empirical CDF: smallest y with F(y) >= p (R qrule_math)."""
    keep = w > 0
    y, w = y[keep], w[keep]
    if len(y) == 0:
        return np.nan
    order = np.argsort(y, kind="stable")
    ys, cdf = y[order], np.cumsum(w[order]) / w.sum()
    cdf[np.abs(cdf - 1) < 1e-7] = 1.0
    if p <= 0:
        return float(ys[0])
    return float(ys[np.searchsorted(cdf, p - 1e-12, side="left")])


def _replicates(data: pd.DataFrame, columns: list[str], kind: str | None):
    if kind not in REPLICATE_TYPES:
        raise WorkbenchError(f"replicate_type={kind!r}; choose one of "
                             f"{choices_text(REPLICATE_TYPES)}.",
                             f"replicate_type={kind!r} 无效，"
                             f"可选：{choices_text(REPLICATE_TYPES)}。")
    _check_columns(data, columns, "replicate weight")
    reps = np.column_stack([_numeric(data, c) for c in columns])
    if np.isnan(reps).any() or (reps < 0).any():
        raise ValidationError("Replicate weights have missing or negative values.",
                              "复制权重含缺失值或负值。")
    r = reps.shape[1]
    scale = (r - 1) / r if kind == "JK1" else 1 / (r - 1)
    return reps, scale, np.ones(r)
