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

from ._cli_util import friendly_errors as _friendly_errors
from .dbcli import db

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
    from .demo import DEFAULT_SEED, build_demo

    built = build_demo(seed=DEFAULT_SEED if seed is None else seed, force=force)
    click.echo(built)


@main.command("notebooks")
def notebooks_() -> None:
    """List the project's notebooks."""
    from .params import list_notebooks

    for name in list_notebooks():
        click.echo(name)


@main.command()
@click.argument("notebook")
@_friendly_errors
def params(notebook: str) -> None:
    """List a notebook's parameters (name, type, default, help)."""
    from .params import notebook_parameters

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
    from .params import read_parameter_file, validate_parameters
    from .runner import run_notebook

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


@main.command()
def index() -> None:
    """Rebuild outputs/index.html from the run manifests."""
    from .site import write_index

    click.echo(write_index())


@main.command()
def info() -> None:
    """Show the project's paths and package versions."""
    from .config import paths
    from .runner import package_versions

    for key, value in paths().as_dict().items():
        click.echo(f"{key:<11} {value}")
    for key, value in package_versions().items():
        click.echo(f"{key:<11} {value}")


main.add_command(db)

if __name__ == "__main__":
    main()
