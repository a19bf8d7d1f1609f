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
>>> report.table(pd.DataFrame({"a": [1.5]}), "demo_table", display=False)
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
from ..foundation.safe_io import private_file, write_csv
from ._xlsx import write_xlsx

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
              frequency: bool | None = None, *, source: str | None = None,
              units: dict[str, str] | None = None, decimals: dict[str, int] | None = None,
              percent: list[str] | tuple[str, ...] = ()) -> None:
        """Publish a table: show it, and save CSV (UTF-8 with BOM) and formatted XLSX.

        Every table passes through disclosure control first
        (:mod:`workbench.disclosure`): with ``counts`` (default: a column named
        ``n``, ``count``, ``人数`` ..., the children behind each row) estimates
        and counts resting on too few children are suppressed and estimates
        with a CV above 30 % flagged; with ``frequency=True`` the cells are
        counts of children and get primary and secondary suppression.  A table
        of whole numbers with small positive cells and neither is refused until
        ``frequency`` says whether it counts children.  Identifiers in any
        cell, the index or the column names are refused.
        Column names found in the label dictionary are translated to
        ``lang`` when ``translate`` is true.  The CSV keeps full precision;
        the report shows the table formatted (:func:`format_table`: units,
        decimals by indicator, "—" for missing, no index) with ``title`` as its
        caption, ``notes`` and ``source`` below it; ``units``, ``decimals`` and
        ``percent`` (proportions shown as %) are by column name as published.
        """
        from ..foundation.catalogue import load_catalogue

        _check_name(name)
        df, notes = _disclosure_control(df, counts, frequency, self.lang, notes)
        shown = df.rename(columns=lambda c: label("column", c, self.lang)) if translate else df
        decimals = _rename(decimals, self.lang, translate)
        percent = list(_rename(dict.fromkeys(percent), self.lang, translate))
        # indicator rows take their unit's decimals (in the XLSX and in the report)
        catalogue = load_catalogue() if self.out_dir is not None or display else None
        if self.out_dir is not None:
            folder = self.out_dir / "tables"
            folder.mkdir(parents=True, exist_ok=True)
            write_csv(shown, folder / f"{name}.csv", comment=self.provenance_line())
            write_xlsx(shown, folder / f"{name}.xlsx", title=title,
                       notes=[*(notes or []), *filter(None, [self.provenance_line()])],
                       catalogue=catalogue, decimals=decimals, percent=percent)
            self.tables.append(name)
        if display:
            block = _table_block(shown, name, title, notes, source, self.lang, catalogue,
                                 _rename(units, self.lang, translate), decimals, percent)
            _show(block, self.lang)

    def figure(self, fig: object, name: str, caption: str | None = None) -> None:
        """Publish a matplotlib figure as PNG, numbered and captioned in the report.

        The figure is shown once (as the report's figure) and closed, so the
        notebook does not display it a second time.  Without ``caption`` the
        figure's own title, or else the section heading, is the caption.
        """
        _check_name(name)
        png = _png(fig)
        if self.out_dir is not None:
            folder = self.out_dir / "figures"
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"{name}.png").write_bytes(png)
            private_file(folder / f"{name}.png")
            self.figures.append(name)
        _show_figure(fig, png, name, caption)

    def cover(self, title: str | None = None, *, kind: str = "", region: str | None = None,
              year: int | None = None, evaluation: str | None = None,
              domain: str | None = None, provenance: str | None = None) -> None:
        """Set the title page: title, region, year, evaluation type, data provenance.

        Without ``title`` one is built from the parts in the report's language
        (see :func:`workbench.reporting._cover.cover_meta`).
        """
        from ._cover import cover_meta

        if provenance is None and self.provenance:  # what start() was told the data are
            provenance = self.provenance_line()
        meta = cover_meta(self.lang, title=title, kind=kind, region=region, year=year,
                          evaluation=evaluation, domain=domain, provenance=provenance)
        _emit({"kind": "cover", "meta": meta}, meta["title"])

    def summary(self, status: pd.DataFrame, catalogue: object, **inputs: object) -> None:
        """Publish the written summary built from a status table (``monitor.assess``).

        ``inputs`` are passed on to :func:`workbench.reporting._summary.build_summary`
        (``domains``, ``warnings``, ``latest``, ``names``); the report shows the
        summary right after the title page, and :func:`check_summary` recomputes it.
        """
        from ._summary import build_summary

        block = build_summary(status, catalogue, self.lang, **inputs)
        _emit(block, "\n".join(block["sentences"]))

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
    line = report.provenance_line()
    # shown first in the notebook, and on the title page of every rendered format
    _emit({"kind": "provenance", "text": line}, line,
          {"text/markdown": f"**{line}**"})


def _disclosure_control(df: pd.DataFrame, counts: str | None, frequency: bool | None, lang: str,
                        notes: list[str] | None) -> tuple[pd.DataFrame, list[str] | None]:
    from ..protection.disclosure import (
        control_estimates,
        count_column,
        footnotes,
        looks_like_counts,
        suppress_frequencies,
    )
    from ..protection.privacy import identifier_cells

    # by content only: a column called "name" holding indicator names is fine to publish;
    # every cell counts, the index too (shown in the report even where the CSV drops it)
    found = identifier_cells(df)
    if len(found):
        listed = ", ".join(f"{c} ({k}, {n} cell(s))" for c, k, n in found.itertuples(index=False))
        raise WorkbenchError(
            f"Refusing to publish identifiers: {listed}. Aggregate or drop these columns "
            "before report.table",
            f"拒绝发布含身份信息的列：{listed}。请先汇总或删除这些列")
    extra: list[str] = []
    column = counts or count_column(df)
    counts_of = df.attrs.get("counts_of", "children")  # set by the functions that count things
    if frequency is None and column is None and counts_of == "children" and looks_like_counts(df):
        raise WorkbenchError(
            "This table holds small whole numbers: pass frequency=True if they count children "
            "(small cells are then suppressed) or frequency=False if they count something "
            "else (indicators, regions)",
            "该表含较小的整数：如为儿童人数请传入 frequency=True（将抑制小单元格），"
            "如为指标数、地区数等请传入 frequency=False")
    if frequency:
        result = suppress_frequencies(df.set_index(df.columns[0]) if not
                                      pd.api.types.is_numeric_dtype(df[df.columns[0]]) else df)
        published = result.published()
        df = published.reset_index() if published.index.name else published
        if result.suppressed.to_numpy().any():
            extra = footnotes(lang, result.threshold, bool(result.secondary.to_numpy().any()))
    elif column is not None:
        df, extra = control_estimates(df, counts=column, lang=lang)
    return df, [*(notes or []), *extra] or None


def _check_name(name: str) -> None:
    if not _NAME.match(name):
        raise WorkbenchError(
            f"Output name {name!r} must be letters, digits, '_' or '-' (at most 81 characters)",
            f"输出名称 {name!r} 只能包含字母、数字、下划线或连字符")


def _rename(mapping: dict | None, lang: str, translate: bool) -> dict:
    """Column options given by published name follow the header translation."""
    if not mapping:
        return {}
    return {(label("column", k, lang) if translate else k): v for k, v in mapping.items()}


def _table_block(shown: pd.DataFrame, name: str, title: str | None, notes: list[str] | None,
                 source: str | None, lang: str, catalogue: object, units: dict, decimals: dict,
                 percent: list) -> dict:
    from ._flags import note_mark
    from ._format import format_table

    table = format_table(shown, lang, catalogue, units=units, decimals=decimals,
                         percent=percent)
    if not table["rows"]:
        table["empty"] = "无。" if lang == "zh" else "None."
    # one footnote per mark: disclosure control's own note (with its threshold) wins
    explained = {note_mark(n) for n in notes or []} - {""}
    table["notes"] = [*(notes or []),
                      *(n for n in table["notes"] if note_mark(n) not in explained)]
    return {"kind": "table", "name": name, "caption": title or "", "source": source or "",
            **table}


def _emit(block: dict, text: str, extra: dict | None = None) -> None:
    """Display a report block: its JSON for the renderers, text and HTML for people."""
    try:
        from IPython.display import display
    except ImportError:  # plain Python: nothing to show
        return
    from ._document import MIME
    from ._html import block_html

    bundle = {MIME: block, "text/plain": text, **(extra or {})}
    if block["kind"] != "figure":  # a figure shows as its image
        bundle["text/html"] = block_html(_head(block))
    display(bundle, raw=True)


_SHOWN_ROWS = 40  # rows a notebook shows; the report and the XLSX have them all


def _head(block: dict) -> dict:
    """A long table shortened for the notebook's own display (it keeps the JSON whole)."""
    rows = block.get("rows")
    if block["kind"] != "table" or len(rows) <= _SHOWN_ROWS:
        return block
    more = len(rows) - _SHOWN_ROWS
    return {**block, "rows": rows[:_SHOWN_ROWS],
            "notes": [f"… {more} more rows in the report and the XLSX / "
                      f"另有 {more} 行见报告与 XLSX", *block.get("notes", [])]}


def _show(block: dict, lang: str) -> None:
    from ._html import table_text

    _emit(block, table_text(block, lang))


def _png(fig: object) -> bytes:
    from ..foundation.plots import png_bytes

    return png_bytes(fig)  # rendered once: the file and the report share it


def _show_figure(fig: object, png: bytes, name: str, caption: str | None) -> None:
    import base64

    import matplotlib.pyplot as plt

    if caption is None:
        suptitle = getattr(fig, "_suptitle", None)
        titles = [ax.get_title() for ax in fig.get_axes() if ax.get_title()]
        caption = suptitle.get_text() if suptitle is not None else (titles[0] if titles else "")
    _emit({"kind": "figure", "name": name, "caption": caption}, f"[figure {name}] {caption}",
          {"image/png": base64.b64encode(png).decode("ascii")})
    plt.close(fig)  # shown once, as the report's figure
