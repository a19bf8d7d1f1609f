"""Progress measures, trend fits and exact intervals checked against reference values."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.monitor import _core as core
from workbench.monitor import assess_progress, fit_trend, target_status

U5MR = pd.Series({2020: 7.5, 2022: 6.8})


# -- the published check: national under-five mortality -------------------------------------
def test_opensdg_under_five_mortality():
    p = assess_progress(U5MR, target=6.0, direction="lower", target_year=2030)
    assert p.ratio == pytest.approx(2.1665, abs=5e-4)
    assert p.status == "substantial_progress"
    assert p.group == "on_track"
    assert p.score == 5


def test_unsd_under_five_mortality():
    p = assess_progress(U5MR, target=6.0, direction="lower", target_year=2030, method="unsd")
    assert p.projected_value == pytest.approx(4.5951, abs=5e-5)
    assert p.ratio == pytest.approx(1.9366, abs=5e-5)
    assert p.status == "on_track"


def test_unsd_projection_is_the_stated_formula():
    growth = (6.8 / 7.5) ** (1 / 2) - 1
    p = assess_progress(U5MR, 6.0, "lower", 2030, method="unsd")
    assert p.projected_value == pytest.approx(6.8 * (1 + growth) ** 8, rel=1e-12)


# -- Open SDG thresholds and score (sdg-build ProgressMeasure) -----------------------------------
@pytest.mark.parametrize(("current", "status"), [
    (62.0, "limited_progress"), (64.0, "moderate_progress"), (69.0, "substantial_progress"),
    (58.0, "deterioration"), (70.5, "target_achieved")])
def test_opensdg_status_bands(current, status):
    # required CAGR from 60 to 70 over 10 years; observed over 5 years
    p = assess_progress(pd.Series({2020: 60.0, 2025: current}), 70.0, "higher", 2030)
    req = (70 / 60) ** 0.1 - 1
    obs = (current / 60) ** 0.2 - 1
    assert p.status == status
    if status != "target_achieved":
        assert p.ratio == pytest.approx(obs / req, rel=1e-12)


def test_opensdg_score_pieces():
    # R = 0.8: moderate, score 7.1429 R - 4.2857; R = -0.5: 4.1667 R - 2.5
    base, years = 100.0, 10
    req = (110 / base) ** (1 / years) - 1
    for r, expected in ((0.8, 7.1429 * 0.8 - 4.2857), (-0.5, 4.1667 * -0.5 - 2.5)):
        cur = base * (1 + r * req) ** 5
        p = assess_progress(pd.Series({2020: base, 2025: cur}), 110.0, "higher", 2030)
        assert p.ratio == pytest.approx(r, rel=1e-9)
        assert p.score == pytest.approx(expected, rel=1e-9)


def test_opensdg_score_is_capped():
    p = assess_progress(pd.Series({2020: 60.0, 2021: 40.0}), 70.0, "higher", 2030)
    assert p.score == -5


def test_opensdg_zero_target_becomes_0001():
    p = assess_progress(pd.Series({2020: 2.0, 2024: 1.0}), 0.0, "lower", 2030)
    req = (0.001 / 2.0) ** 0.1 - 1
    obs = 0.5 ** 0.25 - 1
    assert p.ratio == pytest.approx(-obs / abs(req), rel=1e-12)


def test_no_target_natural_limit_factor():
    # base 80 with natural limit 100: C = 1 - 0.8 ** 4.44, thresholds 0.015 C / 0.005 C / 0
    c = 1 - 0.8 ** 4.44
    growth = (82 / 80) ** (1 / 5) - 1
    p = assess_progress(pd.Series({2020: 80.0, 2025: 82.0}), None, "higher", limit=100)
    assert p.ratio == pytest.approx(growth, rel=1e-12)
    # 0.005 C <= growth < 0.015 C: moderate (without C it would be limited: growth < 0.005)
    assert 0.005 * c <= growth < 0.015 * c and growth < 0.005
    assert p.status == "moderate_progress"
    assert p.score == pytest.approx(250 * growth / c - 1.25, rel=1e-9)
    near = assess_progress(pd.Series({2020: 150.0, 2025: 151.0}), None, "higher", limit=100)
    c2 = 1 - ((200 - 150) / 100) ** 4.44
    assert near.score == pytest.approx(500 * ((151 / 150) ** 0.2 - 1) / c2 - 2.5, rel=1e-9)
    assert core.limit_coefficient(np.array([250.0]), np.array([100.0]))[0] == 1.0


def test_no_target_without_limit():
    p = assess_progress(pd.Series({2020: 10.0, 2025: 10.2}), None, "lower")
    assert p.status == "deterioration"
    assert p.ratio == pytest.approx(-((10.2 / 10) ** 0.2 - 1), rel=1e-12)


def test_unsd_categories():
    base = pd.Series({2020: 50.0, 2025: 50.0})
    assert assess_progress(base, 60.0, "higher", method="unsd").status == "limited_progress"
    down = pd.Series({2020: 50.0, 2025: 48.0})
    assert assess_progress(down, 60.0, "higher", method="unsd").status == "deterioration"
    fair = pd.Series({2020: 50.0, 2025: 52.0})
    p = assess_progress(fair, 60.0, "higher", method="unsd")
    assert 0.10 <= p.ratio < 0.95 and p.status == "fair_progress"


def test_logit_projection_stays_below_100():
    s = pd.Series({2020: 90.0, 2025: 98.0})
    ratio = assess_progress(s, 99.5, "higher", method="unsd")
    logit = assess_progress(s, 99.5, "higher", method="unsd", scale="logit")
    assert ratio.projected_value > 100
    assert 98 < logit.projected_value < 100
    lg = np.log(0.98 / 0.02) + (np.log(0.98 / 0.02) - np.log(0.9 / 0.1))
    assert logit.projected_value == pytest.approx(100 / (1 + np.exp(-lg)), rel=1e-12)


def test_logit_on_bound_falls_back_with_note():
    p = assess_progress(pd.Series({2020: 95.0, 2025: 100.0}), 100.0, "higher", scale="logit")
    assert p.status == "target_achieved"
    q = assess_progress(pd.Series({2020: 100.0, 2025: 99.0}), 99.5, "higher", scale="logit")
    assert any("bound" in n for n in q.notes) and math.isfinite(q.projected_value)


# -- target status ------------------------------------------------------------------------------
def test_target_status_operators():
    got = target_status([5.0, 7.0, 1.0, np.nan, 3.0], ["<=", "<=", "==", ">=", ""],
                        [6.0, 6.0, 1.0, 2.0, np.nan])
    assert got.tolist() == ["achieved", "not_achieved", "achieved", "no_data", "no_target"]


# -- trend fits: a hand-worked example ---------------------------------------------------------
def test_linear_prediction_interval_hand_example():
    # y = 1, 3, 2, 5, 4 at x = 0..4: slope 0.8, intercept 1.4, SSE 3.6, s^2 = 1.2, Sxx = 10;
    # at x = 5: fit 5.4, se_pred = sqrt(1.2 * (1 + 1/5 + 9/10)), t(0.95, 3) = 2.353363
    fit = fit_trend(pd.Series([1.0, 3, 2, 5, 4], index=range(2020, 2025)), years=[2025])
    row = fit.set_index("year").loc[2025]
    half = 2.353363 * math.sqrt(1.2 * 2.1)
    assert row["fit"] == pytest.approx(5.4, abs=1e-12)
    assert row["upper"] == pytest.approx(5.4 + half, abs=1e-5)
    assert row["lower"] == pytest.approx(5.4 - half, abs=1e-5)
    assert np.isnan(row["observed"])


def test_theil_sen_slope_is_median_of_pairwise_slopes():
    s = pd.Series([1.0, 3, 2, 5, 4], index=range(2020, 2025))
    fit = fit_trend(s, method="theilsen", years=[2025]).set_index("year")["fit"]
    assert fit[2025] - fit[2024] == pytest.approx(0.875)


def test_logit_trend_band_stays_inside_bounds():
    s = pd.Series([90.0, 93, 95, 97, 98], index=range(2020, 2025))
    fit = fit_trend(s, years=range(2025, 2031), scale="logit")
    assert (fit["upper"] < 100).all() and (fit["lower"] > 0).all()


# -- exact intervals against R ---------------------------------------------------------------
def test_exact_intervals_match_r():
    # R: binom.test(5, 20)$conf.int; poisson.test(10)$conf.int
    lo, hi = core.exact_rate_interval(np.array([5.0, 10.0]), np.array([20.0, 1.0]),
                                      np.array([True, False]))
    assert lo[0] == pytest.approx(0.08657147, abs=1e-7)
    assert hi[0] == pytest.approx(0.49104587, abs=1e-7)
    assert lo[1] == pytest.approx(4.795389, abs=1e-6)
    assert hi[1] == pytest.approx(18.390356, abs=1e-6)


# -- properties ---------------------------------------------------------------------------------
_values = st.floats(0.5, 500, allow_nan=False)
_years = st.integers(1, 9)


@settings(max_examples=150, deadline=None)
@given(base=_values, step=st.floats(0.001, 0.5), span=_years,
       target=_values, direction=st.sampled_from(["lower", "higher"]),
       method=st.sampled_from(["opensdg", "unsd"]))
def test_improving_series_never_deteriorate(base, step, span, target, direction, method):
    sign = -1 if direction == "lower" else 1
    current = base * (1 + sign * step)
    if target == base:
        return
    p = assess_progress(pd.Series({2020: base, 2020 + span: current}), target, direction,
                        method=method)
    assert p.status != "deterioration" and p.group != "deteriorating"


@settings(max_examples=100, deadline=None)
@given(base=_values, current=_values, gap=st.floats(0.0, 100),
       direction=st.sampled_from(["lower", "higher"]),
       method=st.sampled_from(["opensdg", "unsd"]))
def test_past_target_is_achieved(base, current, gap, direction, method):
    target = current + gap if direction == "lower" else current - gap
    if target <= 0:
        return
    p = assess_progress(pd.Series({2020: base, 2024: current}), target, direction,
                        method=method)
    assert p.status == "target_achieved" and p.score == 5


@settings(max_examples=100, deadline=None)
@given(base=_values, current=_values, target=_values, span=_years,
       direction=st.sampled_from(["lower", "higher"]),
       method=st.sampled_from(["opensdg", "unsd"]))
def test_mirrored_direction_and_values(base, current, target, span, direction, method):
    other = "higher" if direction == "lower" else "lower"
    a = assess_progress(pd.Series({2020: base, 2020 + span: current}), target, direction,
                        method=method)
    b = assess_progress(pd.Series({2020: -base, 2020 + span: -current}), -target, other,
                        method=method)
    assert a.status == b.status
    assert a.score == pytest.approx(b.score, nan_ok=True)
    assert a.ratio == pytest.approx(b.ratio, nan_ok=True)
    assert a.projected_value == pytest.approx(-b.projected_value, nan_ok=True)
