"""Global and local spatial autocorrelation as spdep computes it (internal).

Moran's I and Geary's C with their moments under normality and under randomisation
(Cliff and Ord 1981, as ``spdep::moran.test`` / ``geary.test``), the permutation test of
``spdep::moran.mc`` and local Moran's I_i with the conditional moments of
``spdep::localmoran`` (Sokal, Oden and Thomson 1998).  Written over a dense weights matrix
(districts number in the tens) so every moment is one line of numpy; the tests compare
every number with spdep on the columbus data (``tests/reference/spdep_columbus.R``).
"""

from __future__ import annotations

import numpy as np
from scipy import stats

ALTERNATIVES = ("greater", "less", "two-sided")
ASSUMPTIONS = ("randomisation", "normality")


def _p(z: np.ndarray | float, alternative: str) -> np.ndarray | float:
    if alternative == "greater":
        return stats.norm.sf(z)
    if alternative == "less":
        return stats.norm.cdf(z)
    return 2 * stats.norm.sf(np.abs(z))


def _sums(w: np.ndarray) -> tuple[float, float, float]:
    s0 = w.sum()
    s1 = 0.5 * ((w + w.T) ** 2).sum()
    s2 = ((w.sum(axis=1) + w.sum(axis=0)) ** 2).sum()
    return float(s0), float(s1), float(s2)


def moran(y: np.ndarray, w: np.ndarray, alternative: str = "greater") -> dict[str, float]:
    """Moran's I, E[I], variances under normality and randomisation, z and p for both."""
    n = len(y)
    z = y - y.mean()
    s0, s1, s2 = _sums(w)
    i = n / s0 * (z @ w @ z) / (z @ z)
    ei = -1.0 / (n - 1)
    v_norm = (n * n * s1 - n * s2 + 3 * s0 * s0) / (s0 * s0 * (n * n - 1)) - ei * ei
    k = n * (z**4).sum() / (z @ z) ** 2
    v_rand = (n * ((n * n - 3 * n + 3) * s1 - n * s2 + 3 * s0 * s0)
              - k * (n * (n - 1) * s1 - 2 * n * s2 + 6 * s0 * s0)) \
        / ((n - 1) * (n - 2) * (n - 3) * s0 * s0) - ei * ei
    out = {"I": float(i), "expected": ei, "variance_normality": float(v_norm),
           "variance_randomisation": float(v_rand)}
    for name, v in (("normality", v_norm), ("randomisation", v_rand)):
        zz = (i - ei) / np.sqrt(v)
        out[f"z_{name}"], out[f"p_{name}"] = float(zz), float(_p(zz, alternative))
    return out


def geary(y: np.ndarray, w: np.ndarray, alternative: str = "greater") -> dict[str, float]:
    """Geary's C, E[C] = 1, variances under normality and randomisation, z and p.

    As in spdep, ``z = (1 - C) / sd`` so that positive autocorrelation (C < 1) gives a
    positive z, and ``alternative="greater"`` tests for positive autocorrelation.
    """
    n = len(y)
    z = y - y.mean()
    s0, s1, s2 = _sums(w)
    diff2 = (y[:, None] - y[None, :]) ** 2
    c = (n - 1) * (w * diff2).sum() / (2 * s0 * (z @ z))
    v_norm = ((2 * s1 + s2) * (n - 1) - 4 * s0 * s0) / (2 * (n + 1) * s0 * s0)
    k = n * (z**4).sum() / (z @ z) ** 2
    v_rand = ((n - 1) * s1 * (n * n - 3 * n + 3 - (n - 1) * k)
              - 0.25 * (n - 1) * s2 * (n * n + 3 * n - 6 - (n * n - n + 2) * k)
              + s0 * s0 * (n * n - 3 - (n - 1) ** 2 * k)) / (n * (n - 2) * (n - 3) * s0 * s0)
    out = {"C": float(c), "expected": 1.0, "variance_normality": float(v_norm),
           "variance_randomisation": float(v_rand)}
    for name, v in (("normality", v_norm), ("randomisation", v_rand)):
        zz = (1 - c) / np.sqrt(v)
        out[f"z_{name}"], out[f"p_{name}"] = float(zz), float(_p(zz, alternative))
    return out


def moran_permutation(y: np.ndarray, w: np.ndarray, permutations: int, seed: int,
                      alternative: str = "greater") -> float:
    """The pseudo p-value of ``spdep::moran.mc``: ``(#{I_perm >= I} + 1) / (nsim + 1)``.

    Ties count half, as spdep ranks with average ties.  Permutations are drawn in one
    array (``permutations x n``) from ``numpy.random.default_rng(seed)``.
    """
    rng = np.random.default_rng(seed)
    z = y - y.mean()
    n, s0 = len(y), w.sum()
    i_obs = n / s0 * (z @ w @ z) / (z @ z)
    zp = z[rng.permuted(np.tile(np.arange(n), (permutations, 1)), axis=1)]
    i_perm = n / s0 * np.einsum("ij,jk,ik->i", zp, w, zp) / (z @ z)
    above = (i_perm > i_obs).sum() + 0.5 * np.isclose(i_perm, i_obs, rtol=1e-12).sum()
    below = permutations - above
    if alternative == "greater":
        return float((above + 1) / (permutations + 1))
    if alternative == "less":
        return float((below + 1) / (permutations + 1))
    return float(min(1.0, 2 * (min(above, below) + 1) / (permutations + 1)))


def local_moran(y: np.ndarray, w: np.ndarray, alternative: str = "two-sided",
                ) -> dict[str, np.ndarray]:
    """Local Moran's I_i with spdep's conditional expectation and variance (``localmoran``).

    ``m2 = sum z^2 / n``; ``I_i = z_i / m2 * sum_j w_ij z_j``;
    ``E[I_i] = -z_i^2 W_i / ((n - 1) m2)`` and
    ``Var[I_i] = (z_i / m2)^2 n / (n - 2) (w_i2 - W_i^2 / (n - 1)) (m2 - z_i^2 / (n - 1))``
    with ``W_i`` the row sum and ``w_i2`` the row sum of squares.  ``quadrant`` compares the
    value and its spatial lag with their means (spdep's ``quadr$mean``).
    """
    n = len(y)
    z = y - y.mean()
    m2 = (z @ z) / n
    lag = w @ z
    ii = z / m2 * lag
    wi, wi2 = w.sum(axis=1), (w**2).sum(axis=1)
    ei = -(z**2 * wi) / ((n - 1) * m2)
    vi = (z / m2) ** 2 * (n / (n - 2)) * (wi2 - wi**2 / (n - 1)) * (m2 - z**2 / (n - 1))
    zi = (ii - ei) / np.sqrt(vi)
    lag_y = w @ y
    high, lag_high = y > y.mean(), lag_y > lag_y.mean()
    quadrant = np.select([high & lag_high, ~high & ~lag_high, ~high & lag_high],
                         ["high-high", "low-low", "low-high"], "high-low")
    return {"Ii": ii, "expected": ei, "variance": vi, "z": zi, "p_value": _p(zi, alternative),
            "quadrant": quadrant}
