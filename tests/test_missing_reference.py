"""Rubin's rules against mice::pool (R script and its output in tests/reference/), and the
missing-data diagnostics' refusal of infinite values."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from workbench.errors import WorkbenchError
from workbench.missing import little_mcar_test, pool_rubin

REF = Path(__file__).parent / "reference"


def test_pool_rubin_equals_mice_pool_including_lambda():
    fits = pd.read_csv(REF / "mice_pool_fits.csv")
    pooled = pd.read_csv(REF / "mice_pool_pooled.csv").set_index("term")
    q = fits.pivot(index="imputation", columns="term", values="estimate")
    u = fits.pivot(index="imputation", columns="term", values="variance")
    r = pool_rubin(q.to_numpy(), u.to_numpy(), dfcom=float(fits["dfcom"].iloc[0]))
    ref = pooled.loc[q.columns]
    for ours, theirs in (("qbar", "qbar"), ("ubar", "ubar"), ("b", "b"), ("t", "t"),
                         ("df", "df"), ("riv", "riv"), ("lambda_", "lambda"), ("fmi", "fmi")):
        np.testing.assert_allclose(getattr(r, ours), ref[theirs].to_numpy(), rtol=1e-10)
    assert "lambda_" not in r.to_frame().columns   # the published table keeps its columns


@pytest.mark.parametrize("bad", [np.inf, -np.inf, np.nan])
def test_pool_rubin_refuses_non_finite_estimates(bad):
    with pytest.raises(WorkbenchError, match=r"estimates must be finite.*\(1,\)="):
        pool_rubin([1.0, bad, 3.0], [1.0, 1.0, 1.0])
    with pytest.raises(WorkbenchError, match="variances must be finite"):
        pool_rubin([1.0, 2.0, 3.0], [1.0, 1.0, bad])


def test_little_mcar_test_refuses_infinite_values_at_once():
    rng = np.random.default_rng(3)
    x = pd.DataFrame(rng.normal(size=(60, 3)), columns=list("abc"))
    x.loc[rng.random(60) < 0.2, "c"] = np.nan
    x.loc[7, "b"] = np.inf
    with pytest.raises(WorkbenchError, match="infinite values at row 7 column 'b'"):
        little_mcar_test(x)
