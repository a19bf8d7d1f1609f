"""Moran's I, Geary's C, moran.mc and local Moran equal spdep on columbus (queen and rook).

Reference values: ``tests/reference/spdep_columbus.R`` (spdep 1.2.7) and the CSV files it
wrote beside it; the weights are checked to be the same neighbour lists first.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from conftest import libpysal_example as _libpysal_example
from workbench import maps
from workbench.errors import WorkbenchError

REF = Path(__file__).parent / "reference"
GLOBAL = pd.read_csv(REF / "spdep_columbus_global.csv")
LOCAL = pd.read_csv(REF / "spdep_columbus_local.csv")
TOL = 1e-8


@pytest.fixture(scope="module")
def columbus():
    import geopandas as gpd

    gdf = gpd.read_file(_libpysal_example("columbus.shp"))
    return gdf.assign(code=gdf["POLYID"].astype(str))


@pytest.mark.parametrize("name", ["queen", "rook"])
def test_same_neighbours_as_spdep(columbus, name):
    from libpysal import weights as lw

    cls = lw.Queen if name == "queen" else lw.Rook
    w = cls.from_dataframe(columbus, use_index=False, silence_warnings=True)
    nb = pd.read_csv(REF / "spdep_columbus_nb.csv")
    ref = {(int(i), int(j)) for i, j in nb.loc[nb["weights"] == name, ["i", "j"]].to_numpy()}
    assert {(i, j) for i, ns in w.neighbors.items() for j in ns} == ref


@pytest.mark.parametrize("name", ["queen", "rook"])
@pytest.mark.parametrize("assumption", ["randomisation", "normality"])
def test_moran_and_geary_equal_spdep(columbus, name, assumption):
    ref = GLOBAL[(GLOBAL["weights"] == name) & (GLOBAL["assumption"] == assumption)].iloc[0]
    m = maps.morans_i(columbus, "CRIME", name, assumption=assumption, alternative="greater")
    for ours, theirs in ((m.I, "I"), (m.expected, "EI"), (m.variance, "VI"), (m.z, "zI"),
                         (m.p_value, "pI")):
        assert ours == pytest.approx(ref[theirs], abs=TOL, rel=1e-8)
    c = maps.gearys_c(columbus, "CRIME", name, assumption=assumption)
    for ours, theirs in ((c.C, "C"), (c.expected, "EC"), (c.variance, "VC"), (c.z, "zC"),
                         (c.p_value, "pC")):
        assert ours == pytest.approx(ref[theirs], abs=TOL, rel=1e-8)


@pytest.mark.parametrize("name", ["queen", "rook"])
def test_local_moran_equals_spdep(columbus, name):
    ref = LOCAL[LOCAL["weights"] == name].sort_values("region")
    lisa = maps.local_moran(columbus, "CRIME", name)
    for ours, theirs in (("Ii", "Ii"), ("expected", "EIi"), ("variance", "VarIi"),
                         ("z", "ZIi"), ("p_value", "p")):
        np.testing.assert_allclose(lisa[ours], ref[theirs], atol=TOL, rtol=1e-8)
    assert (lisa["quadrant"].to_numpy() == ref["quadr_mean"].str.lower().to_numpy()).all()
    sig = lisa["p_value"] < 0.05
    assert (lisa.loc[sig, "cluster"] == lisa.loc[sig, "quadrant"]).all()
    assert (lisa.loc[~sig, "cluster"] == "not_significant").all()


@pytest.mark.parametrize("name", ["queen", "rook"])
def test_permutation_test_agrees_with_moran_mc(columbus, name):
    ref = GLOBAL[GLOBAL["weights"] == name].iloc[0]
    m = maps.morans_i(columbus, "AREA", name, alternative="greater", permutations=9999)
    moran_area = m.I
    assert moran_area == pytest.approx(ref["area_I"], abs=TOL)
    # different generators: agree within Monte Carlo error (4 binomial SE of 9,999 draws)
    se = np.sqrt(ref["area_mc_p_9999"] * (1 - ref["area_mc_p_9999"]) / 9999)
    assert abs(m.p_permutation - ref["area_mc_p_9999"]) < 4 * se
    crime = maps.morans_i(columbus, "CRIME", name, alternative="greater", permutations=999)
    assert crime.p_permutation == pytest.approx(1 / 1000)   # beyond every permutation


@pytest.mark.parametrize(("values", "match"), [
    (lambda v: v * 0 + 3.0, "constant"),
    (lambda v: v.where(v.index != 4, np.inf), r"infinite values in regions .*=inf"),
    (lambda v: v.astype(object).where(v.index != 2, "n/a"), "not numbers in regions .*'n/a'"),
    (lambda v: v.where(v.index != 5, np.nan), "missing values in regions"),
])
def test_moran_refuses_bad_values(columbus, values, match):
    gdf = columbus.assign(v=values(columbus["CRIME"].copy()))
    for fn in (maps.morans_i, maps.gearys_c, maps.local_moran):
        with pytest.raises(WorkbenchError, match=match):
            fn(gdf, "v")


def test_lisa_cluster_map_on_the_district_map():
    from workbench.geo import load_boundaries

    gdf = load_boundaries()
    gdf["v"] = np.linspace(1, 20, len(gdf)) ** 2
    fig = maps.lisa_cluster_map(gdf, "v", lang="en", title="demo")
    assert isinstance(fig, Figure)
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    counts = maps.local_moran(gdf, "v")["cluster"].value_counts()
    assert legend[-1] == f"not significant ({counts.get('not_significant', 0)})"
    assert sum(int(t.rsplit("(", 1)[1].rstrip(")")) for t in legend) == len(gdf)
