"""One figure theme for the whole workbench, with Chinese that renders.

:func:`set_theme` registers a CJK font shipped with the package's
dependencies (Noto Sans SC from ``pylopdf-fonts-zh-cn``, OFL) or found on the
system (Noto Sans CJK SC, WenQuanYi Micro Hei), then applies one seaborn
theme.  ``sns.set_theme()`` resets the font family unless it is passed in,
so the font list is always handed to it.  No font is ever downloaded.

Examples
--------
>>> from workbench import plots
>>> plots.set_theme()
'Noto Sans SC'
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib import font_manager, patheffects
from matplotlib.figure import Figure

from .i18n import check_lang

if TYPE_CHECKING:
    import geopandas as gpd

    from .catalogue import Indicator

__all__ = ["set_theme", "cjk_font", "close_all", "trend_chart", "choropleth", "PALETTE",
           "STATUS_COLORS", "STATUS_MARKS", "FONT_CANDIDATES", "lightness", "place_labels",
           "overlapping_labels", "theme_colors", "fixed_layout", "has_fixed_layout", "png_bytes"]

# Tried in order; the first one available is used for every figure.
FONT_CANDIDATES = ("Noto Sans SC", "Noto Sans CJK SC", "Source Han Sans SC",
                   "WenQuanYi Micro Hei", "WenQuanYi Zen Hei", "SimHei", "Microsoft YaHei")
PALETTE = "colorblind"
# Traffic-light colours used by progress and warning charts.
STATUS_COLORS = {"achieved": "#1a9850", "on_track": "#91cf60", "needs_acceleration": "#fee08b",
                 "off_track": "#fc8d59", "deteriorating": "#d73027", "no_data": "#bdbdbd"}
# A mark per status, so the groups stay apart when printed in grey (achieved and
# deteriorating have nearly the same lightness).  Every glyph is in the bundled CJK font.
STATUS_MARKS = {"achieved": "✓", "on_track": "↗", "needs_acceleration": "!",
                "off_track": "×", "deteriorating": "↓", "not_assessable": "?", "no_data": "○"}


def lightness(color: object) -> float:
    """CIE L* (0 black .. 100 white) of a matplotlib colour: its grey level when printed.

    Examples
    --------
    >>> round(lightness("white")), round(lightness("black")), round(lightness("#808080"))
    (100, 0, 54)
    """
    rgb = np.asarray(mpl.colors.to_rgb(color))
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    y = float(linear @ (0.2126, 0.7152, 0.0722))  # relative luminance (sRGB, D65)
    return 116 * y ** (1 / 3) - 16 if y > 216 / 24389 else y * 24389 / 27


def _packaged_font_files() -> list[Path]:
    try:
        import pylopdf_fonts_zh_cn
    except ImportError:
        return []
    return [pylopdf_fonts_zh_cn.sans_path()]


@lru_cache(maxsize=1)
def cjk_font() -> str:
    """Register and return the name of a font that renders Chinese.

    Raises
    ------
    RuntimeError
        When no CJK font is available; the message says how to install one.
    """
    for path in _packaged_font_files():
        if path.exists():
            font_manager.fontManager.addfont(str(path))
    available = {f.name for f in font_manager.fontManager.ttflist}
    for name in FONT_CANDIDATES:
        if name in available:
            return name
    raise RuntimeError(
        "No font with Chinese glyphs found. Install the package dependency "
        "`pylopdf-fonts-zh-cn` (pip) or Debian's fonts-noto-cjk. / 未找到中文字体。")


def set_theme(context: str = "notebook", style: str = "whitegrid") -> str:
    """Apply the workbench figure theme and return the CJK font in use."""
    font = cjk_font()
    sns.set_theme(context=context, style=style, palette=PALETTE,
                  font="sans-serif",
                  rc={"font.sans-serif": [font, "DejaVu Sans"],
                      # CJK fonts may lack U+2212; an ASCII minus avoids missing-glyph boxes.
                      "axes.unicode_minus": False,
                      "figure.dpi": 100, "savefig.dpi": 150, "savefig.bbox": "tight",
                      "figure.figsize": (8, 4.5),
                      # the bundled CJK font has one weight; asking for bold only warns
                      "axes.titleweight": "normal", "axes.titlesize": "large"})
    mpl.rcParams["svg.fonttype"] = "none"
    return font


def theme_colors() -> list[str]:
    """The colours of the current property cycle ("C0", "C1", ... as hex strings).

    Charts drawn by the dozen pass these instead of "Cn": matplotlib resolves a
    "Cn" colour afresh (reading the whole cycle) every time an artist is drawn,
    which cost 0.1 s in a report's trend charts.
    """
    return list(mpl.rcParams["axes.prop_cycle"].by_key().get("color", ["k"]))


# Set on a figure whose margins were laid out by fixed_layout (see png_bytes).
_FIXED = "_workbench_fixed_layout"


def fixed_layout(fig: Figure, left: float = 0.1, right: float = 0.97, bottom: float = 0.12,
                 top: float = 0.9) -> Figure:
    """Give a one-axes chart fixed margins, so saving it needs no "tight" bounding box.

    A tight bounding box costs a second full draw of the figure (the first one
    only measures); the trend charts of a report are drawn by the dozen, and
    their parts (title, tick labels, legend inside the axes) fit these margins.
    The title is placed at a fixed height for the same reason (matplotlib
    otherwise measures the tick labels to place it).
    """
    fig.subplots_adjust(left=left, right=right, bottom=bottom, top=top)
    for ax in fig.get_axes():
        if ax.get_title():
            ax.set_title(ax.get_title(), y=1.0)  # an explicit height is not re-measured
    setattr(fig, _FIXED, True)
    return fig


def has_fixed_layout(fig: Figure) -> bool:
    """True for a figure laid out by :func:`fixed_layout`."""
    return bool(getattr(fig, _FIXED, False))


def png_bytes(fig: Figure) -> bytes:
    """The figure as PNG at the theme's resolution, drawn once.

    Figures with :func:`fixed_layout` are saved whole, their pixels written by
    :func:`workbench.foundation._png.encode_png` (a quarter of Pillow's time:
    see there why); others are cropped to their tight bounding box (legends or
    labels outside the axes are kept) and saved by matplotlib with Pillow.
    """
    import io

    buffer = io.BytesIO()
    if has_fixed_layout(fig):
        from matplotlib.transforms import Bbox

        from ._png import encode_png

        dpi = mpl.rcParams["savefig.dpi"]
        dpi = fig.dpi if dpi == "figure" else float(dpi)
        width, height = (int(size * dpi) for size in fig.get_size_inches())  # as Agg sizes it
        fig.savefig(buffer, format="rgba", dpi=dpi,
                    bbox_inches=Bbox.from_bounds(0, 0, *fig.get_size_inches()))
        if buffer.tell() == width * height * 4:
            pixels = np.frombuffer(buffer.getbuffer(), np.uint8).reshape(height, width, 4)
            return encode_png(pixels, dpi, f"Matplotlib version{mpl.__version__}, "
                                           "https://matplotlib.org/")
        buffer = io.BytesIO()  # a size Agg rounded otherwise: let matplotlib write the PNG
    # zlib level 1: a quarter faster to write than the default 6, files ~15 % larger
    fig.savefig(buffer, format="png", pil_kwargs={"compress_level": 1})
    return buffer.getvalue()


def close_all() -> None:
    """Close every open figure (tests and batch runs call this)."""
    plt.close("all")


def trend_chart(obs: pd.DataFrame, indicator: Indicator, names: pd.Series,
                focus_region: str | None = None, lang: str = "zh") -> Figure:
    """Lines of an indicator over the years, one per region, the focus region in bold.

    Parameters
    ----------
    obs : DataFrame
        Tidy observations (``region``, ``year``, ``value``) of one indicator.
    indicator : Indicator
        The catalogue entry (name, unit and targets for the reference lines).
    names : Series
        Region names indexed by code (``Regions.names(lang)``).
    focus_region : str, optional
        Drawn thick and labelled; the others thin and grey.
    """
    check_lang(lang)
    fig, ax = plt.subplots()
    colors = theme_colors()
    for region, series in obs.sort_values("year").groupby("region"):
        focus = region == focus_region
        ax.plot(series["year"], series["value"], marker="o" if focus else None,
                lw=2.5 if focus else 0.8, color=colors[0] if focus else "0.7",
                label=names.get(region, region) if focus else None, zorder=3 if focus else 1)
    for year in (2025, 2030):
        target = indicator.target(year)
        if target is not None:
            mark = "*" if target[2] == "P" else ""
            ax.axhline(target[1], ls="--", lw=1, color=colors[3 % len(colors)])
            ax.annotate(f"{year} {target[0]} {target[1]:g}{mark}", (ax.get_xlim()[0], target[1]),
                        textcoords="offset points", xytext=(4, 3), fontsize=9,
                        color=colors[3 % len(colors)])
    ax.set_title(indicator.name(lang))
    ax.set_xlabel("年份" if lang == "zh" else "Year")
    ax.set_ylabel(indicator.unit_label(lang))
    ax.xaxis.set_major_locator(mpl.ticker.MaxNLocator(integer=True))
    if focus_region is not None:
        ax.legend(loc="best")
    return fixed_layout(fig)


def choropleth(gdf: gpd.GeoDataFrame, column: str, title: str, lang: str = "zh",
               cmap: str = "viridis_r", label_regions: bool = True) -> Figure:
    """A map of one column by region, missing values hatched, names written in ``lang``."""
    check_lang(lang)
    fig, ax = plt.subplots(figsize=(7, 7))
    missing = gdf[column].isna()
    gdf[~missing].plot(column=column, ax=ax, cmap=cmap, edgecolor="white", linewidth=0.6,
                       legend=True, legend_kwds={"shrink": 0.6})
    if missing.any():
        gdf[missing].plot(ax=ax, facecolor="white", edgecolor="0.5", hatch="///", linewidth=0.6)
    if label_regions:
        points = gdf.geometry.representative_point()
        place_labels(ax, points.x, points.y, gdf["name_zh" if lang == "zh" else "name_en"])
    ax.set_title(title)
    ax.set_axis_off()
    return fig


def place_labels(ax: plt.Axes, x: Sequence[float], y: Sequence[float], labels: Sequence[str],
                 fontsize: float = 8) -> list[mpl.text.Text]:
    """Write ``labels`` at points and move apart the ones that overlap, with leader lines.

    Small central districts sit close together, so names written at their centres cover
    each other.  ``adjustText`` (seeded, so the layout is reproducible) pushes the boxes
    apart as the renderer measures them; a moved label gets a thin line to its point.

    Examples
    --------
    >>> fig, ax = plt.subplots()
    >>> texts = place_labels(ax, [0.5, 0.5], [0.5, 0.5], ["和平区", "沈河区"])
    >>> overlapping_labels(ax)
    []
    >>> plt.close(fig)
    """
    halo = [patheffects.withStroke(linewidth=2.5, foreground="white")]
    texts = [ax.text(px, py, str(name), ha="center", va="center", fontsize=fontsize,
                     path_effects=halo, zorder=5)
             for px, py, name in zip(x, y, labels, strict=True)]  # a dozen names, not data rows
    if len(texts) > 1:
        from adjustText import adjust_text

        # a name centred on its district is fine: only overlapping names move (no
        # "explode", the points are not obstacles); the iteration cap bounds the time
        adjust_text(texts, ax=ax, avoid_self=False, force_explode=0, expand=(1.08, 1.2),
                    iter_lim=300, arrowprops={"arrowstyle": "-", "color": "0.25", "lw": 0.6})
    return texts


def overlapping_labels(ax: plt.Axes) -> list[tuple[str, str]]:
    """Pairs of the axes' texts whose drawn boxes (as the renderer measures them) intersect."""
    renderer = ax.figure.canvas.get_renderer()
    boxes = [(t.get_text(), t.get_window_extent(renderer)) for t in ax.texts if t.get_text()]
    return [(a, b) for i, (a, box_a) in enumerate(boxes)  # a dozen labels: pairs are cheap
            for b, box_b in boxes[i + 1:] if box_a.overlaps(box_b)]
