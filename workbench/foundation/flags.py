"""Cell flags that travel with a table: which cells are imputed, provisional, suppressed.

A function that builds a table for publication says which cells carry a mark by
setting ``df.attrs["flags"] = CellFlags({"provisional": mask, ...})``, one boolean
DataFrame per kind with the table's index and columns; the report turns them into
marks and footnotes (:mod:`workbench.reporting._flags`).

pandas deep-copies ``attrs`` into every frame and column derived from a table, so a
plain dict of DataFrames was copied a thousand times while one table was formatted
(a tenth of a second a table).  :class:`CellFlags` is read-only and hands itself on
instead of a copy.

Examples
--------
>>> import copy
>>> import pandas as pd
>>> flags = CellFlags({"provisional": pd.DataFrame({"v": [False, True]})})
>>> copy.deepcopy(flags) is flags, list(flags)
(True, ['provisional'])
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import Any

import pandas as pd

__all__ = ["CellFlags"]


class CellFlags(Mapping):
    """A read-only mapping of flag kind to a boolean mask of the table's cells."""

    def __init__(self, masks: Mapping[str, pd.DataFrame]) -> None:
        self._masks = MappingProxyType(dict(masks))

    def __getitem__(self, kind: str) -> pd.DataFrame:
        return self._masks[kind]

    def __iter__(self) -> Iterator[str]:
        return iter(self._masks)

    def __len__(self) -> int:
        return len(self._masks)

    def __copy__(self) -> CellFlags:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> CellFlags:
        return self  # the masks are never changed in place: sharing them is safe

    def __repr__(self) -> str:
        counts = (f"{kind}: {int(mask.to_numpy().sum())} cells" for kind, mask in self.items())
        return f"CellFlags({', '.join(counts)})"
