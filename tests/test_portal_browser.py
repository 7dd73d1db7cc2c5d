"""Issue 14 acceptance in a real browser: an applicant on a phone and the agency's staff at a desk.

1. the applicant submits online and gets the receipt; 2. staff confirm it; 3. staff send a 补正 notice that
names what was missing; 4. the applicant sees the new deadline on the status page; 5. staff answer;
6. the applicant downloads the answer letter. Screenshots go to test-artifacts/."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from docx import Document
from playwright.sync_api import sync_playwright

from gongkai.desk.applicant import id_check_digit
from gongkai.store import Store
from gongkai.store.ledger import Ledger

from .test_browser import ARTIFACTS, CHROMIUM, FLAGS
from .test_portal import cover_calendar
from .workbench import serve

AGENCY = "深圳市南山区教育局"
STAFF = ("wangmin", "工作人员口令-14")
ID17 = "44030519850612341"
PERSON_ID = ID17 + id_check_digit(ID17)
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 2,
}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    store = Store.open(f"sqlite:///{tmp_path_factory.mktemp('pb') / 'g.db'}")
    agency = store.agencies.add(AGENCY)
    store.users.add(*STAFF, role="staff", agency_id=agency["id"])
    ledger = Ledger(store)
    ledger.set_portal(agency["id"], True, "admin")
    cover_calendar(ledger, dt.date.today())
    with serve(store) as base:
        yield {"url": base, "agency": agency, "ledger": ledger}


def test_applicant_and_staff_walk(server):
    assert Path(CHROMIUM).exists(), "Debian chromium is installed by `make sysdeps`"
    ARTIFACTS.mkdir(exist_ok=True)
    base, aid = server["url"], server["agency"]["id"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        phone = browser.new_context(accept_downloads=True, **PHONE).new_page()
        desk = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()

        # 1. The applicant, on a phone: the list of agencies, the form (by its labels), the receipt.
        phone.goto(base + "/apply")
        phone.click(f"text={AGENCY}")
        assert phone.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling
        phone.get_by_label("姓名（自然人）或名称（法人或其他组织）").fill("张三")
        phone.get_by_label("身份证件类型").select_option("resident_id")
        phone.get_by_label("身份证件号码 / 统一社会信用代码").fill(PERSON_ID)
        phone.get_by_label("联系电话").fill("13812345678")
        phone.get_by_label("通信地址").fill("深圳市南山区科技园路1号")
        # no postcode, although the answer is to come by post
        phone.get_by_label("信息名称").fill("2025年度部门预算")
        phone.get_by_label("特征性描述（便于查询的内容、时间、范围等）").fill(
            "本局2025年度部门预算及三公经费"
        )
        phone.get_by_label("提供形式").select_option("paper")
        phone.get_by_label("获取方式").select_option("mail")
        box = phone.locator("#website").bounding_box()  # the honeypot is not for people: off screen
        assert box is None or box["x"] + box["width"] <= 0
        phone.get_by_label("获取方式").focus()
        phone.keyboard.press("Tab")  # keyboard: from the last field on to the submit button
        assert phone.evaluate("document.activeElement.id") == "submit"
        phone.keyboard.press("Enter")
        phone.wait_for_selector("#receipt")
        number, code = phone.inner_text("#number").strip(), phone.inner_text("#code").strip()
        assert "邮政编码" in phone.inner_text("#missing")
        phone.screenshot(path=str(ARTIFACTS / "apply-receipt-phone.png"), full_page=True)

        # 2. Staff log in and confirm it from the 待确认 queue.
        desk.goto(base + "/login")
        desk.fill("input[name=username]", STAFF[0])
        desk.fill("input[name=password]", STAFF[1])
        desk.click("form button:has-text('登录')")
        desk.goto(f"{base}/desk/{aid}")
        desk.click("#nav-pending")
        row = desk.locator("#pending tbody tr", has_text=number)
        assert PERSON_ID in row.inner_text() and "邮政编码" in row.inner_text()
        row.locator("button.confirm").click()
        desk.wait_for_selector("#details")
        assert "互联网渠道" in desk.inner_text("#details")
        assert dt.date.today().isoformat() in desk.inner_text("#details")  # received = confirmed today

        # 3. The 补正 notice, pre-selected and pre-filled with what is missing.
        assert "邮政编码" in desk.inner_text("#missing")
        form = desk.locator("#event-form")
        assert form.locator("select[name=kind]").input_value() == "correction_sent"
        assert "邮政编码" in form.locator("textarea[name=what]").input_value()
        form.locator("button").click()
        desk.wait_for_selector("#timeline tr:has-text('发出补正告知')")
        desk.screenshot(path=str(ARTIFACTS / "desk-correction.png"), full_page=True)

        # The correction arrives: staff record it, and the clock restarts from that day.
        desk.locator("#event-form select[name=kind]").select_option("correction_received")
        desk.locator("#event-form button").click()
        desk.wait_for_selector("#timeline tr:has-text('收到补正材料')")
        due = desk.inner_text("#deadline h2")

        # 4. The applicant sees the new deadline.
        phone.click("#nav-status")
        phone.get_by_label("申请编号").fill(number)
        phone.get_by_label("查询码").fill(code)
        phone.click("#check")
        phone.wait_for_selector("#due")
        shown = phone.inner_text("#due").strip()
        assert shown in due and dt.date.fromisoformat(shown) > dt.date.today()
        assert "补正" in phone.inner_text("#due-summary")
        assert phone.locator("#letter-correction_sent").count() == 1
        phone.screenshot(path=str(ARTIFACTS / "apply-status-phone.png"), full_page=True)

        # 5. Staff answer.
        desk.locator("#event-form select[name=kind]").select_option("answered")
        desk.locator("#event-form select[name=outcome]").select_option("granted")
        desk.locator("#event-form button").click()
        desk.wait_for_selector("#timeline tr:has-text('作出答复')")

        # 6. The applicant downloads the answer letter.
        phone.reload()
        phone.wait_for_selector("#letter-answered")
        with phone.expect_download() as dl:
            phone.click("#letter-answered")
        data = Path(dl.value.path()).read_bytes()
        body = "\n".join(p.text for p in Document(io.BytesIO(data)).paragraphs)
        assert number in body and "张三" in body and "予以公开" in body
        assert "邮寄" in body and "科技园路1号" in body  # the answer goes the way the applicant asked
        # English: the domain labels too.
        phone.goto(
            base + f"/apply/status/{server['ledger'].submissions(status='confirmed')[0]['id']}?lang=en"
        )
        assert "answered: disclosed" in phone.inner_text("#status")
        assert "notice to correct the application" in phone.inner_text("#letters")
        browser.close()
