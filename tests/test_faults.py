"""Faults on the saving side: a report the database will not take, a lost connection, a full disk,
files gone missing from the originals' folder, backups (issues 12 and 16)."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from gongkai import api
from gongkai.ingest import Stats, _Writer
from gongkai.store import Store
from gongkai.store.models import ReportVersion

from .conftest import PG_ADMIN

SRC = str(Path(__file__).resolve().parents[1] / "src")


def gongkai(*args: str, cwd: Path, timeout: float = 600, env: dict | None = None):
    """The real CLI in a subprocess, our sources first on the path."""
    e = {**os.environ, "PYTHONPATH": SRC, "COLUMNS": "200", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "gongkai.cli", *args],
        cwd=cwd,
        env=e,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def versions(store: Store) -> int:
    with store.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(ReportVersion.__table__)).scalar_one()


def _unsavable(report):
    """The report with a box coordinate JSON cannot hold (numpy float32, what the image reader once
    produced, is now converted by report.json_default; a complex number never is), so the database
    will not take the report."""
    cid, cell = next(iter(report.cells.items()))
    prov = dataclasses.replace(cell.prov, bbox=tuple(complex(x, 1) for x in (1.5, 2.5, 3.5, 4.5)))
    cells = dict(report.cells)
    cells[cid] = dataclasses.replace(cell, prov=prov)
    return dataclasses.replace(report, cells=cells)


def test_a_report_that_cannot_be_saved_fails_alone_and_the_batch_is_saved(store, seeds):
    reports = [(api.parse(p), hashlib.sha256(p.read_bytes()).hexdigest(), str(p)) for p in seeds.values()]
    bad = _unsavable(reports[0][0])
    with pytest.raises(TypeError, match="complex"):  # the batch as a whole cannot be saved
        store.reports.save_many([*reports, (bad, "f" * 64, "scan.pdf")])
    assert versions(store) == 0
    stats = Stats()
    writer = _Writer(store, stats, {}, 200)
    for r, sha, path in reports[:3]:
        writer.add(r, sha, path)
    writer.add(bad, "f" * 64, "scan.pdf")
    for r, sha, path in reports[3:]:
        writer.add(r, sha, path)
    writer.close()
    assert (stats.ingested, stats.failed, stats.save_failed) == (5, 1, 1)
    assert versions(store) == 5
    assert store.reports.saved_shas({sha for _, sha, _ in reports} | {"f" * 64}) == {
        sha for _, sha, _ in reports
    }
    (fail,) = store.failures.list()
    assert (fail["path"], fail["sha256"]) == ("scan.pdf", "f" * 64)
    assert fail["error"].startswith("无法保存到数据库") and "complex" in fail["error"]
    assert fail["error_en"].startswith("could not be saved to the database")


# -- a lost PostgreSQL connection (issue 16 item 9) ---------------------------------------------------

TABLES = ("agency", "report", "report_version", "cell", "finding", "search_doc", "stored_file", "failure")


def counts(url: str) -> dict[str, int]:
    from sqlalchemy import create_engine, text

    eng = create_engine(url)
    try:
        with eng.connect() as conn:
            return {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in TABLES}
    finally:
        eng.dispose()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> tuple[Path, dict[str, int]]:
    """1,200 synthetic reports (text formats: quick to parse, so the run is many batches long) and the
    rows the same ingest leaves on SQLite with nothing going wrong."""
    folder = tmp_path_factory.mktemp("corpus")
    out = gongkai("demo-corpus", "c", "--reports", "1200", "--formats", "txt,md,html", "-j", "1", cwd=folder)
    assert out.returncode == 0, out.stderr
    ref = gongkai("ingest", "c", "--db", "sqlite:///ref.db", "-j", "1", cwd=folder)
    assert ref.returncode == 0, ref.stdout + ref.stderr
    return folder / "c", counts(f"sqlite:///{folder / 'ref.db'}")


class Killer:
    """Terminates every backend of one database from another connection, now or every ``every`` s."""

    def __init__(self, url: str) -> None:
        import psycopg

        self.db = url.rsplit("/", 1)[1]
        self.admin = psycopg.connect(PG_ADMIN, autocommit=True)
        self.kills = 0
        self.writing = 0  # writers killed mid-transaction

    def kill(self) -> int:
        rows = self.admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> "
            "pg_backend_pid()",
            (self.db,),
        ).fetchall()
        self.kills += sum(1 for (ok,) in rows if ok)
        return len(rows)

    def kill_writer(self) -> bool:
        """Terminate a backend that is inside a transaction saving reports (COPY or INSERT running, or
        between them)."""
        rows = self.admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> "
            "pg_backend_pid() AND xact_start IS NOT NULL AND (query ILIKE 'COPY %%' OR query ILIKE "
            "'INSERT INTO report_version%%' OR query ILIKE 'INSERT INTO cell%%')",
            (self.db,),
        ).fetchall()
        killed = sum(1 for (ok,) in rows if ok)
        self.kills += killed
        self.writing += bool(killed)
        return bool(killed)

    def versions(self) -> int:
        import psycopg

        base = PG_ADMIN.rsplit("/", 1)[0]
        try:
            with psycopg.connect(f"{base}/{self.db}", connect_timeout=2) as c:
                return c.execute("SELECT count(*) FROM report_version").fetchone()[0]
        except psycopg.Error:
            return -1


def test_connection_killed_mid_ingest_is_retried_nothing_lost_nothing_twice(corpus, pg_url, tmp_path):
    import threading
    import time

    folder, reference = corpus
    killer = Killer(pg_url)
    env = {"GONGKAI_FILES": str(tmp_path / "files")}
    run = subprocess.Popen(
        [sys.executable, "-m", "gongkai.cli", "ingest", str(folder), "--db", pg_url, "-j", "1"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": SRC, "COLUMNS": "200", **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    done = threading.Event()

    def hammer() -> None:
        """Three times, once the run has saved more since: kill the connection writing a batch, in the
        middle of its transaction (caught by polling pg_stat_activity)."""
        seen = 0
        while not done.is_set() and killer.writing < 3:
            if killer.versions() > seen and killer.kill_writer():
                seen = max(seen, killer.versions())
            time.sleep(0.005)

    t = threading.Thread(target=hammer, daemon=True)
    t.start()
    out, err = run.communicate(timeout=600)
    done.set()
    t.join()
    assert killer.writing == 3, killer.writing
    assert run.returncode == 0, out[-3000:] + err[-3000:]
    assert "Traceback" not in out + err
    assert "与数据库的连接中断 3 次" in out  # it reconnected and saved the batch in flight again
    after = counts(pg_url)
    assert after == reference  # nothing lost, nothing twice
    again = gongkai("ingest", str(folder), "--db", pg_url, cwd=tmp_path, env=env)
    assert again.returncode == 0 and "新导入 0 份，跳过已导入 1200 个" in again.stdout, again.stdout
    assert counts(pg_url) == reference


def test_database_gone_for_good_one_clear_line_and_the_summary_then_a_clean_rerun(corpus, pg_url, tmp_path):
    import time

    folder, reference = corpus
    killer = Killer(pg_url)
    env = {"GONGKAI_FILES": str(tmp_path / "files"), "GONGKAI_RETRY_DELAYS": "0.3,0.3,0.3"}
    run = subprocess.Popen(
        [sys.executable, "-m", "gongkai.cli", "ingest", str(folder), "--db", pg_url, "-j", "1"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": SRC, "COLUMNS": "200", **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    while killer.versions() <= 0 and run.poll() is None:
        time.sleep(0.05)
    killer.admin.execute(f'ALTER DATABASE "{killer.db}" WITH ALLOW_CONNECTIONS false')
    try:
        killer.kill()
        out, err = run.communicate(timeout=300)
    finally:
        killer.admin.execute(f'ALTER DATABASE "{killer.db}" WITH ALLOW_CONNECTIONS true')
    assert run.returncode == 1, out[-3000:] + err[-3000:]
    assert "Traceback" not in out + err and "INSERT" not in out + err and "SELECT" not in out + err
    errors = [line for line in out.splitlines() if line.startswith("✗")]
    assert len(errors) == 1 and "与数据库的连接中断且无法恢复" in errors[0], out
    saved = counts(pg_url)["report_version"]
    assert 0 < saved < 1200
    assert f"新导入 {saved} 份" in out  # the summary says what was saved
    again = gongkai("ingest", str(folder), "--db", pg_url, cwd=tmp_path, env=env)
    assert again.returncode == 0, again.stdout + again.stderr
    assert f"新导入 {1200 - saved} 份，跳过已导入 {saved} 个" in again.stdout, again.stdout
    assert counts(pg_url) == reference


# -- the originals: fsck, a full disk (issue 12) ---------------------------------------------------


def _seeds_store(tmp_path: Path, seeds) -> tuple[str, dict]:
    folder = tmp_path / "in"
    folder.mkdir()
    for p in seeds.values():
        (folder / p.name).write_bytes(p.read_bytes())
    url = f"sqlite:///{tmp_path / 'g.db'}"
    env = {"GONGKAI_FILES": str(tmp_path / "files")}
    done = gongkai("ingest", "in", "--db", url, cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    return url, env


def test_fsck_finds_missing_and_corrupt_originals_and_repair_gets_them_back(tmp_path, seeds):
    url, env = _seeds_store(tmp_path, seeds)
    ok = gongkai("fsck", "--db", url, cwd=tmp_path, env=env)
    assert ok.returncode == 0 and "已检查 5 份原件，没有问题" in ok.stdout, ok.stdout
    with Store.open(url, files_dir=tmp_path / "files") as store:
        shas = sorted(
            store.reports.saved_shas({hashlib.sha256(p.read_bytes()).hexdigest() for p in seeds.values()})
        )
        gone, bad = store.files.path(shas[0]), store.files.path(shas[1])
    gone.unlink()
    bad.write_bytes(bad.read_bytes()[:-10] + b"0123456789")
    found = gongkai("fsck", "--db", url, "--lang", "en", cwd=tmp_path, env=env)
    assert found.returncode == 1, found.stdout + found.stderr
    lines = [x for x in found.stdout.splitlines() if x.startswith("✗")]
    assert len(lines) == 2
    assert any(shas[0][:12] in x and "original missing" in x and "report_version #" in x for x in lines)
    assert any(shas[1][:12] in x and "bytes do not match" in x for x in lines)
    repaired = gongkai("fsck", "--db", url, "--repair", cwd=tmp_path, env=env)
    assert repaired.returncode == 1 and "已记为失败 2 份" in repaired.stdout, repaired.stdout
    assert (tmp_path / "files" / "quarantine" / shas[1]).exists() and not bad.exists()
    with Store.open(url, files_dir=tmp_path / "files") as store:
        assert {f["sha256"] for f in store.failures.list()} == {shas[0], shas[1]}
    again = gongkai("ingest", "in", "--db", url, "--retry-failed", cwd=tmp_path, env=env)
    assert again.returncode == 0 and "补回了 2 份" in again.stdout, again.stdout
    assert gongkai("fsck", "--db", url, cwd=tmp_path, env=env).returncode == 0
    with Store.open(url, files_dir=tmp_path / "files") as store:
        assert store.failures.list() == [] and versions(store) == 5


@pytest.fixture
def tiny_disk(tmp_path):
    """A 6 MB tmpfs (we are root in CI); grown with a remount, contents kept, when the test says so."""
    mnt = tmp_path / "disk"
    mnt.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", str(mnt)], capture_output=True)
    assert done.returncode == 0, f"cannot mount a tmpfs: {done.stderr.decode()}"
    yield mnt
    subprocess.run(["umount", str(mnt)], check=True)


@pytest.mark.parametrize("full", ["originals", "database"])
def test_disk_full_one_clear_line_no_row_without_its_file(corpus, tiny_disk, tmp_path, full):
    folder, reference = corpus  # 1,200 files, ~11 MB: more than the disk holds
    url = f"sqlite:///{(tiny_disk if full == 'database' else tmp_path) / 'g.db'}"
    env = {"GONGKAI_FILES": str((tiny_disk if full == "originals" else tmp_path) / "files")}
    run = gongkai("ingest", str(folder), "--db", url, "-j", "1", cwd=tmp_path, env=env)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "Traceback" not in run.stdout + run.stderr
    errors = [x for x in run.stdout.splitlines() if x.startswith("✗")]
    assert len(errors) == 1 and "磁盘空间已满" in errors[0], run.stdout
    saved = counts(url)["report_version"]
    # (the originals run out after a batch or two is saved; the database, fuller, before the first)
    assert (saved > 0 or full == "database") and saved < 1200, saved
    assert f"新导入 {saved} 份" in run.stdout, run.stdout
    sound = gongkai("fsck", "--db", url, cwd=tmp_path, env=env)  # no row points at a missing file
    assert sound.returncode == 0, sound.stdout
    subprocess.run(["mount", "-o", "remount,size=512m", str(tiny_disk)], check=True)
    again = gongkai("ingest", str(folder), "--db", url, "-j", "1", cwd=tmp_path, env=env)
    assert again.returncode == 0, again.stdout + again.stderr
    assert counts(url) == reference
    assert gongkai("fsck", "--db", url, cwd=tmp_path, env=env).returncode == 0


# -- backup and restore (issue 12) --------------------------------------------------------------------


def _same_store(a: Store, b: Store) -> None:
    with a.engine.connect() as ca, b.engine.connect() as cb:
        q = select(ReportVersion.__table__.c.id, ReportVersion.__table__.c.sha256).order_by("id")
        va, vb = ca.execute(q).all(), cb.execute(q).all()
    assert va == vb and va
    for vid, sha in va[:3]:
        assert a.reports.load(vid).as_dict() == b.reports.load(vid).as_dict()
        assert a.files.get(sha) == b.files.get(sha)
    for _, sha in va:
        assert b.files.path(sha).read_bytes() == a.files.path(sha).read_bytes()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_backup_and_restore_into_a_fresh_database(backend, seeds, tmp_path, request):
    from .conftest import pg_database

    folder = tmp_path / "in"
    folder.mkdir()
    for p in seeds.values():
        (folder / p.name).write_bytes(p.read_bytes())
    if backend == "sqlite":
        src_url, dst = f"sqlite:///{tmp_path / 'g.db'}", None
    else:
        src_url = request.getfixturevalue("pg_url")
        dst = pg_database(f"gongkai_restore_{os.getpid()}")
    env = {"GONGKAI_FILES": str(tmp_path / "files")}
    assert gongkai("ingest", "in", "--db", src_url, cwd=tmp_path, env=env).returncode == 0
    with Store.open(src_url, files_dir=tmp_path / "files") as store:
        store.failures.record("broken.pdf", "a" * 64, "无法读取", "unreadable")
    made = gongkai("backup", "bak", "--db", src_url, cwd=tmp_path, env=env)
    assert made.returncode == 0 and "5 个报告版本，5 份原件" in made.stdout, made.stdout + made.stderr
    kinds = sorted(p.name for p in (tmp_path / "bak").iterdir())
    assert kinds == ["backup.json", "files", "gongkai.db" if backend == "sqlite" else "gongkai.dump"]
    env2 = {"GONGKAI_FILES": str(tmp_path / "files2")}

    def check(dst_url: str) -> None:
        back = gongkai("restore", "bak", "--db", dst_url, cwd=tmp_path, env=env2)
        assert back.returncode == 0 and "已从 bak 恢复：5 个报告版本，5 份原件" in back.stdout, (
            back.stdout + back.stderr
        )
        assert counts(dst_url) == counts(src_url)
        with (
            Store.open(src_url, files_dir=tmp_path / "files") as a,
            Store.open(dst_url, files_dir=tmp_path / "files2") as b,
        ):
            _same_store(a, b)
            assert b.failures.list()[0]["path"] == "broken.pdf"
        assert gongkai("fsck", "--db", dst_url, cwd=tmp_path, env=env2).returncode == 0
        twice = gongkai("restore", "bak", "--db", dst_url, cwd=tmp_path, env=env2)
        assert twice.returncode == 1 and "目标数据库不是空的" in twice.stdout, twice.stdout

    if dst is None:
        check(f"sqlite:///{tmp_path / 'restored.db'}")
    else:
        with dst as dst_url:
            check(dst_url)
