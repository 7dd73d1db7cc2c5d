"""PDF with a text layer: characters and ruling lines from pdfium → paragraphs and grid tables.

Everything comes from pypdfium2 in one pass per page (characters with their boxes, path objects for
the ruling lines): pdfplumber/pdfminer parse the page content again in Python and are ~10× slower for
the same facts. Tables are found from the ruling lines only: the distinct x of vertical and y of
horizontal rules make a grid; a grid slot joins its neighbour where no rule separates them, so merged
cells come out with their spans. Characters go into the cell under their centre. Text outside tables
becomes paragraphs. Page numbers and repeated running headers/footers are dropped.

Tables continued on the next page stay separate fragments, with two repairs made by x position: a
column rule the continuation lost is restored from the fragment above (where it divides text), and a
row the page break cut in two (the next page's first row only continues text of the last row above)
is joined back. Pages without a usable text layer go to OCR (``readers.image``) when it is there.
"""

from __future__ import annotations

import ctypes
import functools
import io
import itertools
import math
import operator
import re
from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import pypdfium2 as pdfium
import pypdfium2.raw as R

from ..document import (
    PDF_REPAIRED,
    Block,
    Document,
    PageLayer,
    Paragraph,
    Provenance,
    Table,
    TableCell,
    TextLayer,
)
from ..errors import UnreadableFile
from .limits import current as current_budget

MAX_PAGES = 300  # pages read; a report is far shorter, this bounds time and memory on huge files
MAX_CHARS = 100_000  # characters per page kept (a page of map labels is not a report page)
MAX_PATHS = 20_000  # path objects per page inspected for rules
MAX_RULES = 3_000  # rule segments per page beyond which no table is sought
OCR_DPI = 200
MIN_SCAN_DPI = 50  # a scanned page's picture at fewer dots per inch is too coarse to OCR (text ~7 px)
OCR_MAX_PIXELS = 40_000_000  # a page rendered for OCR stays below this (an A4 page at 200 dpi is 3.9 MP)
_JOIN = 2.0  # gap (pt) across which collinear rule pieces are one rule
_SNAP = 3.0  # rules closer than this (pt) are the same grid line
_TOUCH = 2.0  # tolerance (pt) for a horizontal and a vertical rule to meet
_MARGIN = 0.08  # share of the page height at top and bottom where running headers/footers live
_PAGE_NO_ZONE = 0.14

_CJK = (
    "\u2e80-\u2fdf\u3000-\u303f\u3040-\u30ff\u3100-\u312f\u31c0-\u31ef\u3200-\u33ff"
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef\u2018-\u201f\u2026\u2014"
)
_CJK_RE = re.compile(f"[{_CJK}]")
_NUMERIC = re.compile(r"[-+−－]?[\d.,，．%％]+")
_CJK_GAP = re.compile(f"(?<=[{_CJK}])\\s+(?=[{_CJK}])")
_PAGE_NO = re.compile(
    r"^(?:[-—–－―~～·•\s]*\d{1,4}[-—–－―~～·•\s]*"
    r"|第\s*\d{1,4}\s*页(?:\s*[,，/]?\s*共\s*\d{1,4}\s*页)?"
    r"|\d{1,4}\s*/\s*\d{1,4}"
    r"|(?:page|p\.)\s*\d{1,4}(?:\s*of\s*\d{1,4})?)$",
    re.IGNORECASE,
)


# ---------------------------------------------------------------- page content


@dataclass(slots=True)
class _Char:
    """A character and its box; the centre is worked out once (``_chars``): layout reads it often."""

    c: str
    x0: float
    top: float
    x1: float
    bottom: float
    cx: float
    cy: float


@dataclass(slots=True)
class _Line:
    """One text line outside tables (top-left origin, PDF points)."""

    text: str
    x0: float
    top: float
    x1: float
    bottom: float
    size: float  # median glyph height: the font size, robust to a few taller glyphs in the line


@dataclass(slots=True)
class _Seg:
    """A ruling line piece: ``pos`` is y for a horizontal rule, x for a vertical one."""

    pos: float
    lo: float
    hi: float


@dataclass(slots=True)
class _Region:
    """A merged cell on the grid: slots [r0, r1) × [c0, c1) and its box."""

    r0: int
    c0: int
    r1: int
    c1: int
    x0: float
    top: float
    x1: float
    bottom: float
    chars: list[_Char] = field(default_factory=list)
    text: str = ""
    full: bool = False  # its last text line reaches the right edge: the text may go on (page break)


@dataclass(slots=True)
class _Tab:
    page: int
    nrows: int
    regions: list[_Region]
    xs: list[float] = field(default_factory=list)  # x of the grid's column lines

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        rs = self.regions
        if not rs:
            raise ValueError("a grid without regions has no box")
        # min/max of each side in one pass (as min() and max() do: the first of equal values stays)
        x0, top, x1, bottom = rs[0].x0, rs[0].top, rs[0].x1, rs[0].bottom
        for r in rs:
            if r.x0 < x0:
                x0 = r.x0
            if r.top < top:
                top = r.top
            if r.x1 > x1:
                x1 = r.x1
            if r.bottom > bottom:
                bottom = r.bottom
        return x0, top, x1, bottom


@dataclass(slots=True)
class _Para:
    text: str
    page: int
    bbox: tuple[float, float, float, float]
    indented: bool  # its first line starts right of the text column's left edge
    open_end: bool  # its last line runs to the right edge (may continue on the next page)


@dataclass(slots=True)
class _Page:
    no: int
    height: float
    lines: list[_Line] = field(default_factory=list)
    tables: list[_Tab] = field(default_factory=list)
    ocr: list[Block] | None = None  # blocks read by OCR: a page without a text layer, or its pictures
    layer: PageLayer = "ok"
    coarse: int | None = None  # a scanned page too coarse to OCR: its dpi


# ---------------------------------------------------------------- entry point


def read_pdf(data: bytes, source: str) -> Document:
    """Read a PDF: paragraphs and grid tables from its text layer, OCR for pages without one.

    A file pdfium cannot open gets one repair pass (qpdf, through pikepdf) before it is refused: a
    truncated download keeps every page before the cut, and the warnings say it was repaired. (Files
    pdfium opens are not repaired: its own reconstruction read every broken-xref and bad-length case
    tried, and qpdf's read gave the same text.)"""
    pdf, repaired = _open(data, source)
    doc, pages = _read(pdf, source)
    if repaired:
        doc.warnings.insert(0, PDF_REPAIRED)
    coarse = [p for p in pages if p.coarse is not None]
    if coarse and all(p.coarse is not None or p.layer == "empty" for p in pages):
        dpi = max(p.coarse or 0 for p in coarse)
        raise UnreadableFile(
            source,
            f"扫描件分辨率过低（约 {dpi} dpi），文字无法识别；请以 200 dpi 以上重新扫描",
            f"the scan's resolution is too low to read (about {dpi} dpi); rescan at 200 dpi or more",
        )
    _drop_page_furniture(pages)
    doc.page_layers = [p.layer for p in pages]
    doc.text_layer = _text_layer(doc.page_layers)
    doc.blocks = _assemble(pages, source)
    _index_tables(doc.blocks)
    return doc


def _read(pdf: pdfium.PdfDocument, source: str) -> tuple[Document, list[_Page]]:
    try:
        total = len(pdf)
        if total == 0:
            raise UnreadableFile(source, "PDF 中没有任何页面", "the PDF has no pages")
        doc = Document(source=source, media_type="application/pdf", pages=total)
        if total > MAX_PAGES:
            doc.warnings.append(f"PDF 共 {total} 页，只读取了前 {MAX_PAGES} 页")
        pages: list[_Page] = []
        cols: list[float] = []  # column lines of the previous page's last table
        budget = current_budget(source)  # time and OCR pages per file (readers.limits)
        denied = budget.ocr_denied
        for i in range(min(total, MAX_PAGES)):
            budget.check_time()
            pages.append(_read_page(pdf, i, source, doc.warnings, cols))
            budget.pages_read = i + 1
            cols = pages[-1].tables[-1].xs if pages[-1].tables else []
        doc.ocr_skipped = budget.ocr_denied - denied
    finally:
        pdf.close()
    return doc, pages


def _repair(data: bytes) -> bytes | None:
    """qpdf's reconstruction (pikepdf open + save): rebuilds the xref from the objects it finds and
    drops what it cannot parse. None when it cannot make a PDF with pages of it."""
    try:
        import pikepdf
    except ImportError:
        return None
    out = io.BytesIO()
    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            if not len(pdf.pages):
                return None
            pdf.save(out)
    except Exception:  # qpdf's errors on garbage: the original error stands
        return None
    return out.getvalue()


def _open(data: bytes, source: str) -> tuple[pdfium.PdfDocument, bool]:
    """The document, and whether it had to be repaired to open."""
    try:
        return pdfium.PdfDocument(data), False
    except pdfium.PdfiumError as e:
        code = getattr(e, "err_code", None)
        if code == R.FPDF_ERR_PASSWORD:
            raise UnreadableFile(
                source, "PDF 已加密（需要密码才能打开）", "the PDF is encrypted (a password is needed)"
            ) from e
        if code == R.FPDF_ERR_SECURITY:
            raise UnreadableFile(
                source, "PDF 已加密（不支持的加密方式）", "the PDF is encrypted with an unsupported scheme"
            ) from e
        if (fixed := _repair(data)) is not None:
            try:
                return pdfium.PdfDocument(fixed), True
            except pdfium.PdfiumError:
                pass
        if b"%%EOF" not in data[-2048:]:
            raise UnreadableFile(
                source,
                "PDF 文件不完整（缺少文件尾，可能未下载完整）",
                f"truncated PDF (no %%EOF at the end): {e}",
            ) from e
        raise UnreadableFile(source, "PDF 文件已损坏，无法读取", f"damaged PDF: {e}") from e


def _read_page(
    pdf: pdfium.PdfDocument, index: int, source: str, warnings: list[str], prev_cols: list[float]
) -> _Page:
    no = index + 1
    try:
        page = pdf[index]
    except pdfium.PdfiumError:
        warnings.append(f"第{no}页已损坏，无法读取")
        return _Page(no, 842.0)
    try:
        return _read_open_page(page, no, source, warnings, prev_cols)
    except pdfium.PdfiumError as e:
        warnings.append(f"第{no}页无法读取：{e}")
        return _Page(no, 842.0)
    finally:
        page.close()


def _read_open_page(
    page: pdfium.PdfPage, no: int, source: str, warnings: list[str], prev_cols: list[float]
) -> _Page:
    left, bottom, _, top = page.get_cropbox()
    height = top - bottom
    chars, garbled = _chars(page, left, top)
    paths, images = _page_objects(page.raw)
    pictures = _pictures(images, left, top)
    if not chars:
        layer: PageLayer = "garbled" if garbled else "ocr" if pictures else "empty"
        try:
            return _Page(no, height, ocr=_ocr(page, no, source, warnings, garbled, None), layer=layer)
        except _TooCoarse as e:
            warnings.append(f"第{no}页扫描分辨率过低（约 {e.dpi} dpi），未识别")
            return _Page(no, height, layer=layer, coarse=e.dpi)
    out = _layout(no, height, chars, _rules(paths, left, top), prev_cols)
    # A picture pasted into a born-digital page (a table as a screenshot): the text layer has nothing
    # where it lies, so the picture is read by OCR and its blocks join the page's own.
    for box in pictures:
        if _share(box, width=page.get_width(), height=height) < _PICTURE_SHARE or _chars_in(chars, box) > 5:
            continue
        blocks = _ocr(page, no, source, warnings, False, box)
        if blocks:
            out.ocr = (out.ocr or []) + blocks
            out.layer = "ocr"
    return out


_PICTURE_SHARE = 0.12  # pictures smaller than this share of the page (logos, seals) are not read


def _pictures(images: list[int], left: float, top: float) -> list[tuple[float, float, float, float]]:
    """Boxes (x0, top, x1, bottom; page points from the top left) of the page's image objects."""
    out = []
    lo, bo, ro, to = ctypes.c_float(), ctypes.c_float(), ctypes.c_float(), ctypes.c_float()
    at = [ctypes.addressof(v) for v in (lo, bo, ro, to)]
    for obj in images:
        if not _OBJECT_BOUNDS(obj, *at):
            continue  # an image pdfium cannot place
        x0, y0, x1, y1 = lo.value, bo.value, ro.value, to.value
        out.append((x0 - left, top - y1, x1 - left, top - y0))
    return out


def _share(box: tuple[float, float, float, float], width: float, height: float) -> float:
    return max(0.0, box[2] - box[0]) * max(0.0, box[3] - box[1]) / max(width * height, 1.0)


def _chars_in(chars: list[_Char], box: tuple[float, float, float, float]) -> int:
    return sum(1 for c in chars if box[0] <= c.cx <= box[2] and box[1] <= c.cy <= box[3])


def _text_layer(pages: list[PageLayer]) -> TextLayer:
    """The document's text layer: garbled if any page's was, OCR if any page was read by OCR."""
    if "garbled" in pages:
        return "garbled"
    return "ocr" if "ocr" in pages else "ok"


# ---------------------------------------------------------------- characters


def _chars(page: pdfium.PdfPage, left: float, top: float) -> tuple[list[_Char], bool]:
    """Visible characters (generated spaces/newlines skipped, whitespace dropped: gaps decide spacing),
    and whether the text layer is garbled (no usable Unicode), in which case none are returned."""
    tp = page.get_textpage()
    try:
        boxes, bad = _raw_chars(tp.raw)
    finally:
        tp.close()
    if bad > 0 and bad > 0.3 * (bad + len(boxes)):
        return [], True
    if _mojibake(b[0] for b in boxes):
        return [], True
    half: float | None = None  # half the typical line height: wanted only for a broken loose box
    out: list[_Char] = []
    seen: set[tuple[str, int, int]] = set()
    for c, lb, tb, good in boxes:
        if good:
            x0, y0, x1, y1 = lb
        else:  # a broken loose box (seen: 200 pt wide for vertical text): the glyph box, line-high
            if half is None:
                heights = sorted(b[1][3] - b[1][1] for b in boxes if b[3])
                half = (heights[len(heights) // 2] if heights else 10.0) / 2
            cy = (tb[1] + tb[3]) / 2
            x0, y0, x1, y1 = tb[0], cy - half, tb[2], cy + half
        cx0, ctop, cx1, cbottom = x0 - left, top - y1, x1 - left, top - y0
        key = (c, round(cx0), round(ctop))
        if key in seen:  # fake bold: the same glyph drawn twice at (almost) the same spot
            continue
        seen.add(key)
        out.append(_Char(c, cx0, ctop, cx1, cbottom, (cx0 + cx1) / 2, (ctop + cbottom) / 2))
    return out, False


_Box = tuple[float, float, float, float]  # left, bottom, right, top (PDF user space)


def _raw_chars(raw) -> tuple[list[tuple[str, _Box, _Box, bool]], int]:
    """(character, loose box, glyph box, loose box sane) for each visible character; and the count of
    garbled ones. The loose (font-metrics) box is sane when it holds the glyph's centre and is not
    absurdly big (more than 6 × the glyph's size, at least 2 pt, either way)."""
    n = min(R.FPDFText_CountChars(raw), MAX_CHARS)
    rect = R.FS_RECTF()
    lo, ro, bo, to = ctypes.c_double(), ctypes.c_double(), ctypes.c_double(), ctypes.c_double()
    out: list[tuple[str, _Box, _Box, bool]] = []
    bad = 0
    codes = _codes(raw, n)
    # the three calls a character makes, on plain addresses (see _by_address)
    tp, at_rect = _address(raw), ctypes.addressof(rect)
    at_lo, at_ro, at_bo, at_to = (ctypes.addressof(v) for v in (lo, ro, bo, to))
    map_error, loose_box, char_box = _HAS_MAP_ERROR, _LOOSE_BOX, _CHAR_BOX
    if codes is None:  # one call a character (the text has characters beyond the BMP)
        codes = [R.FPDFText_GetUnicode(raw, i) for i in range(n)]
    for i, u in enumerate(codes):
        # pdfium's generated characters are spaces and line breaks: skipped here with the real ones
        if u in _BLANKS:
            continue
        if u == 0xFFFD or u < 0x20 or 0xE000 <= u <= 0xF8FF or map_error(tp, i) == 1:
            bad += 1
            continue
        if not loose_box(tp, i, at_rect) or not char_box(tp, i, at_lo, at_ro, at_bo, at_to):
            continue
        l0, l1, l2, l3 = rect.left, rect.bottom, rect.right, rect.top
        g0, g1, g2, g3 = lo.value, bo.value, ro.value, to.value
        size = g2 - g0  # max(width, height, 2.0), spelt out (this runs for every character)
        if g3 - g1 > size:
            size = g3 - g1
        if size < 2.0:
            size = 2.0
        cx, cy = (g0 + g2) / 2, (g1 + g3) / 2
        ok = l0 <= cx <= l2 and l1 <= cy <= l3 and 0 < l2 - l0 <= 6 * size and 0 < l3 - l1 <= 6 * size
        out.append((chr(u), (l0, l1, l2, l3), (g0, g1, g2, g3), ok))
    return out, bad


_BLANKS = frozenset((0x20, 0x09, 0x0A, 0x0D, 0xA0, 0x3000, 0xFEFF))


def _codes(raw, n: int) -> list[int] | None:
    """Every character's code in one call (one ctypes call a character was a third of the reading);
    ``None`` when the text has characters beyond the BMP (UTF-16 pairs would shift the indexes)."""
    if n <= 0:
        return []
    buf = ctypes.create_string_buffer((n + 1) * 2)
    got = R.FPDFText_GetText(raw, 0, n, ctypes.cast(buf, ctypes.POINTER(ctypes.c_ushort)))
    units = memoryview(buf.raw[: max(0, got - 1) * 2]).cast("H").tolist()
    if len(units) != n or any(0xD800 <= u <= 0xDFFF for u in units):
        return None
    return units


_MOJIBAKE_MIN = 20  # characters a page needs before its text layer is judged
_MOJIBAKE_SHARE = 0.7  # at least this share of a page's characters are ones a report uses


def _mojibake(chars: Iterable[str]) -> bool:
    """Is the text layer nonsense? A font without a usable ToUnicode map (CIDs taken as code points,
    or a wrong map) yields characters no Chinese report is written in: rare CJK (outside GB2312's
    6,763), Greek, Cyrillic, kana, Hangul, symbols. A report's own text is ASCII and GB2312."""
    flags = list(map(_usual, chars))
    n, good = len(flags), sum(flags)
    return n >= _MOJIBAKE_MIN and good < _MOJIBAKE_SHARE * n


@functools.lru_cache(maxsize=8192)
def _usual(c: str) -> bool:
    u = ord(c)
    if 0x21 <= u <= 0x7E:
        return True
    if 0x370 <= u <= 0x4FF or 0x3040 <= u <= 0x30FF or 0x2500 <= u <= 0x257F:
        return False  # Greek, Cyrillic, kana, box drawing: in GB2312, but not in a report's prose
    try:
        c.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


@functools.lru_cache(maxsize=8192)
def _cjk(c: str) -> bool:
    return bool(_CJK_RE.match(c))


def _group_lines(chars: list[_Char]) -> list[list[_Char]]:
    """Characters → lines (top to bottom), each line's characters left to right."""
    lines: list[list[_Char]] = []
    for ch in sorted(chars, key=_by_cy):
        if lines:
            cur = lines[-1]
            first = cur[0]
            h = first.bottom - first.top  # min(first's height, ch's), spelt out
            if ch.bottom - ch.top < h:
                h = ch.bottom - ch.top
            if abs(ch.cy - first.cy) <= 0.5 * h:
                cur.append(ch)
                continue
        lines.append([ch])
    for ln in lines:
        ln.sort(key=_by_x0)
    return lines


_by_cy = operator.attrgetter("cy")
_by_x0 = operator.attrgetter("x0")


def _line_text(chars: list[_Char]) -> str:
    """Characters of one line → text. Loose boxes abut within a word, so a gap is a space between
    Latin/digits; between CJK it is justification or layout, except a very wide gap (a column gap)."""
    parts: list[str] = []
    prev: _Char | None = None
    for ch in chars:
        if prev is not None:
            gap = ch.x0 - prev.x1
            h = ch.bottom - ch.top  # max(ch's height, prev's), spelt out
            if prev.bottom - prev.top > h:
                h = prev.bottom - prev.top
            if gap > 1.5 * h:
                parts.append("  ")
            elif gap > 0.12 * h and not (_cjk(prev.c) or _cjk(ch.c)):
                parts.append(" ")
        parts.append(ch.c)
        prev = ch
    return "".join(parts)


def _join(a: str, b: str) -> str:
    """Join two wrapped lines: a space only between two Latin letters (CJK and numbers wrap mid-word)."""
    if not a or not b:
        return a + b
    if a[-1].isascii() and a[-1].isalpha() and b[0].isascii() and b[0].isalpha():
        return f"{a} {b}"
    return a + b


def _ends_full(g: _Region, lines: list[list[_Char]]) -> bool:
    """The cell's last line is wrapped text filling the cell's width (not a number, which sits in a
    narrow cell and fills it anyway): more text may have been pushed onto the next page."""
    if not lines:
        return False
    last = lines[-1]
    h = max(c.bottom - c.top for c in last)
    text = "".join(c.c for c in last)
    if len(text) < 4 or _NUMERIC.fullmatch(text):
        return False
    return last[0].x0 <= g.x0 + 1.5 * h + 2 and last[-1].x1 >= g.x1 - 1.5 * h - 2


def _cell_text(lines: list[list[_Char]]) -> str:
    text = ""
    for ln in lines:
        text = _join(text, _line_text(ln).strip())
    return _CJK_GAP.sub("", re.sub(r"\s{2,}", " ", text)).strip()


# ---------------------------------------------------------------- ruling lines


class _Matrix:
    __slots__ = ("a", "b", "c", "d", "e", "f")

    def __init__(self, a: float, b: float, c: float, d: float, e: float, f: float) -> None:
        self.a, self.b, self.c, self.d, self.e, self.f = a, b, c, d, e, f

    def then(self, o: _Matrix) -> _Matrix:
        """This transform followed by ``o``."""
        return _Matrix(
            self.a * o.a + self.b * o.c,
            self.a * o.b + self.b * o.d,
            self.c * o.a + self.d * o.c,
            self.c * o.b + self.d * o.d,
            self.e * o.a + self.f * o.c + o.e,
            self.e * o.b + self.f * o.d + o.f,
        )

    def apply(self, x: float, y: float) -> tuple[float, float]:
        return self.a * x + self.c * y + self.e, self.b * x + self.d * y + self.f


_IDENTITY = _Matrix(1, 0, 0, 1, 0, 0)


_MAX_PICTURES = 64  # image objects of a page looked at
_FORM_DEPTH_PATHS = 8  # form XObjects nested this deep are searched for ruling lines
_FORM_DEPTH_IMAGES = 7  # and this deep for images (pypdfium2's get_objects(max_depth=8))


def _page_objects(raw) -> tuple[list[tuple[int, _Matrix]], list[int]]:
    """The page's path objects with their object → page transforms (form XObjects included, at most
    ``MAX_PATHS``) and its first 64 image objects, in one walk over pdfium's raw handles.

    Each list is what a walk of its own gives: the paths in the order a depth-first walk meets them;
    the images exactly as ``page.get_objects(filter=(FPDF_PAGEOBJ_IMAGE,), max_depth=8)`` yields
    them, with the ``PdfiumError`` it raises on a container it cannot count or an object it cannot get
    or type, while it is still looking (the helper wraps every object of the page in a Python object
    before filtering: a tenth of reading a born-digital page, and a second walk another)."""
    paths: list[tuple[int, _Matrix]] = []  # objects as plain addresses (see _by_address)
    images: list[int] = []
    budget = MAX_PATHS
    fm = R.FS_MATRIX()
    at_fm = ctypes.addressof(fm)
    path_kind, form_kind, image_kind = R.FPDF_PAGEOBJ_PATH, R.FPDF_PAGEOBJ_FORM, R.FPDF_PAGEOBJ_IMAGE
    object_type, object_matrix = _OBJECT_TYPE, _OBJECT_MATRIX

    def walk(parent: int, form: bool, depth: int, matrix: _Matrix, seek_images: bool) -> None:
        nonlocal budget
        count = _FORM_COUNT_OBJECTS(parent) if form else _PAGE_COUNT_OBJECTS(parent)
        if seek_images and count < 0:
            raise pdfium.PdfiumError("Failed to get number of pageobjects.")
        get = _FORM_GET_OBJECT if form else _PAGE_GET_OBJECT
        for i in range(count):
            seek_paths = budget > 0
            seek_images = seek_images and len(images) < _MAX_PICTURES
            if not (seek_paths or seek_images):
                return
            obj = get(parent, i)
            if seek_images and not obj:
                raise pdfium.PdfiumError("Failed to get pageobject.")
            kind = object_type(obj)
            if kind == image_kind:
                if seek_images:
                    images.append(obj)
                continue
            if seek_images and kind == R.FPDF_PAGEOBJ_UNKNOWN:
                raise pdfium.PdfiumError(
                    "Failed to determine pageobject type, did you pass in a valid FPDF_PAGEOBJECT handle?"
                )
            if kind != path_kind and kind != form_kind:
                continue
            if seek_paths:
                object_matrix(obj, at_fm)
                m = _Matrix(fm.a, fm.b, fm.c, fm.d, fm.e, fm.f).then(matrix)
                if kind == path_kind:
                    budget -= 1
                    paths.append((obj, m))
                    continue
            elif kind == path_kind:
                continue
            else:
                m = matrix  # only images are sought below: no transform needed
            into_paths = seek_paths and depth < _FORM_DEPTH_PATHS
            into_images = seek_images and depth < _FORM_DEPTH_IMAGES
            if into_paths or into_images:
                walk(obj, True, depth + 1, m, into_images)

    walk(_address(raw), False, 0, _IDENTITY, True)
    return paths, images


def _by_address(func, restype, *argtypes):
    """pdfium's ``func`` (the same binding) taking and giving plain addresses (ints) for its handles and
    out-parameters: no ctypes pointer object is made per call. For the calls made per character, per
    page object and per path segment, where building those objects cost a third of each call. Page
    objects and path segments stay plain addresses throughout (``_page_objects``, ``_rules``)."""
    fast = type(func)(ctypes.cast(func, ctypes.c_void_p).value)
    fast.restype, fast.argtypes = restype, argtypes
    return fast


def _address(handle) -> int:
    return ctypes.cast(handle, ctypes.c_void_p).value or 0


_P, _I = ctypes.c_void_p, ctypes.c_int
_PAGE_COUNT_OBJECTS = _by_address(R.FPDFPage_CountObjects, _I, _P)
_PAGE_GET_OBJECT = _by_address(R.FPDFPage_GetObject, _P, _P, _I)
_FORM_COUNT_OBJECTS = _by_address(R.FPDFFormObj_CountObjects, _I, _P)
_FORM_GET_OBJECT = _by_address(R.FPDFFormObj_GetObject, _P, _P, ctypes.c_ulong)
_OBJECT_TYPE = _by_address(R.FPDFPageObj_GetType, _I, _P)
_OBJECT_MATRIX = _by_address(R.FPDFPageObj_GetMatrix, _I, _P, _P)
_HAS_MAP_ERROR = _by_address(R.FPDFText_HasUnicodeMapError, _I, _P, _I)
_LOOSE_BOX = _by_address(R.FPDFText_GetLooseCharBox, _I, _P, _I, _P)
_CHAR_BOX = _by_address(R.FPDFText_GetCharBox, _I, _P, _I, _P, _P, _P, _P)
_OBJECT_BOUNDS = _by_address(R.FPDFPageObj_GetBounds, _I, _P, _P, _P, _P, _P)
_DRAW_MODE = _by_address(R.FPDFPath_GetDrawMode, _I, _P, _P, _P)
_STROKE_COLOR = _by_address(R.FPDFPageObj_GetStrokeColor, _I, _P, _P, _P, _P, _P)
_FILL_COLOR = _by_address(R.FPDFPageObj_GetFillColor, _I, _P, _P, _P, _P, _P)
_COUNT_SEGMENTS = _by_address(R.FPDFPath_CountSegments, _I, _P)
_GET_SEGMENT = _by_address(R.FPDFPath_GetPathSegment, _P, _P, _I)
_SEGMENT_POINT = _by_address(R.FPDFPathSegment_GetPoint, _I, _P, _P, _P)
_SEGMENT_TYPE = _by_address(R.FPDFPathSegment_GetType, _I, _P)
_SEGMENT_CLOSE = _by_address(R.FPDFPathSegment_GetClose, _I, _P)


def _rules(paths: list[tuple[int, _Matrix]], left: float, top: float) -> tuple[list[_Seg], list[_Seg]]:
    """Horizontal and vertical ruling lines in top-left page coordinates: stroked axis-parallel
    segments, and thin filled rectangles (borders drawn as fills). Wide fills are cell shading."""
    hs: list[_Seg] = []
    vs: list[_Seg] = []
    fill, stroke = ctypes.c_int(), ctypes.c_int()
    at_fill, at_stroke = ctypes.addressof(fill), ctypes.addressof(stroke)
    x, y = ctypes.c_float(), ctypes.c_float()
    for obj, m in paths:
        _DRAW_MODE(obj, at_fill, at_stroke)
        stroked = bool(stroke.value) and not _white(obj, _STROKE_COLOR)
        filled = fill.value != 0 and not _white(obj, _FILL_COLOR)
        if not (stroked or filled):
            continue
        for pts in _subpaths(obj, m, x, y, left, top):
            if stroked:
                _add_segments(pts, hs, vs)
            elif filled:
                _add_thin_fill(pts, hs, vs)
    return _merge_segs(hs), _merge_segs(vs)


def _white(obj: int, getter) -> bool:
    r, g, b, a = ctypes.c_uint(), ctypes.c_uint(), ctypes.c_uint(), ctypes.c_uint()
    if not getter(obj, ctypes.addressof(r), ctypes.addressof(g), ctypes.addressof(b), ctypes.addressof(a)):
        return False
    return a.value == 0 or min(r.value, g.value, b.value) >= 240


def _subpaths(obj: int, m: _Matrix, x, y, left: float, top: float) -> Iterator[list[tuple[float, float]]]:
    """Straight-edged subpaths as point lists in page coordinates (curved ones are skipped)."""
    pts: list[tuple[float, float]] = []
    curved = False
    at_x, at_y = ctypes.addressof(x), ctypes.addressof(y)
    for i in range(_COUNT_SEGMENTS(obj)):
        seg = _GET_SEGMENT(obj, i)
        _SEGMENT_POINT(seg, at_x, at_y)
        kind = _SEGMENT_TYPE(seg)
        px, py = m.apply(x.value, y.value)
        p = (px - left, top - py)
        if kind == R.FPDF_SEGMENT_MOVETO:
            if len(pts) > 1 and not curved:
                yield pts
            pts, curved = [p], False
            continue
        if kind == R.FPDF_SEGMENT_BEZIERTO:
            curved = True
        pts.append(p)
        if _SEGMENT_CLOSE(seg) and pts[0] != p:
            pts.append(pts[0])
    if len(pts) > 1 and not curved:
        yield pts


def _add_segments(pts: list[tuple[float, float]], hs: list[_Seg], vs: list[_Seg]) -> None:
    for (x0, y0), (x1, y1) in itertools.pairwise(pts):
        if abs(y1 - y0) < 0.5 and abs(x1 - x0) >= 1:
            hs.append(_Seg((y0 + y1) / 2, min(x0, x1), max(x0, x1)))
        elif abs(x1 - x0) < 0.5 and abs(y1 - y0) >= 1:
            vs.append(_Seg((x0 + x1) / 2, min(y0, y1), max(y0, y1)))


def _add_thin_fill(pts: list[tuple[float, float]], hs: list[_Seg], vs: list[_Seg]) -> None:
    xs = [p[0] for p in pts]
    ys = [p[1] for p in pts]
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    w, h = x1 - x0, y1 - y0
    if h <= 2.5 and w > 2:
        hs.append(_Seg((y0 + y1) / 2, x0, x1))
    elif w <= 2.5 and h > 2:
        vs.append(_Seg((x0 + x1) / 2, y0, y1))


def _merge_segs(segs: list[_Seg]) -> list[_Seg]:
    """Collinear pieces (same position within 1 pt) that touch or overlap → one segment."""
    groups: list[list[_Seg]] = []
    for s in sorted(segs, key=lambda s: s.pos):
        if groups and s.pos - groups[-1][-1].pos <= 1.0:
            groups[-1].append(s)
        else:
            groups.append([s])
    out: list[_Seg] = []
    for group in groups:
        merged: list[_Seg] = []
        for s in sorted(group, key=lambda s: s.lo):
            if merged and s.lo <= merged[-1].hi + _JOIN:
                merged[-1].hi = max(merged[-1].hi, s.hi)
            else:
                merged.append(_Seg(s.pos, s.lo, s.hi))
        out.extend(merged)
    return out


# ---------------------------------------------------------------- tables from rules


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, a: int) -> int:
        while self.parent[a] != a:
            self.parent[a] = self.parent[self.parent[a]]
            a = self.parent[a]
        return a

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[rb] = ra


def _components(hs: list[_Seg], vs: list[_Seg]) -> list[tuple[list[_Seg], list[_Seg]]]:
    """Groups of horizontal and vertical rules that meet: each group is one table candidate."""
    uf = _UnionFind(len(hs) + len(vs))
    for i, h in enumerate(hs):
        for j, v in enumerate(vs):
            if h.lo - _TOUCH <= v.pos <= h.hi + _TOUCH and v.lo - _TOUCH <= h.pos <= v.hi + _TOUCH:
                uf.union(i, len(hs) + j)
    groups: dict[int, tuple[list[_Seg], list[_Seg]]] = defaultdict(lambda: ([], []))
    for i, h in enumerate(hs):
        groups[uf.find(i)][0].append(h)
    for j, v in enumerate(vs):
        groups[uf.find(len(hs) + j)][1].append(v)
    return [g for g in groups.values() if len(g[0]) >= 2 and len(g[1]) >= 2]


def _snap(values: list[float]) -> list[float]:
    out: list[list[float]] = []
    for v in sorted(values):
        if out and v - out[-1][-1] <= _SNAP:
            out[-1].append(v)
        else:
            out.append([v])
    return [sum(g) / len(g) for g in out]


def _index_of(lines: list[float], v: float) -> int:
    return min(range(len(lines)), key=lambda k: abs(lines[k] - v))


def _coverage(segs: list[_Seg], lo: float, hi: float) -> float:
    """Share of [lo, hi] covered by the segments."""
    if hi <= lo:
        return 1.0
    # max(0.0, min(s.hi, hi) - max(s.lo, lo)) of each segment, the min and max spelt out
    covered = sum(
        v if (v := (hi if hi < s.hi else s.hi) - (lo if lo > s.lo else s.lo)) > 0.0 else 0.0 for s in segs
    )
    return covered / (hi - lo)


def _grid(
    hs: list[_Seg], vs: list[_Seg]
) -> tuple[list[float], list[float], list[list[bool]], list[list[bool]]]:
    """Grid lines and where rules separate slots: ``vsep[i][j]`` = a rule at xs[j] across row i,
    ``hsep[i][j]`` = a rule at ys[i] across column j. A border nobody drew (open left/right or
    top/bottom edge) is added where the rules of the other direction end."""
    xs, ys = _snap([v.pos for v in vs]), _snap([h.pos for h in hs])
    left, right = min(h.lo for h in hs), max(h.hi for h in hs)
    top, bottom = min(v.lo for v in vs), max(v.hi for v in vs)
    open_x = {k for k, cond in ((0, left < xs[0] - _SNAP), (1, right > xs[-1] + _SNAP)) if cond}
    open_y = {k for k, cond in ((0, top < ys[0] - _SNAP), (1, bottom > ys[-1] + _SNAP)) if cond}
    if 0 in open_x:
        xs.insert(0, left)
    if 1 in open_x:
        xs.append(right)
    if 0 in open_y:
        ys.insert(0, top)
    if 1 in open_y:
        ys.append(bottom)
    by_x: dict[int, list[_Seg]] = defaultdict(list)
    for v in vs:
        by_x[_index_of(xs, v.pos)].append(v)
    by_y: dict[int, list[_Seg]] = defaultdict(list)
    for h in hs:
        by_y[_index_of(ys, h.pos)].append(h)
    virtual_x = ({0} if 0 in open_x else set()) | ({len(xs) - 1} if 1 in open_x else set())
    virtual_y = ({0} if 0 in open_y else set()) | ({len(ys) - 1} if 1 in open_y else set())
    vsep = [
        [j in virtual_x or _coverage(by_x[j], ys[i], ys[i + 1]) >= 0.5 for j in range(len(xs))]
        for i in range(len(ys) - 1)
    ]
    hsep = [
        [i in virtual_y or _coverage(by_y[i], xs[j], xs[j + 1]) >= 0.5 for j in range(len(xs) - 1)]
        for i in range(len(ys))
    ]
    return xs, ys, vsep, hsep


def _regions(
    xs: list[float], ys: list[float], vsep: list[list[bool]], hsep: list[list[bool]]
) -> list[_Region]:
    """Slots joined where no rule separates them → rectangular merged regions, row-major order."""
    nr, nc = len(ys) - 1, len(xs) - 1
    uf = _UnionFind(nr * nc)
    for i in range(nr):
        for j in range(nc):
            if j + 1 < nc and not vsep[i][j + 1]:
                uf.union(i * nc + j, i * nc + j + 1)
            if i + 1 < nr and not hsep[i + 1][j]:
                uf.union(i * nc + j, (i + 1) * nc + j)
    extent: dict[int, list[int]] = {}
    for i in range(nr):
        for j in range(nc):
            e = extent.setdefault(uf.find(i * nc + j), [i, j, i, j])
            if i < e[0]:  # e = [min i, min j, max i, max j], spelt out
                e[0] = i
            if j < e[1]:
                e[1] = j
            if i > e[2]:
                e[2] = i
            if j > e[3]:
                e[3] = j
    taken = [[False] * nc for _ in range(nr)]
    out: list[_Region] = []
    for i in range(nr):
        for j in range(nc):
            if taken[i][j]:
                continue
            r0, c0, r1, c1 = extent[uf.find(i * nc + j)]
            r0, c0 = i, j  # a ragged (non-rectangular) merge starts where it is first met
            r1 = max(r1, r0)
            c1 = max(c1, c0)
            for a in range(r0, r1 + 1):
                for b in range(c0, c1 + 1):
                    taken[a][b] = True
            out.append(_Region(r0, c0, r1 + 1, c1 + 1, xs[c0], ys[r0], xs[c1 + 1], ys[r1 + 1]))
    return out


def _compact(regions: list[_Region]) -> int:
    """Drop grid rows/columns where no cell starts (a rule stub made them); returns the row count."""
    rows = sorted({r.r0 for r in regions})
    cols = sorted({r.c0 for r in regions})
    rmap = {r: k for k, r in enumerate(rows)}
    cmap = {c: k for k, c in enumerate(cols)}
    for g in regions:
        g.r1 = bisect_right(rows, g.r1 - 1)
        g.c1 = bisect_right(cols, g.c1 - 1)
        g.r0, g.c0 = rmap[g.r0], cmap[g.c0]
    return len(rows)


def _tables(hs: list[_Seg], vs: list[_Seg]) -> list[tuple[_Tab, list[float], list[float], list[list[int]]]]:
    """Tables on the page, each with its grid lines and the slot → region map."""
    if len(hs) + len(vs) > MAX_RULES:
        return []
    out = []
    for ghs, gvs in _components(hs, vs):
        xs, ys, vsep, hsep = _grid(ghs, gvs)
        if len(xs) < 2 or len(ys) < 2:
            continue
        regions = _regions(xs, ys, vsep, hsep)
        slot = [[0] * (len(xs) - 1) for _ in range(len(ys) - 1)]
        for k, g in enumerate(regions):
            for a in range(g.r0, g.r1):
                for b in range(g.c0, g.c1):
                    slot[a][b] = k
        out.append((_Tab(0, len(ys) - 1, regions), xs, ys, slot))
    return out


# ---------------------------------------------------------------- page layout


def _layout(
    no: int, height: float, chars: list[_Char], rules: tuple[list[_Seg], list[_Seg]], prev_cols: list[float]
) -> _Page:
    page = _Page(no, height)
    rest = chars
    found = sorted(_tables(*rules), key=lambda t: t[2][0])
    for k, (tab, xs, ys, slot) in enumerate(found):
        inside, outside = [], []
        for ch in rest:
            cx, cy = ch.cx, ch.cy
            if xs[0] <= cx < xs[-1] and ys[0] <= cy < ys[-1]:
                inside.append(ch)
            else:
                outside.append(ch)
        last_i, last_j, regions = len(ys) - 2, len(xs) - 2, tab.regions
        for ch in inside:
            i = bisect_right(ys, ch.cy) - 1
            j = bisect_right(xs, ch.cx) - 1
            regions[slot[i if i < last_i else last_i][j if j < last_j else last_j]].chars.append(ch)
        if len(tab.regions) < 2 or not inside:
            continue  # a framed box or an empty grid: its text (if any) stays running text
        tab.xs = xs
        if k == 0 and prev_cols:
            _restore_columns(tab, prev_cols)
        for g in tab.regions:
            lines = _group_lines(g.chars)
            g.text = _cell_text(lines)
            g.full = _ends_full(g, lines)
            g.chars = []
        tab.nrows = _compact(tab.regions)
        tab.page = no
        page.tables.append(tab)
        rest = outside
    for ln in _group_lines(rest):
        text = _line_text(ln).strip()
        if text:
            heights = sorted(c.bottom - c.top for c in ln)
            top, bottom = min(c.top for c in ln), max(c.bottom for c in ln)
            page.lines.append(_Line(text, ln[0].x0, top, ln[-1].x1, bottom, heights[len(heights) // 2]))
    page.tables.sort(key=lambda t: t.bbox[1])
    return page


def _restore_columns(tab: _Tab, prev_cols: list[float]) -> None:
    """The continuation of a table from the page before can lose a vertical rule, merging two columns
    (seen in Word/LibreOffice exports). Where the table above had a column line this fragment lacks,
    split the cells whose text lies on both sides of it (none crossing it)."""
    xs = tab.xs
    if abs(xs[0] - prev_cols[0]) > _SNAP or abs(xs[-1] - prev_cols[-1]) > _SNAP:
        return  # not the same table's columns
    for x in prev_cols[1:-1]:
        if min(abs(x - c) for c in xs) <= _SNAP:
            continue
        splits = [g for g in tab.regions if g.x0 < x < g.x1 and _divides(g.chars, x)]
        if not splits:
            continue
        k = bisect_right(xs, x)  # the new line's index: old column k-1 becomes columns k-1 and k
        xs.insert(k, x)
        for g in tab.regions:
            g.c0 += g.c0 >= k
            g.c1 += g.c1 >= k
        for g in splits:
            right = _Region(g.r0, k, g.r1, g.c1, x, g.top, g.x1, g.bottom)
            right.chars = [c for c in g.chars if c.cx > x]
            g.chars = [c for c in g.chars if c.cx <= x]
            g.c1, g.x1 = k, x
            tab.regions.append(right)


def _divides(chars: list[_Char], x: float) -> bool:
    """Text on both sides of x and no glyph across it."""
    left = right = False
    for c in chars:
        if c.x1 <= x + 0.5:
            left = True
        elif c.x0 >= x - 0.5:
            right = True
        else:
            return False
    return left and right


def _ocr(
    page: pdfium.PdfPage,
    no: int,
    source: str,
    warnings: list[str],
    garbled: bool,
    box: tuple[float, float, float, float] | None,
) -> list[Block] | None:
    """OCR the page (or only ``box``, a picture on it: x0, top, x1, bottom in points)."""
    if box is None and not garbled and not any(page.get_objects(filter=(R.FPDF_PAGEOBJ_IMAGE,), max_depth=8)):
        return None  # a blank page
    try:
        from .image import ocr_page
    except ImportError:
        warnings.append(f"第{no}页无文字层，需要 OCR")
        return None
    budget = current_budget(source)
    if denied := budget.deny_ocr(no):  # the per-file OCR page cap, or too little time left
        warnings.append(denied)
        return None
    width, height = page.get_size()
    if box is None and (native := _native_dpi(page)) < MIN_SCAN_DPI:
        raise _TooCoarse(native)  # rendered at 200 dpi it only looks sharp; OCR would read noise
    x0, top, x1, bottom = box if box is not None else (0.0, 0.0, width, height)
    x0, top, x1, bottom = max(0.0, x0), max(0.0, top), min(width, x1), min(height, bottom)
    area = max((x1 - x0) * (bottom - top), 1.0)
    scale = min(OCR_DPI / 72, math.sqrt(OCR_MAX_PIXELS / area))  # posters: fewer dpi
    # In colour: OCR drops red seals by channel (readers.ocr_prep). crop = what to cut off each side.
    bitmap = page.render(scale=scale, crop=(x0, height - bottom, width - x1, top))
    try:
        image = bitmap.to_numpy().copy()  # the array views the bitmap's buffer, freed on close
    finally:
        bitmap.close()
    if box is not None:
        warnings.append(f"第{no}页的图片已用 OCR 识别")
    else:
        warnings.append(f"第{no}页{'文字层乱码' if garbled else '无文字层'}，已用 OCR 识别")
    blocks = ocr_page(image, no, source, scale)
    budget.ocr_finished()
    if x0 or top:
        for b in blocks:
            _shift(b.prov, x0, top)
            if isinstance(b, Table):
                for row in b.rows:
                    for c in row:
                        _shift(c.prov, x0, top)
    return blocks


class _TooCoarse(Exception):
    def __init__(self, dpi: int) -> None:
        self.dpi = dpi


def _native_dpi(page: pdfium.PdfPage) -> int:
    """Dots per inch of the page's largest picture as placed (a scan's own resolution); 10,000 without one."""
    best, dpi = 0.0, 10_000
    for obj in itertools.islice(page.get_objects(filter=(R.FPDF_PAGEOBJ_IMAGE,), max_depth=8), 64):
        try:
            x0, y0, x1, y1 = obj.get_bounds()
            pw, _ph = obj.get_px_size()
        except pdfium.PdfiumError:
            continue
        if (x1 - x0) * (y1 - y0) > best and x1 - x0 > 1:
            best, dpi = (x1 - x0) * (y1 - y0), max(1, round(pw * 72 / (x1 - x0)))
    return dpi


def _shift(prov: Provenance, dx: float, dy: float) -> None:
    if prov.bbox is not None:
        a, b, c, d = prov.bbox
        prov.bbox = _round((a + dx, b + dy, c + dx, d + dy))


# ---------------------------------------------------------------- page furniture


def _drop_page_furniture(pages: list[_Page]) -> None:
    """Remove page numbers and running headers/footers (text repeated in the page margins)."""
    counts: Counter[str] = Counter()
    for p in pages:
        counts.update({_furniture_key(ln.text) for ln in p.lines if _in_margin(ln, p.height, _MARGIN)})
    with_text = sum(1 for p in pages if p.lines)
    repeated = {k for k, n in counts.items() if n >= 3 and n >= 0.5 * with_text}
    for p in pages:
        p.lines = [
            ln
            for ln in p.lines
            if not (
                (_in_margin(ln, p.height, _PAGE_NO_ZONE) and _PAGE_NO.match(ln.text.strip()))
                or (_in_margin(ln, p.height, _MARGIN) and _furniture_key(ln.text) in repeated)
            )
        ]


def _in_margin(ln: _Line, height: float, share: float) -> bool:
    return ln.bottom < height * share or ln.top > height * (1 - share)


def _furniture_key(text: str) -> str:
    return re.sub(r"\d+", "#", re.sub(r"\s+", "", text))


# ---------------------------------------------------------------- paragraphs and assembly


def _column(pages: list[_Page]) -> tuple[float, float]:
    """Left and right edges of the running text over the whole document. The right edge is where
    wrapped lines end (lines followed at normal spacing by a line starting at the left edge); with
    no wrapped line anywhere no line counts as running on."""
    lines = [ln for p in pages for ln in p.lines]
    if not lines:
        return 0.0, math.inf
    x0s = sorted(ln.x0 for ln in lines)
    left = x0s[len(x0s) // 10]
    ends = []
    for p in pages:
        for a, b in itertools.pairwise(p.lines):
            if 0 <= b.top - a.bottom < 0.9 * a.size and b.x0 <= left + 1.2 * b.size:
                ends.append(a.x1)
    ends.sort()
    return left, (ends[len(ends) // 2] if ends else math.inf)


def _paragraphs(lines: list[_Line], page: int, left: float, right: float) -> list[_Para]:
    """Lines of running text → paragraphs: a new one at an indented line, after a short line, a
    wider gap or a change of text size."""
    if not lines:
        return []
    out: list[_Para] = []
    cur: list[_Line] = []
    for ln in lines:
        if cur and _breaks(cur[-1], ln, left, right):
            out.append(_para(cur, page, left, right))
            cur = []
        cur.append(ln)
    if cur:
        out.append(_para(cur, page, left, right))
    return out


def _breaks(prev: _Line, ln: _Line, left: float, right: float) -> bool:
    h = max(min(prev.size, ln.size), 1.0)
    return (
        ln.top - prev.bottom > 0.9 * h
        or abs(ln.size - prev.size) > 0.3 * h
        or ln.x0 > left + 1.2 * h
        or prev.x1 < right - 2.0 * h
    )


def _para(lines: list[_Line], page: int, left: float, right: float) -> _Para:
    text = ""
    for ln in lines:
        text = _join(text, ln.text)
    text = _CJK_GAP.sub("", text)
    first, last = lines[0], lines[-1]
    bbox = (min(ln.x0 for ln in lines), first.top, max(ln.x1 for ln in lines), last.bottom)
    indented = first.x0 > left + 1.2 * first.size
    return _Para(text, page, bbox, indented, last.x1 >= right - 1.5 * last.size)


def _page_items(p: _Page, left: float, right: float) -> list[_Para | _Tab]:
    """The page's paragraphs and tables in reading order (top to bottom)."""
    items: list[tuple[float, _Para | _Tab]] = [(t.bbox[1], t) for t in p.tables]
    chunk: list[_Line] = []
    tops = sorted(t.bbox[1] for t in p.tables)
    k = 0
    for ln in sorted(p.lines, key=lambda ln: ln.top):
        while k < len(tops) and tops[k] <= ln.top:  # a table between lines ends the paragraph run
            items.extend((para.bbox[1], para) for para in _paragraphs(chunk, p.no, left, right))
            chunk = []
            k += 1
        chunk.append(ln)
    items.extend((para.bbox[1], para) for para in _paragraphs(chunk, p.no, left, right))
    items.sort(key=lambda t: t[0])
    return [it for _, it in items]


def _assemble(pages: list[_Page], source: str) -> list[Block]:
    """Pages → blocks, joining a paragraph or a split table row that a page break cut."""
    items: list[_Para | _Tab | Block] = []
    left, right = _column(pages)
    for p in pages:
        if p.ocr is not None and not (p.lines or p.tables):
            items.extend(p.ocr)
            continue
        page_items = _page_items(p, left, right)
        if p.ocr:  # pictures read by OCR, in their place among the page's own text
            placed = [(_top(it), it) for it in page_items] + [(_top(b), b) for b in p.ocr]
            page_items = [it for _, it in sorted(placed, key=lambda t: t[0])]
        if items and page_items:
            prev, first = items[-1], page_items[0]
            if isinstance(prev, _Para) and isinstance(first, _Para) and prev.open_end and not first.indented:
                prev.text = _join(prev.text, first.text)
                page_items.pop(0)
            elif (
                isinstance(prev, _Tab)
                and isinstance(first, _Tab)
                and _stitch(prev, first)
                and not first.regions
            ):
                page_items.pop(0)  # the fragment was only the cut-off remainder
        items.extend(page_items)
    return [_block(it, source) for it in items]


def _top(it: _Para | _Tab | Block) -> float:
    if isinstance(it, _Para | _Tab):
        return it.bbox[1]
    return it.prov.bbox[1] if it.prov.bbox else 0.0


def _block(it: _Para | _Tab | Block, source: str) -> Block:
    if isinstance(it, _Para):
        return Paragraph(it.text, Provenance(source, page=it.page, bbox=_round(it.bbox)))
    if isinstance(it, _Tab):
        return _table(it, source)
    return it


def _round(b: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    return (round(b[0], 1), round(b[1], 1), round(b[2], 1), round(b[3], 1))


def _table(t: _Tab, source: str) -> Table:
    rows: list[list[TableCell]] = [[] for _ in range(t.nrows)]
    for g in sorted(t.regions, key=lambda g: (g.r0, g.c0)):
        prov = Provenance(source, page=t.page, bbox=_round((g.x0, g.top, g.x1, g.bottom)), row=g.r0, col=g.c0)
        rows[g.r0].append(TableCell(g.text, prov, g.r1 - g.r0, g.c1 - g.c0))
    return Table(rows=rows, grid=True, prov=Provenance(source, page=t.page, bbox=_round(t.bbox)))


def _index_tables(blocks: list[Block]) -> None:
    k = 0
    for b in blocks:
        if isinstance(b, Table):
            b.prov.table = k
            for row in b.rows:
                for c in row:
                    c.prov.table = k
            k += 1


# ---------------------------------------------------------------- split rows across pages


def _x_overlap(a: _Region, b: _Region) -> float:
    """Overlap of two cells' x ranges as a share of the narrower one."""
    inter = min(a.x1, b.x1) - max(a.x0, b.x0)
    return max(0.0, inter) / max(min(a.x1 - a.x0, b.x1 - b.x0), 1e-6)


def _stitch(upper: _Tab, lower: _Tab) -> bool:
    """Join ``lower``'s first row into ``upper``'s last row when a page break cut that row. The lower
    row's text sits in columns of the upper row (matched by x, since a fragment may have lost a
    rule) whose text is empty or ran to the cell's right edge (cut mid-way), and the lower row
    lacks the value the upper row ends with, or all of it continues cut text."""
    ux0, _, ux1, _ = upper.bbox
    lx0, _, lx1, _ = lower.bbox
    if min(ux1, lx1) - max(ux0, lx0) < 0.8 * max(ux1 - ux0, lx1 - lx0):
        return False  # not the same table's columns
    last = [g for g in upper.regions if g.r1 == upper.nrows]
    pieces = [g for g in lower.regions if g.r0 == 0 and g.text]
    if not pieces or any(g.r1 > 1 for g in pieces):
        return False
    targets: list[tuple[_Region, _Region]] = []
    for g in pieces:
        best = max(last, key=lambda u: _x_overlap(u, g), default=None)
        if best is None or _x_overlap(best, g) < 0.5:
            return False
        targets.append((g, best))
    own = [u for u in last if u.text and u.r0 == upper.nrows - 1]
    rightmost = max(own, key=lambda u: u.x1) if own else None
    lacks_value = rightmost is not None and not any(_x_overlap(rightmost, g) >= 0.5 for g in pieces)
    if not all(u.full or not u.text for _, u in targets):
        return False  # text that ended in the cell above: the row below is a row of its own
    if not (lacks_value or all(u.full for _, u in targets)):
        return False
    for g, u in targets:
        u.text = _CJK_GAP.sub("", _join(u.text, g.text))
    _drop_first_row(lower)
    return True


def _drop_first_row(t: _Tab) -> None:
    kept: list[_Region] = []
    for g in t.regions:
        if g.r1 == 1:
            continue  # the cut-off remainder, now part of the page above
        g.r0 = max(g.r0 - 1, 0)  # a cell running on below now starts at the new first row
        g.r1 -= 1
        kept.append(g)
    t.regions = kept
    t.nrows -= 1
