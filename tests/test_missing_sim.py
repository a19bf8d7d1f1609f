"""Multiple imputation + Rubin's rules on synthetic data with a known truth.

Design: y = 1 + x + e (x, e standard normal), n = 200, true mean of y = 1; 30 % of y
missing, either MCAR or MAR (probability rising with x, so the complete-case mean is
biased).  m = 5 imputations by IterativeImputer(sample_posterior=True), pooled by
pool_rubin with dfcom = n - 1 (one chained-equation round: only y has holes).
R = 150 repetitions per mechanism.

Tolerances: mean bias |bias| < 0.05 (the Monte Carlo SE of the bias is about 0.008, so
about 6 SE; the complete-case bias under MAR is about -0.4); coverage of the 95 % interval
within [0.89, 0.99] (binomial SE 0.018 at R = 150, about 3.3 SE below 0.95).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench import missing as wm

REPS, N, M = 150, 200, 5


def _draw(rng, mechanism):
    x = rng.normal(size=N)
    y = 1 + x + rng.normal(size=N)
    if mechanism == "mcar":
        hole = rng.random(N) < 0.3
    else:
        hole = rng.random(N) < 0.6 / (1 + np.exp(-2 * x))  # about 30 %, more where x is high
    y[hole] = np.nan
    return pd.DataFrame({"x": x, "y": y})


@pytest.mark.parametrize("mechanism", ["mcar", "mar"])
def test_mi_bias_and_coverage(mechanism):
    rng = np.random.default_rng(2024 if mechanism == "mcar" else 2025)
    est, cover, cc_mean = [], [], []
    for rep in range(REPS):
        d = _draw(rng, mechanism)
        pooled = wm.mi_pool_mean(d, "y", m=M, seed=rep * M, max_iter=1)
        lo, hi = pooled.conf_int(0.95)
        est.append(pooled.qbar)
        cover.append(lo <= 1.0 <= hi)
        cc_mean.append(d["y"].mean())
    bias = np.mean(est) - 1.0
    coverage = np.mean(cover)
    print(f"{mechanism}: bias {bias:+.4f}, coverage {coverage:.3f} over {REPS} draws")
    assert abs(bias) < 0.05, bias
    assert 0.89 <= coverage <= 0.99, coverage
    if mechanism == "mar":  # the design really is informative: complete cases are biased
        assert np.mean(cc_mean) - 1.0 < -0.2
