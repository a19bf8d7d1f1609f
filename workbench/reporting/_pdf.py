"""The report as a PDF, typeset with Typst (the PyPI ``typst`` package ships the compiler).

A4, a title page, a table of contents, page numbers, tables whose header row
repeats when they break across pages, numbered captions, and the Noto Sans SC
font bundled by ``pylopdf-fonts-zh-cn`` embedded as a subset, so Chinese text
is selectable and searchable.  The document goes to Typst as JSON data read by
the template below: no text of the report is ever parsed as Typst markup, so a
``#`` or ``*`` in a table cell is just a character.

Examples
--------
>>> from workbench.reporting._document import Document
>>> doc = Document("zh", {"title": "测试"}, [{"kind": "heading", "level": 2, "text": "一"}])
>>> render_pdf(doc)[:5]
b'%PDF-'
"""

from __future__ import annotations

import base64
import functools
import json
import tempfile
from pathlib import Path
from typing import Any

from ._format import printed_em

__all__ = ["render_pdf", "TEMPLATE"]

TEMPLATE = r"""
#let doc = json("doc.json")
#set document(title: doc.title)
#set text(font: doc.fonts, size: 10pt, lang: doc.lang)
#set par(leading: 0.75em, spacing: 1.1em)
#set page(paper: "a4", margin: (x: 18mm, top: 20mm, bottom: 22mm))
#show heading: set block(above: 1.4em, below: 0.8em)
#show heading.where(level: 1): set text(size: 15pt, fill: rgb("#1f4e79"))
#show heading.where(level: 2): set text(size: 12pt, fill: rgb("#1f4e79"))
#show link: it => it

#page(numbering: none)[
  #v(5cm)
  #block(width: 100%, stroke: (bottom: 2pt + rgb("#1f4e79")), inset: (bottom: 10pt))[
    #text(size: 22pt, fill: rgb("#1f4e79"))[#doc.title]]
  #v(1cm)
  #grid(columns: (auto, 1fr), column-gutter: 14pt, row-gutter: 9pt,
    ..doc.facts.map(f => (text(fill: luma(90))[#f.at(0)], [#f.at(1)])).flatten())
]
#set page(numbering: "1", number-align: center,
  footer: context align(center, text(size: 9pt)[#counter(page).display("1")]))
#counter(page).update(1)
#outline(title: doc.toc, depth: 2, indent: 1.2em)
#pagebreak()

#let cell-size(n) = if n > 11 { 6.5pt } else if n > 7 { 7.5pt } else { 8.5pt }
#let show-table(b) = {
  let n = b.headers.len()
  block(above: 1.2em, below: 0.4em, sticky: true,
    text(size: 9.5pt, fill: rgb("#1f4e79"))[#b.label #b.caption])
  set text(size: cell-size(n))
  let align = b.align.map(a => if a == "r" { right } else { left })
  if b.at("appendix", default: false) {
    // every row of a long table: fixed shares of the line and no per-cell styling,
    // which halves Typst's work on thousands of cells
    table(
      columns: b.widths.map(w => w * 1fr),
      align: align, stroke: none,
      inset: (x: 3pt, y: 2.5pt),
      table.header(..b.headers.map(h => [#h]), table.hline(stroke: 0.8pt)),
      ..b.rows.flatten(),
    )
  } else {
    table(
      columns: b.widths.map(w => w * 1fr), align: align,
      stroke: (x, y) => (bottom: if y == 0 { 0.8pt } else { 0.3pt + luma(200) },
                         top: if y == 0 { 1.2pt } else { none }),
      fill: (x, y) => if y == 0 { rgb("#e4edf6") },
      inset: (x: 4pt, y: 3pt),
      table.header(..b.headers.map(h => [#h])),
      ..b.rows.flatten().map(c => [#c]),
    )
  }
  if b.empty != none { par[#b.empty] }
  set text(size: 8pt, fill: luma(60))
  for note in b.notes { par(spacing: 0.4em)[#note] }
  if b.source != "" { par(spacing: 0.4em)[#b.source] }
  v(0.6em)
}

#for b in doc.blocks {
  if b.kind == "heading" {
    heading(level: calc.max(1, b.level - 1), outlined: b.level <= 3)[#b.text]
  } else if b.kind == "paragraph" {
    if b.level > 0 { list[#b.text] } else { par[#b.text] }
  } else if b.kind == "summary" {
    block(fill: rgb("#f3f7fb"), stroke: (left: 3pt + rgb("#1f4e79")), inset: 9pt,
      width: 100%)[#for s in b.sentences { par[#s] }]
  } else if b.kind == "table" {
    if b.landscape { page(flipped: true, show-table(b)) } else { show-table(b) }
  } else if b.kind == "figure" {
    block(breakable: false, above: 1.2em)[
      #text(size: 9.5pt, fill: rgb("#1f4e79"))[#b.label #b.caption]
      #image(b.file, width: 100%)]
  } else if b.kind == "error" {
    par(text(fill: rgb("#b2182b"))[#b.text])
  }
}

#if doc.appendix.len() > 0 {
  pagebreak()
  heading(level: 1)[#doc.appendix_title]
  for b in doc.appendix {
    if b.landscape { page(flipped: true, show-table(b)) } else { show-table(b) }
  }
}
"""


def _font_dirs() -> list[str]:
    """The folder of the bundled Noto Sans SC (not via the plots module: seaborn is slow
    to import and a PDF needs none of it)."""
    try:
        import pylopdf_fonts_zh_cn
    except ImportError:
        return []
    return [str(Path(pylopdf_fonts_zh_cn.sans_path()).parent)]




_FIXED_EM = 12.0  # a column whose longest cell is at most this wide (in em) never wraps
_TEXT_EM = (6.0, 20.0)  # the share of a long text column: its typical cell, within these bounds


_LINE_PT = 493.0  # A4 less the 18 mm margins
_LANDSCAPE_PT = 740.0  # A4 on its side, same margins
_INSET_EM = 1.4  # a cell's left and right inset (4 pt each) at the smallest cell size, in em


def _cell_pt(columns: int) -> float:
    """The cell font size the template picks for this many columns (``cell-size``)."""
    return 6.5 if columns > 11 else 7.5 if columns > 7 else 8.5


def _needs(block: dict[str, Any]) -> tuple[list[float], list[bool]]:
    """The room (em) each column needs, and which columns are short (never wrap)."""
    import statistics

    needs, short = [], []
    for i, header in enumerate(block["headers"]):
        cells = [printed_em(str(r[i])) for r in block["rows"]] or [0.0]
        longest = max(cells)
        short.append(longest <= _FIXED_EM)
        needs.append(max(longest, min(printed_em(str(header)), 6.0)) + _INSET_EM if short[-1] else
                     min(_TEXT_EM[1], max(_TEXT_EM[0], statistics.median(cells) * 1.1 + 1.0)))
    return needs, short


def _fit(needs: list[float], short: list[bool], line: float) -> list[float] | None:
    """Shares that fit ``line`` em with the short columns whole, else None."""
    room = line - sum(n for n, s in zip(needs, short, strict=True) if s)
    wanted = sum(n for n, s in zip(needs, short, strict=True) if not s)
    if wanted <= room:
        return needs
    if room < _TEXT_EM[0] * (len(needs) - sum(short)):
        return None
    return [n if s else max(_TEXT_EM[0], n * room / wanted)
            for n, s in zip(needs, short, strict=True)]


def _layout(block: dict[str, Any]) -> tuple[list[float], bool]:
    """Each column's share of the line (Typst ``fr``), and whether the table needs a
    landscape page.

    A short column (longest cell at most 12 em; its header may wrap at 6 em) gets what
    its longest cell needs and never wraps.  Long text columns share what is left by
    their typical (median) cell, each at least 6 em, so a name wraps into a few lines,
    never into one character a line.  A table too wide for the portrait line is set on
    a landscape page, as statistical yearbooks print their wide tables; wider still,
    Typst narrows every column alike.  Shares, not ``auto``, also spare Typst measuring
    every cell of a long table.
    """
    needs, short = _needs(block)
    size = _cell_pt(len(needs))
    portrait = _fit(needs, short, _LINE_PT / size)
    if portrait is not None:
        return [round(n, 2) for n in portrait], False
    landscape = _fit(needs, short, _LANDSCAPE_PT / size) or needs
    return [round(n, 2) for n in landscape], True


def _payload(doc: Any, folder: Path) -> dict[str, Any]:
    from ._document import with_appendix

    body, appendix = with_appendix(doc)
    blocks = []
    for block in body:
        b = {k: v for k, v in block.items() if k != "png"}
        if block["kind"] == "figure":
            name = f"fig{block['number']}.png"
            (folder / name).write_bytes(base64.b64decode(block.get("png", "")))
            b["file"] = name
        if block["kind"] == "table":
            b.setdefault("empty", None)
            b.setdefault("source", "")
            b["widths"], b["landscape"] = _layout(block)
        blocks.append(b)
    zh = doc.lang == "zh"
    full = [{**b, "empty": None, "source": b.get("source", ""),
             **dict(zip(("widths", "landscape"), _layout(b), strict=True))}
            for b in appendix]
    return {"title": doc.title, "lang": doc.lang, "toc": "目录" if zh else "Contents",
            "facts": [list(f) for f in doc.meta.get("facts", [])], "blocks": blocks,
            "appendix": full, "appendix_title": "附录" if zh else "Appendix",
            "fonts": ["Noto Sans SC", "Noto Sans CJK SC"]}


@functools.lru_cache(maxsize=4)
def _fonts(folders: tuple[str, ...]) -> Any:
    """Typst's index of the fonts in ``folders``, built once a process (``typst.Fonts``).

    Finding and indexing the fonts again for every PDF cost about 0.01 s of the 0.1-0.17
    CPU-s a topic report's PDF takes (the rest is Typst's layout); the index is read-only
    and every compile still has a world of its own.  The bundled font keeps the PDF the
    same on every machine; without it, the system's fonts are indexed.
    """
    import typst

    return typst.Fonts(include_system_fonts=not folders, include_embedded_fonts=True,
                       font_paths=list(folders))


def font_index() -> Any:
    """The fonts every PDF may use: the bundled CJK font, else the system's."""
    return _fonts(tuple(_font_dirs()))


def render_pdf(doc: Any) -> bytes:
    """Typeset the document; return the PDF bytes."""
    import typst

    with tempfile.TemporaryDirectory(prefix="workbench-pdf-") as tmp:
        folder = Path(tmp)
        (folder / "doc.json").write_text(json.dumps(_payload(doc, folder), ensure_ascii=False),
                                         encoding="utf-8")
        (folder / "report.typ").write_text(TEMPLATE, encoding="utf-8")
        return typst.compile(str(folder / "report.typ"), root=str(folder),
                             font_paths=font_index())
