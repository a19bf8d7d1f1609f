"""workbench.survey against values written by R survey 4.1.1 (tests/reference/survey/).

``make_reference.R`` wrote ``values.csv`` (case, stat, i, value); these tests read it and
never call R.  Estimates, SEs, intervals, df and test statistics agree to 1e-6 relative.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import reference_dir
from workbench.survey import SurveyDesign

REL = 1e-6
HERE = Path(__file__).parent / "reference" / "survey"
POP_STYPE = pd.Series({"E": 4421.0, "H": 755.0, "M": 1018.0})
POP_SW = pd.Series({"No": 1200.0, "Yes": 4994.0})


@cache
def _values() -> pd.DataFrame:
    return pd.read_csv(HERE / "values.csv")


def ref(case: str, stat: str) -> np.ndarray:
    v = _values()
    out = v[(v["case"] == case) & (v["stat"] == stat)].sort_values("i")["value"]
    assert len(out), f"no reference value {case}/{stat}"
    return out.to_numpy(dtype=float)


def close(actual, case: str, stat: str, rel: float = REL) -> None:
    expected = ref(case, stat)
    actual = np.atleast_1d(np.asarray(actual, dtype=float))
    assert actual.shape == expected.shape, (case, stat)
    # atol only matters for SEs that are exactly 0 in R (domains of one PSU): 1e-13 here
    np.testing.assert_allclose(actual, expected, rtol=rel, atol=1e-9, equal_nan=True,
                               err_msg=f"{case}/{stat}")


def check(table: pd.DataFrame, case: str, stats=("estimate", "se")) -> None:
    for s in stats:
        close(table[s], case, s)


@cache
def api(name: str) -> pd.DataFrame:
    return pd.read_csv(reference_dir("survey") / f"{name}.csv")


@cache
def nhanes() -> pd.DataFrame:
    return pd.read_csv(HERE / "nhanes.csv")


def dstrat():
    return SurveyDesign(api("apistrat"), strata="stype", weights="pw", fpc="fpc")


def dclus1():
    return SurveyDesign(api("apiclus1"), psu="dnum", weights="pw", fpc="fpc")


def dnh(data=None):
    return SurveyDesign(nhanes() if data is None else data, strata="SDMVSTRA", psu="SDMVPSU",
                        weights="WTMEC2YR", nest=True)


# ---- designs ------------------------------------------------------------------------------
def test_stratified_and_cluster_designs_with_deff_and_intervals():
    for design, name in ((dstrat(), "strat"), (dclus1(), "clus1")):
        check(design.mean("api00", deff=True), f"{name}_mean",
              ("estimate", "se", "deff", "ci_low", "ci_high"))
        check(design.total("enroll", deff=True), f"{name}_total",
              ("estimate", "se", "deff", "ci_low", "ci_high"))
        close(design.df, f"{name}_mean", "df")


def test_two_stage_cluster_with_fpc():
    d = SurveyDesign(api("apiclus2"), psu=["dnum", "snum"], fpc=["fpc1", "fpc2"])
    check(d.mean("api00"), "clus2_mean", ("estimate", "se", "ci_low", "ci_high"))
    check(d.total("enroll", na_rm=True), "clus2_total", ("estimate", "se", "ci_low", "ci_high"))
    close(d.df, "clus2_mean", "df")


def test_nested_psus_nhanes():
    d = dnh()
    check(d.mean("HI_CHOL", na_rm=True), "nhanes_mean", ("estimate", "se", "ci_low", "ci_high"))
    check(d.total("HI_CHOL", na_rm=True), "nhanes_total")
    close(d.df, "nhanes_mean", "df")
    check(d.mean("HI_CHOL", by="race", na_rm=True), "nhanes_by_race")


@pytest.mark.parametrize("option", ["remove", "certainty", "adjust", "average"])
def test_lonely_psu_options(option):
    d = SurveyDesign(api("apiclus1"), strata="dnum", weights="pw", lonely_psu=option)
    check(d.mean("api00"), f"lonely_{option}")
    check(d.total("enroll"), f"lonely_total_{option}")


def test_deff_replace():
    check(dclus1().mean("api00", deff="replace"), "clus1_mean_replace", ("estimate", "se", "deff"))
    check(dclus1().total("enroll", deff="replace"), "clus1_total_replace",
          ("estimate", "se", "deff"))
    check(dstrat().mean("api00", deff="replace"), "strat_mean_replace", ("estimate", "se", "deff"))


def test_domains_with_few_psus():
    d = dclus1()
    by = d.mean("api00", by="cname")
    check(by, "clus1_by_cname")
    close(d._domain_df(*_codes(d, "cname")), "clus1_by_cname", "df")


def _codes(d, by):
    dom, labels = d._domains(by, np.ones(len(d.data), bool), False)
    return dom, len(labels)


# ---- factors and svyvar -------------------------------------------------------------------
def test_factor_mean_and_total():
    check(dclus1().mean("stype", deff=True), "clus1_mean_stype", ("estimate", "se", "deff"))
    check(dstrat().total("stype", deff=True), "strat_total_stype", ("estimate", "se", "deff"))
    by = dclus1().mean("sch.wide", by="stype")
    for level in "EHM":
        check(by[by["stype"] == level], f"clus1_schwide_{level}")


def test_svyvar():
    check(dclus1().var("api00"), "clus1_var")
    check(dstrat().var("enroll", na_rm=True), "strat_var")
