"""``workbench export``: re-render a run's report from its stored notebook (no execution), and
partner extracts (``export microdata``, defined with the data commands).

``workbench export RUN --format pdf`` is short for ``workbench export report RUN --format pdf``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..foundation import config
from ..foundation.errors import WorkbenchError
from ._main import main
from ._util import friendly_errors as _friendly_errors

_FORMATS = ("html", "docx", "pdf")


def resolve_run(run: str) -> Path:
    """A run folder from a path, ``NOTEBOOK/RUN-ID`` or a run id under outputs/."""
    outputs = config.paths().outputs
    candidates = [Path(run), outputs / run, *sorted(outputs.glob(f"*/{run}"))]
    for folder in candidates:
        if folder.is_dir() and (folder / "manifest.json").exists():
            return folder
    raise WorkbenchError(
        f"No run folder {run!r} (a path, NOTEBOOK/RUN-ID or a run id under {outputs})",
        f"找不到运行文件夹 {run!r}（路径、笔记本/运行编号或运行编号）")


class _ExportGroup(click.Group):
    """Subcommands, or a run to re-render: a first word that names no subcommand is a RUN."""

    def resolve_command(self, ctx: click.Context, args: list[str]):  # type: ignore[override]
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["report", *args]
        return super().resolve_command(ctx, args)


@main.group("export", cls=_ExportGroup)
def export_group() -> None:
    """Re-render a run's report (RUN --format ...) or write a partner extract (microdata)."""


@export_group.command("report")
@click.argument("run")
@click.option("--format", "formats", multiple=True, type=click.Choice(_FORMATS),
              help="Format to write (repeatable; default: all three).")
@click.option("--lang", type=click.Choice(("zh", "en")), default=None,
              help="Language (default: the run's own).")
@_friendly_errors
def export(run: str, formats: tuple[str, ...], lang: str | None) -> None:
    """Re-render RUN's report.html/.docx/.pdf from its executed notebook."""
    from ..reporting.render import render_formats

    folder = resolve_run(run)
    notebooks = sorted(folder.glob("*.ipynb"))
    if not notebooks:
        raise WorkbenchError(f"{folder} holds no executed notebook",
                             f"{folder} 中没有已执行的笔记本")
    failed = render_formats(notebooks[0], folder, lang, formats or _FORMATS)
    for fmt in formats or _FORMATS:
        if fmt not in failed:
            click.echo(folder / f"report.{fmt}")
    for fmt, why in failed.items():
        click.echo(f"failed: report.{fmt}: {why}", err=True)
    if failed:
        sys.exit(1)
