"""Figures of missingness: matrix, coverage heatmap and map, imputed series."""

from __future__ import annotations

import pandas as pd

from ..foundation.errors import WorkbenchError, choices_text
from . import _plots as _plots
from ._common import _check_columns
from ._coverage import Coverage


# -- figures --------------------------------------------------------------------------
def missing_matrix_plot(df: pd.DataFrame, lang: str = "zh", max_rows: int = 2000):
    """Missingness matrix of a table (missingno-style): dark observed, white missing."""
    return _plots.matrix_plot(df, lang, max_rows)


def coverage_heatmap(coverage: Coverage, rows: str = "indicator", cols: str = "year",
                     lang: str = "zh", title: str | None = None):
    """Heatmap of the share observed, e.g. indicator x year or indicator x region."""
    return _plots.heatmap(coverage.matrix(rows, cols), lang, title)


def coverage_choropleth(coverage: Coverage, boundaries, lang: str = "zh",
                        title: str | None = None):
    """Map of each district's share of expected cells observed (``plots.choropleth``)."""
    from ..foundation.plots import choropleth

    share = coverage.by_region.set_index("region")["coverage"]
    gdf = boundaries[boundaries["code"].isin(share.index)].copy()
    gdf["coverage"] = gdf["code"].map(share)
    return choropleth(gdf, "coverage", title or _plots.TEXT["map"][lang], lang, cmap="viridis")


def imputed_series_plot(frame: pd.DataFrame, indicator: str, names: pd.Series,
                        lang: str = "zh", title: str | None = None):
    """Series of one indicator by region, imputed points drawn hollow (a different mark)."""
    _check_columns(frame, ["indicator", "region", "year", "value", "imputed"])
    part = frame[frame["indicator"] == indicator]
    if part.empty:
        raise WorkbenchError(f"indicator {indicator!r} not in the frame; available: "
                             f"{choices_text(sorted(frame['indicator'].unique()))}",
                             f"数据中没有指标 {indicator}")
    return _plots.series_plot(part, names, lang, title or indicator)

