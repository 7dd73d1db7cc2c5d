"""The review aggregate and what it feeds, on SQLite and PostgreSQL: decisions on findings (a dismissal
needs a reason, stays on record, stops counting), notes, statuses and their transitions, expected
publishers and coverage (on time, late, missing), peer comparisons, version diffs, and the 通报 and
整改通知 built from confirmed findings."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io

import pytest
from docx import Document as Docx

from gongkai import api
from gongkai.errors import Invalid
from gongkai.report import Cell
from gongkai.review.circular import build_circular, build_notice
from gongkai.review.coverage import coverage, read_expected, tally
from gongkai.review.deadlines import deadline, timeliness
from gongkai.review.diff import diff
from gongkai.review.documents import circular_docx, notice_docx
from gongkai.review.hierarchy import children, level, region_prefix, warm
from gongkai.review.peers import Group, compare
from gongkai.review.workflow import can_review, scope_prefix
from gongkai.store import Store

from .conftest import seed_path

SEEDS = ("000", "001", "002", "003", "004")


def _save(store: Store, report, tag: str) -> int:
    sha = store.files.put(f"{tag}".encode() + report.source.encode(), f"{tag}.txt")
    vid, created = store.reports.save(report, sha, f"{tag}.txt")
    assert created
    return vid


@pytest.fixture
def seeded(store: Store) -> tuple[Store, dict[str, int]]:
    ids = {p: _save(store, api.parse(seed_path(p)), p) for p in SEEDS}
    return store, ids


def test_a_dismissal_needs_a_reason_stays_on_record_and_stops_counting(seeded) -> None:
    store, ids = seeded
    vid = ids["003"]  # 龙岗区政务服务数据管理局: the one report with an error (t3.balance)
    assert store.reports.counts()["with_errors"] == 1
    findings = store.reviews.findings(vid)
    balance = next(f for f in findings if f["rule"] == "t3.balance")
    with pytest.raises(Invalid):
        store.reviews.decide(balance["id"], "dismissed", "审核员甲", "  ")
    store.reviews.decide(balance["id"], "dismissed", "审核员甲", "原件第132行实为12，系转录错误")
    assert store.reports.counts()["with_errors"] == 0  # no longer counted …
    assert store.reports.counts()["top_rules"] == []
    assert store.reports.rows(has_errors=True) == []
    assert store.reports.rows(version_ids=[vid])[0]["open_errors"] == 0
    again = next(f for f in store.reviews.findings(vid) if f["id"] == balance["id"])
    assert again["review"] == "dismissed"  # … but on record: who, when, why
    (d,) = again["decisions"]
    assert (
        d["actor"] == "审核员甲"
        and d["reason"].startswith("原件第132行")
        and isinstance(d["at"], dt.datetime)
    )
    store.reviews.decide(balance["id"], "confirmed", "审核员乙")
    assert store.reports.counts()["with_errors"] == 1
    history = next(f for f in store.reviews.findings(vid) if f["id"] == balance["id"])["decisions"]
    assert [x["decision"] for x in history] == ["dismissed", "confirmed"]
    actions = [e["action"] for e in store.audit.list()]
    assert actions[:2] == ["finding.confirmed", "finding.dismissed"]  # newest first


def test_statuses_follow_their_transitions_and_notes_pin_to_cells(seeded) -> None:
    store, ids = seeded
    row = store.reports.rows(version_ids=[ids["003"]])[0]
    assert row["review_status"] == "pending"
    with pytest.raises(Invalid):
        store.reviews.set_status(row["report_id"], "rectified", "甲")  # nothing to rectify yet
    store.reviews.set_status(row["report_id"], "rectify", "甲", "表三总计列不平衡", ids["003"])
    store.reviews.set_status(row["report_id"], "rectified", "甲")
    assert [h["status"] for h in store.reviews.history(row["report_id"])] == ["rectify", "rectified"]
    assert store.reports.rows(review_status="rectified")[0]["version_id"] == ids["003"]
    assert store.reviews.status_counts() == {"pending": 4, "rectified": 1}
    store.reviews.add_note(ids["003"], "t3.new.total", "与原件核对：印为1", "甲")
    (note,) = store.reviews.notes(ids["003"])
    assert note["cell_id"] == "t3.new.total" and note["text"] == "与原件核对：印为1"
    with pytest.raises(Invalid):
        store.reviews.add_note(ids["003"], "t3.new.total", " ", "甲")


def test_coverage_names_late_and_missing_publishers(seeded) -> None:
    store, ids = seeded
    assert deadline("department", 2020) == dt.date(2021, 1, 31)
    assert deadline("government", 2020) == deadline(None, 2020) == dt.date(2021, 3, 31)
    assert timeliness("department", 2020, dt.date(2021, 2, 1)) == "late"
    assert timeliness("government", 2020, dt.date(2021, 2, 1)) == "on_time"
    assert timeliness("government", 2020, None) == "undated"
    listed = (
        "机关,区划代码,类型\n深圳市福田区人民政府,440304,政府\n深圳市南山区人民政府,440305,政府\n".encode()
    )
    rows = read_expected(listed, "名单.csv")
    assert store.reviews.add_expected(rows, "甲") == 2
    assert store.reviews.add_expected(rows, "甲") == 0  # idempotent
    entries = {e.name: e for e in coverage(store, 2020, "4403")}
    assert entries["深圳市福田区人民政府"].state == "missing"
    assert entries["深圳市南山区人民政府"].version_id == ids["000"]
    assert {e.state for e in entries.values()} - {"missing"} <= {"on_time", "late", "undated"}
    t = tally(list(entries.values()))
    assert t["expected"] == 4 and t["missing"] == 1 and t["published"] == 3
    with pytest.raises(Invalid) as bad:
        read_expected("机关,区划代码\n好的局,440305\n,440305\n坏的局,999999\n".encode(), "坏名单.csv")
    assert "第3行" in bad.value.problem and "第4行" in bad.value.problem and "未导入" in bad.value.problem


def test_region_hierarchy_and_peer_groups(seeded) -> None:
    store, _ = seeded
    assert region_prefix("440300") == "4403" and region_prefix("44") == "44" and region_prefix("x") == ""
    assert {r.code for r in children("440300")} >= {"440305", "440307", "440308"}
    assert "440300" in {r.code for r in children("440000")}
    gd = level(store, "440000", 2020)
    kids = {r.code: t for r, t in gd["children"]}
    assert kids["440300"].reports == 3 and kids["440300"].with_errors == 1 and kids["440100"].reports == 1
    top = level(store, "", 2020)
    assert {r.code: t.reports for r, t in top["children"]}["230000"] == 1
    data = compare(store, Group(year=2020, region="44", kind="government"), "disclosure_rate")
    names = [r["agency"] for r in data["rows"]]
    assert names[0] == "深圳市南山区人民政府" and "深圳市龙岗区政务服务数据管理局" not in names
    first = data["rows"][0]
    assert first["rank"] == 1 and first["value"] == pytest.approx((100 + 49) / 235)
    assert first["percentile"] == pytest.approx(2 / 3) and first["change"] is None
    assert sum(b["n"] for b in data["distribution"]) == data["stats"]["n"] == 3


def test_warm_reads_the_country_levels_tallies_of_every_year(seeded, monkeypatch) -> None:
    """`gongkai serve` warms the memo as it starts; afterwards the country page reads none of the year's
    reports or publishers again and shows the same tallies as computed cold."""
    store, _ = seeded
    cold = level(store, "", 2020)
    store.reports._cache.clear()
    warm(store)
    reads: list[str] = []
    for name in ("_light", "_top_rules"):
        real = getattr(store.reports, name)
        monkeypatch.setattr(
            store.reports, name, lambda *a, _r=real, _n=name, **k: reads.append(_n) or _r(*a, **k)
        )
    real_states = store.reviews._expected_states
    monkeypatch.setattr(
        store.reviews, "_expected_states", lambda *a, **k: reads.append("states") or real_states(*a, **k)
    )
    now = level(store, "", 2020)
    assert [(r.code, t) for r, t in now["children"]] == [(r.code, t) for r, t in cold["children"]]
    assert now["missing"] == cold["missing"] and now["reports"] == cold["reports"] == 5
    assert store.reports.top_rules(None, 2020) == [("t3.balance", 1)]
    assert reads == []
    level(store, "440000", 2020)  # a province reads its own, through the region index
    assert reads == ["_light", "states"]


def test_scopes() -> None:
    city = {"role": "reviewer", "region_code": "440300"}
    assert scope_prefix(city) == "4403" and can_review(city, "440305") and not can_review(city, "440115")
    assert not can_review(city, None)  # an unknown place is never assumed inside
    assert can_review({"role": "admin"}, None) and scope_prefix({"role": "editor"}) is None
    assert not can_review({**city, "disabled": True}, "440305")


def test_a_corrected_version_is_linked_and_diffed(seeded) -> None:
    store, ids = seeded
    first = store.reports.load(ids["003"])
    fixed = api.parse(seed_path("003"))
    fixed.cells["t3.new.total"] = dataclasses.replace(fixed.cells["t3.new.total"], value=2, raw="2")
    from gongkai.rules import run_rules

    fixed.findings = [*fixed.issues, *run_rules(fixed)]
    vid = _save(store, fixed, "003-fixed")
    versions = store.reports.versions(store.reports.version_row(vid)["report_id"])
    assert [v["version_id"] for v in versions] == [ids["003"], vid] and versions[1]["is_current"]
    d = diff(first, store.reports.load(vid))
    assert [(c.cell, c.before, c.after) for c in d.cells] == [("t3.new.total", 1, 2)]
    assert "t3.balance" in {f.rule for f in d.findings_gone}
    assert not [f for f in d.findings_new if f.severity == "error"]


def test_the_circular_names_exactly_the_confirmed_errors_and_the_missing(seeded) -> None:
    store, ids = seeded
    store.reviews.add_expected(
        [{"name": "深圳市福田区人民政府", "region_code": "440304", "kind": "government"}], "甲"
    )
    balance = next(f for f in store.reviews.findings(ids["003"]) if f["rule"] == "t3.balance")
    store.reviews.decide(balance["id"], "confirmed", "甲", "表三总计列不平衡")
    other = next(f for f in store.reviews.findings(ids["004"]) if f["status"] == "fail")
    store.reviews.decide(other["id"], "dismissed", "甲", "非问题")
    c = build_circular(store, "440300", 2020, "深圳市人民政府办公厅", dt.date(2021, 5, 1))
    assert c.region_name == "广东省深圳市" and c.expected == 4 and c.published == 3
    assert [a.name for a in c.missing] == ["深圳市福田区人民政府"]
    assert [r.agency.name for r in c.ranking] == ["深圳市龙岗区政务服务数据管理局"]
    assert c.reports_with_errors == 1 and c.confirmed == 1 and c.dismissed == 0  # 鹤岗 is outside 4403
    (group,) = c.problems
    assert group.rule == "t3.balance" and group.agencies == 1 and group.findings == 1
    (example,) = group.examples
    assert example.agency.name == "深圳市龙岗区政务服务数据管理局" and "1" in example.values
    assert any("本年新收" in cell for cell in example.cells)
    text = "\n".join(p.text for p in Docx(io.BytesIO(circular_docx(c))).paragraphs)
    assert "深圳市福田区人民政府" in text and "深圳市龙岗区政务服务数据管理局" in text
    assert "鹤岗" not in text
    n = build_notice(store, ids["003"], "深圳市人民政府办公厅", dt.date(2021, 5, 1))
    assert n.agency.name == "深圳市龙岗区政务服务数据管理局" and [i.rule for i in n.items] == ["t3.balance"]
    assert n.items[0].note == "表三总计列不平衡" and n.due == dt.date(2021, 5, 31)
    doc = Docx(io.BytesIO(notice_docx(n)))
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    assert any("t3.balance" in x for x in cells) and any("表三总计列不平衡" in x for x in cells)


def test_summaries_are_kept_when_saved(seeded) -> None:
    store, ids = seeded
    (row,) = store.reports.summaries(version_ids=[ids["000"]])
    assert row["summary"]["ratios"]["disclosure_rate"] == pytest.approx((100 + 49) / 235)
    assert row["summary"]["cells"]["t3.new.total"] == store.reports.load(ids["000"]).value("t3.new.total")
    blank = api.parse(seed_path("001"))
    blank.cells = {k: Cell(None) for k in blank.cells}
    blank.year = 2019
    vid = _save(store, blank, "blank")
    (b,) = store.reports.summaries(version_ids=[vid])
    assert b["summary"]["ratios"]["disclosure_rate"] is None  # blank is not 0: no ratio is made up
