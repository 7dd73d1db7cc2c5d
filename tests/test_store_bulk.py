"""The bulk path (Store.save_reports, put_files; COPY on PostgreSQL) leaves exactly the rows the one-by-one
path leaves, on SQLite and PostgreSQL; a batch is one transaction; batched ingest stays idempotent."""

from __future__ import annotations

import copy
import hashlib
import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from gongkai import api
from gongkai.corpus import generate_corpus, parse_formats
from gongkai.demo import synthetic
from gongkai.ingest import ingest
from gongkai.report import Agency, Cell, Region, Report
from gongkai.store import Store
from gongkai.store.rows import prepare

from .conftest import SEEDS, reset_pg, seed_path

TABLES = {
    "agency": "id",
    "report": "id",
    "report_version": "id",
    "cell": "version_id, cell_id",
    "finding": "id",
    "search_doc": "version_id",
}


@pytest.fixture(params=["sqlite", "postgresql"])
def two_stores(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Store, Store]]:
    """Two empty stores on the same backend."""
    if request.param == "sqlite":
        a = Store.open(f"sqlite:///{tmp_path / 'a.db'}")
        b = Store.open(f"sqlite:///{tmp_path / 'b.db'}")
    else:
        url = request.getfixturevalue("pg_server")
        reset_pg(url)
        a = Store.open(url, files_dir=tmp_path / "fa")
        b = Store.open(request.getfixturevalue("pg_url"), files_dir=tmp_path / "fb")
    yield a, b
    a.close()
    b.close()


def _dump(store: Store) -> dict[str, list]:
    """Every row of the report tables (timestamps aside), and the full-text index."""
    out: dict[str, list] = {}
    with store.engine.connect() as conn:
        for table, key in TABLES.items():
            rows = conn.execute(text(f"SELECT * FROM {table} ORDER BY {key}")).mappings()
            out[table] = [{k: v for k, v in r.items() if k != "created_at"} for r in rows]
        if conn.dialect.name == "sqlite":
            out["fts"] = conn.execute(text("SELECT rowid, tokens FROM search_fts ORDER BY rowid")).all()
        else:
            tsv = "SELECT version_id, search_tsv::text FROM search_doc ORDER BY version_id"
            out["tsv"] = conn.execute(text(tsv)).all()
    return out


def _batch() -> list[tuple[Report, str, str]]:
    """The seeds (real provenance and findings), synthetic reports (no provenance), a second version
    of a report, the same file twice, an agency seen with and without kind and region, no name."""
    items = [(api.parse(seed_path(p)), p) for p in ("000", "001", "002", "003", "004")]
    rng = random.Random(5)
    ag = Agency("深圳市南山区教育局", "department", Region("440305", "广东省", "深圳市", "南山区"))
    state: dict = {"forward": {}, "in_force": {}}
    for year in (2020, 2021, 2022):
        r, state = synthetic(ag, year, state["forward"], rng, state["in_force"])
        items.append((r, f"syn{year}"))
    changed = copy.deepcopy(items[0][0])
    changed.cells["t2.rules.made"] = Cell(7, raw="7")
    items.append((changed, "000-v2"))
    bare = copy.deepcopy(items[5][0])
    bare.agency = Agency("深圳市南山区教育局", None, Region("440305"))  # known values only refresh
    bare.year = 2023
    items.append((bare, "bare"))
    nameless = "政府信息公开工作年度报告\n一、总体情况\n二、主动公开政府信息情况\n"
    items.append((api.parse_text(nameless, "nameless.txt"), "nameless"))
    batch = [(r, hashlib.sha256(tag.encode()).hexdigest(), f"/in/{tag}") for r, tag in items]
    batch.insert(4, batch[1])  # the same file twice in one batch
    return batch


def test_save_reports_leaves_the_rows_save_report_leaves(two_stores):
    one, bulk = two_stores
    batch = _batch()
    singles = [one.reports.save(*item) for item in batch]
    # a report's versions across two batches; the second prepared as ingest's workers do
    got = bulk.reports.save_many(batch[:6]) + bulk.reports.save_many(
        [(prepare(r), s, src) for r, s, src in batch[6:]]
    )
    assert got == singles
    assert [created for _, created in got].count(False) == 1  # only the repeated file
    assert _dump(bulk) == _dump(one)
    dump = _dump(bulk)
    assert len(dump["report_version"]) == len(batch) - 1 and len(dump["cell"]) > 1500
    assert any(f["rule"] == "t3.balance" for f in dump["finding"])
    assert any(c["provenance"] in (None, "null") for c in dump["cell"])  # synthetic cells: JSON null
    for vid, _ in got:
        assert bulk.reports.load(vid) == one.reports.load(vid)
    for q in ("依申请公开", "深圳市南山区教育局", "复议"):
        assert bulk.reports.search(q) == one.reports.search(q) != []
    # idempotent: the same batch again saves nothing
    again = bulk.reports.save_many(batch)
    assert again == [(vid, False) for vid, _ in got]
    assert _dump(bulk) == _dump(one)


def test_a_batch_is_one_transaction(two_stores):
    store, _ = two_stores
    good = _batch()[:3]
    bad = copy.deepcopy(good[2][0])
    bad.cells["t2.rules.made"] = Cell("not a number")  # type: ignore[arg-type]  # fails while writing
    with pytest.raises(ValueError):
        store.reports.save_many([*good, (bad, "f" * 64, "/in/bad")])
    assert store.reports.saved_shas({sha for _, sha, _ in good}) == set()
    assert store.reports.rows() == []
    assert store.reports.save_many(good) and store.reports.saved_shas({sha for _, sha, _ in good}) == {
        sha for _, sha, _ in good
    }


def test_put_files(two_stores, tmp_path):
    store, _ = two_stores
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_bytes(b"first")
    b.write_bytes(b"second")
    sha_a = hashlib.sha256(b"first").hexdigest()
    assert store.files.put_many([(a, sha_a), (b, "0" * 64)]) == {sha_a}  # b's bytes do not match: left out
    assert store.files.put_many([(a, sha_a)]) == {sha_a}  # idempotent
    assert store.files.get(sha_a) == b"first"
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT sha256, name, size FROM stored_file")).all() == [(sha_a, "a.txt", 5)]


def test_batched_ingest_of_a_corpus(store, tmp_path):
    corpus = tmp_path / "corpus"
    generate_corpus(corpus, 40, formats=parse_formats("md,txt,html,docx"), seed=8)
    first = next(corpus.rglob("*.html"))
    (corpus / "copy.html").write_bytes(first.read_bytes())  # same bytes under another name
    (corpus / "empty.txt").write_bytes(b"")
    stats = ingest([corpus, SEEDS], store, workers=2, batch_size=7)
    assert (stats.files, stats.ingested, stats.skipped, stats.failed) == (47, 45, 1, 1)
    assert stats.done == 47 and stats.unchanged == 0
    rows = store.reports.rows()
    assert len(rows) == 45
    for row in rows[::5]:
        src = Path(row["source"])
        assert store.reports.load(row["version_id"]).values() == api.parse(src).values()
        assert store.files.get(row["sha256"]) == src.read_bytes()
    assert [f["path"] for f in store.failures.list()] == [str(corpus / "empty.txt")]
    again = ingest([corpus, SEEDS], store, workers=2, batch_size=7)
    assert (again.ingested, again.skipped, again.failed) == (0, 47, 0)  # nor is the failure retried
