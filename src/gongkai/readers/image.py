"""Scans: page images → OCR text placed into table grids found on the image itself.

The grid detector is our own (morphology on the binarised page: long horizontal and vertical strokes
are rules, text strokes are not), so merged cells come out as spans. OCR is rapidocr (PP-OCR models
shipped inside the wheel, fully offline). A text box that straddles several cells is divided among
them by the x position of its characters. Every cell keeps the OCR confidence of its weakest box.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..document import Block, Document, Paragraph, Provenance, Table, TableCell
from ..errors import UnreadableFile
from . import ocr, ocr_prep

if TYPE_CHECKING:
    import cv2  # noqa: F401

MAX_PIXELS = 60_000_000  # a 600-dpi A3 page is ~70 MP; refuse decompression bombs beyond this
_SKEW_RANGE = 3.0  # degrees searched for deskewing
_SKEW_STEP = 0.1
_MISSED_SCORE = 0.85  # under report.LOW_CONFIDENCE (0.9): a cell only found by _missed is checked


def _cv2():
    import cv2

    return cv2


def _engine():
    """The process's OCR engine (kept for callers of the old name)."""
    return ocr.engine()


_Box = ocr.Line


@dataclass(slots=True)
class _Region:
    r0: int
    c0: int
    r1: int  # exclusive
    c1: int
    x0: float
    y0: float
    x1: float
    y1: float


def read_image(data: bytes, source: str) -> Document:
    """Read a PNG/JPEG/TIFF/BMP/GIF scan (every page of a multi-page TIFF)."""
    pages = _decode(data, source)
    doc = Document(source=source, media_type="image", pages=len(pages), text_layer="ocr")
    for no, img in enumerate(pages, start=1):
        blocks = ocr_page(img, no if len(pages) > 1 else None, source)
        _index_tables(blocks, len(doc.tables()))
        doc.blocks.extend(blocks)
    # Tiny characters on every page: if no report is found, the resolution is why (an image file's own
    # dpi is rarely recorded, so its text's height stands for it). Only said when the read fails:
    # sensor noise makes the measure run low on pages OCR reads well.
    small = [h for img in pages if (h := text_too_small(img))]
    if small and len(small) == len(pages):
        doc.scan_problem = (
            f"图片分辨率过低（文字约 {max(small):.0f} 像素高），无法识别；请以 200 dpi 以上重新扫描",
            f"the image's resolution is too low to read (text about {max(small):.0f} px high); "
            "rescan at 200 dpi or more",
        )
    if not any(isinstance(b, Table) for b in doc.blocks) and not doc.paragraphs():
        if doc.scan_problem:
            raise UnreadableFile(source, *doc.scan_problem)
        raise UnreadableFile(source, "图片中未识别出任何文字或表格", "no text or table found in the image")
    return doc


def _blank(binary: np.ndarray) -> bool:
    """No ink component of a character's size (from a 4-px speck to a quarter of the page)."""
    cv2 = _cv2()
    _n, _labels, stats, _c = cv2.connectedComponentsWithStats(binary, connectivity=8)
    h, w = stats[1:, cv2.CC_STAT_HEIGHT], stats[1:, cv2.CC_STAT_WIDTH]
    sized = (h >= 4) & (h <= binary.shape[0] // 4) & (w <= binary.shape[1] // 4)
    return int(sized.sum()) < 3


def text_too_small(image: np.ndarray) -> float | None:
    """The typical height (px) of the page's characters when it is too small for OCR to read, else None
    (a blank page has no characters: None)."""
    h = ocr.text_height(_binary(ocr_prep.to_gray(image)))
    return h if 0 < h < ocr.MIN_TEXT_PX else None


def _decode(data: bytes, source: str) -> list[np.ndarray]:
    cv2 = _cv2()
    buf = np.frombuffer(data, np.uint8)
    # In colour: red seals are dropped by channel (ocr_prep.to_gray), not blended into the grey.
    ok, pages = cv2.imdecodemulti(buf, cv2.IMREAD_COLOR)
    if not ok or not pages:
        img = cv2.imdecode(buf, cv2.IMREAD_COLOR)
        if img is None:
            raise UnreadableFile(source, "图片已损坏或格式不受支持", "damaged or unsupported image")
        pages = [img]
    for img in pages:
        if img.shape[0] * img.shape[1] > MAX_PIXELS:
            raise UnreadableFile(source, f"图片过大（{img.shape[1]}×{img.shape[0]} 像素）", "image too large")
    return list(pages)


def _index_tables(blocks: list[Block], start: int) -> None:
    k = start
    for b in blocks:
        if isinstance(b, Table):
            b.prov.table = k
            for row in b.rows:
                for c in row:
                    c.prov.table = k
            k += 1


BLANK_INK = 1e-4  # share of ink pixels below which a page is blank (a stray speck, scanner dust)


def ocr_page(image: np.ndarray, page: int | None, source: str, scale: float = 1.0) -> list[Block]:
    """OCR one page image (grey or BGR). The page is read straightened (seal dropped, perspective
    undone, deskewed, turned upright); provenance boxes are mapped back onto the image as given, in
    its pixels divided by ``scale`` (render a PDF page at ``scale`` = dpi/72 and they are PDF points)."""
    frame = ocr_prep.Frame(scale)
    gray = ocr_prep.to_gray(image)
    gray, forward = ocr_prep.rectify(gray)
    frame.then(forward)
    gray, forward = _deskew(gray)
    frame.then(forward)
    binary = _binary(gray)
    if _blank(binary):
        return []  # nothing the size of a character on it: no OCR pass over paper grain
    text_h = ocr.text_height(binary)
    upright, boxes, forward = ocr.read_lines(gray, text_h)
    frame.then(forward)
    if upright is not gray:  # turned upright (by 180° the shape is the same: compare identity)
        gray, binary = upright, _binary(upright)
    blocks: list[tuple[float, Block]] = []
    used: set[int] = set()
    tables = list(_tables(gray, boxes, binary))
    boxes = boxes + _missed(gray, binary, [regions for _, regions, _ in tables], boxes)
    for region_box, regions, nrows in tables:
        table, taken = _fill(regions, nrows, boxes, page, source, frame)
        used |= taken
        blocks.append((region_box[1], table))
    rest = [b for i, b in enumerate(boxes) if i not in used]
    for y, para in _paragraphs(rest, page, source, frame):
        blocks.append((y, para))
    blocks.sort(key=lambda t: t[0])
    return [b for _, b in blocks]


# ---- geometry -----------------------------------------------------------------------------------


def _binary(gray: np.ndarray) -> np.ndarray:
    cv2 = _cv2()
    return cv2.adaptiveThreshold(gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 25, 15)


def _deskew(gray: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """Rotate by the angle (±3°) that makes the rows of ink sharpest (max variance of row sums); with
    the 3×3 map from the page's pixels to the rotated ones (None: not rotated)."""
    cv2 = _cv2()
    small_w = 800
    f = small_w / gray.shape[1]
    small = cv2.resize(_binary(gray), (small_w, max(1, int(gray.shape[0] * f))), interpolation=cv2.INTER_AREA)
    h, w = small.shape
    best, best_score = 0.0, -1.0
    for angle in np.arange(-_SKEW_RANGE, _SKEW_RANGE + 1e-9, _SKEW_STEP):
        m = cv2.getRotationMatrix2D((w / 2, h / 2), float(angle), 1.0)
        rotated = cv2.warpAffine(small, m, (w, h), flags=cv2.INTER_NEAREST, borderValue=0)
        score = float(np.var(rotated.sum(axis=1, dtype=np.float64)))
        if score > best_score:
            best, best_score = float(angle), score
    if abs(best) < 0.05:
        return gray, None
    h, w = gray.shape
    m = cv2.getRotationMatrix2D((w / 2, h / 2), best, 1.0)
    rotated = cv2.warpAffine(gray, m, (w, h), flags=cv2.INTER_LINEAR, borderValue=255)
    return rotated, np.vstack([m, [0.0, 0.0, 1.0]])


def _lines(binary: np.ndarray, text_h: int = 0) -> tuple[np.ndarray, np.ndarray]:
    cv2 = _cv2()
    h, w = binary.shape
    horiz = cv2.morphologyEx(
        binary, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (max(20, w // 40), 1))
    )
    vert = cv2.morphologyEx(
        binary, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, max(20, h // 80, text_h)))
    )
    # Close small gaps in scanned rules.
    horiz = cv2.dilate(horiz, cv2.getStructuringElement(cv2.MORPH_RECT, (5, 3)))
    vert = cv2.dilate(vert, cv2.getStructuringElement(cv2.MORPH_RECT, (3, 5)))
    return horiz, vert


def _positions(profile: np.ndarray, threshold: float) -> list[int]:
    """Centres of runs where the profile reaches the threshold (one per drawn rule)."""
    idx = np.flatnonzero(profile >= threshold)
    if idx.size == 0:
        return []
    out: list[int] = []
    start = prev = int(idx[0])
    for i in idx[1:]:
        i = int(i)
        if i > prev + 3:
            out.append((start + prev) // 2)
            start = i
        prev = i
    out.append((start + prev) // 2)
    return out


def _tables(gray: np.ndarray, boxes: list[_Box], binary: np.ndarray | None = None):
    """Yield (bbox, regions, row count) for every ruled table on the page."""
    cv2 = _cv2()
    binary = _binary(gray) if binary is None else binary
    # Text is not rules: a "1" is a vertical stroke. Rules are taller than a line of text, so the
    # vertical kernel is as tall as the text boxes OCR found (rows are always taller than their text).
    heights = sorted(b.y1 - b.y0 for b in boxes)
    text_h = int(heights[len(heights) // 2] * 0.95) if heights else 0
    horiz, vert = _lines(binary, text_h)
    grid = cv2.bitwise_or(horiz, vert)
    n, _labels, stats, _ = cv2.connectedComponentsWithStats(grid, connectivity=8)
    h, w = gray.shape
    for k in range(1, n):
        x, y, bw, bh, _area = stats[k]
        if bw < w * 0.2 or bh < h * 0.03:
            continue
        hs = horiz[y : y + bh, x : x + bw] > 0
        vs = vert[y : y + bh, x : x + bw] > 0
        ys = _positions(hs.sum(axis=1), max(10, bw * 0.08))
        xs = _positions(vs.sum(axis=0), max(10, bh * 0.04))
        # A table cut by the page break has no rule under its last row (or over its first): the
        # vertical rules running on past the outermost horizontal one bound that row.
        if ys and bh - 1 - ys[-1] > max(text_h, 8):
            ys.append(bh - 1)
        if ys and ys[0] > max(text_h, 8):
            ys.insert(0, 0)
        if len(ys) < 2 or len(xs) < 2:
            continue
        regions = _merge(hs, vs, ys, xs)
        rows, cols = len(ys) - 1, len(xs) - 1
        if (
            all(r.c1 - r.c0 == cols for r in regions)
            or all(r.r1 - r.r0 == rows for r in regions)
            or any((r.x1 - r.x0) * (r.y1 - r.y0) > 0.6 * bw * bh for r in regions)
        ):
            continue  # boxes in one stack, or one box holding most: a frame (a sheet's edge), no table
        yield (x, y, x + bw, y + bh), [_offset(r, x, y) for r in regions], len(ys) - 1


def _offset(r: _Region, dx: int, dy: int) -> _Region:
    return _Region(r.r0, r.c0, r.r1, r.c1, r.x0 + dx, r.y0 + dy, r.x1 + dx, r.y1 + dy)


def _has_rule(mask: np.ndarray, fixed: int, lo: int, hi: int, axis: str) -> bool:
    """Is a rule drawn at ``fixed`` between lo and hi (x for a vertical rule, y for a horizontal one)?"""
    pad = max(2, (hi - lo) // 6)
    lo, hi = lo + pad, hi - pad
    if hi <= lo:
        return True
    band = (
        mask[lo:hi, max(0, fixed - 3) : fixed + 4]
        if axis == "v"
        else mask[max(0, fixed - 3) : fixed + 4, lo:hi]
    )
    covered = band.any(axis=1 if axis == "v" else 0)
    return covered.mean() >= 0.6


def _merge(hs: np.ndarray, vs: np.ndarray, ys: list[int], xs: list[int]) -> list[_Region]:
    rows, cols = len(ys) - 1, len(xs) - 1
    parent = list(range(rows * cols))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    def union(a: int, b: int) -> None:
        parent[find(a)] = find(b)

    for r in range(rows):
        for c in range(cols):
            if c + 1 < cols and not _has_rule(vs, xs[c + 1], ys[r], ys[r + 1], "v"):
                union(r * cols + c, r * cols + c + 1)
            if r + 1 < rows and not _has_rule(hs, ys[r + 1], xs[c], xs[c + 1], "h"):
                union(r * cols + c, (r + 1) * cols + c)
    groups: dict[int, list[tuple[int, int]]] = {}
    for r in range(rows):
        for c in range(cols):
            groups.setdefault(find(r * cols + c), []).append((r, c))
    out = []
    for cells in groups.values():
        r0 = min(r for r, _ in cells)
        r1 = max(r for r, _ in cells) + 1
        c0 = min(c for _, c in cells)
        c1 = max(c for _, c in cells) + 1
        out.append(_Region(r0, c0, r1, c1, xs[c0], ys[r0], xs[c1], ys[r1]))
    out.sort(key=lambda g: (g.r0, g.c0))
    return out


def _missed(
    gray: np.ndarray, binary: np.ndarray, tables: list[list[_Region]], boxes: list[_Box]
) -> list[_Box]:
    """Lines for cells that hold ink but no detected text: the detector drops a lone thin "1" on a
    noisy scan. Each such cell's ink is cut out and recognised on its own, and its score capped under
    the report's LOW_CONFIDENCE: text the detector did not see is shown for checking, not trusted."""
    cv2 = _cv2()
    heights = sorted(b.y1 - b.y0 for b in boxes)
    if not heights:
        return []
    text_h = heights[len(heights) // 2]
    found: list[tuple[float, float, float, float]] = []
    for regions in tables:
        for g in regions:
            if any(g.y0 <= b.cy <= g.y1 and g.x1 > b.x0 and g.x0 < b.x1 for b in boxes):
                continue
            # Inside the cell, clear of its rules.
            px, py = max(4, int(0.12 * (g.x1 - g.x0))), max(4, int(0.12 * (g.y1 - g.y0)))
            x0, y0, x1, y1 = int(g.x0) + px, int(g.y0) + py, int(g.x1) - px, int(g.y1) - py
            if x1 - x0 < 4 or y1 - y0 < 0.4 * text_h:
                continue
            _n, _l, stats, _c = cv2.connectedComponentsWithStats(binary[y0:y1, x0:x1], connectivity=8)
            ink = [s for s in stats[1:] if s[3] >= 0.4 * text_h and s[3] <= 2 * text_h]
            if not ink:
                continue
            ix0 = min(s[0] for s in ink) + x0
            iy0 = min(s[1] for s in ink) + y0
            ix1 = max(s[0] + s[2] for s in ink) + x0
            iy1 = max(s[1] + s[3] for s in ink) + y0
            found.append((ix0, iy0, ix1, iy1))
    if not found:
        return []
    h, w = gray.shape
    images = []
    for x0, y0, x1, y1 in found:
        pad = max(2, int(0.3 * (y1 - y0)))
        crop = gray[max(0, y0 - pad) : min(h, y1 + pad), max(0, x0 - pad) : min(w, x1 + pad)]
        images.append(cv2.cvtColor(crop, cv2.COLOR_GRAY2BGR))
    out = []
    for (x0, y0, x1, y1), (text, score) in zip(found, ocr.recognise(images), strict=True):
        if text.strip():
            out.append(_Box(float(x0), float(y0), float(x1), float(y1), text, min(score, _MISSED_SCORE)))
    return out


# ---- text into cells ----------------------------------------------------------------------------

_DIGITISH = re.compile(r"^[\dOoIl|,，.\s]+$")
_LONE_DIGIT = {"一": "1", "。": "0", "〇": "0", "○": "0", "°": "0"}
_DIGIT_FIX = str.maketrans({"O": "0", "o": "0", "I": "1", "l": "1", "|": "1", "，": ","})


def _clean_cell(text: str) -> str:
    text = text.strip()
    # A cell of one or two look-alikes alone ("I", "O", "l|") is a number in a report's table: no
    # template cell holds Latin letters by themselves.
    lone = 0 < len(text) <= 2 and all(ch in "OoIl|" for ch in text)
    if text in _LONE_DIGIT:  # no template cell holds one of these alone: a coarse "1" or "0"
        return _LONE_DIGIT[text]
    if _DIGITISH.match(text) and (lone or any(ch.isdigit() for ch in text)):
        text = text.translate(_DIGIT_FIX).replace(" ", "")
    return text


def _fill(
    regions: list[_Region],
    nrows: int,
    boxes: list[_Box],
    page: int | None,
    source: str,
    frame: ocr_prep.Frame,
):
    pieces: dict[int, list[tuple[float, float, str, float]]] = {}
    taken: set[int] = set()
    for i, b in enumerate(boxes):
        hits = [k for k, g in enumerate(regions) if g.y0 <= b.cy <= g.y1 and g.x1 > b.x0 and g.x0 < b.x1]
        if not hits:
            continue
        taken.add(i)
        if len(hits) == 1:
            pieces.setdefault(hits[0], []).append((b.cy, b.x0, b.text, b.score))
            continue
        # A box across several cells: give each character to the cell under its estimated centre.
        step = (b.x1 - b.x0) / max(1, len(b.text))
        for j, ch in enumerate(b.text):
            x = b.x0 + (j + 0.5) * step
            k = next((k for k in hits if regions[k].x0 <= x <= regions[k].x1), hits[-1])
            pieces.setdefault(k, []).append((b.cy, x, ch, b.score))
    rows: list[list[TableCell]] = [[] for _ in range(nrows)]
    for k, g in enumerate(regions):
        parts = sorted(pieces.get(k, []), key=lambda p: (round(p[0] / 12), p[1]))
        text = _clean_cell("".join(p[2] for p in parts))
        conf = min((float(p[3]) for p in parts), default=None)
        prov = Provenance(
            source,
            page=page,
            bbox=frame.box(g.x0, g.y0, g.x1, g.y1),
            row=g.r0,
            col=g.c0,
        )
        rows[g.r0].append(TableCell(text, prov, g.r1 - g.r0, g.c1 - g.c0, conf))
    x0 = min(g.x0 for g in regions)
    y0 = min(g.y0 for g in regions)
    x1 = max(g.x1 for g in regions)
    y1 = max(g.y1 for g in regions)
    table = Table(
        rows=[r for r in rows if r],
        grid=True,
        prov=Provenance(source, page=page, bbox=frame.box(x0, y0, x1, y1)),
    )
    return table, taken


def _paragraphs(boxes: list[_Box], page: int | None, source: str, frame: ocr_prep.Frame):
    """Text outside tables: boxes grouped into lines (by vertical overlap), lines in reading order, and
    lines into paragraphs: a line that runs to the column's right edge without closing its sentence
    goes on in the next line, unless that one is indented or far below (a table between them)."""
    lines: list[list[_Box]] = []
    for b in sorted(boxes, key=lambda b: (b.cy, b.x0)):
        if lines and abs(lines[-1][0].cy - b.cy) < 0.5 * (b.y1 - b.y0):
            lines[-1].append(b)
        else:
            lines.append([b])
    kept: list[tuple[float, float, float, float, str]] = []
    for line in lines:
        line.sort(key=lambda b: b.x0)
        text = "".join(b.text for b in line).strip()
        if not text or min(b.score for b in line) < 0.5:
            continue
        kept.append(
            (
                min(b.x0 for b in line),
                min(b.y0 for b in line),
                max(b.x1 for b in line),
                max(b.y1 for b in line),
                text,
            )
        )
    if not kept:
        return
    h = float(np.median([y1 - y0 for _x0, y0, _x1, y1, _t in kept]))
    left = float(np.percentile([k[0] for k in kept], 10))
    right = float(np.percentile([k[2] for k in kept], 90))
    paras: list[list[tuple[float, float, float, float, str]]] = []
    for k in kept:
        if paras:
            prev = paras[-1][-1]
            if (
                len(kept) >= 3
                and prev[2] >= right - h
                and not prev[4].endswith(_SENTENCE_END)
                and k[0] <= left + h
                and k[1] - prev[3] < h
            ):
                paras[-1].append(k)
                continue
        paras.append([k])
    for para in paras:
        x0, y0 = min(k[0] for k in para), min(k[1] for k in para)
        x1, y1 = max(k[2] for k in para), max(k[3] for k in para)
        prov = Provenance(source, page=page, bbox=frame.box(x0, y0, x1, y1))
        yield y0, Paragraph("".join(k[4] for k in para), prov)


_SENTENCE_END = ("。", "！", "？", "；", "：", "!", "?", ";", ":")
