"""The annual children's statistical compilation (年度儿童统计资料).

``compile_year(2025)`` reads the monitoring database and writes
``outputs/compilation/2025/``: one formatted workbook (a sheet per domain:
indicators x districts, with total, sex and age-group rows, units, the 2025
and 2030 targets and a status mark per value) and the same tables as CSV.
Headers are in Chinese and English.  Footnote marks: ``†`` imputed,
``‡`` provisional, ``§`` suppressed (denominator below
:data:`SUPPRESS_BELOW`), ``*`` target is a demo placeholder; ``✓`` / ``✗``
whether the value meets the target that applies to the year.  The folder is
written under a temporary name and renamed when complete.

Examples
--------
>>> import tempfile
>>> from workbench.compile import compile_year
>>> with tempfile.TemporaryDirectory() as tmp:
...     result = compile_year(2025, out_dir=tmp)
...     sorted(p.name for p in result.folder.iterdir())[:2]
['compilation_2025.xlsx', 'education.csv']
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..foundation import config
from ..foundation.catalogue import Catalogue, load_domains
from ..foundation.errors import WorkbenchError
from ..foundation.safe_io import neutralise, open_private, write_csv
from . import target_status

__all__ = ["compile_year", "compilation_tables", "Compilation", "SUPPRESS_BELOW", "MARKS"]

SUPPRESS_BELOW = 10
MARKS = {"imputed": "†", "provisional": "‡", "suppressed": "§", "placeholder": "*",
         "achieved": "✓", "not_achieved": "✗"}
_DECIMALS = {"percent": 1, "per_1000": 2, "per_10000": 2, "per_100000": 2,
             "per_1000_children": 2, "per_1000_population": 2, "count": 0,
             "cny_per_month": 0, "binary": 0}
_HEAD = {"code": "代码 Code", "name_zh": "指标 Indicator (zh)", "name_en": "Indicator (en)",
         "unit": "单位 Unit", "breakdown": "分组 Breakdown",
         "target_2025": "2025年目标 2025 target", "target_2030": "2030年目标 2030 target"}
_GROUPS = {"total": "合计 Total", "male": "男 Male", "female": "女 Female"}
FOOTNOTES = [
    "† 插补值 imputed value", "‡ 初步数 provisional value",
    f"§ 分母小于 {SUPPRESS_BELOW}，不予公布 suppressed (denominator below {SUPPRESS_BELOW})",
    "* 演示占位目标值，非官方目标 demo placeholder target, not an official target",
    "✓ 达到当年适用目标 meets the target that applies to the year; ✗ 未达到 does not",
    "… 无数据 no data",
]


@dataclass(frozen=True)
class Compilation:
    """Where a compilation was written and what it holds."""

    year: int
    folder: Path
    workbook: Path
    tables: dict[str, pd.DataFrame]

    def __repr__(self) -> str:
        rows = sum(len(t) for t in self.tables.values())
        return (f"<Compilation {self.year}: {len(self.tables)} domain sheets, {rows} rows, "
                f"{self.workbook}>")

    def _repr_html_(self) -> str:
        return f"<b>Compilation {self.year}</b>: {len(self.tables)} sheets · {self.workbook}"


def _target_text(t: pd.DataFrame, year: int) -> pd.Series:
    op, val, prov = (t[f"target_{year}{c}"] for c in ("_op", "", "_prov"))
    text = op.fillna("") + " " + val.map(lambda v: "" if pd.isna(v) else f"{v:g}")
    return text.where(op.fillna("") != "", "—") + np.where(prov == "P", MARKS["placeholder"], "")


def _cells(obs: pd.DataFrame, cat: Catalogue, year: int) -> pd.DataFrame:
    """One formatted string per indicator x breakdown x region."""
    t = cat.table.reindex(obs["indicator"])
    decimals = t["unit"].map(_DECIMALS).to_numpy()
    value = obs["value"].to_numpy(float)
    text = pd.Series([f"{v:.{d}f}" for v, d in zip(value, decimals, strict=True)],
                     index=obs.index)
    ty = 2025 if year <= 2025 else 2030
    status = target_status(value, t[f"target_{ty}_op"].fillna("").to_numpy(),
                           t[f"target_{ty}"].to_numpy(float))
    mark = pd.Series(status, index=obs.index).map(
        {"achieved": MARKS["achieved"], "not_achieved": MARKS["not_achieved"]}).fillna("")
    suppressed = (obs["denominator"] < SUPPRESS_BELOW).fillna(False).to_numpy()
    text = (text + np.where(obs["imputed"], MARKS["imputed"], "")
            + np.where(obs["provisional"], MARKS["provisional"], "") + mark)
    return obs.assign(cell=text.where(~suppressed, MARKS["suppressed"]))


def compilation_tables(obs: pd.DataFrame, catalogue: Catalogue, year: int,
                       regions: pd.Series) -> dict[str, pd.DataFrame]:
    """The compilation's tables by domain from observations of ``year`` (all breakdowns).

    ``regions`` maps district codes to bilingual column headers.
    """
    o = obs[(obs["year"] == year) & (obs["residence"] == "total") & (obs["hukou"] == "total")]
    o = o[(o["sex"] == "total") | (o["age_group"] == "total")]
    o = _cells(o, catalogue, year)
    age = "age " + o["age_group"].astype(str)
    o = o.assign(breakdown=np.where(o["sex"] != "total", o["sex"].map(_GROUPS),
                                    np.where(o["age_group"] != "total",
                                             o["age_group"].astype(str) + "岁 " + age,
                                             _GROUPS["total"])),
                 order=np.where(o["sex"] != "total", 1, np.where(o["age_group"] != "total", 2,
                                                                  0)))
    wide = o.pivot_table(index=["indicator", "order", "breakdown"], columns="region",
                         values="cell", aggfunc="first").reindex(columns=regions.index)
    wide = wide.fillna("…").rename(columns=regions).reset_index()
    t = catalogue.table
    info = pd.DataFrame({
        _HEAD["code"]: t.index, _HEAD["name_zh"]: t["name_zh"], _HEAD["name_en"]: t["name_en"],
        _HEAD["unit"]: t["unit_zh"] + " " + t["unit_en"],
        _HEAD["target_2025"]: _target_text(t, 2025), _HEAD["target_2030"]: _target_text(t, 2030),
        "domain": t["domain"]})
    full = info.merge(wide, left_on=_HEAD["code"], right_on="indicator", how="left")
    full[_HEAD["breakdown"]] = full["breakdown"].fillna(_GROUPS["total"])
    full = full.fillna({c: "…" for c in regions.to_numpy()})
    full = full.sort_values([_HEAD["code"], "order"], na_position="first", kind="stable")
    cols = [_HEAD[k] for k in ("code", "name_zh", "name_en", "unit", "breakdown",
                               "target_2025", "target_2030")] + list(regions.to_numpy())
    return {d: g[cols].reset_index(drop=True) for d, g in full.groupby("domain", sort=False)}


def _write_workbook(tables: dict[str, pd.DataFrame], titles: dict[str, str], path: Path,
                    year: int, synthetic: bool) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    notes = FOOTNOTES + (["本资料由合成演示数据生成 generated from synthetic demo data"]
                         if synthetic else [])
    with open_private(path) as fh, pd.ExcelWriter(fh, engine="openpyxl") as writer:
        for domain, df in tables.items():
            sheet = titles[domain][:31]
            neutralise(df).to_excel(writer, sheet_name=sheet, index=False, startrow=2)
            ws = writer.sheets[sheet]
            ws.cell(row=1, column=1,
                    value=f"{year}年儿童统计资料 · Children's statistics {year}: "
                          f"{titles[domain]}").font = Font(bold=True, size=13)
            for cell in ws[3]:
                cell.font = Font(bold=True)
                cell.fill = PatternFill("solid", fgColor="DDEBF7")
                cell.alignment = Alignment(wrap_text=True, vertical="center")
            ws.freeze_panes = ws.cell(row=4, column=6)
            for i, col in enumerate(df.columns, start=1):
                width = max(len(str(v)) for v in [col, *df[col].head(100)])
                ws.column_dimensions[get_column_letter(i)].width = min(max(width + 2, 9), 40)
            for j, note in enumerate(notes, start=len(df) + 5):
                ws.cell(row=j, column=1, value=note).font = Font(italic=True, size=9)


def compile_year(year: int, database: str | Path | None = None,
                 out_dir: str | Path | None = None) -> Compilation:
    """Write the compilation of ``year`` into ``out_dir/<year>/`` (default outputs/compilation).

    Raises WorkbenchError if the database holds no observation for ``year``.
    """
    from ..store.database import connect

    with connect(database) as db:
        catalogue, regions = db.catalogue(), db.regions()
        obs = db.observations(years=[int(year)], breakdown=None)
        synthetic = db.synthetic
    if obs.empty:
        with connect(database) as db:
            years = sorted(db.observations(breakdown="total")["year"].unique().tolist())
        have = ", ".join(map(str, years))
        raise WorkbenchError(f"No observations for year {year}; years in the database: {have}",
                             f"数据库中没有 {year} 年的观测值；已有年份：{have}")
    districts = regions.at_level("district")
    heads = pd.Series((districts["name_zh"] + " " + districts["name_en"]).to_numpy(),
                      index=districts["code"].to_numpy())
    tables = compilation_tables(obs, catalogue, int(year), heads)
    names = load_domains().set_index("code")
    titles = {d: f"{names.loc[d, 'name_zh']} {names.loc[d, 'name_en']}" for d in tables}
    base = Path(out_dir) if out_dir is not None else config.paths().outputs / "compilation"
    final = base / str(year)
    tmp = base / f".{year}.partial-{os.getpid()}"
    tmp.mkdir(parents=True, exist_ok=False)
    try:
        workbook = tmp / f"compilation_{year}.xlsx"
        _write_workbook(tables, titles, workbook, int(year), synthetic)
        for domain, df in tables.items():
            write_csv(df, tmp / f"{domain}.csv")
        (tmp / "footnotes.txt").write_text("\n".join(FOOTNOTES) + "\n", encoding="utf-8")
        old = base / f".{year}.old-{os.getpid()}"
        if final.exists():
            final.rename(old)
        tmp.rename(final)
        shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return Compilation(int(year), final, final / workbook.name, tables)
