"""A reviewer in a real browser (Playwright driving Debian's chromium; no browser download).

Screenshots go to test-artifacts/ (kept as CI artifacts)."""

from __future__ import annotations

import io
import time
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import sync_playwright

from gongkai.ingest import ingest
from gongkai.store import Store

from .conftest import SEEDS, SHARED
from .workbench import serve

REAL_PDF = SHARED / "fixtures" / "real" / "2024_淮安市人民政府.pdf"
EDITOR = ("editor", "编辑的密码-7")

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    store = Store.open(f"sqlite:///{tmp_path_factory.mktemp('b') / 'g.db'}")
    ingest([SEEDS], store, workers=1)
    store.users.add(*EDITOR, role="editor")
    with serve(store) as base:
        yield base


def test_reviewer_walk(server):
    assert Path(CHROMIUM).exists(), "Debian chromium is installed by `make sysdeps`"
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(accept_downloads=True, viewport={"width": 1600, "height": 1000})
        page.goto(server + "/")
        assert page.locator("#n-reports").inner_text() == "5"
        page.wait_for_selector("#chart-years svg")  # ECharts drew the chart (vendored, no CDN)
        page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)

        page.click("text=报告")
        page.click("text=深圳市龙岗区政务服务数据管理局")
        finding = page.locator("#findings li.sev-error").first
        assert "一+二 (1) ≠ 三（七）+四 (2)" in finding.inner_text()
        finding.locator("a", has_text="本年新收·总计").click()  # the cell by its label, never its ID
        row = page.locator("#cell-t3\\.new\\.total")
        assert "flag-error" in row.get_attribute("class")
        assert "第132行" in row.inner_text()  # where it came from in the original
        page.screenshot(path=str(ARTIFACTS / "report-error.png"), full_page=True)

        # The broken cell in the official table → its source marked in the original beside it.
        page.wait_for_selector("#original .src-root")  # the pane loads after the page
        page.locator('#official td[data-cell="t3.new.total"]').click()
        mark = page.locator('#original mark.src-hit[data-cells~="t3.new.total"]')
        mark.wait_for()
        assert mark.inner_text() == "1" and mark.is_visible()
        assert "src-hit" in page.locator("#src-L132").get_attribute("class")  # line 132 of seed 003
        assert page.locator("#original .src-hit").count() == 2  # that line and its number, nothing else
        assert "第132行" in page.locator("#src-status").inner_text()
        assert _inside(mark.bounding_box(), page.locator("#original").bounding_box())  # scrolled into view
        page.screenshot(path=str(ARTIFACTS / "report-source.png"))

        page.goto(server + "/compare?year=2020")
        assert page.locator("#compare tbody tr").count() == 5
        page.screenshot(path=str(ARTIFACTS / "compare.png"), full_page=True)

        page.goto(server + "/reports")
        with page.expect_download() as dl:
            page.click("text=导出 XLSX")
        rows = list(
            load_workbook(io.BytesIO(Path(dl.value.path()).read_bytes())).active.iter_rows(values_only=True)
        )
        assert rows[0][1] == "发布机关" and len(rows) == 6

        # An editor logs in, uploads a PDF through the page and finds the new report in the list.
        page.goto(server + "/upload")
        assert "/login" in page.url
        page.fill("input[name=username]", EDITOR[0])
        page.fill("input[name=password]", EDITOR[1])
        page.click("form[action='/login'] button")
        page.wait_for_url("**/upload")
        page.set_input_files("input[type=file]", str(REAL_PDF))
        page.screenshot(path=str(ARTIFACTS / "upload.png"))
        page.click("form[action='/upload'] button")
        page.wait_for_url("**/reports/*")
        assert "淮安市人民政府" in page.locator("h1").inner_text()
        # its original is a page image; the cell's box is drawn over the number
        page.wait_for_selector("#original .src-page")
        page.locator('#official td[data-cell="t3.new.total"]').click()
        box = page.locator('#original .src-box.src-hit[data-cells~="t3.new.total"]')
        box.wait_for()
        image = page.locator("#src-p4 img")
        _loaded(page, "#src-p4 img")  # polled from here: wait_for_function would eval under the CSP
        assert _inside(box.bounding_box(), image.bounding_box())
        assert _inside(box.bounding_box(), page.locator("#original").bounding_box())
        page.screenshot(path=str(ARTIFACTS / "report-pdf-source.png"))
        page.goto(server + "/reports")
        assert page.locator("#reports tbody tr").count() == 6
        link = page.locator("#reports a", has_text="淮安市人民政府")
        assert link.is_visible()
        page.screenshot(path=str(ARTIFACTS / "uploaded-in-list.png"), full_page=True)
        browser.close()


def _loaded(page, selector: str, timeout: float = 30) -> None:
    """Wait until the image has loaded (page.evaluate runs outside the page's CSP, unlike
    wait_for_function's string predicate)."""
    end = time.monotonic() + timeout
    while not page.evaluate(f"document.querySelector({selector!r}).naturalWidth > 0"):
        assert time.monotonic() < end, f"{selector} did not load"
        time.sleep(0.1)


def _inside(inner: dict | None, outer: dict | None) -> bool:
    assert inner and outer
    return (
        outer["x"] - 1 <= inner["x"]
        and inner["x"] + inner["width"] <= outer["x"] + outer["width"] + 1
        and outer["y"] - 1 <= inner["y"]
        and inner["y"] + inner["height"] <= outer["y"] + outer["height"] + 1
    )
