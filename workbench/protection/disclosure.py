"""Statistical disclosure control for every published table.

Two kinds of tables leave a notebook:

- *frequency tables* (counts of children, possibly with row/column totals):
  cells counting fewer than ``threshold`` children (default 10) are
  suppressed (primary suppression), and further cells are suppressed
  (secondary suppression) until no suppressed cell can be derived exactly
  from the published cells and margins.  Exact derivability is checked by
  linear algebra: a suppressed cell is derivable when its unit vector lies in
  the row space of the margin equations over the suppressed cells;
- *estimate tables* (means, proportions... with the number of respondents
  per row): rows based on fewer than ``threshold`` respondents have their
  estimates suppressed, and estimates with a coefficient of variation above
  30 % are flagged as unreliable.

Suppressed cells show ``x`` and the table carries a footnote in Chinese and
English.  The threshold is set per project in ``pyproject.toml``
(``[tool.workbench] min_cell_size = 10``) or with ``WORKBENCH_MIN_CELL``.

The greedy secondary suppression is written here because the maintained
tools for it (sdcTable in R, tau-ARGUS in Java) are not Python; tables in
this field are small, so an exact derivability check per cell is cheap.

Examples
--------
>>> import pandas as pd
>>> from workbench.disclosure import suppress_frequencies
>>> t = pd.DataFrame({"boys": [3, 20, 25], "girls": [30, 40, 22]}, index=["x", "y", "z"])
>>> t["total"] = t.sum(axis=1)
>>> t.loc["total"] = t.sum()
>>> r = suppress_frequencies(t, threshold=10)
>>> int(r.primary.to_numpy().sum()), int(r.suppressed.to_numpy().sum())
(1, 4)
>>> r.published().loc["x"].tolist()
['x', 'x', 33]
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from ..foundation import config

__all__ = ["min_cell_size", "suppress_frequencies", "control_estimates", "derivable_cells",
           "SuppressedTable", "MARK", "CV_LIMIT", "TOTAL_LABELS", "footnotes"]

MARK = "x"
CV_LIMIT = 0.30
TOTAL_LABELS = ("total", "Total", "合计", "总计", "All")
_DEFAULT_MIN = 10


@lru_cache(maxsize=1)
def _project_setting() -> int | None:
    try:
        data = tomllib.loads((config.project_root() / "pyproject.toml").read_text())
    except (OSError, RuntimeError, tomllib.TOMLDecodeError):
        return None
    return data.get("tool", {}).get("workbench", {}).get("min_cell_size")


def min_cell_size() -> int:
    """The smallest number of children a published cell may rest on."""
    env = os.environ.get("WORKBENCH_MIN_CELL")
    return int(env) if env else int(_project_setting() or _DEFAULT_MIN)


def footnotes(lang: str, threshold: int, secondary: bool = False, cv: bool = False) -> list[str]:
    """The notes that explain suppression marks and CV flags."""
    notes = []
    if lang == "zh":
        notes.append(f"{MARK}：基于少于{threshold}名儿童，已抑制" +
                     ("；为防止由合计反推，另有部分单元格一并抑制" if secondary else ""))
        if cv:
            notes.append(f"!：变异系数大于{CV_LIMIT:.0%}，估计值不可靠，仅供参考")
    else:
        notes.append(f"{MARK}: based on fewer than {threshold} children, suppressed" +
                     ("; further cells suppressed so that none can be derived from the totals"
                      if secondary else ""))
        if cv:
            notes.append(f"!: coefficient of variation above {CV_LIMIT:.0%}, unreliable")
    return notes


@dataclass
class SuppressedTable:
    """A frequency table after disclosure control."""

    original: pd.DataFrame
    primary: pd.DataFrame     # bool, cells below the threshold
    suppressed: pd.DataFrame  # bool, primary and secondary
    threshold: int

    @property
    def secondary(self) -> pd.DataFrame:
        return self.suppressed & ~self.primary

    def published(self) -> pd.DataFrame:
        """The table as published: suppressed cells replaced by the mark."""
        return self.original.astype(object).mask(self.suppressed, MARK)

    def __repr__(self) -> str:
        return (f"<SuppressedTable {self.original.shape}: {int(self.primary.to_numpy().sum())} "
                f"primary, {int(self.secondary.to_numpy().sum())} secondary (threshold "
                f"{self.threshold})>")


def _split_margins(table: pd.DataFrame) -> tuple[list, list]:
    rows = [i for i in table.index if str(i) in TOTAL_LABELS]
    cols = [c for c in table.columns if str(c) in TOTAL_LABELS]
    return rows, cols


def _equations(table: pd.DataFrame, margins: bool) -> list[list[tuple[tuple, float]]]:
    """Each additive relation as ((row, col), coefficient) pairs summing to zero.

    Inner cells of each row sum to the row total, each column to the column total, and
    the totals to the grand total; without margins there are no relations.
    """
    if not margins:
        return []
    total_rows, total_cols = _split_margins(table)
    r_pos = [table.index.get_loc(i) for i in table.index if i not in total_rows]
    c_pos = [table.columns.get_loc(c) for c in table.columns if c not in total_cols]
    rt = [table.index.get_loc(i) for i in total_rows]
    ct = [table.columns.get_loc(c) for c in total_cols]
    eqs = []
    for r in r_pos + rt:  # inner cells of a row minus its total = 0
        eqs += [[((r, c), 1.0) for c in c_pos] + [((r, t), -1.0)] for t in ct]
    for c in c_pos + ct:
        eqs += [[((r, c), 1.0) for r in r_pos] + [((t, c), -1.0)] for t in rt]
    return eqs


def derivable_cells(suppressed: np.ndarray, equations: list) -> list:
    """Suppressed cells whose value follows exactly from the published ones.

    Published cells move to the constant side, so only the coefficients of the
    suppressed cells matter: a cell is derivable when its unit vector is a
    linear combination of the equations' rows.
    """
    unknown = [tuple(int(v) for v in x) for x in np.argwhere(suppressed)]
    if not unknown:
        return []
    position = {cell: i for i, cell in enumerate(unknown)}
    a = np.zeros((len(equations), len(unknown)))
    for i, eq in enumerate(equations):
        for cell, coef in eq:
            if cell in position:
                a[i, position[cell]] = coef
    rank = np.linalg.matrix_rank(a) if len(equations) else 0
    found = []
    for cell, i in position.items():
        e = np.zeros((1, len(unknown)))
        e[0, i] = 1.0
        if len(equations) and np.linalg.matrix_rank(np.vstack([a, e])) == rank:
            found.append(cell)
    return found


def suppress_frequencies(table: pd.DataFrame, threshold: int | None = None,
                         margins: bool = True) -> SuppressedTable:
    """Primary and secondary suppression of a frequency table.

    Parameters
    ----------
    table : DataFrame
        Counts; rows/columns labelled ``total``/``合计`` are margins.
    threshold : int, optional
        Smallest publishable count (default :func:`min_cell_size`); zero cells
        are published (a zero reveals no child).
    margins : bool
        Whether the margins are (or will be) published; without margins only
        primary suppression is needed.
    """
    threshold = threshold or min_cell_size()
    values = table.to_numpy(dtype=float)
    primary = (values > 0) & (values < threshold)
    suppressed = primary.copy()
    equations = _equations(table, margins)
    total_rows, total_cols = _split_margins(table)
    inner = np.ones_like(suppressed)
    for i in total_rows:
        inner[table.index.get_loc(i), :] = False
    for c in total_cols:
        inner[:, table.columns.get_loc(c)] = False
    suppressed = _secondary(values, suppressed, inner, equations)
    return SuppressedTable(table, pd.DataFrame(primary, table.index, table.columns),
                           pd.DataFrame(suppressed, table.index, table.columns), threshold)


def _singles(suppressed: np.ndarray, equations: list) -> list:
    """Relations with exactly one suppressed cell: that cell is plainly recoverable."""
    return [eq for eq in equations if sum(bool(suppressed[cell]) for cell, _ in eq) == 1]


def _cheapest(candidates: list, values: np.ndarray, inner: np.ndarray, trial_cost) -> tuple:
    # ties go to inner cells (margins stay published), then to the smallest count
    return min(candidates, key=lambda x: (trial_cost(x), not inner[x], values[x] <= 0,
                                          values[x]))


def _secondary(values: np.ndarray, suppressed: np.ndarray, inner: np.ndarray,
               equations: list) -> np.ndarray:
    """Add complementary suppressions until no suppressed cell can be derived.

    First every relation with a single suppressed cell gets a second one, chosen
    so as to leave the fewest such relations (this finds the usual rectangles);
    then the exact check, adding the open cell that leaves the fewest
    derivable cells, until none is left.
    """
    def with_cell(x: tuple) -> np.ndarray:
        trial = suppressed.copy()
        trial[x] = True
        return trial

    while singles := _singles(suppressed, equations):
        candidates = [cell for cell, _ in singles[0] if not suppressed[cell]]
        suppressed = with_cell(_cheapest(candidates, values, inner,
                                         lambda x: len(_singles(with_cell(x), equations))))
    while derivable := derivable_cells(suppressed, equations):
        r, c = derivable[0]
        candidates = [x for x in {(r, j) for j in range(values.shape[1])}
                      | {(i, c) for i in range(values.shape[0])} if not suppressed[x]] or \
            [tuple(x) for x in np.argwhere(~suppressed)]
        suppressed = with_cell(_cheapest(candidates, values, inner,
                                         lambda x: len(derivable_cells(with_cell(x),
                                                                       equations))))
    return suppressed


def control_estimates(df: pd.DataFrame, counts: str = "n", value_columns: list[str] | None = None,
                      threshold: int | None = None, cv: str | None = "cv",
                      lang: str = "zh") -> tuple[pd.DataFrame, list[str]]:
    """Suppress estimates resting on fewer than ``threshold`` respondents; flag CV > 30 %.

    Returns the published table and its footnotes.
    """
    threshold = threshold or min_cell_size()
    small = pd.to_numeric(df[counts], errors="coerce") < threshold
    numeric = value_columns or [c for c in df.columns if c != counts and
                                pd.api.types.is_numeric_dtype(df[c])]
    out = df.astype({c: object for c in numeric})
    out.loc[small, numeric] = MARK
    flagged = False
    if cv and cv in df.columns:
        unreliable = (pd.to_numeric(df[cv], errors="coerce") > CV_LIMIT) & ~small
        flagged = bool(unreliable.any())
        out["flag"] = np.where(unreliable, "!", "")
    notes = footnotes(lang, threshold, cv=flagged) if small.any() or flagged else []
    return out, notes
