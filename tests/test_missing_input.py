"""Bad input to workbench.missing: clear bilingual errors or documented handling."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench import missing as wm
from workbench.errors import WorkbenchError


def _data(n=50, seed=0):
    rng = np.random.default_rng(seed)
    d = pd.DataFrame(rng.normal(size=(n, 3)), columns=["a", "b", "c"])
    d.loc[rng.random(n) < 0.3, "c"] = np.nan
    return d


def test_all_missing_column_named():
    d = _data().assign(empty=np.nan)
    with pytest.raises(WorkbenchError, match="'?empty'?.*entirely missing") as e:
        wm.little_mcar_test(d)
    assert "全部缺失" in str(e.value)


def test_single_row():
    with pytest.raises(WorkbenchError, match="at least 2 rows"):
        wm.little_mcar_test(_data().iloc[:1])


def test_non_numeric_column_named():
    d = _data().assign(district=["x"] * 50)
    with pytest.raises(WorkbenchError, match="non-numeric column.*district"):
        wm.little_mcar_test(d)


def test_constant_column_named():
    d = _data().assign(k=1.0)
    with pytest.raises(WorkbenchError, match="k are constant"):
        wm.little_mcar_test(d)


def test_more_variables_than_rows():
    rng = np.random.default_rng(1)
    d = pd.DataFrame(rng.normal(size=(4, 6)))
    d.iloc[0, 0] = np.nan
    with pytest.raises(WorkbenchError, match="4 usable rows for 6 variables"):
        wm.little_mcar_test(d)


def test_no_missing_values():
    with pytest.raises(WorkbenchError, match="no missing values"):
        wm.little_mcar_test(_data().fillna(0))


def test_rows_all_missing_are_counted_not_silently_dropped():
    d = _data()
    d.loc[[0, 1], :] = np.nan
    r = wm.little_mcar_test(d)
    assert r.n_all_missing == 2 and r.n_rows == 48


def test_collinear_columns():
    d = _data().assign(d=lambda t: 2 * t["a"])
    with pytest.raises(WorkbenchError, match="singular"):
        wm.little_mcar_test(d)


@pytest.mark.parametrize("q,u,dfcom,msg", [
    ([1.0], [1.0], None, "at least 2 imputations"),
    ([1.0, 2.0], [1.0], None, "same shape"),
    ([1.0, np.nan], [1.0, 1.0], None, "must be finite"),
    ([1.0, 2.0], [1.0, -1.0], None, "negative"),
    ([1.0, 2.0], [1.0, 1.0], 0, "dfcom must be positive"),
])
def test_pool_rubin_bad_input(q, u, dfcom, msg):
    with pytest.raises(WorkbenchError, match=msg):
        wm.pool_rubin(q, u, dfcom)


def test_unknown_methods_list_choices():
    panel = pd.DataFrame({"indicator": "H04", "region": "r", "year": [1, 2], "value": [1, 2]})
    with pytest.raises(WorkbenchError, match="valid choices: interpolate, locf, knn, iterative"):
        wm.impute_panel(panel, "spline")
    with pytest.raises(WorkbenchError, match="valid choices: hotdeck, iterative"):
        wm.impute_survey(pd.DataFrame({"y": [1.0, None]}), ["y"], "mean")
    with pytest.raises(WorkbenchError, match="valid choices"):
        wm.evaluate_by_masking(panel, ("magic",))


def test_missing_columns_named():
    with pytest.raises(WorkbenchError, match="value.*not found"):
        wm.impute_panel(pd.DataFrame({"indicator": [], "region": [], "year": []}))
    with pytest.raises(WorkbenchError, match="nope.*not found"):
        wm.compare_groups(_data(), "c", ["nope"])


def test_duplicate_panel_rows_rejected():
    panel = pd.DataFrame({"indicator": "H04", "region": "r", "year": [1, 1], "value": [1, 2]})
    with pytest.raises(WorkbenchError, match="duplicate.*H04 r 1"):
        wm.impute_panel(panel)


def test_target_never_missing():
    with pytest.raises(WorkbenchError, match="never"):
        wm.missingness_model(_data(), "a", ["b"])
    with pytest.raises(WorkbenchError, match="no missing"):
        wm.compare_groups(_data(), "a", ["b"])


def test_unknown_indicator_and_threshold(catalogue):
    obs = pd.DataFrame(columns=["indicator", "region", "year", "sex", "age_group",
                                "residence", "hukou", "value"])
    with pytest.raises(WorkbenchError):
        wm.panel_coverage(obs, catalogue, ["210102"], [2020], ["ZZ9"])
    cov = wm.panel_coverage(obs, catalogue, ["210102"], [2020], ["H04"])
    assert cov.cells["observed"].sum() == 0  # an empty panel: every cell a gap, not an error
    with pytest.raises(WorkbenchError, match="between 0 and 1"):
        wm.coverage_gaps(cov, threshold=5)


def test_md_pattern_empty():
    with pytest.raises(WorkbenchError, match="at least one row"):
        wm.md_pattern(pd.DataFrame())


def test_single_district_cross_sectional_leaves_holes():
    # one district: nobody to borrow from, the hole stays (absent), no NaN rows returned
    panel = pd.DataFrame({"indicator": "H04", "region": "r", "year": [1, 3], "value": [1., 3.]})
    out = wm.impute_panel(panel, "knn", years=[1, 2, 3])
    assert len(out) == 2 and out["value"].notna().all()


def test_mi_needs_two_imputations():
    with pytest.raises(WorkbenchError, match="m >= 2"):
        wm.multiple_impute(_data(), m=1)
