"""Shared fixtures: seeded randomness, closed figures, isolated outputs."""

from __future__ import annotations

import random
from pathlib import Path

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

REFERENCE = Path(__file__).resolve().parents[1].parent / "shared" / "reference"


@pytest.fixture(autouse=True)
def _seed_and_close():
    random.seed(0)
    np.random.seed(0)  # legacy global state, for any library that still uses it
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


@pytest.fixture
def outputs_dir(tmp_path, monkeypatch):
    """Send run outputs to a temporary folder."""
    out = tmp_path / "outputs"
    out.mkdir()
    monkeypatch.setenv("WORKBENCH_OUTPUTS", str(out))
    return out


@pytest.fixture(scope="session")
def catalogue():
    from workbench.catalogue import load_catalogue

    return load_catalogue()


@pytest.fixture(scope="session")
def regions():
    from workbench.regions import load_regions

    return load_regions()


@pytest.fixture
def empty_db(tmp_path, catalogue, regions):
    from workbench.database import create_database

    db = create_database(tmp_path / "test.duckdb", catalogue, regions)
    yield db
    db.close()


def libpysal_example(name: str) -> str:
    """Path of an example data set bundled with libpysal, or skip the test with the reason."""
    examples = pytest.importorskip("libpysal.examples")
    try:
        return examples.get_path(name)
    except Exception as exc:  # noqa: BLE001 - any failure means "not bundled offline"
        pytest.skip(f"libpysal example {name} not bundled offline: {exc}")


def reference_dir(name: str) -> Path:
    """A folder of ../shared/reference, or skip the test with the reason."""
    folder = REFERENCE / name
    if not folder.is_dir():
        pytest.skip(f"reference data not found at {folder} (only present in the project's CI)")
    return folder


def _run_once(tmp_path_factory, parameters):
    from workbench.runner import run_notebook

    out = tmp_path_factory.mktemp("outputs")
    mp = pytest.MonkeyPatch()
    mp.setenv("WORKBENCH_OUTPUTS", str(out))
    try:
        return run_notebook("getting_started", parameters)
    finally:
        mp.undo()


@pytest.fixture(scope="session")
def completed_run(tmp_path_factory):
    """One real run of getting_started in English, shared by the tests that read it."""
    return _run_once(tmp_path_factory, {"lang": "en", "indicator": "E01"})


@pytest.fixture(scope="session")
def zh_run(tmp_path_factory):
    """One real run of getting_started in Chinese."""
    return _run_once(tmp_path_factory, {"lang": "zh"})
