"""What a rule is: a formula over cell IDs, declared once with its severity, messages and basis."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from ..formats import Format
    from ..report import Report, Severity

Op = Literal["eq", "le"]


@dataclass(frozen=True, slots=True)
class Check:
    """One instance of a rule: Σlhs (op) Σrhs, or Σlhs = any of ``alt``.

    A term is a cell ID, ``<cell ID>#stated`` for the new total a 2019 report printed beside its
    change ("512（+284）"), or ``fact:<n>`` for the n-th number stated in the narrative.
    ``params`` fill the message templates (row, column and group labels, in Chinese and English).
    """

    lhs: tuple[str, ...]
    rhs: tuple[str, ...]
    op: Op = "eq"
    alt: tuple[tuple[str, ...], ...] = ()
    params: dict[str, str] = field(default_factory=dict)

    def cells(self) -> list[str]:
        terms = [*self.lhs, *self.rhs, *(t for a in self.alt for t in a)]
        out: list[str] = []
        for t in terms:
            if t.startswith("fact:"):
                continue
            cid = t.split("#", 1)[0]
            if cid not in out:
                out.append(cid)
        return out


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    severity: Severity
    title: str  # Chinese
    title_en: str
    message: str  # Chinese template: {lhs} {rhs} and the check's params; {detail} for conformance
    message_en: str
    basis: str  # legal or template basis
    kind: Literal["arithmetic", "narrative", "conformance", "metadata", "cross-year"] = "arithmetic"
    checks: Callable[[Format, Report], Iterable[Check]] | None = None
