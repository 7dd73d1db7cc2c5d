"""Scans: page images → OCR text placed into table grids found on the image itself.

The grid detector is our own (morphology on the binarised page: long horizontal and vertical strokes
are rules, text strokes are not), so merged cells come out as spans. OCR is rapidocr (PP-OCR models
shipped inside the wheel, fully offline). A text box that straddles several cells is divided among
them by the x position of its characters. Every cell keeps the OCR confidence of its weakest box.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from ..document import Block, Document, Paragraph, Provenance, Table, TableCell
from ..errors import UnreadableFile

if TYPE_CHECKING:
    import cv2  # noqa: F401

MAX_PIXELS = 60_000_000  # a 600-dpi A3 page is ~70 MP; refuse decompression bombs beyond this
_SKEW_RANGE = 3.0  # degrees searched for deskewing
_SKEW_STEP = 0.1


def _cv2():
    import cv2

    return cv2


@lru_cache(maxsize=1)
def _engine():
    """One OCR engine per process (the models load once, ~1 s)."""
    from rapidocr import RapidOCR

    threads = int(os.environ.get("GONGKAI_OCR_THREADS", "0")) or -1
    return RapidOCR(
        params={
            "Global.log_level": "error",
            "EngineConfig.onnxruntime.intra_op_num_threads": threads,
        }
    )


@dataclass(slots=True)
class _Box:
    x0: float
    y0: float
    x1: float
    y1: float
    text: str
    score: float

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def cy(self) -> float:
        return (self.y0 + self.y1) / 2


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
    doc = Document(source=source, media_type="image", pages=len(pages))
    for no, img in enumerate(pages, start=1):
        blocks = ocr_page(img, no if len(pages) > 1 else None, source)
        _index_tables(blocks, len(doc.tables()))
        doc.blocks.extend(blocks)
    if not any(isinstance(b, Table) for b in doc.blocks) and not doc.paragraphs():
        raise UnreadableFile(source, "图片中未识别出任何文字或表格", "no text or table found in the image")
    return doc


def _decode(data: bytes, source: str) -> list[np.ndarray]:
    cv2 = _cv2()
    buf = np.frombuffer(data, np.uint8)
    ok, pages = cv2.imdecodemulti(buf, cv2.IMREAD_GRAYSCALE)
    if not ok or not pages:
        img = cv2.imdecode(buf, cv2.IMREAD_GRAYSCALE)
        if img is None:
            raise UnreadableFile(source, "图片已损坏或格式不受支持", "damaged or unsupported image")
        pages = [img]
    for img in pages:
        if img.size > MAX_PIXELS:
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


def ocr_page(image: np.ndarray, page: int | None, source: str, scale: float = 1.0) -> list[Block]:
    """OCR one page image (grey or BGR). Provenance boxes are in image pixels divided by ``scale``
    (render a PDF page at ``scale`` = dpi/72 and the boxes come out in PDF points)."""
    cv2 = _cv2()
    gray = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    gray = _deskew(gray)
    result = _engine()(cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR))
    boxes = _boxes(result)
    blocks: list[tuple[float, Block]] = []
    used: set[int] = set()
    for region_box, regions, nrows in _tables(gray, boxes):
        table, taken = _fill(regions, nrows, boxes, page, source, scale)
        used |= taken
        blocks.append((region_box[1], table))
    rest = [b for i, b in enumerate(boxes) if i not in used]
    for y, para in _paragraphs(rest, page, source, scale):
        blocks.append((y, para))
    blocks.sort(key=lambda t: t[0])
    return [b for _, b in blocks]


def _boxes(result) -> list[_Box]:
    out: list[_Box] = []
    if result is None or result.boxes is None:
        return out
    for quad, text, score in zip(result.boxes, result.txts, result.scores, strict=False):
        xs = [p[0] for p in quad]
        ys = [p[1] for p in quad]
        out.append(_Box(min(xs), min(ys), max(xs), max(ys), str(text), float(score)))
    return out


# ---- geometry -----------------------------------------------------------------------------------


def _binary(gray: np.ndarray) -> np.ndarray:
    cv2 = _cv2()
    return cv2.adaptiveThreshold(gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 25, 15)


def _deskew(gray: np.ndarray) -> np.ndarray:
    """Rotate by the angle (±3°) that makes the rows of ink sharpest (max variance of row sums)."""
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
        return gray
    h, w = gray.shape
    m = cv2.getRotationMatrix2D((w / 2, h / 2), best, 1.0)
    return cv2.warpAffine(gray, m, (w, h), flags=cv2.INTER_LINEAR, borderValue=255)


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


def _tables(gray: np.ndarray, boxes: list[_Box]):
    """Yield (bbox, regions, row count) for every ruled table on the page."""
    cv2 = _cv2()
    binary = _binary(gray)
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
        if len(ys) < 2 or len(xs) < 2:
            continue
        regions = _merge(hs, vs, ys, xs)
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


# ---- text into cells ----------------------------------------------------------------------------

_DIGITISH = re.compile(r"^[\dOoIl|,，.\s]+$")
_DIGIT_FIX = str.maketrans({"O": "0", "o": "0", "I": "1", "l": "1", "|": "1", "，": ","})


def _clean_cell(text: str) -> str:
    text = text.strip()
    if _DIGITISH.match(text) and any(ch.isdigit() for ch in text):
        text = text.translate(_DIGIT_FIX).replace(" ", "")
    return text


def _fill(regions: list[_Region], nrows: int, boxes: list[_Box], page: int | None, source: str, scale: float):
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
        conf = min((p[3] for p in parts), default=None)
        prov = Provenance(
            source,
            page=page,
            bbox=(g.x0 / scale, g.y0 / scale, g.x1 / scale, g.y1 / scale),
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
        prov=Provenance(source, page=page, bbox=(x0 / scale, y0 / scale, x1 / scale, y1 / scale)),
    )
    return table, taken


def _paragraphs(boxes: list[_Box], page: int | None, source: str, scale: float):
    """Text outside tables: boxes grouped into lines (by vertical overlap), lines in reading order."""
    lines: list[list[_Box]] = []
    for b in sorted(boxes, key=lambda b: (b.cy, b.x0)):
        if lines and abs(lines[-1][0].cy - b.cy) < 0.5 * (b.y1 - b.y0):
            lines[-1].append(b)
        else:
            lines.append([b])
    for line in lines:
        line.sort(key=lambda b: b.x0)
        text = "".join(b.text for b in line).strip()
        if not text:
            continue
        x0, y0 = min(b.x0 for b in line), min(b.y0 for b in line)
        x1, y1 = max(b.x1 for b in line), max(b.y1 for b in line)
        prov = Provenance(source, page=page, bbox=(x0 / scale, y0 / scale, x1 / scale, y1 / scale))
        para = Paragraph(text, prov)
        para_conf = min(b.score for b in line)
        if para_conf < 0.5:
            continue
        yield y0, para
