"""Marks on published cells: suppressed, imputed and provisional values, each with a footnote.

A statistics bureau prints a value it estimated or may revise with a mark after the
number, and explains every mark used once under the table.  The marks are those of
the workbench's annual compilation (:mod:`workbench.monitor.compile`): ``†`` imputed,
``‡`` provisional; a cell suppressed by disclosure control shows ``x``
(:data:`workbench.protection.disclosure.MARK`) in place of the number.

Which cells carry a mark is said in one of two ways:

- long tables: boolean columns ``imputed`` / ``provisional`` (as named in the database,
  or their translated headers) mark the ``value`` column of the same row; they become
  marks in the report (the CSV and XLSX keep them as columns);
- any table: ``df.attrs["flags"] = CellFlags({"provisional": mask, ...})``
  (:class:`workbench.foundation.flags.CellFlags`; a plain dict works but is deep-copied
  by pandas with every derived frame) with a boolean DataFrame per kind, aligned with
  the table's index and columns (wide tables such as
  :func:`workbench.monitor.format_districts` set it).

Examples
--------
>>> import pandas as pd
>>> t = pd.DataFrame({"value": [1.0, 2.0], "provisional": [False, True]})
>>> frame, masks = cell_flags(t, "en")
>>> list(frame.columns), masks["provisional"]["value"].tolist()
(['value'], [False, True])
>>> flag_notes(["provisional"], "en")
['‡: provisional value, may be revised']
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..foundation.i18n import label
from ..protection.disclosure import MARK

__all__ = ["FLAG_MARKS", "MARK", "cell_flags", "flag_notes", "numbers_with_marks", "note_mark"]

FLAG_MARKS = {"imputed": "†", "provisional": "‡", "suppressed": MARK}
_NOTES = {
    "imputed": ("†：插补值（原始数据缺失，按模型估计），仅供参考",
                "†: imputed value (missing data estimated by a model)"),
    "provisional": ("‡：初步数，以后可能修订", "‡: provisional value, may be revised"),
    "suppressed": (f"{MARK}：涉及儿童过少，不予公布（统计披露控制）",
                   f"{MARK}: based on too few children, suppressed (disclosure control)"),
}
_VALUE = "value"


def _find(columns: pd.Index, key: str, lang: str) -> object | None:
    """The column named ``key`` as stored or as translated for the reader."""
    for c in columns:
        if str(c) == key or str(c) == label("column", key, lang):
            return c
    return None


def cell_flags(df: pd.DataFrame, lang: str) -> tuple[pd.DataFrame, dict[str, dict]]:
    """The table without its flag columns, and the marked cells per kind and column.

    ``masks[kind][column]`` is a boolean array by row position; a column not in
    ``masks[kind]`` has no mark of that kind.  A flag column is only turned into marks
    when the table has a value column to put them on.
    """
    masks: dict[str, dict] = {}
    for kind, given in (df.attrs.get("flags") or {}).items():
        if kind not in FLAG_MARKS:
            continue
        given = given.set_axis([c if c in df.columns else _find(df.columns, str(c), lang)
                                for c in given.columns], axis=1)
        masks[kind] = _aligned(given, df)
    value = _find(df.columns, _VALUE, lang)
    drop = []
    for kind in ("imputed", "provisional"):
        col = _find(df.columns, kind, lang)
        if value is None or col is None or df.columns.duplicated(keep=False)[
                list(df.columns).index(col)] or not pd.api.types.is_bool_dtype(df[col]):
            continue
        flags = df[col].to_numpy()
        kind_masks = masks.setdefault(kind, {})
        kind_masks[value] = kind_masks[value] | flags if value in kind_masks else flags
        drop.append(col)
    return (df.drop(columns=drop) if drop else df), \
        {k: {c: m for c, m in columns.items() if c not in drop} for k, columns in masks.items()}


def _aligned(mask: pd.DataFrame, df: pd.DataFrame) -> dict:
    # by label only: pandas hands attrs on to frames derived from the table (sorted,
    # filtered), where a mask taken by position would mark the wrong cells
    known = [i for i, c in enumerate(mask.columns) if c in df.columns]
    names = [mask.columns[i] for i in known]
    if mask.index.equals(df.index) and df.index.is_unique and len(set(names)) == len(names) \
            and all(mask.dtypes.iloc[i] == np.dtype(bool) for i in known):
        # the usual case, as the table's builder set it: arrays, not a reindexed frame
        values = mask.to_numpy()
        return {c: values[:, i].astype(bool) for i, c in zip(known, names, strict=True)}
    known_frame = mask.iloc[:, known]
    known_frame = known_frame.astype("boolean").fillna(False).astype(bool)  # NaN is not a flag
    aligned = known_frame.reindex(index=df.index, columns=df.columns, fill_value=False)
    return {c: aligned.iloc[:, i].to_numpy(bool) for i, c in enumerate(df.columns)
            if c in known_frame.columns}


def numbers_with_marks(values: pd.Series) -> pd.Series | None:
    """The numbers of a column whose other cells are the suppression mark, else None.

    Disclosure control writes ``x`` into number columns, which makes them text; the
    report still formats the numbers (the marks stay as they are).
    """
    if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        return None
    is_mark = values.astype(str).eq(MARK)
    rest = values[~is_mark & values.notna()]
    if not is_mark.any() or pd.api.types.infer_dtype(rest, skipna=True) not in (
            "floating", "integer", "mixed-integer-float", "empty"):
        return None
    return pd.to_numeric(values.where(~is_mark), errors="coerce").astype("float64")


def note_mark(note: str) -> str:
    """The mark a footnote explains (the text before its colon), or ''."""
    head, _, rest = str(note).replace("：", ":", 1).partition(":")
    return head.strip() if rest and len(head.strip()) <= 2 else ""


def flag_notes(kinds: list[str], lang: str) -> list[str]:
    """One footnote per kind of mark used, in the report's language."""
    return [_NOTES[k][0 if lang == "zh" else 1] for k in FLAG_MARKS if k in kinds]
