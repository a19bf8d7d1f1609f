"""Regional comparisons: published reference values, hand-checked cases, the demo database."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from conftest import libpysal_example as _libpysal_example
from workbench import compare
from workbench.errors import WorkbenchError

GINI_MEXICO_1940 = 0.35372371173452849  # PySAL inequality docs, mexico.csv pcgdp1940


@pytest.fixture(scope="module")
def mexico():
    return pd.read_csv(_libpysal_example("mexico.csv"))


# ------------------------------------------------------------------- inequality
def test_gini_matches_published_mexico_value(mexico):
    assert compare.gini(mexico["pcgdp1940"]) == pytest.approx(GINI_MEXICO_1940, rel=1e-12)


def test_gini_unweighted_equals_pysal_inequality():
    inequality = pytest.importorskip("inequality")
    x = np.random.default_rng(1).lognormal(size=200)
    assert compare.gini(x) == pytest.approx(inequality.gini.Gini(x).g, rel=1e-12)


def test_weighted_gini_and_theil_equal_replicated_units():
    x = np.array([3.0, 1.0, 7.0, 2.0])
    w = np.array([2, 1, 3, 1])
    rep = np.repeat(x, w)
    assert compare.gini(x, w) == pytest.approx(compare.gini(rep), rel=1e-12)
    for kind in ("T", "L"):
        assert compare.theil(x, w, kind).value == pytest.approx(compare.theil(rep, kind=kind).value)


def test_gini_by_hand():
    # |1-3| over all ordered pairs with weights 3,1: 2*3*1*2 = 12; W=4, mean 1.5 -> 12/(2*16*1.5)
    assert compare.gini([1, 3], weights=[3, 1]) == pytest.approx(0.25)


def test_theil_t_and_decomposition_equal_pysal(mexico):
    inequality = pytest.importorskip("inequality")
    y, groups = mexico["pcgdp1940"].to_numpy(), mexico["hanson03"].to_numpy()
    ref = inequality.theil.TheilD(y, groups)
    got = compare.theil(y, groups=groups)
    assert got.value == pytest.approx(float(np.squeeze(ref.T)), rel=1e-12)
    assert got.between == pytest.approx(float(np.squeeze(ref.bg)), rel=1e-10)
    assert got.within == pytest.approx(float(np.squeeze(ref.wg)), rel=1e-10)


def test_theil_l_is_mean_log_deviation_and_decomposes():
    x = np.array([1.0, 2.0, 4.0, 8.0, 3.0])
    w = np.array([1.0, 2.0, 1.0, 3.0, 2.0])
    mu = np.average(x, weights=w)
    mld = np.average(np.log(mu / x), weights=w)
    res = compare.theil(x, w, kind="L", groups=list("aabbb"))
    assert res.value == pytest.approx(mld, rel=1e-12)
    assert res.between + res.within == pytest.approx(res.value, rel=1e-12)
    t = compare.theil(x, w, kind="T", groups=list("aabbb"))
    assert t.between + t.within == pytest.approx(t.value, rel=1e-12)
    assert "mean log deviation" in repr(res)


def test_inequality_summary_by_hand():
    s = compare.inequality_summary(pd.Series([2.0, 4.0]), pd.Series([1.0, 3.0]))
    mean = 3.5  # (2 + 12) / 4
    sd = np.sqrt((1 * 1.5**2 + 3 * 0.5**2) / 4)
    assert s["mean"] == pytest.approx(mean)
    assert s["cv"] == pytest.approx(sd / mean)
    assert s["max_min_ratio"] == pytest.approx(2.0)


def test_all_equal_values_give_zero_inequality():
    assert compare.gini([5.0, 5.0, 5.0]) == 0.0
    assert compare.theil([5.0, 5.0, 5.0]).value == pytest.approx(0.0, abs=1e-15)
    s = compare.inequality_summary(pd.Series([5.0, 5.0, 5.0]))
    assert s["cv"] == 0.0 and s["max_min_ratio"] == 1.0


@pytest.mark.parametrize(("values", "match"), [
    ([0.0, 0.0, 0.0], "all zero"),
    ([1.0, np.nan, 2.0], "missing"),
    ([1.0, -1.0, 2.0], "non-negative"),
    ([1.0], "at least 2"),
])
def test_inequality_bad_values(values, match):
    with pytest.raises(WorkbenchError, match=match):
        compare.gini(values)


def test_theil_bad_kind_and_zero_for_l():
    with pytest.raises(WorkbenchError, match="'T' or 'L'"):
        compare.theil([1, 2], kind="X")
    with pytest.raises(WorkbenchError, match="positive"):
        compare.theil([0.0, 2.0], kind="L")


def test_gini_names_missing_region():
    with pytest.raises(WorkbenchError, match="210103"):
        compare.gini(pd.Series({"210102": 1.0, "210103": np.nan, "210104": 2.0}))


# --------------------------------------------------------------------- rank intervals
def test_rank_intervals_collapse_when_se_zero():
    v = pd.Series({"a": 3.0, "b": 1.0, "c": 2.0, "d": 2.0})
    r = compare.rank_intervals(v, pd.Series(0.0, index=v.index), "higher")
    assert r["rank"].tolist() == [1, 4, 2, 2]  # ties share the better rank
    assert (r["rank_low"] == r["rank"]).all() and (r["rank_high"] == r["rank"]).all()
    low = compare.rank_intervals(v, None, "lower")
    assert low["rank"].tolist() == [4, 1, 2, 2]


def test_rank_intervals_widen_with_se_and_are_seeded():
    v = pd.Series(np.arange(10.0), index=list("abcdefghij"))
    se = pd.Series(3.0, index=v.index)
    r1 = compare.rank_intervals(v, se, seed=7)
    r2 = compare.rank_intervals(v, se, seed=7)
    pd.testing.assert_frame_equal(r1, r2)
    assert ((r1["rank_low"] <= r1["rank"]) & (r1["rank"] <= r1["rank_high"])).all()
    assert (r1["rank_high"] - r1["rank_low"]).min() >= 2
    # a region far from the others keeps a narrow interval
    v2 = v.copy()
    v2["j"] = 100.0
    r3 = compare.rank_intervals(v2, se.where(v2.index != "j", 0.0))
    assert r3.loc["j", ["rank_low", "rank_high"]].tolist() == [1, 1]


def test_rank_intervals_bad_input():
    with pytest.raises(WorkbenchError, match="'higher' or 'lower'"):
        compare.rank_intervals(pd.Series([1.0, 2.0]), direction="up")
    with pytest.raises(WorkbenchError, match="missing"):
        compare.rank_intervals(pd.Series({"a": 1.0, "b": np.nan}))


# -------------------------------------------------------------------- composite index
@pytest.fixture
def two_by_two():
    # E01 higher is better, H07 lower is better, both percentages
    return pd.DataFrame({"E01": [40.0, 80.0], "H07": [10.0, 30.0]}, index=["a", "b"])


def test_composite_two_regions_two_indicators_by_hand(two_by_two, catalogue):
    # goalposts 0-100: a -> (40, 90), b -> (80, 70); E01 is education, H07 health (equal)
    ar = compare.composite_index(two_by_two, catalogue, "goalposts", "arithmetic").table
    assert ar["index"].tolist() == pytest.approx([65.0, 75.0])
    geo = compare.composite_index(two_by_two, catalogue, "goalposts", "geometric").table
    assert geo["index"].tolist() == pytest.approx([np.sqrt(40 * 90), np.sqrt(80 * 70)])
    assert geo["rank"].tolist() == [2, 1]
    # domain weights 3:1 for education:health
    wtd = compare.composite_index(two_by_two, catalogue, "goalposts",
                                  weights={"education": 3, "health": 1}).table
    assert wtd["index"].tolist() == pytest.approx([0.75 * 40 + 0.25 * 90, 0.75 * 80 + 0.25 * 70])
    # min-max: a is worst on E01 (0) but best on H07 (100)
    mm = compare.composite_index(two_by_two, catalogue, "minmax").normalised
    assert mm.to_numpy().tolist() == [[0.0, 100.0], [100.0, 0.0]]
    z = compare.composite_index(two_by_two, catalogue, "zscore").normalised
    assert z.to_numpy().tolist() == [[-1.0, 1.0], [1.0, -1.0]]


def test_distance_to_target_by_hand(two_by_two, catalogue):
    # E01 2030 target >= 90, H07 <= 10
    d = compare.normalise(two_by_two, catalogue, "distance_to_target")
    assert d["E01"].tolist() == pytest.approx([100 * 40 / 90, 100 * 80 / 90])
    assert d["H07"].tolist() == pytest.approx([100.0, 100 * 10 / 30])


def test_geometric_aggregation_of_zero_is_an_error_or_shifted(two_by_two, catalogue):
    with pytest.raises(WorkbenchError, match="shift=1"):
        compare.composite_index(two_by_two, catalogue, "minmax", "geometric")
    shifted = compare.composite_index(two_by_two, catalogue, "minmax", "geometric", shift=1.0)
    assert shifted.table["index"].tolist() == pytest.approx([np.sqrt(1 * 101) - 1] * 2)
    with pytest.raises(WorkbenchError, match="z-scores"):
        compare.composite_index(two_by_two, catalogue, "zscore", "geometric")


def test_availability_threshold_keeps_region_without_index(catalogue):
    m = pd.DataFrame({"E01": [40.0, 80.0, 60.0], "E03": [90.0, 95.0, 99.0],
                      "H07": [10.0, 30.0, np.nan]}, index=["a", "b", "c"])
    # weights: E01, E03 0.25 each (education), H07 0.5 (health): c covers only 0.5
    res = compare.composite_index(m, catalogue, "goalposts", threshold=0.6)
    assert res.table.loc["c", "coverage"] == pytest.approx(0.5)
    assert np.isnan(res.table.loc["c", "index"]) and list(res.table.index) == ["a", "b", "c"]
    res2 = compare.composite_index(m, catalogue, "goalposts", threshold=0.5)
    assert res2.table.loc["c", "index"] == pytest.approx((60 + 99) / 2)


def test_composite_bad_input(two_by_two, catalogue):
    with pytest.raises(WorkbenchError, match="minmax"):
        compare.composite_index(two_by_two, catalogue, "rank")
    with pytest.raises(WorkbenchError, match="arithmetic"):
        compare.composite_index(two_by_two, catalogue, aggregation="harmonic")
    with pytest.raises(WorkbenchError, match="health"):
        compare.composite_index(two_by_two, catalogue, weights={"education": 1})
    with pytest.raises(WorkbenchError, match="same value"):
        compare.composite_index(two_by_two.assign(E01=50.0), catalogue, "minmax")


def test_sensitivity_collapses_without_uncertainty(two_by_two, catalogue):
    m = pd.DataFrame({"E01": [40.0, 80.0, 60.0], "H07": [40.0, 5.0, 20.0]},
                     index=["a", "b", "c"])  # b dominates, a is dominated
    s = compare.composite_sensitivity(m, catalogue, n_draws=300, seed=3)
    assert s.table["rank_low"].tolist() == [3, 1, 2]
    assert s.table["rank_high"].tolist() == [3, 1, 2]
    one = compare.composite_sensitivity(two_by_two, catalogue, n_draws=50,
                                        normalisations=["goalposts"],
                                        aggregations=["arithmetic"], weight_spread=0.0)
    assert one.table["rank_low"].tolist() == one.table["rank"].tolist() == [2, 1]


def test_sensitivity_is_seeded_and_brackets_nominal(catalogue):
    rng = np.random.default_rng(5)
    m = pd.DataFrame(rng.uniform(20, 90, (30, 4)), columns=["E01", "E03", "H07", "W03"])
    a = compare.composite_sensitivity(m, catalogue, n_draws=200, seed=1)
    b = compare.composite_sensitivity(m, catalogue, n_draws=200, seed=1)
    pd.testing.assert_frame_equal(a.table, b.table)
    assert (a.table["rank_low"] <= a.table["rank_high"]).all()
    assert (a.table["rank_high"] - a.table["rank_low"]).max() > 0
    assert set(a.draws["normalisation"]) == set(compare.NORMALISATIONS)
    assert not ((a.draws["normalisation"] == "zscore")
                & (a.draws["aggregation"] == "geometric")).any()


# ----------------------------------------------------------------------- group gaps
def test_group_gaps_parity_with_delta_method_ci():
    obs = pd.DataFrame({"indicator": "S04", "region": "r", "year": 2025,
                        "sex": ["female", "male"], "value": [60.0, 50.0], "se": [3.0, 4.0]})
    g = compare.group_gaps(obs, "S04", 2025, "sex").iloc[0]
    assert g["index"] == pytest.approx(1.2) and g["gap"] == pytest.approx(10.0)
    assert g["gap_high"] - g["gap"] == pytest.approx(1.959963985 * 5.0, rel=1e-8)
    log_se = np.sqrt(0.05**2 + 0.08**2)
    assert g["index_low"] == pytest.approx(1.2 * np.exp(-1.959963985 * log_se), rel=1e-8)


def test_group_gaps_bad_group():
    obs = pd.DataFrame({"indicator": "S04", "region": "r", "year": 2025, "sex": "total",
                        "value": [1.0], "se": [0.1]})
    with pytest.raises(WorkbenchError, match="sex, residence, hukou"):
        compare.group_gaps(obs, "S04", 2025, "age")
    with pytest.raises(WorkbenchError, match="No sex breakdown"):
        compare.group_gaps(obs, "S04", 2025, "sex")


# ------------------------------------------------------------------ comparison table
@pytest.fixture(scope="module")
def demo_obs():
    from workbench.config import paths
    from workbench.database import connect

    if not paths().database.exists():
        pytest.skip("demo database not built (run `workbench demo`)")
    with connect() as db:
        return db.observations(breakdown="total")


def test_comparison_table_admin_indicator(demo_obs, catalogue, regions):
    t = compare.comparison_table(demo_obs, catalogue, "W03", 2025, names=regions.names("en"),
                                 lang="en")
    tab = t.table
    assert len(tab) == 13 and tab["name"].notna().all()
    assert (tab["target"] == ">= 95*").all()  # a placeholder target is marked
    assert (tab["rank_low"] == tab["rank"]).all()  # admin data: no sampling error
    assert tab["ci_low"].isna().all()
    assert tab["gap_to_target"].tolist() == pytest.approx((tab["value"] - 95).tolist())
    pooled = demo_obs.query("indicator == 'W03' and year == 2025")
    assert t.city_value == pytest.approx(
        pooled["numerator"].sum() / pooled["denominator"].sum() * 100)
    assert set(tab["trend"]) <= {"better", "worse", "same", ""}
    change = tab["value"] - tab["base_value"]
    assert ((change > 0) == (tab["trend"] == "better")).all()


def test_comparison_table_survey_indicator_has_ci_and_lower_direction(demo_obs, catalogue):
    t = compare.comparison_table(demo_obs, catalogue, "S04", 2025)
    tab = t.table
    assert tab["ci_low"].notna().all() and (tab["ci_low"] < tab["value"]).all()
    assert (tab["rank_high"] - tab["rank_low"]).max() > 0
    h = compare.comparison_table(demo_obs, catalogue, "H03", 2025).table
    assert h["value"].is_monotonic_increasing  # lower mortality ranks first
    assert (np.sign(h["gap_to_city"]) == -np.sign(h["value"] - h["value"].mean())).mean() > 0


def test_comparison_table_bad_input(demo_obs, catalogue):
    with pytest.raises(WorkbenchError, match="2020, 2021"):
        compare.comparison_table(demo_obs, catalogue, "W03", 2031)
    with pytest.raises(WorkbenchError):
        compare.comparison_table(demo_obs, catalogue, "XX1", 2025)


# ------------------------------------------------------------------------- clusters
def test_clusters_choose_k_by_silhouette(catalogue):
    rng = np.random.default_rng(0)
    centres = np.repeat([[0, 0, 0], [10, 10, 0], [0, 10, 10]], 5, axis=0)
    m = pd.DataFrame(centres + rng.normal(0, 0.3, centres.shape),
                     columns=["E01", "H07", "W03"], index=[f"r{i}" for i in range(15)])
    prof = compare.profiles(m, catalogue)
    assert prof["H07"].corr(m["H07"]) == pytest.approx(-1.0)  # lower is better -> flipped
    res = compare.cluster_regions(prof, k=range(2, 6))
    assert res.k == 3
    assert res.labels.groupby(res.labels).size().tolist() == [5, 5, 5]
    assert "silhouette" in repr(res)
    with pytest.raises(WorkbenchError, match="r0"):
        compare.cluster_regions(prof.assign(E01=prof["E01"].where(prof.index != "r0")))


def test_min_ranks_equal_scipy_rankdata():
    from scipy.stats import rankdata

    from workbench.compare._core import min_ranks

    key = np.round(np.random.default_rng(2).normal(size=(50, 40)), 1)  # many ties
    np.testing.assert_array_equal(min_ranks(key), rankdata(key, method="min", axis=1))


def test_comparison_table_keeps_regions_without_data(demo_obs, catalogue, regions):
    codes = regions.at_level("district")["code"].tolist()
    some = demo_obs[~((demo_obs["indicator"] == "W03") & (demo_obs["region"] == codes[0]))]
    t = compare.comparison_table(some, catalogue, "W03", 2025, regions=codes)
    assert len(t.table) == 13 and "1 without data" in repr(t)
    row = t.table.set_index("region").loc[codes[0]]
    assert np.isnan(row["value"]) and pd.isna(row["rank"])


def test_group_gap_with_zero_reference_is_undefined_not_infinite():
    obs = pd.DataFrame({"indicator": "H01", "region": "r", "year": 2025,
                        "sex": ["female", "male"], "value": [1.5, 0.0], "se": np.nan})
    g = compare.group_gaps(obs, "H01", 2025).iloc[0]
    assert np.isnan(g["index"]) and g["gap"] == pytest.approx(1.5)


def test_charts_label_regions_in_the_language(catalogue):
    names = pd.Series({"a": "和平区", "b": "沈河区", "c": "大东区"})
    ranks = compare.rank_intervals(pd.Series({"a": 3.0, "b": 2.0, "c": 1.0}),
                                   pd.Series(0.5, index=list("abc"))).rename_axis("region")
    fig = compare.rank_interval_chart(ranks, names, "a", "排名", "zh")
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["大东区", "沈河区", "和平区"]
    assert fig.axes[0].get_xlabel() == "排名（1 = 最好）"
    obs = pd.DataFrame({"indicator": "E01", "region": ["a", "a", "b", "b"], "year": 2025,
                        "sex": ["female", "male"] * 2, "value": [90.0, 80.0, 70.0, 75.0],
                        "se": [1.0, 1.0, 2.0, 2.0]})
    gfig = compare.gap_chart(compare.group_gaps(obs, "E01", 2025), names, "x", "en")
    assert gfig.axes[0].get_xlabel() == "index"
    rng = np.random.default_rng(0)
    prof = pd.DataFrame(rng.normal(size=(6, 3)), index=list("abcdef"),
                        columns=["E01", "H07", "W03"])
    cfig = compare.cluster_chart(compare.cluster_regions(prof, k=2), None, "c", "en")
    assert cfig.axes[0].get_xlabel().startswith("PC1")


def test_chart_groups_differ_by_marker_not_colour_only():
    def shape(collection):
        return collection.get_paths()[0].vertices.round(3).tobytes()

    ranks = compare.rank_intervals(pd.Series({"a": 3.0, "b": 2.0, "c": 1.0}),
                                   pd.Series(0.5, index=list("abc"))).rename_axis("region")
    ax = compare.rank_interval_chart(ranks, None, "b", "", "en").axes[0]
    from matplotlib.collections import PathCollection

    others, focus = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert len(focus.get_offsets()) == 1 and shape(focus) != shape(others)
    rng = np.random.default_rng(0)
    prof = pd.DataFrame(rng.normal(size=(9, 3)), index=list("abcdefghi"),
                        columns=["E01", "H07", "W03"])
    ax = compare.cluster_chart(compare.cluster_regions(prof, k=3), None, "c", "en").axes[0]
    assert len({shape(c) for c in ax.collections}) == 3
