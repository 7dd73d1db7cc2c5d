"""Issue 14: the application as Art. 29 has it, the public portal, personal data (masking, access log,
redacted exports, retention purge) — through the web routes, the JSON API, the exports and the CLI."""

from __future__ import annotations

import datetime as dt
import io
import re
from html import unescape

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from gongkai.desk import synthetic
from gongkai.desk.applicant import (
    ApplicantError,
    check_resident_id,
    check_uscc,
    id_check_digit,
    mask_id,
    mask_phone,
    missing,
    normalise,
    uscc_check_digit,
)
from gongkai.desk.forms import application_from
from gongkai.desk.ledger import Application, Event, LedgerError
from gongkai.store import Store
from gongkai.store.ledger import Ledger, _package_knows
from gongkai.web import create_app
from gongkai.web.portal import sniff

PASSWORD = "口令-portal-2026"
AGENCY = "深圳市南山区教育局"
ID17 = "44030519900307123"
PERSON_ID = ID17 + id_check_digit(ID17)
USCC17 = "91440300708461136"
USCC = USCC17 + uscc_check_digit(USCC17)
PHONE = "13812345678"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def text(html: str) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


def cover_calendar(ledger: Ledger, today: dt.date) -> None:
    """Deadlines that run past the last published holiday schedule are (rightly) not computed; the
    tests enter a schedule for such years so that a due date can be asserted."""
    for year in (today.year, today.year + 1):
        if not _package_knows(year):
            ledger.set_calendar_year(year, {dt.date(year, 1, 1): False}, "test")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    store = Store.open(f"sqlite:///{tmp_path_factory.mktemp('portal') / 'g.db'}")
    a = store.agencies.add(AGENCY)
    b = store.agencies.add("深圳市福田区教育局")
    city = store.agencies.add("深圳市人民政府")
    closed = store.agencies.add("深圳市罗湖区教育局")
    store.users.add("staff_a", PASSWORD, "staff", a["id"])
    store.users.add("staff_b", PASSWORD, "staff", b["id"])
    store.users.add("city_sup", PASSWORD, "supervisor", city["id"])
    store.users.add("root", PASSWORD, "admin")
    ledger = Ledger(store)
    ledger.set_portal(a["id"], True, "root")
    ledger.set_portal(b["id"], True, "root")
    cover_calendar(ledger, dt.date.today())
    return {
        "store": store,
        "ledger": ledger,
        "app": create_app(store=store),
        "a": a,
        "b": b,
        "closed": closed,
    }


def client(site, user: str | None = None, ip: str = "203.0.113.7") -> tuple[TestClient, str]:
    c = TestClient(site["app"], client=(ip, 50000))
    csrf = re.search(r'name="csrf" value="([^"]+)"', c.get("/login").text).group(1)
    if user:
        r = c.post(
            "/login",
            data={"username": user, "password": PASSWORD, "csrf": csrf, "next": "/desk"},
            follow_redirects=False,
        )
        assert r.status_code == 303
    return c, csrf


def person(**kw: str) -> dict[str, str]:
    v = {
        "applicant_type": "np",
        "applicant": "张三",
        "id_type": "resident_id",
        "applicant_id": PERSON_ID,
        "phone": PHONE,
        "address": "深圳市南山区某路1号",
        "postcode": "518000",
        "email": "zs@example.cn",
        "info_title": "2025年度部门预算",
        "info_number": "",
        "request": "本局2025年度部门预算及“三公”经费",
        "form_wanted": "email",
        "delivery": "email",
    }
    return v | kw


def submit(c: TestClient, csrf: str, agency_id: int, values: dict, files=None, **extra):
    data = {"csrf": csrf, **values, **extra}
    return c.post(f"/apply/{agency_id}", data=data, files=files, follow_redirects=False)


# ---- Art. 29 -------------------------------------------------------------------------------------


def test_id_and_credit_code_check_digits():
    assert check_resident_id(PERSON_ID) == PERSON_ID
    wrong = ID17 + ("0" if PERSON_ID[-1] != "0" else "1")
    with pytest.raises(ApplicantError, match=f"校验码错误：末位应为{PERSON_ID[-1]}"):
        check_resident_id(wrong)
    with pytest.raises(ApplicantError, match="应为18位"):
        check_resident_id("4403051990")
    with pytest.raises(ApplicantError, match="出生日期"):
        check_resident_id("440305199002301230")
    assert id_check_digit("11010519491231002") == "X"  # the standard's own example
    assert check_uscc(USCC.lower()) == USCC
    assert uscc_check_digit("91350100M000100Y4") == "3"  # a published code: 91350100M000100Y43
    bad = USCC[:-1] + ("0" if USCC[-1] != "0" else "1")
    with pytest.raises(ApplicantError, match=f"校验码错误：末位应为{USCC[-1]}"):
        check_uscc(bad)
    with pytest.raises(ApplicantError, match="不允许的字符：I、O"):
        check_uscc("91440300I0846113O6")


def test_each_element_for_a_person():
    full = person()
    assert missing("np", "张三", full["request"], full) == []
    cases = {
        "applicant": ("np", "", full["request"], full),
        "id_type": ("np", "张三", full["request"], full | {"id_type": ""}),
        "applicant_id": ("np", "张三", full["request"], full | {"applicant_id": ""}),
        "contact": ("np", "张三", full["request"], full | {"phone": "", "address": "", "email": ""}),
        "info": ("np", "张三", "", full | {"info_title": "", "info_number": ""}),
        "form_wanted": ("np", "张三", full["request"], full | {"form_wanted": ""}),
        "delivery": ("np", "张三", full["request"], full | {"delivery": ""}),
        "postcode": ("np", "张三", full["request"], full | {"delivery": "mail", "postcode": ""}),
        "address": ("np", "张三", full["request"], full | {"delivery": "mail", "address": ""}),
        "email": ("np", "张三", full["request"], full | {"delivery": "email", "email": ""}),
    }
    for key, args in cases.items():
        assert missing(*args) == [key], key
    # A title or a document number alone describes the information.
    assert missing("np", "张三", "", full | {"info_title": "", "info_number": "深府〔2025〕1号"}) == []
    for field, value, reason in [
        ("applicant_id", PERSON_ID[:-1] + "0" if PERSON_ID[-1] != "0" else PERSON_ID[:-1] + "1", "校验码"),
        ("phone", "12ab", "联系电话"),
        ("postcode", "51800", "邮政编码"),
        ("email", "not-an-email", "电子邮箱"),
        ("form_wanted", "fax", "提供形式"),
        ("id_type", "uscc", "自然人"),
    ]:
        with pytest.raises(ApplicantError, match=reason):
            normalise("np", full | {field: value})


def test_each_element_for_an_organisation():
    org = person(applicant_type="biz", applicant="某科技有限公司", applicant_id=USCC)
    org |= {"legal_rep": "李四", "contact_person": "王五"}
    assert missing("biz", org["applicant"], org["request"], org) == []
    assert normalise("biz", org)["id_type"] == "uscc"  # an organisation is identified by its code
    for key, field in [
        ("uscc", "applicant_id"),
        ("legal_rep", "legal_rep"),
        ("contact_person", "contact_person"),
    ]:
        assert missing("biz", org["applicant"], org["request"], org | {field: ""}) == [key]
    with pytest.raises(ApplicantError, match=f"统一社会信用代码“{USCC[:-1]}0?.*”校验码错误|校验码错误"):
        normalise("biz", org | {"applicant_id": USCC[:-1] + ("0" if USCC[-1] != "0" else "1")})
    with pytest.raises(ApplicantError, match="应为18位"):
        application_from(
            AGENCY,
            org
            | {
                "number": "2026-0001",
                "channel": "in_person",
                "received": "2026-09-23",
                "applicant_id": "9144",
            },
        )


# ---- the portal: submit, confirm, 补正, answer, status, letters ---------------------------------------


def test_portal_walk_from_submission_to_answer(site):
    a = site["a"]
    pub, pcsrf = client(site, ip="198.51.100.1")
    listing = pub.get("/apply").text
    assert AGENCY in listing and "深圳市罗湖区教育局" not in listing  # only agencies open online
    assert pub.get(f"/apply/{site['closed']['id']}").status_code == 404
    assert 'for="applicant_id"' in pub.get(f"/apply/{a['id']}").text  # every field has its label
    # No postcode although the answer is to be posted: accepted, and the receipt says what is missing.
    r = submit(
        pub,
        pcsrf,
        a["id"],
        person(delivery="mail", postcode=""),
        files={"attachment": ("id.png", PNG, "image/png")},
    )
    assert r.status_code == 200, text(r.text)
    receipt = text(r.text)
    number = re.search(r'id="number">([^<]+)<', r.text).group(1)
    code = re.search(r'id="code" class="code">([^<]+)<', r.text).group(1)
    assert (
        number.startswith(f"{dt.date.today().year}-W") and "邮政编码" in receipt and "双方确认之日" in receipt
    )
    sub = next(s for s in site["ledger"].submissions([a["id"]]) if s["number"] == number)
    assert code not in str(sub) and sub["code_hash"].startswith("$argon2")  # stored hashed only
    # Before confirmation: waiting, no deadline.
    r = pub.post("/apply/status", data={"csrf": pcsrf, "number": number, "code": code})
    assert r.status_code == 200 and "待确认" in text(r.text) and 'id="due"' not in r.text
    assert (
        pub.post(
            "/apply/status", data={"csrf": pcsrf, "number": number, "code": "AAAA-BBBB-CCCC"}
        ).status_code
        == 404
    )

    staff, scsrf = client(site, "staff_a")
    queue = staff.get(f"/desk/{a['id']}/pending").text
    assert number in queue and PERSON_ID in queue and "邮政编码" in text(queue)
    scan = staff.get(f"/desk/{a['id']}/submissions/{sub['id']}/scan")
    assert scan.status_code == 200 and scan.content == PNG
    today = dt.date.today()
    r = staff.post(
        f"/desk/{a['id']}/pending/{sub['id']}",
        data={"csrf": scsrf, "action": "confirm", "date": today.isoformat(), "handler": "王敏"},
        follow_redirects=False,
    )
    assert r.status_code == 303, text(r.text)
    url = r.headers["location"]
    app_id = int(url.rsplit("/", 1)[1])
    app, events = site["ledger"].get(app_id)
    assert app.received == today and app.channel == "online" and app.number == number and app.postcode == ""
    assert number not in staff.get(f"/desk/{a['id']}/pending").text  # left the queue
    page = staff.get(url).text
    assert 'id="missing"' in page and "邮政编码" in text(page)
    # The 补正 notice is pre-selected and pre-filled with what is missing.
    assert '<option value="correction_sent" selected>' in page
    what = re.search(r'<textarea name="what"[^>]*>([^<]*)</textarea>', page).group(1)
    assert "邮政编码" in what
    r = staff.post(
        f"{url}/events",
        data={"csrf": scsrf, "kind": "correction_sent", "date": today.isoformat(), "what": what},
        follow_redirects=False,
    )
    assert r.status_code == 303
    _, events = site["ledger"].get(app_id)
    assert events[-1].kind == "correction_sent" and "邮政编码" in events[-1].data["what"]
    from docx import Document

    letter = staff.get(f"{url}/letters/{events[-1].seq}")
    body = "\n".join(p.text for p in Document(io.BytesIO(letter.content)).paragraphs)
    assert "邮政编码" in body and "补正" in body
    # The applicant corrects; staff complete the details and record the correction: the clock restarts.
    r = staff.post(f"{url}/details", data={"csrf": scsrf, "postcode": "518052"}, follow_redirects=False)
    assert r.status_code == 303
    staff.post(
        f"{url}/events", data={"csrf": scsrf, "kind": "correction_received", "date": today.isoformat()}
    )
    assert site["ledger"].get(app_id)[0].postcode == "518052"
    r = pub.post("/apply/status", data={"csrf": pcsrf, "number": number, "code": code})
    due = re.search(r'id="due">([^<]+)<', r.text).group(1)
    summary = text(re.search(r'id="due-summary">(.*?)</p>', r.text, re.S).group(1))
    assert dt.date.fromisoformat(due) > today and "补正" in summary
    assert "补正申请告知书" in text(r.text) or "补正" in text(r.text)
    # Staff answer; the applicant downloads the answer letter.
    staff.post(
        f"{url}/events",
        data={"csrf": scsrf, "kind": "answered", "date": today.isoformat(), "outcome": "granted"},
    )
    r = pub.post("/apply/status", data={"csrf": pcsrf, "number": number, "code": code})
    link = re.search(r'href="(/apply/status/\d+/letters/\d+)" id="letter-answered"', r.text).group(1)
    doc = pub.get(link)
    assert doc.status_code == 200 and doc.headers["content-type"].startswith("application/vnd.openxml")
    answer = "\n".join(p.text for p in Document(io.BytesIO(doc.content)).paragraphs)
    assert number in answer and "张三" in answer
    # Another visitor without the code gets nothing.
    other, _ = client(site, ip="198.51.100.99")
    assert other.get(link, follow_redirects=False).status_code in (303, 307)


def test_portal_refuses_bad_values_files_robots_and_forgeries(site):
    a = site["a"]
    c, csrf = client(site, ip="198.51.100.2")
    org = person(
        applicant_type="biz", applicant="某公司", applicant_id=USCC[:-1] + ("0" if USCC[-1] != "0" else "1")
    )
    r = submit(c, csrf, a["id"], org)
    assert r.status_code == 422 and "统一社会信用代码" in text(r.text) and "校验码错误" in text(r.text)
    r = submit(
        c, csrf, a["id"], person(), files={"attachment": ("id.png", b"MZ\x90\x00 not an image", "image/png")}
    )
    assert r.status_code == 422 and "JPG、PNG" in text(r.text)  # sniffed by content, not by name or type
    big = b"%PDF-1.7\n" + b"0" * (5 * 1024 * 1024)
    assert (
        submit(
            c, csrf, a["id"], person(), files={"attachment": ("id.pdf", big, "application/pdf")}
        ).status_code
        == 413
    )
    assert submit(c, csrf, a["id"], person(), website="http://spam").status_code == 400  # honeypot
    assert submit(c, "forged", a["id"], person()).status_code == 403
    assert submit(c, csrf, a["id"], person(phone="", email="", address="")).status_code == 422
    assert sniff(b"%PDF-1.4") == "application/pdf" and sniff(b"\xff\xd8\xff\xe0") == "image/jpeg"


def test_rate_limit_throttles_one_client_not_the_others(site):
    b = site["b"]
    flood, fcsrf = client(site, ip="192.0.2.66")
    codes = [submit(flood, fcsrf, b["id"], person()).status_code for _ in range(6)]
    assert codes[:5] == [200] * 5 and codes[5] == 429
    assert submit(flood, fcsrf, b["id"], person()).headers.get("retry-after")
    other, ocsrf = client(site, ip="192.0.2.77")
    assert submit(other, ocsrf, b["id"], person()).status_code == 200
    assert other.get("/apply").status_code == 200 and flood.get("/apply").status_code == 200


# ---- personal data: masking, access log, redacted exports ------------------------------------------


def test_masking_by_role_in_pages_api_and_exports(site):
    a, ledger, store = site["a"], site["ledger"], site["store"]
    app = Application(
        agency=AGENCY,
        number="2026-0500",
        channel="in_person",
        received=dt.date(2026, 9, 23),
        applicant_type="np",
        applicant="赵六",
        request="某学校扩建工程环评批复",
        applicant_id=PERSON_ID,
        phone=PHONE,
        address="深圳市南山区某路9号",
        postcode="518000",
        id_type="resident_id",
        form_wanted="paper",
        delivery="mail",
    )
    app_id = ledger.register(app, "seed", agency_id=a["id"])
    masked_id, masked_phone = mask_id(PERSON_ID), mask_phone(PHONE)
    assert masked_id == PERSON_ID[:4] + "*" * 10 + PERSON_ID[-4:] and masked_phone == "138****5678"
    before = len(store.audit.list(action="personal.view", limit=1000))
    for user, full in [("staff_a", True), ("city_sup", False), ("root", False)]:
        c, _ = client(site, user)
        page = c.get(f"/desk/{a['id']}/applications/{app_id}").text
        listing = c.get(f"/desk/{a['id']}").text
        api = c.get(f"/api/desk/{a['id']}/applications/{app_id}").json()
        rows = c.get(f"/api/desk/{a['id']}/applications").json()
        row = next(x for x in rows if x["id"] == app_id)
        xlsx = load_workbook(io.BytesIO(c.get(f"/desk/{a['id']}/export.xlsx").content))
        cells = " ".join(str(v) for r in xlsx["台账"].iter_rows(values_only=True) for v in r if v is not None)
        if full:
            assert (
                PERSON_ID in page
                and PHONE in page
                and api["applicant_id"] == PERSON_ID
                and api["phone"] == PHONE
            )
            assert row["applicant_id"] == PERSON_ID and PERSON_ID in cells and PHONE in cells
        else:
            for shown in (page, listing, str(api), str(rows), cells):
                assert PERSON_ID not in shown and PHONE not in shown and "某路9号" not in shown
            assert masked_id in page and masked_phone in page and api["applicant_id"] == masked_id
            assert api["address"] == "（已隐去）" and row["phone"] == masked_phone
            assert 'id="masked"' in page
            due = c.get(f"/api/desk/{a['id']}/due", params={"today": "2026-09-24"}).json()
            mine = next(x for x in due["items"] if x["id"] == app_id)
            assert mine["applicant_id"] == masked_id and mine["phone"] == masked_phone
            assert (
                f'id="due-{app_id}"'
                not in c.get(f"/desk/{a['id']}", params={"view": "handler", "q": PERSON_ID}).text
            )
            # Nobody outside the agency can probe the ledger for an ID number.
            assert c.get(f"/api/desk/{a['id']}/applications", params={"q": PERSON_ID}).json() == []
    views = store.audit.list(action="personal.view", limit=1000)[
        : len(store.audit.list(action="personal.view", limit=1000)) - before
    ]
    who = {(v["actor"], v["target"]) for v in views}
    for user in ("staff_a", "city_sup", "root"):
        assert (user, f"application {app_id}") in who and (user, f"agency {a['id']} export") in who
    # The 待确认 queue through the API: masked for the supervisor, in full for the agency's staff.
    pub, pcsrf = client(site, ip="198.51.100.44")
    assert submit(pub, pcsrf, a["id"], person(applicant="钱七")).status_code == 200
    sup, _ = client(site, "city_sup")
    staff, _ = client(site, "staff_a")
    q_sup = next(x for x in sup.get(f"/api/desk/{a['id']}/pending").json() if x["applicant"] == "钱七")
    q_staff = next(x for x in staff.get(f"/api/desk/{a['id']}/pending").json() if x["applicant"] == "钱七")
    assert (
        q_sup["applicant_id"] == masked_id
        and q_sup["phone"] == masked_phone
        and q_sup["email"] == "（已隐去）"
    )
    assert q_staff["applicant_id"] == PERSON_ID and q_staff["phone"] == PHONE
    assert PERSON_ID not in sup.get(f"/desk/{a['id']}/pending").text
    assert sup.get(f"/desk/{a['id']}/submissions/{q_sup['id']}/scan").status_code == 403
    staff_b, _ = client(site, "staff_b")
    assert staff_b.get(f"/desk/{a['id']}/applications/{app_id}").status_code == 403


# ---- retention ------------------------------------------------------------------------------------


def test_purge_keeps_the_annual_report(desk):
    ledger = desk
    aid = ledger.agency_id(__import__("gongkai.report", fromlist=["Agency"]).Agency(AGENCY))
    items = synthetic.generate(AGENCY, range(2021, 2023), 40, seed=7, cal=ledger.calendar())
    for app, _ in items:
        app.phone, app.applicant_id, app.id_type, app.address = PHONE, PERSON_ID, "resident_id", "某路1号"
    ledger.import_applications(items, "seed", aid)
    before = {y: ledger.report(aid, y).as_dict() for y in (2021, 2022)}
    purged = ledger.purge(2, "root", today=dt.date(2025, 6, 30))
    assert purged, "closed applications older than two years are purged"
    after = {y: ledger.report(aid, y).as_dict() for y in (2021, 2022)}
    assert after == before  # tables 三 and 四 (and everything else) unchanged
    apps = {a.number: a for a, _ in ledger.applications([aid])}
    gone = [apps[n.split(" ")[-1]] for n in purged]
    assert all(a.purged and a.phone == "" and a.applicant_id == "" and a.address == "" for a in gone)
    kept = [a for a in apps.values() if not a.purged]
    assert kept and all(a.phone == PHONE for a in kept)  # open or recently closed: kept
    assert ledger.purge(2, "root", today=dt.date(2025, 6, 30)) == []  # idempotent
    with pytest.raises(LedgerError):
        ledger.update_details(gone[0].id, {"phone": PHONE}, "root")
    # A submission set aside (spam, a test) is purged too, once old enough.
    sid, _, _ = ledger.submit(aid, {"applicant": "某人", "phone": PHONE}, PNG, "image/png")
    ledger.discard(sid, "root", "测试提交")
    ledger.purge(2, "root", today=dt.date.today())
    assert ledger.submission(sid)["data"]["phone"] == PHONE  # set aside today: kept for now
    ledger.purge(2, "root", today=dt.date.today().replace(year=dt.date.today().year + 3))
    gone_sub = ledger.submission(sid)
    assert gone_sub["data"] == {"purged": True} and gone_sub["attachment"] is None
    assert {y: ledger.report(aid, y).as_dict() for y in (2021, 2022)} == before


def test_cli_purge_demo_and_portal(tmp_path):
    from typer.testing import CliRunner

    from gongkai.cli import app as cli

    db = f"sqlite:///{tmp_path / 'g.db'}"
    runner = CliRunner()
    r = runner.invoke(cli, ["desk", "demo", "--db", db])
    assert r.exit_code == 0, r.output
    password = re.search(r"password[:：]\s*(\S+)", r.output).group(1)
    user = re.search(r"user[:：]\s*(\S+)", r.output).group(1)
    store = Store.open(db)
    assert store.users.authenticate(user, password) is not None
    ledger = Ledger(store)
    agencies = ledger.portal_agencies()
    assert len(agencies) == 1
    n = len(ledger.applications([agencies[0]["id"]]))
    assert n >= 100
    r2 = runner.invoke(cli, ["desk", "demo", "--db", db])  # idempotent: same agency and ledger, new password
    assert r2.exit_code == 0, r2.output
    assert len(ledger.applications([agencies[0]["id"]])) == n and len(ledger.portal_agencies()) == 1
    password2 = re.search(r"password[:：]\s*(\S+)", r2.output).group(1)
    assert store.users.authenticate(user, password2) is not None
    r = runner.invoke(cli, ["desk", "purge", "--years", "1", "--db", db, "--today", "2099-01-01"])
    assert r.exit_code == 0, r.output
    assert all(
        a.purged
        for a, ev in ledger.applications()
        if any(e.kind == "closed" for e in ev) and not any(e.kind == "case_filed" for e in ev)
    )


def test_letters_use_every_field():
    from docx import Document

    from gongkai.desk.letters import render_letter
    from gongkai.report import Agency

    app = Application(
        agency=AGENCY,
        number="2026-0009",
        channel="online",
        received=dt.date(2026, 9, 23),
        applicant_type="biz",
        applicant="某科技有限公司",
        request="某路段改造工程中标结果",
        applicant_id=USCC,
        id_type="uscc",
        legal_rep="李四",
        contact_person="王五",
        phone=PHONE,
        address="深圳市南山区某路1号",
        postcode="518000",
        email="a@example.cn",
        info_title="中标结果公告",
        info_number="深南教〔2026〕3号",
        form_wanted="paper",
        delivery="mail",
    )
    events = [
        Event("registered", app.received, "王敏", seq=1),
        Event("answered", dt.date(2026, 10, 9), "王敏", {"outcome": "granted"}, seq=2),
    ]
    for seq in (1, 2):
        doc = Document(io.BytesIO(render_letter(app, events, seq, Agency(AGENCY))))
        body = "\n".join(p.text for p in doc.paragraphs)
        for value in (PHONE, "深圳市南山区某路1号", "518000", "a@example.cn", "纸质" if seq == 1 else "邮寄"):
            assert value in body, (seq, value)
        if seq == 1:
            for value in (
                USCC,
                "统一社会信用代码",
                "李四",
                "王五",
                "中标结果公告",
                "深南教〔2026〕3号",
                "邮寄",
            ):
                assert value in body, value


def test_english_ui_translates_the_domain_labels(site):
    a, ledger = site["a"], site["ledger"]
    app = Application(
        agency=AGENCY,
        number="2026-0600",
        channel="online",
        received=dt.date(2026, 9, 23),
        applicant_type="biz",
        applicant="某公司",
        request="中标结果",
    )
    app_id = ledger.register(app, "seed", agency_id=a["id"])
    ledger.append(app_id, Event("answered", dt.date(2026, 10, 9), "seed", {"outcome": "denied.third_party"}))
    c, _ = client(site, "staff_a")
    en = text(c.get(f"/desk/{a['id']}/applications/{app_id}", params={"lang": "en"}).text)
    for label in (
        "online (the day both sides confirm)",
        "commercial enterprises",
        "registered",
        "answered",
        "not disclosed: protects lawful rights of third parties",
        "closed and filed",
    ):
        assert label in en, label
    for zh in ("互联网渠道", "商业企业", "登记", "作出答复", "保护第三方合法权益"):
        assert zh not in en, zh
    listing = text(c.get(f"/desk/{a['id']}", params={"lang": "en"}).text)
    assert "answered: not disclosed" in listing
    assert "Online requests to confirm" in text(c.get(f"/desk/{a['id']}/pending", params={"lang": "en"}).text)
    form = text(c.get(f"/apply/{a['id']}", params={"lang": "en"}).text)
    assert "natural persons" in form and "resident identity card" in form and "by post" in form


def test_cli_register_names_what_is_missing_and_the_notice_says_it(tmp_path):
    from typer.testing import CliRunner

    from gongkai.cli import app as cli

    db = f"sqlite:///{tmp_path / 'g.db'}"
    runner = CliRunner()
    assert runner.invoke(cli, ["desk", "agency-add", AGENCY, "--db", db]).exit_code == 0
    args = ["desk", "register", "-a", AGENCY, "--received", "2026-09-23", "--applicant", "张三", "--db", db]
    args += ["--request", "某小区规划许可证", "--id-type", "resident_id", "--applicant-id", PERSON_ID]
    args += ["--phone", PHONE, "--form", "paper", "--delivery", "mail", "--address", "某路1号"]
    r = runner.invoke(cli, args)
    assert r.exit_code == 0, r.output
    assert "邮政编码" in r.output and "correction_sent" in r.output
    r = runner.invoke(cli, ["desk", "event", "1", "correction_sent", "--date", "2026-09-25", "--db", db])
    assert r.exit_code == 0, r.output
    _, events = Ledger(Store.open(db)).get(1)
    assert "邮政编码" in events[-1].data["what"]
    wrong = PERSON_ID[:-1] + ("0" if PERSON_ID[-1] != "0" else "1")
    r = runner.invoke(cli, [wrong if a == PERSON_ID else a for a in args])
    assert r.exit_code == 2 and "校验码" in r.output


# ---- organisations: the Art. 29 elements through the portal, the desk and the letters ----------------


def _letter_text(c: TestClient, url: str, seq: int) -> str:
    from docx import Document

    r = c.get(f"{url}/letters/{seq}")
    assert r.status_code == 200, r.text[:300]
    doc = Document(io.BytesIO(r.content))
    cells = [cell.text for t in doc.tables for row in t.rows for cell in row.cells]
    return "\n".join([p.text for p in doc.paragraphs] + cells)


def _org(**kw: str) -> dict[str, str]:
    return (
        person(
            applicant_type="biz",
            applicant="深圳市某某科技有限公司",
            id_type="",
            applicant_id=USCC,
            legal_rep="李四",
            contact_person="王五",
            form_wanted="paper",
            delivery="mail",
        )
        | kw
    )


def test_an_organisation_online_carries_its_code_legal_rep_and_contact_into_the_desk_and_letters(site):
    """Portal → 待确认 → confirmed: the 统一社会信用代码 (checked by its check digit), 法定代表人 and 联系人
    reach the application, its page and the letters; without them the receipt and the 补正 say so."""
    a, ledger = site["a"], site["ledger"]
    pub, pcsrf = client(site, ip="198.51.100.31")
    r = submit(pub, pcsrf, a["id"], _org(applicant_id=USCC.lower()))  # typed in lower case
    assert r.status_code == 200, text(r.text)
    number = re.search(r'id="number">([^<]+)<', r.text).group(1)
    assert "法定代表人" not in text(r.text) and "统一社会信用代码" not in text(r.text)  # nothing missing
    sub = next(s for s in ledger.submissions([a["id"]]) if s["number"] == number)
    assert sub["data"]["applicant_id"] == USCC and sub["data"]["id_type"] == "uscc"
    assert sub["data"]["missing"] == []
    staff, scsrf = client(site, "staff_a")
    queue = text(staff.get(f"/desk/{a['id']}/pending").text)
    assert USCC in queue and "李四" in queue and "王五" in queue
    r = staff.post(
        f"/desk/{a['id']}/pending/{sub['id']}",
        data={"csrf": scsrf, "action": "confirm", "date": dt.date.today().isoformat(), "handler": "王敏"},
        follow_redirects=False,
    )
    assert r.status_code == 303, text(r.text)
    url = r.headers["location"].split("?")[0]
    app, events = ledger.get(int(url.rsplit("/", 1)[1]))
    assert (app.applicant_type, app.id_type, app.applicant_id) == ("biz", "uscc", USCC)
    assert (app.legal_rep, app.contact_person) == ("李四", "王五")
    page = text(staff.get(url).text)
    assert "李四" in page and "王五" in page and USCC in page and 'id="missing"' not in page
    registered = _letter_text(staff, url, events[0].seq)
    for value in ("统一社会信用代码", USCC, "李四", "王五", "深圳市某某科技有限公司"):
        assert value in registered, value
    # The same organisation without its legal representative and contact person: accepted online, and
    # the receipt, the desk and the 补正 notice name both.
    r = submit(pub, pcsrf, a["id"], _org(legal_rep="", contact_person=""))
    assert r.status_code == 200 and "法定代表人" in text(r.text) and "联系人" in text(r.text)
    number = re.search(r'id="number">([^<]+)<', r.text).group(1)
    sub = next(s for s in ledger.submissions([a["id"]]) if s["number"] == number)
    assert sub["data"]["missing"] == ["legal_rep", "contact_person"]
    r = staff.post(
        f"/desk/{a['id']}/pending/{sub['id']}",
        data={"csrf": scsrf, "action": "confirm", "date": dt.date.today().isoformat(), "handler": "王敏"},
        follow_redirects=False,
    )
    url = r.headers["location"].split("?")[0]
    page = staff.get(url).text
    what = re.search(r'<textarea name="what"[^>]*>([^<]*)</textarea>', page).group(1)
    assert "法定代表人" in what and "联系人" in what
    staff.post(
        f"{url}/events",
        data={"csrf": scsrf, "kind": "correction_sent", "date": dt.date.today().isoformat(), "what": what},
    )
    _, events = ledger.get(int(url.rsplit("/", 1)[1]))
    notice = _letter_text(staff, url, events[-1].seq)
    assert "法定代表人" in notice and "联系人" in notice and "补正" in notice


def test_an_organisation_registered_at_the_desk(site):
    """The desk's register form: an organisation's code is checked by its check digit (refused with the
    reason), and its 法定代表人 and 联系人 are kept and printed in the letters; missing ones are the 补正."""
    a, ledger = site["a"], site["ledger"]
    staff, scsrf = client(site, "staff_a")
    form = staff.get(f"/desk/{a['id']}/register").text
    assert 'name="legal_rep"' in form and 'name="contact_person"' in form and 'name="applicant_id"' in form
    base = _org() | {
        "csrf": scsrf,
        "channel": "in_person",
        "received": dt.date.today().isoformat(),
        "handler": "王敏",
    }
    wrong = USCC[:-1] + ("0" if USCC[-1] != "0" else "1")
    for number, values, reason in (
        ("2099-0901", {"applicant_id": wrong}, f"校验码错误：末位应为{USCC[-1]}"),
        ("2099-0902", {"applicant_id": "91440300I0846113O6"}, "不允许的字符"),
        ("2099-0903", {"applicant_id": "9144"}, "应为18位"),
    ):
        r = staff.post(f"/desk/{a['id']}/register", data=base | values | {"number": number})
        assert r.status_code == 422 and reason in text(r.text) and "统一社会信用代码" in text(r.text), number
    r = staff.post(f"/desk/{a['id']}/register", data=base | {"number": "2099-0904"}, follow_redirects=False)
    assert r.status_code == 303, text(r.text)
    url = r.headers["location"].split("?")[0]
    app, events = ledger.get(int(url.rsplit("/", 1)[1]))
    assert (app.id_type, app.applicant_id, app.legal_rep, app.contact_person) == (
        "uscc",
        USCC,
        "李四",
        "王五",
    )
    registered = _letter_text(staff, url, events[0].seq)
    for value in ("统一社会信用代码", USCC, "李四", "王五"):
        assert value in registered, value
    staff.post(
        f"{url}/events",
        data={"csrf": scsrf, "kind": "answered", "date": dt.date.today().isoformat(), "outcome": "granted"},
    )
    _, events = ledger.get(app.id)
    answer = _letter_text(staff, url, events[-1].seq)
    assert "深圳市某某科技有限公司" in answer and "邮寄" in answer
    # without 法定代表人 and 联系人: registered, and the page offers the 补正 naming both
    r = staff.post(
        f"/desk/{a['id']}/register",
        data=base | {"number": "2099-0905", "legal_rep": "", "contact_person": ""},
        follow_redirects=False,
    )
    assert r.status_code == 303
    page = staff.get(r.headers["location"]).text
    missing_block = text(re.search(r'id="missing"(.*?)</div>', page, re.S).group(1))
    assert "法定代表人" in missing_block and "联系人" in missing_block


def test_each_portal_applicant_type_lands_in_its_table_three_column(site):
    """Every applicant type the portal offers, submitted, confirmed and answered through the web, is
    counted in table 三's column of that name in the agency's ledger-produced annual report."""
    from gongkai.formats import format_for_year

    store, ledger = site["store"], site["ledger"]
    agency = store.agencies.add("深圳市南山区文化广电旅游体育局")
    ledger.set_portal(agency["id"], True, "root")
    store.users.add("staff_t3", PASSWORD, "staff", agency["id"])
    today = dt.date.today()
    pub, _ = client(site, ip="198.51.100.40")
    form = pub.get(f"/apply/{agency['id']}").text
    select = re.search(r'<select id="applicant_type" name="applicant_type">(.*?)</select>', form, re.S).group(
        1
    )
    offered = dict(re.findall(r'<option value="([^"]+)"[^>]*>([^<]+)</option>', select))
    fmt = format_for_year(today.year)
    columns = {c.label.text: c.id for c in fmt.t3.columns if c.id != "total"}
    assert len(offered) == len(columns) == 6
    staff, scsrf = client(site, "staff_t3")
    want = {}
    for i, (value, label) in enumerate(offered.items()):
        # the column whose printed heading the option's label is (其他组织 → 其他)
        column = next(cid for heading, cid in columns.items() if label.startswith(heading))
        want[column] = want.get(column, 0) + 1
        values = person() if value == "np" else _org(applicant_type=value, applicant=f"{label}申请单位{i}")
        c, csrf = client(site, ip=f"198.51.100.{50 + i}")  # one submission per address: no throttling
        r = submit(c, csrf, agency["id"], values | {"applicant_type": value})
        assert r.status_code == 200, (value, text(r.text))
        number = re.search(r'id="number">([^<]+)<', r.text).group(1)
        sub = next(s for s in ledger.submissions([agency["id"]]) if s["number"] == number)
        r = staff.post(
            f"/desk/{agency['id']}/pending/{sub['id']}",
            data={"csrf": scsrf, "action": "confirm", "date": today.isoformat(), "handler": "王敏"},
            follow_redirects=False,
        )
        assert r.status_code == 303, text(r.text)
        url = r.headers["location"].split("?")[0]
        r = staff.post(
            f"{url}/events",
            data={"csrf": scsrf, "kind": "answered", "date": today.isoformat(), "outcome": "granted"},
            follow_redirects=False,
        )
        assert r.status_code == 303, text(r.text)
    assert set(want) == set(columns.values())  # each column reached by exactly one option
    report = staff.get(f"/api/desk/{agency['id']}/report/{today.year}")
    assert report.status_code == 200, report.text[:300]
    cells = report.json()["cells"]
    for column in columns.values():
        assert cells[f"t3.new.{column}"] == want[column], column
        assert cells[f"t3.granted.{column}"] == want[column], column
    assert cells["t3.new.total"] == 6 and cells["t3.granted.total"] == 6
