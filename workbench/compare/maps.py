"""Choropleth maps, small multiples, and spatial autocorrelation: Moran's I, Geary's C, LISA.

Class breaks come from ``mapclassify`` and contiguity weights from ``libpysal``.  Moran's I
(with ``moran.mc``'s permutation test), Geary's C and local Moran's I are computed as spdep
computes them (:mod:`workbench.compare._spatial`; equal to spdep on the columbus data to
1e-12, ``tests/reference/spdep_columbus.R``), because esda has no randomisation variance
for Geary's z in the form spdep reports and no conditional local variance.  This module
adds checks the libraries do not make (text, missing, infinite or constant values and
islands are errors naming the regions), zh/en labels, a hatch for regions without data
and a LISA cluster map.

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
from matplotlib.figure import Figure

from ..foundation.errors import WorkbenchError, choices_text
from ..foundation.i18n import check_lang
from ..foundation.plots import place_labels
from . import _spatial as _sp

__all__ = ["SCHEMES", "MoranResult", "morans_i", "GearyResult", "gearys_c", "local_moran",
           "lisa_cluster_map", "choropleth_map", "small_multiples", "join_values"]

SCHEMES = ("quantiles", "equal_interval", "natural_breaks", "fisher_jenks", "std_mean",
           "box_plot", "head_tail_breaks")
WEIGHTS = ("queen", "rook")
_MISSING = {"zh": "无数据", "en": "no data"}
LISA_COLORS = {"high-high": "#d7191c", "low-low": "#2c7bb6", "low-high": "#abd9e9",
               "high-low": "#fdae61", "not_significant": "#eeeeee"}
_LISA_LABELS = {"high-high": ("高-高集聚", "high-high cluster"),
                "low-low": ("低-低集聚", "low-low cluster"),
                "low-high": ("低-高异常", "low-high outlier"),
                "high-low": ("高-低异常", "high-low outlier"),
                "not_significant": ("不显著", "not significant")}
# High-high and low-low have nearly the same lightness: the hatch tells them apart in grey.
LISA_HATCHES = {"high-high": "xx", "low-low": "..", "low-high": "\\\\",
                "high-low": "//", "not_significant": ""}
_HATCH_INK = "0.15"


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
    """Global Moran's I with its moments and test (see :func:`morans_i`).

    ``variance``, ``z`` and ``p_value`` are those of ``assumption`` and ``alternative``;
    the variances under both assumptions are kept, and ``p_permutation`` is the
    ``moran.mc`` pseudo p-value when permutations were asked for (else NaN).
    """

    I: float  # noqa: E741 - the statistic's conventional name
    expected: float
    z: float
    p_value: float
    n: int
    weights: str
    variance: float = float("nan")
    variance_normality: float = float("nan")
    variance_randomisation: float = float("nan")
    assumption: str = "normality"
    alternative: str = "two-sided"
    p_permutation: float = float("nan")
    permutations: int = 0

    def __repr__(self) -> str:
        return (f"Moran's I = {self.I:.4f} (E[I] = {self.expected:.4f}, z = {self.z:.3f}, "
                f"p = {self.p_value:.4f}; n = {self.n}, {self.weights} weights)")

    def _repr_html_(self) -> str:
        return f"<p>{self.__repr__()}</p>"


@dataclass(frozen=True)
class GearyResult:
    """Geary's C (E[C] = 1; C < 1 is positive autocorrelation), see :func:`gearys_c`."""

    C: float
    expected: float
    variance: float
    z: float
    p_value: float
    n: int
    weights: str
    assumption: str
    alternative: str

    def __repr__(self) -> str:
        return (f"Geary's C = {self.C:.4f} (E[C] = 1, z = {self.z:.3f}, p = {self.p_value:.4f};"
                f" n = {self.n}, {self.weights} weights, {self.assumption})")

    def _repr_html_(self) -> str:
        return f"<p>{self.__repr__()}</p>"


def _region_keys(gdf: gpd.GeoDataFrame) -> pd.Series:
    return (gdf["code"] if "code" in gdf else gdf.index.to_series()).astype(str)


def _values(gdf: gpd.GeoDataFrame, column: str, what: str) -> np.ndarray:
    """The column as floats, refusing text, missing, infinite and constant values by region."""
    if column not in gdf.columns:
        raise WorkbenchError(f"Column {column!r} not found; columns: {choices_text(gdf.columns)}",
                             f"找不到列 {column!r}；现有列：{choices_text(gdf.columns)}")
    if len(gdf) < 4:
        raise WorkbenchError(f"{what} needs at least 4 regions (its variance divides by "
                             f"n - 3), got {len(gdf)}",
                             f"{what} 至少需要 4 个地区（方差公式除以 n - 3），实际 {len(gdf)} 个")
    key = _region_keys(gdf).to_numpy()
    raw = gdf[column]
    y = pd.to_numeric(raw, errors="coerce")
    checks = [(y.isna() & raw.notna(), "values that are not numbers", "非数值"),
              (raw.isna(), "missing values", "缺失值"),
              (~np.isfinite(y.fillna(0)), "infinite values", "无穷值")]
    for bad, en, zh in checks:
        if bad.any():
            shown = [f"{k}={v!r}" for k, v in zip(key[bad.to_numpy()][:20],
                                                   raw[bad].to_list()[:20], strict=True)]
            raise WorkbenchError(
                f"Column {column!r} has {en} in regions {', '.join(shown)}; {what} needs a "
                "number in every region", f"列 {column!r} 在以下地区为{zh}：{'、'.join(shown)}；"
                f"{what} 需要每个地区都有数值")
    if y.nunique() < 2:
        raise WorkbenchError(f"Column {column!r} is constant ({y.iloc[0]:g} in every region): "
                             f"{what} is undefined without variation",
                             f"列 {column!r} 在所有地区都相同（{y.iloc[0]:g}），"
                             f"无变异时 {what} 无定义")
    return y.to_numpy(float)


def _weights_matrix(gdf: gpd.GeoDataFrame, weights: object, transform: str,
                    n: int) -> tuple[np.ndarray, str]:
    from libpysal import weights as lw

    if isinstance(weights, str):
        if weights not in WEIGHTS:
            raise WorkbenchError(f"Unknown weights {weights!r}; choose from "
                                 f"{choices_text(WEIGHTS)} or pass a libpysal W",
                                 f"未知的空间权重 {weights!r}；可选：{choices_text(WEIGHTS)}")
        cls = lw.Queen if weights == "queen" else lw.Rook
        w = cls.from_dataframe(gdf, use_index=False, silence_warnings=True)
        label = weights
    else:
        w, label = weights, "user"
    if w.n != n:
        raise WorkbenchError(f"Weights cover {w.n} regions but the data have {n}",
                             f"空间权重包含 {w.n} 个地区，数据有 {n} 个")
    if w.islands:
        names = list(_region_keys(gdf).iloc[w.islands])
        raise WorkbenchError(f"Regions without neighbours (islands): {names}; use other weights",
                             f"存在没有邻接的地区：{names}；请换用其他空间权重")
    w.transform = transform
    return w.full()[0], label


def _check_test(assumption: str, alternative: str) -> None:
    for name, value, valid in (("assumption", assumption, _sp.ASSUMPTIONS),
                               ("alternative", alternative, _sp.ALTERNATIVES)):
        if value not in valid:
            raise WorkbenchError(f"Unknown {name} {value!r}; valid: {choices_text(valid)}",
                                 f"未知的 {name}：{value!r}；可选：{choices_text(valid)}")


def morans_i(gdf: gpd.GeoDataFrame, column: str, weights: object = "queen",
             transform: str = "r", assumption: str = "normality",
             alternative: str = "two-sided", permutations: int = 0,
             seed: int = 20240601) -> MoranResult:
    """Moran's I of ``column`` with contiguity weights (``"queen"``, ``"rook"``) or a libpysal W.

    The moments are spdep's (``moran.test``): ``E[I] = -1/(n-1)`` and the variance under
    ``assumption`` ``"normality"`` or ``"randomisation"``; ``z`` and ``p_value`` follow
    ``alternative``.  spdep's defaults are ``assumption="randomisation"`` and
    ``alternative="greater"``; the workbench default (normality, two-sided) is esda's
    ``z_norm``/``p_norm``.  ``permutations > 0`` adds ``moran.mc``'s pseudo p-value
    (seeded).  Text, missing, infinite or constant values, fewer than four regions and
    islands (regions without a neighbour) raise an error naming the regions.
    """
    _check_test(assumption, alternative)
    y = _values(gdf, column, "Moran's I")
    w, label = _weights_matrix(gdf, weights, transform, len(y))
    r = _sp.moran(y, w, alternative)
    p_mc = _sp.moran_permutation(y, w, permutations, seed, alternative) if permutations \
        else float("nan")
    return MoranResult(r["I"], r["expected"], r[f"z_{assumption}"], r[f"p_{assumption}"],
                       len(y), label, r[f"variance_{assumption}"], r["variance_normality"],
                       r["variance_randomisation"], assumption, alternative, p_mc,
                       int(permutations))


def gearys_c(gdf: gpd.GeoDataFrame, column: str, weights: object = "queen",
             transform: str = "r", assumption: str = "randomisation",
             alternative: str = "greater") -> GearyResult:
    """Geary's C as ``spdep::geary.test`` (defaults randomisation, one-sided "greater").

    ``z = (1 - C) / sd`` so that a positive z means positive autocorrelation.
    """
    _check_test(assumption, alternative)
    y = _values(gdf, column, "Geary's C")
    w, label = _weights_matrix(gdf, weights, transform, len(y))
    r = _sp.geary(y, w, alternative)
    return GearyResult(r["C"], 1.0, r[f"variance_{assumption}"], r[f"z_{assumption}"],
                       r[f"p_{assumption}"], len(y), label, assumption, alternative)


def local_moran(gdf: gpd.GeoDataFrame, column: str, weights: object = "queen",
                transform: str = "r", alpha: float = 0.05,
                alternative: str = "two-sided") -> pd.DataFrame:
    """Local Moran's I (LISA) per region as ``spdep::localmoran`` (conditional moments).

    Returns one row per region: ``region, value, Ii, expected, variance, z, p_value,
    quadrant`` (high-high, low-low, low-high, high-low: the value and its spatial lag
    against their means) and ``cluster``: the quadrant where ``p_value < alpha``, else
    ``not_significant``.  The p-values are not adjusted for the number of regions; with
    13 districts read them as a screening, not a test of each district.
    """
    _check_test("randomisation", alternative)
    if not 0 < alpha < 1:
        raise WorkbenchError(f"alpha must be between 0 and 1, got {alpha}",
                             f"alpha 必须在 0 和 1 之间，实际为 {alpha}")
    y = _values(gdf, column, "local Moran's I")
    w, _ = _weights_matrix(gdf, weights, transform, len(y))
    r = _sp.local_moran(y, w, alternative)
    out = pd.DataFrame({"region": _region_keys(gdf).to_numpy(), "value": y, **r})
    out["cluster"] = np.where(out["p_value"] < alpha, out["quadrant"], "not_significant")
    return out


def lisa_cluster_map(gdf: gpd.GeoDataFrame, column: str, weights: object = "queen",
                     alpha: float = 0.05, lang: str = "zh", title: str = "",
                     label_regions: bool = True) -> Figure:
    """Map of :func:`local_moran` clusters: high-high, low-low, the two outliers, the rest grey.

    The legend counts regions per class and states ``alpha`` and that p-values are
    unadjusted.
    """
    check_lang(lang)
    lisa = local_moran(gdf, column, weights, alpha=alpha)
    frame = gdf.assign(_cluster=lisa["cluster"].to_numpy())
    fig, ax = plt.subplots(figsize=(7, 7.4))
    for kind, rows in frame.groupby("_cluster"):  # one layer per class (five at most)
        rows.plot(ax=ax, color=LISA_COLORS[kind], edgecolor="white", linewidth=0.6,
                  hatch=LISA_HATCHES[kind], hatchcolor=_HATCH_INK)
    if label_regions:
        _draw_labels(ax, frame, lang)
    ax.set_axis_off()
    from matplotlib.patches import Patch

    counts = frame["_cluster"].value_counts()
    zh = lang == "zh"
    handles = [Patch(facecolor=c, edgecolor="0.6", hatch=LISA_HATCHES[k], hatchcolor=_HATCH_INK,
                     label=f"{_LISA_LABELS[k][0 if zh else 1]} ({counts.get(k, 0)})")
               for k, c in LISA_COLORS.items()]
    fig.legend(handles=handles, loc="lower center", ncol=3, frameon=False, fontsize=8)
    note = (f"局部Moran's I，p < {alpha:g}（未校正多重检验）" if zh else
            f"local Moran's I, p < {alpha:g} (not adjusted for multiple testing)")
    ax.set_title(f"{title}\n{note}" if title else note, fontsize=10)
    return fig


def _draw_labels(ax, gdf: gpd.GeoDataFrame, lang: str) -> None:
    name_col = "name_zh" if lang == "zh" else "name_en"
    if name_col not in gdf:
        return
    points = gdf.geometry.representative_point()
    place_labels(ax, points.x, points.y, gdf[name_col], fontsize=7)


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
        _draw_labels(ax, gdf, lang)
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
