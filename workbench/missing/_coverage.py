"""Coverage of the monitoring panel: expected vs observed cells and the list of data gaps."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..foundation.errors import WorkbenchError
from . import _plots as _plots
from ._common import BREAKDOWN_LEVELS, _check_columns


# -- coverage of the monitoring panel ----------------------------------------------
@dataclass(frozen=True)
class Coverage:
    """Expected vs observed cells of the monitoring panel.

    ``cells`` has one row per expected cell (indicator, region, year, breakdown, level) with
    ``observed``; ``by_indicator`` / ``by_region`` / ``by_year`` give the share observed.
    """

    cells: pd.DataFrame = field(repr=False)
    catalogue_table: pd.DataFrame = field(repr=False)

    def share(self, by: str | list[str]) -> pd.DataFrame:
        g = self.cells.groupby(by, observed=True)["observed"]
        return g.agg(expected="size", observed="sum").assign(
            coverage=lambda t: t["observed"] / t["expected"]).reset_index()

    @property
    def by_indicator(self) -> pd.DataFrame:
        return self.share("indicator")

    @property
    def by_region(self) -> pd.DataFrame:
        return self.share("region")

    def matrix(self, rows: str = "indicator", cols: str = "year") -> pd.DataFrame:
        """Share observed as a rows x cols table, for heatmaps."""
        return self.share([rows, cols]).pivot(index=rows, columns=cols, values="coverage")

    def __repr__(self) -> str:
        c = self.cells
        return (f"Coverage({c['indicator'].nunique()} indicators, {c['region'].nunique()} "
                f"regions, {len(c)} expected cells, {c['observed'].mean():.1%} observed)")

    def _repr_html_(self) -> str:
        return f"<p>{self.__repr__()}</p>" + self.by_indicator.to_html(index=False)


def _expected_levels(cat_table: pd.DataFrame) -> pd.DataFrame:
    """indicator, breakdown, level: 'total' plus every level of every disaggregation."""
    t = cat_table[["code", "disaggregations", "age_groups"]].fillna("")
    rows = [pd.DataFrame({"indicator": t["code"], "breakdown": "total", "level": "total"})]
    split = t.assign(breakdown=t["disaggregations"].str.split(";")).explode("breakdown")
    split = split[split["breakdown"].str.len() > 0]
    for name, levels in BREAKDOWN_LEVELS.items():
        sub = split[split["breakdown"] == name]
        rows.append(sub[["code", "breakdown"]].rename(columns={"code": "indicator"})
                    .merge(pd.DataFrame({"level": levels}), how="cross"))
    ages = split[split["breakdown"] == "age_group"].assign(
        level=lambda d: d["age_groups"].str.split(";")).explode("level")
    rows.append(ages.rename(columns={"code": "indicator"})[["indicator", "breakdown", "level"]])
    return pd.concat(rows, ignore_index=True)


def _breakdown_of(obs: pd.DataFrame) -> pd.DataFrame:
    """Which breakdown (and level) each observation row belongs to.

    A cross-classified row (two dimensions not 'total') counts under the first of
    sex, age_group, residence, hukou.
    """
    dims = ["sex", "age_group", "residence", "hukou"]
    not_total = obs[dims].ne("total").to_numpy()
    breakdown = np.select(list(not_total.T), dims, default="total")
    level = np.select(list(not_total.T), [obs[d].to_numpy() for d in dims], default="total")
    return obs.assign(breakdown=breakdown, level=level)


def panel_coverage(observations: pd.DataFrame, catalogue, regions: list[str],
                   years: list[int], indicators: list[str] | None = None) -> Coverage:
    """Coverage of the panel: catalogue-expected cells vs rows in ``observations``.

    ``observations`` is ``Database.observations(breakdown=None)``; ``regions`` the districts
    and ``years`` the years expected.  Every expected cell appears once in ``cells``.

    Examples
    --------
    >>> from workbench.catalogue import load_catalogue
    >>> import pandas as pd
    >>> obs = pd.DataFrame({"indicator": ["H04"], "region": ["210102"], "year": [2020],
    ...     "sex": ["total"], "age_group": ["total"], "residence": ["total"],
    ...     "hukou": ["total"], "value": [1.0]})
    >>> cov = panel_coverage(obs, load_catalogue(), ["210102"], [2020, 2021], ["H04"])
    >>> cov.by_indicator[["expected", "observed"]].values.tolist()
    [[6, 1]]
    """
    table = catalogue.table
    if indicators is not None:
        catalogue.check_codes(list(indicators))
        table = table.loc[list(indicators)]
    if not len(regions) or not len(years):
        raise WorkbenchError("panel_coverage needs at least one region and one year",
                             "panel_coverage 至少需要一个地区和一个年份")
    levels = _expected_levels(table.reset_index(drop=True))
    grid = levels.merge(pd.DataFrame({"region": list(regions)}), how="cross").merge(
        pd.DataFrame({"year": [int(y) for y in years]}), how="cross")
    _check_columns(observations, ["indicator", "region", "year", "sex", "age_group",
                                  "residence", "hukou", "value"])
    have = _breakdown_of(observations[observations["value"].notna()])
    have = have[["indicator", "region", "year", "breakdown", "level"]].drop_duplicates()
    have = have.assign(year=have["year"].astype(int), observed=True)
    cells = grid.merge(have, how="left", on=["indicator", "region", "year", "breakdown",
                                               "level"])
    cells["observed"] = cells["observed"].fillna(False).astype(bool)
    return Coverage(cells, table)


def coverage_gaps(coverage: Coverage, threshold: float = 0.5, lang: str = "en"
                  ) -> pd.DataFrame:
    """Indicators with no data or coverage below ``threshold``: special-survey candidates.

    Columns: indicator, name, coverage, status (``never_collected`` / ``low_coverage``),
    responsible_unit, source_type, expected, observed.
    """
    if not 0 <= threshold <= 1:
        raise WorkbenchError(f"threshold must be between 0 and 1, got {threshold}",
                             f"threshold 须在 0 到 1 之间，实际 {threshold}")
    if lang not in ("zh", "en"):
        raise WorkbenchError(f"unknown lang {lang!r}; valid choices: zh, en",
                             f"未知语言「{lang}」；可选：zh, en")
    s = coverage.by_indicator
    t = coverage.catalogue_table
    gaps = s[(s["observed"] == 0) | (s["coverage"] < threshold)].copy()
    gaps["status"] = np.where(gaps["observed"] == 0, "never_collected", "low_coverage")
    gaps["name"] = t.loc[gaps["indicator"], f"name_{lang}"].to_numpy()
    gaps["responsible_unit"] = t.loc[gaps["indicator"], "responsible_unit"].to_numpy()
    gaps["source_type"] = t.loc[gaps["indicator"], "source_type"].to_numpy()
    cols = ["indicator", "name", "status", "coverage", "expected", "observed",
            "responsible_unit", "source_type"]
    return gaps[cols].sort_values(["coverage", "indicator"]).reset_index(drop=True)

