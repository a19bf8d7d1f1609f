"""The report as one self-contained HTML file: no script, no CDN, images inlined.

The page opens from disk without a network (no MathJax, no require.js, no web
fonts: the CSS names the CJK fonts a reader's machine has), prints on A4
with page breaks kept out of table rows, and carries a table of contents.

Examples
--------
>>> from workbench.reporting._document import Document
>>> doc = Document("en", {"title": "Test"}, [{"kind": "heading", "level": 2, "text": "A"}])
>>> page = render_html(doc)
>>> "<h2 id='s1'>A</h2>" in page and "<script" not in page
True
"""

from __future__ import annotations

from html import escape
from typing import Any

from ._format import printed_em

__all__ = ["render_html", "block_html", "table_text"]

_TEXT_ROWS = 12  # rows a notebook shows as text; the report has them all

_STYLE = """
@page{size:A4;margin:18mm 15mm}
body{font-family:"Noto Sans SC","Noto Sans CJK SC","Microsoft YaHei","PingFang SC",
"WenQuanYi Micro Hei",sans-serif;color:#222;max-width:60em;margin:2em auto;padding:0 1em;
line-height:1.55}
h1{font-size:1.9em;margin:.2em 0} h2{border-bottom:2px solid #2b5c8a;padding-bottom:.2em;
margin-top:2em} .cover{border-bottom:3px solid #2b5c8a;margin-bottom:1.5em;padding-bottom:1em}
.cover dl{display:grid;grid-template-columns:max-content 1fr;gap:.2em 1.2em}
.cover dt{color:#555} .cover dd{margin:0} nav.toc ol{columns:2} .summary{background:#f3f7fb;
border-left:4px solid #2b5c8a;padding:.6em 1em} table{border-collapse:collapse;margin:.3em 0;
font-size:.86em;width:auto;max-width:100%} caption{caption-side:top;text-align:left;
font-weight:bold;padding:.3em 0} th{background:#e4edf6;border-top:1.5px solid #333;
border-bottom:1px solid #333;padding:3px 7px;text-align:left;vertical-align:bottom}
td{border-bottom:1px solid #ddd;padding:2px 7px;vertical-align:top} td.r,th.r{text-align:right;
white-space:nowrap} td.l{word-break:keep-all} .n{white-space:nowrap} th{word-break:keep-all}
tr{page-break-inside:avoid}
thead{display:table-header-group} .notes{font-size:.8em;color:#444;margin:.2em 0 1.2em}
figure{margin:1em 0;page-break-inside:avoid} figure img{max-width:100%}
figcaption{font-weight:bold;margin-bottom:.3em} .error{color:#b2182b}
.scroll{overflow-x:auto}
@media print{body{max-width:none;margin:0} .scroll{overflow:visible} h2{page-break-after:avoid}}
"""


_SHORT_EM = 13.0  # a column whose cells all print this narrow (in em) never wraps


def _table(block: dict[str, Any]) -> str:
    align = block.get("align") or ["l"] * len(block["headers"])
    widths = [max([printed_em(str(v)) for v in column] or [0]) for column in zip(*block["rows"],
                                                                          strict=True)]
    align = [f"{a} n" if w <= _SHORT_EM else a for a, w in
             zip(align, widths or [_SHORT_EM + 1] * len(align), strict=True)]
    head = "".join(f"<th class='{a}'>{escape(h)}</th>" for h, a in
                   zip(block["headers"], align, strict=True))
    body = "".join("<tr>" + "".join(f"<td class='{a}'>{escape(str(v))}</td>" for v, a in
                                    zip(row, align, strict=True)) + "</tr>"
                   for row in block["rows"])
    label = escape(block.get("label", ""))
    caption = f"<caption>{label} {escape(block.get('caption', ''))}</caption>"
    empty = f"<p>{escape(block['empty'])}</p>" if block.get("empty") else ""
    notes = [*block.get("notes", [])]
    if block.get("source"):
        notes.append(block["source"])
    foot = "".join(f"<div>{escape(n)}</div>" for n in notes)
    return (f"<div class='scroll'><table>{caption}<thead><tr>{head}</tr></thead>"
            f"<tbody>{body}</tbody></table></div>{empty}<div class='notes'>{foot}</div>")


def _figure(block: dict[str, Any]) -> str:
    caption = f"{block.get('label', '')} {block.get('caption', '')}".strip()
    return (f"<figure><figcaption>{escape(caption)}</figcaption>"
            f"<img alt='{escape(caption)}' src='data:image/png;base64,{block.get('png', '')}'>"
            f"</figure>")


def block_html(block: dict[str, Any], anchor: str = "") -> str:
    """One block as HTML (also what the notebook shows for a published table)."""
    kind = block["kind"]
    if kind == "table":
        return _table(block)
    if kind == "figure":
        return _figure(block)
    if kind == "summary":
        return "<div class='summary'>" + "".join(f"<p>{escape(s)}</p>"
                                                 for s in block["sentences"]) + "</div>"
    if kind == "heading":
        level = min(block["level"], 4)
        return f"<h{level} id='{anchor}'>{escape(block['text'])}</h{level}>"
    if kind == "paragraph":
        return f"<{'li' if block['level'] else 'p'}>{escape(block['text'])}" \
               f"</{'li' if block['level'] else 'p'}>"
    if kind == "cover":
        return f"<p><b>{escape(block['meta']['title'])}</b></p>"
    if kind == "error":
        return f"<p class='error'>{escape(block['text'])}</p>"
    if kind == "provenance":
        return f"<p><b>{escape(block['text'])}</b></p>"
    return ""


def table_text(block: dict[str, Any], lang: str) -> str:
    """A published table as plain text for the notebook (first rows; the report has all)."""
    lines = [f"{block.get('caption') or block['name']}", " | ".join(block["headers"])]
    lines += [" | ".join(map(str, r)) for r in block["rows"][:_TEXT_ROWS]]
    left = len(block["rows"]) - _TEXT_ROWS
    if left > 0:
        lines.append(f"…另有 {left} 行见报告与 XLSX" if lang == "zh" else
                     f"… {left} more rows in the report and the XLSX")
    if block.get("empty"):
        lines.append(block["empty"])
    return "\n".join(lines + list(block.get("notes", [])))


def _cover(doc: Any) -> str:
    facts = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>"
                    for k, v in doc.meta.get("facts", []))
    return f"<header class='cover'><h1>{escape(doc.title)}</h1><dl>{facts}</dl></header>"


def _toc(headings: list[tuple[str, str]], lang: str) -> str:
    items = "".join(f"<li><a href='#{a}'>{escape(t)}</a></li>" for a, t in headings)
    return f"<nav class='toc'><b>{'目录' if lang == 'zh' else 'Contents'}</b><ol>{items}</ol></nav>"


def render_html(doc: Any) -> str:
    """The whole report as one HTML page (a string)."""
    parts, headings, in_list = [], [], False
    for number, block in enumerate(doc.blocks, start=1):
        anchor = f"s{number}"
        is_item = block["kind"] == "paragraph" and block["level"]
        if is_item != in_list:
            parts.append("<ul>" if is_item else "</ul>")
            in_list = is_item
        if block["kind"] == "heading" and block["level"] <= 2:
            headings.append((anchor, block["text"]))
        parts.append(block_html(block, anchor))
    if in_list:
        parts.append("</ul>")
    lang = "zh-CN" if doc.lang == "zh" else "en"
    return (f"<!DOCTYPE html><html lang='{lang}'><head><meta charset='utf-8'>"
            f"<meta name='viewport' content='width=device-width,initial-scale=1'>"
            f"<title>{escape(doc.title)}</title><style>{_STYLE}</style></head><body>"
            f"{_cover(doc)}{_toc(headings, doc.lang)}{''.join(parts)}</body></html>")
