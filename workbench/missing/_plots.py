"""Missingness figures: matrix (missingno-style), coverage heatmap, map, flagged series."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ..foundation.i18n import check_lang

TEXT = {
    "matrix": {"zh": "缺失矩阵（黑=观测，白=缺失）", "en": "Missingness matrix (dark = observed)"},
    "rows": {"zh": "行", "en": "rows"},
    "coverage": {"zh": "覆盖率", "en": "coverage"},
    "heatmap": {"zh": "数据覆盖率", "en": "Data coverage"},
    "map": {"zh": "各区数据覆盖率", "en": "Data coverage by district"},
    "observed": {"zh": "观测值", "en": "observed"},
    "imputed": {"zh": "插补值", "en": "imputed"},
    "year": {"zh": "年份", "en": "year"},
}


def matrix_plot(df: pd.DataFrame, lang: str = "zh", max_rows: int = 2000) -> Figure:
    """Observed (dark) / missing (white) cells, one row per record, as missingno.matrix.

    Above ``max_rows`` rows an evenly spaced subset is drawn (stated in the axis label).
    """
    check_lang(lang)
    step = max(1, int(np.ceil(len(df) / max_rows)))
    shown = df.iloc[::step]
    fig, ax = plt.subplots(figsize=(max(4, 0.5 * df.shape[1] + 2), 5))
    ax.imshow(shown.notna().to_numpy(), aspect="auto", cmap="Greys", vmin=0, vmax=1,
              interpolation="nearest")
    ax.set_xticks(range(df.shape[1]), [str(c) for c in df.columns], rotation=90)
    share = df.isna().mean()
    top = ax.secondary_xaxis("top")
    top.set_xticks(range(df.shape[1]), [f"{s:.0%}" for s in share])
    label = TEXT["rows"][lang] + (f" (1/{step})" if step > 1 else "")
    ax.set_ylabel(label)
    ax.set_title(TEXT["matrix"][lang], pad=24)
    fig.tight_layout()
    return fig


def heatmap(matrix: pd.DataFrame, lang: str = "zh", title: str | None = None) -> Figure:
    """Share observed per cell of a rows x columns coverage table (0 = no data)."""
    import seaborn as sns

    check_lang(lang)
    fig, ax = plt.subplots(figsize=(1 + 0.6 * matrix.shape[1], 1 + 0.22 * matrix.shape[0]))
    sns.heatmap(matrix, ax=ax, vmin=0, vmax=1, cmap="rocket", cbar_kws={
        "label": TEXT["coverage"][lang]}, linewidths=0.3)
    ax.set_title(title or TEXT["heatmap"][lang])
    ax.set_xlabel("")
    ax.set_ylabel("")
    fig.tight_layout()
    return fig


def series_plot(frame: pd.DataFrame, names: pd.Series, lang: str = "zh",
                title: str = "") -> Figure:
    """Lines per region; observed points filled, imputed points hollow with a dashed ring."""
    check_lang(lang)
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for region, part in frame.sort_values("year").groupby("region"):
        line, = ax.plot(part["year"], part["value"], lw=1, label=names.get(region, region))
        obs = part[~part["imputed"]]
        imp = part[part["imputed"]]
        ax.plot(obs["year"], obs["value"], "o", color=line.get_color(), ms=4)
        ax.plot(imp["year"], imp["value"], "o", mfc="white", mec=line.get_color(), ms=7,
                mew=1.5)
    ax.plot([], [], "o", color="0.3", label=TEXT["observed"][lang])
    ax.plot([], [], "o", mfc="white", mec="0.3", label=TEXT["imputed"][lang])
    ax.set_xlabel(TEXT["year"][lang])
    ax.set_title(title)
    ax.legend(fontsize=7, ncol=2, bbox_to_anchor=(1.01, 1), loc="upper left")
    fig.tight_layout()
    return fig
