"""The store, the same tests on SQLite (temp file) and PostgreSQL (a throwaway database on 127.0.0.1)."""

from __future__ import annotations

import copy

import pytest
from alembic import command
from sqlalchemy import text

from gongkai import api
from gongkai.ingest import ingest
from gongkai.report import Report
from gongkai.store import Store, alembic_config

from .conftest import SEEDS, seed_path

SEED_IDS = ("000", "001", "002", "003", "004")


@pytest.fixture(scope="session")
def parsed() -> dict[str, Report]:
    return {p: api.parse(seed_path(p)) for p in SEED_IDS}


def _save_seeds(store: Store, parsed: dict[str, Report]) -> dict[str, int]:
    ids = {}
    for p, report in parsed.items():
        sha = store.files.put(seed_path(p).read_bytes(), seed_path(p).name)
        vid, created = store.reports.save(report, sha, str(seed_path(p)))
        assert created
        ids[p] = vid
    return ids


def test_round_trip(store: Store, parsed: dict[str, Report]) -> None:
    ids = _save_seeds(store, parsed)
    for p, vid in ids.items():
        orig, back = parsed[p], store.reports.load(vid)
        assert back.values() == orig.values()
        # counts come back as int, money as float
        assert {k: type(v) for k, v in back.values().items()} == {
            k: type(v) for k, v in orig.values().items()
        }
        assert back.cells == orig.cells  # raw, provenance, unit, ...
        assert back.findings == orig.findings
        assert back.issues == orig.issues
        assert back.agency == orig.agency
        assert (back.year, back.template, back.title) == (orig.year, orig.template, orig.title)
        assert back.sections == orig.sections
        assert back.facts == orig.facts
    assert store.reports.cell_values([ids["000"]], ["t2.rules.made"]) == {ids["000"]: {"t2.rules.made": 0}}
    vals = store.reports.cell_values(list(ids.values()))
    assert vals[ids["003"]] == parsed["003"].values()


def test_files_and_versions(store: Store, parsed: dict[str, Report]) -> None:
    data = seed_path("000").read_bytes()
    sha = store.files.put(data, "a.txt")
    assert store.files.put(data, "a.txt") == sha  # idempotent
    assert store.files.get(sha) == data
    assert store.files.path(sha).parent.name == sha[:2]
    assert not store.reports.has_sha(sha)
    v1, created = store.reports.save(parsed["000"], sha, "a.txt")
    assert created and store.reports.has_sha(sha)
    assert store.reports.save(parsed["000"], sha, "a.txt") == (v1, False)

    changed = copy.deepcopy(parsed["000"])
    changed.cells["t2.rules.made"].value = 7
    sha2 = store.files.put(data + b"\n", "b.txt")
    v2, created = store.reports.save(changed, sha2, "b.txt")
    assert created and v2 != v1
    rows = store.reports.rows()
    assert [r["version_id"] for r in rows] == [v2]
    versions = store.reports.versions(rows[0]["report_id"])
    assert [(v["version_id"], v["is_current"]) for v in versions] == [(v1, False), (v2, True)]
    assert store.reports.load(v2).value("t2.rules.made") == 7
    assert store.reports.load(v1).value("t2.rules.made") == 0


def test_agencies_and_queries(store: Store, parsed: dict[str, Report]) -> None:
    ids = _save_seeds(store, parsed)
    rows = store.reports.rows(year=2020)
    assert len(rows) == 5
    nanshan = [r for r in rows if r["county"] == "南山区"]
    assert sorted(r["region_code"] for r in nanshan) == ["230404", "440305"]
    assert len({r["report_id"] for r in nanshan}) == 2
    assert [r["version_id"] for r in store.reports.rows(year=2020, has_errors=True)] == [ids["003"]]
    assert len(store.reports.rows(region_prefix="4403")) == 3
    assert [r["version_id"] for r in store.reports.rows(kind="department")] == [ids["003"]]
    assert [r["version_id"] for r in store.reports.rows(name="鹤岗")] == [ids["004"]]
    assert store.reports.rows(year=2021) == []

    assert ids["000"] in store.reports.search("依申请公开")
    assert ids["000"] in store.reports.search("复议")
    assert store.reports.search("鹤岗市") == [ids["004"]]
    assert store.reports.search("，") == []

    c = store.reports.counts()
    assert c["reports"] == 5 and c["by_year"] == [{"year": 2020, "reports": 5, "with_errors": 1}]
    assert c["by_province"] == [{"province": "广东省", "reports": 4}, {"province": "黑龙江省", "reports": 1}]
    assert c["error_rate"] == pytest.approx(0.2)
    assert c["top_rules"][0] == ("t3.balance", 1)


def test_failures(store: Store) -> None:
    store.failures.record("/x/a.pdf", "aa" * 32, "文件已损坏", "damaged")
    store.failures.record("/x/a.pdf", "aa" * 32, "文件已损坏", "damaged")
    store.failures.record("/x/gone.pdf", "", "无法读取文件", "cannot read")
    fails = store.failures.list()
    assert [(f["path"], f["attempts"]) for f in fails] == [("/x/a.pdf", 2), ("/x/gone.pdf", 1)]
    assert set(fails[0]) == {"path", "sha256", "error", "error_en", "attempts", "last_attempt"}
    assert fails[0]["error"] == "文件已损坏" and fails[0]["error_en"] == "damaged"
    store.failures.resolve("aa" * 32)
    assert [f["path"] for f in store.failures.list()] == ["/x/gone.pdf"]
    assert [f["path"] for f in store.failures.list(resolved=True)] == ["/x/a.pdf"]


def test_ingest_seeds(store: Store) -> None:
    stats = ingest([SEEDS], store, workers=1)
    assert (stats.ingested, stats.failed) == (5, 0)
    assert len(store.reports.rows()) == 5
    again = ingest([SEEDS], store, workers=1)
    assert (again.skipped, again.ingested) == (5, 0)


def test_no_migration_drift(store: Store) -> None:
    with store.engine.begin() as conn:
        command.check(alembic_config(conn))  # raises if the models and the migrations disagree


def test_optimize_refreshes_planner_statistics(store, parsed) -> None:
    _save_seeds(store, parsed)
    store.optimize()
    with store.engine.connect() as conn:
        if store.engine.dialect.name == "postgresql":
            q = "select last_analyze is not null from pg_stat_user_tables where relname = 'cell'"
        else:
            q = "select count(*) > 0 from sqlite_master where name = 'sqlite_stat1'"
        assert conn.execute(text(q)).scalar()


def test_agency_without_kind_or_region_saves_twice(store):
    r = api.parse_text("政府信息公开工作年度报告\n一、总体情况\n二、主动公开政府信息情况\n", "nameless.txt")
    assert r.agency.name is None
    store.reports.save(r, "a" * 64, "a.txt")
    vid, created = store.reports.save(r, "b" * 64, "b.txt")  # same (empty) agency, updated with nothing
    assert created and store.reports.load(vid).agency.name in (None, "")
