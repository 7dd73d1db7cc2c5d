"""Web pages and REST API over a store holding the five seeds (TestClient; no browser).

Every test runs twice: on SQLite and on PostgreSQL (a database of its own on 127.0.0.1)."""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import cv2
import numpy as np
import pypdfium2 as pdfium
import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from gongkai import api
from gongkai.document import Provenance
from gongkai.ingest import ingest
from gongkai.report import Cell
from gongkai.store import Store
from gongkai.web import create_app
from gongkai.web.original import build_pane, page_png
from gongkai.writer import render

from .conftest import SEEDS, SHARED, pg_database, seed_path

REAL_PDF = SHARED / "fixtures" / "real" / "2024_淮安市人民政府.pdf"
EVIL_LINE = "<script>alert(1)</script>局"


@contextmanager
def _database(backend: str, folder: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{folder / 'g.db'}"
    else:
        with pg_database(f"gongkai_test_web_{os.getpid()}") as url:
            yield url


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def client(request, tmp_path_factory) -> Iterator[TestClient]:
    folder = tmp_path_factory.mktemp("web")
    with _database(request.param, folder) as url:
        store = Store.open(url, files_dir=folder / "files")
        ingest([SEEDS], store, workers=1)
        # An agency named like a script, read from an original that holds the script as text.
        evil = api.parse(seed_path("002"))
        evil.agency.name = EVIL_LINE
        evil.year = 2019
        sha = store.files.put(seed_path("002").read_bytes() + f"\n{EVIL_LINE}\n".encode(), "evil.txt")
        store.reports.save(evil, sha, "evil.txt")
        yield TestClient(create_app(store=store))
        store.close()


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


def test_lists_come_in_pages(client, monkeypatch):
    everything = client.get("/api/reports").json()
    assert len(everything) == 6
    page = client.get("/api/reports", params={"limit": 2, "offset": 2}).json()
    assert [r["version_id"] for r in page] == [r["version_id"] for r in everything[2:4]]
    assert client.get("/api/reports", params={"limit": 0}).status_code == 422
    monkeypatch.setattr("gongkai.web.reports.PAGE", 4)
    first, second = client.get("/reports").text, client.get("/reports", params={"page": 2}).text
    assert first.count("<tr class=") == 4 and 'rel="next"' in first and 'rel="prev"' not in first
    assert second.count("<tr class=") == 2 and 'rel="prev"' in second and 'rel="next"' not in second


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
    pane = client.get(f"/reports/{vid}/source").text  # the original's own text is escaped too
    assert "<script>" not in pane and "&lt;script&gt;alert(1)&lt;/script&gt;局" in pane


def test_report_page_checks_carry_over_against_last_year(store):
    this_year = api.parse(seed_path("000"))  # 2020: 上年结转 6 in total
    last_year = api.parse(seed_path("000"))
    last_year.year = 2019
    last_year.cells["t3.forward.total"].value = 7  # but last year's report carried 7 forward
    store.reports.save(last_year, "1" * 64, "2019.txt")
    vid, _ = store.reports.save(this_year, "2" * 64, "2020.txt")
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


def test_compare_ranking_comes_in_pages(client, monkeypatch):
    monkeypatch.setattr("gongkai.web.browse.COMPARE_PAGE", 2)
    whole = client.get("/api/compare", params={"year": 2020}).json()
    first = client.get("/compare", params={"year": 2020}).text
    second = client.get("/compare", params={"year": 2020, "page": 2}).text
    ranked = [r["agency"] for r in whole["rows"]]
    assert len(ranked) == 5  # the API gives the whole group
    assert ranked[0] in first and ranked[1] in first and ranked[2] not in first.split('id="compare"')[1]
    assert ranked[2] in second and 'rel="prev"' in second and 'rel="next"' in second
    assert 'rel="next"' in first and "page=2" in first
    n = f"n = {whole['stats']['n']}"
    assert n in first and n in second  # figures and charts are of the whole group


def test_coverage_tells_who_has_not_published(client):
    # expected publishers: every agency seen in any year (no list imported here)
    data = client.get("/api/coverage", params={"year": 2020}).json()
    states = {a["name"]: a["state"] for a in data["agencies"]}
    # the five seeds published for 2020; the agency seen only with a 2019 report did not
    assert states.pop(EVIL_LINE) == "missing" and data["tally"]["missing"] == 1
    assert len(states) == 5 and set(states.values()) <= {"on_time", "late", "undated"}
    later = client.get("/api/coverage", params={"year": 2021}).json()
    assert later["tally"]["missing"] == 6  # nobody has a 2021 report yet
    page = client.get("/coverage", params={"year": 2021}).text
    assert "鹤岗市南山区人民政府" in page and "未发布" in page


def test_report_page_shows_the_official_tables_with_the_broken_cell_marked(client):
    vid = _version(client, "深圳市龙岗区政务服务数据管理局")
    page = client.get(f"/reports/{vid}").text
    assert 'data-cell="t3.new.total" class="flag-error" title="1 · 第132行' in page
    assert "勾稽关系" in page  # the official header, merged as printed


def _login(client, user: str, password: str):
    form = client.get("/login").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', form).group(1)
    return client.post(
        "/login",
        data={"username": user, "password": password, "csrf": csrf, "next": "/upload"},
        follow_redirects=False,
    ), csrf


def test_upload_needs_a_login_and_a_csrf_token(store):
    store.users.add("zhang", "正确的密码-42", role="editor")
    client = TestClient(create_app(store=store))
    assert client.get("/upload", follow_redirects=False).headers["location"] == "/login?next=/upload"
    data = seed_path("000").read_bytes()
    anonymous = client.post(
        "/upload", files={"file": ("r.txt", data)}, data={"csrf": "x"}, follow_redirects=False
    )
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")
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
    assert store.failures.list()[0]["path"] == "empty.txt"


def test_agency_page_shows_the_years_and_their_links(store):
    last_year = api.parse(seed_path("000"))
    last_year.year = 2019
    last_year.cells["t3.forward.total"].value = 7
    store.reports.save(last_year, "1" * 64, "2019.txt")
    store.reports.save(api.parse(seed_path("000")), "2" * 64, "2020.txt")
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


# ---- the original beside the report ---------------------------------------------------------------


def test_report_page_loads_the_original_beside_it(client):
    vid = _version(client, "深圳市龙岗区政务服务数据管理局")
    page = client.get(f"/reports/{vid}").text
    # The pane comes by a second request, so the report page itself stays small and fast.
    assert f'hx-get="/reports/{vid}/source"' in page and "原件" in page and "src-L132" not in page
    pane = client.get(f"/reports/{vid}/source").text
    # seed 003, line 132 is "\t1": the cell's printed number is marked where it stands
    assert (
        '<div class="ln" id="src-L132"><span class="no">132</span>'
        '<span class="tx">\t<mark class="src-mark" data-cells="t3.new.total">1</mark></span></div>'
    ) in pane
    # a blank cell has no printed text: its whole line is marked
    assert '<div class="ln" id="src-L127" data-cells="t3.new.biz">' in pane
    where = client.get(f"/api/reports/{vid}/cells/t3.new.total/source").json()
    assert where["kind"] == "text" and where["anchor"] == "src-L132"
    assert where["span"] == [1, 2] and where["text"] == "1" and where["prov"]["line"] == 132
    assert client.get(f"/api/reports/{vid}/cells/t9.nothing/source").status_code == 404
    assert client.get("/reports/999999/source").status_code == 404
    english = client.get(f"/reports/{vid}", params={"lang": "en"}).text
    assert "Original" in english and "source?lang=en" in english


def test_pdf_original_is_a_page_image_with_the_cell_boxed(store):
    data = REAL_PDF.read_bytes()
    sha = store.files.put(data, REAL_PDF.name)
    vid, _ = store.reports.save(api.parse_bytes(data, REAL_PDF.name), sha, REAL_PDF.name)
    client = TestClient(create_app(store=store))
    pane = client.get(f"/reports/{vid}/source").text
    assert pane.count('<figure class="src-page"') == 6  # every page, images loaded lazily
    where = client.get(f"/api/reports/{vid}/cells/t3.new.total/source").json()
    assert (
        where["kind"] == "page"
        and where["page"] == 4
        and where["image"] == f"/reports/{vid}/pages/4.png?v={sha[:16]}"
    )
    assert re.search(
        f'<span class="src-box" id="{where["anchor"]}" data-box="[^"]+" data-cells="t3.new.total">', pane
    )

    png = client.get(where["image"])
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    assert png.content[:8] == b"\x89PNG\r\n\x1a\n"
    img = cv2.imdecode(np.frombuffer(png.content, np.uint8), cv2.IMREAD_GRAYSCALE)
    h, w = img.shape
    assert (w, h) == (where["width"], where["height"]) and 1000 <= w <= 2000 and 1.3 < h / w < 1.5  # A4
    x0, y0, x1, y1 = where["box"]
    assert 0 <= x0 < x1 <= w and 0 <= y0 < y1 <= h
    inner = img[round(y0) + 4 : round(y1) - 4, round(x0) + 4 : round(x1) - 4]  # inside the cell's rules
    assert (inner < 128).mean() > 0.02  # ink: the printed number is in the box
    # … and it is 3119: the same pixels taken back to PDF space (bottom-left origin) hold that text
    page = pdfium.PdfDocument(data)[3]
    pw, ph = page.get_size()
    k = w / pw
    text = page.get_textpage().get_text_bounded(
        left=x0 / k, bottom=ph - y1 / k, right=x1 / k, top=ph - y0 / k
    )
    assert text.strip() == "3119"
    assert client.get(where["image"]).content == png.content  # served again from the cache on disk
    assert client.get(f"/reports/{vid}/pages/7.png").status_code == 404


@pytest.mark.parametrize(("kind", "number"), [("html", "32"), ("docx", "262")], ids=["html", "docx"])
def test_html_and_docx_originals_are_drawn_with_the_cell_marked(store, kind, number):
    if kind == "html":
        data = (SHARED / "fixtures" / "pingtan" / "2025_gwh.html").read_bytes()
    else:  # the official layout written as DOCX, from seed 000
        data = render(api.parse(seed_path("000")), "docx")
    sha = store.files.put(data, f"r.{kind}")
    vid, _ = store.reports.save(api.parse_bytes(data, f"r.{kind}"), sha, f"r.{kind}")
    client = TestClient(create_app(store=store))
    pane = client.get(f"/reports/{vid}/source").text
    assert 'class="src-root src-document"' in pane and "政府信息公开工作年度报告" in pane
    cell = re.search(r'<td id="(src-b\d+-r3-c\d+)"[^>]*data-cells="t3\.new\.total">([^<]*)</td>', pane)
    assert cell and cell.group(2) == number
    where = client.get(f"/api/reports/{vid}/cells/t3.new.total/source").json()
    assert where["anchor"] == cell.group(1) and where["text"] == number


def test_a_scan_is_shown_scaled_with_the_cell_box_on_its_number():
    img = np.full((1000, 2000, 3), 255, np.uint8)
    (tw, th), base = cv2.getTextSize("1777", cv2.FONT_HERSHEY_SIMPLEX, 3, 6)
    cv2.putText(img, "1777", (1200, 600), cv2.FONT_HERSHEY_SIMPLEX, 3, (0, 0, 0), 6)
    bbox = (1180.0, 600.0 - th - 20, 1220.0 + tw, 620.0 + base)
    data = cv2.imencode(".png", img)[1].tobytes()
    cells = {"t3.new.total": Cell(1777, "1777", Provenance("scan.png", bbox=bbox))}  # one image: no page
    pane = build_pane(data, cells, lambda n: f"/p/{n}.png")
    where = pane.where["t3.new.total"]
    assert pane.kind == "pages" and where["page"] == 1 and (where["width"], where["height"]) == (1600, 800)
    assert where["box"] == pytest.approx([v * 0.8 for v in bbox], abs=0.1)  # shown at most 1600 wide
    shown = cv2.imdecode(np.frombuffer(page_png(data, 1), np.uint8), cv2.IMREAD_GRAYSCALE)
    assert shown.shape == (800, 1600)
    x0, y0, x1, y1 = (round(v) for v in where["box"])
    assert (shown[y0:y1, x0:x1] < 128).mean() > 0.05
    shown[y0:y1, x0:x1] = 255
    assert not (shown < 128).any()  # no ink outside the box: it sits on the number
    with pytest.raises(LookupError):
        page_png(data, 2)


def test_a_missing_original_is_said_not_crashed_on(store):
    vid, _ = store.reports.save(api.parse(seed_path("000")), "0" * 64, "gone.txt")  # never put in the store
    client = TestClient(create_app(store=store))
    assert "文件库中没有这份原件" in client.get(f"/reports/{vid}/source").text
    assert client.get(f"/reports/{vid}/pages/1.png").status_code == 404
