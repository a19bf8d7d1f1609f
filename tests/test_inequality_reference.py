"""Atkinson, small-sample Gini and Lorenz curve against PySAL ``inequality`` and their
defining identities; unclear errors of the first round now name the value."""

from __future__ import annotations

import numpy as np
import pytest

from workbench.compare import atkinson, gini, lorenz_curve
from workbench.errors import WorkbenchError

inequality = pytest.importorskip("inequality")


@pytest.mark.parametrize("epsilon", [0.0, 0.5, 1.0, 1.5, 2.0])
def test_atkinson_equals_pysal(epsilon):
    from inequality.atkinson import atkinson as pysal_atkinson

    x = np.random.default_rng(7).lognormal(3, 0.6, size=40)
    assert atkinson(x, epsilon) == pytest.approx(pysal_atkinson(x, epsilon), abs=1e-12)


def test_weighted_atkinson_equals_replicated_units():
    x = np.array([3.0, 5.0, 9.0, 14.0])
    w = np.array([1, 4, 2, 3])
    for e in (0.5, 1.0, 2.0):
        assert atkinson(x, e, weights=w) == pytest.approx(atkinson(np.repeat(x, w), e),
                                                          abs=1e-12)


def test_small_sample_gini():
    from inequality.gini import Gini

    x = np.random.default_rng(8).gamma(2.0, 3.0, size=13)
    assert gini(x, small_sample=True) == pytest.approx(Gini(x).g * 13 / 12, abs=1e-12)
    one_holds_all = np.r_[np.zeros(12), 5.0]
    assert gini(one_holds_all) == pytest.approx(12 / 13, abs=1e-12)
    assert gini(one_holds_all, small_sample=True) == pytest.approx(1.0, abs=1e-12)


def test_lorenz_curve_area_gives_the_gini():
    x = np.random.default_rng(9).gamma(2.0, 3.0, size=25)
    w = np.random.default_rng(10).integers(1, 9, size=25)
    lc = lorenz_curve(x, w)
    p, share = lc["population"].to_numpy(), lc["share"].to_numpy()
    assert (p[0], share[0], p[-1], share[-1]) == (0.0, 0.0, 1.0, 1.0)
    assert (np.diff(share) >= 0).all() and (share <= p + 1e-15).all()
    area_gini = 1 - np.sum(np.diff(p) * (share[1:] + share[:-1]))
    assert area_gini == pytest.approx(gini(x, w), abs=1e-12)


@pytest.mark.parametrize(("values", "match"), [
    (None, "must be a list, array or Series of numbers, got None"),
    (5.0, "must be a list"),
    ([1.0, "two", 3.0], "not numbers: 1='two'"),
    ([[1.0, 2.0], [3.0, 4.0]], r"one-dimensional, got shape \(2, 2\)"),
    ([1.0, np.inf, 2.0], r"missing or infinite entries at \['1'\]"),
])
def test_gini_errors_name_the_value(values, match):
    for fn in (gini, atkinson, lorenz_curve):
        with pytest.raises(WorkbenchError, match=match):
            fn(values)


def test_atkinson_refuses_bad_epsilon_and_zero_with_aversion_one():
    with pytest.raises(WorkbenchError, match="epsilon must be a number >= 0"):
        atkinson([1.0, 2.0], -1)
    with pytest.raises(WorkbenchError, match="must be positive"):
        atkinson([0.0, 2.0], 1.0)
