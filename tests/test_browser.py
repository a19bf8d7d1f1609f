"""The HTML report as a person sees it, in headless Chromium (skipped without Chromium)."""

import shutil
import subprocess

import numpy as np
import pytest
from matplotlib.image import imread

pytestmark = pytest.mark.browser
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars"]


def _chromium(tmp_path, *args):
    if CHROMIUM is None:
        pytest.skip("headless Chromium is not installed (Debian package 'chromium')")
    cmd = [CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def test_report_renders_chinese_and_figures(zh_run, tmp_path):
    assert zh_run.ok, zh_run.manifest.get("error")
    url = (zh_run.run_dir / "report.html").as_uri()
    dom = _chromium(tmp_path, "--dump-dom", url).stdout
    assert "指标目录" in dom and "和平区" in dom
    assert dom.count("data:image/png;base64") >= 2  # trend and map
    shot = tmp_path / "report.png"
    _chromium(tmp_path, f"--screenshot={shot}", "--window-size=1200,2400", url)
    pixels = imread(shot)
    assert pixels.shape[0] >= 2000
    # a rendered page has text and figures, not a blank sheet
    assert np.std(pixels[..., :3]) > 0.05


def test_index_page_links_to_report(zh_run, tmp_path):
    index = zh_run.run_dir.parents[1] / "index.html"
    dom = _chromium(tmp_path, "--dump-dom", index.as_uri()).stdout
    assert "儿童发展监测报告" in dom
    assert f"{zh_run.run_dir.name}/report.html" in dom


def test_click_through_from_the_index_to_a_report(tmp_path, outputs_dir):
    playwright = pytest.importorskip("playwright.sync_api")
    if CHROMIUM is None:
        pytest.skip("headless Chromium is not installed (Debian package 'chromium')")
    from workbench.batch import expand_plan, run_batch

    runs = expand_plan([{"notebook": "getting_started",
                         "each": {"focus_region": ["210102", "210103"]},
                         "parameters": {"lang": "zh"}}])
    assert run_batch(runs, jobs=2, progress=False).ok
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS[1:])
        page = browser.new_page()
        page.goto((outputs_dir / "index.html").as_uri())
        assert "和平区 210102" in page.inner_text("body")  # grouped by region, with names
        page.locator("tr", has_text="沈河区").locator("a.report").click()
        page.wait_for_load_state()
        assert page.url.endswith("report.html")
        assert "指标目录" in page.inner_text("body")
        sizes = page.eval_on_selector_all("img", "imgs => imgs.map(i => i.naturalWidth)")
        assert len(sizes) >= 2 and min(sizes) > 100  # the figures decoded and rendered
        page.screenshot(path=str(tmp_path / "clicked.png"), full_page=False)
        browser.close()
