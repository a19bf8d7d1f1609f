"""Shaping tidy results into the tables researchers read.

Examples
--------
>>> import pandas as pd
>>> from workbench.tables import by_region_and_year
>>> obs = pd.DataFrame({"region": ["210102", "210102"], "year": [2020, 2021],
...                     "value": [4.0, 3.5]})
>>> by_region_and_year(obs, pd.Series({"210102": "和平区"})).to_dict("records")
[{'region': '和平区', '2020': 4.0, '2021': 3.5}]
"""

from __future__ import annotations

import pandas as pd

__all__ = ["by_region_and_year"]


def by_region_and_year(obs: pd.DataFrame, names: pd.Series, decimals: int = 2) -> pd.DataFrame:
    """Regions as rows (by name, in the order of ``names``), years as columns."""
    wide = obs.pivot_table(index="region", columns="year", values="value", aggfunc="first")
    wide = wide.reindex([c for c in names.index if c in wide.index]).round(decimals)
    wide.columns = [str(c) for c in wide.columns]
    wide.index = wide.index.map(names)
    wide.index.name = "region"
    return wide.reset_index()
