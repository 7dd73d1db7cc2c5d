"""Issue 12/16 web security through the app: headers, CSRF on every write, API tokens, sessions that
end, disabled accounts, login throttling, password rules, integer path parameters, the audit log."""

from __future__ import annotations

import io
import re
import time

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook

from gongkai.ingest import ingest
from gongkai.store import Store
from gongkai.web import create_app
from gongkai.web.base import MAX_ID
from gongkai.web.security import PUBLIC_WRITES

from .conftest import SEEDS, seed_path
from .workbench import api_routes

PASSWORD = "Secur3-口令-2026"
AGENCY = "深圳市南山区教育局"
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def _csrf(text: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', text).group(1)


def _login(app, user: str, password: str = PASSWORD) -> tuple[TestClient, str]:
    c = TestClient(app)
    csrf = _csrf(c.get("/login").text)
    r = c.post(
        "/login",
        data={"username": user, "password": password, "csrf": csrf, "next": "/"},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    return c, csrf


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """Seeds ingested, an agency, and one account per role."""
    store = Store.open(f"sqlite:///{tmp_path_factory.mktemp('sec') / 'g.db'}")
    ingest([SEEDS], store, workers=1)
    agency = store.agencies.add(AGENCY)
    store.users.add("root", PASSWORD, "admin")
    store.users.add("editor", PASSWORD, "editor")
    store.users.add("staff", PASSWORD, "staff", agency["id"])
    app = create_app(store=store)
    return {"store": store, "app": app, "agency": agency}


def _finding(store: Store) -> tuple[int, int]:
    """A (version id, finding id) of an ingested seed."""
    from sqlalchemy import select

    from gongkai.store.models import FindingRow

    F = FindingRow.__table__
    with store.engine.connect() as conn:
        row = conn.execute(select(F.c.version_id, F.c.id).order_by(F.c.id)).first()
    return row.version_id, row.id


# ---- headers ------------------------------------------------------------------------------------------


def test_security_headers_on_every_response(site):
    c = TestClient(site["app"])
    answers = [
        c.get("/"),
        c.get("/reports"),
        c.get("/api/reports"),
        c.get("/no-such-page"),
        c.get("/static/app.css"),
        c.get("/upload", follow_redirects=False),
        c.post("/login", content=b"x" * (2 * 1024 * 1024), headers={"content-type": "text/plain"}),
    ]
    assert [a.status_code for a in answers] == [200, 200, 200, 404, 200, 303, 413]
    for a in answers:
        csp = a.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert "frame-ancestors 'none'" in csp and "style-src 'self'" in csp
        assert a.headers["x-frame-options"] == "DENY"
        assert a.headers["x-content-type-options"] == "nosniff"
        assert a.headers["referrer-policy"] == "same-origin"
        assert "strict-transport-security" not in a.headers  # plain HTTP here
    assert "strict-transport-security" in TestClient(site["app"], base_url="https://x").get("/").headers


def test_an_unexpected_error_still_carries_the_headers(tmp_path):
    app = create_app(f"sqlite:///{tmp_path / 'g.db'}")

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("a defect")

    r = TestClient(app, raise_server_exceptions=False).get("/boom")
    assert r.status_code == 500 and "a defect" not in r.text
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    assert r.headers["x-content-type-options"] == "nosniff"


def test_templates_have_no_inline_script_style_or_handlers():
    from gongkai.web.base import HERE

    for t in sorted((HERE / "templates").glob("*.html")):
        text = t.read_text(encoding="utf-8")
        for tag in re.findall(r"<script\b[^>]*>", text):
            assert "src=" in tag, f"{t.name}: inline script {tag}"
        assert not re.search(r"<style\b", text), t.name
        assert not re.search(r"\sstyle\s*=", text), t.name
        assert not re.search(r"\son[a-z]+\s*=", text), t.name
        assert not re.search(r"hx-on|javascript:", text), t.name
    base = (HERE / "templates" / "base.html").read_text(encoding="utf-8")
    assert '"includeIndicatorStyles": false' in base  # htmx would otherwise inject a <style>


# ---- CSRF, tokens -------------------------------------------------------------------------------------


def _fill(path: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: "root" if m.group(1) == "username" else "1", path)


def test_every_state_changing_route_needs_a_token(site):
    app, store = site["app"], site["store"]
    routes = [(m, _fill(r.path)) for r in api_routes(app) for m in sorted(r.methods & UNSAFE)]
    assert len(routes) >= 20 and ("POST", "/admin/users/root/role") in routes
    _, read = store.users.add_token("root", "read")
    before = store.audit.count()
    anonymous = TestClient(app)
    anonymous.get("/login")  # the session has a token; it is not sent
    admin, _ = _login(app, "root")
    for method, path in routes:
        a = anonymous.request(method, path, follow_redirects=False)
        expected = (403,) if PUBLIC_WRITES.match(path) else (401, 303)  # public: CSRF still
        assert a.status_code in expected, (method, path, a.status_code)
        for who, answer in [
            ("session", admin.request(method, path, follow_redirects=False)),
            ("form", admin.request(method, path, data={"csrf": "forged"}, follow_redirects=False)),
            ("json", admin.request(method, path, json={}, headers={"X-CSRF-Token": "x"})),
            (
                "read token",
                TestClient(app).request(method, path, headers={"Authorization": f"Bearer {read}"}),
            ),
        ]:
            assert answer.status_code == 403, (who, method, path, answer.status_code)
    assert store.audit.count() == before  # nothing was written
    assert store.users.by_name("root")["role"] == "admin"


def test_api_tokens_read_write_and_revoke(site):
    app, store = site["app"], site["store"]
    tid, write = store.users.add_token("staff", "write", note="script")
    _, read = store.users.add_token("staff", "read")
    assert write.startswith("gk_") and store.users.tokens("staff")[0]["note"] == "script"
    assert all(len(t) > 40 and t not in str(store.users.tokens()) for t in (read, write))
    aid = site["agency"]["id"]
    c = TestClient(app)  # no cookie at all
    assert c.get(f"/api/desk/{aid}/applications").status_code == 401
    r = c.get(f"/api/desk/{aid}/applications", headers={"Authorization": f"Bearer {read}"})
    assert r.status_code == 200
    body = {
        "channel": "online",
        "received": "2026-03-02",
        "applicant_type": "np",
        "applicant": "张三",
        "request": "申请公开某文件",
    }
    denied = c.post(f"/api/desk/{aid}/applications", json=body, headers={"Authorization": f"Bearer {read}"})
    assert denied.status_code == 403 and "read-only" in denied.json()["detail_en"]
    ok = c.post(f"/api/desk/{aid}/applications", json=body, headers={"Authorization": f"Bearer {write}"})
    assert ok.status_code == 201, ok.text
    entry = store.audit.list(action="desk.register")[0]
    assert entry["actor"] == "staff" and entry["target"] == f"application {ok.json()['id']}"
    store.users.revoke_token(tid)
    gone = c.post(f"/api/desk/{aid}/applications", json=body, headers={"Authorization": f"Bearer {write}"})
    assert gone.status_code == 401
    bogus = c.get(f"/api/desk/{aid}/applications", headers={"Authorization": "Bearer gk_nope"})
    assert bogus.status_code == 401


# ---- sessions, disabled accounts, passwords -------------------------------------------------------


def test_sessions_end_on_logout_password_and_role_change(store):
    store.users.add("wang", PASSWORD, "editor")
    app = create_app(store=store)

    def stolen(c: TestClient) -> TestClient:
        copy = TestClient(app)
        copy.cookies.update(c.cookies)
        return copy

    def can_upload(c: TestClient) -> bool:
        return c.get("/upload", follow_redirects=False).status_code == 200

    c, csrf = _login(app, "wang")
    copy = stolen(c)
    assert can_upload(copy)
    assert c.post("/logout", data={"csrf": csrf}, follow_redirects=False).status_code == 303
    assert not can_upload(copy)  # the copied cookie died with the logout
    c, csrf = _login(app, "wang")
    copy = stolen(c)
    r = c.post("/account/password", data={"csrf": csrf, "current": PASSWORD, "new": "短"})
    assert r.status_code == 422 and "至少需要 10 个字符" in r.text
    r = c.post(
        "/account/password", data={"csrf": csrf, "current": PASSWORD, "new": "New-口令-2027"}, params={}
    )
    assert r.status_code == 200 and "密码已修改" in r.text
    assert can_upload(c) and not can_upload(copy)  # this session goes on, the others end
    assert store.audit.list(action="user.password")[0]["target"] == "wang"
    c, _ = _login(app, "wang", "New-口令-2027")
    assert can_upload(c)
    store.users.update("wang", role="viewer")
    store.users.update("wang", role="editor")
    assert not can_upload(c)  # a role change ends the sessions even when changed back


def test_a_disabled_account_cannot_write_with_its_old_cookie(site):
    app, store = site["app"], site["store"]
    store.users.add("temp_admin", PASSWORD, "admin")
    store.users.add("temp_staff", PASSWORD, "staff", site["agency"]["id"])
    admin, a_csrf = _login(app, "temp_admin")
    staff, s_csrf = _login(app, "temp_staff")
    version, finding = _finding(store)
    root, r_csrf = _login(app, "root")
    for name in ("temp_admin", "temp_staff"):
        r = root.post(f"/admin/users/{name}/disable", data={"csrf": r_csrf}, follow_redirects=False)
        assert r.status_code == 303
    aid = site["agency"]["id"]
    data = seed_path("000").read_bytes()
    up = admin.post("/upload", files={"file": ("r.txt", data)}, data={"csrf": a_csrf}, follow_redirects=False)
    decide = admin.post(
        f"/reports/{version}/findings/{finding}",
        data={"csrf": a_csrf, "decision": "dismissed", "reason": "x"},
        follow_redirects=False,
    )
    register = staff.post(
        f"/desk/{aid}/register",
        data={"csrf": s_csrf, "number": "2026-0500", "channel": "online", "received": "2026-03-02"},
        follow_redirects=False,
    )
    event = staff.post(
        f"/api/desk/{aid}/applications/1/events",
        json={"kind": "closed", "date": "2026-03-03"},
        headers={"X-CSRF-Token": s_csrf},
    )
    for r in (up, decide, register):
        assert r.status_code == 303 and r.headers["location"].startswith("/login"), r.status_code
    assert event.status_code == 401
    assert not [e for e in store.audit.list() if e["actor"] in ("temp_admin", "temp_staff")]
    assert TestClient(app).post("/login", data={"username": "temp_staff"}).status_code in (403, 422)
    c = TestClient(app)
    csrf = _csrf(c.get("/login").text)
    r = c.post("/login", data={"username": "temp_staff", "password": PASSWORD, "csrf": csrf})
    assert r.status_code == 401  # disabled: the right password no longer logs in
    root.post("/admin/users/temp_staff/enable", data={"csrf": r_csrf})
    _login(app, "temp_staff")


def test_admin_accounts_page_and_password_rules(site):
    app, store = site["app"], site["store"]
    root, csrf = _login(app, "root")
    page = root.get("/admin/users").text
    assert 'id="user-editor"' in page and 'id="add-user"' in page
    editor, _ = _login(app, "editor")
    assert editor.get("/admin/users").status_code == 403
    for pw, zh in [
        ("short-1", "至少需要 10 个字符"),
        ("abcdefghijkl", "不能全是同一类字符"),
        ("12345678901", "不能全是同一类字符"),
        ("xx-newbie-2026", "不能包含用户名"),
    ]:
        r = root.post(
            "/admin/users", data={"csrf": csrf, "username": "newbie", "password": pw, "role": "viewer"}
        )
        assert r.status_code == 422 and zh in r.text, (pw, r.text[-500:])
    en = root.post(
        "/admin/users?lang=en",
        data={"csrf": csrf, "username": "newbie", "password": "short", "role": "viewer"},
    )
    assert "at least 10 characters" in en.text
    ok = root.post(
        "/admin/users",
        data={"csrf": csrf, "username": "newbie", "password": "Good-口令-2026", "role": "viewer"},
        follow_redirects=False,
    )
    assert ok.status_code == 303 and store.users.by_name("newbie")["role"] == "viewer"
    r = root.post("/admin/users/newbie/role", data={"csrf": csrf, "role": "editor"}, follow_redirects=False)
    assert r.status_code == 303 and store.users.by_name("newbie")["role"] == "editor"
    assert root.post("/admin/users/root/disable", data={"csrf": csrf}).status_code == 403
    assert root.post("/admin/users/root/role", data={"csrf": csrf, "role": "viewer"}).status_code == 403
    r = root.post("/admin/users/newbie/password", data={"csrf": csrf, "password": "Reset-口令-99"})
    assert r.status_code == 200
    _login(app, "newbie", "Reset-口令-99")


# ---- login throttling ---------------------------------------------------------------------------------


def test_login_throttle_locks_then_ends_and_doubles(store):
    store.users.add("li", PASSWORD, "editor")
    app = create_app(store=store)
    now = [1000.0]
    throttle = app.state.web.throttle
    throttle.clock = lambda: now[0]
    c = TestClient(app)
    csrf = _csrf(c.get("/login").text)

    def attempt(password: str, user: str = "li"):
        return c.post(
            "/login", data={"username": user, "password": password, "csrf": csrf}, follow_redirects=False
        )

    assert [attempt("wrong-one").status_code for _ in range(5)] == [401] * 5
    locked = attempt(PASSWORD)
    assert locked.status_code == 429 and "15 分钟后再试" in locked.text
    assert locked.headers["retry-after"] == "900"
    now[0] += 15 * 60 + 1
    assert attempt(PASSWORD).status_code == 303  # the lockout ends; success clears the count
    assert [attempt("wrong").status_code for _ in range(5)] == [401] * 5
    assert attempt(PASSWORD).status_code == 429
    now[0] += 15 * 60 + 1
    assert [attempt("wrong").status_code for _ in range(5)] == [401] * 5  # second lockout: 30 min
    now[0] += 15 * 60 + 1
    assert attempt(PASSWORD).status_code == 429
    now[0] += 15 * 60
    assert attempt(PASSWORD).status_code == 303
    # per address: twenty failures over many names lock the address for every name
    for i in range(20):
        attempt("x", f"ghost{i}")
    assert attempt(PASSWORD).status_code == 429


def test_every_web_worker_sees_the_same_lockout(store):
    """``serve --workers N``: each worker builds its own app over the same database; five failures
    spread over two workers lock the account in both (the counts are in the store, not in memory)."""
    store.users.add("wu", PASSWORD, "editor")
    workers = [create_app(store=store), create_app(store=store)]
    clients = [TestClient(app) for app in workers]
    tokens = [_csrf(c.get("/login").text) for c in clients]

    def attempt(k: int, password: str):
        data = {"username": "wu", "password": password, "csrf": tokens[k]}
        return clients[k].post("/login", data=data, follow_redirects=False)

    assert [attempt(i % 2, "wrong-guess").status_code for i in range(5)] == [401] * 5
    assert attempt(0, PASSWORD).status_code == 429 and attempt(1, PASSWORD).status_code == 429
    row = store.logins.attempt([("user:wu", 5)], now=time.time(), lockout=900, longest=86400)
    assert 890 < row <= 900  # still locked for the rest of its 15 minutes, wherever it is asked


def test_a_locked_login_is_refused_before_any_hashing(store, monkeypatch):
    """The throttle answers without Argon2: count the hashes the store is asked for."""
    from gongkai.store import users

    store.users.add("zhao", PASSWORD, "editor")
    app = create_app(store=store)
    c = TestClient(app)
    csrf = _csrf(c.get("/login").text)
    hashes = []
    real = users._hasher
    monkeypatch.setattr(users, "_hasher", lambda: hashes.append(1) or real())
    for _ in range(12):
        c.post("/login", data={"username": "zhao", "password": "bad-guess", "csrf": csrf})
    assert len(hashes) == 5


# ---- integers in paths ----------------------------------------------------------------------------------


def test_huge_integers_in_paths_are_404_or_422_never_500(site):
    app = site["app"]
    root, csrf = _login(app, "root")
    staff, s_csrf = _login(app, "staff")
    checked = 0
    for route in api_routes(app):
        ints = [f.name for f in route.dependant.path_params if f.field_info.annotation is int]
        if not ints:
            continue
        for big in (10**20, 2**63, -(10**20)):
            path = route.path
            for p in re.findall(r"\{(\w+)\}", path):
                value = str(big) if p in ints else "root" if p == "username" else "docx"
                path = path.replace("{" + p + "}", value)
            for method in sorted(route.methods - {"HEAD"}):
                for who, token in ((root, csrf), (staff, s_csrf)):
                    r = who.request(method, path, headers={"X-CSRF-Token": token}, follow_redirects=False)
                    assert r.status_code in (404, 422), (method, path, r.status_code)
                    checked += 1
        # the largest id in range reaches the handler: not found (or sent to a form), never a 500
        path = re.sub(
            r"\{(\w+)\}", lambda m, ints=ints: str(MAX_ID) if m.group(1) in ints else "docx", route.path
        )
        if "GET" in route.methods and "/year" not in route.path:
            assert root.get(path, follow_redirects=False).status_code in (303, 404, 422), path
    assert checked >= 150


# ---- the audit log ------------------------------------------------------------------------------------


def test_every_kind_of_web_write_is_in_the_audit_log(site):
    app, store = site["app"], site["store"]
    aid = site["agency"]["id"]
    root, csrf = _login(app, "root")
    staff, s_csrf = _login(app, "staff")
    data = seed_path("001").read_bytes()
    assert root.post("/upload", files={"file": ("r.txt", data)}, data={"csrf": csrf}).status_code == 200
    version, finding = _finding(store)
    root.post(f"/reports/{version}/findings/{finding}", data={"csrf": csrf, "decision": "confirmed"})
    root.post(f"/reports/{version}/notes", data={"csrf": csrf, "cell_id": "t3.new.total", "text": "核对"})
    csv = "机关,区划代码\n深圳市南山区人民政府,440305\n".encode()
    assert (
        root.post(
            "/coverage/import", files={"file": ("list.csv", csv)}, data={"csrf": csrf}, follow_redirects=False
        ).status_code
        == 303
    )
    root.post(
        "/admin/users",
        data={"csrf": csrf, "username": "audited", "password": "Audit-口令-01", "role": "viewer"},
    )
    root.post("/admin/users/audited/role", data={"csrf": csrf, "role": "editor"})
    root.post("/admin/users/audited/disable", data={"csrf": csrf})
    root.post("/admin/users/audited/enable", data={"csrf": csrf})
    root.post("/admin/users/audited/password", data={"csrf": csrf, "password": "Other-口令-02"})
    assert (
        root.post("/desk/calendar", data={"csrf": csrf, "year": "2027", "holidays": "2027-01-01"}).status_code
        == 200
    )
    r = staff.post(
        f"/desk/{aid}/register",
        data={
            "csrf": s_csrf,
            "number": "2026-0301",
            "channel": "online",
            "received": "2026-03-02",
            "applicant_type": "np",
            "applicant": "张三",
            "request": "申请公开某文件",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    app_id = int(r.headers["location"].rsplit("/", 1)[1])
    r = staff.post(
        f"/desk/{aid}/applications/{app_id}/events",
        data={
            "csrf": s_csrf,
            "kind": "extension_approved",
            "date": "2026-03-20",
            "approver": "主任",
            "days": "20",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    staff.post(f"/desk/{aid}/report/2025", data={"csrf": s_csrf, "t2.rules.issued": "3"})
    wb = Workbook()
    wb.active.append(["登记编号", "收到申请日期", "申请方式", "申请人", "申请人类型", "申请内容", "承办人"])
    wb.active.append(["2026-9001", "2026-03-02", "当面提交", "孙七", "自然人", "申请公开某文件", "王敏"])
    buf = io.BytesIO()
    wb.save(buf)
    r = staff.post(
        f"/desk/{aid}/import",
        data={"csrf": s_csrf},
        files={"file": ("t.xlsx", buf.getvalue())},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    log = {(e["actor"], e["action"]) for e in store.audit.list(limit=1000)}
    for who, action in [
        ("root", "report.upload"),
        ("root", "finding.confirmed"),
        ("root", "note.add"),
        ("root", "expected.import"),
        ("root", "user.add"),
        ("root", "user.role"),
        ("root", "user.disable"),
        ("root", "user.enable"),
        ("root", "user.password"),
        ("root", "desk.calendar"),
        ("staff", "desk.register"),
        ("staff", "desk.event"),
        ("staff", "desk.report_inputs"),
        ("staff", "desk.import"),
    ]:
        assert (who, action) in log, (who, action)
    role = store.audit.list(action="user.role")[0]
    assert role["before"] == {"role": "viewer"} and role["after"] == {"role": "editor"}
    exported = root.get("/audit.csv").text
    assert "desk.event" in exported and "user.disable" in exported
    assert staff.get("/audit").status_code == 403
