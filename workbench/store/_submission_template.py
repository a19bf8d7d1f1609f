"""The submission template: expected rows per unit and year, and the XLSX a unit fills in."""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from ..foundation import config
from ..foundation.catalogue import Catalogue, load_catalogue
from ..foundation.regions import Regions, load_regions
from .validation import (
    DIMENSION_VALUES,
)

SHEET = "填报数据 data"
SHEET_ALIASES = (SHEET, "data", "填报数据")
# Relative change above which a revision must be accepted explicitly.
REVISION_THRESHOLD = 0.2
TEMPLATE_COLUMNS = {
    "indicator": "指标代码 indicator", "indicator_name": "指标名称 indicator name",
    "unit": "单位 unit", "region": "地区代码 region", "region_name": "地区名称 region name",
    "year": "年份 year", "sex": "性别 sex", "age_group": "年龄组 age_group",
    "residence": "城乡 residence", "hukou": "户籍 hukou", "value": "数值 value",
    "numerator": "分子 numerator", "denominator": "分母 denominator", "note": "备注 note",
}
_PROBLEM_COLUMNS = ["sheet", "row", "column", "value", "reason_en", "reason_zh"]
_INPUT_COLUMNS = ("value", "numerator", "denominator", "note")
_BREAKDOWN_LEVELS = {"sex": ("male", "female"), "residence": ("urban", "rural"),
                     "hukou": ("local", "migrant")}


# -- expected rows and the template -------------------------------------------------------
def breakdown_levels(catalogue: Catalogue, codes: list[str] | None = None) -> pd.DataFrame:
    """Per indicator, the cells a complete report has: the total and every breakdown level."""
    frames = []
    for code in codes or catalogue.codes:
        ind = catalogue[code]
        levels = [("total", "total")]
        for dim in ind.disaggregations:
            values = ind.age_groups if dim == "age_group" else _BREAKDOWN_LEVELS[dim]
            levels += [(dim, v) for v in values]
        cells = pd.DataFrame([{d: (v if d == dim else "total") for d in DIMENSION_VALUES}
                              for dim, v in levels])
        frames.append(cells.assign(indicator=code))
    return pd.concat(frames, ignore_index=True)


def _cells(groups: pd.DataFrame, catalogue: Catalogue, regions: Regions) -> pd.DataFrame:
    """Expected cells of (indicator, region, year) groups; no urban/rural split where a
    region has no rural part."""
    con = duckdb.connect()
    con.register("groups", groups[["indicator", "region", "year"]])
    levels = breakdown_levels(catalogue, sorted(set(groups["indicator"])))
    con.register("levels", levels.assign(_pos=np.arange(len(levels))))
    con.register("urban_only", regions.table.loc[regions.table["urbanisation"].eq("urban"),
                                                 ["code"]].reset_index(drop=True))
    cells = con.execute(
        "SELECT g.indicator, g.region, g.year, l.sex, l.age_group, l.residence, l.hukou "
        "FROM groups g JOIN levels l USING (indicator) "
        "WHERE l.residence = 'total' OR g.region NOT IN (SELECT code FROM urban_only) "
        "ORDER BY g.indicator, g.region, g.year, l._pos").df()
    con.close()
    return cells


def expected_rows(unit: str, year: int, regions: list[str] | None = None,
                  catalogue: Catalogue | None = None,
                  region_table: Regions | None = None) -> pd.DataFrame:
    """The cells a unit is expected to report for a year, one row each.

    Per indicator and region: the total row, then one row per level of each
    disaggregation in the catalogue (sex, the indicator's age groups,
    urban/rural where the region has a rural part, hukou).
    """
    catalogue = catalogue or load_catalogue()
    region_table = region_table or load_regions()
    codes = regions or list(region_table.at_level("district")["code"])
    region_table.check_codes(codes)
    groups = pd.DataFrame({"indicator": catalogue.reported_by(unit)["code"].tolist()}).merge(
        pd.DataFrame({"region": codes, "year": int(year)}), how="cross")
    return _cells(groups, catalogue, region_table)


def write_template(unit: str, year: int, path: str | Path | None = None,
                   regions: list[str] | None = None) -> Path:
    """Write the XLSX submission template of a unit for a year; return its path."""
    from openpyxl import Workbook

    catalogue, region_table = load_catalogue(), load_regions()
    rows = expected_rows(unit, year, regions, catalogue, region_table)
    target = Path(path) if path else (config.paths().outputs / "templates"
                                      / f"template_{unit}_{year}.xlsx")
    target.parent.mkdir(parents=True, exist_ok=True)
    wb = Workbook()
    _data_sheet(wb.active, rows, catalogue, region_table)
    _indicator_sheet(wb.create_sheet("指标说明 indicators"), catalogue.reported_by(unit))
    _instruction_sheet(wb.create_sheet("填报说明 instructions"), unit, year)
    tmp = target.with_name(f".{target.name}.tmp")
    wb.save(tmp)
    tmp.replace(target)
    return target


def _data_sheet(ws, rows: pd.DataFrame, catalogue: Catalogue, regions: Regions) -> None:
    from openpyxl.styles import Font, PatternFill, Protection
    from openpyxl.worksheet.datavalidation import DataValidation

    ws.title = SHEET
    table = rows.assign(
        indicator_name=rows["indicator"].map(catalogue.table["name_zh"]),
        unit=rows["indicator"].map(catalogue.table["unit_zh"]),
        region_name=rows["region"].map(regions.table["name_zh"]),
        value=None, numerator=None, denominator=None, note=None)[list(TEMPLATE_COLUMNS)]
    ws.append(list(TEMPLATE_COLUMNS.values()))
    for record in table.itertuples(index=False):  # a template has hundreds of rows at most
        ws.append(list(record))
    header_fill = PatternFill("solid", fgColor="DDEBF7")
    input_fill = PatternFill("solid", fgColor="FFF2CC")
    for cell in ws[1]:
        cell.font, cell.fill = Font(bold=True), header_fill
    last = ws.max_row
    for j, key in enumerate(TEMPLATE_COLUMNS, start=1):
        letter = ws.cell(row=1, column=j).column_letter
        ws.column_dimensions[letter].width = 28 if key.endswith("name") else 14
        if key in _INPUT_COLUMNS:
            for (cell,) in ws.iter_rows(min_row=2, max_row=last, min_col=j, max_col=j):
                cell.protection, cell.fill = Protection(locked=False), input_fill
    numbers = DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0",
                             showErrorMessage=True, error="请填写非负数字 / a number >= 0")
    ws.add_data_validation(numbers)
    for key in ("value", "numerator", "denominator"):
        letter = ws.cell(row=1, column=list(TEMPLATE_COLUMNS).index(key) + 1).column_letter
        numbers.add(f"{letter}2:{letter}{last}")
    for dim, values in DIMENSION_VALUES.items():
        listed = DataValidation(type="list", formula1='"' + ",".join(values) + '"')
        ws.add_data_validation(listed)
        letter = ws.cell(row=1, column=list(TEMPLATE_COLUMNS).index(dim) + 1).column_letter
        listed.add(f"{letter}2:{letter}{last}")
    ws.freeze_panes = "A2"
    ws.protection.sheet = True  # keys and header locked; input columns unlocked above


def _indicator_sheet(ws, indicators: pd.DataFrame) -> None:
    columns = ["code", "name_zh", "name_en", "unit_zh", "unit_en", "direction",
               "disaggregations", "age_groups", "denominator", "target_2025_op", "target_2025",
               "target_2025_prov", "target_2030_op", "target_2030", "target_2030_prov", "notes"]
    ws.append(columns)
    for record in indicators[columns].itertuples(index=False):
        ws.append([None if isinstance(v, float) and np.isnan(v) else v for v in record])
    ws.append([])
    ws.append(["Provenance: F published, D derived, R programme text (unverified), "
               "P demo placeholder — not an official target / P 为演示占位值，非官方目标"])


def _instruction_sheet(ws, unit: str, year: int) -> None:
    lines = [
        f"填报单位 unit: {unit}    年份 year: {year}",
        "1. 只在黄色单元格填写数值、分子、分母和备注；其他列已锁定。",
        "   Fill in only the yellow cells (value, numerator, denominator, note); keys are locked.",
        "2. 比率类指标请同时填写分子和分母，数值须等于 分子/分母 × 单位倍数。",
        "   For rates give numerator and denominator; value must equal num/den x the unit scale.",
        "3. 某指标某地区填报了任何一行，则该指标要求的全部分组行都须填写。",
        "   Once any row of an indicator and region is filled, every required breakdown row is.",
        "4. 未掌握的数据请留空，不要填 0。 Leave unknown values blank; never type 0 for unknown.",
    ]
    for line in lines:
        ws.append([line])
    ws.column_dimensions["A"].width = 100

