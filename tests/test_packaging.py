"""pyproject.toml is the source of truth; environment.yml must carry the same runtime deps."""

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
# PyPI names whose conda-forge package has another name.
CONDA_NAMES = {"duckdb": "python-duckdb", "isal": "python-isal"}


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0].strip().lower()


def test_every_runtime_dependency_is_in_environment_yml():
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda, pip = set(), set()
    for item in env["dependencies"]:
        if isinstance(item, dict):
            pip |= {_name(p) for p in item.get("pip", []) if not p.startswith("-e")}
        else:
            conda.add(_name(item))
    missing = [d for d in map(_name, deps) if CONDA_NAMES.get(d, d) not in conda and d not in pip]
    assert not missing, f"runtime dependencies missing from environment.yml: {missing}"


def test_environment_installs_the_package_itself():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip = next(i for i in env["dependencies"] if isinstance(i, dict))["pip"]
    assert "-e ." in pip
    assert "conda-forge" in env["channels"]


def test_outputs_folder_is_ignored_but_kept():
    ignore = (ROOT / ".gitignore").read_text()
    assert "outputs/*" in ignore and "!outputs/.gitkeep" in ignore
    assert (ROOT / "outputs" / ".gitkeep").exists()
