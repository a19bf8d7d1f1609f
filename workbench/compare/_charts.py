"""Figures for :mod:`workbench.compare` (matplotlib, the workbench theme, zh/en labels)."""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ..foundation.i18n import check_lang

if TYPE_CHECKING:
    from ._clusters import ClusterResult

_T = {"rank": ("排名（1 = 最好）", "rank (1 = best)"),
      "interval": ("排名区间", "rank interval"),
      "gap": ("差距", "gap"), "index": ("比值", "index"),
      "parity": ("均等（=1）", "parity (= 1)"), "cluster": ("类", "cluster")}


# one marker shape per cluster: the clusters stay apart when printed in grey
CLUSTER_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")


def _t(key: str, lang: str) -> str:
    return _T[key][0 if lang == "zh" else 1]


def rank_interval_chart(table: pd.DataFrame, names: pd.Series | None = None,
                        focus_region: str | None = None, title: str = "",
                        lang: str = "zh") -> Figure:
    """Observed rank as a dot and the simulated rank interval as a bar, one row per region.

    ``table`` has ``region`` (or the index), ``rank``, ``rank_low`` and ``rank_high``.
    """
    check_lang(lang)
    t = table.reset_index() if "region" not in table else table
    t = t.dropna(subset=["rank"]).sort_values("rank", ascending=False)
    labels = t["region"].map(names) if names is not None else t["region"]
    fig, ax = plt.subplots(figsize=(7, 0.35 * len(t) + 1.2))
    focus = (t["region"] == focus_region).to_numpy()
    colors = np.where(focus, "C3", "C0")
    y = np.arange(len(t))
    ax.hlines(y, t["rank_low"].astype(float), t["rank_high"].astype(float), colors=colors,
              lw=4, alpha=0.45, label=_t("interval", lang))
    # the focus region differs by marker shape and size too, so it stands out in grey print
    rank = t["rank"].to_numpy(float)
    ax.scatter(rank[~focus], y[~focus], color="C0", marker="o", zorder=3)
    ax.scatter(rank[focus], y[focus], color="C3", marker="D", s=70, edgecolors="black",
               zorder=4)
    ax.set_yticks(list(y), labels.fillna(t["region"]).tolist())
    ax.set_xlabel(_t("rank", lang))
    ax.invert_xaxis()
    ax.set_title(title)
    return fig


def gap_chart(gaps: pd.DataFrame, names: pd.Series | None = None, title: str = "",
              lang: str = "zh", measure: str = "index") -> Figure:
    """Parity index (or gap) per region with its CI, a reference line at parity."""
    check_lang(lang)
    t = gaps.sort_values(measure)
    labels = t["region"].map(names).fillna(t["region"]) if names is not None else t["region"]
    fig, ax = plt.subplots(figsize=(7, 0.35 * len(t) + 1.2))
    y = range(len(t))
    ax.hlines(y, t[f"{measure}_low"], t[f"{measure}_high"], color="C0", lw=3, alpha=0.45)
    ax.scatter(t[measure], y, color="C0", zorder=3)
    ax.axvline(1.0 if measure == "index" else 0.0, color="C3", ls="--", lw=1,
               label=_t("parity", lang))
    ax.set_yticks(list(y), labels.tolist())
    ax.set_xlabel(_t(measure, lang))
    ax.set_title(title)
    ax.legend(loc="best")
    return fig


def cluster_chart(result: ClusterResult, names: pd.Series | None = None, title: str = "",
                  lang: str = "zh") -> Figure:
    """Regions on the first two principal components, coloured by cluster."""
    check_lang(lang)
    s = result.scores
    fig, ax = plt.subplots(figsize=(7, 5.5))
    groups = result.labels.groupby(result.labels).groups.items()
    for (c, idx), marker in zip(groups, itertools.cycle(CLUSTER_MARKERS), strict=False):
        ax.scatter(s.loc[idx, "PC1"], s.loc[idx, s.columns[-1]], label=f"{_t('cluster', lang)} {c}",
                   s=50, marker=marker)
    for code, row in s.iterrows():  # one label per region (a dozen), not data rows
        label = names.get(code, code) if names is not None else code
        ax.annotate(label, (row["PC1"], row[s.columns[-1]]), fontsize=8,
                    textcoords="offset points", xytext=(4, 3))
    ev = result.explained
    ax.set_xlabel(f"PC1 ({ev[0]:.0%})")
    ax.set_ylabel(f"{s.columns[-1]} ({ev[-1]:.0%})")
    ax.set_title(title)
    ax.legend(loc="best")
    return fig
