"""Disclosure control: primary and secondary suppression, estimate tables, settings."""

import numpy as np
import pandas as pd
import pytest
from scipy.linalg import null_space

from workbench.disclosure import (
    MARK,
    _equations,
    control_estimates,
    min_cell_size,
    suppress_frequencies,
)


def _with_margins(inner: np.ndarray) -> pd.DataFrame:
    t = pd.DataFrame(inner, index=[f"r{i}" for i in range(inner.shape[0])],
                     columns=[f"c{j}" for j in range(inner.shape[1])])
    t["total"] = t.sum(axis=1)
    t.loc["total"] = t.sum()
    return t


def _exactly_determined(table: pd.DataFrame, suppressed: np.ndarray) -> list:
    """Independent check: solve the margin equations for the suppressed cells.

    A suppressed cell is determined exactly when every solution of the linear system
    gives it the same value, i.e. the null space of the system has no component on it.
    """
    unknown = [tuple(x) for x in np.argwhere(suppressed)]
    rows = []
    for eq in _equations(table, True):
        row = np.zeros(len(unknown))
        for cell, coef in eq:
            if cell in unknown:
                row[unknown.index(cell)] = coef
        rows.append(row)
    basis = null_space(np.array(rows)) if rows else np.eye(len(unknown))
    return [cell for i, cell in enumerate(unknown) if np.allclose(basis[i], 0, atol=1e-9)]


@pytest.mark.parametrize("seed", range(40))
def test_no_suppressed_cell_can_be_derived_from_the_margins(seed):
    rng = np.random.default_rng(seed)
    shape = (int(rng.integers(2, 6)), int(rng.integers(2, 5)))
    inner = rng.integers(0, 60, shape)
    inner[rng.random(shape) < 0.2] = rng.integers(1, 10)  # plant small cells
    table = _with_margins(inner)
    result = suppress_frequencies(table, threshold=10)
    suppressed = result.suppressed.to_numpy()
    values = table.to_numpy()
    assert (suppressed[(values > 0) & (values < 10)]).all()  # every small cell hidden
    assert _exactly_determined(table, suppressed) == []
    # and the published table shows the mark exactly where suppressed
    assert (result.published().to_numpy() == MARK).sum() == suppressed.sum()


def test_a_single_small_cell_needs_a_rectangle():
    table = _with_margins(np.array([[3, 30], [20, 40], [25, 22]]))
    result = suppress_frequencies(table, threshold=10)
    assert result.suppressed.to_numpy().sum() == 4
    assert result.published().loc["r0", "total"] == 33  # margins stay published


def test_without_margins_only_primary():
    table = pd.DataFrame({"a": [3, 20], "b": [30, 5]})
    result = suppress_frequencies(table, threshold=10, margins=False)
    assert result.suppressed.equals(result.primary)


def test_zero_cells_are_not_sensitive():
    table = _with_margins(np.array([[0, 30], [20, 40]]))
    assert not suppress_frequencies(table, threshold=10).suppressed.to_numpy().any()


def test_estimates_of_small_groups_are_suppressed_and_high_cv_flagged():
    df = pd.DataFrame({"group": ["a", "b", "c"], "estimate": [0.5, 0.4, 0.3],
                       "se": [0.01, 0.2, 0.01], "cv": [0.02, 0.5, 0.03], "n": [100, 50, 7]})
    out, notes = control_estimates(df, lang="en")
    assert out.loc[2, "estimate"] == MARK and out.loc[2, "se"] == MARK
    assert out.loc[0, "estimate"] == 0.5
    assert out["flag"].tolist() == ["", "!", ""]
    assert any("fewer than 10" in n for n in notes) and any("coefficient" in n for n in notes)


def test_threshold_is_configurable(monkeypatch):
    assert min_cell_size() == 10
    monkeypatch.setenv("WORKBENCH_MIN_CELL", "5")
    assert min_cell_size() == 5
    df = pd.DataFrame({"estimate": [0.5], "n": [7]})
    assert control_estimates(df)[0].loc[0, "estimate"] == 0.5
