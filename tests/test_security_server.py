"""Issue 12/16 against a real server process (``uvicorn gongkai.web:create_app --factory``): memory under
a burst of logins, the event loop during a slow import and a slow (trickled) upload, bodies refused before
they are read, and a reader's crash ending as a clear answer."""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import socket
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from gongkai.store import Store

from .conftest import seed_path
from .workbench import server_process

PASSWORD = "Secur3-口令-2026"
AGENCY = "深圳市南山区教育局"
QUIET = ("--log-level", "warning")


@contextmanager
def server(db: str, **env: str) -> Iterator[tuple[str, int]]:
    """The workbench in a process of its own: (base URL, pid)."""
    args = [sys.executable, "-m", "uvicorn", "gongkai.web:create_app", "--factory", *QUIET]
    with server_process(args, {**os.environ, "GONGKAI_DB": db, **env}) as up:
        yield up


def _rss_mb(pid: int, key: str = "VmHWM") -> float:
    """Resident memory of the process from /proc (VmHWM: the peak so far)."""
    text = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(rf"^{key}:\s+(\d+) kB", text, re.M).group(1)) / 1024


def _session(base: str) -> tuple[httpx.Client, str]:
    c = httpx.Client(base_url=base, timeout=120)
    csrf = re.search(r'name="csrf" value="([^"]+)"', c.get("/login").text).group(1)
    return c, csrf


def _login(base: str, user: str) -> tuple[httpx.Client, str]:
    c, csrf = _session(base)
    r = c.post("/login", data={"username": user, "password": PASSWORD, "csrf": csrf, "next": "/"})
    assert r.status_code == 303, r.text
    return c, csrf


@pytest.fixture
def db(tmp_path) -> str:
    url = f"sqlite:///{tmp_path / 'g.db'}"
    store = Store.open(url)
    store.users.add("editor", PASSWORD, "editor")
    agency = store.agencies.add(AGENCY)
    store.users.add("staff", PASSWORD, "staff", agency["id"])
    store.close()
    return url


def test_forty_concurrent_bad_logins_keep_the_server_under_500_mb(db):
    """Issue 16.6: each Argon2 hash takes 64 MiB; forty at once took the server to ~2 GB."""
    with server(db) as (base, pid):
        sessions = [_session(base) for _ in range(40)]
        before = _rss_mb(pid, "VmRSS")
        start = threading.Barrier(40)
        codes: list[int] = []

        def guess(i: int) -> None:
            c, csrf = sessions[i]
            start.wait()
            r = c.post("/login", data={"username": f"guess{i}", "password": "not-it-123", "csrf": csrf})
            codes.append(r.status_code)

        threads = [threading.Thread(target=guess, args=(i,)) for i in range(40)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        peak = _rss_mb(pid)
        print(f"server RSS before {before:.0f} MB, peak {peak:.0f} MB; answers {sorted(codes)}")
        assert len(codes) == 40 and set(codes) <= {401, 429}
        assert codes.count(401) >= 20  # twenty hashes really ran (the address limit), then lockout
        assert peak < 500


def _workbook(rows: int) -> bytes:
    from gongkai.desk import synthetic
    from gongkai.desk.excel import export_ledger

    items = synthetic.generate(AGENCY, range(2025, 2026), rows, seed=5, as_of=dt.date(2025, 12, 31))
    for i, (app, _) in enumerate(items, 1):
        app.id = i
    return export_ledger(items)


def test_a_slow_import_does_not_hold_up_other_requests(db):
    """Issue 16.3: the desk's Excel import parses in a thread; GETs meanwhile answer within 200 ms."""
    data = _workbook(1000)  # seconds of parsing even on a quiet machine
    with server(db) as (base, _):
        staff, csrf = _login(base, "staff")
        aid = staff.get("/api/desk/agencies").json()[0]["id"]
        done: dict[str, float] = {}

        def run_import() -> None:
            t = time.monotonic()
            r = staff.post(f"/desk/{aid}/import", data={"csrf": csrf}, files={"file": ("l.xlsx", data)})
            done["status"], done["seconds"] = r.status_code, time.monotonic() - t

        other = httpx.Client(base_url=base, timeout=30)
        other.get("/login")  # warm
        worker = threading.Thread(target=run_import)
        worker.start()
        time.sleep(0.3)  # the upload is in and being parsed
        waits = []
        while worker.is_alive():
            t = time.monotonic()
            assert other.get("/login").status_code == 200
            waits.append(time.monotonic() - t)
            time.sleep(0.05)
        worker.join()
        print(
            f"import {done['seconds']:.1f} s; {len(waits)} GETs meanwhile, slowest {max(waits) * 1000:.0f} ms"
        )
        assert done["status"] == 303 and done["seconds"] > 1  # imported, and it really was slow
        print([round(w * 1000) for w in waits])
        # Blocked, a GET would wait the whole import (seconds). On a loaded shared machine the OS alone
        # delays the odd request, so: nine in ten within 200 ms, none beyond half a second.
        assert len(waits) >= 5 and sorted(waits)[int(len(waits) * 0.9)] < 0.2 and max(waits) < 0.5


def test_a_slow_upload_does_not_hold_up_other_requests(db):
    """Issue 16 acceptance: a report upload whose body trickles in over seconds (a slow link) leaves the
    server answering: GETs of a page and of the API meanwhile within 200 ms; the upload then lands."""
    with server(db) as (base, _):
        editor, csrf = _login(base, "editor")
        cookie = "; ".join(f"{k}={v}" for k, v in editor.cookies.items())
        boundary = "gongkaiTrickle"
        body = (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n{csrf}\r\n'
                f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="slow.txt"\r\n'
                "Content-Type: text/plain\r\n\r\n"
            ).encode()
            + seed_path("000").read_bytes()
            + f"\r\n--{boundary}--\r\n".encode()
        )
        head = (
            "POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
            f"Content-Length: {len(body)}\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n"
        ).encode()
        pieces = 40
        size = -(-len(body) // pieces)
        done: dict[str, object] = {}

        def trickle() -> None:
            t = time.monotonic()
            port = int(base.rsplit(":", 1)[1])
            with socket.create_connection(("127.0.0.1", port), timeout=60) as s:
                s.sendall(head)
                for i in range(0, len(body), size):
                    s.sendall(body[i : i + size])
                    time.sleep(0.1)  # ~4 s for the whole body
                done["sent"] = time.monotonic() - t
                answer = b""
                while chunk := s.recv(65536):
                    answer += chunk
            done["answer"], done["seconds"] = answer, time.monotonic() - t

        other = httpx.Client(base_url=base, timeout=30)
        other.get("/login")  # warm
        other.get("/api/reports")
        worker = threading.Thread(target=trickle)
        worker.start()
        time.sleep(0.3)  # the upload has started and is waiting for its body
        waits = []
        while worker.is_alive():
            for path in ("/login", "/api/reports"):
                t = time.monotonic()
                assert other.get(path).status_code == 200
                waits.append(time.monotonic() - t)
            time.sleep(0.05)
        worker.join()
        answer = done["answer"]
        assert isinstance(answer, bytes)
        print(
            f"upload trickled over {done['sent']:.1f} s; {len(waits)} GETs meanwhile, "
            f"slowest {max(waits) * 1000:.0f} ms"
        )
        assert answer.startswith(b"HTTP/1.1 303"), answer[:300]  # the upload landed: sent to the report
        assert b"location: /reports/" in answer.lower()
        assert done["sent"] > 3  # and it really was slow
        # Blocked, a GET would wait for the whole body. On a loaded shared machine the OS alone delays
        # the odd request, so (as for the slow import): nine in ten within 200 ms, none beyond half a second.
        assert len(waits) >= 20 and sorted(waits)[int(len(waits) * 0.9)] < 0.2 and max(waits) < 0.5
    store = Store.open(db)
    assert [r["source"] for r in store.reports.rows()] == ["upload:editor/slow.txt"]
    store.close()


def _raw(base: str, head: bytes, body: bytes = b"", wait: float = 5) -> bytes:
    port = int(base.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=wait) as s:
        s.sendall(head + body)
        out = b""
        try:
            while chunk := s.recv(65536):
                out += chunk
        except (TimeoutError, ConnectionResetError):
            pass
        return out


def test_bodies_over_the_limit_are_refused_before_they_are_read(db):
    with server(db) as (base, _):
        # a 50 MB declared body, none of it sent: answered at once from the Content-Length
        t = time.monotonic()
        head = b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        out = _raw(base, head + b"Content-Length: 52428800\r\n\r\n", b"csrf=x")
        assert out.startswith(b"HTTP/1.1 413") and time.monotonic() - t < 3
        assert b"request too large (limit 1 MB)" in out and b"content-security-policy" in out.lower()
        # a streamed body without a length: counted as it comes, refused past 1 MB
        with httpx.Client(base_url=base, timeout=30) as c:

            def chunks():
                for _ in range(40):
                    yield b"a" * 65536

            r = c.post(
                "/api/findings/1/decision", content=chunks(), headers={"content-type": "application/json"}
            )
            assert r.status_code == 413
        # an upload may be larger: 3 MB reaches the upload handler (and is read as a file)
        editor, csrf = _login(base, "editor")
        big = seed_path("000").read_bytes() + b"\n" * (3 * 1024 * 1024)
        r = editor.post("/upload", data={"csrf": csrf}, files={"file": ("big.txt", big)})
        assert r.status_code in (303, 422), r.status_code
        for path, length in (("/upload", 201 * 1024 * 1024), ("/desk/1/import", 21 * 1024 * 1024)):
            head = f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\n"
            out = _raw(base, f"{head}Content-Length: {length}\r\n\r\n".encode(), b"--b\r\n")
            assert out.startswith(b"HTTP/1.1 413"), (path, out[:100])


def test_a_reader_crash_on_upload_is_a_clear_422_not_a_500(db, tmp_path):
    """Issue 16.2. The OCR reader reads its thread count from the environment; a server started with a
    bad value makes the image reader raise ValueError (not a GongkaiError) on every scan uploaded."""
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (800, 300), "white")
    ImageDraw.Draw(img).text((20, 20), "2023 annual report", fill="black")
    buf = io.BytesIO()
    img.save(buf, "PNG")
    with server(db, GONGKAI_OCR_THREADS="two") as (base, _):
        editor, csrf = _login(base, "editor")
        r = editor.post("/upload", data={"csrf": csrf}, files={"file": ("scan.png", buf.getvalue())})
        assert r.status_code == 422 and "scan.png: 读取失败（ValueError）" in r.text
        r = editor.post("/upload?lang=en", data={"csrf": csrf}, files={"file": ("scan.png", buf.getvalue())})
        assert "could not be read (ValueError)" in r.text
        ok = editor.post(
            "/upload", data={"csrf": csrf}, files={"file": ("r.txt", seed_path("000").read_bytes())}
        )
        assert ok.status_code == 303  # the server is fine
    store = Store.open(db)
    failure = store.failures.list()[0]
    assert failure["path"] == "scan.png" and "ValueError" in failure["error_en"]
    store.close()
