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
