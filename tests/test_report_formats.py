"""The report in three formats, read back as an official would open it (issue 14).

Real runs of the topic report in Chinese and English (one kernel each, shared by the
tests of this module); the DOCX is read with python-docx, the PDF with pypdf.
"""

from __future__ import annotations

import re
import shutil
import zipfile

import nbformat
import pandas as pd
import pytest

from workbench.reporting._document import MIME, from_notebook
from workbench.reporting._summary import build_summary, check_summary
from workbench.reporting.render import render_formats

FORBIDDEN = ("NaN", "True", "False", "rows ×", "<NA>", "nan ", "inf")
CJK = re.compile(r"[\u3400-\u9fff]+")
PARAMS = {"domain": "health", "region": "210102", "year": 2025}


@pytest.fixture(scope="module")
def topic_runs(tmp_path_factory):
    from workbench.runner import run_notebook

    out = tmp_path_factory.mktemp("outputs")
    mp = pytest.MonkeyPatch()
    mp.setenv("WORKBENCH_OUTPUTS", str(out))
    try:
        runs = {lang: run_notebook("topic_report", {**PARAMS, "lang": lang}) for lang in
                ("zh", "en")}
    finally:
        mp.undo()
    for run in runs.values():
        assert run.ok, run.manifest.get("error")
    return runs


def _docx_text(path):
    import docx

    d = docx.Document(str(path))
    cells = [c.text for t in d.tables for row in t.rows for c in row.cells]
    return d, [p.text for p in d.paragraphs], cells


def _pdf(path):
    from pypdf import PdfReader

    reader = PdfReader(str(path))
    return reader, [page.extract_text() for page in reader.pages]


def _blocks(run, kind):
    nb = nbformat.read(next(run.run_dir.glob("*.ipynb")), as_version=4)
    return [o["data"][MIME] for c in nb.cells if c.cell_type == "code"
            for o in c.get("outputs", []) if MIME in o.get("data", {})
            and o["data"][MIME]["kind"] == kind]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_run_writes_three_formats(topic_runs, lang):
    folder = topic_runs[lang].run_dir
    for fmt in ("html", "docx", "pdf"):
        assert (folder / f"report.{fmt}").stat().st_size > 10_000, fmt
        assert f"report.{fmt}" in topic_runs[lang].manifest["outputs"]


def test_getting_started_runs_have_word_and_pdf(completed_run, zh_run):
    for run in (completed_run, zh_run):
        assert (run.run_dir / "report.docx").exists() and (run.run_dir / "report.pdf").exists()


def test_docx_has_headings_toc_captioned_tables_with_units(topic_runs):
    d, paragraphs, cells = _docx_text(topic_runs["zh"].run_dir / "report.docx")
    styles = [p.style.name for p in d.paragraphs]
    assert "Title" in styles and styles.count("Heading 1") >= 5
    assert d.paragraphs[styles.index("Title")].text.startswith("和平区儿童发展健康领域专题报告")
    xml = d.element.xml
    assert 'TOC \\o "1-2"' in xml and "SEQ 表" in xml and "updateFields" in d.settings.element.xml
    captions = [p.text for p in d.paragraphs if p.style.name == "Caption"]
    assert any(c.startswith("表 1") and "目标进展" in c for c in captions)
    first = d.tables[0].rows[0].cells
    assert [c.text for c in first][:3] == ["代码", "名称", "单位"]
    assert d.tables[0].rows[1].cells[2].text == "‰（每千活产）"
    east_asian = d.styles["Normal"].element.rPr.rFonts.get(
        "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia")
    assert east_asian == "宋体"
    section = d.sections[0]
    assert round(section.page_width.cm, 1) == 21.0 and round(section.page_height.cm, 1) == 29.7
    text = "\n".join(paragraphs + cells)
    assert not [w for w in FORBIDDEN if w in text]


def test_docx_package_is_python_docxs_own_with_images_stored(topic_runs):
    """The report's own zip writer keeps python-docx's parts, order and bytes; only the
    charts are stored rather than deflated again."""
    import io

    import docx

    path = topic_runs["zh"].run_dir / "report.docx"
    ours = zipfile.ZipFile(path)
    again = io.BytesIO()
    docx.Document(str(path)).save(again)
    theirs = zipfile.ZipFile(again)
    assert ours.namelist() == theirs.namelist() and ours.testzip() is None
    assert all(ours.read(n) == theirs.read(n) for n in ours.namelist())
    media = [i for i in ours.infolist() if i.filename.startswith("word/media/")]
    assert media and {i.compress_type for i in media} == {zipfile.ZIP_STORED}
    xml = ours.getinfo("word/document.xml")
    assert xml.compress_type == zipfile.ZIP_DEFLATED and xml.compress_size < xml.file_size / 3


def test_docx_from_the_copied_template_equals_one_from_a_fresh_template(topic_runs):
    """Reports start from a deep copy of the styled template: the same file as styling
    python-docx's template afresh, report after report (the copy is never touched)."""
    from workbench.reporting import _docx

    doc = from_notebook(nbformat.read(topic_runs["zh"].run_dir / "topic_report.ipynb",
                                      as_version=4), "zh")

    def fresh():
        d = _docx._styled("zh")
        d.core_properties.title, d.core_properties.language = doc.title, "zh-CN"
        _docx._cover(d, doc)
        _docx._toc(d, doc)
        _docx._blocks(d, doc)
        return _docx._package_bytes(d)

    first = _docx.render_docx(doc)
    assert first == fresh() == _docx.render_docx(doc)


def test_rendering_from_the_notebook_in_memory_equals_rendering_from_its_file(topic_runs,
                                                                            tmp_path):
    """A run renders from the notebook papermill returned; ``workbench export`` from the
    file it wrote: the same HTML and Word files, the same PDF pages."""
    run = topic_runs["en"].run_dir
    assert render_formats(run / "topic_report.ipynb", tmp_path, "en") == {}
    assert (tmp_path / "report.html").read_bytes() == (run / "report.html").read_bytes()

    # the PDF records when it was typeset (dates and the ids made from them): its pages
    mine, theirs = (_pdf(folder / "report.pdf") for folder in (tmp_path, run))
    assert mine[1] == theirs[1]
    assert [p.get_contents().get_data() for p in mine[0].pages] == \
        [p.get_contents().get_data() for p in theirs[0].pages]
    words = [zipfile.ZipFile(folder / "report.docx") for folder in (tmp_path, run)]
    assert words[0].namelist() == words[1].namelist()
    assert all(words[0].read(n) == words[1].read(n) for n in words[1].namelist())


def test_pdf_is_a4_numbered_with_chinese_title(topic_runs):
    reader, pages = _pdf(topic_runs["zh"].run_dir / "report.pdf")
    assert "和平区儿童发展健康领域专题报告" in pages[0].replace(" ", "")
    sizes = [(round(float(p.mediabox.width)), round(float(p.mediabox.height)))
             for p in reader.pages]
    # A4 throughout; the 14-column status table is set on a landscape page
    assert set(sizes) <= {(595, 842), (842, 595)} and sizes[0] == (595, 842)
    assert (842, 595) in sizes
    # the title page is unnumbered; page k of the body shows k on its own line
    for number, text in enumerate(pages[1:], start=1):
        assert str(number) in [line.strip() for line in text.splitlines()], number
    fonts = {str(f.get("/BaseFont")) for page in reader.pages
             for f in (page["/Resources"].get("/Font") or {}).values()}
    assert any("NotoSansSC" in f for f in fonts)
    assert not [w for w in FORBIDDEN if w in "\n".join(pages)]


def test_zh_report_has_no_english_headers_or_words(topic_runs):
    _, paragraphs, cells = _docx_text(topic_runs["zh"].run_dir / "report.docx")
    for table in _blocks(topic_runs["zh"], "table"):
        assert not [h for h in table["headers"] if re.search(r"[A-Za-z]{2,}", h)], table["name"]
    # cells: codes (H01) and units aside, no English words
    words = {w for c in cells for w in re.findall(r"[A-Za-z]{3,}", c)}
    assert not words, words


def test_en_report_has_chinese_only_in_bilingual_proper_names(topic_runs, catalogue):
    _, paragraphs, cells = _docx_text(topic_runs["en"].run_dir / "report.docx")
    allowed = {m for name in catalogue.table["name_en"] for m in CJK.findall(name)}
    found = {m for text in paragraphs + cells for m in CJK.findall(text)}
    assert found <= allowed, found - allowed
    headings = [p.text for p in _docx_text(topic_runs["en"].run_dir / "report.docx")[0]
                .paragraphs if p.style.name.startswith("Heading")]
    assert "Status against the targets" in headings and "Summary" in headings


def test_summary_counts_equal_the_published_status_table(topic_runs):
    from workbench.monitor import STATUS_GROUPS, status_label
    from workbench.monitor._labels import _GROUP_OF

    run = topic_runs["zh"]
    summary = _blocks(run, "summary")[0]
    table = pd.read_csv(run.run_dir / "tables" / "health_210102_status.csv", comment="#")
    totals = table[table["分组"] == "合计"]
    group_of = {status_label(s, "zh"): g for s, g in _GROUP_OF.items() if g in STATUS_GROUPS}
    group_of["已达标，但预计到期未达标"] = "achieved_projected_miss"
    counted = totals["状态"].map(group_of).value_counts()
    facts = summary["facts"]["domains"]["health"]
    without_data = 16 - totals["代码"].nunique()  # the domain has 16 indicators
    assert facts["no_data"] == without_data
    for group, n in counted.items():
        assert facts[group] == n, group
    assert facts["series"] == len(totals) + without_data
    # every number the first sentence states is one of these counts
    stated = [int(n) for n in re.findall(r"\d+", summary["sentences"][0])]
    assert stated == [facts["series"], *[facts[g] for g in facts if g != "series" and facts[g]]]


@pytest.fixture(scope="module")
def health_status(catalogue):
    from workbench import monitor
    from workbench.database import connect

    with connect() as db:
        obs = db.observations(indicators=catalogue.in_domain("health").index.tolist(),
                              breakdown=None)
    local = obs[obs["region"] == "210102"]
    return monitor.assess(local, catalogue, 2025, 2030)


def test_summary_that_disagrees_with_the_status_table_fails(health_status, catalogue):
    from workbench.errors import WorkbenchError

    summary = build_summary(health_status, catalogue, "en", domains=["health"])
    check_summary(summary, health_status, catalogue, domains=["health"])  # agrees: passes
    wrong = {**summary, "facts": {"domains": {"health": {
        **summary["facts"]["domains"]["health"], "achieved": 11}}}}
    with pytest.raises(WorkbenchError, match="disagrees"):
        check_summary(wrong, health_status, catalogue, domains=["health"])
    edited = {**summary, "sentences": [summary["sentences"][0].replace("10", "11")]}
    with pytest.raises(WorkbenchError, match="disagrees"):
        check_summary(edited, health_status, catalogue, domains=["health"])
    # a changed status table no longer matches the summary built before
    changed = health_status.copy()
    changed.loc[changed.index[0], "group"] = "off_track"
    changed.loc[(changed[["sex", "age_group", "residence", "hukou"]] == "total").all(axis=1)
                .idxmax(), "group"] = "deteriorating"
    with pytest.raises(WorkbenchError):
        check_summary(summary, changed, catalogue, domains=["health"])


def test_achieved_now_but_projected_to_miss_is_said_apart(health_status, catalogue):
    from workbench import monitor

    shown = monitor.format_status(health_status, catalogue, pd.Series({"210102": "Heping"}),
                                  "en")
    miss = monitor.projected_to_miss(health_status).to_numpy()
    assert miss.any()
    assert set(shown.loc[miss, "Status"]) == {"achieved now, projected to miss"}
    assert "target achieved" not in set(shown.loc[miss, "Status"])


def test_export_rerenders_without_executing(topic_runs):
    from click.testing import CliRunner

    from workbench.cli import main

    folder = topic_runs["en"].run_dir
    notebook = next(folder.glob("*.ipynb"))
    before = notebook.stat().st_mtime_ns
    (folder / "report.docx").unlink()
    result = CliRunner().invoke(main, ["export", str(folder), "--format", "docx"])
    assert result.exit_code == 0, result.output
    assert (folder / "report.docx").stat().st_size > 10_000
    assert notebook.stat().st_mtime_ns == before
    bad = CliRunner().invoke(main, ["export", str(folder / "nope")])
    assert bad.exit_code == 2 and "No run folder" in bad.output


def test_index_links_the_three_formats(topic_runs):
    run = topic_runs["zh"].run_dir
    page = (run.parents[1] / "index.html").read_text(encoding="utf-8")
    for fmt in ("html", "docx", "pdf"):
        assert f"{run.name}/report.{fmt}" in page


def test_html_is_self_contained(topic_runs):
    page = (topic_runs["zh"].run_dir / "report.html").read_text(encoding="utf-8")
    assert "<script" not in page and "mathjax" not in page.lower()
    assert not re.search(r"(src|href)=['\"]https?:", page)
    assert page.count("data:image/png;base64") >= 2


@pytest.mark.browser
def test_html_opens_offline_without_any_request(topic_runs, tmp_path):
    playwright = pytest.importorskip("playwright.sync_api")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("headless Chromium is not installed (Debian package 'chromium')")
    url = (topic_runs["en"].run_dir / "report.html").as_uri()
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium,
                                    args=["--no-sandbox", "--disable-gpu"])
        context = browser.new_context(offline=True)
        page = context.new_page()
        requests = []
        page.on("request", lambda r: requests.append(r.url))
        page.goto(url)
        page.wait_for_load_state("networkidle")
        assert "Status against the targets" in page.inner_text("body")
        sizes = page.eval_on_selector_all("img", "imgs => imgs.map(i => i.naturalWidth)")
        browser.close()
    assert [r for r in requests if not r.startswith(("file:", "data:"))] == []
    assert sizes and min(sizes) > 100


def test_failed_format_is_reported_not_hidden(topic_runs, tmp_path):
    folder = tmp_path / "run"
    folder.mkdir()
    notebook = shutil.copy(next(topic_runs["en"].run_dir.glob("*.ipynb")), folder)
    assert render_formats(notebook, folder, "en", ["html"]) == {}
    from workbench.errors import WorkbenchError

    with pytest.raises(WorkbenchError, match="odt"):
        render_formats(notebook, folder, "en", ["odt"])


def test_document_keeps_one_language_and_numbers_captions(topic_runs):
    nb = nbformat.read(next(topic_runs["zh"].run_dir.glob("*.ipynb")), as_version=4)
    doc = from_notebook(nb, "zh")
    assert [b["label"] for b in doc.of_kind("table")][:2] == ["表 1", "表 2"]
    assert [b["label"] for b in doc.of_kind("figure")][:1] == ["图 1"]
    text = " ".join(b["text"] for b in doc.blocks if b["kind"] in ("heading", "paragraph"))
    assert "Status against" not in text and "目标进展" in text
    assert doc.meta["title"].startswith("和平区")


@pytest.mark.slow
def test_standard_report_set_writes_three_formats_for_every_run(outputs_dir):
    from workbench.batch import expand_plan, load_plan, run_batch
    from workbench.config import paths

    runs = expand_plan(load_plan(paths().root / "notebooks" / "plans" / "standard.yaml"))
    result = run_batch(runs, jobs=2, progress=False)
    assert result.ok, result.table
    for run in runs:
        for fmt in ("html", "docx", "pdf"):
            assert (run.folder / f"report.{fmt}").stat().st_size > 5_000, (run.run_id, fmt)
        _, pages = _pdf(run.folder / "report.pdf")
        assert not [w for w in ("NaN", "<NA>", "rows ×") if w in "\n".join(pages)], run.run_id


def _flagged_document(lang):
    """A report with a long table (imputed and provisional values), a wide table with cell
    flags and an estimate table after disclosure control, as the notebook would publish."""
    import numpy as np

    from workbench.catalogue import load_catalogue
    from workbench.reporting.report import _disclosure_control, _table_block

    cat = load_catalogue()
    long = pd.DataFrame({"indicator": ["H05", "H05", "H01"], "year": [2024, 2025, 2025],
                         "value": [96.12, 95.04, 4.567], "imputed": [False, True, False],
                         "provisional": [False, False, True]})
    wide = pd.DataFrame({"indicator": ["H05", "H01"], "和平区": [96.1, 4.5],
                         "沈河区": [95.2, np.nan]})
    wide.attrs["flags"] = {"provisional": pd.DataFrame({"和平区": [False, True],
                                                         "沈河区": [True, False]})}
    estimates, notes = _disclosure_control(
        pd.DataFrame({"group": ["a", "b"], "estimate": [0.523456, 0.31], "n": [120, 6]}),
        None, None, lang, None)
    blocks = [_table_block(t, name, name, n, None, lang, cat, {}, {}, [])
              for t, name, n in ((long, "long", None), (wide, "wide", None),
                                 (estimates, "est", notes))]
    cells = [nbformat.v4.new_code_cell(outputs=[nbformat.v4.new_output(
        "display_data", data={MIME: b, "text/plain": ""})]) for b in blocks]
    return from_notebook(nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# 标记 · Marks"), *cells]), lang)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_flagged_cells_carry_marks_and_one_footnote_each(lang, tmp_path):
    from workbench.reporting._docx import render_docx
    from workbench.reporting._html import render_html
    from workbench.reporting._pdf import render_pdf

    doc = _flagged_document(lang)
    long, wide, est = doc.of_kind("table")
    value = long["headers"].index("数值" if lang == "zh" else "Value")
    assert [r[value] for r in long["rows"]] == ["96.1", "95.0 †", "4.57 ‡"]
    # the two flag columns became marks; the unit column was added
    assert len(long["headers"]) == len(long["rows"][0]) == 5 - 2 + 1
    assert [r[2:] for r in wide["rows"]] == [["96.1", "95.2 ‡"], ["4.50 ‡", "—"]]
    assert [r[1:] for r in est["rows"]] == [["0.52", "120"], ["x", "x"]]  # numbers formatted
    imputed, provisional = ("†：", "‡：") if lang == "zh" else ("†: ", "‡: ")
    for table, marks in ((long, [imputed, provisional]), (wide, [provisional]), (est, ["x"])):
        used = [n for n in table["notes"] if n.startswith(tuple(marks))]
        assert len(used) == len(marks)  # one footnote per mark used, none for unused ones
    assert not any(n.startswith(imputed) for n in wide["notes"] + est["notes"])
    zh_note = any(re.search(CJK, n) for t in (long, wide, est) for n in t["notes"])
    assert zh_note == (lang == "zh")  # notes in the report's language
    html = render_html(doc)
    (tmp_path / "r.docx").write_bytes(render_docx(doc))
    (tmp_path / "r.pdf").write_bytes(render_pdf(doc))
    _, paragraphs, cells = _docx_text(tmp_path / "r.docx")
    pdf_text = "".join(_pdf(tmp_path / "r.pdf")[1])
    for text in (html, "\n".join(paragraphs + cells), pdf_text):
        assert "95.0 †" in text and "4.57 ‡" in text and provisional.strip() in text


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_long_table_prints_its_head_and_every_row_in_the_appendix(lang, tmp_path):
    from workbench.reporting._document import LONG_TABLE_ROWS, Document
    from workbench.reporting._docx import render_docx
    from workbench.reporting._pdf import render_pdf

    n = LONG_TABLE_ROWS + 15
    rows = [[f"R{i:03d}", "和平区" if lang == "zh" else "Heping", f"{i / 7:.2f}"]
            for i in range(n)]
    block = {"kind": "table", "name": "warnings_2025", "label": "表 1" if lang == "zh"
             else "Table 1.", "caption": "c", "number": 1, "headers": ["a", "b", "c"],
             "align": ["l", "l", "r"], "rows": rows, "notes": []}
    doc = Document(lang, {"title": "t"}, [block])
    (tmp_path / "r.docx").write_bytes(render_docx(doc))
    d, paragraphs, _ = _docx_text(tmp_path / "r.docx")
    assert [len(t.rows) for t in d.tables] == [20 + 1, n + 1]  # head here, all in the appendix
    assert ("附录" if lang == "zh" else "Appendix") in paragraphs
    assert any("warnings_2025.xlsx" in p for p in paragraphs)
    (tmp_path / "r.pdf").write_bytes(render_pdf(doc))
    text = "".join(_pdf(tmp_path / "r.pdf")[1])
    assert all(f"R{i:03d}" in text for i in range(n))  # never a row dropped
    assert str(n) in text and "warnings_2025.xlsx" in text


def test_pdf_columns_never_collapse_and_wide_tables_turn_landscape():
    """Short columns keep their longest cell; names wrap into lines, not single characters."""
    from workbench.reporting._format import printed_em as _em
    from workbench.reporting._pdf import _layout

    narrow = {"headers": ["代码", "名称", "数值"],
              "rows": [["H01", "适龄儿童免疫规划疫苗接种率（以乡镇/街道为单位）", "97.5"]] * 3}
    widths, landscape = _layout(narrow)
    assert not landscape and widths[1] >= 6 and widths[0] >= _em("代码")
    wide = {"headers": [f"列{i}" for i in range(14)],
            "rows": [["‰（每千活产）", "5岁以下儿童死亡率", *["≤ 8.5* (2030)"] * 12]]}
    widths, landscape = _layout(wide)
    assert landscape and min(widths) >= _em("≤ 8.5* (2030)") - 1e-9


def test_pdfs_share_one_font_index_and_embed_the_bundled_font(tmp_path):
    """The fonts are found and indexed once a process (typst.Fonts), not once a PDF; every
    PDF still embeds the bundled CJK font and its own text."""
    from workbench.reporting._document import Document
    from workbench.reporting._pdf import _fonts, render_pdf

    _fonts.cache_clear()
    for i, title in enumerate(["和平区报告", "沈河区报告"]):
        block = {"kind": "table", "name": f"t{i}", "label": "表 1", "caption": title,
                 "number": 1, "headers": ["代码", "数值"], "align": ["l", "r"],
                 "rows": [["H01", f"{i + 1}.5"]], "notes": []}
        (tmp_path / f"r{i}.pdf").write_bytes(render_pdf(Document("zh", {"title": title},
                                                                 [block])))
        reader, pages = _pdf(tmp_path / f"r{i}.pdf")
        assert title in "".join(pages) and f"{i + 1}.5" in "".join(pages)
        fonts = {str(f.get("/BaseFont")) for page in reader.pages
                 for f in page["/Resources"]["/Font"].values()}
        assert any("NotoSansSC" in f for f in fonts)
    assert _fonts.cache_info().misses == 1 and _fonts.cache_info().hits == 1
