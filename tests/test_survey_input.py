"""Bad input to workbench.survey: clear errors naming the problem, nothing dropped."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.errors import WorkbenchError
from workbench.survey import SurveyDesign, sample_size


@pytest.fixture
def df():
    return pd.DataFrame({"s": ["a"] * 4 + ["b"] * 4, "psu": [1, 1, 2, 2, 3, 3, 4, 4],
                         "y": [1.0, 2, 3, 4, 5, 6, 7, 8], "g": list("xyxyxyxy"),
                         "w": [2.0] * 8})


@pytest.mark.parametrize("bad", [np.nan, 0.0, -1.0])
def test_bad_weights(df, bad):
    df.loc[3, "w"] = bad
    with pytest.raises(WorkbenchError, match=r"Weights column 'w'.*rows \[3\]"):
        SurveyDesign(df, strata="s", psu="psu", weights="w")


def test_psu_shared_across_strata_needs_nest(df):
    df["psu"] = [1, 1, 2, 2, 1, 1, 2, 2]
    with pytest.raises(WorkbenchError, match="shared across strata.*nest=True"):
        SurveyDesign(df, strata="s", psu="psu", weights="w")
    d = SurveyDesign(df, strata="s", psu="psu", weights="w", nest=True)
    assert d.df == 4 - 2


def test_lonely_psu(df):
    df["psu"] = [1, 1, 2, 2, 3, 3, 3, 3]
    with pytest.raises(WorkbenchError, match="only one sampled unit.*: b. Choose lonely_psu"):
        SurveyDesign(df, strata="s", psu="psu", weights="w")
    se = {opt: SurveyDesign(df, strata="s", psu="psu", weights="w",
                            lonely_psu=opt).mean("y")["se"].item()
          for opt in ("adjust", "average", "certainty", "remove")}
    assert se["certainty"] == se["remove"] < se["average"]
    assert se["adjust"] > se["certainty"]
    with pytest.raises(WorkbenchError, match="choose one of fail, adjust"):
        SurveyDesign(df, strata="s", psu="psu", weights="w", lonely_psu="drop")


def test_by_all_missing(df):
    df["g"] = None
    d = SurveyDesign(df, strata="s", psu="psu", weights="w")
    with pytest.raises(WorkbenchError, match="by column 'g' has only missing"):
        d.mean("y", by="g")


def test_by_some_missing_needs_na_rm(df):
    df.loc[0, "g"] = None
    d = SurveyDesign(df, strata="s", psu="psu", weights="w")
    with pytest.raises(WorkbenchError, match="by column 'g' has 1 missing"):
        d.mean("y", by="g")
    assert d.mean("y", by="g", na_rm=True)["n"].tolist() == [3, 4]


def test_text_in_numeric_column(df):
    df["y"] = df["y"].astype(object)
    df.loc[5, "y"] = "n/a"
    d = SurveyDesign(df, strata="s", psu="psu", weights="w")
    with pytest.raises(WorkbenchError, match=r"Column 'y' must be numeric.*'n/a' at row 5"):
        d.mean("y")


def test_missing_analysis_value_names_column(df):
    df.loc[2, "y"] = np.nan
    d = SurveyDesign(df, strata="s", psu="psu", weights="w")
    with pytest.raises(WorkbenchError, match="'y' has 1 missing.*na_rm=True"):
        d.total("y")


def test_unknown_columns_and_design_gaps(df):
    with pytest.raises(WorkbenchError, match=r"design column\(s\) \['stratum'\].*Columns: s, psu"):
        SurveyDesign(df, strata="stratum", weights="w")
    df.loc[1, "s"] = None
    with pytest.raises(WorkbenchError, match="Design column 's'.*1 missing"):
        SurveyDesign(df, strata="s", psu="psu", weights="w")


def test_fpc_problems(df):
    df["N"] = [10, 10, 10, 11, 20, 20, 20, 20]
    with pytest.raises(WorkbenchError, match="not constant within stratum 'a'"):
        SurveyDesign(df, strata="s", psu="psu", weights="w", fpc="N")
    df["N"] = 1.5
    with pytest.raises(WorkbenchError, match="smaller than the 2 sampled units"):
        SurveyDesign(df, strata="s", psu="psu", weights="w", fpc="N")
    with pytest.raises(WorkbenchError, match="No weights"):
        SurveyDesign(df, strata="s", psu="psu")


def test_weighting_levels(df):
    d = SurveyDesign(df, strata="s", psu="psu", weights="w")
    with pytest.raises(WorkbenchError, match=r"levels of \['g'\] missing.*\['y'\]"):
        d.poststratify("g", pd.Series({"x": 10}))
    with pytest.raises(WorkbenchError, match=r"no respondents: \['z'\]"):
        d.poststratify("g", pd.Series({"x": 10, "y": 10, "z": 3}))
    with pytest.raises(WorkbenchError, match="whole sample"):
        d.subset(df["g"] == "x").rake({"s": pd.Series({"a": 1, "b": 2})})
    with pytest.raises(WorkbenchError, match="did not converge"):
        d.rake({"s": pd.Series({"a": 10, "b": 10}), "g": pd.Series({"x": 5, "y": 5})}, maxit=5)


def test_replicate_and_sample_size_choices(df):
    with pytest.raises(WorkbenchError, match="choose one of JK1, JKn, BRR, Fay, bootstrap, other"):
        SurveyDesign(df, weights="w", replicate_weights=["w"], replicate_type="JK3")
    with pytest.raises(WorkbenchError, match="exactly one of moe= or cv="):
        sample_size()
    with pytest.raises(WorkbenchError, match="response_rate=1.5"):
        sample_size(moe=0.05, response_rate=1.5)


# ---- issue 15: bad input is a clear error or a documented NaN, never a crash ----------------
@pytest.mark.parametrize("bad", [np.inf, -np.inf])
def test_infinite_weights_are_refused(df, bad):
    df.loc[2, "w"] = bad
    with pytest.raises(WorkbenchError, match=r"(?s)Weights column 'w' has 1 missing, infinite.*"
                                             r"rows \[2\].*权重列 'w'"):
        SurveyDesign(df, strata="s", psu="psu", weights="w")


def test_by_column_missing_for_a_whole_subset(df):
    df.loc[df["s"] == "a", "g"] = None
    d = SurveyDesign(df, strata="s", psu="psu", weights="w").subset(df["s"] == "a")
    with pytest.raises(WorkbenchError, match="by column 'g' has only missing values among"):
        d.mean("y", by="g", na_rm=True)
    with pytest.raises(WorkbenchError, match="by column 'g' has only missing values among"):
        d.quantile("y", by="g", na_rm=True)


def test_empty_domain_is_nan_not_zero(df):
    d = SurveyDesign(df, strata="s", psu="psu", weights="w")
    out = d.subset(np.zeros(len(df), bool)).mean("y").iloc[0]
    assert out["n"] == 0
    assert np.isnan(out["estimate"]) and np.isnan(out["se"])  # not an SE of 0
    tot = d.subset(np.zeros(len(df), bool)).total("y").iloc[0]
    assert np.isnan(tot["se"])
    with pytest.raises(WorkbenchError, match="No rows to split by"):
        d.subset(np.zeros(len(df), bool)).mean("y", by="g")


def test_replicate_weights_with_nan_or_bad_scale(df):
    df["r1"], df["r2"] = df["w"] * 1.1, df["w"] * 0.9
    df.loc[4, "r2"] = np.nan
    with pytest.raises(WorkbenchError, match=r"(?s)Replicate weight column 'r2' has 1 missing.*"
                                             r"rows \[4\].*复制权重列 'r2'"):
        SurveyDesign(df, weights="w", replicate_weights=["r1", "r2"], replicate_type="JK1")
    df.loc[4, "r2"] = 1.8
    with pytest.raises(WorkbenchError, match=r"scale=-1.0 must be positive"):
        SurveyDesign(df, weights="w", replicate_weights=["r1", "r2"], replicate_type="JK1",
                     scale=-1.0)
    with pytest.raises(WorkbenchError, match="replicate_type='JKn' needs rscales="):
        SurveyDesign(df, weights="w", replicate_weights=["r1", "r2"], replicate_type="JKn")
    with pytest.raises(WorkbenchError, match="rscales has length 3"):
        SurveyDesign(df, weights="w", replicate_weights=["r1", "r2"], replicate_type="JK1",
                     rscales=[1, 1, 1])


def test_replicate_nan_estimate_is_dropped_with_a_warning(df):
    # a replicate that deletes the only PSU of a domain has no estimate there (R drops it)
    d = SurveyDesign(df, strata="s", psu="psu", weights="w").to_replicate("JKn")
    with pytest.warns(UserWarning, match="replicates gave NaN results and were discarded"):
        out = d.subset(df["psu"] == 1).mean("y")
    assert out["n"].item() == 2 and np.isfinite(out["se"].item())


def test_weighting_choices(df):
    d = SurveyDesign(df, strata="s", psu="psu", weights="w")
    with pytest.raises(WorkbenchError, match="calfun='probit'; choose one of linear, raking"):
        d.calibrate({"s": pd.Series({"a": 10, "b": 10})}, calfun="probit")
    with pytest.raises(WorkbenchError, match="logit' needs finite bounds"):
        d.calibrate({"s": pd.Series({"a": 10, "b": 10})}, calfun="logit")
    with pytest.raises(WorkbenchError, match=r"bounds=\(1.2, 2\) must satisfy lower < 1"):
        d.calibrate({"s": pd.Series({"a": 10, "b": 10})}, bounds=(1.2, 2))
    with pytest.raises(WorkbenchError, match="deff='yes'; choose False, True or 'replace'"):
        d.mean("y", deff="yes")
    with pytest.raises(WorkbenchError, match="statistic='G'; choose one of F, Chisq, Wald"):
        d.chisq("g", "s", statistic="G")
    with pytest.raises(WorkbenchError, match="BRR/Fay need exactly 2 PSUs per stratum"):
        SurveyDesign(df.assign(psu=range(8)), strata="s", psu="psu", weights="w"
                     ).to_replicate("BRR")
