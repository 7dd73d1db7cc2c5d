"""Label normalisation and tolerant matching of printed labels against the official ones."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import lru_cache
from importlib.resources import files
from typing import Generic, TypeVar

T = TypeVar("T")

# Characters that carry no meaning in a label: spaces of every width, quotes, soft punctuation.
_DROP = re.compile(r"[\s\u3000\u00a0\u200b\"'“”‘’「」『』:：;；,，。·•]+")
_ORDINAL = re.compile(
    r"^(?:第?([一二三四五六七八九十]{1,3})[、.．]"  # 一、  三.
    r"|\(([一二三四五六七八九十]{1,3})\)[、.．]?"  # (三)
    r"|(\d{1,2})[.．、)](?!\d)"  # 1.  2、  3)
    r"|\((\d{1,2})\))"  # (1)
)


@lru_cache(maxsize=1)
def _simplified() -> dict[int, str]:
    """Traditional → simplified, one character for one (OpenCC's table; phrases are not needed for labels).

    OCR models trained on mixed text read a simplified character as its traditional form now and then
    (行政強制); the official labels are simplified, so both sides are folded before they are compared.
    """
    table = files("opencc").joinpath("dictionary/TSCharacters.txt").read_text("utf-8")
    out: dict[int, str] = {}
    for line in table.splitlines():
        trad, _, simp = line.partition("\t")
        simp = simp.split(" ")[0]
        if len(trad) == 1 and len(simp) == 1 and trad != simp:
            out[ord(trad)] = simp
    return out


@lru_cache(maxsize=8192)
def norm(text: str) -> str:
    """Normal form of a label: NFKC (full-width → half-width), simplified characters, no spaces, quotes or
    soft punctuation."""
    return _DROP.sub("", unicodedata.normalize("NFKC", text)).translate(_simplified())


@lru_cache(maxsize=8192)
def split_ordinal(key: str) -> tuple[str, str]:
    """Split a normalised label into its leading ordinal and the rest: ``(三)不予公开`` → (``(三)``, ``不予公开``)."""
    m = _ORDINAL.match(key)
    if not m:
        return "", key
    return _canon_ordinal(m), key[m.end() :]


def _canon_ordinal(m: re.Match[str]) -> str:
    cn, paren_cn, num, paren_num = m.groups()
    if cn:
        return cn + "、"
    if paren_cn:
        return f"({paren_cn})"
    return f"{num or paren_num}."


def ordinal_of(label: str) -> str:
    return split_ordinal(norm(label))[0]


@dataclass(frozen=True, slots=True)
class Match(Generic[T]):
    target: T
    score: float  # 1.0 exact; lower for tolerant matches


class LabelIndex(Generic[T]):
    """Maps printed labels to targets (row IDs, fields, sections), exactly first and then tolerantly.

    Tolerance covers what extraction does to labels: wrapped or spaced-out characters, full-width forms,
    lost or changed ordinals, truncated long labels, and a dropped or changed character or two.
    """

    def __init__(self, entries: Iterable[tuple[str, T]], *, min_score: float = 0.8) -> None:
        self._exact: dict[str, T] = {}
        self._bare: dict[str, list[tuple[str, T]]] = {}
        self._entries: list[tuple[str, str, T]] = []
        self.min_score = min_score
        for label, target in entries:
            key = norm(label)
            ordinal, bare = split_ordinal(key)
            self._exact.setdefault(key, target)
            self._bare.setdefault(bare, []).append((ordinal, target))
            self._entries.append((ordinal, bare, target))
        self._cache: dict[str, list[Match[T]]] = {}

    def candidates(self, label: str) -> list[Match[T]]:
        """All targets the label may denote, best first (several when only context can decide)."""
        key = norm(label)
        hit = self._cache.get(key)
        if hit is None:
            hit = self._cache[key] = self._lookup(key)
        return hit

    def match(self, label: str) -> Match[T] | None:
        found = self.candidates(label)
        return found[0] if found else None

    def _lookup(self, key: str) -> list[Match[T]]:
        if not key:
            return []
        if key in self._exact:
            return [Match(self._exact[key], 1.0)]
        ordinal, bare = split_ordinal(key)
        if bare in self._bare:
            options = self._bare[bare]
            same = [t for o, t in options if o == ordinal]
            return [Match(t, 0.99) for t in (same or [t for _, t in options])]
        if len(bare) < 2:
            return []
        scored: list[Match[T]] = []
        for o, b, target in self._entries:
            score = _similarity(bare, b)
            if ordinal and o and ordinal != o:
                score -= 0.05
            if score >= self.min_score:
                scored.append(Match(target, score))
        scored.sort(key=lambda m: -m.score)
        return scored


def _similarity(printed: str, official: str) -> float:
    if not official:
        return 0.0
    # A long official label cut short (or with its parenthesised note dropped) is still that label.
    if min(len(printed), len(official)) >= 4 and (
        official.startswith(printed) or printed.startswith(official)
    ):
        return 0.9 + 0.05 * min(len(printed), len(official)) / max(len(printed), len(official))
    return SequenceMatcher(None, printed, official, autojunk=False).ratio()
