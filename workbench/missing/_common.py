"""Names and checks shared by the missing-data modules."""

from __future__ import annotations

import pandas as pd

from ..foundation.errors import WorkbenchError, choices_text
from . import _impute as _imp
from . import _plots as _plots

PANEL_METHODS = _imp.PANEL_METHODS
SURVEY_METHODS = ("hotdeck", "iterative")
BREAKDOWN_LEVELS = {"sex": ("female", "male"), "residence": ("urban", "rural"),
                    "hukou": ("local", "migrant")}  # age_group levels come from the catalogue
IMPUTED_MARK = "†"
_FOOTNOTE = {"en": f"{IMPUTED_MARK} imputed value (not observed); method: {{}}.",
             "zh": f"{IMPUTED_MARK} 插补值（非观测值）；方法：{{}}。"}


def _check_choice(value: str, valid: tuple[str, ...], name: str) -> None:
    if value not in valid:
        raise WorkbenchError(f"unknown {name} {value!r}; valid choices: {choices_text(valid)}",
                             f"未知的 {name}「{value}」；可选：{choices_text(valid)}")

def _check_columns(df: pd.DataFrame, cols: list[str]) -> None:
    absent = [c for c in cols if c not in df.columns]
    if absent:
        raise WorkbenchError(f"column(s) {choices_text(absent)} not found; available: "
                             f"{choices_text(df.columns)}",
                             f"找不到列 {choices_text(absent)}；现有列：{choices_text(df.columns)}")

