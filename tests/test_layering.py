"""The package's architecture: layers import only downward, no cycles, small modules.

The layer contract lives in ``pyproject.toml`` (``[tool.importlinter]``) and is checked with
import-linter; the short names (``workbench.config`` ...) are aliases that static analysis cannot
follow, so a separate check keeps them out of the package's own code.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

from workbench._aliases import ALIASES

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "workbench"
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
MAX_LINES = 600


def _lint_imports(project: Path) -> subprocess.CompletedProcess:
    if not LINT_IMPORTS.exists():
        pytest.skip("import-linter is not installed (pip install -e '.[dev]')")
    return subprocess.run([str(LINT_IMPORTS), "--config", str(project / "pyproject.toml"),
                           "--no-cache"], cwd=project, env={"PYTHONPATH": str(project),
                                                            "PATH": "/usr/bin:/bin"},
                          capture_output=True, text=True, timeout=120)


def test_layer_contract_is_kept():
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout


@pytest.mark.parametrize("module, upward", [
    ("foundation/errors.py", "from ..execution import runner"),
    ("store/database.py", "from ..monitor import _labels"),
    ("monitor/_labels.py", "from ..compare import _core"),   # analyses are independent
])
def test_layer_contract_catches_an_upward_import(tmp_path, module, upward):
    copy = tmp_path / "project"
    shutil.copytree(PACKAGE, copy / "workbench", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", copy / "pyproject.toml")
    target = copy / "workbench" / module
    target.write_text(target.read_text(encoding="utf-8") + f"\n{upward}  # noqa\n",
                      encoding="utf-8")
    result = _lint_imports(copy)
    assert result.returncode != 0
    assert "BROKEN" in result.stdout


def _absolute(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    if node.level == 0:
        return node.module or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _imported_names(path: Path) -> list[str]:
    rel = path.relative_to(ROOT).with_suffix("")
    is_package = rel.name == "__init__"
    module = ".".join(rel.parts[:-1] if is_package else rel.parts)
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(node, module, is_package)
            names += [base] + [f"{base}.{a.name}" for a in node.names]
    return names


def test_package_code_imports_long_names_only():
    short = {f"workbench.{name}" for name in ALIASES}
    found = [(str(p.relative_to(ROOT)), name) for p in sorted(PACKAGE.rglob("*.py"))
             for name in _imported_names(p)
             if any(name == s or name.startswith(s + ".") for s in short)]
    assert found == [], "use the module's long name inside the package"


def test_no_two_modules_import_each_other():
    graph = grimp.build_graph("workbench", include_external_packages=False)
    pairs = sorted({tuple(sorted((a, b))) for a in graph.modules
                    for b in graph.find_modules_directly_imported_by(a)
                    if a in graph.find_modules_directly_imported_by(b)})
    assert pairs == []


def test_modules_are_small():
    sizes = {str(p.relative_to(ROOT)): len(p.read_text(encoding="utf-8").splitlines())
             for p in PACKAGE.rglob("*.py")}
    assert {p: n for p, n in sizes.items() if n > MAX_LINES} == {}
