"""Deterministic, seeded SYNTHETIC demo data / 合成演示数据.

Everything this module produces is **synthetic**: invented from a random seed
for demonstration and testing, not real statistics of any district.  Names,
resident ID numbers and phone numbers in the survey microdata are fictitious
(the ID numbers are merely well-formed, with a valid check digit).  Every
DataFrame carries ``attrs["synthetic"] = True`` and ``attrs["note"]``.

:func:`generate_demo` builds, for the 13 districts of the region table:

- ``population``: children by district, year, sex and age group;
- ``observations``: the monitoring panel (indicator x district x year, with
  marginal breakdowns by sex, age group, residence and hukou), simulated from
  population-based denominators so that rates are as noisy as real district
  rates, with trends towards (or, where planted, away from) the targets;
- ``survey``: special-survey microdata from a stratified two-stage cluster
  sample, with design weights and item nonresponse;
- ``survey_margins``: known population totals for calibrating the survey;
- ``planted``: the ground truth of what was planted (off-track pairs and the
  three kinds of missingness), so that methods can be checked against it.

The same seed always gives identical frames.  Each indicator is simulated
from its own random stream (seed + indicator code), so adding an indicator to
the catalogue does not change the others.

Examples
--------
>>> import pandas as pd
>>> from workbench.demo import generate_demo
>>> from workbench import config
>>> cat = pd.read_csv(config.paths().catalogue, dtype=str, keep_default_na=False)
>>> reg = pd.read_csv(config.paths().regions, dtype=str, keep_default_na=False)
>>> demo = generate_demo(cat, reg, seed=1, n_children=2_000)
>>> demo.observations.attrs["synthetic"]
True
"""


__all__ = [
    "SYNTHETIC_NOTE", "AGE_GROUPS", "YEARS", "TARGET_YEAR", "SURVEY_AGE_GROUPS", "DEFAULT_SEED",
    "LIKERT_LABELS", "MULTI_RESPONSE", "OBSERVATION_COLUMNS", "SURVEY_COLUMNS",
    "DemoData", "generate_demo", "build_demo", "load_survey", "load_survey_margins",
    "load_planted",
]

from ...foundation.catalogue import AGE_GROUPS
from ._build import build_demo, generate_demo, load_planted, load_survey, load_survey_margins
from ._common import (
    DEFAULT_SEED,
    LIKERT_LABELS,
    MULTI_RESPONSE,
    OBSERVATION_COLUMNS,
    SURVEY_AGE_GROUPS,
    SURVEY_COLUMNS,
    SYNTHETIC_NOTE,
    TARGET_YEAR,
    YEARS,
    DemoData,
)
