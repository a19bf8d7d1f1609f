import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from workbench.errors import ValidationError, WorkbenchError
from workbench.geo import load_boundaries
from workbench.regions import FOCUS_REGION, Regions, load_regions


def test_thirteen_districts_of_shenyang():
    r = load_regions()
    districts = r.at_level("district")
    assert len(districts) == 13
    assert districts["code"].iloc[0] == "210102" and districts["code"].iloc[-1] == "210181"
    assert set(districts["parent_code"]) == {"210100"}
    assert r.name(FOCUS_REGION, "zh") == "和平区" and r.name(FOCUS_REGION, "en") == "Heping"


def test_unknown_region_lists_valid_codes():
    with pytest.raises(WorkbenchError, match="210102 Heping"):
        load_regions().check_codes(["210199"])


def test_bad_regions_table_reports_rows():
    table = pd.DataFrame({"code": ["1", "1"], "name_zh": ["a", "b"], "name_en": ["a", "b"],
                          "level": ["city", "planet"], "parent_code": ["", "7"],
                          "kind": ["", ""], "urbanisation": ["", ""]})
    with pytest.raises(ValidationError) as info:
        Regions(table)
    columns = {p["column"] for p in info.value.problems}
    assert columns == {"level", "parent_code", "code"}


def test_boundaries_load_with_names():
    gdf = load_boundaries()
    assert len(gdf) == 13
    assert gdf.crs.to_epsg() == 4326
    assert gdf.set_index("code").at["210102", "name_zh"] == "和平区"
    assert gdf.geometry.is_valid.all()


def test_own_boundary_file_geopackage(tmp_path):
    gdf = gpd.GeoDataFrame({"region_code": ["210102"]}, geometry=[box(0, 0, 1, 1)],
                           crs="EPSG:4326")
    path = tmp_path / "mine.gpkg"
    gdf.to_file(path)
    loaded = load_boundaries(path)
    assert loaded["name_en"].tolist() == ["Heping"]


@pytest.mark.filterwarnings("ignore:.crs. was not provided")
def test_boundary_file_without_crs_is_refused(tmp_path):
    path = tmp_path / "nocrs.geojson"
    path.write_text('{"type":"FeatureCollection","features":[{"type":"Feature","properties":'
                    '{"code":"210102"},"geometry":{"type":"Point","coordinates":[1,2]}}]}')
    gdf = gpd.read_file(path)
    if gdf.crs is not None:  # GeoJSON implies WGS84 to some readers: write a shapefile instead
        shp = tmp_path / "nocrs.shp"
        gdf.set_crs(None, allow_override=True).to_file(shp)
        (tmp_path / "nocrs.prj").unlink(missing_ok=True)
        path = shp
    with pytest.raises(WorkbenchError, match="no coordinate reference system"):
        load_boundaries(path)


def test_boundary_codes_must_be_known(tmp_path):
    gdf = gpd.GeoDataFrame({"code": ["999999"]}, geometry=[box(0, 0, 1, 1)], crs="EPSG:4326")
    gdf.to_file(tmp_path / "x.gpkg")
    with pytest.raises(WorkbenchError, match="999999"):
        load_boundaries(tmp_path / "x.gpkg")


def test_regions_file_is_read_again_when_it_changes(tmp_path):
    """Kept per file version: callers get their own copy; a rewritten file is read afresh,
    and a broken one fails on every call."""
    from workbench import config

    path = tmp_path / "regions.csv"
    table = pd.read_csv(config.paths().regions, dtype=str, keep_default_na=False)
    table.to_csv(path, index=False)
    from workbench.foundation.regions import _validated_regions

    first = load_regions(path)
    first.table.loc[FOCUS_REGION, "name_en"] = "changed by a caller"
    hits = _validated_regions.cache_info().hits
    assert load_regions(path).name(FOCUS_REGION, "en") == "Heping"
    assert _validated_regions.cache_info().hits == hits + 1  # read once, not again
    table.loc[table["code"] == FOCUS_REGION, "name_en"] = "Heping District"
    table.to_csv(path, index=False)
    assert load_regions(path).name(FOCUS_REGION, "en") == "Heping District"
    table.loc[0, "level"] = "planet"
    table.to_csv(path, index=False)
    for _ in range(2):
        with pytest.raises(ValidationError):
            load_regions(path)
