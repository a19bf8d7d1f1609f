"""Regional comparisons: rankings with uncertainty, gaps, inequality, composite index, clusters.

What comes from maintained libraries: normal draws and ranks (numpy/scipy), PCA, k-means and
the silhouette criterion (scikit-learn); Moran's I and choropleth classes live in
:mod:`workbench.maps` (PySAL ``esda``/``libpysal``, ``mapclassify``).  Written here by hand:
the *weighted* Gini and Theil indices with the Theil between/within decomposition (PySAL
``inequality`` only has unweighted versions; the tests check the unweighted case against it and
against the published Mexico value), and the composite index of the JRC/OECD *Handbook on
Constructing Composite Indicators* (2008) in :mod:`workbench.compare._composite`, because
no maintained Python library implements it (COINr is R only).

Theil T (``kind="T"``, the default) is ``sum s_i (x_i/mu) ln(x_i/mu)``, sensitive at the top;
Theil L (``kind="L"``, the mean log deviation) is ``sum s_i ln(mu/x_i)``, sensitive at the
bottom; ``s_i`` are the weight shares (population shares when weights are populations).

Examples
--------
>>> from workbench.compare import gini, theil
>>> round(gini([1, 2, 3, 4]), 4)
0.25
>>> t = theil([1, 2, 3, 4], groups=["a", "a", "b", "b"])
>>> round(t.value, 4), round(t.between + t.within, 4)
(0.1064, 0.1064)
"""

__all__ = [
    "ComparisonTable", "comparison_table", "rank_intervals", "group_gaps", "available_groups",
    "GROUPS",
    "gini", "atkinson", "lorenz_curve", "theil", "TheilResult", "inequality_summary",
    "normalise", "composite_index",
    "composite_sensitivity", "CompositeResult", "Sensitivity", "indicator_matrix",
    "NORMALISATIONS", "AGGREGATIONS", "informative", "profiles", "cluster_regions", "ClusterResult",
    "rank_interval_chart", "gap_chart", "cluster_chart",
]
from ._charts import cluster_chart, gap_chart, rank_interval_chart
from ._clusters import ClusterResult, cluster_regions, profiles
from ._composite import (
    AGGREGATIONS,
    NORMALISATIONS,
    CompositeResult,
    Sensitivity,
    composite_index,
    composite_sensitivity,
    indicator_matrix,
    informative,
    normalise,
)
from ._inequality import TheilResult, atkinson, gini, inequality_summary, lorenz_curve, theil
from ._tables import (
    GROUPS,
    ComparisonTable,
    available_groups,
    comparison_table,
    group_gaps,
    rank_intervals,
)
