"""Inequality between regions: weighted Gini and Theil (T and L) with the between/within
decomposition, and a summary of dispersion measures."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..foundation.errors import WorkbenchError
from . import _core as core


# ----------------------------------------------------------------------- inequality
def gini(values: Sequence[float] | pd.Series, weights: Sequence[float] | None = None) -> float:
    """Gini coefficient, optionally weighted (e.g. by child population).

    ``sum_ij w_i w_j |x_i - x_j| / (2 W^2 mean)``; unweighted it equals PySAL's
    ``inequality.gini.Gini``.  All-equal values give exactly 0; all zeros, negative or
    missing values raise an error.

    Examples
    --------
    >>> gini([5, 5, 5])
    0.0
    >>> round(gini([1, 3], weights=[3, 1]), 4)
    0.25
    """
    x, w = core.check_values(values, weights)
    return core.gini(x, w)


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

