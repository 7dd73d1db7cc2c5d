"""Recover cells whose separators were lost, by the template's own arithmetic.

Crawled or copied text glues a table row's numbers together (``21710000218`` for 217|1|0|0|0|0|218)
or splits one number in two (``1 2`` for 12). Given the printed tokens of a row, the number of cells
it must hold and the sums that hold between them (row total = sum of the parts), we list every
reading that is consistent: numbers never start with 0 unless they are 0, and each total equals its
parts. One reading is taken (and marked recovered); several are reported; none is never guessed.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

# (index of the total, indexes of its parts)
Constraint = tuple[int, tuple[int, ...]]

MAX_CANDIDATES = 20
MAX_DIGITS = 48  # longer runs are not a damaged table row; do not search them


@dataclass(frozen=True, slots=True)
class Repair:
    candidates: list[tuple[int, ...]]  # every consistent reading, at most MAX_CANDIDATES
    complete: bool  # False when the search stopped at MAX_CANDIDATES

    @property
    def unique(self) -> tuple[int, ...] | None:
        return self.candidates[0] if len(self.candidates) == 1 and self.complete else None


def row_total(n: int) -> list[Constraint]:
    """The last of ``n`` cells is the sum of the others (a table 三 row)."""
    return [(n - 1, tuple(range(n - 1)))]


def group_totals(groups: int, size: int) -> list[Constraint]:
    """Each group of ``size`` cells ends with its total (table 四: 3 groups of 5)."""
    return [(g * size + size - 1, tuple(range(g * size, g * size + size - 1))) for g in range(groups)]


def repair(tokens: Sequence[str], n: int, constraints: Sequence[Constraint] = ()) -> Repair:
    """Readings of ``tokens`` (digit strings, in order) as exactly ``n`` numbers satisfying ``constraints``.

    Fewer tokens than cells: numbers were glued, so tokens are split (never joined). More tokens than
    cells: numbers were split, so adjacent tokens are joined (never split). Equal: taken as printed.
    """
    tokens = [t for t in tokens if t]
    if not tokens or any(not t.isdigit() for t in tokens):
        return Repair([], True)
    if len(tokens) == n:
        values = tuple(int(t) for t in tokens)
        ok = _satisfies(values, constraints)
        return Repair([values] if ok else [], True)
    if sum(len(t) for t in tokens) > MAX_DIGITS:
        return Repair([], False)
    gen = _splits(tokens, n, constraints) if len(tokens) < n else _joins(tokens, n, constraints)
    found: list[tuple[int, ...]] = []
    for values in gen:
        if values not in found:
            found.append(values)
        if len(found) > MAX_CANDIDATES:
            return Repair(found[:MAX_CANDIDATES], False)
    return Repair(found, True)


def _valid(part: str) -> bool:
    return part == "0" or not part.startswith("0")


def _satisfies(values: Sequence[int], constraints: Sequence[Constraint]) -> bool:
    return all(values[t] == sum(values[i] for i in parts) for t, parts in constraints)


def _closed(values: list[int], constraints: Sequence[Constraint]) -> bool:
    """Every constraint whose cells are all chosen already holds (prunes the search early)."""
    k = len(values)
    return all(
        values[t] == sum(values[i] for i in parts) for t, parts in constraints if t < k and max(parts) < k
    )


def _splits(tokens: Sequence[str], n: int, constraints: Sequence[Constraint]) -> Iterator[tuple[int, ...]]:
    # Each token holds one or more whole cells; cells never straddle tokens.
    def rec(ti: int, pos: int, values: list[int]) -> Iterator[tuple[int, ...]]:
        if not _closed(values, constraints):
            return
        if ti == len(tokens):
            if len(values) == n:
                yield tuple(values)
            return
        token = tokens[ti]
        remaining_tokens = len(tokens) - ti - 1
        slots_left = n - len(values)
        if slots_left <= remaining_tokens:
            return
        for end in range(pos + 1, len(token) + 1):
            part = token[pos:end]
            if not _valid(part):
                break
            values.append(int(part))
            if end == len(token):
                yield from rec(ti + 1, 0, values)
            elif slots_left - 1 > remaining_tokens:
                yield from rec(ti, end, values)
            values.pop()

    yield from rec(0, 0, [])


def _joins(tokens: Sequence[str], n: int, constraints: Sequence[Constraint]) -> Iterator[tuple[int, ...]]:
    def rec(ti: int, values: list[int]) -> Iterator[tuple[int, ...]]:
        if not _closed(values, constraints):
            return
        if ti == len(tokens):
            if len(values) == n:
                yield tuple(values)
            return
        if len(values) == n:
            return
        for end in range(ti + 1, len(tokens) + 1):
            part = "".join(tokens[ti:end])
            if not _valid(part):
                break
            values.append(int(part))
            yield from rec(end, values)
            values.pop()

    yield from rec(0, [])
