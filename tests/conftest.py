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
