"""Bad input to the progress measures: a clear error or a documented status, never a crash."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from workbench.errors import WorkbenchError
from workbench.monitor import assess, assess_progress, fit_trend, target_status


def test_one_data_point_is_insufficient_data():
    p = assess_progress(pd.Series({2022: 6.8}), 6.0, "lower")
    assert p.status == "insufficient_data" and p.group == "not_assessable"
    assert math.isnan(p.ratio) and math.isnan(p.score)
    assert "fewer than two years" in p.notes[0]


def test_empty_series_is_insufficient_data():
    assert assess_progress(pd.Series(dtype=float), 6.0, "lower").status == "insufficient_data"


def test_zero_base_value_is_not_computable():
    p = assess_progress(pd.Series({2020: 0.0, 2024: 2.0}), 5.0, "higher")
    assert p.status == "not_computable" and "base value is 0" in p.notes[0]
    assert math.isnan(p.ratio)


def test_zero_base_already_at_target_is_achieved():
    p = assess_progress(pd.Series({2020: 0.0, 2024: 0.0}), 0.0, "lower")
    assert p.status == "target_achieved" and p.score == 5


def test_sign_change_is_not_computable():
    p = assess_progress(pd.Series({2020: -1.0, 2024: 2.0}), 5.0, "higher", method="unsd")
    assert p.status == "not_computable" and "change sign" in p.notes[0]


def test_negative_values_of_one_sign_use_the_sign_rule():
    # sdg-build multiplies by the sign of the base value
    p = assess_progress(pd.Series({2020: -10.0, 2025: -8.0}), -5.0, "higher")
    assert p.status in {"substantial_progress", "moderate_progress"} and p.ratio > 0


def test_target_in_the_past():
    with pytest.raises(WorkbenchError, match="target_year 2019 is not after the base year"):
        assess_progress(pd.Series({2020: 7.5, 2022: 6.8}), 6.0, "lower", target_year=2019)
    with pytest.raises(WorkbenchError, match="before the latest value"):
        assess_progress(pd.Series({2020: 7.5, 2026: 6.8}), 6.0, "lower", target_year=2025)


def test_non_numeric_years():
    with pytest.raises(WorkbenchError, match="not years: twenty"):
        assess_progress(pd.Series({"2020": 7.5, "twenty": 6.8}), 6.0, "lower")
    with pytest.raises(WorkbenchError, match="not years: 2020.5"):
        assess_progress(pd.Series({2020.5: 7.5, 2022: 6.8}), 6.0, "lower")


def test_numeric_strings_as_years_are_accepted():
    p = assess_progress(pd.Series({"2020": 7.5, "2022": 6.8}), 6.0, "lower")
    assert p.base_year == 2020 and p.current_year == 2022


def test_non_numeric_values():
    with pytest.raises(WorkbenchError, match="not numbers in years 2022"):
        assess_progress(pd.Series({2020: 7.5, 2022: "n/a"}), 6.0, "lower")


def test_missing_values_are_ignored_with_a_note():
    p = assess_progress(pd.Series({2020: 7.5, 2021: np.nan, 2022: 6.8}), 6.0, "lower")
    assert p.ratio == pytest.approx(2.1665, abs=5e-4)
    assert "2021" in p.notes[0]


def test_duplicate_years():
    s = pd.Series([7.5, 6.8], index=[2020, 2020])
    with pytest.raises(WorkbenchError, match="duplicate years"):
        assess_progress(s, 6.0, "lower")


def test_target_on_the_wrong_side_of_the_direction():
    # lower is better, but the target is above the base value: already met, noted
    p = assess_progress(pd.Series({2020: 5.0, 2024: 5.5}), 6.0, "lower")
    assert p.status == "target_achieved"
    assert any("already meets the target" in n for n in p.notes)
    worse = assess_progress(pd.Series({2020: 5.0, 2024: 7.0}), 6.0, "lower")
    assert worse.status == "deterioration" and worse.ratio < 0


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"method": "eurostat"}, "valid: opensdg, unsd"),
    ({"direction": "up"}, "valid: higher, lower"),
    ({"scale": "log"}, "valid: ratio, logit"),
])
def test_unknown_choices(kwargs, match):
    args = {"target": 6.0, "direction": "lower", **kwargs}
    with pytest.raises(WorkbenchError, match=match):
        assess_progress(pd.Series({2020: 7.5, 2022: 6.8}), **args)


def test_not_a_series():
    with pytest.raises(WorkbenchError, match="pandas Series"):
        assess_progress([7.5, 6.8], 6.0, "lower")


def test_fit_trend_needs_three_points():
    with pytest.raises(WorkbenchError, match="at least 3 years"):
        fit_trend(pd.Series({2020: 1.0, 2021: 2.0}))


def test_fit_trend_logit_outside_bounds():
    with pytest.raises(WorkbenchError, match="strictly inside"):
        fit_trend(pd.Series({2020: 90.0, 2021: 95.0, 2022: 100.0}), scale="logit")


def test_target_status_unknown_operator():
    with pytest.raises(WorkbenchError, match="valid: <=, >=, =="):
        target_status([1.0], "<", [2.0])


def test_assess_rejects_frames_without_columns(catalogue):
    with pytest.raises(WorkbenchError, match="lack column"):
        assess(pd.DataFrame({"indicator": ["H03"], "year": [2020]}), catalogue)


def test_assess_rejects_unknown_target_year(catalogue):
    with pytest.raises(WorkbenchError, match="valid: 2025, 2030"):
        assess(pd.DataFrame(columns=["indicator"]), catalogue, target_year=2027)


def test_evaluation_and_region_parameters(regions):
    from workbench.monitor import evaluation_target_year, select_regions

    assert evaluation_target_year("final") == 2030
    with pytest.raises(WorkbenchError, match="valid: annual, midterm, final"):
        evaluation_target_year("mid")
    assert select_regions(["210102"], regions) == ["210102"]
    with pytest.raises(WorkbenchError, match="not districts: 210100"):
        select_regions(["210100"], regions)


def test_assess_without_observations(catalogue):
    cols = ["indicator", "region", "sex", "age_group", "residence", "hukou", "year", "value"]
    with pytest.raises(WorkbenchError, match="no observation with a value up to 2025"):
        assess(pd.DataFrame(columns=cols), catalogue)


def test_warnings_without_count_columns(catalogue):
    from workbench.monitor import early_warnings

    obs = pd.DataFrame({"indicator": "H03", "region": "210102", "sex": "total",
                        "age_group": "total", "residence": "total", "hukou": "total",
                        "year": [2020, 2022], "value": [7.5, 6.8]})
    w = early_warnings(obs, catalogue, 2025, "en")
    assert w["kind"].tolist() == ["too_few_points"]


def test_2025_target_judged_on_projection_without_a_2025_value(catalogue):
    from workbench.monitor import early_warnings

    # H12 (<= 66 by 2025): 72 -> 71 from 2020 to 2023 projects to about 70.3 in 2025
    obs = pd.DataFrame({"indicator": "H12", "region": "210102", "sex": "total",
                        "age_group": "total", "residence": "total", "hukou": "total",
                        "year": [2020, 2021, 2022, 2023], "value": [72.0, 71.6, 71.3, 71.0]})
    w = early_warnings(obs, catalogue, 2025, "en")
    assert "projected_miss_2025" in set(w["kind"]) and "missed_2025" not in set(w["kind"])
