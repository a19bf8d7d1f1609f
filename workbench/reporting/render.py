"""A run's report from its executed notebook: ``report.html``, ``.docx`` and ``.pdf``.

:func:`render_formats` is the one call the runner makes after a notebook has
run, and what ``workbench export RUN --format ...`` calls to re-render a
stored run without executing anything.  Each format is written to a hidden
temporary file and renamed, so a report file that exists is complete; a
format that fails to render is reported (and recorded by the runner) without
stopping the others.

Tools: HTML is written directly (one self-contained file, no scripts); Word
with python-docx; PDF with Typst from the PyPI ``typst`` package.  All three are
pip packages, so ``make demo`` produces the three formats offline with no
system package (see the README, "Report formats", for why these tools).

Examples
--------
>>> import nbformat
>>> from workbench.reporting.render import document
>>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# 报告 · Report")])
>>> document(nb, "zh").title
'报告'
"""

from __future__ import annotations

import functools
import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from ..foundation.errors import WorkbenchError, choices_text
from ..foundation.i18n import check_lang
from ._document import Document, from_notebook

__all__ = ["FORMATS", "render_formats", "document", "notebook_lang", "warm_up"]

FORMATS = ("html", "docx", "pdf")


def warm_up() -> None:
    """Import the renderers and build what every report reuses (Typst's font index).

    A warm worker calls this once, so its first report costs what the others do.
    """
    from . import _docx, _html, _pdf  # noqa: F401

    _pdf.font_index()


def document(nb: Any, lang: str) -> Document:
    """The report document of an executed notebook in ``lang``."""
    return from_notebook(nb, lang)


def notebook_lang(notebook: Path, default: str = "zh") -> str:
    """The ``lang`` a run used: from its manifest, else ``default``."""
    manifest = notebook.parent / "manifest.json"
    if manifest.exists():
        params = json.loads(manifest.read_text(encoding="utf-8")).get("parameters", {})
        return str(params.get("lang", default))
    return default


def _render(doc: Document, fmt: str) -> bytes:
    if fmt == "html":
        from ._html import render_html

        return render_html(doc).encode("utf-8")
    if fmt == "docx":
        from ._docx import render_docx

        return render_docx(doc)
    from ._pdf import render_pdf

    return render_pdf(doc)


def render_formats(notebook: str | Path, run_folder: str | Path, lang: str | None = None,
                   formats: tuple[str, ...] | list[str] = FORMATS,
                   nb: Any = None) -> dict[str, str]:
    """Write ``report.<format>`` into ``run_folder`` from the executed ``notebook``.

    ``nb``: that notebook as already in memory (what papermill returned after writing
    it), which spares reading and parsing the file again; read from ``notebook`` if None.

    Returns
    -------
    dict
        ``{format: error message}`` for the formats that failed (empty when all worked).
    """
    import nbformat

    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise WorkbenchError(f"Unknown report format(s) {unknown}; valid: {choices_text(FORMATS)}",
                             f"未知的报告格式 {unknown}；可选：{choices_text(FORMATS)}")
    notebook, folder = Path(notebook), Path(run_folder)
    # papermill wrote and validated it; validating a 1 MB notebook again costs about a second
    from nbformat.v4.rwbase import rejoin_lines

    if nb is None:
        nb = nbformat.from_dict(json.loads(notebook.read_text(encoding="utf-8")))
    nb = rejoin_lines(nb)
    doc = document(nb, check_lang(lang or notebook_lang(notebook)))
    # Typst releases the GIL while it typesets: the PDF is made beside the HTML and Word
    # files (about 0.15 s sooner a report), each format still written on its own
    errors = dict(zip(formats, _pool().map(lambda fmt: _write(doc, fmt, folder), formats),
                      strict=True))
    return {fmt: error for fmt, error in errors.items() if error}


@functools.lru_cache(maxsize=1)
def _pool() -> ThreadPoolExecutor:
    """One set of render threads per process: new threads for every report would each
    take a fresh malloc arena, and a warm worker's memory would creep up by the report."""
    return ThreadPoolExecutor(max_workers=len(FORMATS), thread_name_prefix="workbench-render")


def _write(doc: Document, fmt: str, folder: Path) -> str:
    """Render one format into ``folder`` atomically; return the error ("" when it worked)."""
    target, tmp = folder / f"report.{fmt}", folder / f".report.{fmt}.tmp"
    try:
        tmp.write_bytes(_render(doc, fmt))
        tmp.replace(target)
    except Exception as err:  # one format failing must not cost the others
        tmp.unlink(missing_ok=True)
        return f"{type(err).__name__}: {err}"[:2000]
    return ""
