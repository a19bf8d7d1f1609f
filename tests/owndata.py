"""A district's own data for the tests: filled submissions and small databases (no demo)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from workbench.catalogue import UNIT_SCALE, load_catalogue
from workbench.submissions import TEMPLATE_COLUMNS, expected_rows

UNITS = sorted(load_catalogue().table["responsible_unit"].unique())


def fill_values(frame: pd.DataFrame, seed: int = 1) -> pd.DataFrame:
    """Consistent values for every row: num/den for rates, 0/1 for binary, counts otherwise."""
    cat = load_catalogue()
    rng = np.random.default_rng(seed)
    unit = frame["indicator"].map(cat.table["unit"])
    scale = unit.map(UNIT_SCALE).astype(float)
    den = rng.integers(1_000, 5_000, len(frame)).astype(float)
    num = np.floor(den * rng.uniform(0.80, 0.99, len(frame)))
    ratio = scale.notna()
    out = frame.copy()
    out["numerator"] = np.where(ratio, num, np.nan)
    out["denominator"] = np.where(ratio, den, np.nan)
    out["value"] = np.where(ratio, np.round(num / den * scale.fillna(1), 6),
                            np.where(unit.eq("binary"), 1.0, np.round(num, 0)))
    return out


def filled_submission(path: Path, years: list[int], regions: list[str], seed: int = 1,
                      drop_indicators: tuple[str, ...] = ()) -> Path:
    """Every unit's template rows for ``years`` and ``regions``, filled, as one CSV."""
    rows = pd.concat([expected_rows(u, y, regions=regions) for u in UNITS for y in years],
                     ignore_index=True)
    rows = rows[~rows["indicator"].isin(drop_indicators)].reset_index(drop=True)
    rows = fill_values(rows, seed)
    rows.columns = [TEMPLATE_COLUMNS.get(c, c) for c in rows.columns]
    rows.to_csv(path, index=False, encoding="utf-8-sig")
    return path
