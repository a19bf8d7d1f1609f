from pathlib import Path

import pytest

from workbench import config


def test_paths_point_into_the_project():
    p = config.paths()
    assert (p.root / "pyproject.toml").exists()
    assert p.catalogue.exists() and p.regions.exists() and p.boundaries.exists()
    assert p.outputs == p.root / "outputs"


def test_paths_do_not_depend_on_working_directory(tmp_path, monkeypatch):
    before = config.paths()
    monkeypatch.chdir(tmp_path)
    assert config.paths() == before


def test_environment_overrides(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBENCH_OUTPUTS", str(tmp_path / "out"))
    monkeypatch.setenv("WORKBENCH_DB", str(tmp_path / "x.duckdb"))
    p = config.paths()
    assert p.outputs == (tmp_path / "out").resolve()
    assert p.database == (tmp_path / "x.duckdb").resolve()


def test_workbench_home_must_be_a_project(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBENCH_HOME", str(tmp_path))
    assert config.project_root() == Path(tmp_path).resolve()
    with pytest.raises(Exception, match="not found"):
        from workbench.catalogue import load_catalogue

        load_catalogue()


def test_relative_override_follows_the_working_folder(tmp_path, monkeypatch):
    """Paths are kept per setting; a relative override is resolved in the current folder."""
    monkeypatch.setenv("WORKBENCH_OUTPUTS", "out")
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    monkeypatch.chdir(tmp_path / "a")
    assert config.paths().outputs == (tmp_path / "a" / "out").resolve()
    monkeypatch.chdir(tmp_path / "b")
    assert config.paths().outputs == (tmp_path / "b" / "out").resolve()
    monkeypatch.delenv("WORKBENCH_OUTPUTS")
    assert config.paths().outputs == config.project_root() / "outputs"
