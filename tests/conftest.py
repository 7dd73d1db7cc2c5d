"""Shared test fixtures: the real reports in ../shared (never copied into the repo)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from gongkai.store import Store

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("GONGKAI_SHARED", ROOT.parent / "shared"))
SEEDS = SHARED / "seeds"


def seed_path(prefix: str) -> Path:
    found = sorted(SEEDS.glob(f"{prefix}_*.txt"))
    assert found, f"seed {prefix} not found under {SEEDS}: tests need ../shared beside the repo"
    return found[0]


@pytest.fixture(scope="session")
def seeds() -> dict[str, Path]:
    return {p: seed_path(p) for p in ("000", "001", "002", "003", "004")}


# PostgreSQL for the tests that run on both backends (127.0.0.1:5432, trust auth; `.ci/run` starts it).
PG_ADMIN = os.environ.get("GONGKAI_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


@contextmanager
def pg_database(name: str) -> Iterator[str]:
    """A database of its own, dropped at the end; the test fails if PostgreSQL is unreachable."""
    import psycopg

    try:
        admin = psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as e:
        pytest.fail(f"PostgreSQL unreachable at {PG_ADMIN} (set GONGKAI_TEST_PG): {e}")
    admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
    admin.execute(f"CREATE DATABASE \"{name}\" ENCODING 'UTF8' TEMPLATE template0")
    base = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    try:
        yield f"{base}/{name}"
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


_pg_count = iter(range(1_000_000))


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database for one test (dropped after it); fails if PostgreSQL is unreachable."""
    with pg_database(f"gongkai_t{os.getpid()}_{next(_pg_count)}") as url:
        yield url


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """``gongkai_test_<pid>`` for the session; tests empty it with ``reset_pg`` before use."""
    with pg_database(f"gongkai_test_{os.getpid()}") as url:
        yield url


def reset_pg(url: str) -> None:
    from sqlalchemy import create_engine, text

    eng = create_engine(url)
    with eng.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    eng.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """An empty store, once on SQLite (temp file) and once on PostgreSQL."""
    if request.param == "sqlite":
        s = Store.open(f"sqlite:///{tmp_path / 'g.db'}")
    else:
        url = request.getfixturevalue("pg_server")
        reset_pg(url)
        s = Store.open(url, files_dir=tmp_path / "files")
    yield s
    s.close()


@pytest.fixture(scope="session")
def demo_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo corpus exactly as `make run` writes it (``gongkai demo-corpus demo-corpus``), written once
    per run: under ``make test``'s workers (pytest-xdist) the first to need it writes it (~20 s, mostly
    WeasyPrint's 40 PDFs) into the run's shared temporary folder and the others read it."""
    from filelock import FileLock

    from gongkai.demo import generate

    base = tmp_path_factory.getbasetemp()
    root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    out, done = root / "demo-corpus", root / "demo-corpus.done"
    with FileLock(str(root / "demo-corpus.lock")):
        if not done.exists():
            shutil.rmtree(out, ignore_errors=True)  # a half-written one from a worker that died
            generate(out)
            done.touch()
    return out


@pytest.fixture(params=["sqlite", "postgresql"])
def desk(request, tmp_path):
    """The desk's ledger over a fresh store, on SQLite and on PostgreSQL."""
    from gongkai.store import Store
    from gongkai.store.ledger import Ledger

    url = (
        request.getfixturevalue("pg_url")
        if request.param == "postgresql"
        else f"sqlite:///{tmp_path / 'g.db'}"
    )
    store = Store.open(url, files_dir=tmp_path / "files")
    yield Ledger(store)
    store.close()
