"""Simulated child population by district, year, sex and age group, and the simulation context."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

# one definition of the resident ID check digit (ISO 7064 MOD 11-2), shared with the detector
from ...foundation.catalogue import AGE_GROUPS
from ._common import (
    _BIRTH_KNOTS,
    _CHILDREN_2020,
    _LEVELS,
    _MIGRATION,
)


# -- population -----------------------------------------------------------------------
def _population_array(urb: np.ndarray, years: np.ndarray, rng: np.random.Generator,
                      ) -> np.ndarray:
    """Children by district x year x sex x age group, shape (R, Y, 2, 5)."""
    n_reg = len(urb)
    lo_hi = np.array([_CHILDREN_2020[u] for u in urb], dtype=float)
    total0 = rng.uniform(lo_hi[:, 0], lo_hi[:, 1])
    ages = np.arange(18)
    birth_year = years[:, None] - ages[None, :]  # (Y, 18)
    index = np.interp(birth_year, *_BIRTH_KNOTS)
    cohort = total0 / index[0].sum()
    drift = np.array([_MIGRATION[u] for u in urb]) + rng.normal(0, 0.003, n_reg)
    growth = (1 + drift)[:, None] ** (years - years[0])[None, :]
    first = birth_year.min()
    noise = np.exp(rng.normal(0, 0.02, (n_reg, birth_year.max() - first + 1)))
    single = (cohort[:, None, None] * index[None] * growth[:, :, None]
              * noise[:, birth_year - first])  # (R, Y, 18)
    groups = np.add.reduceat(single, [0, 3, 6, 12, 15], axis=2)
    male_share = (0.515 + rng.normal(0, 0.004, n_reg))[:, None, None]
    return np.stack([np.rint(groups * male_share), np.rint(groups * (1 - male_share))], axis=2)


def _population_frame(pop: np.ndarray, codes: np.ndarray, years: np.ndarray) -> pd.DataFrame:
    idx = pd.MultiIndex.from_product([codes, years, _LEVELS["sex"], AGE_GROUPS],
                                     names=["region", "year", "sex", "age_group"])
    frame = pd.DataFrame({"population": pop.ravel().astype(np.int64)}, index=idx).reset_index()
    return frame.astype({"region": str, "year": np.int64, "sex": str, "age_group": str})


# -- the simulation context ---------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class _Context:
    codes: np.ndarray          # (R,) district codes
    urb: np.ndarray            # (R,) urbanisation
    years: np.ndarray          # (Y,)
    pop: np.ndarray            # (R, Y, 2, 5)
    urban_share: np.ndarray    # (R,)
    migrant_share: np.ndarray  # (R,)
    child_share: np.ndarray    # (R,) children / total population
    units: dict                # denominator kind -> (R, Y) counts not derived from people
    sample: np.ndarray         # (R, Y) survey sample sizes for survey-sourced indicators

    @property
    def t(self) -> np.ndarray:
        return (self.years - self.years[0]).astype(float)


def _context(codes: np.ndarray, urb: np.ndarray, years: np.ndarray, pop: np.ndarray,
             rng: np.random.Generator) -> _Context:
    n_reg, n_year = len(codes), len(years)
    is_u, is_s = urb == "urban", urb == "suburban"
    urban_share = np.where(is_u, 1.0, np.where(is_s, rng.uniform(0.55, 0.75, n_reg),
                                               rng.uniform(0.25, 0.45, n_reg)))
    migrant = np.where(is_u, rng.uniform(0.12, 0.2, n_reg),
                       np.where(is_s, rng.uniform(0.15, 0.28, n_reg),
                                rng.uniform(0.03, 0.08, n_reg)))
    children = pop.sum(axis=(2, 3))  # (R, Y)
    shape = (n_reg, n_year)

    def fixed(base: np.ndarray, lo: int, hi: int) -> np.ndarray:
        step = np.rint(rng.normal(0, 0.02, shape).cumsum(axis=1) * base[:, None])
        return np.clip(base[:, None] + step, lo, hi)

    units = {
        "schools": fixed(np.clip(np.rint(children[:, 0] / 1_100 * rng.uniform(0.85, 1.15, n_reg)),
                                 20, 120), 20, 120),
        "communities": fixed(np.clip(np.rint(children[:, 0] / 600 * rng.uniform(0.8, 1.2, n_reg)),
                                     30, 200), 30, 200),
        "inspections": np.rint(rng.uniform(150, 600, n_reg)[:, None]
                               * rng.uniform(0.85, 1.15, shape)),
        "cases": np.rint(rng.uniform(40, 250, n_reg)[:, None] * rng.uniform(0.8, 1.2, shape)),
    }
    return _Context(codes=codes, urb=urb, years=years, pop=pop, urban_share=urban_share,
                    migrant_share=migrant, child_share=rng.uniform(0.10, 0.14, n_reg),
                    units=units, sample=np.rint(rng.uniform(350, 700, shape)))


