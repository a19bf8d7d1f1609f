"""Maps and Moran's I: the published stl value, bad input, Chinese labels in the PNG."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from conftest import libpysal_example as _libpysal_example
from workbench import maps
from workbench.errors import WorkbenchError

MORAN_STL_HR8893 = 0.24365582621771659  # esda Moran docs: stl.gal, row-standardised


@pytest.fixture(scope="module")
def stl():
    import geopandas as gpd

    gdf = gpd.read_file(_libpysal_example("stl_hom.shp"))
    return gdf.set_crs("EPSG:4326")  # the shipped shapefile has no .prj


@pytest.fixture(scope="module")
def boundaries():
    from workbench.geo import load_boundaries

    return load_boundaries()


def test_morans_i_matches_published_stl_value(stl):
    import libpysal

    w = libpysal.io.open(_libpysal_example("stl.gal")).read()
    res = maps.morans_i(stl, "HR8893", weights=w)
    assert pytest.approx(MORAN_STL_HR8893, rel=1e-12) == res.I
    assert res.expected == pytest.approx(-1 / 77)
    assert res.n == 78 and 0 < res.p_value < 0.01 and res.z > 2


def test_published_gal_is_rook_contiguity_of_the_shapes(stl):
    # the published "queen" stl.gal equals rook contiguity computed from the shapefile;
    # queen from the shapes adds 8 corner links and gives a different I
    rook = maps.morans_i(stl, "HR8893", weights="rook")
    assert pytest.approx(MORAN_STL_HR8893, rel=1e-12) == rook.I
    queen = maps.morans_i(stl, "HR8893", weights="queen")
    assert pytest.approx(0.19502415662659597, rel=1e-9) == queen.I
    assert "queen" in repr(queen)


def test_morans_i_refuses_nan_and_few_regions(boundaries):
    gdf = boundaries.assign(v=np.arange(13.0))
    gdf.loc[gdf["code"] == "210103", "v"] = np.nan
    with pytest.raises(WorkbenchError, match="210103"):
        maps.morans_i(gdf, "v")
    with pytest.raises(WorkbenchError, match="at least 4 regions"):
        maps.morans_i(boundaries.head(2).assign(v=[1.0, 2.0]), "v")
    with pytest.raises(WorkbenchError, match="queen, rook"):
        maps.morans_i(boundaries.assign(v=np.arange(13.0)), "v", weights="knn")
    with pytest.raises(WorkbenchError, match="not found"):
        maps.morans_i(boundaries, "nope")


def test_region_codes_not_in_boundary_file_listed_by_name(boundaries):
    values = pd.Series({"210102": 1.0, "210103": 2.0})
    with pytest.raises(WorkbenchError, match="210103 沈河区"):
        maps.join_values(boundaries[boundaries["code"] != "210103"], values)


@pytest.mark.filterwarnings("ignore:.crs. was not provided")
def test_boundary_without_crs(boundaries, tmp_path, stl):
    with pytest.raises(WorkbenchError, match="CRS"):
        maps.join_values(boundaries.set_crs(None, allow_override=True), pd.Series(dtype=float))
    from workbench.geo import load_boundaries

    path = tmp_path / "nocrs.shp"
    stl[["FIPS", "geometry"]].set_crs(None, allow_override=True).to_file(path)
    with pytest.raises(WorkbenchError, match="no coordinate reference system"):
        load_boundaries(path)


def test_choropleth_renders_chinese_names_and_hatch(boundaries, tmp_path):
    from workbench.plots import set_theme

    set_theme()
    gdf = boundaries.assign(v=np.linspace(1, 13, 13))
    gdf.loc[0, "v"] = np.nan
    fig = maps.choropleth_map(gdf, "v", "测试地图", scheme="quantiles", k=4, lang="zh")
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "和平区" in texts
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "无数据" in legend and len(legend) == 5
    fig.savefig(tmp_path / "map.png")
    assert (tmp_path / "map.png").stat().st_size > 10_000
    en = maps.choropleth_map(gdf, "v", "test", scheme="equal_interval", k=3, lang="en")
    assert "no data" in [t.get_text() for t in en.legends[0].get_texts()]


def test_small_multiples_share_breaks(boundaries):
    values = pd.DataFrame({"region": np.tile(boundaries["code"], 2),
                           "year": np.repeat([2020, 2025], 13),
                           "value": np.arange(26.0)})
    fig = maps.small_multiples(boundaries, values, "x", ncols=2, lang="en")
    assert [ax.get_title() for ax in fig.axes[:2]] == ["2020", "2025"]
    with pytest.raises(WorkbenchError, match="natural_breaks"):
        maps.choropleth_map(boundaries.assign(v=1.0), "v", scheme="jenks")


def _lightness_steps(cmap: str) -> np.ndarray:
    import matplotlib.pyplot as plt

    from workbench.plots import lightness

    return np.diff([lightness(c) for c in plt.get_cmap(cmap)(np.linspace(0, 1, 64))])


@pytest.mark.parametrize("func", [maps.choropleth_map, maps.small_multiples])
def test_default_colour_scale_is_monotonic_in_lightness(func):
    import inspect

    steps = _lightness_steps(inspect.signature(func).parameters["cmap"].default)
    assert (steps < 0).all() or (steps > 0).all()  # classes stay ordered when printed in grey
    assert not ((_lightness_steps("jet") < 0).all() or (_lightness_steps("jet") > 0).all())


def test_lisa_classes_differ_by_hatch_as_well_as_colour(boundaries):
    from workbench.plots import lightness, set_theme

    set_theme()
    centre = boundaries.geometry.representative_point()
    gdf = boundaries.assign(v=centre.x * 3 + centre.y * 5)  # a north-south gradient
    fig = maps.lisa_cluster_map(gdf, "v", alpha=0.3, lang="en")
    patches = fig.legends[0].get_patches()
    hatches = [p.get_hatch() or "" for p in patches]
    assert len(set(hatches)) == len(maps.LISA_COLORS)
    greys = [lightness(p.get_facecolor()) for p in patches]
    # high-high and low-low are within a few L* of each other: only the hatch separates them
    assert abs(greys[0] - greys[1]) < 10 and hatches[0] != hatches[1]
    drawn = {c.get_hatch() or "" for c in fig.axes[0].collections}
    clusters = maps.local_moran(gdf, "v", alpha=0.3)["cluster"]
    assert drawn == {maps.LISA_HATCHES[k] for k in clusters.unique()}
    assert {"high-high", "low-low"} <= set(clusters)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_district_names_do_not_overlap(boundaries, lang):
    import matplotlib.pyplot as plt

    from workbench.plots import choropleth, overlapping_labels, set_theme

    set_theme()
    centre = boundaries.geometry.representative_point()
    gdf = boundaries.assign(v=centre.x * 3 + centre.y * 5)
    name_col = f"name_{lang}"
    # names written at the centres of the small central districts do collide...
    fig, ax = plt.subplots(figsize=(7, 7))
    gdf.plot(ax=ax)
    points = gdf.geometry.representative_point()
    for x, y, name in zip(points.x, points.y, gdf[name_col], strict=True):
        ax.text(x, y, name, ha="center", va="center", fontsize=7)
    fig.canvas.draw()
    assert overlapping_labels(ax)
    # ...so every map moves them apart, and keeps every name
    drawn = [maps.choropleth_map(gdf, "v", "x", lang=lang), choropleth(gdf, "v", "x", lang),
             maps.lisa_cluster_map(gdf, "v", lang=lang)]
    for fig in drawn:
        fig.canvas.draw()
        ax = fig.axes[0]
        assert sorted(t.get_text() for t in ax.texts if t.get_text()) == sorted(gdf[name_col])
        assert overlapping_labels(ax) == []
