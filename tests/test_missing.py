"""workbench.missing: checks against R (naniar, BaylorEdPsych, mice) and hand-worked cases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from conftest import reference_dir
from workbench import missing as wm
from workbench.errors import WorkbenchError


@pytest.fixture(scope="module")
def employee():
    return pd.read_csv(reference_dir("missing") / "employee.csv")


@pytest.fixture(scope="module")
def nhanes():
    return pd.read_csv(reference_dir("missing") / "nhanes.csv")


# -- Little's test vs R -------------------------------------------------------------
def test_little_matches_r_on_employee(employee):
    # BaylorEdPsych::LittleMCAR / naniar::mcar_test: 14.63166, df 5, p 0.01205778, 4 patterns
    r = wm.little_mcar_test(employee)
    assert r.statistic == pytest.approx(14.63166, abs=1e-3)
    assert r.df == 5
    assert r.p_value == pytest.approx(0.01205778, abs=1e-6)
    assert r.n_patterns == 4
    assert r.n_rows == 20 and r.n_all_missing == 0


def test_little_em_estimates_are_ml(employee):
    # complete variable IQ: ML mean and (n-denominator) variance equal the sample ones
    r = wm.little_mcar_test(employee)
    assert r.mean["IQ"] == pytest.approx(employee["IQ"].mean(), rel=1e-8)
    assert r.cov.loc["IQ", "IQ"] == pytest.approx(employee["IQ"].var(ddof=0), rel=1e-6)
    assert np.allclose(r.cov, r.cov.T)


def test_little_monotone_closed_form():
    # x complete, y missing for some rows (monotone): the ML estimates have Anderson's (1957)
    # closed form (regression of y on x in complete cases), so d2 can be computed without EM
    rng = np.random.default_rng(3)
    x = rng.normal(size=400)
    y = 0.5 * x + rng.normal(size=400)
    y[x > 0.8] = np.nan  # MAR on x: must reject MCAR
    r = wm.little_mcar_test(pd.DataFrame({"x": x, "y": y}))
    cc = ~np.isnan(y)
    mux, sxx = x.mean(), x.var()
    c = np.cov(x[cc], y[cc], bias=True)
    beta = c[0, 1] / c[0, 0]
    resid = c[1, 1] - beta * c[0, 1]
    muy = y[cc].mean() + beta * (mux - x[cc].mean())
    mu = np.array([mux, muy])
    sigma = np.array([[sxx, beta * sxx], [beta * sxx, resid + beta**2 * sxx]])
    d = np.array([x[cc].mean(), y[cc].mean()]) - mu
    d2 = cc.sum() * d @ np.linalg.solve(sigma, d) + (~cc).sum() * (x[~cc].mean() - mux) ** 2 / sxx
    assert r.mean.to_numpy() == pytest.approx(mu, rel=1e-7)
    assert r.cov.to_numpy() == pytest.approx(sigma, rel=1e-6)
    assert r.statistic == pytest.approx(d2, rel=1e-6)
    assert r.df == 1 and r.n_patterns == 2
    assert r.p_value < 1e-6


def test_little_mcar_data_not_rejected_often():
    # under MCAR the p-value is uniform: about 5 % rejections at 0.05 (60 draws, <= 9)
    rng = np.random.default_rng(11)
    rejections = 0
    for _ in range(60):
        z = pd.DataFrame(rng.multivariate_normal([0, 0, 0], np.eye(3) + 0.3, size=150))
        z[z.abs() * 0 + rng.random(z.shape) < 0.15] = np.nan
        rejections += wm.little_mcar_test(z).p_value < 0.05
    assert rejections <= 9


# -- md.pattern vs mice --------------------------------------------------------------
def test_md_pattern_nhanes_matches_mice(nhanes):
    t = wm.md_pattern(nhanes)
    assert t.n_patterns == 5
    assert t.table["count"].iloc[:5].tolist() == [13, 3, 1, 1, 7]
    assert t.n_missing == 27
    # mice orders columns by increasing missingness: age 0, hyp 8, bmi 9, chl 10
    assert list(t.table.columns) == ["count", "age", "hyp", "bmi", "chl", "n_missing"]
    assert t.table.loc["total", ["age", "hyp", "bmi", "chl"]].tolist() == [0, 8, 9, 10]
    assert t.table[["age", "hyp", "bmi", "chl"]].iloc[:5].values.tolist() == [
        [1, 1, 1, 1], [1, 1, 1, 0], [1, 1, 0, 1], [1, 0, 0, 1], [1, 0, 0, 0]]
    assert t.table["n_missing"].iloc[:5].tolist() == [0, 1, 1, 2, 3]


def test_nhanes_little_runs_and_reports_patterns(nhanes):
    r = wm.little_mcar_test(nhanes)
    assert r.n_patterns == 5 and np.isfinite(r.statistic) and 0 <= r.p_value <= 1


# -- Rubin's rules vs mice::pool.scalar, worked by hand ----------------------------------
def test_pool_rubin_hand_example_small_sample():
    # Q = 1, 2, 3; U = 1: qbar 2, ubar 1, b 1, t = 1 + 4/3; lambda = (4/3)/(7/3) = 4/7
    # dfold = 2 / (4/7)^2 = 6.125; dfobs = 11/13 * 10 * 3/7 = 3.626374; df = 2.277786
    r = wm.pool_rubin([1.0, 2.0, 3.0], [1.0, 1.0, 1.0], dfcom=10)
    assert (r.qbar, r.ubar, r.b) == (2.0, 1.0, 1.0)
    assert r.t == pytest.approx(7 / 3)
    dfold, dfobs = 6.125, 11 / 13 * 10 * 3 / 7
    assert r.df == pytest.approx(dfold * dfobs / (dfold + dfobs), rel=1e-12)
    assert r.df == pytest.approx(2.277786, abs=1e-6)
    assert r.riv == pytest.approx(4 / 3)
    assert r.fmi == pytest.approx((4 / 3 + 2 / (r.df + 3)) / (7 / 3), rel=1e-12)


def test_pool_rubin_large_sample_uses_dfold():
    # m = 5, Q = 10,11,12,13,14 (b = 2.5), U = 4: t = 4 + 1.2*2.5 = 7; lambda = 3/7
    r = wm.pool_rubin([10, 11, 12, 13, 14], [4] * 5)
    assert r.t == pytest.approx(7.0)
    assert r.df == pytest.approx(4 / (3 / 7) ** 2)  # (m-1)/lambda^2 = 21.777...
    lo, hi = r.conf_int()
    assert lo < 12 < hi


def test_pool_rubin_no_between_variance_floors_lambda():
    # identical estimates: b = 0, mice floors lambda at 1e-4 so df stays finite
    r = wm.pool_rubin([1.0, 1.0, 1.0], [0.5, 0.5, 0.5], dfcom=30)
    assert r.b == 0 and np.isfinite(r.df)
    assert r.df == pytest.approx(
        (2 / 1e-8) * (31 / 33 * 30 * (1 - 1e-4)) / (2 / 1e-8 + 31 / 33 * 30 * (1 - 1e-4)))


def test_pool_rubin_vector_of_parameters():
    q = np.array([[1.0, 10], [2, 11], [3, 12]])
    r = wm.pool_rubin(q, np.ones_like(q), dfcom=10)
    assert r.qbar.tolist() == [2.0, 11.0]
    assert r.df[0] == pytest.approx(wm.pool_rubin([1.0, 2, 3], [1.0] * 3, dfcom=10).df)


# -- coverage of the demo panel ---------------------------------------------------------
@pytest.fixture(scope="module")
def demo_panel():
    from workbench.catalogue import load_catalogue
    from workbench.database import connect
    from workbench.regions import load_regions

    with connect() as db:
        obs = db.observations(breakdown=None)
    districts = list(load_regions().at_level("district").index)
    return obs, load_catalogue(), districts


def test_coverage_expected_cells_follow_catalogue(demo_panel):
    obs, cat, districts = demo_panel
    cov = wm.panel_coverage(obs, cat, districts, range(2020, 2026), ["H03", "H04"])
    # H03: total + sex(2) + age_group(0-2, 3-5) + residence(2) = 7 levels; H04: total + sex = 3
    expected = cov.share("indicator").set_index("indicator")["expected"]
    assert expected.to_dict() == {"H03": 7 * 13 * 6, "H04": 3 * 13 * 6}
    assert not cov.cells.duplicated(["indicator", "region", "year", "breakdown",
                                     "level"]).any()
    # observed cells equal the distinct non-missing rows of the database in the grid
    rows = obs[obs["indicator"].isin(["H03", "H04"]) & obs["value"].notna()]
    assert cov.cells["observed"].sum() == len(rows.drop_duplicates(
        ["indicator", "region", "year", "sex", "age_group", "residence", "hukou"]))


def test_planted_never_collected_in_gap_list(demo_panel):
    from workbench.demo import load_planted

    obs, cat, districts = demo_panel
    cov = wm.panel_coverage(obs, cat, districts, range(2020, 2026))
    gaps = wm.coverage_gaps(cov, threshold=0.5)
    planted = set(load_planted().query("kind == 'never_collected'")["indicator"])
    never = gaps[gaps["status"] == "never_collected"].set_index("indicator")
    assert planted == set(never.index) == {"H09", "H16", "S05", "F03", "V04"}
    assert never["responsible_unit"].to_dict() == cat.table.loc[
        sorted(planted), "responsible_unit"].to_dict()
    assert never["source_type"].to_dict() == cat.table.loc[sorted(planted),
                                                              "source_type"].to_dict()
    assert (never["coverage"] == 0).all()


def test_planted_mar_gaps_lower_coverage(demo_panel):
    from workbench.demo import load_planted

    obs, cat, districts = demo_panel
    cov = wm.panel_coverage(obs, cat, districts, range(2020, 2026))
    by = cov.share(["indicator", "breakdown"]).query("breakdown == 'total'")
    by = by.set_index("indicator")["coverage"]
    mar = set(load_planted().query("kind == 'mar'")["indicator"])
    assert (by[sorted(mar)] < 1).all()


# -- panel imputation ------------------------------------------------------------------
def _toy_panel():
    # two districts, linear series 1..5 and 10..50 with holes; a third with no data
    return pd.DataFrame({
        "indicator": "H04", "region": ["210102"] * 3 + ["210103"] * 4,
        "year": [2020, 2022, 2024, 2020, 2021, 2023, 2024],
        "value": [1.0, 3.0, 5.0, 10.0, 20.0, 40.0, 50.0]})


def test_interpolate_inside_series_only():
    out = wm.impute_panel(_toy_panel(), "interpolate", years=list(range(2020, 2025)))
    imp = out[out["imputed"]].set_index(["region", "year"])["value"]
    assert imp.to_dict() == {("210102", 2021): 2.0, ("210102", 2023): 4.0,
                             ("210103", 2022): 30.0}


def test_locf_only_when_asked():
    panel = _toy_panel()
    years = list(range(2020, 2027))
    plain = wm.impute_panel(panel, "interpolate", years=years)
    assert plain.query("year > 2024").empty  # no extrapolation by default
    carried = wm.impute_panel(panel, "interpolate", years=years, locf=True)
    tail = carried.query("year > 2024").set_index(["region", "year"])["value"]
    assert tail.to_dict() == {("210102", 2025): 5.0, ("210102", 2026): 5.0,
                              ("210103", 2025): 50.0, ("210103", 2026): 50.0}
    locf = wm.impute_panel(panel, "locf", years=years).query("imputed")
    assert locf.set_index(["region", "year"]).loc[("210102", 2021), "value"] == 1.0


@pytest.mark.parametrize("method", wm.PANEL_METHODS)
def test_imputation_never_alters_observed(method):
    rng = np.random.default_rng(5)
    regions = [f"r{i}" for i in range(30)]
    base = rng.normal(50, 10, size=(30, 1)) + np.arange(6) * rng.normal(1, 0.3, size=(30, 1))
    panel = pd.DataFrame(base, index=regions, columns=range(2020, 2026)).stack()
    panel = panel.rename("value").rename_axis(["region", "year"]).reset_index()
    panel["indicator"] = "H04"
    panel = panel[rng.random(len(panel)) > 0.2]
    out = wm.impute_panel(panel, method, regions=regions)
    observed = out[~out["imputed"]].merge(panel, on=["indicator", "region", "year"])
    assert len(observed) == len(panel)
    assert (observed["value_x"] == observed["value_y"]).all()
    assert (out.loc[out["imputed"], "method"] == method).all()
    assert not out.duplicated(["indicator", "region", "year"]).any()


def test_cross_sectional_borrowing_recovers_similar_district():
    # district r0 follows r1 exactly; KNN with k=1 must fill r0's hole with r1's value
    years = list(range(2020, 2026))
    vals = {"r0": [1, 2, None, 4, 5, 6], "r1": [1, 2, 3, 4, 5, 6],
            "r2": [50, 40, 30, 20, 10, 0]}
    rows = [(r, y, v) for r, vs in vals.items() for y, v in zip(years, vs, strict=True)]
    panel = pd.DataFrame(rows, columns=["region", "year", "value"]).dropna()
    out = wm.impute_panel(panel.assign(indicator="H04"), "knn", k=1)
    assert out.query("imputed")["value"].tolist() == [3.0]


def test_evaluate_by_masking_scores_each_method(demo_panel):
    obs, cat, districts = demo_panel
    sub = obs[obs["indicator"].isin(["F04", "H08", "E01"])]
    ev = wm.evaluate_by_masking(sub, ("interpolate", "knn"), regions=districts, seed=1)
    assert set(ev["method"]) == {"interpolate", "knn"}
    assert set(ev["indicator"]) == {"F04", "H08", "E01"}
    assert (ev["rmse"] >= ev["mae"]).all() and (ev["n_masked"] > 0).all()
    assert ev["filled"].between(0, 1).all()


def test_masking_error_is_zero_on_linear_series():
    # exact linear trends: interpolation recovers every hidden interior value exactly
    regions = [f"r{i}" for i in range(20)]
    panel = pd.DataFrame([(r, y, i + 2.0 * (y - 2020)) for i, r in enumerate(regions)
                          for y in range(2020, 2030)], columns=["region", "year", "value"])
    ev = wm.evaluate_by_masking(panel.assign(indicator="H04"), ("interpolate",), seed=2)
    assert ev.loc[0, "mae"] == pytest.approx(0, abs=1e-12)
    assert ev.loc[0, "filled"] < 1  # masked first/last years cannot be interpolated


# -- flags, shares, database ----------------------------------------------------------
def test_flags_and_share_imputed():
    out = wm.impute_panel(_toy_panel(), "interpolate", years=list(range(2020, 2025)))
    share = wm.share_imputed(out).set_index("indicator")
    assert share.loc["H04", "n_imputed"] == 3 and share.loc["H04", "n_cells"] == 10
    table, note = wm.flag_values(out, lang="zh")
    assert table.loc["210102", 2021] == "2.0" + wm.IMPUTED_MARK
    assert table.loc["210102", 2020] == "1.0"
    assert wm.IMPUTED_MARK in note and "interpolate" in note


def test_write_imputed_to_a_copy(tmp_path, demo_panel):
    from workbench.config import paths
    from workbench.database import connect

    obs, cat, districts = demo_panel
    src = paths().database
    before = src.stat().st_mtime_ns
    sub = obs[(obs["indicator"] == "F04") & obs[["sex", "age_group", "residence",
                                                  "hukou"]].eq("total").all(axis=1)]
    out = wm.impute_panel(sub, "interpolate", regions=districts)
    n_imp = int(out["imputed"].sum())
    assert n_imp > 0
    dest = wm.write_imputed(out, src, tmp_path / "imputed.duckdb")
    assert src.stat().st_mtime_ns == before
    with connect(dest) as db:
        got = db.observations(indicators=["F04"])
    assert int(got["imputed"].sum()) == n_imp
    kept = got[~got["imputed"]].merge(sub, on=["region", "year"])
    assert (kept["value_x"] == kept["value_y"]).all() and len(kept) == len(sub)
    with pytest.raises(WorkbenchError, match="must differ"):
        wm.write_imputed(out, src, src)


# -- survey item imputation and diagnostics ----------------------------------------------
def test_hotdeck_within_classes_uses_class_donors():
    rng = np.random.default_rng(0)
    d = pd.DataFrame({"g": np.repeat(["a", "b"], 50),
                      "y": np.r_[rng.normal(0, 1, 50), rng.normal(100, 1, 50)]})
    d.loc[rng.random(100) < 0.3, "y"] = np.nan
    out = wm.impute_survey(d, ["y"], "hotdeck", by="g", seed=1)
    filled = out[out["imputed_y"]]
    assert out["y"].notna().all() and len(filled) == d["y"].isna().sum()
    assert (filled.query("g == 'a'")["y"] < 50).all() and (filled.query("g == 'b'")["y"] > 50).all()
    assert set(filled["y"]) <= set(d["y"].dropna())  # donors' values only
    assert (out.loc[~out["imputed_y"], "y"] == d.loc[d["y"].notna(), "y"]).all()


def test_compare_groups_and_logit_detect_mar():
    rng = np.random.default_rng(4)
    n = 2000
    x = rng.normal(size=n)
    y = x + rng.normal(size=n)
    y[rng.random(n) < 1 / (1 + np.exp(-(x - 1) * 2))] = np.nan
    d = pd.DataFrame({"x": x, "y": y})
    cmp_ = wm.compare_groups(d, "y", ["x"]).iloc[0]
    assert cmp_["mean_missing"] > cmp_["mean_observed"] and cmp_["p_value"] < 1e-6
    assert cmp_["n_missing"] + cmp_["n_observed"] == n
    fit = wm.missingness_model(d, "y", ["x"]).set_index("term")
    assert fit.loc["x", "coef"] == pytest.approx(2.0, abs=0.3)  # true slope of the logit
    assert fit.loc["const", "coef"] == pytest.approx(-2.0, abs=0.3)


def test_plots_render(demo_panel):
    from workbench.geo import load_boundaries
    from workbench.regions import load_regions

    obs, cat, districts = demo_panel
    cov = wm.panel_coverage(obs, cat, districts, range(2020, 2026))
    assert wm.coverage_heatmap(cov, lang="en").axes
    fig = wm.coverage_choropleth(cov, load_boundaries(), lang="zh")
    assert fig.axes
    out = wm.impute_panel(obs[obs["indicator"] == "F04"], regions=districts)
    names = load_regions().names("en")
    ax = wm.imputed_series_plot(out, "F04", names, lang="en").axes[0]
    hollow = [ln for ln in ax.lines if ln.get_markerfacecolor() == "white"]
    assert len(hollow) >= 1
    assert wm.missing_matrix_plot(pd.DataFrame({"a": [1, None]}), lang="en").axes
