"""The reviewer's spring in a real browser (Playwright driving Debian's chromium), on the data `make run`
loads, on SQLite and on PostgreSQL: log in, drill from the province to an agency, confirm one finding and
dismiss another with a reason, mark the report 需整改, upload the corrected version and see the
difference, download the 整改通知 and the 通报 — with no browser console error on any page.
Screenshots of every page kind go to test-artifacts/."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from docx import Document as Docx
from playwright.sync_api import sync_playwright

from gongkai import regions
from gongkai.demo import demo_province
from gongkai.review.cli import DEMO_REVIEWER
from gongkai.store import Store

from .conftest import pg_database
from .test_browser import ARTIFACTS, CHROMIUM, FLAGS
from .workbench import ADMIN, load, serve

COLS = ("np", "biz", "research", "ngo", "legal", "other")


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def site(request, tmp_path_factory, demo_corpus):
    folder = tmp_path_factory.mktemp("walk")
    if request.param == "sqlite":
        ctx = None
        url = f"sqlite:///{folder / 'g.db'}"
    else:
        ctx = pg_database("gongkai_test_walk")
        url = ctx.__enter__()
    store = Store.open(url, files_dir=folder / "files")
    load(store, demo_corpus)
    with serve(store) as base:
        yield request.param, base, store, demo_corpus
    store.close()
    if ctx is not None:
        ctx.__exit__(None, None, None)


def _target(store: Store) -> dict:
    """A county government's report in the demo province whose 结转下年度 row does not add up (the
    injected mistake: two error findings), written as markdown so the test can correct it."""
    prefix = demo_province()[:2]
    for r in store.reports.rows(has_errors=True, region_prefix=prefix, kind="government", level="county"):
        if not r["source"].endswith(".md"):
            continue
        v = store.reports.cell_values([r["version_id"]])[r["version_id"]]
        if sum(v[f"t3.forward.{c}"] for c in COLS) != v["t3.forward.total"]:
            return r
    raise AssertionError("the demo corpus has no such report")


def _corrected(path: Path) -> bytes:
    """The same report with the 结转下年度 row made to add up (自然人 = 总计 − the other columns)."""
    lines = path.read_text(encoding="utf-8").split("\n")
    for i, line in enumerate(lines):
        if line.startswith("| 四、结转下年度继续办理"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            nums = [int(x) for x in cells[3:]]
            nums[0] = nums[-1] - sum(nums[1:-1])
            lines[i] = "| " + " | ".join(cells[:3] + [str(n) for n in nums]) + " |"
            return "\n".join(lines).encode()
    raise AssertionError("no 结转下年度 row")


def test_reviewer_walk(site):
    backend, base, store, _ = site
    target = _target(store)
    code = target["region_code"]
    province, city, county = regions.get(code[:2] + "0000"), regions.get(code[:4] + "00"), regions.get(code)
    shots = ARTIFACTS / backend
    shots.mkdir(parents=True, exist_ok=True)
    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(accept_downloads=True, viewport={"width": 1366, "height": 768})
        page.on("console", lambda m: errors.append(f"{page.url}: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(f"{page.url}: {e}"))

        # 1. log in as the demo reviewer
        page.goto(base + "/")
        page.wait_for_selector("#chart-years svg")
        page.screenshot(path=str(shots / "dashboard.png"), full_page=True)
        page.click("#nav-login")
        page.screenshot(path=str(shots / "login.png"))
        page.fill("input[name=username]", DEMO_REVIEWER[0])
        page.fill("input[name=password]", DEMO_REVIEWER[1])
        page.click("main form button")
        page.wait_for_selector("#nav-review")

        # 2. drill province → city → county → agency
        page.click("header nav >> text=行政区划")
        page.select_option("main select[name=year]", str(target["year"]))  # the year under review
        page.click("main form.filters button")
        page.wait_for_url(f"**year={target['year']}**")
        page.screenshot(path=str(shots / "regions.png"), full_page=True)
        page.click(f"#children a:text-is('{province.name}')")
        page.wait_for_selector(f"h1:has-text('{province.name}')")
        page.click(f"#children a:text-is('{city.name}')")
        page.wait_for_selector(f"h1:has-text('{city.name}')")
        page.screenshot(path=str(shots / "region-city.png"), full_page=True)
        page.click(f"#children a:text-is('{county.name}')")
        page.wait_for_selector(f"h1:has-text('{county.name}')")
        page.screenshot(path=str(shots / "region-county.png"), full_page=True)
        page.click(f"#agencies a[href^='/reports/{target['version_id']}']")
        page.wait_for_selector("#review")
        assert target["agency"] in page.locator("#report-title").inner_text()
        assert (
            "年度" in page.locator("#report-title").inner_text()
            and "年版格式" in page.locator("#report-title").inner_text()
        )

        # 3. confirm one finding, dismiss another with a reason
        findings = {f["rule"]: f["id"] for f in store.reviews.findings(target["version_id"])}
        balance, row_total = findings["t3.balance"], findings["t3.row_total"]
        page.click(f"#finding-{balance} button.confirm")
        page.wait_for_selector(f"#finding-{balance}.decided-confirmed")
        page.fill(f"#finding-{row_total} input[name=reason]", "与原件核对：行合计印刷无误，系同一处笔误")
        page.click(f"#finding-{row_total} button.dismiss")
        page.wait_for_selector(f"#finding-{row_total}.decided-dismissed")
        assert "与原件核对" in page.locator(f"#finding-{row_total}").inner_text()

        # 4. mark the report 需整改
        page.select_option("#status-select", "rectify")
        page.click("#status-form button")
        page.wait_for_selector("#review-status.status-rectify")
        page.screenshot(path=str(shots / "report-review.png"), full_page=True)

        # 6a. the 整改通知
        with page.expect_download() as dl:
            page.click("#notice-docx")
        notice = Docx(io.BytesIO(Path(dl.value.path()).read_bytes()))
        cells = [c.text for t in notice.tables for row in t.rows for c in row.cells]
        assert any("t3.balance" in c for c in cells) and not any("t3.row_total" in c for c in cells)

        # 5. upload the corrected version and see the difference
        page.click("#nav-upload")
        page.set_input_files(
            "input[type=file]",
            files=[
                {
                    "name": "更正-" + Path(target["source"]).name,
                    "mimeType": "text/markdown",
                    "buffer": _corrected(Path(target["source"])),
                }
            ],
        )
        page.screenshot(path=str(shots / "upload.png"))
        page.click("main form button")
        page.wait_for_selector("#corrected")
        assert (
            "1 处不同" in page.locator("#corrected").inner_text()
            or "处不同" in page.locator("#corrected").inner_text()
        )
        page.click("#diff-link")
        page.wait_for_selector("#diff-cells")
        changed = page.locator("#diff-cells tbody tr").first.inner_text()
        assert "结转下年度" in changed
        assert page.locator("#diff-findings li.gone").count() >= 2  # both errors gone
        page.screenshot(path=str(shots / "diff.png"), full_page=True)

        # 6b. the 通报 of the demo province
        page.click("#nav-review")
        page.screenshot(path=str(shots / "review.png"), full_page=True)
        with page.expect_download() as dl:
            page.click("#circular-docx")
        text = "\n".join(p.text for p in Docx(io.BytesIO(Path(dl.value.path()).read_bytes())).paragraphs)
        assert "检查情况的通报" in text

        # every other page kind, for the screenshots and the console
        for name, path in (
            ("reports", "/reports"),
            ("reports-en", "/reports?lang=en"),
            ("compare", f"/compare?region={demo_province()}&kind=government"),
            ("coverage", f"/coverage?region={demo_province()}"),
            ("agency", f"/agency?name={target['agency']}&region={code}"),
            ("report-en", f"/reports/{target['version_id']}?lang=en"),
        ):
            page.goto(base + path)
            page.wait_for_load_state("networkidle")
            page.screenshot(path=str(shots / f"{name}.png"), full_page=True)
        page.goto(base + f"/compare?region={demo_province()}")
        page.wait_for_selector("#chart-dist svg")
        # the admin's pages: the audit log shows what the reviewer did, and the desk
        page.click("#logout")
        page.goto(base + "/login")
        page.fill("input[name=username]", ADMIN[0])
        page.fill("input[name=password]", ADMIN[1])
        page.click("main form button")
        page.click("#nav-audit")
        assert "finding.dismissed" in page.locator("#audit").inner_text()
        page.screenshot(path=str(shots / "audit.png"), full_page=True)
        page.click("#nav-desk")
        page.wait_for_load_state("networkidle")
        page.screenshot(path=str(shots / "desk.png"), full_page=True)
        page.goto(base + "/reports/999999999")
        page.screenshot(path=str(shots / "not-found.png"))
        errors[:] = [e for e in errors if "999999999" not in e]  # the 404 itself is the point of that page
        phone = browser.new_page(viewport={"width": 390, "height": 844})
        phone.on("pageerror", lambda e: errors.append(f"phone: {e}"))
        phone.goto(base + "/reports")
        phone.screenshot(path=str(shots / "phone-reports.png"), full_page=True)
        browser.close()
    assert not errors, errors
    # what the reviewer did is in the audit log
    actions = [e["action"] for e in store.audit.list()]
    for a in (
        "finding.confirmed",
        "finding.dismissed",
        "review.status",
        "report.upload",
        "circular.download",
    ):
        assert a in actions
    assert store.reports.rows(review_status="rectify")[0]["agency"] == target["agency"]
