"""What a published table's columns hold, worked out once per column on plain lists.

The report and the XLSX ask each column the same questions: which cells are missing,
whether it holds yes/no values, whether it holds numbers among suppression marks
(``x``), whether its numbers are whole.  The tables a report publishes are small
(10-60 rows), where pandas costs 50-100 us per Series operation whatever the size, and
a table asks a dozen questions per column in the report and again in the XLSX: here
each column is turned into a NumPy array or a Python list once and the questions are
answered on that.  Columns of unusual types (categories, dates, intervals) take the
pandas path the rules were first written with, so their answers cannot drift.

Examples
--------
>>> import pandas as pd
>>> facts = column_facts(pd.Series(["x", 12.0, None], dtype=object))
>>> facts.marked, facts.numbers.tolist(), facts.missing.tolist()
(True, [nan, 12.0, nan], [True, False, True])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..protection.disclosure import MARK

__all__ = ["ColumnFacts", "column_facts", "MISSING_TEXT", "as_text", "missing_pandas",
           "is_bool_pandas"]

MISSING_TEXT = frozenset(("nan", "NaN", "<NA>", "None", "inf", "-inf"))
_NUMBER_KINDS = ("floating", "integer", "mixed-integer-float", "empty")


def as_text(value: object) -> str:
    """A cell as ``Series.astype(str)`` writes it (bytes are decoded, the rest ``str``)."""
    return value.decode() if isinstance(value, bytes) else str(value)


def _kind(values: pd.Series) -> str:
    dtype = values.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "bool"
    if pd.api.types.is_numeric_dtype(dtype):
        return "number"
    if isinstance(dtype, pd.StringDtype) or pd.api.types.is_object_dtype(dtype):
        return "cells"
    return "other"


def missing_pandas(values: pd.Series) -> pd.Series:
    """Missing cells of an unusual column, the pandas way (the rule the fast path follows)."""
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        numbers = values.to_numpy(dtype="float64", na_value=np.nan)
        return pd.Series(~np.isfinite(numbers), index=values.index)
    # an empty text cell stays blank: nothing to say is not missing data
    text = values if pd.api.types.is_string_dtype(values) and values.dtype != object \
        else values.astype(str)
    return values.isna() | text.isin(list(MISSING_TEXT)).fillna(False).astype(bool)


def is_bool_pandas(values: pd.Series) -> bool:
    """Whether a column holds yes/no values, the pandas way."""
    if pd.api.types.is_bool_dtype(values):
        return True
    present = values.dropna()
    return not pd.api.types.is_numeric_dtype(values) and len(present) > 0 and \
        present.map(lambda v: isinstance(v, bool | np.bool_)).all()


@dataclass
class ColumnFacts:
    """One column's answers: ``cells`` (list), ``na``/``missing`` (bool arrays), ``boolean``,
    ``numeric`` (number dtype, not yes/no), ``integer`` (integer dtype), and for number
    columns or numbers among suppression marks (``marked``) the float ``numbers``."""

    series: pd.Series
    cells: list
    na: np.ndarray | None  # None, NaN, <NA> (as ``isna``), for the cell kinds
    missing: np.ndarray
    boolean: bool
    numeric: bool
    integer: bool
    numbers: np.ndarray | None
    marked: bool


def column_facts(values: pd.Series) -> ColumnFacts:
    """Answer every question about a column in one pass (see the module docstring)."""
    kind = _kind(values)
    if kind == "number":
        numbers = values.to_numpy(dtype="float64", na_value=np.nan)
        return ColumnFacts(values, [], None, ~np.isfinite(numbers), False, True,
                           pd.api.types.is_integer_dtype(values.dtype), numbers, False)
    if kind == "other":
        return _other(values)
    cells = values.to_numpy(dtype=object)
    na = pd.isna(cells)
    texts = [None if n else as_text(v) for v, n in zip(cells.tolist(), na.tolist(), strict=True)]
    missing = np.array([n or t in MISSING_TEXT for n, t in zip(na.tolist(), texts, strict=True)],
                       dtype=bool)
    present = [v for v, n in zip(cells.tolist(), na.tolist(), strict=True) if not n]
    boolean = kind == "bool" or (len(present) > 0 and
                                 all(isinstance(v, bool | np.bool_) for v in present))
    facts = ColumnFacts(values, cells.tolist(), na, missing, boolean, False, False, None, False)
    if kind == "cells":
        _marked_numbers(facts, texts, na)
    return facts


def _marked_numbers(facts: ColumnFacts, texts: list, na: np.ndarray) -> None:
    """Numbers among suppression marks: disclosure control writes ``x`` into number columns.

    Only an object column can hold them: pandas takes any string column as text.
    """
    if not pd.api.types.is_object_dtype(facts.series.dtype):
        return
    is_mark = np.array([t == MARK for t in texts], dtype=bool)
    if not is_mark.any():
        return
    rest = np.array([v for v, m, n in zip(facts.cells, is_mark.tolist(), na.tolist(), strict=True)
                     if not m and not n], dtype=object)
    if pd.api.types.infer_dtype(rest, skipna=True) not in _NUMBER_KINDS:
        return
    with_gaps = np.array([np.nan if m else v for v, m in zip(facts.cells, is_mark.tolist(),
                                                             strict=True)], dtype=object)
    facts.numbers = pd.to_numeric(with_gaps, errors="coerce").astype("float64")
    facts.missing = ~np.isfinite(facts.numbers)
    facts.marked = True


def _other(values: pd.Series) -> ColumnFacts:
    """Categories, dates, intervals ...: the pandas rules as first written."""
    from ._flags import numbers_with_marks

    numbers = numbers_with_marks(values)
    if numbers is not None:
        return ColumnFacts(values, values.tolist(), None, ~np.isfinite(numbers.to_numpy()), False,
                           False, False, numbers.to_numpy(), True)
    return ColumnFacts(values, values.tolist(), None, missing_pandas(values).to_numpy(bool),
                       is_bool_pandas(values), False, False, None, False)
