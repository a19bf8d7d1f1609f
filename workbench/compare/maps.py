"""Choropleth maps with classification schemes, small multiples and Moran's I.

Class breaks come from ``mapclassify``, spatial weights from ``libpysal`` and Moran's I
from ``esda``; this module adds checks that those libraries do not make (esda returns
``nan`` for missing values; here that is an error naming the regions), zh/en labels and a
hatch for regions without data.

Examples
--------
>>> from workbench.geo import load_boundaries
>>> from workbench.maps import morans_i
>>> gdf = load_boundaries()
>>> gdf["rank"] = gdf["code"].rank()
>>> r = morans_i(gdf, "rank")
>>> r.n, r.weights
(13, 'queen')
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import geopandas as gpd
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib import patheffects
from matplotlib.figure import Figure

from ..foundation.errors import WorkbenchError, choices_text
from ..foundation.i18n import check_lang

__all__ = ["SCHEMES", "MoranResult", "morans_i", "choropleth_map", "small_multiples",
           "join_values"]

SCHEMES = ("quantiles", "equal_interval", "natural_breaks", "fisher_jenks", "std_mean",
           "box_plot", "head_tail_breaks")
WEIGHTS = ("queen", "rook")
_MISSING = {"zh": "无数据", "en": "no data"}


def join_values(gdf: gpd.GeoDataFrame, values: pd.Series, name: str = "value",
                regions_names: pd.Series | None = None) -> gpd.GeoDataFrame:
    """Attach values (indexed by region code) to boundaries; refuse codes without a shape.

    Codes absent from the boundary file are listed by name (from ``regions_names`` or
    the region table) so the user sees which districts the map would silently lose.
    """
    if gdf.crs is None:
        raise WorkbenchError("The boundary GeoDataFrame has no CRS; set one with "
                             "gdf.set_crs('EPSG:4326')", "边界数据没有坐标参考系（CRS）")
    extra = sorted(set(values.index.astype(str)) - set(gdf["code"].astype(str)))
    if extra:
        if regions_names is None:
            from ..foundation.regions import load_regions

            regions_names = load_regions().names("zh")
        listed = [f"{c} {regions_names.get(c, '?')}" for c in extra]
        raise WorkbenchError(
            f"Regions not in the boundary file: {choices_text(listed)}; use a boundary file "
            "that contains them or drop them",
            f"边界文件中没有以下地区：{choices_text(listed)}")
    out = gdf.copy()
    out[name] = out["code"].astype(str).map(values.set_axis(values.index.astype(str)))
    return out


@dataclass(frozen=True)
class MoranResult:
    """Global Moran's I with its expectation under randomness and the normal z and p."""

    I: float  # noqa: E741 - the statistic's conventional name
    expected: float
    z: float
    p_value: float
    n: int
    weights: str

    def __repr__(self) -> str:
        return (f"Moran's I = {self.I:.4f} (E[I] = {self.expected:.4f}, z = {self.z:.3f}, "
                f"p = {self.p_value:.4f}; n = {self.n}, {self.weights} weights)")

    def _repr_html_(self) -> str:
        return f"<p>{self.__repr__()}</p>"


def morans_i(gdf: gpd.GeoDataFrame, column: str, weights: object = "queen",
             transform: str = "r") -> MoranResult:
    """Moran's I of ``column`` with contiguity weights (``"queen"``, ``"rook"``) or a libpysal W.

    ``z`` and ``p_value`` are the two-sided normal approximation (esda's ``z_norm`` and
    ``p_norm``).  Missing values and fewer than three regions raise an error; an island
    (a region with no neighbour) is reported too, since its lag is undefined.
    """
    import warnings

    with warnings.catch_warnings():
        # esda imports tqdm.auto, which warns on stderr in a notebook without ipywidgets
        warnings.filterwarnings("ignore", message="IProgress not found")
        from esda.moran import Moran
    from libpysal import weights as lw

    if column not in gdf.columns:
        raise WorkbenchError(f"Column {column!r} not found; columns: {choices_text(gdf.columns)}",
                             f"找不到列 {column!r}")
    if len(gdf) < 3:
        raise WorkbenchError(f"Moran's I needs at least 3 regions, got {len(gdf)}",
                             f"Moran's I 至少需要 3 个地区，实际 {len(gdf)} 个")
    y = pd.to_numeric(gdf[column], errors="coerce")
    if y.isna().any():
        key = gdf["code"] if "code" in gdf else gdf.index.to_series()
        raise WorkbenchError(
            f"Column {column!r} has missing values for {list(key[y.isna()])[:20]}; Moran's I "
            "needs a value in every region (esda would silently return nan)",
            f"列 {column!r} 在以下地区缺失：{list(key[y.isna()])[:20]}；Moran's I 需要完整数据")
    if isinstance(weights, str):
        if weights not in WEIGHTS:
            raise WorkbenchError(f"Unknown weights {weights!r}; choose from "
                                 f"{choices_text(WEIGHTS)} or pass a libpysal W",
                                 f"未知的空间权重 {weights!r}")
        cls = lw.Queen if weights == "queen" else lw.Rook
        w = cls.from_dataframe(gdf, use_index=False, silence_warnings=True)
        label = weights
    else:
        w, label = weights, "user"
    if w.n != len(y):
        raise WorkbenchError(f"Weights cover {w.n} regions but the data have {len(y)}",
                             f"空间权重包含 {w.n} 个地区，数据有 {len(y)} 个")
    if w.islands:
        raise WorkbenchError(f"Regions without neighbours (islands) at positions {w.islands}; "
                             "use other weights", f"存在没有邻接的地区：{w.islands}")
    w.transform = transform
    m = Moran(y.to_numpy(float), w, permutations=0)
    return MoranResult(float(m.I), float(m.EI), float(m.z_norm), float(m.p_norm), len(y), label)


def _classify(values: pd.Series, scheme: str, k: int):
    import mapclassify

    if scheme not in SCHEMES:
        raise WorkbenchError(f"Unknown scheme {scheme!r}; choose from {choices_text(SCHEMES)}",
                             f"未知的分级方法 {scheme!r}；可选：{choices_text(SCHEMES)}")
    cls = mapclassify.classify(values.to_numpy(float), scheme, k=k) if scheme not in (
        "box_plot", "std_mean", "head_tail_breaks") else mapclassify.classify(
        values.to_numpy(float), scheme)
    return cls


def _draw(ax, gdf: gpd.GeoDataFrame, column: str, bins: np.ndarray, cmap: str, lang: str,
          label_regions: bool) -> None:
    missing = gdf[column].isna()
    if (~missing).any():
        gdf[~missing].plot(column=column, ax=ax, cmap=cmap, scheme="user_defined",
                           classification_kwds={"bins": bins}, edgecolor="white", linewidth=0.6)
    if missing.any():
        gdf[missing].plot(ax=ax, facecolor="white", edgecolor="0.4", hatch="///", linewidth=0.6)
    if label_regions:
        name_col = "name_zh" if lang == "zh" else "name_en"
        points = gdf.geometry.representative_point()
        for x, y, name in zip(points.x, points.y, gdf[name_col], strict=True):  # ~13 labels
            ax.annotate(name, (x, y), ha="center", fontsize=7,
                        path_effects=[patheffects.withStroke(linewidth=2, foreground="white")])
    ax.set_axis_off()


def _legend(fig: Figure, bins: np.ndarray, lower: float, cmap: str, lang: str,
            has_missing: bool, fmt: str) -> None:
    from matplotlib.patches import Patch

    colors = plt.get_cmap(cmap)(np.linspace(0, 1, len(bins)))
    edges = [lower, *bins]
    handles = [Patch(facecolor=colors[i], label=f"{edges[i]:{fmt}} - {edges[i + 1]:{fmt}}")
               for i in range(len(bins))]
    if has_missing:
        handles.append(Patch(facecolor="white", edgecolor="0.4", hatch="///",
                             label=_MISSING[lang]))
    fig.legend(handles=handles, loc="lower center", ncol=min(len(handles), 4), frameon=False,
               fontsize=8)


def choropleth_map(gdf: gpd.GeoDataFrame, column: str, title: str = "", scheme: str = "quantiles",
                   k: int = 5, lang: str = "zh", cmap: str = "YlGnBu",
                   label_regions: bool = True, fmt: str = ".3g") -> Figure:
    """A classed choropleth (mapclassify ``scheme``) with names in ``lang`` and a no-data hatch."""
    check_lang(lang)
    values = gdf[column].dropna()
    if values.empty:
        raise WorkbenchError(f"Column {column!r} has no values to map",
                             f"列 {column!r} 没有可绘制的数值")
    cls = _classify(values, scheme, min(k, values.nunique()))
    fig, ax = plt.subplots(figsize=(7, 7.4))
    _draw(ax, gdf, column, cls.bins, cmap, lang, label_regions)
    ax.set_title(title)
    _legend(fig, cls.bins, float(values.min()), cmap, lang, gdf[column].isna().any(), fmt)
    return fig


def small_multiples(gdf: gpd.GeoDataFrame, values: pd.DataFrame, title: str = "",
                    scheme: str = "quantiles", k: int = 5, lang: str = "zh",
                    cmap: str = "YlGnBu", ncols: int = 3, fmt: str = ".3g",
                    years: Sequence[int] | None = None) -> Figure:
    """One map per year on common class breaks (from all years), so colours compare.

    ``values``: tidy ``region``, ``year``, ``value``.
    """
    check_lang(lang)
    wide = values.pivot_table(index="region", columns="year", values="value", aggfunc="first")
    years = list(years) if years is not None else list(wide.columns)
    pooled = wide[years].stack().dropna()
    if pooled.empty:
        raise WorkbenchError("No values to map", "没有可绘制的数值")
    cls = _classify(pooled, scheme, min(k, pooled.nunique()))
    nrows = -(-len(years) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.2 * ncols, 3.4 * nrows + 0.6),
                             squeeze=False)
    any_missing = False
    for ax, year in zip(axes.flat, years, strict=False):  # one panel per year
        frame = join_values(gdf, wide[year], "value")
        any_missing |= bool(frame["value"].isna().any())
        _draw(ax, frame, "value", cls.bins, cmap, lang, label_regions=False)
        ax.set_title(str(year))
    for ax in axes.flat[len(years):]:
        ax.set_axis_off()
    fig.suptitle(title)
    _legend(fig, cls.bins, float(pooled.min()), cmap, lang, any_missing, fmt)
    return fig
