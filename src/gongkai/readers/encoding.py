"""Detect the text encoding of a file from its bytes: BOMs, UTF-16 without BOM, UTF-8, GB18030."""

from __future__ import annotations

import re

from ..errors import UnreadableFile

_BOMS = (
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)
# Control characters that never occur in a real text file (tab, newlines and form feed do).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_CJK = re.compile(r"[\u4e00-\u9fff]")


def decode(data: bytes, source: str) -> tuple[str, str]:
    """Return (text, encoding). Raises ``UnreadableFile`` for empty or binary input."""
    if not data.strip():
        raise UnreadableFile(source, "文件为空", "the file is empty")
    for bom, enc in _BOMS:
        if data.startswith(bom):
            return _checked(data.decode(enc, errors="strict"), enc, source), enc.replace("-sig", "-bom")
    head = data[:8192]
    if b"\x00" in head:
        text, enc = _utf16_without_bom(data, source)
        return _checked(text, enc, source), enc
    for enc in ("utf-8", "gb18030"):
        try:
            return _checked(data.decode(enc), enc, source), enc
        except UnicodeDecodeError:
            continue
    raise UnreadableFile(
        source, "无法识别文本编码（不是 UTF-8、GBK/GB18030 或 UTF-16）", "unknown text encoding"
    )


def _utf16_without_bom(data: bytes, source: str) -> tuple[str, str]:
    best: tuple[int, str, str] | None = None
    for enc in ("utf-16-le", "utf-16-be"):
        try:
            text = data[: len(data) // 2 * 2].decode(enc)
        except UnicodeDecodeError:
            continue
        score = len(_CJK.findall(text[:4000])) - 10 * len(_CONTROL.findall(text[:4000]))
        if best is None or score > best[0]:
            best = (score, text, enc)
    if best is None or best[0] <= 0:
        raise UnreadableFile(source, "二进制文件，不是文本", "binary file, not text")
    return best[1], best[2]


def _checked(text: str, enc: str, source: str) -> str:
    sample = text[:20000]
    if sample and len(_CONTROL.findall(sample)) > max(2, len(sample) // 200):
        raise UnreadableFile(source, "二进制文件，不是文本", "binary file, not text")
    return text
