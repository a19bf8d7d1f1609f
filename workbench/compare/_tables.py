"""Comparison tables: values with rank intervals, gaps to target and city, change since the
base year, and group gaps (parity index)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..foundation.catalogue import Catalogue, Indicator
from ..foundation.errors import WorkbenchError, choices_text
from ..foundation.i18n import check_lang
from ..foundation.regions import CITY_CODE
from . import _core as core

# breakdown -> (column, numerator group, denominator group); the parity index is a / b
GROUPS = {"sex": ("sex", "female", "male"), "residence": ("residence", "urban", "rural"),
          "hukou": ("hukou", "local", "migrant")}
_MARK = {"better": ("较好", "better"), "worse": ("较差", "worse"), "same": ("持平", "same"),
         "": ("", "")}


# ----------------------------------------------------------------- rankings and the table
def rank_intervals(values: pd.Series, se: pd.Series | None = None, direction: str = "higher",
                   level: float = 0.95, n_draws: int = 1000, seed: int = 0) -> pd.DataFrame:
    """Observed rank (1 = best) and a simulated rank interval per region.

    Each estimate is drawn ``n_draws`` times from Normal(value, se); the interval holds the
    central ``level`` share of the simulated ranks.  Zero or missing SEs keep the value
    fixed, so with all SEs zero every interval collapses to the observed rank.

    Examples
    --------
    >>> import pandas as pd
    >>> v = pd.Series({"a": 10.0, "b": 12.0, "c": 11.0})
    >>> rank_intervals(v, pd.Series(0.0, index=v.index)).to_dict("list")["rank_low"]
    [3, 1, 2]
    """
    if direction not in ("higher", "lower"):
        raise WorkbenchError(f"direction must be 'higher' or 'lower', got {direction!r}",
                             f"direction 只能是 higher 或 lower，实际为 {direction!r}")
    if not 0 < level < 1:
        raise WorkbenchError(f"level must be between 0 and 1, got {level}",
                             f"level 必须在 0 和 1 之间，实际为 {level}")
    values = values.astype(float)
    if values.isna().any():
        raise WorkbenchError(
            f"values missing for {list(values.index[values.isna()])}; drop them before ranking",
            f"以下地区缺少数值：{list(values.index[values.isna()])}，请先剔除")
    se = pd.Series(0.0, index=values.index) if se is None else se.reindex(values.index)
    draws = core.rank_draws(values.to_numpy(), se.to_numpy(), direction == "higher",
                            n_draws, seed)
    alpha = (1 - level) / 2
    observed = (-values if direction == "higher" else values).rank(method="min")
    low, high = np.quantile(draws, [alpha, 1 - alpha], axis=0, method="inverted_cdf")
    return pd.DataFrame({"rank": observed.astype(int).to_numpy(),
                         "rank_low": low.astype(int), "rank_high": high.astype(int)},
                        index=values.index)


@dataclass
class ComparisonTable:
    """One indicator in one year across regions (``table``: one row per region)."""

    indicator: str
    year: int
    base_year: int | None
    city_value: float
    target: tuple[str, float, str] | None
    table: pd.DataFrame = field(repr=False)

    def __repr__(self) -> str:
        tgt = "none" if self.target is None else (
            f"{self.target[0]} {self.target[1]:g}{'*' if self.target[2] == 'P' else ''}")
        missing = int(self.table["value"].isna().sum())
        gone = f" ({missing} without data)" if missing else ""
        return (f"ComparisonTable({self.indicator}, {self.year}, {len(self.table)} regions{gone}, "
                f"city={self.city_value:.4g}, target {tgt})")

    def _repr_html_(self) -> str:
        return f"<p>{self.__repr__()}</p>" + self.table.to_html(float_format="{:.4g}".format)


def _city_value(obs: pd.DataFrame, ind: Indicator) -> float:
    """Pooled numerator / denominator over regions, or NaN when they are not all reported."""
    if obs[["numerator", "denominator"]].notna().all().all() and len(obs):
        return float(obs["numerator"].sum() / obs["denominator"].sum() * ind.scale)
    return float("nan")


def _better(delta: pd.Series, direction: str) -> pd.Series:
    sign = np.sign(delta) * (1 if direction == "higher" else -1)
    out = pd.Series(np.select([sign > 0, sign < 0, sign == 0], ["better", "worse", "same"], ""),
                    index=delta.index)
    return out.where(delta.notna(), "")


def comparison_table(obs: pd.DataFrame, catalogue: Catalogue, indicator: str, year: int,
                     base_year: int | None = 2020, city: str = CITY_CODE, level: float = 0.95,
                     n_draws: int = 1000, seed: int = 0, names: pd.Series | None = None,
                     lang: str = "zh", regions: Sequence[str] | None = None) -> ComparisonTable:
    """Value, CI, gaps to target and city, rank interval and change since ``base_year``.

    Parameters
    ----------
    obs : DataFrame
        Tidy totals as from ``Database.observations(breakdown="total")`` (``indicator``,
        ``region``, ``year``, ``value``, ``numerator``, ``denominator``, ``se``).
    catalogue : Catalogue
        Direction, scale and 2030 target of the indicator.
    city : str
        Code of the reference area; its row is used when present, else the pooled
        ``numerator / denominator`` of the regions (NaN when those are not all reported).
    names : Series, optional
        Region names by code, added as a ``name`` column.
    regions : sequence of str, optional
        Regions that must appear: those without a value get a row with missing value and
        no rank instead of disappearing.

    Returns
    -------
    ComparisonTable
        ``table`` columns: region, name, value, se, ci_low, ci_high (survey estimates only),
        target (``*`` marks a placeholder), gap_to_target (positive = better than the target),
        gap_to_city (positive = better), rank, rank_low, rank_high, base_value, change,
        trend (better/worse/same in ``lang``).

    Examples
    --------
    >>> import pandas as pd
    >>> from workbench.catalogue import load_catalogue
    >>> obs = pd.DataFrame({"indicator": "H03", "region": ["a", "b"] * 2,
    ...                     "year": [2020, 2020, 2025, 2025], "value": [6.0, 5.0, 4.0, 5.5],
    ...                     "numerator": None, "denominator": None, "se": None})
    >>> t = comparison_table(obs, load_catalogue(), "H03", 2025, lang="en").table
    >>> t[["region", "rank", "gap_to_target"]].to_dict("list")
    {'region': ['a', 'b'], 'rank': [1, 2], 'gap_to_target': [2.0, 0.5]}
    >>> t["trend"].tolist()
    ['better', 'worse']
    """
    check_lang(lang)
    catalogue.check_codes([indicator])
    ind = catalogue[indicator]
    obs = obs[obs["indicator"] == indicator]
    for col in ("sex", "age_group", "residence", "hukou"):
        if col in obs:
            obs = obs[obs[col] == "total"]
    now = obs[obs["year"] == year]
    if now.empty:
        years = sorted(obs["year"].unique())
        raise WorkbenchError(f"No data for {indicator} in {year}; years with data: "
                             f"{choices_text(years)}",
                             f"{indicator} 在 {year} 年没有数据；"
                             f"有数据的年份：{choices_text(years)}")
    if now["region"].duplicated().any():
        dup = sorted(now.loc[now["region"].duplicated(), "region"].unique())
        raise WorkbenchError(f"Several values for {indicator} {year} in regions {dup}",
                             f"{indicator} {year} 年以下地区有多个数值：{dup}")
    city_rows = now[now["region"] == city]
    now = now[now["region"] != city].set_index("region")
    city_value = (float(city_rows["value"].iloc[0]) if len(city_rows)
                  else _city_value(now, ind))
    direction = ind.direction
    sign = 1 if direction == "higher" else -1
    se = now["se"].astype(float)
    from scipy.stats import norm

    zcrit = norm.ppf(0.5 + level / 2)
    out = pd.DataFrame({"value": now["value"].astype(float), "se": se,
                        "ci_low": now["value"] - zcrit * se, "ci_high": now["value"] + zcrit * se})
    target = ind.target(2030)
    out["target"] = "" if target is None else (
        f"{target[0]} {target[1]:g}{'*' if target[2] == 'P' else ''}")
    out["gap_to_target"] = np.nan if target is None else sign * (out["value"] - target[1])
    out["gap_to_city"] = sign * (out["value"] - city_value)
    out = out.join(rank_intervals(out["value"], se.fillna(0.0), direction, level, n_draws, seed))
    if base_year is not None:
        base = obs[obs["year"] == base_year].set_index("region")["value"]
        out["base_value"] = base.reindex(out.index).astype(float)
        out["change"] = out["value"] - out["base_value"]
        trend = _better(out["change"], direction)
        out["trend"] = trend.map(lambda k: _MARK[k][0 if lang == "zh" else 1])
    if regions is not None:
        # requested regions without a value stay in the table as "no data", unranked
        out = out.reindex(pd.Index(list(dict.fromkeys([*out.index, *regions])), name="region"))
        out = out.astype({c: "Int64" for c in ("rank", "rank_low", "rank_high")})
    out = out.reset_index().sort_values(["rank", "region"]).reset_index(drop=True)
    if names is not None:
        out.insert(1, "name", out["region"].map(names))
    return ComparisonTable(indicator, year, base_year, city_value, target, out)


# ----------------------------------------------------------------------- group gaps
def group_gaps(obs: pd.DataFrame, indicator: str, year: int, by: str = "sex",
               level: float = 0.95) -> pd.DataFrame:
    """Parity index (a / b) and gap (a - b) between two groups per region, with CIs.

    ``by="sex"`` gives the sex parity index female / male; ``"residence"`` urban / rural;
    ``"hukou"`` local / migrant.  With survey SEs the CI of the gap is ``gap +- z sqrt(se_a^2 +
    se_b^2)`` and of the index ``exp(log r +- z sqrt((se_a/a)^2 + (se_b/b)^2))`` (delta
    method).  Both treat the two group estimates as independent, which ignores their
    covariance within shared clusters; the intervals are approximate.

    Examples
    --------
    >>> import pandas as pd
    >>> obs = pd.DataFrame({"indicator": "E01", "region": "a", "year": 2025,
    ...                     "sex": ["female", "male"], "value": [90.0, 80.0], "se": None})
    >>> group_gaps(obs, "E01", 2025)[["region", "index", "gap"]].to_dict("records")
    [{'region': 'a', 'index': 1.125, 'gap': 10.0}]
    """
    if by not in GROUPS:
        raise WorkbenchError(f"Unknown comparison group {by!r}; choose from {choices_text(GROUPS)}",
                             f"未知的比较分组 {by!r}；可选：{choices_text(GROUPS)}")
    col, a, b = GROUPS[by]
    sel = obs[(obs["indicator"] == indicator) & (obs["year"] == year)]
    if col not in sel or sel[col].isin([a, b]).sum() == 0:
        raise WorkbenchError(f"No {by} breakdown ({a}/{b}) for {indicator} in {year}",
                             f"{indicator} {year} 年没有按 {by} 分组（{a}/{b}）的数据")
    wide = sel[sel[col].isin([a, b])].pivot_table(index="region", columns=col,
                                                  values=["value", "se"], aggfunc="first",
                                                  dropna=False)
    va, vb = wide[("value", a)].astype(float), wide[("value", b)].astype(float)
    sa = wide.get(("se", a), pd.Series(np.nan, index=wide.index)).astype(float)
    sb = wide.get(("se", b), pd.Series(np.nan, index=wide.index)).astype(float)
    from scipy.stats import norm

    z = norm.ppf(0.5 + level / 2)
    gap_se = np.sqrt(sa**2 + sb**2)
    log_se = np.sqrt((sa / va) ** 2 + (sb / vb) ** 2)
    # a zero in the reference group leaves the index undefined (NaN), not infinite
    index = va / vb.where(vb != 0)
    out = pd.DataFrame({"group_a": a, "group_b": b, "value_a": va, "value_b": vb,
                        "index": index, "index_low": index * np.exp(-z * log_se),
                        "index_high": index * np.exp(z * log_se), "gap": va - vb,
                        "gap_low": va - vb - z * gap_se, "gap_high": va - vb + z * gap_se})
    return out.rename_axis(None, axis=1).reset_index()


def available_groups(obs: pd.DataFrame, indicator: str, year: int,
                     groups: Sequence[str] = tuple(GROUPS)) -> list[str]:
    """The comparison groups (of ``groups``) with both sides reported for ``indicator``.

    Examples
    --------
    >>> import pandas as pd
    >>> obs = pd.DataFrame({"indicator": "E01", "region": "a", "year": 2025, "sex": ["female",
    ...                     "male"], "residence": "total", "hukou": "total", "value": 1.0})
    >>> available_groups(obs, "E01", 2025)
    ['sex']
    """
    unknown = [g for g in groups if g not in GROUPS]
    if unknown:
        raise WorkbenchError(f"Unknown comparison groups {unknown}; choose from "
                             f"{choices_text(GROUPS)}",
                             f"未知的比较分组 {unknown}；可选：{choices_text(GROUPS)}")
    sel = obs[(obs["indicator"] == indicator) & (obs["year"] == year)]
    return [g for g in groups if GROUPS[g][0] in sel
            and {GROUPS[g][1], GROUPS[g][2]} <= set(sel[GROUPS[g][0]])]


