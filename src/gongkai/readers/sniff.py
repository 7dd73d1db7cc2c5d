"""Format sniffing by content (magic bytes and markup), never by file extension."""

from __future__ import annotations

import re
import zipfile
from io import BytesIO

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
OLE = "application/x-ole-storage"  # .doc / .wps (Word 97 binary, Kingsoft WPS)
ZIP = "application/zip"
HTML = "text/html"
TEXT = "text/plain"
PNG, JPEG, GIF, TIFF, BMP = "image/png", "image/jpeg", "image/gif", "image/tiff", "image/bmp"

_MAGIC = (
    (b"%PDF-", PDF),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", OLE),
    (b"\x89PNG\r\n\x1a\n", PNG),
    (b"\xff\xd8\xff", JPEG),
    (b"GIF87a", GIF),
    (b"GIF89a", GIF),
    (b"II*\x00", TIFF),
    (b"MM\x00*", TIFF),
    (b"BM", BMP),
)
_HTML = re.compile(rb"<(?:!doctype\s+html|html|head|body|table|div|p)[\s>]", re.I)
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")


def sniff(data: bytes) -> str:
    head = data[:1024]
    for magic, media in _MAGIC:
        if head.startswith(magic):
            return media
    # PDFs sometimes carry junk before the header; the spec allows it within the first 1 KiB.
    if b"%PDF-" in head:
        return PDF
    if head.startswith(b"PK\x03\x04"):
        return _zip_kind(data)
    probe = head
    for bom in _BOMS:
        if probe.startswith(bom):
            probe = probe[len(bom) :]
    if b"\x00" in probe[:200] and _HTML.search(probe.replace(b"\x00", b"")):
        return HTML
    if _HTML.search(probe.lstrip()[:512]):
        return HTML
    return TEXT


def _zip_kind(data: bytes) -> str:
    """DOCX or another ZIP. A package zipfile cannot open (damaged, or a variant it does not support,
    e.g. "zip file version 7.4") is still a DOCX when its local headers name the Word part: the
    DOCX reader then says what is wrong with it."""
    try:
        with zipfile.ZipFile(BytesIO(data)) as z:
            names = set(z.namelist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, RuntimeError, NotImplementedError):
        return DOCX if b"word/document.xml" in data else ZIP
    if "word/document.xml" in names:
        return DOCX
    return ZIP
