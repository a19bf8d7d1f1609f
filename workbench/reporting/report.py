"""What a notebook publishes: tables and figures, saved into its run folder.

A notebook starts with ``report = workbench.report.start(lang=lang)`` and
hands every table and figure it wants published to ``report.table`` and
``report.figure``.  Under ``workbench run`` the runner sets
``WORKBENCH_RUN_DIR`` and the files land in ``outputs/<notebook>/<run-id>/``
(``tables/*.csv``, ``tables/*.xlsx``, ``figures/*.png``); opened
interactively (JupyterLab, plain papermill, nbval) nothing is written unless
``save_to`` is given, so exploring never litters outputs/.

This is the single door through which results leave a notebook, which is
where later checks (disclosure control) belong.

Examples
--------
>>> import pandas as pd
>>> from workbench.report import start
>>> report = start(lang="en")
>>> report.table(pd.DataFrame({"a": [1]}), "demo_table", display=False)
>>> report.tables  # interactive: nothing saved
[]
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..foundation.config import RUN_DIR_ENV
from ..foundation.errors import WorkbenchError
from ..foundation.i18n import check_lang, label
from ..foundation.plots import set_theme

__all__ = ["Report", "start", "RUN_DIR_ENV", "write_xlsx"]

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-]{0,80}$")


@dataclass
class Report:
    """Collects a notebook's published tables and figures.

    Parameters
    ----------
    lang : {"zh", "en"}
        Language of labels and column headers.
    out_dir : Path or None
        Where files are written; None writes nothing (interactive use).
    """

    lang: str = "zh"
    out_dir: Path | None = None
    tables: list[str] = field(default_factory=list)
    figures: list[str] = field(default_factory=list)
    # what the report rests on (workbench.store.provenance.Provenance list); read by title pages
    provenance: list = field(default_factory=list)

    def provenance_line(self) -> str:
        """The data line every exported table carries ("" when no source was given)."""
        return "; ".join(p.line(self.lang) for p in self.provenance)

    def table(self, df: pd.DataFrame, name: str, title: str | None = None,
              notes: list[str] | None = None, translate: bool = True,
              display: bool = True, counts: str | None = None,
              frequency: bool = False) -> None:
        """Publish a table: show it, and save CSV (UTF-8 with BOM) and formatted XLSX.

        Every table passes through disclosure control first
        (:mod:`workbench.disclosure`): with ``counts`` (default: a column named
        ``n``, the respondents behind each row) estimates resting on too few
        children are suppressed and those with a CV above 30 % flagged; with
        ``frequency=True`` the cells are counts of children and get primary
        and secondary suppression.  Columns holding identifiers are refused.
        Column names found in the label dictionary are translated to
        ``lang`` when ``translate`` is true.
        """
        _check_name(name)
        df, notes = _disclosure_control(df, counts, frequency, self.lang, notes)
        shown = df.rename(columns=lambda c: label("column", c, self.lang)) if translate else df
        if self.out_dir is not None:
            folder = self.out_dir / "tables"
            folder.mkdir(parents=True, exist_ok=True)
            _write_csv(shown, folder / f"{name}.csv", self.provenance_line())
            write_xlsx(shown, folder / f"{name}.xlsx", title=title,
                       notes=[*(notes or []), *filter(None, [self.provenance_line()])])
            self.tables.append(name)
        if display:
            _display(shown, title, notes)

    def figure(self, fig: object, name: str) -> None:
        """Publish a matplotlib figure as PNG (the figure stays open for display)."""
        _check_name(name)
        if self.out_dir is not None:
            folder = self.out_dir / "figures"
            folder.mkdir(parents=True, exist_ok=True)
            fig.savefig(folder / f"{name}.png")
            self.figures.append(name)

    def __repr__(self) -> str:
        where = str(self.out_dir) if self.out_dir else "not saving (interactive)"
        return f"<Report lang={self.lang}: {where}>"

    def _repr_html_(self) -> str:
        where = f"<code>{self.out_dir}</code>" if self.out_dir else "interactive: nothing is saved"
        return f"<p><b>Report</b> ({self.lang}) — {where}</p>"


def start(lang: str = "zh", save_to: str | Path | None = None,
          provenance: object = None) -> Report:
    """Start a notebook's report: apply the figure theme and decide where files go.

    Parameters
    ----------
    lang : {"zh", "en"}
    save_to : path, optional
        Save tables and figures here even when not run by ``workbench run``.
    provenance : Provenance or list of Provenance, optional
        What the report is made from (:mod:`workbench.store.provenance`): shown
        first, written on every exported table and to ``provenance.json``.
    """
    check_lang(lang)
    set_theme()
    target = save_to or os.environ.get(RUN_DIR_ENV)
    sources = [] if provenance is None else \
        list(provenance) if isinstance(provenance, list | tuple) else [provenance]
    report = Report(lang=lang, out_dir=Path(target) if target else None, provenance=sources)
    if sources:
        _announce(report)
    return report


def _announce(report: Report) -> None:
    """Show the data line first, and keep it in the run folder for the manifest and title."""
    import json

    if report.out_dir is not None:
        report.out_dir.mkdir(parents=True, exist_ok=True)
        (report.out_dir / "provenance.json").write_text(json.dumps(
            [p.as_dict() for p in report.provenance], ensure_ascii=False, indent=1),
            encoding="utf-8")
    try:
        from IPython.display import Markdown, display
    except ImportError:
        return
    display(Markdown(f"**{report.provenance_line()}**"))


def _write_csv(df: pd.DataFrame, path: Path, line: str) -> None:
    """CSV (UTF-8 with BOM); the data line first, as a ``#`` comment (``comment="#"``)."""
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        if line:
            fh.write(f"# {line}\n")
        df.to_csv(fh, index=False)


def _disclosure_control(df: pd.DataFrame, counts: str | None, frequency: bool, lang: str,
                        notes: list[str] | None) -> tuple[pd.DataFrame, list[str] | None]:
    from ..protection.disclosure import control_estimates, footnotes, suppress_frequencies
    from ..protection.privacy import detect_identifiers

    # by content only: a column called "name" holding indicator names is fine to publish
    found = detect_identifiers(df)
    direct = found[found["found_by"].str.contains("content")] if len(found) else found
    if len(direct):
        raise WorkbenchError(
            f"Refusing to publish identifier column(s): {', '.join(map(str, direct['column']))}",
            f"拒绝发布含身份信息的列：{', '.join(map(str, direct['column']))}")
    extra: list[str] = []
    if frequency:
        result = suppress_frequencies(df.set_index(df.columns[0]) if not
                                      pd.api.types.is_numeric_dtype(df[df.columns[0]]) else df)
        published = result.published()
        df = published.reset_index() if published.index.name else published
        if result.suppressed.to_numpy().any():
            extra = footnotes(lang, result.threshold, bool(result.secondary.to_numpy().any()))
    else:
        column = counts or ("n" if "n" in df.columns else None)
        if column is not None:
            df, extra = control_estimates(df, counts=column, lang=lang)
    return df, [*(notes or []), *extra] or None


def _check_name(name: str) -> None:
    if not _NAME.match(name):
        raise WorkbenchError(
            f"Output name {name!r} must be letters, digits, '_' or '-' (at most 81 characters)",
            f"输出名称 {name!r} 只能包含字母、数字、下划线或连字符")


def _display(df: pd.DataFrame, title: str | None, notes: list[str] | None) -> None:
    try:
        from IPython.display import Markdown, display
    except ImportError:  # plain Python: nothing to show
        return
    if title:
        display(Markdown(f"**{title}**"))
    display(df)
    if notes:
        display(Markdown("\n".join(f"- {n}" for n in notes)))


def write_xlsx(df: pd.DataFrame, path: Path, title: str | None = None,
               notes: list[str] | None = None, sheet: str = "table") -> None:
    """Write a formatted workbook: title, bold frozen header, fitted widths, notes below."""
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    start_row = 2 if title else 0
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        df.to_excel(writer, sheet_name=sheet, index=False, startrow=start_row)
        ws = writer.sheets[sheet]
        if title:
            ws.cell(row=1, column=1, value=title).font = Font(bold=True, size=13)
        header_row = start_row + 1
        for cell in ws[header_row]:
            cell.font = Font(bold=True)
            cell.fill = PatternFill("solid", fgColor="DDEBF7")
            cell.alignment = Alignment(wrap_text=True, vertical="center")
        ws.freeze_panes = ws.cell(row=header_row + 1, column=1)
        for i, col in enumerate(df.columns, start=1):
            values = [str(col), *df[col].head(200).map(str)]
            # CJK characters are about twice as wide as Latin ones
            width = max(sum(2 if ord(ch) > 0x2E80 else 1 for ch in v) for v in values)
            ws.column_dimensions[get_column_letter(i)].width = min(max(width + 2, 8), 60)
            if pd.api.types.is_float_dtype(df[col]):
                for row in ws.iter_rows(min_row=header_row + 1, min_col=i, max_col=i):
                    row[0].number_format = "#,##0.00"
        for j, note in enumerate(notes or [], start=header_row + len(df) + 2):
            ws.cell(row=j, column=1, value=note).font = Font(italic=True, size=9)
