"""Reading a user's own survey file: SPSS/Stata with labels, CSV, XLSX, survey-platform XLSX.

Options (the ``read:`` block of a design file, see :mod:`workbench.survey._spec`):

``sheet``
    XLSX sheet name or 0-based index (default: the first).
``encoding``
    CSV encoding (default: UTF-8, then GB18030, which Excel in China writes).
``platform``
    ``true`` for an export of a Chinese survey platform (问卷星/腾讯问卷 style): headers
    ``1、您的性别`` become ``Q1`` with the header text as variable label; other columns
    (序号, 提交答卷时间 ...) keep their names.
``multi_choice``
    Columns whose cells join several answers in one cell (``A┋B┋C``); each becomes 0/1
    columns ``<column>_1``, ``<column>_2`` ... (variable label = the option), in order of
    first appearance.  ``separator`` (default ``┋``) splits the cell.

Value and variable labels come from the SPSS/Stata file, or from the design file's
``value_labels`` / ``variable_labels`` for CSV and XLSX.  Estimation uses the codes; tables
show the labels with the codes beside them.

Examples
--------
>>> import pandas as pd
>>> raw = pd.DataFrame({"序号": [1, 2], "1、您的性别：": ["男", "女"],
...                     "2、课外活动（多选）": ["运动┋阅读", "阅读"]})
>>> out, var_labels = platform_frame(raw, multi_choice=["Q2"])
>>> list(out.columns)
['序号', 'Q1', 'Q2_1', 'Q2_2']
>>> var_labels["Q1"], var_labels["Q2_2"]
('您的性别', '课外活动（多选）: 阅读')
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from ..foundation.errors import WorkbenchError, choices_text

# nothing from the survey package at import time: the pre-kernel checks load this module
# without the package's estimation code (see workbench.execution._inputs)

__all__ = ["load_survey_file", "survey_columns", "platform_frame", "SURVEY_SUFFIXES"]

LABELLED_SUFFIXES = (".sav", ".zsav", ".por", ".dta", ".sas7bdat")
SURVEY_SUFFIXES = (".csv", ".xlsx", ".parquet", *LABELLED_SUFFIXES)
_IDENTIFIERS = ("child_id", "name", "id_number", "guardian_phone")  # as survey.IDENTIFIER_COLUMNS
_QUESTION = re.compile(r"^\s*(?:第\s*)?(\d+)\s*(?:题)?\s*[、.．:：)）]\s*(.+?)\s*[：:]?\s*$")


def _check_file(path: Path) -> None:
    if path.suffix.lower() not in SURVEY_SUFFIXES:
        raise WorkbenchError(
            f"Cannot read survey file {path.name}: use one of {choices_text(SURVEY_SUFFIXES)}",
            f"无法读取调查文件 {path.name}：支持 {choices_text(SURVEY_SUFFIXES)}")
    if not path.is_file():
        raise WorkbenchError(f"Survey file not found: {path}", f"找不到调查文件：{path}")


def _read_csv(path: Path, encoding: str | None, nrows: int | None = None) -> pd.DataFrame:
    for enc in [encoding] if encoding else ["utf-8-sig", "gb18030"]:
        try:
            return pd.read_csv(path, encoding=enc, nrows=nrows)
        except UnicodeDecodeError:
            continue
    raise WorkbenchError(f"{path.name} is neither UTF-8 nor GB18030 text; set read.encoding",
                         f"{path.name} 既非 UTF-8 也非 GB18030 编码，请在 read.encoding 中指定")


def platform_frame(raw: pd.DataFrame, multi_choice: list[str] | tuple[str, ...] = (),
                   separator: str = "┋") -> tuple[pd.DataFrame, dict[str, str]]:
    """Rename question-numbered headers to ``Q<n>`` and split multi-choice cells into 0/1."""
    renamed, labels = {}, {}
    for col in raw.columns:
        found = _QUESTION.match(str(col))
        if found:
            renamed[col] = f"Q{found.group(1)}"
            labels[f"Q{found.group(1)}"] = found.group(2)
    frame = raw.rename(columns=renamed)
    unknown = [c for c in multi_choice if c not in frame.columns]
    if unknown:
        raise WorkbenchError(
            f"multi_choice column(s) {unknown} not in the file; columns: "
            f"{choices_text(frame.columns)}",
            f"多选题列 {unknown} 不在文件中；现有列：{choices_text(frame.columns)}")
    for col in multi_choice:
        answered = frame[col].notna()
        dummies = frame[col].astype("string").str.get_dummies(sep=separator)
        options = list(pd.unique(frame.loc[answered, col].astype(str).str.split(separator)
                                 .explode().str.strip()))
        dummies.columns = dummies.columns.str.strip()
        dummies = dummies.T.groupby(level=0).max().T.reindex(columns=options, fill_value=0)
        names = [f"{col}_{i}" for i in range(1, len(options) + 1)]
        block = dummies.set_axis(names, axis=1).astype(float).where(answered)
        at = frame.columns.get_loc(col)
        frame = pd.concat([frame.iloc[:, :at], block, frame.iloc[:, at + 1:]], axis=1)
        base = labels.pop(col, col)
        labels.update({n: f"{base}: {o}" for n, o in zip(names, options, strict=True)})
    return frame, labels


def load_survey_file(path: str | Path, read: Mapping[str, Any] | None = None,
                     value_labels: Mapping | None = None,
                     variable_labels: Mapping | None = None) -> Any:
    """Read a survey file into a :class:`SurveyFile`: codes plus labels, identifiers removed.

    ``path=""`` reads the synthetic demo survey.  See the module docstring for ``read``.
    """
    from ..foundation import config
    from ._io import SurveyFile, read_survey

    p, read = Path(path) if str(path) else config.paths().demo_survey, dict(read or {})
    _check_file(p)
    suffix = p.suffix.lower()
    values, variables = {}, {}
    if suffix in LABELLED_SUFFIXES:
        source = read_survey(p)
        data, values, variables = source.data, dict(source.value_labels), \
            dict(source.variable_labels)
    elif suffix == ".csv":
        data = _read_csv(p, read.get("encoding"))
    elif suffix == ".parquet":
        data = pd.read_parquet(p)
    else:
        data = pd.read_excel(p, sheet_name=read.get("sheet", 0))
    if read.get("platform") or read.get("multi_choice"):
        data, found = platform_frame(data, list(read.get("multi_choice") or []),
                                     str(read.get("separator", "┋")))
        variables.update(found)
    data = _without_identifiers(data)
    values.update({k: dict(v) for k, v in (value_labels or {}).items()})
    variables.update(dict(variable_labels or {}))
    return SurveyFile(data, _labelled(data, values), variables, values)


def _without_identifiers(data: pd.DataFrame) -> pd.DataFrame:
    """As ``survey_data``: identifiers found by name or content dropped, record keys hashed."""
    from ..protection.privacy import protect_identifiers

    protected = protect_identifiers(data)
    return protected.drop(columns=[c for c in _IDENTIFIERS if c in protected.columns])


def _labelled(data: pd.DataFrame, values: Mapping[str, Mapping]) -> pd.DataFrame:
    out = data.copy()
    for col, mapping in values.items():
        if col in out.columns:
            lookup = {_key(k): v for k, v in mapping.items()}
            out[col] = out[col].map(lambda x, lk=lookup: lk.get(_key(x), x))
    return out


def _key(value: object) -> str:
    """One spelling for a code: 1, 1.0 and "1" are the same code."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return str(value)
    return str(int(number)) if number.is_integer() else str(number)


def survey_columns(path: str | Path, read: Mapping[str, Any] | None = None) -> list[str]:
    """The columns a survey file will have once read, reading as little as possible."""
    p, read = Path(path), dict(read or {})
    _check_file(p)
    suffix = p.suffix.lower()
    try:
        if suffix in LABELLED_SUFFIXES and not (read.get("platform") or read.get("multi_choice")):
            import pyreadstat

            reader = pyreadstat.read_dta if suffix == ".dta" else \
                pyreadstat.read_sas7bdat if suffix == ".sas7bdat" else \
                pyreadstat.read_por if suffix == ".por" else pyreadstat.read_sav
            return list(reader(str(p), metadataonly=True)[1].column_names)
        if suffix == ".parquet":
            import pyarrow.parquet as pq

            return [c for c in pq.read_schema(p).names if c not in _IDENTIFIERS]
        if suffix == ".csv" and not read.get("multi_choice"):
            head = _read_csv(p, read.get("encoding"), nrows=0)
            return list(platform_frame(head)[0].columns if read.get("platform") else head.columns)
        return list(load_survey_file(p, read).data.columns)
    except WorkbenchError:
        raise
    except Exception as err:  # a damaged or mislabelled file: say which and why
        raise WorkbenchError(f"Cannot read survey file {p.name}: {type(err).__name__}: {err}",
                             f"无法读取调查文件 {p.name}：{err}") from err
