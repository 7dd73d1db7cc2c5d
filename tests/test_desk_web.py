"""The agency desk through the browser routes and the JSON API: roles, deadlines, timeline, report."""

from __future__ import annotations

import datetime as dt
import io
import random
import re
from html import unescape

import pytest
from fastapi.testclient import TestClient

from gongkai import api
from gongkai.desk import synthetic
from gongkai.desk.access import can_read, can_write, governed_prefix, within
from gongkai.desk.checks import checked_report
from gongkai.formats import format_for_year
from gongkai.store import Store
from gongkai.store.ledger import Ledger
from gongkai.web import create_app

D = dt.date
PASSWORD = "口令-desk-2026"
A_NAME, B_NAME = "深圳市南山区教育局", "深圳市福田区教育局"


@pytest.fixture(scope="module")
def desk(tmp_path_factory):
    """A store with four agencies, their accounts, and one application already in B's ledger."""
    store = Store.open(f"sqlite:///{tmp_path_factory.mktemp('desk') / 'g.db'}")
    ag = {
        "A": store.agencies.add(A_NAME),
        "B": store.agencies.add(B_NAME),
        "city": store.agencies.add("深圳市人民政府"),
        "gz": store.agencies.add("广州市教育局"),
    }
    assert [ag[k]["region_code"] for k in ag] == ["440305", "440304", "440300", "440100"]
    for name, role, key in [
        ("staff_a", "staff", "A"),
        ("staff_b", "staff", "B"),
        ("city_sup", "supervisor", "city"),
        ("gz_sup", "supervisor", "gz"),
    ]:
        store.users.add(name, PASSWORD, role, ag[key]["id"])
    store.users.add("root", PASSWORD, "admin")
    store.users.add("editor", PASSWORD, "editor")
    ledger = Ledger(store)
    b_app = _register(ledger, ag["B"], "2026-0001", D(2026, 9, 23))
    return {"store": store, "app": create_app(store=store), "ledger": ledger, "ag": ag, "b_app": b_app}


def _register(ledger: Ledger, agency: dict, number: str, received: dt.date, **kw) -> int:
    from gongkai.desk.ledger import Application

    app = Application(
        agency=agency["name"],
        number=number,
        channel=kw.get("channel", "online"),
        received=received,
        applicant_type="np",
        applicant=kw.get("applicant", "李四"),
        request=kw.get("request", "申请公开学校扩建工程的环评批复"),
        handler=kw.get("handler", "陈静"),
        applicant_id=kw.get("applicant_id", ""),
    )
    return ledger.register(app, "seed", agency_id=agency["id"])


def _client(desk, user: str | None) -> tuple[TestClient, str]:
    """A browser session logged in as ``user`` (None: anonymous) and its CSRF token."""
    c = TestClient(desk["app"])
    csrf = re.search(r'name="csrf" value="([^"]+)"', c.get("/login").text).group(1)
    if user is not None:
        r = c.post(
            "/login",
            data={"username": user, "password": PASSWORD, "csrf": csrf, "next": "/desk"},
            follow_redirects=False,
        )
        assert r.status_code == 303, r.text
    return c, csrf


def _text(html: str) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


def test_region_rule():
    assert governed_prefix("440300") == "4403" and governed_prefix("440000") == "44"
    assert governed_prefix("440305") == "440305" and governed_prefix("") == ""
    assert within("440305", "440300") and within("440300", "440300") and not within("440100", "440300")
    assert not within("", "440300") and not within("440305", "")
    city, dept = {"id": 3, "region_code": "440300"}, {"id": 1, "region_code": "440305"}
    sup = {"role": "supervisor", "agency_id": 3}
    assert can_read(sup, dept, city) and not can_write(sup, dept) and not can_write(sup, city)
    assert not can_read(sup, dept, None)  # the supervisor's own agency row is needed to know its region
    assert not can_read({"role": "editor", "agency_id": 1}, dept) and can_write({"role": "admin"}, dept)


def test_register_events_and_the_due_views(desk):
    c, csrf = _client(desk, "staff_a")
    aid = desk["ag"]["A"]["id"]
    home = c.get("/desk").text
    assert 'id="nav-desk"' in home and A_NAME in home and B_NAME not in home
    form = c.get(f"/desk/{aid}/register").text
    assert 'name="number" value="2026-0001"' in form  # next free number of the year
    r = c.post(
        f"/desk/{aid}/register",
        data={
            "csrf": csrf,
            "number": "2026-0101",
            "channel": "online",
            "received": "2026-09-23",
            "applicant_type": "np",
            "applicant": "张三",
            "request": "申请公开某小区规划许可证",
            "handler": "王敏",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    url = r.headers["location"]
    app_id = int(url.rsplit("/", 1)[1])
    page = _text(c.get(url).text)
    # Received Wed 2026-09-23: 中秋 and 国庆 skipped, make-up Saturday 10-10 counted → due Wed 10-28.
    assert "答复期限：2026-10-28" in page and "10月1日（法定节假日（国庆节））" in page
    assert "计入调休上班日：10月10日" in page and "〔2026〕受字第1号" in page
    # Due soon on 10-22 (4 working days left), overdue on 10-29, listed under its handler.
    soon = c.get(f"/desk/{aid}", params={"view": "soon", "today": "2026-10-22"}).text
    assert f'id="due-{app_id}"' in soon and "2026-10-28（剩余工作日 4）" in _text(soon)
    assert (
        f'id="due-{app_id}"' not in c.get(f"/desk/{aid}", params={"view": "soon", "today": "2026-10-12"}).text
    )
    late = c.get(f"/desk/{aid}", params={"view": "overdue", "today": "2026-10-29"}).text
    assert f'id="due-{app_id}"' in late and "剩余工作日 -1" in late
    by = c.get(f"/desk/{aid}", params={"view": "handler", "today": "2026-10-22"}).text
    assert "王敏（1）" in _text(by)
    # An extension approved through the form: 20 more working days → Wed 2026-11-25.
    r = c.post(
        f"/desk/{aid}/applications/{app_id}/events",
        data={
            "csrf": csrf,
            "kind": "extension_approved",
            "date": "2026-10-20",
            "approver": "主任",
            "days": "20",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    page = _text(c.get(url).text)
    assert "答复期限：2026-11-25" in page and "批准人：主任；延长工作日数：20" in page
    assert "〔2026〕延字第1号" in page
    due = c.get(f"/api/desk/{aid}/due", params={"today": "2026-11-20"}).json()["items"]
    assert [(x["number"], x["due"], x["days_left"]) for x in due] == [("2026-0101", "2026-11-25", 3)]
    # A step the regulation does not allow is refused with its reason and nothing is recorded.
    again = c.post(
        f"/desk/{aid}/applications/{app_id}/events",
        data={
            "csrf": csrf,
            "kind": "extension_approved",
            "date": "2026-10-21",
            "approver": "主任",
            "days": "5",
        },
    )
    assert again.status_code == 422 and "延期答复只能一次" in again.text
    # Through the API: the answer closes the clock.
    s = c.get("/api/desk/session").json()
    assert s["user"]["username"] == "staff_a" and s["csrf"] == csrf
    ok = c.post(
        f"/api/desk/{aid}/applications/{app_id}/events",
        json={"kind": "answered", "date": "2026-11-02", "data": {"outcome": "granted"}},
        headers={"X-CSRF-Token": csrf},
    )
    assert ok.status_code == 201 and ok.json()["document_no"] == "〔2026〕答字第1号"
    got = c.get(f"/api/desk/{aid}/applications/{app_id}").json()
    assert got["status"] == "answered" and got["due"] is None and got["answered_late"] is False
    assert [e["kind"] for e in got["events"]] == ["registered", "extension_approved", "answered"]
    assert got["allowed_events"] == ["closed", "case_filed"]


def test_repeat_request_suggests_not_handling_it(desk):
    c, csrf = _client(desk, "staff_a")
    aid = desk["ag"]["A"]["id"]
    body = {
        "channel": "in_person",
        "received": "2026-11-02",
        "applicant_type": "np",
        "applicant": "赵六",
        "applicant_id": "440301199001011234",
        "request": "申请公开2025年度本局部门预算",
    }
    first = c.post(f"/api/desk/{aid}/applications", json=body, headers={"X-CSRF-Token": csrf})
    assert first.status_code == 201 and first.json()["repeats"] == []
    second = c.post(
        f"/api/desk/{aid}/applications",
        json=body | {"received": "2026-11-09", "request": "申请公开 2025年度本局部门预算。"},
        headers={"X-CSRF-Token": csrf},
    )
    assert second.status_code == 201
    assert [x["number"] for x in second.json()["repeats"]] == [first.json()["number"]]
    page = c.get(f"/desk/{aid}/applications/{second.json()['id']}").text
    assert 'id="repeat"' in page and "（五）不予处理2.重复申请" in page
    assert '<option value="rejected.duplicate" selected>' in page


def test_staff_cannot_read_or_change_another_agency(desk):
    c, csrf = _client(desk, "staff_a")
    bid, b_app = desk["ag"]["B"]["id"], desk["b_app"]
    aid = desk["ag"]["A"]["id"]
    for url in (
        f"/desk/{bid}",
        f"/desk/{bid}?view=overdue",
        f"/desk/{bid}/register",
        f"/desk/{bid}/applications/{b_app}",
        f"/desk/{bid}/applications/{b_app}/letters/1",
        f"/desk/{bid}/report/2026",
        f"/desk/{bid}/report/2026/docx",
        f"/desk/{bid}/export.xlsx",
        f"/api/desk/{bid}/applications",
        f"/api/desk/{bid}/applications/{b_app}",
        f"/api/desk/{bid}/due",
        f"/api/desk/{bid}/report/2026",
    ):
        r = c.get(url)
        assert r.status_code == 403, url
        assert "李四" not in r.text and "环评" not in r.text
    # B's application reached through A's own ledger does not exist there.
    assert c.get(f"/desk/{aid}/applications/{b_app}").status_code == 404
    assert c.get(f"/api/desk/{aid}/applications/{b_app}").status_code == 404
    writes = [
        c.post(f"/desk/{bid}/register", data={"csrf": csrf, "number": "X", "applicant": "x"}),
        c.post(
            f"/desk/{bid}/applications/{b_app}/events",
            data={"csrf": csrf, "kind": "answered", "date": "2026-10-09", "outcome": "granted"},
        ),
        c.post(f"/desk/{bid}/report/2026", data={"csrf": csrf, "t2.rules.issued": "3"}),
        c.post(f"/desk/{bid}/import", data={"csrf": csrf}, files={"file": ("x.xlsx", b"x")}),
        c.post(
            f"/api/desk/{bid}/applications/{b_app}/events",
            json={"kind": "answered", "date": "2026-10-09", "data": {"outcome": "granted"}},
            headers={"X-CSRF-Token": csrf},
        ),
        c.post(
            f"/api/desk/{bid}/applications",
            json={
                "channel": "online",
                "received": "2026-10-09",
                "applicant_type": "np",
                "applicant": "x",
                "request": "y",
            },
            headers={"X-CSRF-Token": csrf},
        ),
        # and through A's path: B's application is not A's to change
        c.post(
            f"/api/desk/{aid}/applications/{b_app}/events",
            json={"kind": "answered", "date": "2026-10-09", "data": {"outcome": "granted"}},
            headers={"X-CSRF-Token": csrf},
        ),
    ]
    assert [w.status_code for w in writes] == [403] * 6 + [404]
    _, events = desk["ledger"].get(b_app)
    assert [e.kind for e in events] == ["registered"] and desk["ledger"].applications([bid])[0][0].id == b_app
    assert desk["ledger"].year_inputs(bid, 2026).t2 == {}
    assert [a["name"] for a in c.get("/api/desk/agencies").json()] == [A_NAME]


def test_supervisor_reads_subordinates_read_only(desk):
    c, csrf = _client(desk, "city_sup")
    bid, b_app = desk["ag"]["B"]["id"], desk["b_app"]
    names = [a["name"] for a in c.get("/api/desk/agencies").json()]
    assert B_NAME in names and "广州市教育局" not in names
    page = c.get(f"/desk/{bid}")
    assert page.status_code == 200 and 'id="read-only"' in page.text and "登记新申请" not in page.text
    app_page = c.get(f"/desk/{bid}/applications/{b_app}").text
    assert "李四" in app_page and 'id="event-form"' not in app_page
    assert c.get(f"/api/desk/{bid}/applications/{b_app}").json()["number"] == "2026-0001"
    assert c.get(f"/desk/{bid}/report/2026").status_code == 200
    assert c.get(f"/api/desk/{bid}/report/2026").json()["cells"]["t3.new.total"] == 1
    # Read-only: every write is refused even with a valid token.
    assert c.get(f"/desk/{bid}/register").status_code == 403
    ev = {"kind": "answered", "date": "2026-10-09", "data": {"outcome": "granted"}}
    r = c.post(f"/api/desk/{bid}/applications/{b_app}/events", json=ev, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 403
    r = c.post(
        f"/desk/{bid}/applications/{b_app}/events",
        data={"csrf": csrf, "kind": "answered", "date": "2026-10-09", "outcome": "granted"},
    )
    assert r.status_code == 403
    assert c.post(f"/desk/{bid}/report/2026", data={"csrf": csrf}).status_code == 403
    assert len(desk["ledger"].get(b_app)[1]) == 1
    # Another city's supervisor sees nothing of Shenzhen.
    gz, _ = _client(desk, "gz_sup")
    assert gz.get(f"/desk/{bid}").status_code == 403
    assert gz.get(f"/api/desk/{bid}/applications/{b_app}").status_code == 403
    # An account of the report workbench has no desk.
    ed, _ = _client(desk, "editor")
    assert ed.get(f"/desk/{bid}").status_code == 403 and ed.get("/api/desk/agencies").status_code == 403


def test_anonymous_is_sent_to_the_login(desk):
    c, csrf = _client(desk, None)
    bid, b_app = desk["ag"]["B"]["id"], desk["b_app"]
    r = c.get(f"/desk/{bid}", params={"view": "soon"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login?next=/desk/")
    assert c.get("/desk", follow_redirects=False).headers["location"] == "/login?next=/desk"
    assert "台账" not in c.get("/").text.split("<main>")[0]
    for url in (f"/api/desk/{bid}/applications", f"/api/desk/{bid}/report/2026", "/api/desk/agencies"):
        assert c.get(url).status_code == 401
    ev = {"kind": "answered", "date": "2026-10-09", "data": {"outcome": "granted"}}
    r = c.post(f"/api/desk/{bid}/applications/{b_app}/events", json=ev, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 401
    r = c.post(f"/desk/{bid}/applications/{b_app}/events", data={"csrf": csrf}, follow_redirects=False)
    assert r.status_code == 303 and len(desk["ledger"].get(b_app)[1]) == 1


def test_csrf_is_enforced(desk):
    c, _ = _client(desk, "staff_b")
    bid, b_app = desk["ag"]["B"]["id"], desk["b_app"]
    form = {"kind": "correction_sent", "date": "2026-09-24"}
    assert (
        c.post(f"/desk/{bid}/applications/{b_app}/events", data=form | {"csrf": "forged"}).status_code == 403
    )
    assert c.post(f"/desk/{bid}/applications/{b_app}/events", data=form).status_code in (403, 422)
    ev = {"kind": "correction_sent", "date": "2026-09-24"}
    assert c.post(f"/api/desk/{bid}/applications/{b_app}/events", json=ev).status_code == 403
    bad = c.post(f"/api/desk/{bid}/applications/{b_app}/events", json=ev, headers={"X-CSRF-Token": "x"})
    assert bad.status_code == 403
    assert c.post("/desk/calendar", data={"csrf": "forged", "year": "2027"}).status_code == 403
    assert [e.kind for e in desk["ledger"].get(b_app)[1]] == ["registered"]


def test_user_strings_are_escaped(desk):
    c, csrf = _client(desk, "staff_a")
    aid = desk["ag"]["A"]["id"]
    body = {
        "channel": "fax",
        "received": "2026-11-03",
        "applicant_type": "biz",
        "applicant": "<script>alert(1)</script>公司",
        "request": '申请公开"><img src=x onerror=alert(2)>',
        "handler": "<b>王</b>",
    }
    r = c.post(f"/api/desk/{aid}/applications", json=body, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 201
    for url in (f"/desk/{aid}", f"/desk/{aid}?view=handler", f"/desk/{aid}/applications/{r.json()['id']}"):
        page = c.get(url).text
        assert "<script>alert(1)" not in page and "<img src=x" not in page and "<b>王</b>" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;公司" in page


def _t2(year: int) -> dict[str, str]:
    """Table 二 as an office would type it into the form."""
    rng, fmt = random.Random(year), format_for_year(year)
    t2 = {c: ("12.5" if fmt.kind_of(c) == "money" else str(rng.randint(0, 40))) for c in fmt.t2.cell_ids()}
    for c in [c for c in t2 if c.endswith(".published")]:  # 本年新公开 ≤ 对外公开总数量
        t2[c.replace("published", "total")] = str(
            max(int(t2[c]), int(t2.get(c.replace("published", "total"), 0)))
        )
    for row in (
        "rules",
        "normative",
    ):  # no previous year: 现行有效 = 制发 − 废止 is not checked, keep it sane
        t2[f"t2.{row}.in_force"] = str(int(t2[f"t2.{row}.issued"]) + 10)
    return t2


@pytest.fixture(scope="module")
def reported(tmp_path_factory):
    """An agency with a synthetic 2025 ledger of 80 applications and its staff logged in."""
    store = Store.open(f"sqlite:///{tmp_path_factory.mktemp('rep') / 'g.db'}")
    agency = store.agencies.add(A_NAME)
    store.users.add("staff", PASSWORD, "staff", agency["id"])
    ledger = Ledger(store)
    items = synthetic.generate(A_NAME, range(2025, 2026), 80, seed=5, as_of=D(2025, 12, 31))
    ledger.import_applications(items, "导入", agency["id"])
    desk = {"app": create_app(store=store)}
    c, csrf = _client(desk, "staff")
    return {"client": c, "csrf": csrf, "ledger": ledger, "id": agency["id"], "items": items}


def test_report_page_shows_the_tally_findings_and_reads_back(reported):
    c, csrf, ledger, aid = reported["client"], reported["csrf"], reported["ledger"], reported["id"]
    before = c.get(f"/desk/{aid}/report/2025").text
    report = ledger.report(aid, 2025)
    new = report.value("t3.new.total")
    assert new == 80 and 'data-cell="t3.new.total"' in before
    assert re.search(rf'data-cell="t3.new.total"[^>]*>{new}<', before)
    assert report.findings == [] and "未发现问题" in before and 'id="t2-missing"' in before
    # A narrative that states another number than the tables is caught before publishing.
    wrong = {"csrf": csrf, **_t2(2025), "section.s1": "本年度共收到政府信息公开申请5件。"}
    assert c.post(f"/desk/{aid}/report/2025", data=wrong, follow_redirects=False).status_code == 303
    page = c.get(f"/desk/{aid}/report/2025").text
    assert "正文称收到申请 5 件，表三“一、本年新收”总计为 80" in _text(page)
    assert 'data-cell="t3.new.total" class="flag-warning"' in page
    found = c.get(f"/api/desk/{aid}/report/2025").json()["findings"]
    assert [f["rule"] for f in found] == ["text.received"]
    r = c.post(
        f"/desk/{aid}/report/2025",
        data={
            "csrf": csrf,
            **_t2(2025),
            "section.s1": "本年度依申请公开工作平稳有序。",
            "signature_date": "2026-01-20",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    report = checked_report(ledger, aid, 2025)
    assert report.findings == [], [f.message for f in report.findings]
    page = c.get(f"/desk/{aid}/report/2025").text
    assert (
        'id="findings"' in page
        and "未发现问题" in page
        and 'id="t2-missing"' not in page
        and "本年度依申请公开工作平稳有序。" in page
    )
    # The counted number's tooltip names the applications behind it.
    forward = report.cells["t3.forward.total"]
    if forward.raw:
        assert forward.raw.split("、")[0] in page
    docx = c.get(f"/desk/{aid}/report/2025/docx")
    assert docx.status_code == 200 and "attachment" in docx.headers["content-disposition"]
    back = api.parse_bytes(docx.content, "report.docx")
    assert back.values() == report.values() and back.agency.name == A_NAME and back.year == 2025
    md = c.get(f"/desk/{aid}/report/2025/md")
    assert md.headers["content-type"].startswith("text/markdown") and "依申请公开" in md.text
    assert c.get(f"/desk/{aid}/report/2025/exe").status_code == 404
    assert c.get(f"/desk/{aid}/report/1990").status_code == 404
    assert c.get(f"/api/desk/{aid}/report/2025").json()["cells"]["t3.new.total"] == 80
    bad = c.post(f"/desk/{aid}/report/2025", data={"csrf": csrf, "t2.rules.issued": "三"})
    assert bad.status_code == 422 and "不是数字" in bad.text


def test_letter_download_per_event(reported):
    c, ledger, aid = reported["client"], reported["ledger"], reported["id"]
    app, events = ledger.applications([aid])[0]
    answered = next(e for e in events if e.kind == "answered")
    page = c.get(f"/desk/{aid}/applications/{app.id}").text
    assert f"/letters/{answered.seq}" in page
    r = c.get(f"/desk/{aid}/applications/{app.id}/letters/{answered.seq}")
    assert r.status_code == 200 and r.content[:2] == b"PK"
    from docx import Document

    text = "\n".join(p.text for p in Document(io.BytesIO(r.content)).paragraphs)
    assert answered.document_no in text and app.number in text
    closed = next(e for e in events if e.kind == "closed")
    assert c.get(f"/desk/{aid}/applications/{app.id}/letters/{closed.seq}").status_code == 404


def test_excel_export_and_all_or_nothing_import(reported, tmp_path):
    pytest.importorskip("gongkai.desk.excel")
    from openpyxl import load_workbook

    c, csrf, ledger, aid = reported["client"], reported["csrf"], reported["ledger"], reported["id"]
    x = c.get(f"/desk/{aid}/export.xlsx")
    assert x.status_code == 200
    ws = load_workbook(io.BytesIO(x.content))["台账"]
    assert ws.max_row == 1 + 80
    # A hand-kept ledger with one bad row: nothing imported, the row named.
    from openpyxl import Workbook

    wb = Workbook()
    sh = wb.active
    sh.append(["登记编号", "收到申请日期", "申请方式", "申请人", "申请人类型", "申请内容", "承办人"])
    sh.append(["2026-9001", D(2026, 3, 2), "当面提交", "孙七", "自然人", "申请公开某文件", "王敏"])
    sh.append(["2026-9002", "不是日期", "当面提交", "周八", "自然人", "申请公开另一文件", "王敏"])
    buf = io.BytesIO()
    wb.save(buf)
    r = c.post(f"/desk/{aid}/import", data={"csrf": csrf}, files={"file": ("t.xlsx", buf.getvalue())})
    assert r.status_code == 422 and 'id="row-errors"' in r.text
    assert re.search(r"<td>3</td><td>[^<]*收到申请日期", r.text)
    assert len(ledger.applications([aid])) == 80
    sh.delete_rows(3)
    buf = io.BytesIO()
    wb.save(buf)
    r = c.post(
        f"/desk/{aid}/import",
        data={"csrf": csrf},
        files={"file": ("t.xlsx", buf.getvalue())},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"].endswith("imported=1")
    assert len(ledger.applications([aid])) == 81


def test_calendar_override_moves_open_deadlines(desk):
    ledger, aid = desk["ledger"], desk["ag"]["A"]["id"]
    late = _register(ledger, desk["ag"]["A"], "2026-0900", D(2026, 12, 10), handler="冯", applicant="卫九")
    from gongkai.desk.ledger import Event

    ledger.append(late, Event("extension_approved", D(2026, 12, 30), "冯", {"approver": "主任", "days": 20}))
    staff, csrf_s = _client(desk, "staff_a")
    gap = staff.get(f"/desk/{aid}").text
    assert 'id="gaps"' in gap and "2027年的节假日安排尚未录入" in gap
    assert staff.post("/desk/calendar", data={"csrf": csrf_s, "year": "2027"}).status_code == 403
    admin, csrf = _client(desk, "root")
    page = admin.post(
        "/desk/calendar",
        data={
            "csrf": csrf,
            "year": "2027",
            "holidays": "2027-01-01, 2027-02-05~2027-02-11",
            "workdays": "2027-02-13",
            "note": "国办发明电",
        },
    )
    assert page.status_code == 200
    moved = page.text.split('id="moved"')[1].split("</table>")[0]
    due = next(x for x in ledger.open_deadlines([aid]) if x.app.id == late).due
    assert due is not None and due.year == 2027
    assert "2026-0900" in moved and due.isoformat() in moved and "无法计算" in moved
    assert "2027-02-13" in page.text.split('id="overrides"')[1]
    assert 'id="gaps"' not in staff.get(f"/desk/{aid}").text
    bad = admin.post("/desk/calendar", data={"csrf": csrf, "year": "2027", "holidays": "2028-01-01"})
    assert bad.status_code == 422 and "不属于2027年" in bad.text


def test_english_switch(desk):
    c, _ = _client(desk, "staff_a")
    aid = desk["ag"]["A"]["id"]
    assert "Application ledger" in c.get(f"/desk/{aid}", params={"lang": "en"}).text
    assert "依申请公开台账" in c.get(f"/desk/{aid}").text


def test_admin_sees_and_changes_every_agency(desk):
    c, csrf = _client(desk, "root")
    names = [a["name"] for a in c.get("/api/desk/agencies").json()]
    assert A_NAME in names and B_NAME in names
    assert "广州市教育局" in c.get("/desk", params={"q": "广州"}).text  # any agency, found by name
    bid = desk["ag"]["B"]["id"]
    r = c.post(
        f"/api/desk/{bid}/applications",
        json={
            "channel": "mail_signed",
            "received": "2026-11-16",
            "applicant_type": "legal",
            "applicant": "某律所",
        },
        headers={"X-CSRF-Token": csrf},
    )
    assert r.status_code == 422  # the request is required: pydantic refuses the body
    body = {"channel": "mail_signed", "received": "2026-11-16", "applicant_type": "legal"}
    body |= {"applicant": "某律师事务所", "request": "申请公开某项目审批材料"}
    r = c.post(f"/api/desk/{bid}/applications", json=body, headers={"X-CSRF-Token": csrf})
    assert (
        r.status_code == 201
        and r.json()["number"] == "2026-0002"
        and r.json()["events"][0]["actor"] == "root"
    )


def test_roles_on_postgresql(pg_url, tmp_path):
    store = Store.open(pg_url, files_dir=tmp_path / "files")
    try:
        a, b = store.agencies.add(A_NAME), store.agencies.add(B_NAME)
        store.users.add("staff_a", PASSWORD, "staff", a["id"])
        store.users.add("staff_b", PASSWORD, "staff", b["id"])
        desk = {"app": create_app(store=store)}
        ca, csrf_a = _client(desk, "staff_a")
        body = {"channel": "online", "received": "2026-09-23", "applicant_type": "np"}
        body |= {"applicant": "张三", "request": "申请公开某小区规划许可证"}
        r = ca.post(f"/api/desk/{a['id']}/applications", json=body, headers={"X-CSRF-Token": csrf_a})
        assert r.status_code == 201 and r.json()["due"] == "2026-10-28"
        cb, csrf_b = _client(desk, "staff_b")
        assert cb.get(f"/api/desk/{a['id']}/applications/{r.json()['id']}").status_code == 403
        ev = {"kind": "answered", "date": "2026-10-09", "data": {"outcome": "granted"}}
        url = f"/api/desk/{a['id']}/applications/{r.json()['id']}/events"
        assert cb.post(url, json=ev, headers={"X-CSRF-Token": csrf_b}).status_code == 403
        assert ca.post(url, json=ev, headers={"X-CSRF-Token": csrf_a}).status_code == 201
        assert ca.get(f"/api/desk/{a['id']}/report/2026").json()["cells"]["t3.granted.total"] == 1
    finally:
        store.close()
