"""``workbench db ...``: the submission round on the command line (thin over submissions)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ._util import friendly_errors as _friendly_errors

__all__ = ["db"]

_DB_OPTION = click.option("--db", "database", type=click.Path(dir_okay=False),
                          help="Monitoring database (default: the configured one).")


@click.group()
def db() -> None:
    """Monitoring database: templates, submissions, revisions, merge, export."""


@db.command()
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--catalogue", type=click.Path(exists=True, dir_okay=False),
              help="Your own indicator catalogue CSV (default: the shipped one).")
@click.option("--regions", type=click.Path(exists=True, dir_okay=False),
              help="Your own regions CSV (default: the shipped one).")
@_friendly_errors
def init(path: str, catalogue: str | None, regions: str | None) -> None:
    """Create an empty monitoring database at PATH for your own data."""
    from ..store.database import init_database

    created = init_database(path, catalogue, regions).resolve()
    click.echo(f"Created {created} (empty; catalogue and regions "
               f"{'from your files' if catalogue or regions else 'shipped'}).\n"
               f"Use it:  export WORKBENCH_DB={created}   (or --db {created} on db commands)\n"
               f"Then:    workbench db template --unit UNIT --year YEAR; fill it; "
               f"workbench db ingest FILE --submitted-by NAME\n"
               f"已创建空数据库 {created}；请设置环境变量 WORKBENCH_DB={created}")


@db.command()
@click.option("--unit", required=True, help="Responsible unit code, e.g. education.")
@click.option("--year", required=True, type=int)
@click.option("--region", "regions", multiple=True, help="Limit to these region codes.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Where to write the XLSX.")
@_friendly_errors
def template(unit: str, year: int, regions: tuple[str, ...], output: str | None) -> None:
    """Write the XLSX submission template of a unit for a year."""
    from ..store.submissions import write_template

    click.echo(write_template(unit, year, output, list(regions) or None))


def _show_problems(report, lang: str) -> None:
    table = report.table(lang)
    click.echo(table.to_string(index=False, max_colwidth=90), err=True)


def _show_gaps(report, lang: str) -> None:
    """Missing required breakdowns: listed, written as data gaps (not a refusal)."""
    if len(report.warnings):
        reason = "reason_zh" if lang == "zh" else "reason_en"
        click.echo(report.warnings[["sheet", "row", reason]].to_string(
            index=False, max_colwidth=90), err=True)
        click.echo(f"Warning: {len(report.warnings)} required breakdown(s) missing; they stay "
                   "data gaps (--require-complete refuses the file) / "
                   f"缺少 {len(report.warnings)} 个必报分组，记为数据缺口", err=True)


_COMPLETE = click.option("--require-complete", is_flag=True,
                         help="Refuse the file when required breakdowns are missing.")


@db.command()
@click.argument("file", type=click.Path())
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh")
@click.option("--report", "report_path", type=click.Path(dir_okay=False),
              help="Also write the problems to this CSV.")
@_DB_OPTION
@_COMPLETE
@_friendly_errors
def validate(file: str, lang: str, report_path: str | None, database: str | None,
             require_complete: bool) -> None:
    """Check a submission (XLSX or CSV) without writing anything; exit 1 on problems."""
    from ..store.database import connect
    from ..store.submissions import check_submission

    with connect(database) as con:
        report = check_submission(file, con.catalogue(), con.regions(), require_complete)
    _show_gaps(report, lang)
    if report_path:
        report.write(report_path)
    if not report.ok:
        _show_problems(report, lang)
        click.echo(f"{len(report.problems)} problem(s) / 处错误", err=True)
        sys.exit(1)
    click.echo(f"OK: {len(report.rows):,} rows, {report.not_reported:,} left blank")


@db.command()
@click.argument("file", type=click.Path())
@click.option("--submitted-by", required=True, help="Who sent the file (unit or person).")
@click.option("--reason", default="", help="Why: annual round, correction ...")
@click.option("--accept-revisions", is_flag=True, help="Accept revisions above the threshold.")
@click.option("--threshold", default=0.2, show_default=True,
              help="Relative change that counts as a large revision.")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh")
@_DB_OPTION
@_COMPLETE
@_friendly_errors
def ingest(file: str, submitted_by: str, reason: str, accept_revisions: bool, threshold: float,
           lang: str, database: str | None, require_complete: bool) -> None:
    """Validate and write a submission in one transaction, or write nothing."""
    _ingest(file, submitted_by, reason, accept_revisions, threshold, lang, database,
            require_complete)


@db.command("import")
@click.argument("file", type=click.Path())
@click.option("--submitted-by", default="history import", show_default=True,
              help="Who compiled the history.")
@click.option("--reason", default="import of earlier years", show_default=True)
@click.option("--accept-revisions", is_flag=True, help="Accept revisions above the threshold.")
@click.option("--threshold", default=0.2, show_default=True)
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh")
@_DB_OPTION
@_COMPLETE
@_friendly_errors
def import_(file: str, submitted_by: str, reason: str, accept_revisions: bool, threshold: float,
            lang: str, database: str | None, require_complete: bool) -> None:
    """Import a multi-year history in long format (CSV/XLSX with the template's columns).

    Any years of the plan period, any units' indicators in one file; the same
    checks as ``ingest`` and one transaction.
    """
    _ingest(file, submitted_by, reason, accept_revisions, threshold, lang, database,
            require_complete)


def _ingest(file: str, submitted_by: str, reason: str, accept_revisions: bool, threshold: float,
            lang: str, database: str | None, require_complete: bool) -> None:
    from ..store.submissions import ingest_submission

    result = ingest_submission(file, submitted_by, reason, database, accept_revisions,
                               threshold, require_complete=require_complete)
    _show_gaps(result.report, lang)
    if result.status == "rejected":
        _show_problems(result.report, lang)
        click.echo(f"Rejected: nothing written / 未写入: {len(result.report.problems)} problem(s)",
                   err=True)
        sys.exit(1)
    if result.status == "needs_acceptance":
        click.echo(result.large_revisions.to_string(index=False), err=True)
        click.echo("Large revisions: re-run with --accept-revisions to write them / "
                   "修订幅度较大，确认后请加 --accept-revisions", err=True)
        sys.exit(1)
    click.echo(repr(result))


@db.command()
@click.argument("indicator")
@click.argument("region")
@click.argument("year", type=int)
@_DB_OPTION
@_friendly_errors
def history(indicator: str, region: str, year: int, database: str | None) -> None:
    """Every revision of INDICATOR in REGION for YEAR."""
    from ..store.database import connect

    with connect(database) as con:
        table = con.history(indicator, region, year)
    columns = ["sex", "age_group", "residence", "hukou", "revision", "value", "recorded_at",
               "recorded_by", "reason", "source_file"]
    click.echo(table[columns].to_string(index=False) if len(table) else "no revisions")


@db.command()
@click.argument("sources", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--into", required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--submitted-by", default="merge", show_default=True)
@click.option("--accept-revisions", is_flag=True)
@_friendly_errors
def merge(sources: tuple[str, ...], into: str, submitted_by: str,
          accept_revisions: bool) -> None:
    """Merge district databases SOURCES into the city database."""
    from ..store.submissions import merge_databases

    result = merge_databases(list(sources), into, submitted_by, accept_revisions)
    if result.status == "conflicts":
        click.echo(result.conflicts.to_string(index=False), err=True)
        click.echo("Conflicts: nothing merged / 存在冲突，未合并", err=True)
        sys.exit(1)
    if result.status == "needs_acceptance":
        click.echo(result.revisions[result.revisions["large"]].to_string(index=False), err=True)
        click.echo("Large revisions: re-run with --accept-revisions", err=True)
        sys.exit(1)
    click.echo(repr(result))


@db.command()
@click.option("--format", "fmt", type=click.Choice(["parquet", "csv", "xlsx"]),
              default="parquet", show_default=True)
@click.option("-o", "--output", type=click.Path(file_okay=False), help="Folder to create.")
@_DB_OPTION
@_friendly_errors
def export(fmt: str, output: str | None, database: str | None) -> None:
    """Export the current observations with a data dictionary."""
    from ..store.submissions import export_observations

    click.echo(export_observations(fmt, Path(output) if output else None, database))


@db.command(name="warnings")
@click.option("--year", "years", multiple=True, type=int, required=True,
              help="Assessment year to record (repeat for several).")
@_DB_OPTION
@_friendly_errors
def warnings_cmd(years: tuple[int, ...], database: str | None) -> None:
    """Record the early warnings of YEARS in the warning register (动态预警台账)."""
    from ..foundation.catalogue import load_catalogue
    from ..monitor import build_register, register_counts, register_status
    from ..store.database import connect
    from ..store.register import register_years, save_warnings

    with connect(database, read_only=False) as con:
        register = build_register(con.observations(breakdown=None), load_catalogue(), years)
        n = save_warnings(con, register, list(years))
        assessed = register_years(con)
    status = register_status(register, max(years), assessed)
    click.echo(f"{n} warnings recorded for {', '.join(map(str, sorted(years)))}")
    click.echo(register_counts(status, "en").to_string(index=False))


@db.command()
@click.option("--indicator", required=True)
@click.option("--region", required=True)
@click.option("--kind", required=True, help="Warning kind, e.g. off_path, target_2025.")
@click.option("--sex", default="total", show_default=True)
@click.option("--age-group", default="total", show_default=True)
@click.option("--residence", default="total", show_default=True)
@click.option("--hukou", default="total", show_default=True)
@click.option("--measure", required=True, help="The measure taken (整改措施).")
@click.option("--date", "when", required=True, type=click.DateTime(["%Y-%m-%d"]))
@click.option("--unit", default=None, help="Responding unit (default: the responsible unit).")
@click.option("--by", "recorded_by", default=None, help="Who records the response.")
@_DB_OPTION
@_friendly_errors
def respond(indicator: str, region: str, kind: str, sex: str, age_group: str, residence: str,
            hukou: str, measure: str, when, unit: str | None, recorded_by: str | None,
            database: str | None) -> None:
    """Record the responsible unit's response to an open warning.

    A warning that is not open in the latest recorded year is refused, with the list of
    the unit's open warnings.
    """
    from ..store.database import connect
    from ..store.register import record_response

    key = {"indicator": indicator, "region": region, "kind": kind, "sex": sex,
           "age_group": age_group, "residence": residence, "hukou": hukou}
    with connect(database, read_only=False) as con:
        n = record_response(con, key, measure, when.date(), unit, recorded_by)
    click.echo(f"response {n} recorded for {indicator} {region} {kind}")
