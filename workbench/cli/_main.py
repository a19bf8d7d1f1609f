"""The ``workbench`` command group; the command modules add their commands to it."""

from __future__ import annotations

import click


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="workbench")
def main() -> None:
    """Children's development monitoring workbench / 儿童发展监测研究工作台."""
