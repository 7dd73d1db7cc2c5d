"""Issue 16 item 8, on SQLite and PostgreSQL through the app: an integer a URL brings (an id in a path, a
year, a page, ``against=``, ``ids=``…) that no column can hold, or that is absurd, answers 404/422 and
never 500; a report printing a count larger than the store holds is saved with that cell unreadable
(``conf.value_unreadable``), by ``gongkai ingest`` and by an upload alike."""

from __future__ import annotations

import re
import typing
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from gongkai.extract import values as V
from gongkai.ingest import ingest
from gongkai.store import Store
from gongkai.web import create_app
from gongkai.web.base import MAX_ID

from .conftest import SEEDS, seed_path
from .workbench import api_routes

PASSWORD = "Big-整数-口令-2026"
HUGE = (10**20, 2**63, MAX_ID + 1, -(10**20), 0)


def _is_int(annotation) -> bool:
    """int, int | None, Annotated[int, …] | None …"""
    if typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    return annotation is int or any(_is_int(a) for a in typing.get_args(annotation))


def _query_params(dependant):
    """Every query parameter of a route, those of its dependencies (the list filters) included."""
    yield from dependant.query_params
    for sub in dependant.dependencies:
        yield from _query_params(sub)


def _login(app, user: str) -> tuple[TestClient, str]:
    c = TestClient(app)
    csrf = re.search(r'name="csrf" value="([^"]+)"', c.get("/login").text).group(1)
    r = c.post("/login", data={"username": user, "password": PASSWORD, "csrf": csrf}, follow_redirects=False)
    assert r.status_code == 303, r.text
    return c, csrf


@pytest.fixture
def site(store: Store):
    ingest([SEEDS], store, workers=1)
    agency = store.agencies.add("深圳市南山区教育局")
    store.users.add("root", PASSWORD, "admin")
    store.users.add("staff", PASSWORD, "staff", agency["id"])
    app = create_app(store=store)
    return store, app


def test_every_integer_in_a_path_is_range_checked(site):
    _, app = site
    root, csrf = _login(app, "root")
    staff, s_csrf = _login(app, "staff")
    checked = 0
    for route in api_routes(app):
        ints = {f.name for f in route.dependant.path_params if _is_int(f.field_info.annotation)}
        if not ints:
            continue

        def fill(value, route=route, ints=ints):
            return re.sub(
                r"\{(\w+)\}",
                lambda m: (
                    str(value) if m.group(1) in ints else "root" if m.group(1) == "username" else "docx"
                ),
                route.path,
            )

        for big in HUGE:
            for method in sorted(route.methods - {"HEAD"}):
                for who, token in ((root, csrf), (staff, s_csrf)):
                    r = who.request(
                        method, fill(big), headers={"X-CSRF-Token": token}, follow_redirects=False
                    )
                    assert r.status_code in (404, 422), (method, fill(big), r.status_code)
                    checked += 1
        # the largest id a column holds reaches the handler and its query: an answer, never a 500
        for method in sorted(route.methods - {"HEAD"}):
            r = root.request(method, fill(MAX_ID), headers={"X-CSRF-Token": csrf}, follow_redirects=False)
            assert r.status_code < 500, (method, fill(MAX_ID), r.status_code)
    assert checked >= 300


def test_every_integer_in_a_query_is_range_checked(site):
    store, app = site
    root, _ = _login(app, "root")
    probed = set()
    for route in api_routes(app):
        if "GET" not in route.methods or "{" in route.path:
            continue
        for p in _query_params(route.dependant):
            name = p.alias or p.name
            if _is_int(p.field_info.annotation):
                for big in (10**20, 2**63, MAX_ID + 1, -1):
                    r = root.get(route.path, params={name: str(big)}, follow_redirects=False)
                    assert r.status_code == 422, (route.path, name, big, r.status_code)
                probed.add((route.path, name))
    assert {("/coverage", "imported"), ("/watch", "year"), ("/reports", "page")} <= probed
    vid = store.reports.rows(limit=1)[0]["version_id"]
    # integers typed as text (the list filters' year takes "unknown" too), ids in a list, ``against=``
    for path, name in (
        ("/reports", "year"),
        ("/api/reports", "year"),
        ("/api/export", "year"),
        ("/review", "year"),
        ("/regions", "year"),
        ("/compare", "year"),
        ("/api/coverage", "year"),
        ("/compare", "ids"),
        ("/api/compare", "ids"),
        (f"/reports/{vid}/diff", "against"),
    ):
        for big in (10**20, 2**63, -(10**20), MAX_ID + 1):
            r = root.get(path, params={name: str(big)}, follow_redirects=False)
            assert r.status_code in (404, 422), (path, name, big, r.status_code)
    # years outside 1990–2100 are refused; the years that exist and "unknown" still work
    for path in ("/reports", "/api/reports", "/review", "/api/coverage", "/watch", "/regions"):
        for year in ("1800", "1989", "2101", "99999"):
            assert root.get(path, params={"year": year}).status_code == 422, (path, year)
    assert root.get("/reports?year=1800").status_code == 422
    assert root.get("/reports?year=abc").status_code == 422
    assert root.get("/review/circular.docx?year=1800").status_code == 422
    assert root.get("/reports?year=2020").status_code == 200
    assert root.get("/reports?year=unknown").status_code == 200
    for path in ("/reports", "/regions", "/coverage", "/compare", "/watch", "/review"):
        assert root.get(f"{path}?year=").status_code == 200, path  # a blank year: the latest
    assert root.get(f"/compare?ids={vid}").status_code == 200
    assert root.get(f"/reports/{vid}/diff", params={"against": MAX_ID}).status_code == 404


def test_a_year_form_field_of_any_size_is_refused(site):
    """The desk's calendar takes its year from a form: a huge one is a 422, never a 500."""
    _, app = site
    root, csrf = _login(app, "root")
    for year in (str(10**20), "-5", "0", "1800"):
        r = root.post("/desk/calendar", data={"csrf": csrf, "year": year, "holidays": "", "workdays": ""})
        assert r.status_code == 422, (year, r.status_code)


def test_desk_table_two_figures_beyond_what_a_report_holds_are_refused(site):
    """Table 二 typed at the desk: a count over MAX_COUNT, an infinite or not-a-number amount is a 422
    naming the cell, and the report page still opens; an ordinary figure is kept."""
    from gongkai.formats import format_for_year

    store, app = site
    staff, csrf = _login(app, "staff")
    aid = store.users.by_name("staff")["agency_id"]
    ids = format_for_year(2025).t2.cell_ids()
    count, money = ids[0], "t2.fees.amount"
    for cid, value in ((count, str(10**20)), (count, str(V.MAX_COUNT + 1)), (money, "1e400"), (money, "nan")):
        r = staff.post(f"/desk/{aid}/report/2025", data={"csrf": csrf, cid: value}, follow_redirects=False)
        assert r.status_code == 422 and "超出可记录的范围" in r.text, (cid, value, r.status_code)
        assert staff.get(f"/desk/{aid}/report/2025").status_code == 200
        assert staff.get(f"/api/desk/{aid}/report/2025").status_code == 200
    ok = staff.post(f"/desk/{aid}/report/2025", data={"csrf": csrf, count: "12"}, follow_redirects=False)
    assert ok.status_code == 303
    assert staff.get(f"/api/desk/{aid}/report/2025").json()["cells"][count] == 12


# ---- a count larger than the store holds -----------------------------------------------------------------


def test_counts_beyond_what_the_store_holds_are_unreadable():
    assert V.parse(str(V.MAX_COUNT)).value == 2_147_483_647
    for text in (str(V.MAX_COUNT + 1), "99999999999999999999", "9" * 400):
        with pytest.raises(V.BadValue, match="larger than any count"):
            V.parse(text)
    with pytest.raises(V.BadValue):
        V.parse("3000000000（+5）", "delta")  # the stated total too (an INTEGER column)
    with pytest.raises(V.BadValue):
        V.parse("9" * 400 + "元", "money")  # not a finite number
    assert V.parse("99999999999999元", "money").value == pytest.approx(9_999_999_999.9999)


def _oversized(tmp_path: Path) -> Path:
    """Seed 001 with a table-三 count of 10^20 and a table-二 stated total of 3,000,000,000."""
    text = seed_path("001").read_text(encoding="utf-8")
    changed = text.replace(
        "一、本年新收政府信息公开申请数量\t\t1696", "一、本年新收政府信息公开申请数量\t\t" + "9" * 20
    )
    changed = changed.replace("行政许可\t630\t-369", "行政许可\t630\t3000000000（+5）")
    assert changed.count("9" * 20) == 1 and "3000000000（+5）" in changed
    path = tmp_path / "oversized.txt"
    path.write_text(changed, encoding="utf-8")
    return path


def _unreadable(store: Store, vid: int) -> set[str]:
    report = store.reports.load(vid)
    return {c for f in report.findings if f.rule == "conf.value_unreadable" for c in f.cells}


def test_ingest_saves_a_report_with_an_oversized_count(store: Store, tmp_path: Path):
    big = _oversized(tmp_path)
    stats = ingest([SEEDS, big], store, workers=1)
    assert (stats.ingested, stats.failed) == (6, 0), stats.failures
    assert store.failures.list() == []
    row = next(r for r in store.reports.rows() if r["source"] == str(big))
    assert {"t3.new.np", "t2.licensing.change"} <= _unreadable(store, row["version_id"])
    report = store.reports.load(row["version_id"])
    assert report.cells["t3.new.np"].value is None and report.cells["t3.new.np"].raw == "9" * 20


def test_upload_saves_a_report_with_an_oversized_count(store: Store, tmp_path: Path):
    store.users.add("editor", PASSWORD, "editor")
    app = create_app(store=store)
    c, csrf = _login(app, "editor")
    data = _oversized(tmp_path).read_bytes()
    r = c.post(
        "/upload", files={"file": ("oversized.txt", data)}, data={"csrf": csrf}, follow_redirects=False
    )
    assert r.status_code == 303, r.text
    vid = int(r.headers["location"].rsplit("/", 1)[1])
    assert c.get(f"/reports/{vid}").status_code == 200
    rules = {(f["rule"], tuple(f["cells"])) for f in c.get(f"/api/reports/{vid}/findings").json()}
    assert ("conf.value_unreadable", ("t3.new.np",)) in rules
    assert store.failures.list() == []
