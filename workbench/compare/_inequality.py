"""Inequality between regions: weighted Gini (and its small-sample form), Atkinson, Theil
(T and L) with the between/within decomposition, the Lorenz curve and a summary."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..foundation.errors import WorkbenchError
from . import _core as core


# ----------------------------------------------------------------------- inequality
def gini(values: Sequence[float] | pd.Series, weights: Sequence[float] | None = None,
         small_sample: bool = False) -> float:
    """Gini coefficient, optionally weighted (e.g. by child population).

    ``sum_ij w_i w_j |x_i - x_j| / (2 W^2 mean)``; unweighted it equals PySAL's
    ``inequality.gini.Gini``.  ``small_sample=True`` multiplies by ``n / (n - 1)`` (the
    unbiased form, ``ineq::Gini(corr = TRUE)``), with ``n`` the number of units, so that
    one unit holding everything gives 1; for 13 districts the plain Gini can never
    exceed 12/13.  All-equal values give exactly 0; None, text, 2-D input, all zeros,
    negative, infinite or missing values raise an error naming the entries.

    Examples
    --------
    >>> gini([5, 5, 5])
    0.0
    >>> round(gini([1, 3], weights=[3, 1]), 4)
    0.25
    """
    x, w = core.check_values(values, weights)
    g = core.gini(x, w)
    return g * len(x) / (len(x) - 1) if small_sample else g


def atkinson(values: Sequence[float] | pd.Series, epsilon: float = 0.5,
             weights: Sequence[float] | None = None) -> float:
    """Atkinson index ``1 - EDE / mean`` with inequality aversion ``epsilon``.

    ``EDE = (sum s_i x_i^(1 - e))^(1 / (1 - e))`` (``s_i`` weight shares), the geometric
    mean at ``e = 1``.  ``e >= 1`` needs strictly positive values.  Unweighted it equals
    PySAL's ``inequality.atkinson.atkinson`` (and ``ineq::Atkinson``).

    Examples
    --------
    >>> round(atkinson([10, 20, 30, 40, 50], 0.5), 5), round(atkinson([10, 20, 30, 40, 50], 1), 5)
    (0.06315, 0.13161)
    """
    try:
        e = float(epsilon)
    except (TypeError, ValueError):
        e = np.nan
    if not np.isfinite(e) or e < 0:
        raise WorkbenchError(f"epsilon must be a number >= 0, got {epsilon!r}",
                             f"epsilon 必须是不小于 0 的数值，实际为 {epsilon!r}")
    x, w = core.check_values(values, weights, positive=e >= 1)
    s = w / w.sum()
    mu = float(np.dot(s, x))
    if e == 1:
        ede = float(np.exp(np.dot(s, np.log(x))))
    else:
        ede = float(np.dot(s, x ** (1 - e)) ** (1 / (1 - e)))
    return 1 - ede / mu


def lorenz_curve(values: Sequence[float] | pd.Series,
                 weights: Sequence[float] | None = None) -> pd.DataFrame:
    """Points of the (weighted) Lorenz curve, from (0, 0) to (1, 1).

    ``population`` is the cumulative weight share of units sorted by value and ``share``
    the cumulative share of the total ``sum w x`` (``ineq::Lc``'s ``p`` and ``L``).  The
    Gini is ``1 - sum (p_k - p_{k-1}) (L_k + L_{k-1})``, twice the area between the curve
    and the diagonal.

    Examples
    --------
    >>> lorenz_curve([1, 3]).round(3).to_dict("list")
    {'population': [0.0, 0.5, 1.0], 'share': [0.0, 0.25, 1.0]}
    """
    x, w = core.check_values(values, weights)
    order = np.argsort(x, kind="stable")
    x, w = x[order], w[order]
    p = np.concatenate([[0.0], np.cumsum(w) / w.sum()])
    share = np.concatenate([[0.0], np.cumsum(w * x) / np.dot(w, x)])
    return pd.DataFrame({"population": p, "share": share})


@dataclass
class TheilResult:
    """A Theil index and, with groups, its between/within decomposition (they add up)."""

    kind: str
    value: float
    between: float = float("nan")
    within: float = float("nan")
    groups: pd.DataFrame | None = field(default=None, repr=False)

    def __repr__(self) -> str:
        name = "Theil T" if self.kind == "T" else "Theil L (mean log deviation)"
        dec = "" if np.isnan(self.between) else (
            f", between={self.between:.4g} ({self.between / self.value:.0%}),"
            f" within={self.within:.4g}" if self.value else "")
        return f"{name} = {self.value:.4g}{dec}"

    def _repr_html_(self) -> str:
        extra = "" if self.groups is None else self.groups.to_html(float_format="{:.4g}".format)
        return f"<p>{self.__repr__()}</p>{extra}"


def theil(values: Sequence[float] | pd.Series, weights: Sequence[float] | None = None,
          kind: str = "T", groups: Sequence[object] | None = None) -> TheilResult:
    """Theil index (``kind="T"`` Theil T, ``"L"`` Theil L = mean log deviation).

    With ``groups`` the index splits exactly into between-group and within-group parts:
    T: ``between = sum_g S_g (mu_g/mu) ln(mu_g/mu)``, ``within = sum_g S_g (mu_g/mu) T_g``;
    L: ``between = sum_g S_g ln(mu/mu_g)``, ``within = sum_g S_g L_g`` (``S_g`` weight share
    of group g).  Unweighted T equals PySAL ``inequality.theil.TheilD``.  Theil L needs
    strictly positive values.

    Examples
    --------
    >>> round(theil([1, 2, 3, 4], kind="L").value, 4)
    0.1218
    """
    if kind not in ("T", "L"):
        raise WorkbenchError(f"kind must be 'T' or 'L', got {kind!r}",
                             f"kind 只能是 'T' 或 'L'，实际为 {kind!r}")
    x, w = core.check_values(values, weights, positive=kind == "L")
    total = float(core.theil_parts(x, w, kind).sum())
    if groups is None:
        return TheilResult(kind, total)
    g = pd.Series(np.asarray(groups, dtype=object))
    if len(g) != len(x) or g.isna().any():
        raise WorkbenchError(f"groups must have one non-missing label per value ({len(x)})",
                             f"groups 必须为每个数值提供一个非缺失标签（{len(x)} 个）")
    frame = pd.DataFrame({"g": g, "w": w, "wx": w * x})
    agg = frame.groupby("g", sort=True).agg(weight=("w", "sum"), wx=("wx", "sum"))
    agg["mean"] = agg["wx"] / agg["weight"]
    share = agg["weight"] / w.sum()
    mu = np.dot(w, x) / w.sum()
    ratio = agg["mean"] / mu
    # each group's own index, with its own mean and weight shares
    frame["s"] = w / frame["g"].map(agg["weight"]).to_numpy()
    frame["r"] = x / frame["g"].map(agg["mean"]).to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        term = (np.where(frame["r"] > 0, frame["r"] * np.log(frame["r"]), 0.0) if kind == "T"
                else -np.log(frame["r"]))
    within_g = (frame["s"] * term).groupby(frame["g"]).sum()
    if kind == "T":
        between = float((share * ratio * np.log(ratio)).sum())
        within = float((share * ratio * within_g).sum())
    else:
        between = float((share * -np.log(ratio)).sum())
        within = float((share * within_g).sum())
    table = pd.DataFrame({"weight_share": share, "mean": agg["mean"], "theil": within_g})
    return TheilResult(kind, total, between, within, table.rename_axis("group").reset_index())


def inequality_summary(values: pd.Series, weights: pd.Series | None = None) -> pd.Series:
    """Weighted CV, max/min ratio, Gini, Theil T and Theil L of regional values.

    Examples
    --------
    >>> import pandas as pd
    >>> inequality_summary(pd.Series([2.0, 4.0])).round(4).to_dict()["max_min_ratio"]
    2.0
    """
    x, w = core.check_values(values, weights)
    mean = np.average(x, weights=w)
    cv = np.sqrt(np.average((x - mean) ** 2, weights=w)) / mean
    ratio = x.max() / x.min() if x.min() > 0 else np.inf
    theil_l = theil(x, w, "L").value if (x > 0).all() else np.nan
    return pd.Series({"n": len(x), "mean": mean, "cv": cv, "max_min_ratio": ratio,
                      "gini": core.gini(x, w), "theil_t": theil(x, w, "T").value,
                      "theil_l": theil_l})

