"""Commands for data and releases: ``demo``, ``export microdata``, ``compile``, ``info``."""

from __future__ import annotations

import click

from ._main import main
from ._util import friendly_errors as _friendly_errors
from .export import export_group


@main.command()
@click.option("--seed", default=None, type=int, help="Random seed (default: the fixed demo seed).")
@click.option("--force", is_flag=True, help="Rebuild even if the demo data exist.")
@_friendly_errors
def demo(seed: int | None, force: bool) -> None:
    """Build the synthetic demo data and monitoring database."""
    from ..store.demo import DEFAULT_SEED, build_demo

    built = build_demo(seed=DEFAULT_SEED if seed is None else seed, force=force)
    click.echo(built)


@export_group.command("microdata")
@click.option("--input", "source", type=click.Path(exists=True, dir_okay=False),
              help="Microdata file (default: the demo survey).")
@click.option("--quasi", required=True, help="Quasi-identifiers, comma-separated.")
@click.option("--k", "k", default=5, show_default=True, type=int)
@click.option("--linked", "link", default=None,
              help="Columns that encode a quasi-identifier (weights, PSU sizes, fpc), "
                   "comma-separated; design columns and dependent columns are found anyway.")
@click.option("-o", "--output", type=click.Path(file_okay=False), help="Folder to create.")
@_friendly_errors
def export_microdata(source: str | None, quasi: str, k: int, link: str | None,
                     output: str | None) -> None:
    """Write a k-anonymous extract without identifiers, and the report of changes."""
    from datetime import UTC, datetime
    from pathlib import Path

    from ..foundation.config import paths
    from ..protection.privacy import load_microdata, write_k_anonymous_extract
    from ..store.demo import load_survey

    data = load_microdata(source, identifiers="keep") if source else load_survey()
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    target = Path(output) if output else paths().outputs / "exports" / f"microdata-{stamp}"
    linked = [c.strip() for c in link.split(",") if c.strip()] if link else None
    out = write_k_anonymous_extract(data, [q.strip() for q in quasi.split(",")], k, target,
                                    linked=linked, unique=output is None)
    click.echo(out)


@main.command()
def info() -> None:
    """Show the project's paths and package versions."""
    from ..execution.runner import package_versions
    from ..foundation.config import paths

    for key, value in paths().as_dict().items():
        click.echo(f"{key:<11} {value}")
    for key, value in package_versions().items():
        click.echo(f"{key:<11} {value}")


@main.command("compile")
@click.option("--year", required=True, type=int, help="Year of the compilation.")
@click.option("--db", "database", default=None, type=click.Path(dir_okay=False),
              help="Monitoring database (default: the configured one).")
@click.option("--out", "out_dir", default=None, type=click.Path(file_okay=False),
              help="Folder for <year>/ (default: outputs/compilation).")
@_friendly_errors
def compile_(year: int, database: str | None, out_dir: str | None) -> None:
    """Write the annual children's statistical compilation (XLSX + CSV) for YEAR."""
    from ..monitor.compile import compile_year

    click.echo(compile_year(year, database, out_dir).folder)
