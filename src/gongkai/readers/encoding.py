"""Detect the text encoding of a file from its bytes: BOMs, UTF-16 without BOM, UTF-8, GB18030.

A guess is never trusted on its first bytes: each candidate must decode the *whole* content strictly
and give plausible text (few control characters). A BOM is only the first candidate: a UTF-8 BOM in
front of GBK bytes (editors that add one to any file) falls through to GB18030. Only when no candidate
verifies is the content decoded with replacement characters, with the candidate that needs fewest
of them, and the count is reported (``Decoded.replaced``) so the parse output can say so. Content that
needs many replacements is binary, not text, and is refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import UnreadableFile

_BOMS = (
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)
# Control characters that never occur in a real text file (tab, newlines and form feed do).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
# Whitespace, ASCII, Latin, Greek/Cyrillic, general punctuation, box drawing, CJK, kana, Hangul and
# full-width forms: what a text file in any of the candidate encodings is mostly made of.
_COMMON_RANGES = (
    "\t\n\r\x20-\x7e\u00a0-\u024f\u0370-\u04ff\u2000-\u27bf\u3000-\u30ff"
    "\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef"
)
# Counted by what is not common: a real text has almost none, so findall builds a short list.
_RARE = re.compile(f"[^{_COMMON_RANGES}]")
MIN_COMMON_SHARE = 0.6
# Replacement is a last resort for a few damaged bytes; more than this share of the text is binary.
MAX_REPLACED_SHARE = 0.01
MIN_REPLACED_ALLOWED = 4


@dataclass(frozen=True, slots=True)
class Decoded:
    text: str
    encoding: str  # e.g. "utf-8", "utf-8-bom", "gb18030", "utf-16-le"
    replaced: int = 0  # characters decoded as U+FFFD because no candidate verified


def decode(data: bytes, source: str) -> tuple[str, str]:
    """Return (text, encoding). Raises ``UnreadableFile`` for empty or binary input."""
    d = decode_text(data, source)
    return d.text, d.encoding


def decode_text(data: bytes, source: str) -> Decoded:
    """Decode with the first candidate that verifies over the whole content; see the module doc."""
    if not data.strip():
        raise UnreadableFile(source, "文件为空", "the file is empty")
    candidates = _candidates(data)
    for body, enc, label in candidates:
        try:
            text = body.decode(enc)
        except UnicodeDecodeError:
            continue
        if _plausible(text):
            return Decoded(text, label)
    best: Decoded | None = None
    for body, enc, label in candidates:
        text = body.decode(enc, errors="replace")
        n = text.count("\ufffd")
        if _plausible(text) and (best is None or n < best.replaced):
            best = Decoded(text, label, n)
    if best is not None and best.replaced <= max(MIN_REPLACED_ALLOWED, len(best.text) * MAX_REPLACED_SHARE):
        return best
    if best is None or b"\x00" in data[:8192]:
        raise UnreadableFile(source, "二进制文件，不是文本", "binary file, not text")
    raise UnreadableFile(
        source, "无法识别文本编码（不是 UTF-8、GBK/GB18030 或 UTF-16）", "unknown text encoding"
    )


def _candidates(data: bytes) -> list[tuple[bytes, str, str]]:
    """(bytes to decode, codec, label) in order of likelihood."""
    out: list[tuple[bytes, str, str]] = []
    for bom, enc in _BOMS:
        if data.startswith(bom):
            out.append((data[len(bom) :], enc, f"{enc}-bom" if enc == "utf-8" else enc))
            data = data[len(bom) :]  # a wrong BOM: the rest is tried without it
            break
    out.extend((data, enc, enc) for enc in _utf16_order(data))
    out.extend((data, enc, enc) for enc in ("utf-8", "gb18030"))
    seen: set[tuple[bytes, str]] = set()
    unique = []
    for body, enc, label in out:
        key = (body[:16], enc, len(body))
        if key not in seen:
            seen.add(key)
            unique.append((body, enc, label))
    return unique


def _utf16_order(data: bytes) -> list[str]:
    """UTF-16 without BOM, told by its zero bytes: the high bytes of ASCII characters, which sit at
    one parity (odd offsets: little-endian; the other parity has zeros only from CJK characters
    such as U+4E00). Stray zeros at both parities are not UTF-16."""
    head = data[:8192]
    even, odd = head[0::2].count(0), head[1::2].count(0)
    if max(even, odd) < max(4, len(head) // 50) or 3 * min(even, odd) > max(even, odd):
        return []
    return ["utf-16-le", "utf-16-be"] if odd > even else ["utf-16-be", "utf-16-le"]


def _plausible(text: str) -> bool:
    """Text, not binary: control characters are rare and most characters are of the common scripts
    (a wrong byte order or a misread binary gives rare code points), checked on a sample."""
    sample = text[:20000]
    if not sample:
        return False
    # One pass over the sample: the control characters are among the rare ones (none is common),
    # so they are counted in the short list of rare characters, not in a second scan.
    rare = _RARE.findall(sample)
    if len(_CONTROL.findall("".join(rare))) > max(2, len(sample) // 200):
        return False
    return len(sample) - len(rare) >= len(sample) * MIN_COMMON_SHARE
