"""Keeping the store sound: ``fsck`` (every row's original is there, with the bytes its sha names),
``backup`` and ``restore`` (the database and the originals' folder together).

fsck looks at every ``stored_file`` row and every ``report_version`` row: a file that is missing, or
whose bytes no longer hash to its sha, is a problem. ``repair`` moves damaged files aside (into
``<files>/quarantine/``) and records each problem as a failure, so ``gongkai ingest --retry-failed``
keeps the original again from where it was read (the report itself stays: same bytes, same report).

A backup is a folder: ``gongkai.db`` (SQLite, by the online backup API: consistent while others write)
or ``gongkai.dump`` (PostgreSQL, ``pg_dump`` custom format), ``files/`` (the originals) and
``backup.json`` (what it holds, with row counts). The database is copied first, then the files: ingest
keeps an original before any row names it, so every row in the copy finds its file.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import create_engine, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from .errors import GongkaiError
from .store.models import ReportVersion, StoredFile

if TYPE_CHECKING:
    from .store import Store

SF, V = StoredFile.__table__, ReportVersion.__table__
COUNTED = ("agency", "report", "report_version", "cell", "finding", "stored_file", "failure")


class MaintenanceError(GongkaiError):
    """A backup or restore that cannot be done (tool missing, target not empty, folder not a backup)."""


# -- fsck -------------------------------------------------------------------------------------------


@dataclass(slots=True)
class Problem:
    sha: str
    kind: str  # "missing" | "corrupt"
    name: str  # the file's name or the source it was read from
    rows: list[str] = field(default_factory=list)  # "stored_file", "report_version #12"

    def line(self, lang: str = "zh") -> str:
        what = {
            "missing": ("原件缺失", "original missing"),
            "corrupt": ("原件内容与哈希不符", "bytes do not match"),
        }
        zh, en = what[self.kind]
        rows = ", ".join(self.rows)
        return f"{self.name} ({self.sha[:12]}…, {rows}): {en if lang == 'en' else zh}"


@dataclass(slots=True)
class FsckResult:
    checked: int = 0  # distinct shas named by rows
    problems: list[Problem] = field(default_factory=list)
    repaired: int = 0


def _sha_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def fsck(
    store: Store, repair: bool = False, progress: Callable[[int, int], None] | None = None
) -> FsckResult:
    """Check that every stored_file and report_version row has its original, with the right bytes."""
    named: dict[str, tuple[str, list[str]]] = {}
    with store.engine.connect() as conn:
        for sha, name in conn.execute(select(SF.c.sha256, SF.c.name)):
            named.setdefault(sha, (name, []))[1].append("stored_file")
        for vid, sha, source in conn.execute(select(V.c.id, V.c.sha256, V.c.source).order_by(V.c.id)):
            entry = named.setdefault(sha, (source or "", []))
            entry[1].append(f"report_version #{vid}")
            if source and (not entry[0] or entry[0] == Path(source).name):
                named[sha] = (source, entry[1])  # the path it was read from: what a retry needs
    result = FsckResult(checked=len(named))
    for i, (sha, (name, rows)) in enumerate(sorted(named.items())):
        path = store.files.path(sha)
        if not path.is_file():
            result.problems.append(Problem(sha, "missing", name, rows))
        elif _sha_of(path) != sha:
            result.problems.append(Problem(sha, "corrupt", name, rows))
        if progress:
            progress(i + 1, len(named))
    if repair:
        for p in result.problems:
            _repair(store, p)
            result.repaired += 1
    return result


def _repair(store: Store, p: Problem) -> None:
    path = store.files.path(p.sha)
    if p.kind == "corrupt" and path.exists():  # aside, so the right bytes can be kept again
        aside = store.files.root / "quarantine" / p.sha
        aside.parent.mkdir(parents=True, exist_ok=True)
        os.replace(path, aside)
    zh = "原件缺失" if p.kind == "missing" else "原件已损坏（内容与哈希不符，已移至 quarantine）"
    en = (
        "original missing"
        if p.kind == "missing"
        else "original damaged (bytes do not match; moved to quarantine)"
    )
    store.failures.record(
        p.name,
        p.sha,
        f"{zh}；请用 gongkai ingest --retry-failed 从原路径重新导入",
        f"{en}; gongkai ingest --retry-failed keeps it again from its path",
    )


# -- backup and restore -----------------------------------------------------------------------------


def _pg_url(url: str) -> str:
    """The libpq form of a SQLAlchemy URL (postgresql+psycopg://… → postgresql://…)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _shown(url: str) -> str:
    """The URL for a message: never its password."""
    return make_url(url).render_as_string(hide_password=True)


def _sqlite_path(url: str) -> Path:
    db = make_url(url).database
    if not db or db == ":memory:":
        raise MaintenanceError(
            _shown(url), "内存数据库无法备份或恢复", "an in-memory database cannot be backed up"
        )
    return Path(db)


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise MaintenanceError(name, f"找不到 {name}（请安装 PostgreSQL 客户端）", f"{name} not found")
    return found


def _run(args: list[str], what: str) -> None:
    done = subprocess.run(args, capture_output=True, text=True)
    if done.returncode != 0:
        msg = (done.stderr or done.stdout).strip().splitlines()
        last = msg[-1][:300] if msg else f"exit {done.returncode}"
        raise MaintenanceError(
            what, f"{Path(args[0]).name} 失败：{last}", f"{Path(args[0]).name} failed: {last}"
        )


def row_counts(url: str) -> dict[str, int]:
    eng = create_engine(url)
    try:
        with eng.connect() as conn:
            have = set(inspect(conn).get_table_names())
            return {
                t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in COUNTED if t in have
            }
    finally:
        eng.dispose()


def _copy_files(src: Path, dest: Path) -> int:
    """Copy the content-addressed files (not quarantine, not temp files); returns how many."""
    n = 0
    if not src.is_dir():
        return 0
    for sub in sorted(p for p in src.iterdir() if p.is_dir() and len(p.name) == 2):
        for f in sub.iterdir():
            if f.name.startswith(".tmp-") or not f.is_file():
                continue
            target = dest / sub.name / f.name
            if target.exists() and target.stat().st_size == f.stat().st_size:
                n += 1
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(f, target)
            n += 1
    return n


def _pg_dump(url: str, out: Path) -> dict[str, int]:
    """pg_dump (custom format) of one snapshot, and the row counts of that same snapshot: a transaction
    exports its snapshot and pg_dump reads it (``--snapshot``), so writers meanwhile change neither."""
    tool = _tool("pg_dump")
    eng = create_engine(url)
    try:
        with eng.connect().execution_options(isolation_level="REPEATABLE READ") as conn, conn.begin():
            snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            have = set(inspect(conn).get_table_names())
            counts = {
                t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in COUNTED if t in have
            }
            _run(
                [
                    tool,
                    "--format=custom",
                    "--no-owner",
                    f"--snapshot={snapshot}",
                    "-f",
                    str(out),
                    _pg_url(url),
                ],
                url,
            )
    finally:
        eng.dispose()
    return counts


def backup(url: str, files_root: Path, dest: Path) -> dict[str, Any]:
    """Back up the database at ``url`` and the originals in ``files_root`` into the new folder ``dest``."""
    if dest.exists() and any(dest.iterdir()):
        raise MaintenanceError(str(dest), "备份目标文件夹不是空的", "the backup folder is not empty")
    dest.mkdir(parents=True, exist_ok=True)
    backend = make_url(url).get_backend_name()
    if backend == "sqlite":
        src = sqlite3.connect(_sqlite_path(url))
        out = sqlite3.connect(dest / "gongkai.db")
        try:
            with out:
                src.backup(out)  # page by page, consistent while others write
        finally:
            out.close()
            src.close()
        counts = row_counts(f"sqlite:///{dest / 'gongkai.db'}")
    elif backend == "postgresql":
        counts = _pg_dump(url, dest / "gongkai.dump")
    else:
        raise MaintenanceError(_shown(url), f"不支持的数据库：{backend}", f"unsupported database: {backend}")
    files = _copy_files(files_root, dest / "files")  # after the database: every row's file is there
    manifest = {
        "backend": backend,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "counts": counts,
        "files": files,
    }
    (dest / "backup.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    return manifest


def restore(src: Path, url: str, files_root: Path) -> dict[str, Any]:
    """Restore the backup folder ``src`` into the empty database at ``url`` and the folder ``files_root``."""
    try:
        manifest = json.loads((src / "backup.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise MaintenanceError(
            str(src), "不是 gongkai backup 生成的备份文件夹", "not a gongkai backup folder"
        ) from e
    backend = make_url(url).get_backend_name()
    if backend != manifest["backend"]:
        raise MaintenanceError(
            _shown(url),
            f"备份来自 {manifest['backend']}，不能恢复到 {backend}",
            f"the backup is of {manifest['backend']}, not {backend}",
        )
    try:
        existing = row_counts(url) if backend == "postgresql" or _sqlite_path(url).exists() else {}
    except OperationalError as e:
        raise MaintenanceError(
            _shown(url),
            "无法连接目标数据库（PostgreSQL 上请先用 createdb 新建一个空数据库）",
            "cannot connect to the target database (on PostgreSQL, create an empty one first)",
        ) from e
    if existing:
        raise MaintenanceError(
            _shown(url),
            "目标数据库不是空的：请恢复到新建的空数据库",
            "the target database is not empty: restore into a new one",
        )
    if backend == "sqlite":
        path = _sqlite_path(url)
        path.parent.mkdir(parents=True, exist_ok=True)
        for stale in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            stale.unlink(missing_ok=True)  # an empty file left by a look at the target
        source = sqlite3.connect(src / "gongkai.db")
        out = sqlite3.connect(path)
        try:
            with out:
                source.backup(out)
        finally:
            out.close()
            source.close()
    else:
        _run(
            [
                _tool("pg_restore"),
                "--no-owner",
                "--exit-on-error",
                "-d",
                _pg_url(url),
                str(src / "gongkai.dump"),
            ],
            url,
        )
    files = _copy_files(src / "files", files_root)
    counts = row_counts(url)
    if counts != manifest["counts"]:
        raise MaintenanceError(
            _shown(url),
            f"恢复后的行数与备份不符：{counts} ≠ {manifest['counts']}",
            f"row counts after restore differ from the backup: {counts} != {manifest['counts']}",
        )
    return {**manifest, "restored_files": files}
