"""Commands that run notebooks: ``notebooks``, ``params``, ``run``, ``batch``, ``index``."""

from __future__ import annotations

import sys

import click

from ._main import main
from ._util import friendly_errors as _friendly_errors


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
@click.option("--progress/--no-progress", default=True, help="Show cell progress.")
@_friendly_errors
def run(notebook: str, pairs: tuple[tuple[str, str], ...], parameters_file: str | None,
        progress: bool) -> None:
    """Run NOTEBOOK with papermill into outputs/NOTEBOOK/RUN-ID/."""
    from ..execution.params import read_parameter_file, validate_parameters
    from ..execution.runner import run_notebook

    values = read_parameter_file(parameters_file) if parameters_file else {}
    typed = validate_parameters(notebook, values)  # values from YAML are already typed
    typed.update(validate_parameters(notebook, dict(pairs), from_cli=True))
    result = run_notebook(notebook, typed, progress=progress)
    click.echo(f"{result.status}: {result.run_dir}")
    if result.run_dir.joinpath("report.html").exists():
        click.echo(f"report: {result.run_dir / 'report.html'}")
    if not result.ok:
        click.echo(f"error: {result.manifest.get('error', '')}", err=True)
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
@click.option("-j", "--jobs", type=int, default=None, help="Runs at a time (default: cores).")
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


@main.command()
def index() -> None:
    """Rebuild outputs/index.html from the run manifests."""
    from ..execution.site import write_index

    click.echo(write_index())
