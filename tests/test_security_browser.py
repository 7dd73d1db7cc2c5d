"""The Content-Security-Policy in a real browser: no page of the workbench trips it (no inline script,
style element or style attribute), and what used inline styles still works (ECharts draws, the page
image's cell box sits on the number, htmx loads the original)."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from gongkai import api
from gongkai.ingest import ingest
from gongkai.store import Store

from .conftest import SEEDS, SHARED
from .test_browser import CHROMIUM, FLAGS, _inside, _loaded
from .workbench import serve

REAL_PDF = SHARED / "fixtures" / "real" / "2024_淮安市人民政府.pdf"
PASSWORD = "Secur3-口令-2026"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    store = Store.open(f"sqlite:///{tmp_path_factory.mktemp('csp') / 'g.db'}")
    ingest([SEEDS], store, workers=1)
    data = REAL_PDF.read_bytes()
    sha = store.files.put(data, REAL_PDF.name)
    vid, _ = store.reports.save(api.parse_bytes(data, REAL_PDF.name), sha, REAL_PDF.name)
    agency = store.agencies.add("深圳市南山区教育局")
    store.users.add("root", PASSWORD, "admin")
    store.users.add("staff", PASSWORD, "staff", agency["id"])
    with serve(store) as base:
        yield {"base": base, "pdf": vid, "agency": agency["id"]}


def test_no_page_violates_the_content_security_policy(site):
    assert Path(CHROMIUM).exists()
    base = site["base"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1600, "height": 1000})
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        failed: list[str] = []
        page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)

        page.goto(base + "/")
        page.wait_for_selector("#chart-years svg")  # ECharts under the policy
        page.goto(base + "/regions/440300")
        page.goto(base + f"/reports/{site['pdf']}")
        page.wait_for_selector("#original .src-page")  # htmx loaded the pane
        page.locator('#official td[data-cell="t3.new.total"]').click()
        box = page.locator('#original .src-box.src-hit[data-cells~="t3.new.total"]')
        box.wait_for()
        _loaded(page, "#src-p4 img")  # polled from here: wait_for_function would eval under the CSP
        image = page.locator("#src-p4 img").bounding_box()
        assert _inside(box.bounding_box(), image)  # placed through the CSSOM, not a style attribute
        assert box.bounding_box()["width"] < image["width"] / 2
        page.goto(base + "/compare?year=2020")
        page.goto(base + "/coverage")

        page.goto(base + "/login")
        page.fill("input[name=username]", "root")
        page.fill("input[name=password]", PASSWORD)
        page.click("form[action='/login'] button")
        page.wait_for_url(base + "/")
        for path in ("/admin/users", "/audit", "/review", "/upload", "/desk", f"/desk/{site['agency']}"):
            page.goto(base + path)
            assert page.locator("main h1").count() >= 1, path
        # htmx was told not to inject its indicator <style>; nothing else does either
        assert page.evaluate("document.querySelectorAll('style').length") == 0
        browser.close()
    csp = [e for e in errors if "Content Security Policy" in e or "Refused to" in e]
    assert csp == [], csp
    assert failed == [], failed
    assert [e for e in errors if not e.startswith("Failed to load resource")] == [], errors
