"""Readers: bytes of one input format → the neutral Document. One reader per format."""

from __future__ import annotations

from collections.abc import Callable

from ..document import Document
from ..errors import UnreadableFile
from . import sniff as S
from .text import parse_text, read_text

Reader = Callable[[bytes, str], Document]

READERS: dict[str, Reader] = {
    S.TEXT: read_text,
}

_NAMES = {
    S.PDF: "PDF",
    S.DOCX: "DOCX",
    S.OLE: "DOC/WPS",
    S.ZIP: "ZIP",
    S.HTML: "HTML",
    S.PNG: "PNG",
    S.JPEG: "JPEG",
    S.GIF: "GIF",
    S.TIFF: "TIFF",
    S.BMP: "BMP",
}


def read_bytes(data: bytes, source: str) -> Document:
    """Read any supported format; raises ``UnreadableFile`` naming the file and the problem."""
    if not data:
        raise UnreadableFile(source, "文件为空（0 字节）", "the file is empty (0 bytes)")
    media = S.sniff(data)
    reader = READERS.get(media)
    if reader is None:
        name = _NAMES.get(media, media)
        raise UnreadableFile(source, f"暂不支持的文件格式：{name}", f"unsupported file format: {name}")
    doc = reader(data, source)
    doc.media_type = media
    return doc


__all__ = ["READERS", "parse_text", "read_bytes", "read_text"]
