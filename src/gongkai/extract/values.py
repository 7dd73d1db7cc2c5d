"""Cell values as printed → numbers, exactly as cells.md prescribes.

| printed                          | value                                   |
| 123, 8,759, １２３               | int                                     |
| blank                            | None (not filled)                       |
| /, ／, -, －, —, 无              | 0 (the raw text is kept by the caller)  |
| 增2,668, +44, 减19, -369         | signed delta                            |
| 512（+284）                      | delta 284, stated new total 512         |
| 170,815.4万元, 2122500000元      | float in 万元                           |
| a count above 2,147,483,647      | BadValue (MAX_COUNT)                    |
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from ..formats.model import ValueKind


class BadValue(ValueError):
    """A printed value that is not a number of the expected kind."""


@dataclass(frozen=True, slots=True)
class Parsed:
    value: int | float | None
    unit: str | None = None
    stated_total: int | None = None


# Counts (and stated totals) are at most what an INTEGER column holds on both databases (32-bit on
# PostgreSQL, store/models.py); no agency counts two billion of anything, so a larger printed number is a
# misreading (digits run together), reported as unreadable rather than stored.
MAX_COUNT = 2**31 - 1
ZERO_MARKS = frozenset({"/", "-", "—", "–", "－", "─", "无", "0", "——", "--", "\\"})
_SPACES = re.compile(r"[\s\u3000\u00a0\u200b]+")
_COUNT_UNIT = re.compile(r"(?:件|项|个|宗|条|次|人次|家)$")
_INT = re.compile(r"[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+")
_DELTA = re.compile(r"(增加|增|减少|减|\+|-)?([0-9][0-9,]*)")
_STATED = re.compile(r"([0-9][0-9,]*)\((增加|增|减少|减|\+|-)?([0-9][0-9,]*)\)")
_MONEY = re.compile(r"([0-9][0-9,]*(?:\.[0-9]+)?)(万元|亿元|元)?")
_DASHES = str.maketrans({"—": "-", "–": "-", "－": "-", "─": "-", "−": "-", "＋": "+"})


def clean(raw: str) -> str:
    """NFKC, no spaces, unified dashes: the form every parser below starts from."""
    return _SPACES.sub("", unicodedata.normalize("NFKC", raw)).translate(_DASHES)


def is_blank(raw: str | None) -> bool:
    return raw is None or not _SPACES.sub("", raw)


def _int(text: str) -> int:
    if not _INT.fullmatch(text):
        raise BadValue(f"not an integer: {text!r}")
    n = int(text.replace(",", ""))
    if n > MAX_COUNT:
        raise BadValue(f"larger than any count can be ({MAX_COUNT:,}): {text!r}")
    return n


@lru_cache(maxsize=4096)
def parse(raw: str | None, kind: ValueKind = "count") -> Parsed:
    """Parse a printed cell. Raises ``BadValue`` when the text is not a value of ``kind``."""
    if is_blank(raw):
        return Parsed(None)
    assert raw is not None
    text = clean(raw)
    if text in ZERO_MARKS or set(text) <= {"-"}:
        return Parsed(0)
    if kind == "count":
        return Parsed(_int(_COUNT_UNIT.sub("", text)))
    if kind == "delta":
        return _parse_delta(text)
    return _parse_money(text)


def _sign(word: str | None) -> int:
    return -1 if word in ("减", "减少", "-") else 1


def _parse_delta(text: str) -> Parsed:
    text = _COUNT_UNIT.sub("", text)
    if m := _STATED.fullmatch(text):
        total, word, amount = m.groups()
        return Parsed(_sign(word) * _int(amount), stated_total=_int(total))
    if m := _DELTA.fullmatch(text):
        word, amount = m.groups()
        return Parsed(_sign(word) * _int(amount))
    raise BadValue(f"not a change in count: {text!r}")


def _parse_money(text: str) -> Parsed:
    m = _MONEY.fullmatch(text)
    if not m:
        raise BadValue(f"not an amount of money: {text!r}")
    number, unit = m.groups()
    digits = number.replace(",", "")
    if "," in number and not re.fullmatch(r"[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?", number):
        raise BadValue(f"misplaced thousands separator: {text!r}")
    value = float(digits)
    if not math.isfinite(value):
        raise BadValue(f"not an amount of money: {text!r}")
    if unit == "元":
        value = value / 10_000
    elif unit == "亿元":
        value = value * 10_000
    return Parsed(round(value, 6), unit=unit)


@lru_cache(maxsize=4096)
def looks_numeric(raw: str) -> bool:
    """True when a cell reads as a value (a number, a zero mark, a delta or an amount), not a label."""
    if is_blank(raw):
        return False
    text = clean(raw)
    if text in ZERO_MARKS:
        return True
    return bool(_VALUEISH.fullmatch(text))


_VALUEISH = re.compile(
    r"(?:增加|增|减少|减|\+|-)?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?(?:万元|亿元|元|件|项|个|宗|条)?"
    r"(?:\((?:增加|增|减少|减|\+|-)?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)\))?"
)
