"""SPSS/Stata/SAS survey files for :mod:`workbench.survey` (pyreadstat), value labels kept."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..foundation.errors import WorkbenchError

READERS = (".sav", ".zsav", ".dta", ".por", ".sas7bdat")


@dataclass
class SurveyFile:
    """An SPSS/Stata file: codes, labelled values and the codebook."""

    data: pd.DataFrame
    labelled: pd.DataFrame
    variable_labels: dict = field(default_factory=dict)
    value_labels: dict = field(default_factory=dict)

    def __repr__(self) -> str:
        return (f"SurveyFile({len(self.data):,} rows x {self.data.shape[1]} columns, "
                f"{len(self.value_labels)} labelled variables)")


def read_survey(path) -> SurveyFile:
    """Read .sav/.zsav/.por/.dta/.sas7bdat with pyreadstat, keeping value labels.

    ``data`` holds the codes (for estimation), ``labelled`` the same with value labels
    applied as ordered categories (for tables).
    """
    import pyreadstat

    path = Path(path)
    if path.suffix.lower() not in READERS:
        raise WorkbenchError(f"Cannot read {path.name}: use one of {', '.join(READERS)}.",
                             f"无法读取 {path.name}：支持 {', '.join(READERS)}。")
    if not path.is_file():
        raise WorkbenchError(f"Survey file not found: {path}", f"找不到调查文件：{path}")
    reader = {".sav": pyreadstat.read_sav, ".zsav": pyreadstat.read_sav,
              ".dta": pyreadstat.read_dta, ".por": pyreadstat.read_por,
              ".sas7bdat": pyreadstat.read_sas7bdat}[path.suffix.lower()]
    data, meta = reader(str(path))
    labels = {var: meta.value_labels[name] for var, name in
              meta.variable_to_label.items() if name in meta.value_labels}
    labelled = data.copy()
    for var, mapping in labels.items():
        codes = sorted(mapping)
        cats = pd.Categorical(data[var].map(mapping),
                              categories=[mapping[c] for c in codes], ordered=True)
        labelled[var] = cats
    names = dict(zip(meta.column_names, meta.column_labels or [], strict=False))
    return SurveyFile(data, labelled, {k: v for k, v in names.items() if v}, labels)
