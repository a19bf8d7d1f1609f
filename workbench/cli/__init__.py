"""The ``workbench`` command: a thin layer over the package.

Examples
--------
.. code-block:: console

    $ workbench demo                       # build the synthetic demo data
    $ workbench params getting_started     # list a notebook's parameters
    $ workbench run getting_started -p lang en
    $ workbench index                      # rebuild outputs/index.html
"""

from __future__ import annotations

import sys

import click

from ..foundation.errors import WorkbenchError
from ._util import friendly_errors as _friendly_errors
from .db import db

__all__ = ["main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="workbench")
def main() -> None:
    """Children's development monitoring workbench / 儿童发展监测研究工作台."""


@main.command()
@click.option("--seed", default=None, type=int, help="Random seed (default: the fixed demo seed).")
@click.option("--force", is_flag=True, help="Rebuild even if the demo data exist.")
@_friendly_errors
def demo(seed: int | None, force: bool) -> None:
    """Build the synthetic demo data and monitoring database."""
    from ..store.demo import DEFAULT_SEED, build_demo

    built = build_demo(seed=DEFAULT_SEED if seed is None else seed, force=force)
    click.echo(built)


@main.command("notebooks")
def notebooks_() -> None:
    """List the project's notebooks."""
    from ..execution.params import list_notebooks

    for name in list_notebooks():
        click.echo(name)


@main.command()
@click.argument("notebook")
@_friendly_errors
def params(notebook: str) -> None:
    """List a notebook's parameters (name, type, default, help)."""
    from ..execution.params import notebook_parameters

    specs = notebook_parameters(notebook)
    width = max((len(n) for n in specs), default=4)
    for spec in specs.values():
        click.echo(f"{spec.name:<{width}}  {spec.type_name:<10} {spec.default!r:<24} {spec.help}")


@main.command()
@click.argument("notebook")
@click.option("-p", "--parameter", "pairs", multiple=True, nargs=2,
              metavar="NAME VALUE", help="A parameter value (repeatable).")
@click.option("-f", "--parameters-file", type=click.Path(dir_okay=False),
              help="YAML file of parameter values; -p values win.")
@click.option("--progress/--no-progress", default=True,
              help="Show cell progress (only with --no-daemon).")
@click.option("--daemon/--no-daemon", default=True,
              help="Run in the warm engine that stays up between calls (default; "
                   "WORKBENCH_ENGINE_IDLE=0 turns it off) or in this process.")
@_friendly_errors
def run(notebook: str, pairs: tuple[tuple[str, str], ...], parameters_file: str | None,
        progress: bool, daemon: bool) -> None:
    """Run NOTEBOOK with papermill into outputs/NOTEBOOK/RUN-ID/."""
    from ..execution import _daemon

    if daemon and _daemon.enabled():
        if not _daemon.idle():  # no engine yet, or busy: refuse bad parameters right away
            _check_run_parameters(notebook, pairs, parameters_file)
        # the warm engine validates again (with the same rules) and runs
        answer = _daemon.submit({"notebook": notebook, "pairs": dict(pairs),
                                 "parameters_file": parameters_file})
        if answer["status"] == "refused":
            raise WorkbenchError(answer["en"], answer["zh"])
        _report_run(answer["status"], answer["run_dir"], answer["error"])
        return
    from ..execution.runner import run_notebook

    typed = _check_run_parameters(notebook, pairs, parameters_file)
    result = run_notebook(notebook, typed, progress=progress)
    _report_run(result.status, str(result.run_dir), result.manifest.get("error", ""))


def _check_run_parameters(notebook: str, pairs: tuple[tuple[str, str], ...],
                          parameters_file: str | None) -> dict[str, object]:
    from ..execution.params import read_parameter_file, validate_parameters

    values = read_parameter_file(parameters_file) if parameters_file else {}
    typed = validate_parameters(notebook, values)  # values from YAML are already typed
    typed.update(validate_parameters(notebook, dict(pairs), from_cli=True))
    return typed


def _report_run(status: str, run_dir: str, error: str) -> None:
    from pathlib import Path

    click.echo(f"{status}: {run_dir}")
    if run_dir and Path(run_dir, "report.html").exists():
        click.echo(f"report: {Path(run_dir, 'report.html')}")
    if status != "completed":
        click.echo(f"error: {error}", err=True)
        sys.exit(1)


def _pairs(items: tuple[str, ...], option: str) -> dict[str, object]:
    parsed: dict[str, object] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise click.BadParameter(f"{item!r}: use NAME=VALUE", param_hint=option)
        parsed[name] = "all" if value == "all" else value.split(",") if "," in value else value
    return parsed


@main.command()
@click.argument("plan", required=False, type=click.Path(dir_okay=False))
@click.option("--notebook", help="Shorthand: one notebook instead of a plan file.")
@click.option("--each", multiple=True, metavar="NAME=VALUES",
              help="Shorthand: one run per value (comma-separated, or 'all').")
@click.option("-p", "--parameter", "fixed", multiple=True, metavar="NAME=VALUE",
              help="Shorthand: a parameter for every run.")
@click.option("-j", "--jobs", type=int, default=None,
              help="Runs at a time, at least 1 (default: cores).")
@click.option("--force", is_flag=True, help="Rerun cached runs too.")
@click.option("--retry-failed", is_flag=True, help="Run only the runs that failed last time.")
@click.option("--dask", is_flag=True, help="Run on a local Dask cluster.")
@click.option("--scheduler", help="Run on the Dask cluster at this address (tcp://host:port).")
@click.option("--progress/--no-progress", default=True)
@_friendly_errors
def batch(plan: str | None, notebook: str | None, each: tuple[str, ...], fixed: tuple[str, ...],
          jobs: int | None, force: bool, retry_failed: bool, dask: bool, scheduler: str | None,
          progress: bool) -> None:
    """Run a report set from PLAN (YAML) or the --notebook/--each shorthand."""
    from ..execution.batch import expand_plan, load_plan, run_batch

    if bool(plan) == bool(notebook):
        raise click.UsageError("Give either a PLAN file or --notebook (not both).")
    entries = load_plan(plan) if plan else [{
        "notebook": notebook, "each": _pairs(each, "--each"),
        "parameters": _pairs(fixed, "-p"), "from_cli": True}]
    runs = expand_plan(entries)
    try:
        result = run_batch(runs, jobs, force, retry_failed, dask, scheduler, progress)
    except KeyboardInterrupt:
        click.echo("Interrupted: completed runs are kept; unfinished ones were removed.",
                   err=True)
        sys.exit(130)
    shown = result.table.drop(columns=["error"]).to_string(index=False)
    click.echo(shown)
    click.echo(repr(result))
    for row in result.table[result.table["outcome"] == "failed"].itertuples():
        click.echo(f"failed: {row.notebook}/{row.run_id}: {row.error}", err=True)
    if not result.ok:
        sys.exit(1)


@main.group("export")
def export_() -> None:
    """Extracts for partners (microdata with disclosure control)."""


@export_.command("microdata")
@click.option("--input", "source", type=click.Path(exists=True, dir_okay=False),
              help="Microdata file (default: the demo survey).")
@click.option("--quasi", required=True, help="Quasi-identifiers, comma-separated.")
@click.option("--k", "k", default=5, show_default=True, type=int)
@click.option("-o", "--output", type=click.Path(file_okay=False), help="Folder to create.")
@_friendly_errors
def export_microdata(source: str | None, quasi: str, k: int, output: str | None) -> None:
    """Write a k-anonymous extract without identifiers, and the report of changes."""
    from datetime import UTC, datetime
    from pathlib import Path

    from ..foundation.config import paths
    from ..protection.privacy import load_microdata, write_k_anonymous_extract
    from ..store.demo import load_survey

    data = load_microdata(source, identifiers="keep") if source else load_survey()
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    target = Path(output) if output else paths().outputs / "exports" / f"microdata-{stamp}"
    out = write_k_anonymous_extract(data, [q.strip() for q in quasi.split(",")], k, target)
    click.echo(out)


@main.command()
def index() -> None:
    """Rebuild outputs/index.html from the run manifests."""
    from ..execution.site import write_index

    click.echo(write_index())


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


main.add_command(db)

if __name__ == "__main__":
    main()
