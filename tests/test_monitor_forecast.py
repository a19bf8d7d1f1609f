"""Prediction intervals and target probabilities: coverage on simulated series with known truth.

Numbers of simulated series and the coverage each check achieved (seeded, so reproducible)
are in the test names' docstrings and asserted within about three binomial standard errors.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from workbench.errors import WorkbenchError
from workbench.monitor import forecast
from workbench.monitor._forecast import p_target_arrays

YEARS = np.arange(2020, 2026)


def _pit(values: np.ndarray, truth: np.ndarray, percent: bool) -> np.ndarray:
    """P(Y_2030 <= truth) under each series' predictive distribution."""
    n = len(values)
    return p_target_arrays(values, YEARS, truth, np.full(n, "<=", dtype=object),
                           np.full(n, 2030.0), np.full(n, percent))


def test_loglinear_interval_coverage_10000_series():
    """10,000 log-linear series (6 years, 5 years ahead): 90 % coverage 0.896."""
    rng = np.random.default_rng(11)
    n = 10_000
    a, b = rng.uniform(1, 4, n), rng.uniform(-0.08, 0.03, n)
    sd = rng.uniform(0.01, 0.1, n)
    t = np.r_[YEARS, 2030] - 2020
    logs = a[:, None] + b[:, None] * t + sd[:, None] * rng.standard_normal((n, len(t)))
    pit = _pit(np.exp(logs[:, :-1]), np.exp(logs[:, -1]), False)
    coverage = np.mean((pit > 0.05) & (pit < 0.95))
    assert abs(coverage - 0.90) < 0.01, coverage
    assert abs(np.mean(pit < 0.5) - 0.5) < 0.015       # the median forecast is unbiased


def test_logit_interval_coverage_for_percentages_10000_series():
    """10,000 percentages linear on the logit scale, near 100 %: 90 % coverage 0.906."""
    rng = np.random.default_rng(12)
    n = 10_000
    a, b = rng.uniform(0.5, 3, n), rng.uniform(-0.05, 0.2, n)
    t = np.r_[YEARS, 2030] - 2020
    lg = a[:, None] + b[:, None] * t + 0.08 * rng.standard_normal((n, len(t)))
    pct = 100 / (1 + np.exp(-lg))
    pit = _pit(pct[:, :-1], pct[:, -1], True)
    coverage = np.mean((pit > 0.05) & (pit < 0.95))
    assert abs(coverage - 0.90) < 0.01, coverage


def test_linear_interval_coverage_1000_series():
    """1,000 linear series of negative values (6 years, 5 ahead): 90 % coverage 0.894."""
    rng = np.random.default_rng(13)
    hits = []
    for _ in range(1000):   # one forecast per simulated series
        a, b = rng.uniform(-60, -30), rng.uniform(-1, 1)   # negative: only linear applies
        y = a + b * (YEARS - 2020) + rng.normal(0, 1.5, len(YEARS))
        truth = a + b * 10 + rng.normal(0, 1.5)
        f = forecast(pd.Series(y, index=YEARS), 2030, "linear")
        hits.append(f["lower"].iloc[-1] <= truth <= f["upper"].iloc[-1])
    assert abs(np.mean(hits) - 0.90) < 0.03, np.mean(hits)


def test_forecast_and_vectorised_probability_agree():
    y = pd.Series([80.0, 82.5, 83.1, 85.0, 86.2, 87.9], index=YEARS)
    for percent, target in ((True, 95.0), (False, 95.0)):
        f = forecast(y, 2030, "loglinear", target=target, direction="higher", percent=percent)
        p = p_target_arrays(y.to_numpy()[None, :], YEARS, np.array([target]),
                            np.array([">="], dtype=object), np.array([2030.0]),
                            np.array([percent]))
        assert f.attrs["p_target"] == pytest.approx(p[0], abs=1e-12)
        assert (f["lower"] < f["fit"]).all() and (f["fit"] < f["upper"]).all()
    assert (forecast(y, 2030, "loglinear", percent=True)["upper"] < 100).all()


@pytest.mark.slow
def test_ets_interval_coverage_100_series():
    """100 local-linear-trend series of 20 years, 5 ahead (truth: level and slope drift).

    Measured 90 % coverage: ETS 0.68, the straight line 0.56 on the same series (seed 14).
    ETS intervals ignore parameter uncertainty and undercover; they are still the better
    of the two when the trend itself moves, which is when ``auto`` picks ETS.
    """
    rng = np.random.default_rng(14)
    hits = {"ets": [], "linear": []}
    for _ in range(100):   # one ETS fit per simulated series
        level, slope = rng.uniform(40, 60), rng.uniform(-1, 0.5)
        path = []
        for _ in range(25):   # the state-space recursion of the true model
            level = level + slope + rng.normal(0, 1.0)
            slope = slope + rng.normal(0, 0.05)
            path.append(level)
        y = pd.Series(path[:20], index=np.arange(2006, 2026))
        for method, got in hits.items():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                f = forecast(y, 2030, method)
            got.append(f["lower"].iloc[-1] <= path[-1] <= f["upper"].iloc[-1])
    ets, line = np.mean(hits["ets"]), np.mean(hits["linear"])
    assert line < ets < 0.9   # better than the line, and short of the nominal 0.90


def test_auto_checks_the_candidates_and_refuses_what_does_not_apply():
    y = pd.Series([10.0, 9.6, 9.1, 8.9, 8.4], index=np.arange(2020, 2025))
    f = forecast(y, 2030, "auto", target=6.0)
    assert set(f.attrs["backtest"]) == {"linear", "loglinear"}
    best = min(f.attrs["backtest"], key=f.attrs["backtest"].get)
    assert f.attrs["method"] == best
    with pytest.raises(WorkbenchError, match="ets needs 10 years"):
        forecast(y, 2030, "ets")
    with pytest.raises(WorkbenchError, match="at least 3 years"):
        forecast(y.iloc[:2], 2030)
    with pytest.raises(WorkbenchError, match="not after the latest year"):
        forecast(y, 2024)


def test_assess_reports_the_probability_beside_the_projection():
    from workbench.catalogue import load_catalogue
    from workbench.database import connect
    from workbench.monitor import assess, format_status

    cat = load_catalogue()
    with connect() as db:
        obs = db.observations(regions=["210102"], breakdown="total")
    a = assess(obs, cat, 2025, 2030)
    has = a["target_op"].isin(["<=", ">="]) & (a["n_points"] >= 3)
    assert a.loc[has, "p_target"].between(0, 1).all()
    assert a.loc[~has, "p_target"].isna().all()
    table = format_status(a, cat, pd.Series(dtype=object), "en")
    cols = list(table.columns)
    assert cols.index("P(meet target)") == cols.index("Projected") + 1
