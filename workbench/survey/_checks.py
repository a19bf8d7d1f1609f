"""Input checks shared by the modules of :mod:`workbench.survey` (bilingual errors)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..foundation.errors import ValidationError, WorkbenchError, choices_text


def as_list(x) -> list:
    if x is None:
        return []
    return [x] if isinstance(x, str) else list(x)


def check_columns(data: pd.DataFrame, columns: list[str], role: str) -> None:
    missing = [c for c in columns if c not in data.columns]
    if missing:
        raise WorkbenchError(
            f"{role} column(s) {missing} not in the data. Columns: {choices_text(data.columns)}",
            f"数据中没有{role}列 {missing}。可用列：{choices_text(data.columns)}")


def is_categorical(s: pd.Series) -> bool:
    """Text, categorical and object columns are factors (R: one estimate per level)."""
    if pd.api.types.is_bool_dtype(s) or pd.api.types.is_numeric_dtype(s):
        return False
    # mostly numbers with a few stray texts is a numeric column with entry errors
    present = s.dropna()
    return bool(pd.to_numeric(present, errors="coerce").isna().mean() > 0.5) if len(present) \
        else True


def numeric(data: pd.DataFrame, column: str) -> np.ndarray:
    """A column as float; text in it is an error naming the column and a bad value."""
    s = data[column]
    if pd.api.types.is_bool_dtype(s) or pd.api.types.is_numeric_dtype(s):
        return s.to_numpy(dtype=float, na_value=np.nan)
    conv = pd.to_numeric(s, errors="coerce")
    bad = conv.isna() & s.notna()
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise ValidationError(
            f"Column {column!r} must be numeric but holds text, e.g. {s.iloc[i]!r} "
            f"at row {s.index[i]!r} ({int(bad.sum())} such rows).",
            f"列 {column!r} 应为数值，但含有文本，例如第 {s.index[i]!r} 行的 {s.iloc[i]!r}"
            f"（共 {int(bad.sum())} 行）。")
    return conv.to_numpy(dtype=float, na_value=np.nan)


def no_missing(data: pd.DataFrame, columns: list[str], role: str) -> None:
    for c in columns:
        values = data[c].to_numpy()
        if values.dtype.kind in "iub":  # integer ids cannot be missing: skip the scan
            continue
        miss = pd.isna(values)
        if miss.any():
            rows = list(data.index[miss][:5])
            raise ValidationError(
                f"Design column {c!r} ({role}) has {int(miss.sum())} missing values, "
                f"e.g. rows {rows}; every respondent needs a {role}.",
                f"设计列 {c!r}（{role}）有 {int(miss.sum())} 个缺失值，例如第 {rows} 行。")


def positive_weights(w: np.ndarray, data: pd.DataFrame, column: str) -> np.ndarray:
    """Weights must be finite and positive: infinite weights make every result NaN."""
    bad = ~np.isfinite(w) | (w <= 0)
    if bad.any():
        rows = list(data.index[bad][:5])
        raise ValidationError(
            f"Weights column {column!r} has {int(bad.sum())} missing, infinite, zero or "
            f"negative values, e.g. rows {rows}; weights must be positive and finite.",
            f"权重列 {column!r} 有 {int(bad.sum())} 个缺失、无穷、零或负值，"
            f"例如第 {rows} 行；权重必须为有限正数。")
    return w
