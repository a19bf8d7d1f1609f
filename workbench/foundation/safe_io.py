"""Writing and reading files that other people open: no formulas, no open modes, no bombs.

Every CSV or XLSX the package writes goes through :func:`write_csv` or
:func:`write_xlsx_frame` (or :func:`neutralise` before a custom writer), so
text that starts like a spreadsheet formula (``=HYPERLINK(...)``,
``+cmd|' /C calc'!A0``, ``@SUM(1+1)``, ``-2+3``, a leading tab or carriage
return) is written as text with a leading apostrophe and is never executed
when a partner opens the file in Excel or WPS (OWASP "CSV injection").
Numbers stay numbers.

Files holding children's data (the survey microdata, the database,
partner extracts, reports) are created readable by their owner only:
:func:`private_file` (0600) and :func:`private_dir` (0700).

:func:`load_yaml` reads plan and parameter files with the safe loader and
limits: no ``!!python`` tags, no integers longer than 30 digits, aliases
whose expansion stays small (an alias bomb is refused at once, not after
filling the memory), mapping keys of one type, a bounded file size.

Examples
--------
>>> import pandas as pd
>>> neutralise(pd.DataFrame({"a": ["=1+1", "ok", "-5"], "b": [-5, 2, 3]}))["a"].tolist()
["'=1+1", 'ok', "'-5"]
>>> load_yaml_text("runs: [{notebook: a}]")
{'runs': [{'notebook': 'a'}]}
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import pandas as pd

from .errors import WorkbenchError

__all__ = ["neutralise", "neutralise_text", "neutralise_value", "write_csv", "write_xlsx_frame",
           "private_file", "private_dir", "open_private", "claim_folder", "load_yaml",
           "load_yaml_text", "FORMULA_PREFIXES", "YAML_MAX_BYTES", "YAML_MAX_NODES",
           "YAML_MAX_INT_DIGITS"]

# What Excel, LibreOffice and WPS take as the start of a formula or command (OWASP list,
# plus the full-width signs a Chinese input method produces).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")
YAML_MAX_BYTES = 1_000_000
YAML_MAX_NODES = 100_000
YAML_MAX_INT_DIGITS = 30
FILE_MODE = 0o600
DIR_MODE = 0o700


def neutralise_value(value: object) -> object:
    """One cell: text that a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def neutralise_text(values: pd.Series) -> pd.Series:
    """Prefix an apostrophe to text cells that a spreadsheet would run as a formula."""
    # one pass over a list first: most columns hold no such cell, and pandas costs
    # ~50 us per call on the small tables a report publishes
    risky = [isinstance(v, str) and v.startswith(FORMULA_PREFIXES) for v in values.tolist()]
    if not any(risky):
        return values
    out = values.astype(object).copy()
    out[risky] = ["'" + str(v) for v, r in zip(values.tolist(), risky, strict=True) if r]
    return out


def neutralise(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` whose text cells, column names and index labels cannot become formulas."""
    out = df.copy()
    for i in range(out.shape[1]):
        column = out.iloc[:, i]
        if not pd.api.types.is_numeric_dtype(column) and \
                not pd.api.types.is_datetime64_any_dtype(column):
            safe = neutralise_text(column)
            if safe is not column:
                out.isetitem(i, safe)
    out.columns = [neutralise_value(c) for c in out.columns]
    if not isinstance(out.index, pd.RangeIndex) and out.index.nlevels == 1:
        out.index = pd.Index([neutralise_value(v) for v in out.index], name=out.index.name)
    return out


def private_dir(path: str | Path) -> Path:
    """Create a folder (and parents) readable by its owner only (0700)."""
    p = Path(path)
    p.mkdir(parents=True, exist_ok=True)
    p.chmod(DIR_MODE)
    return p


def private_file(path: str | Path) -> Path:
    """Make an existing file readable and writable by its owner only (0600)."""
    p = Path(path)
    p.chmod(FILE_MODE)
    return p


def open_private(path: str | Path, mode: str = "wb") -> IO:
    """Open a file for writing, created 0600 from the start (no window where others can read)."""
    p = Path(path)
    fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    os.fchmod(fd, FILE_MODE)  # an existing file keeps its old mode through O_CREAT
    return os.fdopen(fd, mode, **({} if "b" in mode else {"encoding": "utf-8-sig",
                                                          "newline": ""}))


def claim_folder(target: str | Path, unique: bool = False) -> tuple[Path, Path]:
    """Create the private work folder of an export that appears under ``target`` when complete.

    Returns ``(work, final)``; write into ``work`` and rename it to ``final``.
    With ``unique`` (a time-stamped default name), ``-2``, ``-3`` ... are
    appended until a free name is claimed, so two exports in the same second
    never collide; otherwise an existing ``target`` is refused.  The claim is
    the atomic creation of the hidden ``.<name>.partial`` folder.
    """
    final = Path(target)
    final.parent.mkdir(parents=True, exist_ok=True)  # an existing parent keeps its mode
    for n in range(1, 1000):
        name = final.name if n == 1 else f"{final.name}-{n}"
        candidate = final.with_name(name)
        work = final.with_name(f".{name}.partial")
        if candidate.exists() or work.exists():
            if unique:
                continue
            raise WorkbenchError(f"{candidate} exists (or is being written); choose another "
                                 "folder", f"{candidate} 已存在（或正在写入），请换一个文件夹")
        try:
            work.mkdir(mode=DIR_MODE)
        except FileExistsError:
            continue  # another process claimed it between the check and the mkdir
        work.chmod(DIR_MODE)
        return work, candidate
    raise WorkbenchError(f"No free folder name next to {final}", f"{final} 旁没有可用的文件夹名")


def write_csv(df: pd.DataFrame, path: str | Path, index: bool = False,
              comment: str | None = None) -> Path:
    """CSV (UTF-8 with BOM, for Excel) with formulas neutralised, created 0600.

    ``comment`` becomes a first line ``# comment`` (read back with ``comment="#"``): the
    provenance line every export carries.
    """
    p = Path(path)
    with open_private(p, "w") as fh:
        if comment:
            fh.write(f"# {' '.join(str(comment).split())}\n")
        neutralise(df).to_csv(fh, index=index)
    return p


def write_xlsx_frame(df: pd.DataFrame, path: str | Path, sheet: str = "data",
                     index: bool = False, start_row: int = 0,
                     decorate: Callable[[Any], None] | None = None,
                     source: str | None = None) -> Path:
    """XLSX with the data sheet, every text cell stored as text (never a formula), created 0600.

    ``decorate`` receives the openpyxl worksheet to add titles or formats; ``source`` (the
    provenance line) goes into a second sheet named ``source``.
    """
    p = Path(path)
    with open_private(p, "wb") as fh, pd.ExcelWriter(fh, engine="openpyxl") as writer:
        neutralise(df).to_excel(writer, sheet_name=sheet, index=index, startrow=start_row)
        ws = writer.sheets[sheet]
        _force_text(ws)
        if decorate is not None:
            decorate(ws)
        if source:
            neutralise(pd.DataFrame({"source": [source]})).to_excel(
                writer, sheet_name="source", index=False)
            _force_text(writer.sheets["source"])
    return p


def _force_text(ws: Any) -> None:
    # openpyxl turns any string starting with "=" into a formula; after neutralising
    # none should, but a cell typed "f" is never what a data export means.
    for row in ws.iter_rows():
        for cell in row:
            if cell.data_type == "f":
                cell.value = "'" + str(cell.value)
                cell.data_type = "s"


# -- YAML ------------------------------------------------------------------------------
def _yaml_error(where: str, en: str, zh: str) -> WorkbenchError:
    return WorkbenchError(f"{where}: {en}", f"{where}：{zh}")


def _loader(where: str) -> type:
    import yaml

    class _Limited(yaml.SafeLoader):
        """SafeLoader that refuses long integers (5,000 digits would stall int())."""

    def construct_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int:
        digits = str(node.value).lstrip("+-").replace("_", "")
        if len(digits) > YAML_MAX_INT_DIGITS:
            raise _yaml_error(where, f"integer with {len(digits)} digits at line "
                                     f"{node.start_mark.line + 1} (at most "
                                     f"{YAML_MAX_INT_DIGITS})",
                              f"第 {node.start_mark.line + 1} 行的整数过长（{len(digits)} 位）")
        return yaml.SafeLoader.construct_yaml_int(loader, node)

    _Limited.add_constructor("tag:yaml.org,2002:int", construct_int)
    return _Limited


def _count_nodes(node: Any, where: str) -> None:
    """Walk the composed graph counting every alias expansion; stop at the limit."""
    import yaml

    budget = [YAML_MAX_NODES]
    stack = [node]
    while stack:
        current = stack.pop()
        budget[0] -= 1
        if budget[0] < 0:
            raise _yaml_error(where, f"more than {YAML_MAX_NODES:,} values once aliases are "
                                     "expanded (an alias bomb?)",
                              f"展开别名后超过 {YAML_MAX_NODES:,} 个值（疑似别名炸弹）")
        if isinstance(current, yaml.MappingNode):
            stack.extend(v for pair in current.value for v in pair)
        elif isinstance(current, yaml.SequenceNode):
            stack.extend(current.value)


def _check_keys(data: Any, where: str) -> None:
    stack = [data]
    while stack:
        current = stack.pop()
        if isinstance(current, dict):
            kinds = {type(k).__name__ for k in current}
            if len(kinds) > 1:
                raise _yaml_error(where, f"a mapping mixes key types ({', '.join(sorted(kinds))})"
                                         f": {list(current)[:5]}; quote the keys",
                                  f"映射的键类型不一致（{', '.join(sorted(kinds))}），请给键加引号")
            stack.extend(current.values())
        elif isinstance(current, list):
            stack.extend(current)


def load_yaml_text(text: str, where: str = "YAML") -> Any:
    """Parse YAML text safely and within limits (see the module docstring)."""
    import yaml

    if len(text) > YAML_MAX_BYTES:
        raise _yaml_error(where, f"larger than {YAML_MAX_BYTES:,} characters",
                          f"超过 {YAML_MAX_BYTES:,} 个字符")
    loader = _loader(where)(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _count_nodes(node, where)
        data = loader.construct_document(node)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = f" (line {mark.line + 1})" if mark is not None else ""
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise _yaml_error(where, f"not valid YAML{line}: {problem}; only plain values, lists "
                                 "and mappings are allowed (no !!python tags)",
                          f"YAML 格式错误{line}：{problem}（只允许普通值、列表和映射）") from err
    except RecursionError as err:
        raise _yaml_error(where, "nested too deeply", "嵌套层数过多") from err
    finally:
        loader.dispose()
    _check_keys(data, where)
    return data


def load_yaml(path: str | Path) -> Any:
    """Read a YAML file safely and within limits; errors name the file."""
    p = Path(path)
    size = p.stat().st_size
    if size > YAML_MAX_BYTES:
        raise _yaml_error(p.name, f"{size:,} bytes, larger than {YAML_MAX_BYTES:,}",
                          f"文件过大（{size:,} 字节）")
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise _yaml_error(p.name, "not UTF-8 text", "不是 UTF-8 文本") from err
    return load_yaml_text(text, p.name)
