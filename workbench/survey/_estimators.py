"""Estimators of :class:`~workbench.survey.SurveyDesign` (a mixin): means, totals, shares,
ratios, quantiles, variances, proportions with R's ``svyciprop`` intervals, questionnaires.

Each works on integer domain codes (``-1`` outside) with ``np.bincount``; the variance of
every estimate comes from ``self._cov`` (linearisation scores or replicate weights).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..foundation.errors import ValidationError, WorkbenchError
from . import _variance as sv
from ._checks import as_list, check_columns, is_categorical, numeric
from ._intervals import check_method, ciprop_interval, woodruff_limits

_DEFF = (False, True, "replace")


class EstimatorsMixin:
    """Means, totals, proportions, ratios, quantiles and variances (see SurveyDesign)."""

    # ----------------------------------------------------------------- means and totals
    def _factor(self, column: str, na_rm: bool):
        """Levels and validity of a categorical variable (nonresponse is a domain)."""
        check_columns(self.data, [column], "analysis")
        s = self.data[column]
        valid = s.notna().to_numpy()
        missing = ~valid & (self._wd() > 0)
        if missing.any() and not na_rm:
            raise ValidationError(
                f"Analysis variable {column!r} has {int(missing.sum())} missing values; "
                "use na_rm=True for a domain estimate over the respondents.",
                f"分析变量 {column!r} 有 {int(missing.sum())} 个缺失值；可设置 na_rm=True。")
        return s, valid, pd.Index(sorted(pd.unique(s[valid])))

    def _mean_total(self, variables, by, na_rm, deff, total: bool) -> pd.DataFrame:
        if deff not in _DEFF:
            raise WorkbenchError(f"deff={deff!r}; choose False, True or 'replace'.",
                                 f"deff={deff!r} 无效，可选 False、True 或 'replace'。")
        frames = []
        for var in as_list(variables):
            check_columns(self.data, [var], "analysis")
            if is_categorical(self.data[var]):  # R: svymean(~factor), one row per level
                s, valid, levels = self._factor(var, na_rm)
                dom, labels = self._domains(by, valid, na_rm)
                for level in levels:
                    t = self._mean_arrays((s == level).to_numpy(dtype=float), dom, labels, var,
                                          deff, total)
                    t.insert(len(labels.columns) + 1, "level", level)
                    frames.append(t)
                continue
            y, valid = self._variable(var, na_rm)
            dom, labels = self._domains(by, valid, na_rm)
            frames.append(self._mean_arrays(y, dom, labels, var, deff, total))
        return pd.concat(frames, ignore_index=True)

    def _mean_arrays(self, y, dom, labels, var, deff, total, df=None) -> pd.DataFrame:
        k = len(labels)
        w = self._wd()
        inside = dom >= 0
        everyone = bool(inside.all())  # the usual case: no masking passes needed
        dc = dom if everyone else np.where(inside, dom, 0)
        wi = w if everyone else np.where(inside, w, 0.0)
        if self._rep is None and not self._steps and len(self._stages) == 1:
            big_y, big_n, est, cov = self._one_stage_mean(y, dc, wi, k, total)
        else:
            big_y = np.bincount(dc, wi * y, minlength=k)
            big_n = np.bincount(dc, wi, minlength=k)
            with np.errstate(divide="ignore", invalid="ignore"):
                est = big_y if total else big_y / big_n

            def point(wt):
                wt = np.where(inside, wt, 0.0)
                a = np.bincount(dc, wt * y, minlength=k)
                return a if total else a / np.bincount(dc, wt, minlength=k)

            with np.errstate(divide="ignore", invalid="ignore"):
                resid = y if total else (y - est[dc]) / big_n[dc]
            cov = self._cov(w, point, [(np.where(inside, w * resid, 0.0), dom, k)])
        n = np.bincount(dc, inside, minlength=k).astype(np.int64)
        table = self._table(labels, est, cov, n, {"variable": var}, df)
        if deff:
            mean = big_y / big_n
            svar = np.bincount(dc, np.where(inside, w * (y - mean[dc]) ** 2, 0), minlength=k)
            with np.errstate(divide="ignore", invalid="ignore"):
                svar = svar / big_n * n / (n - 1)  # R's svyvar
                vsrs = svar / n if deff == "replace" else svar / n * (big_n - n) / big_n
                if total:
                    vsrs = vsrs * big_n ** 2
                table["deff"] = np.diag(cov) / vsrs
        return table

    def _one_stage_mean(self, y, dc, wi, k, total):
        """Means or totals of one-stage designs from PSU x domain sums (two bincounts).

        The PSU totals of the linearised scores ``w (y - mean_d) / N_d`` are
        ``(sum w y - mean_d sum w) / N_d`` per PSU and domain: no per-row residuals needed.
        """
        st = self._stages[0]
        n_u = len(st.unit_stratum)
        flat = st.unit * k + dc
        ty = np.bincount(flat, wi * y, minlength=n_u * k).reshape(n_u, k)
        tw = np.bincount(flat, wi, minlength=n_u * k).reshape(n_u, k)
        big_y, big_n = ty.sum(axis=0), tw.sum(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            est = big_y if total else big_y / big_n
            totals = ty if total else (ty - tw * est) / big_n
        totals = np.nan_to_num(totals, nan=0.0, posinf=0.0, neginf=0.0)  # empty domains
        return big_y, big_n, est, sv.stage_cov(st, totals, self.lonely_psu)

    def mean(self, variables, by=None, na_rm: bool = False, deff=False) -> pd.DataFrame:
        """Weighted means with design-based SEs (R ``svymean`` / ``svyby``).

        A text or categorical variable gives the share of each level (a ``level`` column),
        as R's ``svymean(~factor)``.  ``deff=True`` is Kish's design effect against simple
        random sampling without replacement; ``deff="replace"`` with replacement (R's
        ``deff="replace"``).  ``na_rm`` is R's ``na.rm`` (a domain, not a row drop).

        Examples
        --------
        >>> import pandas as pd
        >>> from workbench.survey import SurveyDesign
        >>> df = pd.DataFrame({"g": list("aabb"), "y": [1., 3, 2, 6], "w": [1., 1, 1, 3]})
        >>> SurveyDesign(df, weights="w").mean("y", by="g")[["g", "estimate"]]
           g  estimate
        0  a       2.0
        1  b       5.0
        """
        return self._mean_total(variables, by, na_rm, deff, total=False)

    def total(self, variables, by=None, na_rm: bool = False, deff=False) -> pd.DataFrame:
        """Estimated population totals (R ``svytotal``; a factor gives a total per level).

        Examples
        --------
        >>> import pandas as pd
        >>> from workbench.survey import SurveyDesign
        >>> df = pd.DataFrame({"g": list("aabb"), "w": [1., 1, 1, 3]})
        >>> SurveyDesign(df, weights="w").total("g")[["level", "estimate"]]
          level  estimate
        0     a       2.0
        1     b       4.0
        """
        return self._mean_total(variables, by, na_rm, deff, total=True)

    def var(self, variable: str, by=None, na_rm: bool = False) -> pd.DataFrame:
        """Population variance with its SE (R ``svyvar``; divisor ``n - 1`` as R).

        Examples
        --------
        >>> import pandas as pd
        >>> from workbench.survey import SurveyDesign
        >>> df = pd.DataFrame({"y": [1., 2, 3, 4], "w": 2.})
        >>> round(SurveyDesign(df, weights="w").var("y")["estimate"].item(), 4)
        1.6667
        """
        y, valid = self._variable(variable, na_rm)
        dom, labels = self._domains(by, valid, na_rm)
        k, inside = len(labels), dom >= 0
        dc, w = np.where(inside, dom, 0), np.where(inside, self._wd(), 0.0)
        mean = np.bincount(dc, w * y, minlength=k) / np.bincount(dc, w, minlength=k)
        n = np.bincount(dc[inside], minlength=k).astype(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            z = (y - mean[dc]) ** 2 * (n / (n - 1))[dc]
        return self._mean_arrays(np.where(inside, z, 0.0), dom, labels, variable, False, False)

    # ----------------------------------------------------------------- proportions
    def proportion(self, variable: str, by=None, na_rm: bool = False, deff=False,
                   method: str = "mean") -> pd.DataFrame:
        """Share of each level of a categorical variable, one row per level (and domain).

        Intervals use each domain's degrees of freedom (R's ``svyby`` gives every domain its
        own ``degf``: PSUs minus strata in the domain, column ``df``) and R's ``svyciprop``
        ``method`` ("mean": Wald, or "logit", "likelihood", "xlogit", "asin", "beta"; see
        :meth:`ciprop`).
        """
        check_method(method)
        s, valid, levels = self._factor(variable, na_rm)
        dom, labels = self._domains(by, valid, na_rm)
        df = self._domain_df(dom, len(labels))
        frames = []
        for level in levels:
            y = (s == level).to_numpy(dtype=float)
            t = self._mean_arrays(y, dom, labels, variable, deff, False, df)
            self._ciprop_limits(t, method, y, dom)
            t.insert(len(labels.columns) + 1, "level", level)
            frames.append(t)
        out = pd.concat(frames, ignore_index=True)
        order = [*as_list(by), "level"] if by else ["level"]
        return out.sort_values(order, kind="stable").reset_index(drop=True)

    def _ciprop_limits(self, t: pd.DataFrame, method: str, y: np.ndarray,
                       dom: np.ndarray) -> None:
        if method == "mean":
            return
        profile = None
        if method == "likelihood":
            profile = self._profile(y, dom, len(t))
        lo, hi = ciprop_interval(t["estimate"], t["se"], t["df"], self.level, method,
                                 len(self.data), profile)
        t["ci_low"], t["ci_high"] = lo, hi

    def _profile(self, y: np.ndarray, dom: np.ndarray, k: int):
        """R's profile-likelihood interval per domain (``svyglm`` fit, design variance)."""
        from ._likelihood import irls, profile_limits

        w = self._wd()
        inside = (dom >= 0) & (w > 0)
        fits, scores = [], np.zeros(len(y))
        for j in range(k):  # domains, not rows
            rows = np.flatnonzero(inside & (dom == j))
            big_w = w[rows] * len(rows) / w[rows].sum()  # svyglm: weights with mean 1
            beta, ww = irls(y[rows], big_w)
            mu = 1 / (1 + np.exp(-beta))
            a_inv = 1 / ww.sum()  # summary.glm's cov.unscaled: the last working weights
            # svy.varcoef: estfun = working residual x working weight, times A^-1
            scores[rows] = (y[rows] - mu) / (mu * (1 - mu)) * ww * a_inv / w[rows]
            fits.append((beta, mu, len(rows), a_inv))
        labels = pd.DataFrame(index=range(k))
        var_beta = self._mean_arrays(scores, np.where(inside, dom, -1), labels, "", False,
                                     True)["se"].to_numpy() ** 2

        def limits(_p, _se, df):
            out = [profile_limits(b, mu, n, np.sqrt(v), v / a, df[j], n / (n - 1), self.level)
                   for j, ((b, mu, n, a), v) in enumerate(zip(fits, var_beta, strict=True))]
            return np.array([o[0] for o in out]), np.array([o[1] for o in out])

        return limits

    def ciprop(self, variable: str, value=True, by=None, method: str = "logit",
               na_rm: bool = False) -> pd.DataFrame:
        """Proportion with ``variable == value`` and R's ``svyciprop`` interval.

        Parameters
        ----------
        variable, value : str, object
            R's ``formula`` ``~I(variable == value)``; a 0/1 or boolean column with
            ``value=True`` counts the ones.
        method : {"logit", "likelihood", "asin", "beta", "mean", "xlogit"}
            R's ``method``; t quantiles on the (domain's) design df, R's ``df=degf(design)``.
        by, na_rm : optional
            Domains (each with its own df, as R's ``svyby``) and R's ``na.rm``.

        Examples
        --------
        >>> import pandas as pd
        >>> from workbench.survey import SurveyDesign
        >>> df = pd.DataFrame({"psu": range(6), "x": [1, 0, 1, 1, 0, 1], "w": 2.})
        >>> d = SurveyDesign(df, psu="psu", weights="w")
        >>> d.ciprop("x", 1, method="beta")[["estimate", "ci_low"]].round(4)
           estimate  ci_low
        0    0.6667  0.1873
        """
        check_method(method)
        check_columns(self.data, [variable], "analysis")
        s = self.data[variable]
        valid = s.notna().to_numpy()
        if (~valid & (self._wd() > 0)).any() and not na_rm:
            raise ValidationError(
                f"Analysis variable {variable!r} has missing values; use na_rm=True.",
                f"分析变量 {variable!r} 有缺失值；可设置 na_rm=True。")
        y = (s == value).to_numpy(dtype=float)  # True matches 1 in a 0/1 column
        dom, labels = self._domains(by, valid, na_rm)
        df = self._domain_df(dom, len(labels))
        t = self._mean_arrays(y, dom, labels, f"{variable}=={value}", False, False, df)
        self._ciprop_limits(t, method, y, dom)
        t["method"] = method
        return t

    # ----------------------------------------------------------------- ratios, quantiles
    def ratio(self, numerator: str, denominator: str, by=None,
              na_rm: bool = False) -> pd.DataFrame:
        """Ratio of two totals (R ``svyratio``)."""
        y, vy = self._variable(numerator, na_rm)
        x, vx = self._variable(denominator, na_rm)
        dom, labels = self._domains(by, vy & vx, na_rm)
        return self._ratio_arrays(y, x, dom, labels, f"{numerator}/{denominator}")

    def _ratio_arrays(self, y, x, dom, labels, var) -> pd.DataFrame:
        k, w, inside = len(labels), self._wd(), dom >= 0
        dc = np.where(inside, dom, 0)

        def point(wt):
            wt = np.where(inside, wt, 0.0)
            return np.bincount(dc, wt * y, minlength=k) / np.bincount(dc, wt * x, minlength=k)

        est = point(w)
        big_x = np.bincount(dc, np.where(inside, w * x, 0), minlength=k)
        cov = self._cov(w, point, [(np.where(inside, w * (y - est[dc] * x) / big_x[dc], 0.0),
                                    dom, k)])
        return self._table(labels, est, cov, np.bincount(dc[inside], minlength=k),
                           {"variable": var})

    def quantile(self, variable: str, probs=(0.5,), by=None, na_rm: bool = False) -> pd.DataFrame:
        """Quantiles with Woodruff intervals (R ``svyquantile``, ``qrule="math"``).

        As R's ``woodruffCI`` (method "mean"): the interval for the probability is
        ``F(q) +/- t * SE(F(q))``, the design-based mean of ``y <= q`` at the estimated
        quantile ``q``, mapped back through the weighted empirical CDF; ``se`` is the
        interval's width divided by ``2 t`` (as R reports), t on each domain's df (column
        ``df``, R's ``svyby``).  A probability limit outside [0, 1] gives NaN for that limit
        and the SE, as R, explained in the ``note`` column.
        """
        y, valid = self._variable(variable, na_rm)
        dom, labels = self._domains(by, valid, na_rm)
        dfs = self._domain_df(dom, len(labels))
        w = self._wd()
        rows = []
        for k in range(len(labels)):
            sel = dom == k
            t = float(self._tcrit(dfs[k]))
            for p in np.atleast_1d(probs):
                q = _qrule_math(y[sel], w[sel], p)
                f = self._mean_arrays((y <= q).astype(float), np.where(sel, 0, -1),
                                      pd.DataFrame(index=[0]), variable, False, False)
                f_lo, f_hi, note = woodruff_limits(float(f["estimate"].iloc[0]),
                                                   float(f["se"].iloc[0]), t)
                lo, hi = (_qrule_math(y[sel], w[sel], v) if np.isfinite(v) else np.nan
                          for v in (f_lo, f_hi))
                se = (hi - lo) / (2 * t)
                rows.append({**labels.iloc[k].to_dict(), "variable": variable, "quantile": p,
                             "estimate": q, "se": se, "ci_low": lo, "ci_high": hi,
                             "cv": se / abs(q) if q else np.nan, "n": int(sel.sum()),
                             "df": dfs[k], "note": note})
        return pd.DataFrame(rows)

    # ----------------------------------------------------------------- tests
    def chisq(self, row: str, col: str, statistic: str = "F") -> pd.Series:
        """Test of independence in a two-way table (R ``svychisq``).

        ``statistic``: "F" (Rao-Scott second-order, default), "Chisq" (first-order
        correction of the Pearson X2), "Wald" or "adjWald" (design-based Wald tests), as R.
        Returns ``statistic``, ``ndf``, ``ddf`` (NaN for "Chisq", which has ``ndf`` only),
        ``p_value`` and ``chisq``, the Pearson X2 on R's scale (table scaled to the number
        of rows analysed).
        """
        from ._tests import chisq

        return chisq(self, row, col, statistic)

    # ----------------------------------------------------------------- questionnaires
    def likert(self, items, labels=None, by=None, na_rm: bool = True) -> pd.DataFrame:
        """Share of each answer of Likert items; every scale point shown, even when empty.

        ``labels`` maps codes to text (e.g. ``demo.LIKERT_LABELS["en"]``); its codes define
        the scale.  Nonresponse to an item is a domain (``na_rm=True``), never a row drop.
        """
        frames = []
        for item in as_list(items):
            y, valid = self._variable(item, na_rm)
            codes = sorted(labels) if labels else sorted(np.unique(y[valid]))
            dom, lab = self._domains(by, valid, na_rm)
            for code in codes:
                t = self._mean_arrays((y == code).astype(float), dom, lab, item, False, False)
                t.insert(len(lab.columns) + 1, "level", code)
                t.insert(len(lab.columns) + 2, "label", (labels or {}).get(code, str(code)))
                frames.append(t)
        out = pd.concat(frames, ignore_index=True)
        return out.sort_values([*as_list(by), "variable", "level"], kind="stable",
                               ignore_index=True)

    def multi_response(self, items, by=None, na_rm: bool = False) -> pd.DataFrame:
        """Multi-response question (0/1 columns): % of respondents and % of mentions.

        The base is the children who answered the question (any item present); a row with
        only some items missing is an error unless ``na_rm=True`` (missing = not chosen).
        """
        items = as_list(items)
        check_columns(self.data, items, "analysis")
        mat = np.column_stack([numeric(self.data, c) for c in items])
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


def _qrule_math(y: np.ndarray, w: np.ndarray, p: float) -> float:
    """R's ``qrule_math`` (``qs``): the last y whose cumulative weight is <= p, or the next.

    As R 4.1.1, including its edge: a ``p`` below the first cumulative weight gives the
    second smallest value (R's ``last()`` returns 1 when nothing qualifies).
    """
    keep = w > 0
    y, w = y[keep], w[keep]
    if len(y) == 0:
        return np.nan
    order = np.argsort(y, kind="stable")
    # R's cumsum() and sum() accumulate in long double: ties at p (e.g. the median of an
    # even number of equal weights) are then exact, as in R
    wl = w[order].astype(np.longdouble)
    ys, cumw = y[order], np.cumsum(wl).astype(float)
    total = float(wl.sum())
    le = np.flatnonzero(cumw <= p * total)
    pos = int(le[-1]) if len(le) else 0
    if p - cumw[pos] / total == 0:
        return float(ys[pos])
    return float(ys[min(pos + 1, len(ys) - 1)])
