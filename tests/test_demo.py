"""Tests of the synthetic demo-data generator (workbench.demo)."""

from __future__ import annotations

import re
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from workbench.demo import (
    AGE_GROUPS,
    LIKERT_LABELS,
    MULTI_RESPONSE,
    OBSERVATION_COLUMNS,
    SURVEY_AGE_GROUPS,
    SURVEY_COLUMNS,
    SYNTHETIC_NOTE,
    DemoData,
    generate_demo,
)
from workbench.store.demo._survey import _id_check_digit

ROOT = Path(__file__).resolve().parents[1]
CATALOGUE_CSV = ROOT / "data" / "catalogue" / "indicators.csv"
REGIONS_CSV = ROOT / "data" / "regions" / "regions.csv"
DIMS = ["sex", "age_group", "residence", "hukou"]
KEYS = ["indicator", "region", "year", *DIMS]
HEPING = "210102"
SCALE = {"percent": 100.0, "per_1000": 1e3, "per_10000": 1e4, "per_100000": 1e5,
         "per_1000_children": 1e3, "per_1000_population": 1e3}
FRAMES = ["population", "observations", "survey", "survey_margins", "planted"]


def _read(path: Path) -> pd.DataFrame:
    if not path.exists():
        pytest.skip(f"{path} not found")
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")


@pytest.fixture(scope="module")
def cat_frame() -> pd.DataFrame:
    return _read(CATALOGUE_CSV)


@pytest.fixture(scope="module")
def reg_frame() -> pd.DataFrame:
    return _read(REGIONS_CSV)


@pytest.fixture(scope="module")
def units(cat_frame) -> pd.Series:
    return cat_frame.set_index("code")["unit"]


@pytest.fixture(scope="module")
def demo(cat_frame, reg_frame) -> DemoData:
    return generate_demo(cat_frame, reg_frame)


@pytest.fixture(scope="module")
def obs(demo) -> pd.DataFrame:
    return demo.observations


@pytest.fixture(scope="module")
def totals(obs) -> pd.DataFrame:
    return obs[(obs[DIMS] == "total").all(axis=1)]


@pytest.fixture(scope="module")
def urbanisation(reg_frame) -> pd.Series:
    districts = reg_frame[reg_frame["level"] == "district"]
    return districts.set_index("code")["urbanisation"]


# -- marking and determinism ------------------------------------------------------------
def test_everything_is_marked_synthetic(demo):
    assert "合成" in SYNTHETIC_NOTE["zh"] and "Synthetic" in SYNTHETIC_NOTE["en"]
    for name in FRAMES:
        assert getattr(demo, name).attrs["synthetic"] is True, name
    assert "synthetic" in repr(demo).lower()
    assert SYNTHETIC_NOTE["zh"] in demo._repr_html_()
    import workbench.demo as module

    assert "SYNTHETIC" in module.__doc__


def test_same_seed_same_data_and_other_seed_differs(cat_frame, reg_frame):
    a = generate_demo(cat_frame, reg_frame, seed=5, n_children=2_000)
    b = generate_demo(cat_frame, reg_frame, seed=5, n_children=2_000)
    for name in FRAMES:
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))
    c = generate_demo(cat_frame, reg_frame, seed=6, n_children=2_000)
    assert not a.observations.equals(c.observations)
    assert not a.survey.equals(c.survey)
    assert not a.population.equals(c.population)


def test_generation_is_fast(cat_frame, reg_frame):
    start = time.perf_counter()
    generate_demo(cat_frame, reg_frame, seed=11)
    assert time.perf_counter() - start < 10


def test_default_inputs_are_the_project_files(demo):
    if not (CATALOGUE_CSV.exists() and REGIONS_CSV.exists()):
        pytest.skip("project data files not found")
    again = generate_demo(n_children=2_000)
    pd.testing.assert_frame_equal(again.observations, demo.observations)


def test_accepts_catalogue_and_regions_objects(catalogue, regions, cat_frame, reg_frame):
    from_objects = generate_demo(catalogue, regions, seed=2, n_children=1_000)
    from_frames = generate_demo(cat_frame, reg_frame, seed=2, n_children=1_000)
    pd.testing.assert_frame_equal(from_objects.observations, from_frames.observations)


# -- population --------------------------------------------------------------------------
def test_population_is_plausible(demo, urbanisation):
    pop = demo.population
    assert list(pop.columns) == ["region", "year", "sex", "age_group", "population"]
    assert len(pop) == len(urbanisation) * 6 * 2 * len(AGE_GROUPS)
    assert pop["population"].dtype == np.int64 and (pop["population"] > 0).all()
    assert not pop.duplicated(["region", "year", "sex", "age_group"]).any()
    city = pop.groupby("year")["population"].sum()
    assert 0.9e6 < city[2020] < 1.4e6
    births = pop[pop["age_group"] == "0-2"].groupby("year")["population"].sum()
    assert births.is_monotonic_decreasing
    per_district = pop[pop["year"] == 2020].groupby("region")["population"].sum()
    rural = urbanisation[urbanisation == "rural"].index
    assert per_district[rural].between(35_000, 90_000).all()
    assert per_district.between(35_000, 150_000).all()


def test_survey_margins_match_population(demo):
    m = demo.survey_margins
    assert list(m.columns) == ["region", "sex", "age_group", "population"]
    assert set(m["age_group"]) == set(SURVEY_AGE_GROUPS)
    pop = demo.population[demo.population["year"] == 2025]
    merged = m.merge(pop, on=["region", "sex", "age_group"], suffixes=("", "_pop"))
    assert len(merged) == len(m) == 13 * 2 * len(SURVEY_AGE_GROUPS)
    assert (merged["population"] == merged["population_pop"]).all()


# -- observations: schema and values --------------------------------------------------------
def test_observation_schema(obs, cat_frame, urbanisation):
    assert list(obs.columns) == OBSERVATION_COLUMNS
    for col in ["indicator", "region", "sex", "age_group", "residence", "hukou", "source"]:
        assert pd.api.types.is_string_dtype(obs[col]), col
    assert obs["year"].dtype == np.int64
    for col in ["value", "numerator", "denominator", "se"]:
        assert obs[col].dtype == np.float64, col
    assert obs["imputed"].dtype == bool and obs["provisional"].dtype == bool
    assert set(obs["indicator"]) <= set(cat_frame["code"])
    assert set(obs["region"]) == set(urbanisation.index)
    assert set(obs["year"]) == set(range(2020, 2026))
    assert set(obs["sex"]) <= {"total", "male", "female"}
    assert set(obs["age_group"]) <= {"total", *AGE_GROUPS}
    assert set(obs["residence"]) <= {"total", "urban", "rural"}
    assert set(obs["hukou"]) <= {"total", "local", "migrant"}
    assert set(obs["source"]) <= {"admin", "survey"}


def test_keys_unique_and_values_present(obs):
    assert not obs.duplicated(KEYS).any()
    assert obs["value"].notna().all()
    assert not obs["imputed"].any()


def test_breakdowns_follow_the_catalogue(obs, cat_frame, urbanisation):
    cat = cat_frame.set_index("code")
    n_dims = (obs[DIMS] != "total").sum(axis=1)
    assert n_dims.max() == 1, "breakdowns are one dimension at a time"
    for dim in DIMS:
        rows = obs[obs[dim] != "total"]
        allowed = cat.loc[rows["indicator"], "disaggregations"].str.split(";")
        assert all(dim in a for a in allowed), dim
    ages = obs[obs["age_group"] != "total"]
    own = cat.loc[ages["indicator"], "age_groups"].str.split(";").to_numpy()
    assert all(a in o for a, o in zip(ages["age_group"], own, strict=True))
    urban = urbanisation[urbanisation == "urban"].index
    assert not ((obs["residence"] != "total") & obs["region"].isin(urban)).any()


def test_values_within_unit_ranges(obs, units):
    unit = obs["indicator"].map(units)
    v = obs["value"]
    assert v.ge(0).all()
    assert v[unit == "percent"].le(100).all()
    for u in ("per_1000", "per_10000", "per_100000"):
        assert v[unit == u].le(SCALE[u]).all()
    assert v[unit == "binary"].isin([0.0, 1.0]).all()
    counts = v[unit == "count"]
    assert (counts == np.round(counts)).all()


def test_ratios_are_consistent(obs, units):
    unit = obs["indicator"].map(units)
    scale = unit.map(SCALE)
    ratio = scale.notna()
    assert obs.loc[ratio, ["numerator", "denominator"]].notna().all().all()
    assert obs.loc[~ratio, ["numerator", "denominator"]].isna().all().all()
    r = obs[ratio]
    assert (r["denominator"] > 0).all()
    pct = r[unit[ratio] == "percent"]
    assert (pct["numerator"] <= pct["denominator"]).all()
    np.testing.assert_allclose(r["value"], r["numerator"] / r["denominator"] * scale[ratio],
                               rtol=1e-9, atol=0)
    for col in ("numerator", "denominator"):
        assert (r[col] == np.round(r[col])).all()


def test_breakdowns_sum_to_totals(obs, totals, units, cat_frame):
    births = set(cat_frame.loc[cat_frame["denominator"].isin(["live_births", "births"]), "code"])
    tot = totals.set_index(["indicator", "region", "year"])[["numerator", "denominator"]]
    checked = 0
    for dim in DIMS:
        rows = obs[(obs[dim] != "total") & obs["numerator"].notna()]
        groups = rows.groupby(["indicator", "region", "year"])
        sums = groups[["numerator", "denominator"]].sum()
        n_levels = groups.size()
        expected = rows.groupby("indicator")[dim].nunique()
        complete = n_levels.to_numpy() == expected.reindex(
            n_levels.index.get_level_values(0)).to_numpy()
        sums = sums[complete].join(tot.add_suffix("_total"), how="inner")
        assert (sums["numerator"] == sums["numerator_total"]).all(), dim
        same_den = ~sums.index.get_level_values(0).isin(births) | (dim != "age_group")
        assert (sums.loc[same_den, "denominator"]
                == sums.loc[same_den, "denominator_total"]).all(), dim
        checked += len(sums)
    assert checked > 1_000


def test_standard_errors_only_for_survey_rows(obs):
    survey = obs["source"] == "survey"
    assert survey.any()
    assert obs.loc[survey, "se"].gt(0).all()
    assert obs.loc[~survey, "se"].isna().all()


def test_provisional_rows_in_latest_year_only(obs):
    assert not obs.loc[obs["year"] < 2025, "provisional"].any()
    share = obs.loc[obs["year"] == 2025, "provisional"].mean()
    assert 0.03 < share < 0.2


def test_trends_and_gaps_are_plausible(totals, obs, units):
    wide = totals.pivot_table(index=["indicator", "region"], columns="year", values="value")
    # rural counties do worse than the urban core on infant mortality
    h02 = wide.loc["H02"].mean(axis=1)
    assert h02[["210123", "210124", "210181"]].mean() > h02[["210102", "210103"]].mean()
    # boys die more often of injuries; girls are more often myopic
    by_sex = obs[obs["sex"] != "total"].groupby(["indicator", "sex"])["numerator"].sum()
    assert by_sex["S01", "male"] > by_sex["S01", "female"]
    myopia = obs[(obs["indicator"] == "H11") & (obs["sex"] != "total")]
    rates = myopia.groupby("sex")[["numerator", "denominator"]].sum()
    assert (rates["numerator"] / rates["denominator"])["female"] > (
        rates["numerator"] / rates["denominator"])["male"]
    # air quality (V02) fluctuates much more from year to year than vaccination (H05)
    jumps = wide.diff(axis=1).abs().groupby(level=0).mean().mean(axis=1)
    assert jumps["V02"] > 3 * jumps["H05"]


# -- planted ground truth -----------------------------------------------------------------
def test_planted_table(demo):
    planted = demo.planted
    assert list(planted.columns) == ["indicator", "region", "kind", "detail"]
    assert set(planted["kind"]) == {"off_track", "never_collected", "mar", "mcar"}
    assert planted["detail"].str.len().gt(10).all()


def test_never_collected_indicators_are_absent(demo, cat_frame, obs):
    never = demo.planted.loc[demo.planted["kind"] == "never_collected", "indicator"]
    assert 5 <= len(never) <= 7
    source = cat_frame.set_index("code").loc[never, "source_type"]
    assert source.isin(["survey", "admin+survey"]).all()
    assert not obs["indicator"].isin(never).any()
    collected = set(cat_frame["code"]) - set(never)
    assert set(obs["indicator"]) == collected


@pytest.mark.parametrize("seed", [None, 3, 99])
def test_off_track_pairs_miss_their_2030_target(seed, demo, cat_frame, reg_frame):
    data = demo if seed is None else generate_demo(cat_frame, reg_frame, seed=seed,
                                                   n_children=2_000)
    off = data.planted[data.planted["kind"] == "off_track"]
    assert 12 <= len(off) <= 20
    assert (off["region"] == HEPING).sum() >= 2
    cat = cat_frame.set_index("code")
    assert cat.loc[off["indicator"], "target_type"].isin(["target", "relative"]).all()
    o = data.observations
    tot = o[(o[DIMS] == "total").all(axis=1)]
    for _, pair in off.iterrows():
        series = tot[(tot["indicator"] == pair["indicator"]) & (tot["region"] == pair["region"])]
        assert len(series) >= 5
        slope, intercept = np.polyfit(series["year"], series["value"], 1)
        projected = intercept + slope * 2030
        op, target = cat.at[pair["indicator"], "target_2030_op"], float(
            cat.at[pair["indicator"], "target_2030"])
        misses = projected < target if op == ">=" else projected > target
        assert misses, (pair["indicator"], pair["region"], projected, op, target)


def test_mar_missingness(demo, obs, urbanisation):
    mar = demo.planted[demo.planted["kind"] == "mar"]
    codes = mar["indicator"].unique()
    assert 3 <= len(codes) <= 4
    cells = obs[obs["indicator"].isin(codes)].groupby(["indicator", "region"])["year"].unique()
    n_missing = {"urban": 0, "suburban": 0, "rural": 0}
    n_cells = dict.fromkeys(n_missing, 0)
    for code in codes:
        for region, urb in urbanisation.items():
            present = set(cells.get((code, region), []))
            recorded = mar[(mar["indicator"] == code) & (mar["region"] == region)]
            years = ({int(y) for y in re.findall(r"20\d\d", recorded["detail"].iloc[0])}
                     if len(recorded) else set())
            assert years.isdisjoint(present), (code, region)
            assert present | years == set(range(2020, 2026)), (code, region)
            n_missing[urb] += len(years)
            n_cells[urb] += 6
    share = sum(n_missing.values()) / sum(n_cells.values())
    assert 0.07 < share < 0.25
    assert n_missing["rural"] / n_cells["rural"] > n_missing["urban"] / n_cells["urban"]


def test_mcar_missingness(demo, obs):
    mcar = demo.planted[demo.planted["kind"] == "mcar"]
    assert (mcar["region"] == "").all()
    counts = mcar["detail"].str.extract(r"(\d+) of (\d+) rows").astype(int)
    share = counts[0].sum() / counts[1].sum()
    assert 0.015 < share < 0.05
    for (code, k), n_rows in zip(mcar[["indicator"]].join(counts[0]).to_numpy(), counts[1],
                                 strict=True):
        assert (obs["indicator"] == code).sum() <= n_rows - k


def test_heping_latest_totals_are_kept(obs, totals):
    latest = totals[(totals["region"] == HEPING) & (totals["year"] == 2025)]
    assert set(latest["indicator"]) == set(obs["indicator"])


# -- survey microdata ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def survey(demo) -> pd.DataFrame:
    return demo.survey


def test_survey_schema_and_size(survey):
    assert list(survey.columns) == SURVEY_COLUMNS
    assert abs(len(survey) - 10_000) <= 500
    design = ["child_id", "name", "id_number", "guardian_phone", "district", "psu",
              "n_psu_stratum", "n_children_psu", "design_weight", "sex", "age", "age_group",
              "residence", "hukou"]
    assert survey[design].notna().all().all()
    assert survey["child_id"].tolist() == [f"C{i:05d}" for i in range(1, len(survey) + 1)]
    assert survey["age"].between(3, 17).all()
    bounds = {g: tuple(int(x) for x in g.split("-")) for g in AGE_GROUPS}
    lo = survey["age_group"].map(lambda g: bounds[g][0])
    hi = survey["age_group"].map(lambda g: bounds[g][1])
    assert survey["age"].between(lo, hi).all()
    assert set(survey["sex"]) == {"male", "female"}
    assert set(survey["residence"]) == {"urban", "rural"}
    assert set(survey["hukou"]) == {"local", "migrant"}
    assert survey["name"].str.fullmatch(r"[\u4e00-\u9fff]{2,3}").all()


def test_design_weights(survey, urbanisation):
    assert set(survey["district"]) == set(urbanisation.index)
    psu = survey.groupby("psu").agg(district=("district", "first"), m=("psu", "size"),
                                    M=("n_children_psu", "nunique"),
                                    N=("n_psu_stratum", "first"),
                                    M_i=("n_children_psu", "first"))
    assert (psu["M"] == 1).all()
    assert (survey.groupby("psu")["district"].nunique() == 1).all()
    assert psu.index.str.fullmatch(r"S\d{6}-\d{2}").all()
    assert (psu.index.str[1:7] == psu["district"]).all()
    assert (survey.groupby("district")["n_psu_stratum"].nunique() == 1).all()
    n_h = psu.groupby("district").size()
    assert n_h.between(6, 12).all() and psu["N"].between(20, 80).all()
    assert (psu["m"] <= psu["M_i"]).all()
    expected = (survey["n_psu_stratum"] / survey["district"].map(n_h)
                * survey["n_children_psu"] / survey["psu"].map(psu["m"]))
    np.testing.assert_allclose(survey["design_weight"], expected, rtol=1e-12)
    assert (survey.groupby("psu")["mental_health_teacher"].nunique() == 1).all()


def test_weighted_totals_near_population(survey, demo):
    est = survey.groupby("district")["design_weight"].sum()
    known = demo.survey_margins.groupby("region")["population"].sum()
    ratio = est / known
    assert ratio.between(0.6, 1.6).all()
    assert 0.85 < est.sum() / known.sum() < 1.15


def test_id_check_digit_known_examples():
    assert _id_check_digit("11010519491231002") == "X"
    assert _id_check_digit("44052418800101001") == "4"
    with pytest.raises(ValueError):
        _id_check_digit("1234")


def test_id_numbers_are_valid(survey):
    ids = survey["id_number"]
    assert ids.str.fullmatch(r"\d{17}[\dX]").all()
    assert ids.is_unique
    assert all(_id_check_digit(i[:17]) == i[17] for i in ids)
    assert (ids.str[:6] == survey["district"]).all()
    birth = pd.to_datetime(ids.str[6:14], format="%Y%m%d")
    had_birthday = (birth.dt.month < 6) | ((birth.dt.month == 6) & (birth.dt.day <= 1))
    age = 2025 - birth.dt.year - (~had_birthday).astype(int)
    assert (age == survey["age"]).all()
    odd = ids.str[16].astype(int) % 2 == 1
    assert (odd == (survey["sex"] == "male")).all()


def test_phone_numbers_are_valid(survey):
    phones = survey["guardian_phone"]
    assert phones.str.fullmatch(r"1[3-9]\d{9}").all()
    valid = {f"13{d}" for d in range(10)} | {f"18{d}" for d in range(10)} | {
        "145", "147", "150", "151", "152", "153", "155", "156", "157", "158", "159", "166",
        "170", "171", "172", "173", "175", "176", "177", "178", "191", "193", "195", "197",
        "198", "199"}
    assert phones.str[:3].isin(valid).all()


def test_survey_items(survey):
    young = survey["age"] < 6
    assert survey.loc[young, "myopia"].isna().all()
    assert survey.loc[young, "bullied"].isna().all()
    assert survey.loc[survey["age"] > 12, "car_seat"].isna().all()
    binary = ["myopia", "overweight", "online_over_2h", "bullied", "parent_talk_1h",
              "mental_health_teacher", "car_seat", *MULTI_RESPONSE["activity"]]
    for col in binary:
        assert survey[col].dropna().isin([0.0, 1.0]).all(), col
    for k in range(1, 6):
        assert survey[f"wellbeing_{k}"].dropna().isin([1.0, 2.0, 3.0, 4.0, 5.0]).all()
    assert set(LIKERT_LABELS) == {"zh", "en"} and set(LIKERT_LABELS["en"]) == {1, 2, 3, 4, 5}
    assert survey["height_cm"].dropna().between(70, 210).all()
    bmi = survey["weight_kg"] / (survey["height_cm"] / 100) ** 2
    assert bmi.dropna().between(9, 45).all()
    assert 0.1 < survey["overweight"].mean() < 0.35
    assert survey["screen_time_h"].dropna().ge(0).all()


def test_item_nonresponse_is_mar(survey):
    for col in ["height_cm", "screen_time_h", "parent_talk_1h", "activity_sports"]:
        assert 0.04 < survey[col].isna().mean() < 0.16, col
    older = survey["age"] >= 12
    rural = survey["residence"] == "rural"
    miss = survey["parent_talk_1h"].isna()
    assert miss[older].mean() > miss[~older].mean()
    assert miss[rural].mean() > miss[~rural].mean()
    activity = survey[MULTI_RESPONSE["activity"]].isna()
    assert (activity.all(axis=1) == activity.any(axis=1)).all()


def test_domain_estimates_differ(survey):
    w = survey["design_weight"]

    def rate(col: str, by: str) -> pd.Series:
        ok = survey[col].notna()
        return (survey.loc[ok, col] * w[ok]).groupby(survey.loc[ok, by]).sum() / w[ok].groupby(
            survey.loc[ok, by]).sum()

    myopia = rate("myopia", "age_group")
    assert myopia["6-11"] < myopia["12-14"] < myopia["15-17"]
    assert rate("car_seat", "residence")["urban"] > rate("car_seat", "residence")["rural"]
    by_district = rate("mental_health_teacher", "district")
    assert by_district.max() - by_district.min() > 0.2


# -- robustness on an unusual catalogue ------------------------------------------------------
def _standin_catalogue() -> pd.DataFrame:
    rows = [
        # code, unit, direction, target_type, baseline, op, target, disaggs, ages, denom, source
        ("X01", "percent", "higher", "target", "", ">=", "95", "sex;residence;hukou",
         "6-11;12-14", "students", "admin"),
        ("X02", "per_100000", "lower", "none", "", "", "", "sex;age_group",
         "0-2;3-5;6-11;12-14;15-17", "children", "admin"),
        ("X03", "count", "higher", "target", "0", ">=", "30", "", "", "none", "admin"),
        ("X04", "cny_per_month", "higher", "none", "1500", "", "", "residence", "", "none",
         "admin"),
        ("X05", "binary", "higher", "binary", "0", "==", "1", "", "", "none", "admin"),
        ("X06", "percent", "lower", "target", "30", "<=", "20", "sex", "6-11", "students",
         "survey"),
        ("X07", "per_1000", "lower", "maintain", "5", "<=", "6", "age_group", "0-2;3-5",
         "live_births", "admin"),
        ("X08", "percent", "higher", "target", "70", ">=", "90", "", "", "unknown_denom",
         "admin"),
    ]
    cols = ["code", "unit", "direction", "target_type", "baseline_2020", "target_2030_op",
            "target_2030", "disaggregations", "age_groups", "denominator", "source_type"]
    return pd.DataFrame(rows, columns=cols)


def test_unusual_catalogue(reg_frame):
    data = generate_demo(_standin_catalogue(), reg_frame, seed=1, n_children=1_500)
    o = data.observations
    assert o["value"].notna().all() and not o.duplicated(KEYS).any()
    assert data.planted["kind"].eq("never_collected").sum() == 0  # no survey-only pool
    x03 = o[(o["indicator"] == "X03") & (o["sex"] == "total")].pivot(
        index="region", columns="year", values="value")
    assert (x03.diff(axis=1).dropna(how="all").fillna(0) >= 0).all().all()
    assert set(o.loc[o["indicator"] == "X05", "value"]) <= {0.0, 1.0}
    x07 = o[(o["indicator"] == "X07") & (o["age_group"] != "total")]
    assert set(x07["age_group"]) <= {"0-2", "3-5"}
    assert len(data.survey) == 1_500


def test_bad_inputs_are_reported(reg_frame):
    with pytest.raises(ValueError, match="lacks column"):
        generate_demo(pd.DataFrame({"code": ["A"]}), reg_frame)
    with pytest.raises(ValueError, match="district"):
        generate_demo(_standin_catalogue(), reg_frame[reg_frame["level"] != "district"])


def test_build_demo_writes_every_file_atomically(tmp_path, monkeypatch):
    import pyarrow.parquet as pq

    from workbench.database import connect
    from workbench.demo import build_demo

    monkeypatch.setenv("WORKBENCH_DEMO", str(tmp_path))
    monkeypatch.delenv("WORKBENCH_DB", raising=False)
    message = build_demo(seed=7)
    assert "Synthetic" in message
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["child_survey_2025.parquet", "monitoring.duckdb", "planted.csv",
                     "survey_margins_2025.csv"]
    with connect(tmp_path / "monitoring.duckdb") as db:
        assert db.synthetic and db.meta()["seed"] == "7"
        assert len(db.observations(breakdown=None)) > 5_000
        assert db.batches()["recorded_by"].tolist() == ["workbench demo"]
        assert len(db.population()) == 13 * 6 * 2 * 5
    assert pq.read_schema(tmp_path / "child_survey_2025.parquet").metadata[b"synthetic"] == b"true"
    assert "exists" in build_demo(seed=7)  # no silent rebuild without force


def test_demo_csv_files_say_they_are_synthetic(tmp_path, monkeypatch):
    from workbench.demo import build_demo

    monkeypatch.setenv("WORKBENCH_DEMO", str(tmp_path))
    monkeypatch.delenv("WORKBENCH_DB", raising=False)
    build_demo(seed=3)
    for name in ("survey_margins_2025.csv", "planted.csv"):
        first = (tmp_path / name).read_text(encoding="utf-8").splitlines()[0]
        assert first.startswith("# Synthetic demo data") and "合成演示数据" in first
    margins = pd.read_csv(tmp_path / "survey_margins_2025.csv", comment="#", dtype={"region": str})
    assert margins["population"].gt(0).all()


def test_demo_files_load_with_codes_as_text():
    from workbench.demo import load_planted, load_survey, load_survey_margins

    survey = load_survey()
    assert survey.attrs["synthetic"] and survey["district"].str.len().eq(6).all()
    margins = load_survey_margins()
    assert margins["region"].str.len().eq(6).all()
    planted = load_planted()
    assert set(planted["kind"]) >= {"off_track", "never_collected"}
    assert planted.loc[planted["kind"] == "off_track", "region"].str.len().eq(6).all()
