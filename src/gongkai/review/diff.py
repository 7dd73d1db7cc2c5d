"""What changed between two versions of a report, cell by cell and finding by finding."""

from __future__ import annotations

from dataclasses import dataclass

from ..report import Finding, Report


@dataclass(frozen=True, slots=True)
class CellChange:
    cell: str
    before: int | float | None
    after: int | float | None
    raw_before: str | None
    raw_after: str | None


@dataclass(frozen=True, slots=True)
class Diff:
    cells: tuple[CellChange, ...]
    findings_gone: tuple[Finding, ...]  # in the older version only
    findings_new: tuple[Finding, ...]  # in the newer version only
    meta: tuple[tuple[str, object, object], ...]  # (field, before, after): year, agency, template, date

    @property
    def size(self) -> int:
        return len(self.cells) + len(self.findings_gone) + len(self.findings_new) + len(self.meta)


def _key(f: Finding) -> tuple[str, str, tuple[str, ...], str]:
    return (f.rule, f.status, tuple(f.cells), f.message)


def diff(old: Report, new: Report) -> Diff:
    """Cells whose value differs (blank ≠ 0), findings that appeared or went, and changed metadata."""
    ids = list(dict.fromkeys([*old.cells, *new.cells]))
    changes = []
    for cid in ids:
        a, b = old.cells.get(cid), new.cells.get(cid)
        va, vb = (a.value if a else None), (b.value if b else None)
        if va != vb:
            changes.append(CellChange(cid, va, vb, a.raw if a else None, b.raw if b else None))
    ka = {_key(f): f for f in old.findings}
    kb = {_key(f): f for f in new.findings}
    meta = []
    for name, va, vb in (
        ("agency", old.agency.name, new.agency.name),
        ("year", old.year, new.year),
        ("template", old.template, new.template),
        ("signature_date", old.signature_date, new.signature_date),
    ):
        if va != vb:
            meta.append((name, va, vb))
    return Diff(
        tuple(changes),
        tuple(f for k, f in ka.items() if k not in kb),
        tuple(f for k, f in kb.items() if k not in ka),
        tuple(meta),
    )
