"""Commands that run notebooks: ``notebooks``, ``params``, ``run``, ``batch``, ``index``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..foundation.errors import WorkbenchError
from ._main import main
from ._util import friendly_errors as _friendly_errors

_P = ("-p", "--parameter")


class _PairCommand(click.Command):
    """Takes ``-p NAME VALUE`` and ``-p NAME=VALUE`` alike (run and batch share one syntax)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        out, i = [], 0
        while i < len(args):
            item = args[i]
            if item in _P and i + 2 < len(args) and "=" not in args[i + 1]:
                out += [item, f"{args[i + 1]}={args[i + 2]}"]  # NAME VALUE -> NAME=VALUE
                i += 3
                continue
            out.append(item)
            i += 1
        return super().parse_args(ctx, out)


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


@main.command(cls=_PairCommand)
@click.argument("notebook")
@click.option("-p", "--parameter", "pairs", multiple=True,
              metavar="NAME VALUE|NAME=VALUE", help="A parameter value (repeatable).")
@click.option("-f", "--parameters-file", type=click.Path(dir_okay=False),
              help="YAML file of parameter values; -p values win.")
@click.option("--progress/--no-progress", default=True,
              help="Show cell progress (only with --no-daemon).")
@click.option("--daemon/--no-daemon", default=True,
              help="Run in the warm engine that stays up between calls (default; "
                   "WORKBENCH_ENGINE_IDLE=0 turns it off) or in this process.")
@_friendly_errors
def run(notebook: str, pairs: tuple[str, ...], parameters_file: str | None,
        progress: bool, daemon: bool) -> None:
    """Run NOTEBOOK with papermill into outputs/NOTEBOOK/RUN-ID/."""
    from ..execution import _daemon
    from ..execution.params import check_run_parameters, split_pair

    values = dict(map(split_pair, pairs))
    if daemon and _daemon.enabled():
        if not _daemon.idle():  # no engine yet, or busy: refuse bad parameters right away
            check_run_parameters(notebook, values, parameters_file)
        # the warm engine validates again (with the same rules) and runs
        answer = _daemon.submit({"notebook": notebook, "pairs": values,
                                 "parameters_file": parameters_file})
        if answer["status"] == "refused":
            raise WorkbenchError(answer["en"], answer["zh"])
        _report_run(answer["status"], answer["run_dir"], answer["error"])
        return
    from ..execution.runner import run_notebook

    typed = check_run_parameters(notebook, values, parameters_file)
    result = run_notebook(notebook, typed, progress=progress)
    _report_run(result.status, str(result.run_dir), result.manifest.get("error", ""))


def _report_run(status: str, run_dir: str, error: str) -> None:
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


@main.command(cls=_PairCommand)
@click.argument("plan", required=False, type=click.Path(dir_okay=False))
@click.option("--notebook", help="Shorthand: one notebook instead of a plan file.")
@click.option("--each", multiple=True, metavar="NAME=VALUES",
              help="Shorthand: one run per value (comma-separated, or 'all').")
@click.option("-p", "--parameter", "fixed", multiple=True, metavar="NAME VALUE|NAME=VALUE",
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


@main.command()
def index() -> None:
    """Rebuild outputs/index.html from the run manifests."""
    from ..execution.site import write_index

    click.echo(write_index())
