"""The review through the web and the API, on SQLite and PostgreSQL: who may read and write the review
state (reviewers within their region, admins; never outsiders or anonymous visitors), CSRF on every
write, decisions and statuses, the corrected version's diff, and the 通报 / 整改通知 downloads."""

from __future__ import annotations

import io
import re

import pytest
from docx import Document as Docx
from fastapi.testclient import TestClient

from gongkai import api
from gongkai.store import Store
from gongkai.web import create_app

from .conftest import seed_path

INSIDER = ("shenzhen", "深圳审核员的密码-1")  # reviews 440300 深圳市
OUTSIDER = ("heilongjiang", "黑龙江审核员密码-2")  # reviews 230000 黑龙江省
ADMIN = ("root", "管理员的密码-0003")


@pytest.fixture
def site(store: Store):
    ids = {}
    for p in ("000", "003", "004"):
        path = seed_path(p)
        sha = store.files.put(path.read_bytes(), path.name)
        ids[p], _ = store.reports.save(api.parse(path), sha, path.name)
    store.users.add(*INSIDER, role="reviewer", region_code="440300")
    store.users.add(*OUTSIDER, role="reviewer", region_code="230000")
    store.users.add(*ADMIN, role="admin")
    return store, ids


def client_for(store: Store, account: tuple[str, str] | None) -> tuple[TestClient, str]:
    c = TestClient(create_app(store=store))
    csrf = re.search(r'name="csrf" value="([^"]+)"', c.get("/login").text).group(1)
    if account:
        r = c.post(
            "/login",
            data={"username": account[0], "password": account[1], "csrf": csrf},
            follow_redirects=False,
        )
        assert r.status_code == 303
    return c, csrf


def _balance(store: Store, vid: int) -> int:
    return next(f["id"] for f in store.reviews.findings(vid) if f["rule"] == "t3.balance")


def test_outsiders_neither_read_nor_write_the_review_state(site):
    store, ids = site
    vid, fid = ids["003"], _balance(store, ids["003"])
    anonymous, _ = client_for(store, None)
    assert anonymous.get(f"/api/reports/{vid}/review").status_code == 401
    assert anonymous.get(f"/reports/{vid}").status_code == 200  # reading reports stays open …
    assert 'id="review"' not in anonymous.get(f"/reports/{vid}").text  # … the review state does not
    outsider, csrf = client_for(store, OUTSIDER)
    assert outsider.get(f"/api/reports/{vid}/review").status_code == 403
    page = outsider.get(f"/reports/{vid}").text
    assert 'id="review"' not in page and f'id="finding-{fid}"' not in page
    write = outsider.post(
        f"/api/findings/{fid}/decision", json={"decision": "confirmed"}, headers={"X-CSRF-Token": csrf}
    )
    assert write.status_code == 403
    form = outsider.post(
        f"/reports/{vid}/findings/{fid}", data={"csrf": csrf, "decision": "confirmed"}, follow_redirects=False
    )
    assert form.status_code == 403
    assert (
        outsider.post(
            f"/reports/{vid}/status", data={"csrf": csrf, "status": "rectify"}, follow_redirects=False
        ).status_code
        == 403
    )
    assert outsider.get(f"/reports/{vid}/notice.docx").status_code == 403
    assert outsider.get("/review/circular.docx", params={"year": 2020, "region": "440300"}).status_code == 403
    assert outsider.get(f"/api/reports/{ids['004']}/review").status_code == 200  # its own region: yes
    assert store.reviews.findings(vid)[0]["review"] is None and store.audit.list() == []


def test_a_reviewer_decides_within_its_region(site):
    store, ids = site
    vid, fid = ids["003"], _balance(store, ids["003"])
    c, csrf = client_for(store, INSIDER)
    assert (
        c.post(f"/api/findings/{fid}/decision", json={"decision": "confirmed"}).status_code == 403
    )  # no token
    no_reason = c.post(
        f"/api/findings/{fid}/decision", json={"decision": "dismissed"}, headers={"X-CSRF-Token": csrf}
    )
    assert no_reason.status_code == 422 and "理由" in no_reason.json()["detail"]
    ok = c.post(
        f"/reports/{vid}/findings/{fid}",
        data={"csrf": csrf, "decision": "confirmed", "reason": ""},
        follow_redirects=False,
    )
    assert ok.status_code == 303 and ok.headers["location"] == f"/reports/{vid}#finding-{fid}"
    state = c.get(f"/api/reports/{vid}/review").json()
    assert next(f for f in state["findings"] if f["id"] == fid)["review"] == "confirmed"
    bad = c.post(f"/reports/{vid}/status", data={"csrf": csrf, "status": "rectified"})
    assert bad.status_code == 422  # 待审核 cannot become 已整改
    c.post(f"/reports/{vid}/status", data={"csrf": csrf, "status": "rectify", "note": "请更正表三"})
    page = c.get(f"/reports/{vid}").text
    assert 'id="review-status" class="status status-rectify">需整改' in page
    assert (
        c.post(
            f"/reports/{vid}/notes",
            data={"csrf": csrf, "cell_id": "t3.new.total", "text": "原件为1"},
            follow_redirects=False,
        ).status_code
        == 303
    )
    assert [n["text"] for n in c.get(f"/api/reports/{vid}/review").json()["notes"]] == ["原件为1"]
    notice = c.get(f"/reports/{vid}/notice.docx")
    assert notice.status_code == 200
    cells = [x.text for t in Docx(io.BytesIO(notice.content)).tables for row in t.rows for x in row.cells]
    assert any("t3.balance" in x for x in cells)
    circular = c.get("/review/circular.docx", params={"year": 2020, "region": "440300"})
    text = "\n".join(p.text for p in Docx(io.BytesIO(circular.content)).paragraphs)
    assert "深圳市龙岗区政务服务数据管理局" in text and "鹤岗" not in text
    assert c.get("/review/circular.docx", params={"year": 2020, "region": "230000"}).status_code == 403
    assert c.get("/audit").status_code == 403  # the audit log is for admins
    admin, _ = client_for(store, ADMIN)
    log = admin.get("/api/audit").json()
    assert [e["action"] for e in log][:4] == [
        "circular.download",
        "note.add",
        "review.status",
        "finding.confirmed",
    ]
    assert log[-1]["actor"] == INSIDER[0]


def test_an_uploaded_correction_becomes_the_current_version_with_its_diff(site):
    store, ids = site
    c, csrf = client_for(store, INSIDER)
    lines = seed_path("003").read_text(encoding="utf-8").split("\n")
    assert lines[131] == "\t1"
    lines[131] = "\t2"
    done = c.post(
        "/upload",
        files={"file": ("龙岗更正.txt", "\n".join(lines).encode())},
        data={"csrf": csrf},
        follow_redirects=False,
    )
    assert done.status_code == 303
    vid = int(done.headers["location"].rsplit("/", 1)[1])
    page = c.get(f"/reports/{vid}").text
    assert 'id="corrected"' in page and f"/reports/{vid}/diff?against={ids['003']}" in page
    diff = c.get(f"/reports/{vid}/diff").text
    assert re.search(r"本年新收.*?</td><td>1</td><td>2</td>", diff, re.S)
    assert store.reports.rows(agency="深圳市龙岗区政务服务数据管理局")[0]["version_id"] == vid
    assert c.get(f"/reports/{ids['000']}/diff").status_code == 404  # a first version has nothing to diff


@pytest.mark.parametrize(
    "path",
    [
        "/reports/{n}",
        "/reports/{n}/diff",
        "/api/reports/{n}/review",
        "/reports/{n}/original",
        "/api/reports/{n}",
    ],
)
def test_ids_beyond_any_integer_are_not_found(site, path):
    store, _ = site
    c, _ = client_for(store, ADMIN)
    assert c.get(path.format(n=10**20)).status_code in (404, 422)
