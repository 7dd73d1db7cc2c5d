"""Executors: results come back for every item, failures as exceptions, the batch never stops."""

from __future__ import annotations

import pytest

from gongkai.executors import InlineExecutor, LocalExecutor, get_executor


def square_or_fail(x: int) -> int:
    if x == 3:
        raise ValueError("bad item 3")
    return x * x


@pytest.mark.parametrize("make", [InlineExecutor, lambda: LocalExecutor(2, window=3)])
def test_every_item_comes_back(make):
    ex = make()
    try:
        got = dict(ex.map(square_or_fail, range(10)))
    finally:
        ex.close()
    assert {k: v for k, v in got.items() if k != 3} == {k: k * k for k in range(10) if k != 3}
    assert isinstance(got[3], ValueError) and "bad item 3" in str(got[3])


def test_default_is_a_local_pool_and_one_worker_is_inline():
    assert isinstance(get_executor(None, 1), InlineExecutor)
    ex = get_executor("local", 2)
    try:
        assert isinstance(ex, LocalExecutor) and ex.workers == 2
    finally:
        ex.close()
