"""Charts of :mod:`workbench.monitor`: traffic-light heatmap and trend-to-target chart."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from ..foundation.catalogue import Indicator
from ..foundation.errors import WorkbenchError
from ..foundation.i18n import DIMENSIONS, check_lang
from ..foundation.plots import (
    STATUS_COLORS,
    STATUS_MARKS,
    fixed_layout,
    lightness,
    theme_colors,
)
from . import _core as core
from ._labels import STATUS_GROUPS, status_label
from ._progress import fit_trend

# A series with data but no defined growth rate (zero base, one year) is not "no data".
GROUP_COLORS = {**STATUS_COLORS, "not_assessable": "#e7e1ef"}


def status_heatmap(assessment: pd.DataFrame, names: pd.Series, lang: str = "zh",
                   title: str | None = None, indicators: list[str] | None = None) -> Figure:
    """Traffic-light grid: indicators (rows) x regions (columns), coloured by status group.

    ``assessment`` is the output of :func:`workbench.monitor.assess`; only total rows
    (no breakdown) are drawn.  ``names`` maps region codes to names (``Regions.names``).
    ``indicators`` lists the rows to draw, so indicators without any data show as "no data".
    """
    check_lang(lang)
    a = assessment[(assessment[list(DIMENSIONS)] == "total").all(axis=1)]
    if a.empty:
        raise WorkbenchError("nothing to draw: no total (undisaggregated) rows in assessment",
                             "没有可绘制的内容：评估结果中没有合计行")
    codes = {g: i for i, g in enumerate(STATUS_GROUPS)}
    grid = a.pivot_table(index="indicator", columns="region", values="group", aggfunc="first")
    if indicators is not None:
        grid = grid.reindex(indicators)
    grid = grid.fillna("no_data")
    z = grid.map(codes.get).to_numpy(float)
    fig, ax = plt.subplots(figsize=(1.0 + 0.55 * grid.shape[1], 1.2 + 0.28 * grid.shape[0]))
    cmap = ListedColormap([GROUP_COLORS[g] for g in STATUS_GROUPS])
    ax.imshow(z, cmap=cmap, vmin=-0.5, vmax=len(STATUS_GROUPS) - 0.5, aspect="auto")
    ax.set_xticks(range(grid.shape[1]),
                  [names.get(c, c) for c in grid.columns], rotation=60, ha="right", fontsize=8)
    ax.set_yticks(range(grid.shape[0]), grid.index, fontsize=8)
    ax.set_xticks(np.arange(-0.5, grid.shape[1]), minor=True)
    ax.set_yticks(np.arange(-0.5, grid.shape[0]), minor=True)
    ax.grid(which="minor", color="white", lw=1)
    ax.grid(which="major", visible=False)
    ax.tick_params(which="minor", length=0)
    _draw_marks(ax, z)
    handles = [Patch(color=GROUP_COLORS[g], label=f"{STATUS_MARKS[g]}  {status_label(g, lang)}")
               for g in STATUS_GROUPS]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8,
              frameon=False)
    ax.set_title(title or ("目标进展状态" if lang == "zh" else "Progress towards targets"))
    fig.tight_layout()
    return fig


def _draw_marks(ax, z: np.ndarray) -> None:
    """Each status group's mark in its cells (one scatter per group, not a text per cell).

    The marks keep the groups apart in grey print; dark cells get a white mark.
    """
    for i, group in enumerate(STATUS_GROUPS):
        rows, cols = np.nonzero(z == i)
        if len(rows):
            ink = "white" if lightness(GROUP_COLORS[group]) < 60 else "black"
            ax.scatter(cols, rows, marker=f"${STATUS_MARKS[group]}$", s=40, c=ink)


def trend_to_target_chart(values: pd.Series, indicator: Indicator, lang: str = "zh",
                          region_name: str | None = None, level: float = 0.9,
                          method: str = "linear", year: int | None = None) -> Figure:
    """Observed values, the required path to the 2030 target and the projection band.

    The required path is the constant-growth path (Open SDG's required CAGR) from the first
    value to the target; the band is the prediction interval of :func:`fit_trend` (logit scale
    for percentages) up to 2030.  ``year`` is the report year: later values are left out,
    so the chart shows what the report's assessment saw.
    """
    check_lang(lang)
    zh = lang == "zh"
    s = values.dropna().sort_index()
    if year is not None:
        s = s[s.index <= year]
    fig, ax = plt.subplots()
    cycle = theme_colors() * 4  # "C0", "C1", "C3" resolved once
    c0, c1, c3 = cycle[0], cycle[1], cycle[3]
    ax.plot(s.index, s.to_numpy(), "o-", color=c0, label="观测值" if zh else "observed",
            zorder=3)
    percent = indicator.unit == "percent"
    if len(s) >= 3:
        inside = bool(((s > 0) & (s < 100)).all())
        trend = fit_trend(s, years=range(int(s.index[-1]) + 1, 2031), method=method,
                          level=level, scale="logit" if percent and inside else "ratio")
        ax.plot(trend["year"], trend["fit"], "--", color=c1,
                label="趋势外推" if zh else "projected trend")
        ax.fill_between(trend["year"], trend["lower"], trend["upper"], color=c1, alpha=0.2,
                        label=(f"{level:.0%} 预测区间" if zh else f"{level:.0%} prediction band"))
    for year, style in ((2025, ":"), (2030, "-.")):  # dash-dot: apart from the projection
        target = indicator.target(year)
        if target is None or target[0] == "==":
            continue
        mark = "*" if target[2] == "P" else ""
        ax.scatter([year], [target[1]], marker="D", color=c3, zorder=4)
        ax.annotate(f"{year} {target[0]} {target[1]:g}{mark}", (year, target[1]),
                    textcoords="offset points", xytext=(-70, 6), fontsize=9, color=c3)
        if year == 2030 and len(s) and s.iloc[0] != 0:
            t = np.arange(int(s.index[0]), 2031)
            g = core.cagr(target[1] if target[1] != 0 else 0.001, s.iloc[0], 2030, s.index[0])
            ax.plot(t, s.iloc[0] * (1 + g) ** (t - s.index[0]), style, color=c3, lw=1,
                    label="达标所需路径" if zh else "required path")
    name = indicator.name(lang)
    ax.set_title(f"{name} · {region_name}" if region_name else name)
    ax.set_xlabel("年份" if zh else "Year")
    ax.set_ylabel(indicator.unit_label(lang))
    ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True))
    ax.legend(loc="best", fontsize=8)
    return fixed_layout(fig)
