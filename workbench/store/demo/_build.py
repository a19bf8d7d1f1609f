"""Generating the demo data set, writing it under ``data/demo/`` and loading it back."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
import pandas as pd

# one definition of the resident ID check digit (ISO 7064 MOD 11-2), shared with the detector
from ._common import (
    DEFAULT_SEED,
    SYNTHETIC_NOTE,
    YEARS,
    DemoData,
    _as_frame,
    _prepare_catalogue,
    _prepare_regions,
    _stream,
)
from ._panel import (
    _observations,
)
from ._population import (
    _context,
    _population_array,
    _population_frame,
)
from ._survey import (
    _margins,
    _mark,
    _survey,
)


def generate_demo(catalogue: pd.DataFrame | None = None, regions: pd.DataFrame | None = None,
                  seed: int = DEFAULT_SEED, n_children: int = 10_000,
                  years: Iterable[int] = YEARS) -> DemoData:
    """Generate the synthetic demo data set (deterministic for a given seed).

    Parameters
    ----------
    catalogue : DataFrame, optional
        The indicator catalogue (columns ``code, unit, direction, target_type,
        baseline_2020, target_2030_op, target_2030, disaggregations,
        age_groups, denominator, source_type``; ``name_en`` is used if
        present).  Defaults to the project's ``indicators.csv``.
    regions : DataFrame, optional
        The region table; only rows with ``level == "district"`` are used.
        Defaults to the project's ``regions.csv``.
    seed : int
        Seed of every random stream (``numpy.random.default_rng``).
    n_children : int
        Number of children in the survey microdata.
    years : iterable of int
        Years of the panel; the last one is the survey year.

    Returns
    -------
    DemoData
        Synthetic population, observations, survey, survey margins and the
        ground truth of what was planted.

    Examples
    --------
    >>> import pandas as pd
    >>> from workbench import config
    >>> from workbench.demo import generate_demo
    >>> cat = pd.read_csv(config.paths().catalogue, dtype=str, keep_default_na=False)
    >>> reg = pd.read_csv(config.paths().regions, dtype=str, keep_default_na=False)
    >>> demo = generate_demo(cat, reg, seed=7, n_children=2_000)
    >>> demo.observations.attrs["synthetic"], len(demo.survey)
    (True, 2000)
    >>> sorted(demo.planted["kind"].unique())
    ['mar', 'mcar', 'never_collected', 'off_track']
    """
    cat = _prepare_catalogue(_as_frame(catalogue, "catalogue"))
    reg = _prepare_regions(_as_frame(regions, "regions"))
    yrs = np.array(sorted({int(y) for y in years}), dtype=np.int64)
    if len(yrs) < 3:
        raise ValueError("years must hold at least three years / 年份至少需要三个")
    codes = reg["code"].to_numpy().astype(str)
    urb = reg["urbanisation"].to_numpy().astype(str)
    pop = _population_array(urb, yrs, _stream(seed, "population"))
    ctx = _context(codes, urb, yrs, pop, _stream(seed, "context"))
    population = _population_frame(pop, codes, yrs)
    observations, planted = _observations(cat, ctx, seed)
    frames = {"population": population, "observations": observations,
              "survey": _survey(ctx, n_children, seed),
              "survey_margins": _margins(population, int(yrs[-1])), "planted": planted}
    return DemoData(**{k: _mark(v, seed) for k, v in frames.items()}, seed=seed)


# -- writing the demo files -------------------------------------------------------------
def build_demo(seed: int = DEFAULT_SEED, force: bool = False) -> str:
    """Generate the demo data and write them under ``data/demo/``.

    Writes the monitoring database (``monitoring.duckdb``: catalogue, regions,
    population and the observation panel as batch 1), the survey microdata
    (``child_survey_2025.parquet``), the weighting margins
    (``survey_margins_2025.csv``) and what was planted (``planted.csv``).
    Every file is first written under a temporary name and renamed when
    complete, so an interrupted build never leaves a half-written database.

    Returns a short description of what was written.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    from ...foundation import config
    from ...foundation.catalogue import load_catalogue
    from ...foundation.regions import load_regions
    from ..database import create_database

    paths = config.paths()
    if paths.database.exists() and not force:
        return f"Demo database exists: {paths.database} (use --force to rebuild)"
    catalogue, regions = load_catalogue(), load_regions()
    demo = generate_demo(catalogue.table, regions.table, seed=seed)
    paths.demo.mkdir(parents=True, exist_ok=True)
    meta = {"synthetic": "true", "seed": str(seed), "note_zh": SYNTHETIC_NOTE["zh"],
            "note_en": SYNTHETIC_NOTE["en"]}

    tmp_db = paths.database.with_name(f".{paths.database.name}.tmp")
    tmp_db.unlink(missing_ok=True)
    with create_database(tmp_db, catalogue, regions, meta=meta) as db:
        db.write_population(demo.population)
        db.write_observations(demo.observations, recorded_by="workbench demo",
                              reason=f"synthetic demo data, seed {seed}")
    tmp_db.replace(paths.database)

    table = pa.Table.from_pandas(demo.survey, preserve_index=False)
    table = table.replace_schema_metadata({**(table.schema.metadata or {}),
                                           b"synthetic": b"true",
                                           b"note": SYNTHETIC_NOTE["en"].encode()})
    _atomic(paths.demo_survey, lambda p: pq.write_table(table, p))
    _atomic(paths.demo_margins, lambda p: _write_marked_csv(demo.survey_margins, p))
    _atomic(paths.demo / "planted.csv", lambda p: _write_marked_csv(demo.planted, p))
    return (f"Synthetic demo data written to {paths.demo} (seed {seed}):\n"
            f"  monitoring.duckdb          {len(demo.observations):,} observations, "
            f"{demo.observations['indicator'].nunique()} indicators\n"
            f"  child_survey_2025.parquet  {len(demo.survey):,} children\n"
            f"  survey_margins_2025.csv    {len(demo.survey_margins):,} cells\n"
            f"  planted.csv                {len(demo.planted):,} planted items")


def _write_marked_csv(frame: pd.DataFrame, path: Path) -> None:
    """CSV whose first line says the data are synthetic (read with ``comment="#"``)."""
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write(f"# {SYNTHETIC_NOTE['en']} / {SYNTHETIC_NOTE['zh']}\n")
        frame.to_csv(fh, index=False)


def _atomic(path: Path, write: Callable[[Path], object]) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    write(tmp)
    tmp.replace(path)


# -- reading the demo files -------------------------------------------------------------
def _demo_file(name: str) -> Path:
    from ...foundation import config
    from ...foundation.errors import WorkbenchError

    path = config.paths().demo / name
    if not path.exists():
        raise WorkbenchError(f"Demo file not found: {path}. Build it with `workbench demo`.",
                             f"找不到演示数据文件：{path}。请先运行 `workbench demo`。")
    return path


def load_survey(identifiers: str = "drop") -> pd.DataFrame:
    """The demo special-survey microdata (synthetic), identifiers removed on load.

    The file carries fictitious names, ID numbers and phone numbers so that
    data protection has something to find; as with any microdata they are
    dropped (and ``child_id`` pseudonymised) unless ``identifiers="keep"``
    is asked for explicitly (see :func:`workbench.privacy.protect_identifiers`).
    """
    from ...protection.privacy import protect_identifiers

    frame = protect_identifiers(pd.read_parquet(_demo_file("child_survey_2025.parquet")),
                                identifiers)
    frame.attrs.update(synthetic=True, note=SYNTHETIC_NOTE)
    return frame


def load_survey_margins() -> pd.DataFrame:
    """Known population totals (district x sex x age group) for weighting the demo survey."""
    frame = pd.read_csv(_demo_file("survey_margins_2025.csv"), comment="#",
                        dtype={"region": str, "sex": str, "age_group": str})
    frame.attrs.update(synthetic=True, note=SYNTHETIC_NOTE)
    return frame


def load_planted() -> pd.DataFrame:
    """What the demo generator planted (off-track pairs, missingness), for checks."""
    frame = pd.read_csv(_demo_file("planted.csv"), comment="#", dtype=str,
                        keep_default_na=False)
    frame.attrs.update(synthetic=True, note=SYNTHETIC_NOTE)
    return frame
