"""Notebook-level helpers for the special-survey report (no estimation logic of their own).

They only combine :class:`workbench.survey.SurveyDesign` results into publishable tables:
loading a survey without identifiers, weight diagnostics, domain estimates with
reliability flags and tests of differences between domains.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..foundation.errors import WorkbenchError
from ._extras import flag_unreliable
from ._io import read_survey

IDENTIFIER_COLUMNS = ("child_id", "name", "id_number", "guardian_phone")


def survey_data(path: str | Path = "") -> pd.DataFrame:
    """The survey microdata WITHOUT identifier columns ("" = the synthetic demo survey).

    Reads .csv, or .sav/.dta/... via :func:`read_survey` (value codes kept).
    """
    if not str(path):
        from ..store.demo import load_survey

        data = load_survey()
    elif Path(path).suffix.lower() == ".csv":
        if not Path(path).is_file():
            raise WorkbenchError(f"Survey file not found: {path}", f"找不到调查文件：{path}")
        data = pd.read_csv(path)
    else:
        data = read_survey(path).data
    from ..protection.privacy import protect_identifiers

    # found by name and by content, dropped (record keys pseudonymised) on every load
    protected = protect_identifiers(data)
    return protected.drop(columns=[c for c in IDENTIFIER_COLUMNS if c in protected.columns])


def weight_diagnostics(**designs) -> pd.DataFrame:
    """Weight distribution per design: n, sum, min, median, max, CV and Kish's deff 1 + CV^2."""
    rows = []
    for name, design in designs.items():
        w = design.weights.to_numpy()
        w = w[w > 0]
        cv = w.std() / w.mean()
        # no "n"/"cv" columns: these describe weights, not estimates for disclosure control
        rows.append({"weights": name, "respondents": len(w), "sum": w.sum(), "min": w.min(),
                     "median": float(np.median(w)), "max": w.max(), "max_min_ratio": w.max()
                     / w.min(), "weight_cv": cv, "kish_deff": 1 + cv ** 2})
    return pd.DataFrame(rows)


def domain_estimates(design, variables, by_columns, lang: str = "en", max_cv: float = 0.30,
                     min_n: int = 30, names: dict | None = None) -> pd.DataFrame:
    """Means of ``variables`` in every domain of each ``by`` column, with reliability flags.

    Missing answers are a domain (``na_rm=True``); ``names`` maps domain codes to labels.
    """
    frames = []
    for by in by_columns:
        cols = by.split("*")  # "district*residence" crosses two classifications
        t = design.mean(list(variables), by=cols, na_rm=True, deff=True)
        labels = [t[c].map(lambda v: str((names or {}).get(v, v))) for c in cols]
        t = t.drop(columns=cols)
        t.insert(0, "domain", [" / ".join(parts) for parts in zip(*labels, strict=True)])
        t.insert(0, "by", by)
        frames.append(t)
    out = pd.concat(frames, ignore_index=True)
    return flag_unreliable(out, max_cv=max_cv, min_n=min_n, lang=lang)


def difference_tests(design, variables, by_columns) -> pd.DataFrame:
    """Rao-Scott F tests of each categorical variable (<= 10 levels) across single columns."""
    rows = []
    categorical = [v for v in variables if design.data[v].nunique() <= 10]
    for var in categorical:
        for by in (b for b in by_columns if "*" not in b):
            sub = design.subset(design.data[var].notna().to_numpy())
            res = sub.chisq(var, by)
            rows.append({"variable": var, "by": by, **res.to_dict()})
    return pd.DataFrame(rows)


def survey_margins(path: str | Path = "", columns: dict | None = None) -> dict:
    """Raking margins from a totals file (region, sex, age_group, population; "" = demo).

    ``columns`` maps a margin-file column to the survey column it calibrates (default
    region -> district, sex -> sex, age_group -> age_group).
    """
    if not str(path):
        from ..store.demo import load_survey_margins

        margins = load_survey_margins()
    else:
        if not Path(path).is_file():
            raise WorkbenchError(f"Margins file not found: {path}", f"找不到边际总数文件：{path}")
        margins = pd.read_csv(path, dtype={"region": str})
    columns = columns or {"region": "district", "sex": "sex", "age_group": "age_group"}
    missing = [c for c in [*columns, "population"] if c not in margins.columns]
    if missing:
        raise WorkbenchError(f"Margins file lacks columns {missing}.",
                             f"边际总数文件缺少列 {missing}。")
    return {survey_col: margins.groupby(col)["population"].sum().rename(survey_col)
            for col, survey_col in columns.items()}


def weight_plot(lang: str = "en", **designs):
    """Histograms of the weights of each design (e.g. before and after raking)."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 3.2))
    for name, design in designs.items():
        w = design.weights.to_numpy()
        ax.hist(w[w > 0], bins=40, alpha=0.55, label=name)
    ax.set_xlabel("权重" if lang == "zh" else "weight")
    ax.set_ylabel("受访儿童数" if lang == "zh" else "respondents")
    ax.legend()
    fig.tight_layout()
    return fig
