"""Web pages and REST API over a store holding the five seeds (TestClient; no browser)."""

from __future__ import annotations

import io

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from gongkai import api
from gongkai.ingest import ingest
from gongkai.store import Store
from gongkai.web import create_app

from .conftest import SEEDS, seed_path


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    store = Store.open(f"sqlite:///{tmp_path_factory.mktemp('web') / 'g.db'}")
    ingest([SEEDS], store, workers=1)
    evil = api.parse(seed_path("002"))
    evil.agency.name = "<script>alert(1)</script>局"
    evil.year = 2019
    store.save_report(evil, "f" * 64, "evil.txt")
    return TestClient(create_app(store=store))


def _version(client, agency: str) -> int:
    return next(r["version_id"] for r in client.get("/api/reports").json() if r["agency"] == agency)


def test_dashboard_counts_and_chart(client):
    page = client.get("/")
    assert page.status_code == 200
    assert 'id="n-reports">6<' in page.text and "echarts-6.1.0.min.js" in page.text


def test_report_page_highlights_the_broken_cells(client):
    vid = _version(client, "深圳市龙岗区政务服务数据管理局")
    page = client.get(f"/reports/{vid}")
    assert page.status_code == 200
    assert "一+二 (1) ≠ 三（七）+四 (2)" in page.text
    assert 'id="cell-t3.new.total" class="flag-error"' in page.text
    assert "第132行" in page.text  # where the number came from
    assert client.get(f"/reports/{vid}/original").content == seed_path("003").read_bytes()


def test_api_and_filters(client):
    rows = client.get("/api/reports", params={"errors": "true", "year": 2020}).json()
    assert [r["agency"] for r in rows] == ["深圳市龙岗区政务服务数据管理局"]
    vid = _version(client, "深圳市南山区人民政府")
    doc = client.get(f"/api/reports/{vid}").json()
    assert doc["cells"]["t3.new.total"] == 262 and doc["agency"]["region"]["code"] == "440305"
    assert client.get("/api/reports/999999").status_code == 404
    assert [r["agency"] for r in client.get("/api/reports", params={"q": "依申请公开"}).json()]
    assert client.get("/api/openapi.json").json()["info"]["title"] == "gongkai"


def test_export_xlsx_reads_back(client):
    resp = client.get("/api/export", params={"format": "xlsx", "year": 2020})
    ws = load_workbook(io.BytesIO(resp.content)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][1] == "发布机关" and len(rows) == 6


def test_user_strings_are_escaped(client):
    page = client.get("/reports")
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;局" in page.text
    vid = _version(client, "<script>alert(1)</script>局")
    assert "<script>alert(1)" not in client.get(f"/reports/{vid}").text


def test_report_page_checks_carry_over_against_last_year(tmp_path):
    store = Store.open(f"sqlite:///{tmp_path / 'x.db'}")
    this_year = api.parse(seed_path("000"))  # 2020: 上年结转 6 in total
    last_year = api.parse(seed_path("000"))
    last_year.year = 2019
    last_year.cells["t3.forward.total"].value = 7  # but last year's report carried 7 forward
    store.save_report(last_year, "1" * 64, "2019.txt")
    vid, _ = store.save_report(this_year, "2" * 64, "2020.txt")
    page = TestClient(create_app(store=store)).get(f"/reports/{vid}").text
    assert "xyear.carried" in page and "上年报告" in page


def test_compare_ranks_by_a_defined_ratio(client):
    page = client.get("/compare", params={"year": 2020})
    assert (
        page.status_code == 200
        and "公开率" in page.text
        and "（予以公开 + 部分公开）÷ 办理结果总计" in page.text
    )
    data = client.get("/api/compare", params={"year": 2020, "rank": "disclosure_rate"}).json()
    rates = {r["agency"]: r["ratios"]["disclosure_rate"] for r in data["rows"]}
    assert rates["深圳市南山区人民政府"] == pytest.approx((100 + 49) / 235)
    assert rates["广州市南沙区人民政府"] == pytest.approx((799 + 84) / 1749)
    assert rates["鹤岗市南山区人民政府"] is None  # 0 handled: no ratio is made up
    ranked = [r["agency"] for r in data["rows"]]
    # 149/235 = 63 % > 883/1749 = 50 % > 10/35 = 29 %; reports without the ratio come last
    assert (
        ranked.index("深圳市南山区人民政府")
        < ranked.index("广州市南沙区人民政府")
        < ranked.index("深圳市盐田区人民政府")
    )
    assert ranked[-1] in ("鹤岗市南山区人民政府", "深圳市龙岗区政务服务数据管理局")


def test_coverage_tells_who_has_not_published(client):
    names = "深圳市南山区人民政府\n某某市不存在局\n广州市南沙区人民政府"
    data = client.get("/api/coverage", params={"year": 2020, "names": names}).json()
    assert data == {
        "published": ["深圳市南山区人民政府", "广州市南沙区人民政府"],
        "missing": ["某某市不存在局"],
    }
    assert client.get("/api/coverage", params={"year": 2021, "names": names}).json()[
        "missing"
    ] == names.split("\n")
    page = client.get("/coverage", params={"year": 2020, "names": names}).text
    assert "某某市不存在局" in page and "发布情况" in page


def test_report_page_shows_the_official_tables_with_the_broken_cell_marked(client):
    vid = _version(client, "深圳市龙岗区政务服务数据管理局")
    page = client.get(f"/reports/{vid}").text
    assert 'data-cell="t3.new.total" class="flag-error" title="1 · 第132行' in page
    assert "勾稽关系" in page  # the official header, merged as printed


def _login(client, user: str, password: str):
    form = client.get("/login").text
    import re

    csrf = re.search(r'name="csrf" value="([^"]+)"', form).group(1)
    return client.post(
        "/login",
        data={"username": user, "password": password, "csrf": csrf, "next": "/upload"},
        follow_redirects=False,
    ), csrf


def test_upload_needs_a_login_and_a_csrf_token(tmp_path):
    store = Store.open(f"sqlite:///{tmp_path / 'u.db'}")
    store.add_user("zhang", "正确的密码-42", role="editor")
    client = TestClient(create_app(store=store))
    assert client.get("/upload", follow_redirects=False).headers["location"] == "/login?next=/upload"
    data = seed_path("000").read_bytes()
    anonymous = client.post("/upload", files={"file": ("r.txt", data)}, data={"csrf": "x"})
    assert anonymous.status_code == 403
    bad, _ = _login(client, "zhang", "错的")
    assert bad.status_code == 401 and "用户名或密码不正确" in bad.text
    ok, csrf = _login(client, "zhang", "正确的密码-42")
    assert ok.status_code == 303 and ok.headers["location"] == "/upload"
    forged = client.post("/upload", files={"file": ("r.txt", data)}, data={"csrf": "forged"})
    assert forged.status_code == 403
    done = client.post(
        "/upload", files={"file": ("南山区.txt", data)}, data={"csrf": csrf}, follow_redirects=False
    )
    assert done.status_code == 303
    page = client.get(done.headers["location"]).text
    assert "深圳市南山区人民政府" in page
    bad_file = client.post("/upload", files={"file": ("empty.txt", b"")}, data={"csrf": csrf})
    assert bad_file.status_code == 422 and "文件为空" in bad_file.text
    assert store.failures()[0]["path"] == "empty.txt"


def test_agency_page_shows_the_years_and_their_links(tmp_path):
    store = Store.open(f"sqlite:///{tmp_path / 'a.db'}")
    last_year = api.parse(seed_path("000"))
    last_year.year = 2019
    last_year.cells["t3.forward.total"].value = 7
    store.save_report(last_year, "1" * 64, "2019.txt")
    store.save_report(api.parse(seed_path("000")), "2" * 64, "2020.txt")
    client = TestClient(create_app(store=store))
    data = client.get("/api/agency", params={"name": "深圳市南山区人民政府", "region": "440305"}).json()
    assert [y["year"] for y in data["years"]] == [2019, 2020]
    assert data["years"][0]["cross_year"] == []
    links = data["years"][1]["cross_year"]
    assert {f["rule"] for f in links} == {"xyear.carried"}
    total = next(f for f in links if "t3.carried.total" in f["cells"])
    assert "6" in total["message"] and "7" in total["message"]
    page = client.get("/agency", params={"name": "深圳市南山区人民政府"}).text
    assert "上年报告" in page and "公开率" in page
