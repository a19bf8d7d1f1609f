"""Submission round at scale: validate + ingest 1,000,000 rows from CSV; merge 13 districts.

Targets (2-core machine): validate and ingest 1,000,000 observation rows from CSV in under
15 s; merge 13 district databases of 100,000 rows each into the city database in under 10 s.
The peer for the ingest is DuckDB's own CSV load of the same file into a plain table (no
validation, no revisions): the ratio says what validation and revision bookkeeping cost.

Run: ``.venv/bin/python benchmarks/bench_submissions.py``.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from workbench.catalogue import UNIT_SCALE, load_catalogue
from workbench.database import connect, create_database
from workbench.regions import Regions, load_regions
from workbench.submissions import (
    _cells,
    breakdown_levels,
    check_submission,
    ingest_submission,
    merge_databases,
)


def street_regions(n: int) -> Regions:
    """The districts plus ``n`` synthetic street-level regions (a province-scale round)."""
    base = load_regions().table.reset_index(drop=True)
    districts = base[base["level"] == "district"]
    parents = districts["code"].to_numpy()[np.arange(n) % len(districts)]
    streets = pd.DataFrame({
        "code": [f"{p}{i:04d}" for i, p in enumerate(parents)], "name_zh": "街道",
        "name_en": "street", "level": "street", "parent_code": parents, "kind": "street",
        "urbanisation": np.where(np.arange(n) % 3 == 0, "urban", "rural")})
    return Regions(pd.concat([base, streets], ignore_index=True))


def complete_rows(n: int, seed: int, regions: Regions, region_codes: list[str]) -> pd.DataFrame:
    """About n valid rows made of complete (indicator, region, year) groups."""
    cat = load_catalogue()
    rng = np.random.default_rng(seed)
    levels = breakdown_levels(cat)
    per_group = levels.groupby("indicator").size().mean()
    n_groups = int(n / per_group * 1.1)
    groups = pd.DataFrame({
        "indicator": rng.choice(cat.codes, n_groups), "region": rng.choice(region_codes,
                                                                           n_groups),
        "year": rng.integers(2020, 2031, n_groups)}).drop_duplicates()
    frame = _cells(groups, cat, regions).head(n)
    unit = frame["indicator"].map(cat.table["unit"])
    scale = unit.map(UNIT_SCALE).astype(float)
    den = rng.integers(1_000, 100_000, len(frame)).astype(float)
    num = np.floor(den * rng.uniform(0, 0.001, len(frame)))
    ratio = scale.notna()
    frame = frame.assign(
        value=np.where(ratio, np.round(num / den * scale.fillna(1), 6),
                       np.where(unit.eq("binary"), 1.0, num)),
        numerator=np.where(ratio, num, np.nan), denominator=np.where(ratio, den, np.nan))
    # whole groups only, so no required breakdown is missing
    last = frame.iloc[-1][["indicator", "region", "year"]]
    tail = (frame["indicator"] == last["indicator"]) & (frame["region"] == last["region"]) & \
        (frame["year"] == last["year"])
    return frame[~tail].reset_index(drop=True)


def bench_ingest(tmp: Path) -> None:
    regions = street_regions(3_000)
    streets = regions.at_level("street")["code"].tolist()
    csv = tmp / "submission.csv"
    rows = complete_rows(1_000_000, 1, regions, streets)
    rows.to_csv(csv, index=False)
    db_path = tmp / "city.duckdb"
    create_database(db_path, load_catalogue(), regions).close()
    start = time.perf_counter()
    report = check_submission(csv, load_catalogue(), regions)
    validate = time.perf_counter() - start
    assert report.ok, report.problems.head()
    start = time.perf_counter()
    result = ingest_submission(csv, "benchmark", database=db_path)
    total = time.perf_counter() - start
    assert result.status == "ingested" and result.n_new == len(rows)
    peer = duckdb.connect()
    start = time.perf_counter()
    peer.execute(f"CREATE TABLE t AS SELECT * FROM read_csv_auto('{csv}')")
    plain = time.perf_counter() - start
    print(f"validate only ({len(rows):,} rows)          {validate:6.2f} s")
    print(f"validate + ingest (target < 15 s)     {total:6.2f} s")
    print(f"DuckDB plain CSV load (peer)          {plain:6.2f} s   ratio {total / plain:5.1f}x")


def bench_merge(tmp: Path) -> None:
    regions = street_regions(3_000)
    streets = regions.at_level("street")
    paths, total = [], 0
    for i, district in enumerate(regions.at_level("district")["code"]):
        own = streets.loc[streets["parent_code"] == district, "code"].tolist()
        path = tmp / f"district_{district}.duckdb"
        create_database(path, load_catalogue(), regions).close()
        rows = complete_rows(100_000, 10 + i, regions, own)
        total += len(rows)
        with connect(path, read_only=False) as db:
            db.write_observations(rows, recorded_by=district)
        paths.append(path)
    city = tmp / "merged_city.duckdb"
    create_database(city, load_catalogue(), regions).close()
    start = time.perf_counter()
    result = merge_databases(paths, city, "benchmark")
    elapsed = time.perf_counter() - start
    assert result.status == "merged" and result.n_new == total
    print(f"merge 13 x 100,000 rows (target < 10 s) {elapsed:6.2f} s")


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as folder:
        bench_ingest(Path(folder))
        bench_merge(Path(folder))
