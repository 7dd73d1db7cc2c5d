"""Process helpers for the tests that kill a parent and look for what outlived it (Linux /proc)."""

from __future__ import annotations

import time
from pathlib import Path


def descendants(pid: int) -> dict[int, str]:
    """Every live process under ``pid`` (children, grandchildren …), by PID, with its start time
    (so a PID reused later is not mistaken for a survivor), read from /proc."""
    parents: dict[int, int] = {}
    started: dict[int, str] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        p = int(stat.parent.name)
        parents[p], started[p] = int(fields[1]), fields[19]
    found, todo = {}, [pid]
    while todo:
        parent = todo.pop()
        for child, ppid in parents.items():
            if ppid == parent and child not in found:
                found[child] = started[child]
                todo.append(child)
    return found


def alive(pid: int, started: str) -> bool:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return False
    return fields[19] == started and fields[0] != "Z"


def survivors(children: dict[int, str], grace: float = 15.0) -> list[int]:
    """The children still alive once the grace period is over (they exit within ~1 s)."""
    deadline = time.time() + grace
    while True:
        left = [p for p, t in children.items() if alive(p, t)]
        if not left or time.time() > deadline:
            return left
        time.sleep(0.1)
