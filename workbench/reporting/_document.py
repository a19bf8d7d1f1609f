"""The report document: what a notebook published, in reading order, in one language.

A notebook publishes through :mod:`workbench.reporting.report`; every
``report.table``, ``report.figure``, ``report.cover`` and ``report.summary``
call leaves an output carrying :data:`MIME` (a JSON block) in the executed
notebook.  :func:`from_notebook` reads those blocks and the markdown cells,
keeps the report's language and numbers tables and figures, so the HTML,
Word and PDF renderers work from the stored notebook alone, without
re-executing it.

Bilingual markdown stays in one notebook; at render time a cell tagged
``lang-zh`` or ``lang-en`` is kept only for that language, a heading written
``中文 · English`` keeps its half, and an untagged paragraph is kept where its
script matches (mostly Chinese characters: zh; otherwise en).  A paragraph that
is only inline code (a command line) is left out of the publication.

Examples
--------
>>> import nbformat
>>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(
...     "## 预警 · Warnings\\n\\nThe warnings.\\n\\n本区的预警。")])
>>> doc = from_notebook(nb, "en")
>>> [(b["kind"], b["text"]) for b in doc.blocks]
[('heading', 'Warnings'), ('paragraph', 'The warnings.')]
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ..foundation.i18n import check_lang
from ._cover import provenance_facts

__all__ = ["MIME", "Document", "from_notebook", "select_language", "caption_prefix",
           "with_appendix", "LONG_TABLE_ROWS"]

MIME = "application/vnd.workbench.report+json"
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]")
_LATIN = re.compile(r"[A-Za-z]")
_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
_ONLY_CODE = re.compile(r"^`[^`]+`$")


@dataclass
class Document:
    """A report in one language: title page facts and blocks in reading order."""

    lang: str
    meta: dict[str, Any] = field(default_factory=dict)
    blocks: list[dict[str, Any]] = field(default_factory=list)

    @property
    def title(self) -> str:
        return str(self.meta.get("title") or ("报告" if self.lang == "zh" else "Report"))

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        """The blocks of one kind (``heading``, ``paragraph``, ``table``, ``figure``...)."""
        return [b for b in self.blocks if b["kind"] == kind]


def caption_prefix(kind: str, number: int, lang: str) -> str:
    """``表 3`` / ``Table 3.``: the label before a caption."""
    words = {"table": ("表", "Table"), "figure": ("图", "Figure")}[kind]
    return f"{words[0]} {number}" if lang == "zh" else f"{words[1]} {number}."


def _language_of(text: str) -> str | None:
    """``zh``, ``en`` or None (language-neutral) for a piece of markdown."""
    cjk, latin = len(_CJK.findall(text)), len(_LATIN.findall(text))
    if cjk == 0 and latin == 0:
        return None
    return "zh" if cjk >= 0.3 * latin else "en"


def _split_heading(text: str, lang: str) -> str:
    parts = [p.strip() for p in text.split(" · ")]
    if len(parts) == 1:
        return parts[0]
    matching = [p for p in parts if _language_of(p) == lang]
    return matching[0] if matching else parts[0]


def _inline(text: str) -> str:
    """Markdown inline marks removed: the renderers show plain text."""
    text = re.sub(r"\*\*(.+?)\*\*", r"\1", text)
    text = re.sub(r"`([^`]+)`", r"\1", text)
    text = re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", text)
    return re.sub(r"\s*\n\s*", " ", text).strip()


def select_language(markdown: str, lang: str, tags: list[str] | tuple[str, ...] = ()) -> list:
    """Headings and paragraphs of a markdown cell that belong in a ``lang`` report.

    >>> select_language("# 报告 · Report\\n\\nSynthetic data.\\n\\n合成数据。", "zh")
    [('heading', 1, '报告'), ('paragraph', 0, '合成数据。')]
    """
    other = "en" if lang == "zh" else "zh"
    if f"lang-{other}" in tags:
        return []
    forced = f"lang-{lang}" in tags
    out: list[tuple[str, int, str]] = []
    for chunk in re.split(r"\n\s*\n", markdown.strip()):
        lines = chunk.strip().splitlines()
        if not lines:
            continue
        head = _HEADING.match(lines[0])
        if head:
            out.append(("heading", len(head.group(1)), _split_heading(head.group(2), lang)))
            lines = lines[1:]
        out += _paragraphs(lines, lang, forced)
    return out


def _by_language(lines: list[str]) -> list[tuple[str | None, str]]:
    """Consecutive lines of one language joined; a neutral line joins the one before."""
    groups: list[tuple[str | None, str]] = []
    for line in lines:  # the lines of one markdown paragraph
        lang = _language_of(line)
        if groups and (lang is None or lang == groups[-1][0] or groups[-1][0] is None):
            groups[-1] = (groups[-1][0] or lang, groups[-1][1] + "\n" + line)
        else:
            groups.append((lang, line))
    return groups


def _paragraphs(lines: list[str], lang: str, forced: bool) -> list[tuple[str, int, str]]:
    items = [ln for ln in lines if ln.strip()]
    if not items:
        return []
    bullets = all(re.match(r"^\s*[-*]\s+", ln) for ln in items)
    pieces = [(_language_of(p), p) for p in (re.sub(r"^\s*[-*]\s+", "", ln) for ln in items)] \
        if bullets else _by_language(items)
    kept = []
    for language, piece in pieces:  # a cell has a few paragraphs: not a data loop
        if _ONLY_CODE.match(piece.strip()):
            continue
        if forced or language in (lang, None):
            kept.append(("paragraph", 1 if bullets else 0, _inline(piece)))
    return kept


def _output_blocks(cell: Any) -> list[dict[str, Any]]:
    blocks = []
    for output in cell.get("outputs", []):
        data = output.get("data", {})
        if MIME in data:
            block = dict(data[MIME])
            if block.get("kind") == "figure":
                block["png"] = data.get("image/png", "")
            blocks.append(block)
        elif output.get("output_type") == "error":
            blocks.append({"kind": "error", "text": f"{output.get('ename')}: "
                                                   f"{output.get('evalue')}"})
    return blocks


def _number(doc: Document, last_heading: str) -> None:
    counters = {"table": 0, "figure": 0}
    for block in doc.blocks:
        if block["kind"] == "heading":
            last_heading = block["text"]
        if block["kind"] in counters:
            counters[block["kind"]] += 1
            block["number"] = counters[block["kind"]]
            block["caption"] = block.get("caption") or last_heading
            block["label"] = caption_prefix(block["kind"], block["number"], doc.lang)


def from_notebook(nb: Any, lang: str) -> Document:
    """Build the ``lang`` document from an executed notebook (nbformat node)."""
    doc = Document(check_lang(lang))
    for cell in nb.cells:
        tags = cell.get("metadata", {}).get("tags", [])
        if cell.cell_type == "markdown":
            doc.blocks += [{"kind": kind, "level": level, "text": text} for kind, level, text
                           in select_language(cell.source, lang, tags)]
        elif cell.cell_type == "code":
            doc.blocks += _output_blocks(cell)
    covers, provenance = doc.of_kind("cover"), doc.of_kind("provenance")
    if covers:
        doc.meta.update(covers[-1].get("meta", {}))
    elif provenance:  # no title page of its own: the data line still opens the report
        doc.meta["facts"] = provenance_facts(provenance[-1]["text"], doc.lang)
    first = next((b for b in doc.blocks if b["kind"] == "heading" and b["level"] == 1), None)
    if first is not None:
        doc.meta.setdefault("title", first["text"])
        doc.blocks.remove(first)  # the notebook's H1 is the title page, not a section
    doc.meta.setdefault("date", date.today().isoformat())
    summaries = doc.of_kind("summary")
    doc.blocks = [b for b in doc.blocks if b["kind"] not in ("cover", "summary", "provenance")]
    if summaries:  # what an official reads first, though computed from later cells
        doc.blocks[:0] = [{"kind": "heading", "level": 2,
                           "text": "摘要" if doc.lang == "zh" else "Summary"}, *summaries]
    _number(doc, doc.title)
    return doc


LONG_TABLE_ROWS = 60  # a printed table longer than this moves to the appendix
_HEAD_ROWS = 20  # rows of a long table shown where it stands, before the pointer


def with_appendix(doc: Document) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The blocks for print (Word, PDF): long tables shortened, and their full versions.

    A statistics bureau prints the first rows of a long list where it is discussed and
    the whole list in an appendix (and in the workbook): a table of more than
    :data:`LONG_TABLE_ROWS` rows keeps its first rows and a note saying where all its
    rows are; the full table, every row, is returned for the appendix.

    >>> rows = [[str(i)] for i in range(100)]
    >>> doc = Document("en", {}, [{"kind": "table", "name": "t", "label": "Table 1.",
    ...                           "caption": "c", "headers": ["i"], "rows": rows}])
    >>> body, appendix = with_appendix(doc)
    >>> len(body[0]["rows"]), len(appendix[0]["rows"])
    (20, 100)
    >>> body[0]["notes"][0]
    'Table 1. has 100 rows; the first 20 are shown. All rows are in the appendix and in t.xlsx.'
    """
    zh = doc.lang == "zh"
    body, appendix = [], []
    for block in doc.blocks:
        n = len(block.get("rows") or [])
        if block["kind"] != "table" or n <= LONG_TABLE_ROWS:
            body.append(block)
            continue
        label, name = block.get("label", ""), block.get("name", "")
        pointer = (f"{label}共 {n} 行，此处列出前 {_HEAD_ROWS} 行；完整表格见附录及 {name}.xlsx。"
                   if zh else f"{label} has {n} rows; the first {_HEAD_ROWS} are shown. "
                   f"All rows are in the appendix and in {name}.xlsx.")
        body.append({**block, "rows": block["rows"][:_HEAD_ROWS],
                     "notes": [pointer, *block.get("notes", [])]})
        full = "（完整表格）" if zh else " (full table)"
        appendix.append({**block, "caption": f"{block.get('caption', '')}{full}",
                         "appendix": True})
    return body, appendix
