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


# ---- defect 1: post-stratification with unequal weights within post-strata ----------------
def test_poststratify_unequal_weights():
    pop = api("apipop")["awards"].value_counts().astype(float)  # table(apipop$awards)
    ps = dstrat().poststratify("awards", pop)
    check(ps.mean("api00"), "strat_ps_mean")
    check(ps.total("enroll"), "strat_ps_total")
    race = pd.Series({1: 8e7, 2: 4e7, 3: 1.5e8, 4: 1.5e7})
    check(dnh().poststratify("race", race).mean("HI_CHOL", na_rm=True), "nhanes_ps_mean")


# ---- defect 2: trimming shares the trimmed amount equally -----------------------------------
def test_trim_weights_equal_share():
    tr = dstrat().trim_weights(upper=40, lower=20)  # one pass suffices: strict or not
    close(tr.weights, "strat_trim", "weights")
    check(tr.mean("api00"), "strat_trim_mean")
    trn = dnh().trim_weights(upper=60000)  # strict=True (the default), as R strict=TRUE
    w = trn.weights.to_numpy()
    close((w ** 2).sum(), "nhanes_trim", "weights_sumsq")
    close(w.max(), "nhanes_trim", "weights_max")
    check(trn.mean("HI_CHOL", na_rm=True), "nhanes_trim_mean")


# ---- defect 3: replicate designs ------------------------------------------------------------
def test_jk1_with_fpc_and_jkn():
    r = dclus1().to_replicate("JK1")
    check(r.mean("api00"), "rclus1_mean")
    check(r.total("enroll"), "rclus1_total")
    close(r._rep.scale, "rclus1", "scale")
    close(r.df, "rclus1", "df")
    j = dstrat().to_replicate("JKn")
    check(j.mean("api00"), "rstrat_jkn_mean")
    check(j.total("enroll"), "rstrat_jkn_total")


def _jk1_columns():
    d = SurveyDesign(api("apiclus1"), psu="dnum", weights="pw").to_replicate("JK1")
    cols = [f"rw{i}" for i in range(d._rep.weights.shape[1])]
    # R orders the replicates by first appearance of the PSU (rscales differ by replicate)
    seen = np.searchsorted(np.sort(api("apiclus1")["dnum"].unique()),
                           pd.unique(api("apiclus1")["dnum"]))
    data = pd.concat([api("apiclus1"), pd.DataFrame(d._rep.weights[:, seen], columns=cols)],
                     axis=1)
    return data, cols


def test_user_replicates_scale_rscales_mse():
    data, cols = _jk1_columns()
    u1 = SurveyDesign(data, weights="pw", replicate_weights=cols, replicate_type="JK1",
                      scale=14 / 15 * 0.7)
    check(u1.total("enroll"), "user_jk1_scale_total")
    check(u1.mean("api00"), "user_jk1_scale_mean")
    u2 = SurveyDesign(data, weights="pw", replicate_weights=cols, replicate_type="JK1", mse=True)
    check(u2.mean("api00"), "user_jk1_mse_mean")
    u3 = SurveyDesign(data, weights="pw", replicate_weights=cols, replicate_type="other",
                      scale=0.5, rscales=np.linspace(0.5, 1.2, 15))
    check(u3.mean("api00"), "user_other_rscales_mean")


def test_bootstrap_from_given_columns():
    data = api("apiclus1")
    mult = pd.read_csv(HERE / "boot_clus1.csv").set_index("dnum")
    reps = mult.loc[data["dnum"]].to_numpy()
    cols = [f"b{i}" for i in range(reps.shape[1])]
    data = pd.concat([data, pd.DataFrame(reps, columns=cols)], axis=1)
    d = SurveyDesign(data, weights="pw", replicate_weights=cols, replicate_type="bootstrap",
                     combined_weights=False, scale=ref("boot_clus1", "scale").item())
    check(d.mean("api00"), "boot_clus1_mean")
    check(d.total("enroll"), "boot_clus1_total")


def _nh2():
    return nhanes()[nhanes()["SDMVSTRA"] != 86].reset_index(drop=True)


def test_brr_and_fay_match_r_hadamard():
    d = dnh(_nh2())
    brr = d.to_replicate("BRR")
    check(brr.mean("HI_CHOL", na_rm=True), "nhanes_brr_mean")
    check(brr.total("HI_CHOL", na_rm=True), "nhanes_brr_total")
    close(brr.df, "nhanes_brr", "df")
    fay = d.to_replicate("Fay", fay_rho=0.3)
    check(fay.mean("HI_CHOL", na_rm=True), "nhanes_fay_mean")
    check(fay.total("HI_CHOL", na_rm=True), "nhanes_fay_total")
    # the same multipliers as R's brrweights, PSU by PSU
    r_mult = pd.read_csv(HERE / "brr_nhanes.csv").set_index(["SDMVSTRA", "SDMVPSU"])
    ours = brr._rep.weights / d._w[:, None]
    keys = pd.MultiIndex.from_frame(_nh2()[["SDMVSTRA", "SDMVPSU"]])
    np.testing.assert_array_equal(ours, r_mult.loc[keys].to_numpy())


def test_weighting_a_replicate_design_reweights_each_replicate():
    r = dclus1().to_replicate("JK1")
    ps = r.poststratify("stype", POP_STYPE)
    check(ps.total("enroll"), "rclus1_ps_total")
    check(ps.mean("api00"), "rclus1_ps_mean")
    rk = r.rake({"stype": POP_STYPE, "sch.wide": POP_SW}, tol=1e-13, maxit=500)
    check(rk.total("enroll"), "rclus1_rake_total")
    check(rk.mean("api00"), "rclus1_rake_mean")
    cal = r.calibrate({"stype": POP_STYPE, "api99": 3914069})
    check(cal.total("enroll"), "rclus1_cal_total")
    check(cal.mean("api00"), "rclus1_cal_mean")
    calb = r.calibrate({"stype": POP_STYPE, "api99": 3914069}, calfun="raking", bounds=(0.3, 3))
    check(calb.total("enroll"), "rclus1_calrake_total")


# ---- weighting: rake, calibrate with calfun and bounds, explicit intercept ------------------
def test_rake_linearised():
    rk = dclus1().rake({"stype": POP_STYPE, "sch.wide": POP_SW}, tol=1e-13, maxit=500)
    check(rk.mean("api00"), "clus1_rake_mean")
    check(rk.total("enroll"), "clus1_rake_total")


@pytest.mark.parametrize("calfun", ["linear", "raking", "logit"])
def test_calibrate_calfun_bounds(calfun):
    c = dclus1().calibrate({"stype": POP_STYPE, "api99": 3914069}, calfun=calfun,
                           bounds=(0.7, 1.7))
    close(c.weights, f"cal_{calfun}", "weights")
    check(c.mean("api00"), f"cal_{calfun}_mean")
    check(c.total("enroll"), f"cal_{calfun}_total")


def test_calibrate_raking_without_bounds_and_explicit_intercept():
    c = dclus1().calibrate({"stype": POP_STYPE, "api99": 3914069}, calfun="raking")
    check(c.total("enroll"), "cal_raking_nobounds_total")
    ci = dclus1().calibrate({"api99": 3914069}, intercept=6194)
    check(ci.mean("api00"), "cal_intercept_mean")
    check(ci.total("enroll"), "cal_intercept_total")
    cs = dstrat().calibrate({"api99": 3914069}, intercept=6194)
    check(cs.total("enroll"), "cal_strat_intercept_total")


def test_calibration_that_cannot_meet_its_bounds_is_an_error():
    assert ref("cal_infeasible", "failed").item() == 1  # R: "Calibration failed"
    with pytest.raises(ValueError,
                       match=r"(?s)Calibration failed.*bounds=\(0.95, 1.05\).*校准失败"):
        dclus1().calibrate({"stype": POP_STYPE, "api99": 3914069}, bounds=(0.95, 1.05))


# ---- defects 4 and 5: each domain's df; Woodruff limits outside [0, 1] ----------------------
@pytest.mark.parametrize("name", ["clus1", "strat"])
def test_quantile_and_proportion_by_use_domain_df(name):
    d = dclus1() if name == "clus1" else dstrat()
    q = d.quantile("api00", [0.5], by="stype")
    check(q, f"{name}_median_by_stype", ("estimate", "se", "ci_low", "ci_high", "df"))
    p = d.proportion("sch.wide", by="stype")
    check(p[p["level"] == "Yes"], f"{name}_prop_by_stype",
          ("estimate", "se", "ci_low", "ci_high", "df"))


def test_woodruff_limits_outside_unit_interval_are_nan():
    q = dclus1().quantile("api00", [0.01, 0.25, 0.5, 0.99])
    check(q, "clus1_quantiles", ("estimate", "se", "ci_low", "ci_high"))
    assert q["note"].tolist()[0] == "lower limit below the sample minimum"
    assert q["note"].tolist()[1:3] == ["", ""]


# ---- svyciprop, svychisq --------------------------------------------------------------------
@pytest.mark.parametrize("method", ["logit", "likelihood", "beta", "asin", "xlogit", "mean"])
def test_ciprop_methods(method):
    for d, name, var, value in ((dclus1(), "clus1", "sch.wide", "Yes"),
                                (dstrat(), "strat", "sch.wide", "Yes"),
                                (dclus1(), "clus1H", "stype", "H")):
        p = d.ciprop(var, value, method=method)
        case = f"ciprop_{name}_{method}"
        # R's logit and likelihood fits are IRLS (converged to 1e-11 here)
        rel = 1e-6 if method in ("logit", "likelihood") else 1e-9
        close(p["estimate"], case, "estimate", rel)
        close(p["se"], case, "se")
        close([p["ci_low"].item(), p["ci_high"].item()], case, "ci")


@pytest.mark.parametrize("statistic", ["F", "Chisq", "Wald", "adjWald"])
@pytest.mark.parametrize("name", ["clus1", "strat", "rclus1"])
def test_chisq_statistics(statistic, name):
    d = {"clus1": dclus1, "strat": dstrat,
         "rclus1": lambda: dclus1().to_replicate("JK1")}[name]()
    out = d.chisq("sch.wide", "stype", statistic=statistic)
    case = f"chisq_{name}_{statistic}"
    close(out["statistic"], case, "statistic")
    close(out["p_value"], case, "p_value")
    params = [out["ndf"]] if statistic == "Chisq" else [out["ndf"], out["ddf"]]
    close(params, case, "parameter")


def test_chisq_nhanes_and_pearson_scale():
    out = dnh().chisq("race", "agecat")
    close(out["statistic"], "chisq_nhanes_F", "statistic")
    close([out["ndf"], out["ddf"]], "chisq_nhanes_F", "parameter")
    close(dclus1().chisq("sch.wide", "stype")["chisq"], "pearson_clus1", "statistic")
