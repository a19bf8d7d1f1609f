"""Regions: the districts and counties being compared, with their hierarchy.

Each region has an administrative code, Chinese and English names, a level
(province, city, district; a street level can be added later) and its parent
code, so a street (jiedao) layer or a province layer slot in as more rows.

Examples
--------
>>> from workbench.regions import load_regions
>>> r = load_regions()
>>> r.name("210102", "zh")
'和平区'
>>> len(r.at_level("district"))
13
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import pandas as pd

from . import config
from .errors import ValidationError, WorkbenchError, choices_text
from .files import file_version
from .i18n import check_lang

__all__ = ["Regions", "load_regions", "LEVELS", "FOCUS_REGION", "CITY_CODE"]

LEVELS = ("province", "city", "district", "street")
FOCUS_REGION = "210102"  # Heping District, where the plan this project serves comes from
CITY_CODE = "210100"
_COLUMNS = ["code", "name_zh", "name_en", "level", "parent_code", "kind", "urbanisation"]


class Regions:
    """A validated table of regions with helpers for codes and names."""

    def __init__(self, table: pd.DataFrame):
        self.table = _validate(table).set_index("code", drop=False)

    @classmethod
    def _validated(cls, table: pd.DataFrame) -> Regions:
        """Regions around a table that :func:`_validate` passed and ``code`` indexes."""
        self = cls.__new__(cls)
        self.table = table
        return self

    @property
    def codes(self) -> list[str]:
        return list(self.table["code"])

    def at_level(self, level: str = "district") -> pd.DataFrame:
        """Regions of one level (see ``LEVELS``)."""
        if level not in LEVELS:
            raise WorkbenchError(f"Unknown level {level!r}; valid: {choices_text(LEVELS)}",
                                 f"未知层级 {level!r}；可选：{choices_text(LEVELS)}")
        return self.table[self.table["level"] == level]

    def children(self, code: str) -> pd.DataFrame:
        """Regions whose parent is ``code``."""
        self.check_codes([code])
        return self.table[self.table["parent_code"] == code]

    def check_codes(self, codes: Iterable[object]) -> None:
        """Raise a clear error naming unknown codes and the valid choices."""
        unknown = sorted({str(c) for c in codes} - set(self.table.index))
        if unknown:
            valid = [f"{c} {n}" for c, n in zip(self.table["code"], self.table["name_en"],
                                                 strict=True)]
            raise WorkbenchError(
                f"Unknown region code(s): {', '.join(unknown)}. Valid: {choices_text(valid)}",
                f"未知地区代码：{', '.join(unknown)}。可选：{choices_text(valid)}",
            )

    def name(self, code: str, lang: str = "zh") -> str:
        """Name of one region in ``lang``."""
        self.check_codes([code])
        return self.table.at[code, "name_zh" if check_lang(lang) == "zh" else "name_en"]

    def names(self, lang: str = "zh") -> pd.Series:
        """All names as a Series indexed by code."""
        return self.table["name_zh" if check_lang(lang) == "zh" else "name_en"]

    def __len__(self) -> int:
        return len(self.table)

    def __repr__(self) -> str:
        per = self.table["level"].value_counts()
        return "<Regions: " + ", ".join(f"{n} {lvl}" for lvl, n in per.items()) + ">"

    def _repr_html_(self) -> str:
        return f"<p><b>Regions</b></p>{self.table.reset_index(drop=True).to_html(index=False)}"


def _validate(raw: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in _COLUMNS if c not in raw.columns]
    if missing:
        raise ValidationError(f"Regions table lacks column(s): {', '.join(missing)}",
                              f"地区表缺少列：{', '.join(missing)}")
    t = raw[_COLUMNS].fillna("").astype(str).apply(lambda s: s.str.strip())
    bad_level = ~t["level"].isin(LEVELS)
    problems = [{"row": i + 2, "column": "level", "value": t.at[i, "level"],
                 "reason": f"level must be one of {choices_text(LEVELS)}"}
                for i in t.index[bad_level]]
    orphan = t["parent_code"].ne("") & ~t["parent_code"].isin(t["code"])
    problems += [{"row": i + 2, "column": "parent_code", "value": t.at[i, "parent_code"],
                  "reason": "parent code is not in the table"} for i in t.index[orphan]]
    dup = t["code"][t["code"].duplicated(keep=False)]
    problems += [{"row": i + 2, "column": "code", "value": c, "reason": "duplicate code"}
                 for i, c in dup.items()]
    if problems:
        raise ValidationError(f"Regions table has {len(problems)} problem(s)",
                              f"地区表有 {len(problems)} 处错误", problems=problems)
    return t


# A report reads the regions twice or more (title page, tables): read and validate each
# version of the file once.  A file that fails validation is not kept, so it fails every
# call; callers get their own copy of the kept table.
@lru_cache(maxsize=4)
def _validated_regions(version: tuple[str, int, int]) -> pd.DataFrame:
    return Regions(pd.read_csv(version[0], dtype=str, keep_default_na=False)).table


def load_regions(path: str | Path | None = None) -> Regions:
    """Load and validate the regions table (default ``data/regions/regions.csv``)."""
    p = Path(path) if path else config.paths().regions
    if not p.exists():
        raise WorkbenchError(f"Regions file not found: {p}", f"找不到地区文件：{p}")
    return Regions._validated(_validated_regions(file_version(p)).copy())
