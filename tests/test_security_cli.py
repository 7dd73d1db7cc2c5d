"""Accounts and API tokens from the command line: user-add/-passwd/-role/-disable/-enable, token-add
/-revoke/-list, all audited; and ``serve`` wiring its security options."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import httpx
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from gongkai.cli import app
from gongkai.store import Store
from gongkai.web import create_app

runner = CliRunner()
PASSWORD = "Secur3-口令-2026"


@pytest.fixture
def db(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'g.db'}"


def _cli(*args: str, password: str | None = None):
    env = {"GONGKAI_PASSWORD": password} if password is not None else {}
    return runner.invoke(app, list(args), env=env)


def test_user_commands_apply_the_rules_and_are_audited(db):
    weak = _cli("user-add", "chen", "--db", db, password="short")
    assert weak.exit_code != 0 and "至少需要 10 个字符" in weak.output
    same = _cli("user-add", "chen", "--db", db, password="chen-2026-xyz")
    assert same.exit_code != 0 and "不能包含用户名" in same.output
    assert _cli("user-add", "chen", "--db", db, password=PASSWORD).exit_code == 0
    r = _cli("user-passwd", "chen", "--db", db, password="aaaaaaaaaaaa")
    assert r.exit_code == 1 and "不能全是同一类字符" in r.output and "mix kinds" in r.output
    assert _cli("user-passwd", "chen", "--db", db, password="New-口令-2027").exit_code == 0
    assert _cli("user-passwd", "nobody", "--db", db, password="New-口令-2027").exit_code == 1
    assert _cli("user-role", "chen", "reviewer", "--db", db).exit_code == 0
    assert _cli("user-role", "chen", "emperor", "--db", db).exit_code != 0
    assert _cli("user-disable", "chen", "--db", db).exit_code == 0
    listed = _cli("user-list", "--db", db)
    assert "chen" in listed.output and "reviewer" in listed.output and "disabled" in listed.output
    assert _cli("user-enable", "chen", "--db", db).exit_code == 0
    store = Store.open(db)
    user = store.users.by_name("chen")
    assert user["role"] == "reviewer" and not user["disabled"]
    assert store.users.authenticate("chen", "New-口令-2027") is not None
    actions = [e["action"] for e in reversed(store.audit.list())]
    assert actions == ["user.add", "user.password", "user.role", "user.disable", "user.enable"]
    assert store.audit.list(action="user.role")[0]["before"] == {"role": "editor"}
    store.close()


def test_disable_from_the_cli_ends_a_web_session(db):
    assert _cli("user-add", "zhou", "--db", db, password=PASSWORD).exit_code == 0
    store = Store.open(db)
    client = TestClient(create_app(store=store))
    csrf = client.get("/login").text.split('name="csrf" value="')[1].split('"')[0]
    r = client.post(
        "/login", data={"username": "zhou", "password": PASSWORD, "csrf": csrf}, follow_redirects=False
    )
    assert r.status_code == 303
    assert client.get("/upload", follow_redirects=False).status_code == 200
    assert _cli("user-disable", "zhou", "--db", db).exit_code == 0
    assert client.get("/upload", follow_redirects=False).status_code == 303
    assert _cli("user-enable", "zhou", "--db", db).exit_code == 0
    assert client.get("/upload", follow_redirects=False).status_code == 303  # the old session stays ended
    store.close()


def test_tokens_are_shown_once_stored_hashed_and_revocable(db):
    store = Store.open(db)
    aid = store.agencies.add("深圳市南山区教育局")["id"]
    added = _cli("user-add", "bot", "--role", "staff", "--agency", f"#{aid}", "--db", db, password=PASSWORD)
    assert added.exit_code == 0, added.output
    bad = _cli("token-add", "bot", "--scope", "admin", "--db", db)
    assert bad.exit_code == 1 and "scope must be read or write" in bad.output
    made = runner.invoke(app, ["token-add", "bot", "--scope", "write", "--note", "nightly", "--db", db])
    assert made.exit_code == 0
    token = made.stdout.strip().splitlines()[-1]
    assert token.startswith("gk_") and len(token) > 40
    with store.engine.connect() as conn:
        dump = "\n".join(str(row) for row in conn.exec_driver_sql("SELECT * FROM api_token"))
    assert token not in dump and store.users.tokens()[0]["note"] == "nightly"
    client = TestClient(create_app(store=store))
    auth = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/desk/session", headers=auth).json()["user"]["username"] == "bot"
    body = {
        "channel": "online",
        "received": "2026-03-02",
        "applicant_type": "np",
        "applicant": "张三",
        "request": "申请公开某文件",
    }
    url = f"/api/desk/{aid}/applications"
    assert client.post(url, json=body, headers=auth).status_code == 201  # no cookie, no CSRF token
    listed = _cli("token-list", "--db", db)
    assert "bot" in listed.output and "write" in listed.output and token not in listed.output
    tid = store.users.tokens()[0]["id"]
    assert _cli("token-revoke", str(tid), "--db", db).exit_code == 0
    assert client.post(url, json=body, headers=auth).status_code == 401
    assert _cli("token-revoke", "999", "--db", db).exit_code == 1
    actions = [e["action"] for e in store.audit.list()]
    assert "token.add" in actions and "token.revoke" in actions
    store.close()


def test_serve_wires_secure_cookies_and_proxy_headers(db):
    """``gongkai serve --secure-cookies --proxy-headers`` as a real process behind a (pretend) proxy on
    127.0.0.1: X-Forwarded-Proto is believed (HSTS is sent for HTTPS) and the session cookie is Secure;
    without the options, neither."""
    from .workbench import free_port

    Store.open(db).close()
    for options, https in (
        (["--secure-cookies", "--proxy-headers", "--trusted-proxies", "127.0.0.1"], True),
        (
            [],
            False,
        ),
    ):
        port = free_port()
        env = {k: v for k, v in os.environ.items() if k != "GONGKAI_SECURE_COOKIES"}
        proc = subprocess.Popen(
            [sys.executable, "-m", "gongkai.cli", "serve", "--db", db, "--port", str(port), *options], env=env
        )
        try:
            for _ in range(300):
                try:
                    r = httpx.get(f"http://127.0.0.1:{port}/login", headers={"X-Forwarded-Proto": "https"})
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            cookie = r.headers["set-cookie"].lower()
            assert ("strict-transport-security" in r.headers) is https
            assert ("secure" in cookie) is https and "samesite=strict" in cookie and "httponly" in cookie
        finally:
            proc.terminate()
            proc.wait(timeout=20)
