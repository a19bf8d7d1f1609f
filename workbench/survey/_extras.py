"""Planning and reporting helpers for :mod:`workbench.survey`.

Sample size (Cochran's formula with finite population correction, design effect and
response rate), reliability flags for published cells, and a forest plot of estimates with
intervals.  SPSS/Stata files are read in ``_io``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ..foundation.errors import WorkbenchError

_FLAGS = {
    "cv": {"zh": "变异系数>{:.0%}", "en": "CV>{:.0%}"},
    "n": {"zh": "样本<{}", "en": "n<{}"},
    "ok": {"zh": "", "en": ""},
}


def sample_size(moe: float | None = None, p: float = 0.5, cv: float | None = None,
                mean: float | None = None, sd: float | None = None, deff: float = 1.0,
                response_rate: float = 1.0, population=None, domains=None,
                level: float = 0.95) -> pd.DataFrame:
    """Respondents and contacts needed per domain.

    Give ``moe`` (half-width of the interval, absolute: 0.05 = 5 points for a proportion
    ``p``, or in the units of ``sd``), or a target ``cv`` (with ``p``, or ``mean`` and
    ``sd``).  ``n0 = z^2 S^2 / e^2``, corrected for a finite ``population`` (scalar or
    per domain) as ``n0 / (1 + (n0 - 1) / N)``, times ``deff``, divided by ``response_rate``.

    Examples
    --------
    >>> sample_size(moe=0.05, p=0.5)[["n_srs", "n_required"]]
       n_srs  n_required
    0    385         385
    >>> sample_size(moe=0.05, population=10_000, deff=2, response_rate=0.8)["n_contact"].item()
    925
    """
    if (moe is None) == (cv is None):
        raise WorkbenchError("Give exactly one of moe= or cv=.", "moe= 与 cv= 须且只能给一个。")
    for name, v, lo, hi in (("p", p, 0, 1), ("response_rate", response_rate, 0, 1),
                            ("level", level, 0, 1)):
        if not lo < v <= hi or (name != "response_rate" and v == hi):
            raise WorkbenchError(f"{name}={v} must be in (0, 1).", f"{name}={v} 须在 (0, 1) 内。")
    if deff < 1e-9:
        raise WorkbenchError(f"deff={deff} must be positive.", f"deff={deff} 须为正数。")
    z = stats.norm.ppf(0.5 + level / 2)
    var = sd ** 2 if sd is not None else p * (1 - p)
    centre = mean if mean is not None else p
    e = moe if moe is not None else cv * centre
    n0 = z ** 2 * var / e ** 2
    names = domains if domains is not None else (population.index if isinstance(
        population, pd.Series) else ["(all)"])
    if isinstance(domains, int):
        names = [f"domain {i + 1}" for i in range(domains)]
    out = pd.DataFrame({"domain": list(names)})
    pop = population.reindex(out["domain"]).to_numpy(dtype=float) \
        if isinstance(population, pd.Series) else np.full(len(out), np.inf if population is None
                                                          else float(population))
    n_fpc = n0 / (1 + (n0 - 1) / pop)
    out["n_srs"] = np.ceil(n0 - 1e-9).astype(int)
    out["n_fpc"] = np.ceil(n_fpc - 1e-9).astype(int)
    out["n_required"] = np.ceil(n_fpc * deff - 1e-9).astype(int)
    out["n_contact"] = np.ceil(n_fpc * deff / response_rate - 1e-9).astype(int)
    if len(out) == 1 and domains is None:
        out = out.drop(columns="domain")
    return out


def flag_unreliable(table: pd.DataFrame, max_cv: float = 0.30, min_n: int = 30,
                    lang: str = "en") -> pd.DataFrame:
    """Add ``reliable`` and ``flag`` (CV above ``max_cv`` or fewer than ``min_n`` respondents).

    Examples
    --------
    >>> t = pd.DataFrame({"estimate": [0.5, 0.1], "cv": [0.1, 0.4], "n": [100, 20]})
    >>> flag_unreliable(t)["flag"].tolist()
    ['', 'CV>30%; n<30']
    """
    if lang not in ("zh", "en"):
        raise WorkbenchError(f"lang={lang!r}; choose zh or en.", f"lang={lang!r}，可选 zh 或 en。")
    high_cv = ~(table["cv"] <= max_cv)
    few = table["n"] < min_n
    sep = "；" if lang == "zh" else "; "
    cv_txt = _FLAGS["cv"][lang].format(max_cv)
    n_txt = _FLAGS["n"][lang].format(min_n)
    flag = [sep.join(t for t, on in ((cv_txt, a), (n_txt, b)) if on)
            for a, b in zip(high_cv, few, strict=True)]
    return table.assign(reliable=~(high_cv | few), flag=flag)


def forest_plot(table: pd.DataFrame, label: str, title: str = "", lang: str = "en",
                percent: bool = False):
    """Estimates with intervals, one line per row; unreliable cells drawn hollow."""
    import matplotlib.pyplot as plt

    t = table.reset_index(drop=True)
    fig, ax = plt.subplots(figsize=(6.5, 0.32 * len(t) + 1.2))
    scale = 100 if percent else 1
    y = np.arange(len(t))[::-1]
    ok = t["reliable"].to_numpy() if "reliable" in t else np.ones(len(t), bool)
    ax.hlines(y, t["ci_low"] * scale, t["ci_high"] * scale, color="#4c72b0")
    ax.plot(t["estimate"][ok] * scale, y[ok], "o", color="#4c72b0")
    ax.plot(t["estimate"][~ok] * scale, y[~ok], "o", mfc="white", color="#c44e52",
            label="不可靠（CV>30% 或 n<30）" if lang == "zh" else "unreliable (CV>30% or n<30)")
    ax.set_yticks(y, t[label].astype(str))
    ax.set_title(title)
    if (~ok).any():
        ax.legend(loc="best", fontsize=8)
    fig.tight_layout()
    return fig
