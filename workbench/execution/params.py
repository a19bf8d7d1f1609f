"""Notebook parameters: read them from the ``parameters`` cell, validate values.

Papermill only warns about unknown parameters and takes ``-p`` values by
guessing their type, so a typo in an indicator code surfaces minutes later
inside a kernel.  Here every value is checked *before* any kernel starts:
the name must exist, the value must have the declared type, and parameters
whose name carries a meaning (``indicator``, ``region``, ``domain``,
``lang``, ``year`` ...) must hold valid codes.

The parameters cell is parsed with :mod:`ast` rather than papermill's
regular expressions, so defaults are real Python literals and a default
containing ``=`` is not lost; the help text is the trailing comment, as in
papermill.

Examples
--------
>>> from workbench.params import notebook_parameters
>>> specs = notebook_parameters("getting_started")
>>> specs["lang"].default
'zh'
"""

from __future__ import annotations

import ast
import io
import json
import tokenize
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..foundation import config
from ..foundation.errors import ParameterError, WorkbenchError, choices_text

__all__ = ["ParameterSpec", "notebook_parameters", "validate_parameters", "resolve_notebook",
           "list_notebooks", "parse_cli_value", "SEMANTIC_PARAMETERS", "check_runs",
           "coerce_values", "split_pair", "check_run_parameters"]

_TYPES = {"str": str, "int": int, "float": float, "bool": bool, "list": list,
          "list[str]": list, "list[int]": list, "dict": dict}


@dataclass(frozen=True)
class ParameterSpec:
    """One notebook parameter: name, declared type, default and help text."""

    name: str
    type_name: str
    default: Any
    help: str

    def as_row(self) -> dict[str, Any]:
        return {"name": self.name, "type": self.type_name, "default": repr(self.default),
                "help": self.help}


def list_notebooks() -> list[str]:
    """Names of the project's notebooks (without ``.ipynb``)."""
    folder = config.paths().notebooks
    return sorted(p.stem for p in folder.glob("*.ipynb") if not p.name.startswith("."))


def resolve_notebook(notebook: str | Path) -> Path:
    """Turn a notebook name (``getting_started``) or path into an existing path."""
    p = Path(notebook)
    if p.suffix == ".ipynb" and p.exists():
        return p.resolve()
    candidate = config.paths().notebooks / f"{p.stem}.ipynb"
    if candidate.exists():
        return candidate
    raise ParameterError(
        f"Unknown notebook {str(notebook)!r}; valid: {choices_text(list_notebooks())}",
        f"未知的笔记本 {str(notebook)!r}；可选：{choices_text(list_notebooks())}")


def notebook_parameters(notebook: str | Path) -> dict[str, ParameterSpec]:
    """Parameters declared in the notebook's cell tagged ``parameters``."""
    path = resolve_notebook(notebook)
    # plain JSON, not nbformat: its schema validator costs seconds of start-up, and the
    # parameter checks must refuse a bad value within a few seconds (exit code 2)
    nb = json.loads(path.read_text(encoding="utf-8"))
    cells = [c for c in nb.get("cells", [])
             if "parameters" in c.get("metadata", {}).get("tags", [])]
    if not cells:
        raise WorkbenchError(f"{path.name} has no cell tagged 'parameters'",
                             f"{path.name} 没有标记为 parameters 的单元格")
    source = cells[0].get("source", "")
    return _parse_cell("".join(source) if isinstance(source, list) else source)


def _parse_cell(source: str) -> dict[str, ParameterSpec]:
    comments = _trailing_comments(source)
    specs: dict[str, ParameterSpec] = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            name, type_name, value = node.target.id, ast.unparse(node.annotation), node.value
        elif isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            name, type_name, value = node.targets[0].id, "", node.value
        else:
            continue
        default = ast.literal_eval(value) if value is not None else None
        type_name = type_name or type(default).__name__
        specs[name] = ParameterSpec(name, type_name, default, comments.get(node.end_lineno, ""))
    return specs


def _trailing_comments(source: str) -> dict[int, str]:
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    return {t.start[0]: t.string.lstrip("#").strip() for t in tokens
            if t.type == tokenize.COMMENT}


def parse_cli_value(spec: ParameterSpec, raw: str) -> Any:
    """Convert a command-line string to the parameter's declared type."""
    kind = spec.type_name
    try:
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
        if kind == "bool":
            return _parse_bool(raw)
        if kind.startswith("list"):
            items = [s.strip() for s in raw.split(",") if s.strip()]
            return [int(s) for s in items] if kind == "list[int]" else items
    except ValueError as err:
        raise _type_error(spec, raw) from err
    return raw


def _parse_bool(raw: str) -> bool:
    table = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}
    if raw.strip().lower() not in table:
        raise ValueError(raw)
    return table[raw.strip().lower()]


def _type_error(spec: ParameterSpec, value: Any) -> ParameterError:
    return ParameterError(
        f"Parameter {spec.name!r} must be of type {spec.type_name}, got {value!r}",
        f"参数 {spec.name!r} 应为 {spec.type_name} 类型，收到 {value!r}")


def _check_type(spec: ParameterSpec, value: Any) -> Any:
    expected = _TYPES.get(spec.type_name)
    if expected is None or value is None:
        return value
    if expected is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if expected is int and isinstance(value, bool):
        raise _type_error(spec, value)
    if not isinstance(value, expected):
        raise _type_error(spec, value)
    if spec.type_name == "list[str]" and not all(isinstance(v, str) for v in value):
        raise _type_error(spec, value)
    return value


# -- parameters whose names carry a meaning --------------------------------------------
def _indicator_codes() -> list[str]:
    from ..foundation.catalogue import load_catalogue
    return load_catalogue().codes


def _region_codes() -> list[str]:
    from ._inputs import _region_table  # the user's database's regions where there is one
    return [str(c) for c in _region_table().index]


def _domains() -> list[str]:
    from ..foundation.catalogue import DOMAINS
    return list(DOMAINS)


def _years() -> list[str]:
    return [str(y) for y in range(config.BASE_YEAR, config.PLAN_END + 1)]


SEMANTIC_PARAMETERS: dict[str, Callable[[], list[str]]] = {
    "indicator": _indicator_codes, "indicators": _indicator_codes,
    "region": _region_codes, "regions": _region_codes, "focus_region": _region_codes,
    "domain": _domains, "domains": _domains,
    "lang": lambda: list(config.LANGS),
    "evaluation": lambda: ["annual", "midterm", "final"],
    "year": _years, "years": _years, "base_year": _years,
}
_ALL = "all"  # a list parameter may say "all"


def _check_semantics(name: str, value: Any) -> None:
    valid_of = SEMANTIC_PARAMETERS.get(name)
    if valid_of is None or value is None:
        return
    values = value if isinstance(value, list) else [value]
    if values == [_ALL] and isinstance(value, list):
        return
    valid = valid_of()
    unknown = [str(v) for v in values if str(v) not in valid]
    if unknown:
        raise ParameterError(
            f"Parameter {name!r}: unknown value(s) {', '.join(unknown)}. "
            f"Valid choices: {choices_text(valid)}",
            f"参数 {name!r} 的取值 {', '.join(unknown)} 无效。可选：{choices_text(valid)}")


def validate_parameters(notebook: str | Path, values: Mapping[str, Any],
                        from_cli: bool = False, check_data: bool = True) -> dict[str, Any]:
    """Check parameter values against the notebook; return them typed.

    Parameters
    ----------
    notebook : str or Path
        Notebook name or path.
    values : mapping
        Parameter values; strings when ``from_cli`` (converted to the declared type).
    check_data : bool
        Also check the files, columns, groups and region levels the values point at
        (:mod:`workbench.execution._inputs`), with the defaults filled in.

    Raises
    ------
    ParameterError
        Unknown name (listing the valid names), wrong type, or invalid code.
    """
    specs = notebook_parameters(notebook)
    unknown = [n for n in values if n not in specs]
    if unknown:
        raise ParameterError(
            f"Unknown parameter(s) {', '.join(unknown)} for notebook {Path(str(notebook)).stem}. "
            f"Valid parameters: {choices_text(specs)}",
            f"笔记本 {Path(str(notebook)).stem} 没有参数 {', '.join(unknown)}。"
            f"可用参数：{choices_text(specs)}")
    typed: dict[str, Any] = {}
    for name, value in values.items():
        spec = specs[name]
        value = parse_cli_value(spec, value) if from_cli and isinstance(value, str) else value
        typed[name] = _check_type(spec, value)
        _check_semantics(name, typed[name])
    if check_data:
        from ._inputs import check_inputs

        check_inputs(Path(str(notebook)).stem,
                     {**{n: s.default for n, s in specs.items()}, **typed})
    return typed


def check_runs(runs: list[tuple[str | Path, Mapping[str, Any]]]) -> None:
    """Check every run of a batch (notebook, typed parameters) before the first starts.

    Raises the first :class:`ParameterError`, naming the run.
    """
    for notebook, values in runs:
        try:
            validate_parameters(notebook, values)
        except ParameterError as err:
            where = f"{Path(str(notebook)).stem} {dict(values)}"
            raise ParameterError(f"{where}: {err.en}", f"{where}：{err.zh}") from err


def split_pair(item: str | tuple[str, ...]) -> tuple[str, str]:
    """``NAME=VALUE`` (one word) or ``(NAME, VALUE)`` (two words) as (name, value).

    >>> split_pair("year=2026"), split_pair(("year", "2026"))
    (('year', '2026'), ('year', '2026'))
    """
    if isinstance(item, tuple) and len(item) == 2:
        return item[0], item[1]
    text = item if isinstance(item, str) else "".join(item)
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise ParameterError(f"-p {text!r}: write NAME VALUE or NAME=VALUE",
                             f"-p {text!r}：应写作 NAME VALUE 或 NAME=VALUE")
    return name, value


def coerce_values(notebook: str, namespace: Mapping[str, Any]) -> dict[str, Any]:
    """The notebook's parameters in ``namespace`` converted to their declared types.

    Plain papermill guesses types (``-p region 210104`` arrives as an int, ``-p regions
    210102,210103`` as one string); a notebook's first cell runs
    ``globals().update(coerce_values("topic_report", globals()))`` to accept them.

    >>> coerce_values("topic_report", {"region": 210104, "year": "2026"})["region"]
    '210104'
    """
    out: dict[str, Any] = {}
    for name, spec in notebook_parameters(notebook).items():
        if name not in namespace:
            continue
        value = namespace[name]
        if spec.type_name == "str" and not isinstance(value, str) and value is not None:
            value = str(value)
        elif spec.type_name.startswith("list") and not isinstance(value, list):
            value = parse_cli_value(spec, str(value))
        elif isinstance(value, str) and spec.type_name in ("int", "float", "bool"):
            value = parse_cli_value(spec, value)
        out[name] = value
    return out


def read_parameter_file(path: str | Path) -> dict[str, Any]:
    """Read a YAML file of parameter values (a mapping of name to value)."""
    from ..foundation.safe_io import load_yaml

    p = Path(path)
    if not p.exists():
        raise ParameterError(f"Parameter file not found: {p}", f"找不到参数文件：{p}")
    data = load_yaml(p) or {}  # safe loader with limits: no tags, bombs or huge integers
    if not isinstance(data, dict):
        raise ParameterError(f"{p.name} must hold a mapping of parameter names to values",
                             f"{p.name} 应为“参数名: 值”的映射")
    return data


def check_run_parameters(notebook: str, pairs: dict[str, object],
                         parameters_file: str | None = None) -> dict[str, object]:
    """The parameters of one ``workbench run``: values from a YAML file (already typed), then
    ``-p`` strings converted and winning; files, columns and regions checked once all are known.

    The command line and the warm engine (which validates again) call this one function.
    """
    values = read_parameter_file(parameters_file) if parameters_file else {}
    typed = validate_parameters(notebook, values, check_data=False)
    typed.update(validate_parameters(notebook, dict(pairs), from_cli=True, check_data=False))
    validate_parameters(notebook, typed)
    return typed
