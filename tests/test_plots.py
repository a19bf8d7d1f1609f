import warnings

import matplotlib.pyplot as plt
import pytest

from workbench import plots


def test_chinese_label_renders_without_missing_glyphs():
    font = plots.set_theme()
    assert font in plots.FONT_CANDIDATES
    fig, ax = plt.subplots()
    ax.set_title("5岁以下儿童死亡率（‰）和平区")
    ax.set_xlabel("年份")
    ax.plot([2020, 2021], [-1.5, 2.0])
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*[Gg]lyph.*missing.*")
        fig.canvas.draw()


def test_missing_glyph_would_be_caught():
    """Guard the guard: the default font lacks CJK glyphs and does warn."""
    plt.rcdefaults()
    fig, ax = plt.subplots()
    ax.set_title("和平区")
    with pytest.warns(UserWarning, match="missing from font"):
        fig.canvas.draw()
    plots.set_theme()


def test_theme_survives_seaborn_reset():
    import seaborn as sns

    plots.set_theme()
    font = plots.cjk_font()
    sns.set_theme()  # what a notebook author might call
    plots.set_theme()
    assert plt.rcParams["font.sans-serif"][0] == font


def test_lightness_is_cie_lstar():
    # CIE L* of sRGB mid grey (128/255) is 53.585 (CIE 15:2004; Lindbloom's calculator)
    assert plots.lightness("#808080") == pytest.approx(53.585, abs=1e-3)
    assert plots.lightness("white") == pytest.approx(100.0)


def test_choropleth_default_scale_prints_in_order_of_value():
    import inspect

    import numpy as np

    cmap = inspect.signature(plots.choropleth).parameters["cmap"].default
    steps = np.diff([plots.lightness(c) for c in plt.get_cmap(cmap)(np.linspace(0, 1, 64))])
    assert (steps < 0).all() or (steps > 0).all()


def test_fixed_layout_figures_are_saved_whole_and_others_cropped():
    """A trend chart keeps its full size (no tight-box second draw); a free figure is cropped."""
    import io

    from PIL import Image

    plots.set_theme()
    fixed, ax = plt.subplots(figsize=(8, 4.5))
    ax.plot([2020, 2025], [1, 2], color=plots.theme_colors()[0])
    ax.set_title("新生儿死亡率 · 和平区")
    plots.fixed_layout(fixed)
    free, ax2 = plt.subplots(figsize=(8, 4.5))
    ax2.plot([2020, 2025], [1, 2])
    dpi = plt.rcParams["savefig.dpi"]
    whole = Image.open(io.BytesIO(plots.png_bytes(fixed))).size
    cropped = Image.open(io.BytesIO(plots.png_bytes(free))).size
    assert whole == (round(8 * dpi), round(4.5 * dpi))
    assert cropped[0] < whole[0] and cropped[1] < whole[1]
    assert plots.has_fixed_layout(fixed) and not plots.has_fixed_layout(free)
    assert fixed.axes[0].get_title() == "新生儿死亡率 · 和平区"


def test_theme_colors_are_the_property_cycle():
    plots.set_theme()
    cycle = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    assert plots.theme_colors() == cycle and len(cycle) >= 4


def test_fixed_layout_png_has_matplotlibs_pixels_and_resolution():
    """The trend charts' own PNG writer is lossless: the pixels of matplotlib's own PNG,
    the same resolution tag (Word and Typst size images by it); opaque charts as RGB."""
    import io

    import numpy as np
    from matplotlib.transforms import Bbox
    from PIL import Image

    plots.set_theme()
    fig, ax = plt.subplots()
    ax.plot([2020, 2025, 2030], [1, 3, 2], "o-", label="观测值")
    ax.fill_between([2025, 2030], [1, 1], [3, 4], alpha=0.2)
    ax.set_title("新生儿死亡率 · 和平区")
    ax.legend(loc="best")
    plots.fixed_layout(fig)
    ours = Image.open(io.BytesIO(plots.png_bytes(fig)))
    reference = io.BytesIO()
    fig.savefig(reference, format="png", bbox_inches=Bbox.from_bounds(0, 0, 8, 4.5))
    theirs = Image.open(reference)
    assert ours.mode == "RGB" and ours.size == theirs.size == (1200, 675)
    assert np.array_equal(np.asarray(ours.convert("RGBA")), np.asarray(theirs.convert("RGBA")))
    assert ours.info["dpi"] == pytest.approx(theirs.info["dpi"])
    assert ours.info["Software"] == theirs.info["Software"]


def test_png_writer_keeps_transparency():
    import io

    import numpy as np
    from PIL import Image

    from workbench.foundation._png import encode_png

    rng = np.random.default_rng(7)
    pixels = rng.integers(0, 256, size=(31, 17, 4), dtype=np.uint8)  # noise: every byte counts
    image = Image.open(io.BytesIO(encode_png(pixels, dpi=96)))
    assert image.mode == "RGBA" and image.size == (17, 31)
    assert np.array_equal(np.asarray(image), pixels)
    with pytest.raises(ValueError, match="uint8"):
        encode_png(pixels.astype(float), dpi=96)
