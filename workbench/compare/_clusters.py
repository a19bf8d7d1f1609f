"""Indicator profiles of regions and their clusters (PCA + k-means, k by silhouette)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..foundation.catalogue import Catalogue
from ..foundation.errors import WorkbenchError


# --------------------------------------------------------------- profiles and clusters
def profiles(matrix: pd.DataFrame, catalogue: Catalogue) -> pd.DataFrame:
    """Direction-aligned z-scores (positive = better than the regional mean) per indicator.

    Indicators with no spread are dropped (their z-score is undefined), never silently kept
    as NaN; missing values stay missing.
    """
    catalogue.check_codes(list(matrix.columns))
    sign = np.where(catalogue.table.loc[matrix.columns, "direction"] == "higher", 1.0, -1.0)
    sd = matrix.std(ddof=0)
    keep = sd > 0
    z = (matrix.loc[:, keep] - matrix.loc[:, keep].mean()) / sd[keep]
    return z * sign[keep.to_numpy()]


@dataclass
class ClusterResult:
    """PCA scores, cluster labels and the silhouette score of each k tried."""

    k: int
    labels: pd.Series
    scores: pd.DataFrame = field(repr=False)
    explained: np.ndarray = field(repr=False)
    criterion: pd.DataFrame = field(repr=False)

    def __repr__(self) -> str:
        sil = self.criterion.set_index("k").loc[self.k, "silhouette"]
        return (f"ClusterResult(k={self.k} by silhouette={sil:.3f}, {len(self.labels)} regions, "
                f"PC1+PC2 explain {self.explained[:2].sum():.0%})")

    def _repr_html_(self) -> str:
        return f"<p>{self.__repr__()}</p>" + self.criterion.to_html(index=False)


def cluster_regions(profile: pd.DataFrame, k: int | Sequence[int] = range(2, 6),
                    seed: int = 0) -> ClusterResult:
    """PCA of the profiles and k-means clusters; k chosen by the largest silhouette score.

    Regions with any missing value in ``profile`` raise an error (impute or drop
    indicators first) rather than being dropped silently.
    """
    from sklearn.cluster import KMeans
    from sklearn.decomposition import PCA
    from sklearn.metrics import silhouette_score

    missing = profile.index[profile.isna().any(axis=1)]
    if len(missing):
        cols = list(profile.columns[profile.isna().any()])
        raise WorkbenchError(f"Profiles have missing values for regions {list(missing)} "
                             f"(indicators {cols}); impute or drop those indicators first",
                             f"以下地区的指标画像有缺失：{list(missing)}（指标 {cols}）")
    ks = [k] if isinstance(k, int) else list(k)
    ks = [c for c in ks if 2 <= c < len(profile)]
    if not ks:
        raise WorkbenchError(f"k must be between 2 and n-1 = {len(profile) - 1}",
                             f"k 必须在 2 和 {len(profile) - 1} 之间")
    x = profile.to_numpy()
    fits = {c: KMeans(c, n_init=10, random_state=seed).fit(x) for c in ks}
    crit = pd.DataFrame({"k": ks, "silhouette": [silhouette_score(x, fits[c].labels_) for c in ks],
                         "inertia": [fits[c].inertia_ for c in ks]})
    best = int(crit.loc[crit["silhouette"].idxmax(), "k"])
    pca = PCA(n_components=min(2, x.shape[1]), random_state=seed).fit(x)
    scores = pd.DataFrame(pca.transform(x), index=profile.index,
                          columns=[f"PC{i + 1}" for i in range(pca.n_components_)])
    labels = pd.Series(fits[best].labels_ + 1, index=profile.index, name="cluster")
    return ClusterResult(best, labels, scores, pca.explained_variance_ratio_, crit)

