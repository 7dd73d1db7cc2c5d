"""Shared test fixtures: the real reports in ../shared (never copied into the repo)."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(__import__("os").environ.get("GONGKAI_SHARED", ROOT.parent / "shared"))
SEEDS = SHARED / "seeds"


def seed_path(prefix: str) -> Path:
    found = sorted(SEEDS.glob(f"{prefix}_*.txt"))
    assert found, f"seed {prefix} not found under {SEEDS}: tests need ../shared beside the repo"
    return found[0]


@pytest.fixture(scope="session")
def seeds() -> dict[str, Path]:
    return {p: seed_path(p) for p in ("000", "001", "002", "003", "004")}


_pg_count = iter(range(1_000_000))


@pytest.fixture
def pg_url():
    """A fresh PostgreSQL database for one test (dropped after it); fails if PostgreSQL is unreachable."""
    import os

    import psycopg

    admin_url = os.environ.get("GONGKAI_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
    name = f"gongkai_t{os.getpid()}_{next(_pg_count)}"
    try:
        admin = psycopg.connect(admin_url, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as e:
        pytest.fail(f"PostgreSQL unreachable at {admin_url} (set GONGKAI_TEST_PG): {e}")
    admin.execute(f"CREATE DATABASE \"{name}\" ENCODING 'UTF8' TEMPLATE template0")
    base = admin_url.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    try:
        yield f"{base}/{name}"
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
