"""The data a missing-data notebook analyses: the monitoring panel or the survey."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..foundation.errors import WorkbenchError
from . import _plots as _plots
from ._common import _check_columns

# -- data for the notebook ------------------------------------------------------------
SURVEY_IDENTIFIERS = ("child_id", "name", "id_number", "guardian_phone")


def load_dataset(dataset: str, variables: list[str] | None = None,
                 indicators: list[str] | None = None, years: list[int] | None = None
                 ) -> pd.DataFrame:
    """Numeric table for the diagnostics: ``"survey"`` (demo survey items), ``"panel"``
    (district-year rows x indicator totals from the database) or a CSV path.

    Identifier columns of the survey are never returned.
    """
    if dataset == "panel":
        from ..store.database import connect

        with connect() as db:
            obs = db.observations(indicators=indicators, years=years, breakdown="total")
        return obs.pivot_table(index=["region", "year"], columns="indicator", values="value",
                               aggfunc="first")
    if dataset == "survey":
        from ..store.demo import load_survey

        data = load_survey()
    elif str(dataset).endswith(".csv") and Path(dataset).is_file():
        data = pd.read_csv(dataset)
    else:
        raise WorkbenchError(f"unknown dataset {dataset!r}; valid choices: panel, survey, or "
                             "the path of an existing .csv file",
                             f"未知数据集「{dataset}」；可选：panel、survey 或已有 .csv 文件路径")
    data = data.drop(columns=[c for c in SURVEY_IDENTIFIERS if c in data.columns])
    if variables:
        _check_columns(data, list(variables))
        data = data[list(variables)]
    return data
