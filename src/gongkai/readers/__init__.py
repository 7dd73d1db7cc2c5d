"""Readers: bytes of one input format → the neutral Document. One reader per format.

Readers are imported on first use, so a missing optional system tool (LibreOffice) or a slow import
(OCR models) costs nothing until a file of that format arrives.
"""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Callable

from ..document import Document
from ..errors import UnreadableFile
from . import sniff as S
from .limits import ReadLimits, active, budget
from .text import parse_text, read_text

Reader = Callable[[bytes, str], Document]

# media type → (module under gongkai.readers, function)
_READERS: dict[str, tuple[str, str]] = {
    S.TEXT: ("text", "read_text"),
    S.HTML: ("html", "read_html"),
    S.DOCX: ("docx", "read_docx"),
    S.OLE: ("legacy", "read_legacy"),
    S.PDF: ("pdf", "read_pdf"),
    **{m: ("image", "read_image") for m in (S.PNG, S.JPEG, S.TIFF, S.BMP, S.GIF)},
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


def reader_for(media: str) -> Reader | None:
    entry = _READERS.get(media)
    if entry is None:
        return None
    module, func = entry
    try:
        mod = importlib.import_module(f"{__name__}.{module}")
    except ModuleNotFoundError as e:
        if e.name and e.name.startswith(f"{__name__}.{module}"):
            return None  # that reader is not part of this build
        raise
    return getattr(mod, func)


def read_bytes(data: bytes, source: str, limits: ReadLimits | None = None) -> Document:
    """Read any supported format; raises ``UnreadableFile`` naming the file and the problem.

    The reading is bounded by ``limits`` (default ``ReadLimits()``), or by the budget the caller has
    open (``api.parse`` opens one around reading, extraction and checks)."""
    if not data:
        raise UnreadableFile(source, "文件为空（0 字节）", "the file is empty (0 bytes)")
    media = S.sniff(data)
    reader = reader_for(media)
    if reader is None:
        name = _NAMES.get(media, media)
        raise UnreadableFile(source, f"暂不支持的文件格式：{name}", f"unsupported file format: {name}")
    own = limits is not None or active() is None
    with budget(limits, source) if own else contextlib.nullcontext():
        doc = reader(data, source)
    doc.media_type = media
    return doc


__all__ = ["ReadLimits", "parse_text", "read_bytes", "read_text", "reader_for"]
