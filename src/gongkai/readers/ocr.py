"""Text lines of a page image: detection at the scale the text needs, recognition at full resolution.

rapidocr's text detector costs ~90 % of a full-page pass and its cost grows with the pixels it is
given, while it finds lines as well when they are ~9 px tall as at 35. So the page is shrunk until
its text is about ``DET_TEXT_PX`` tall (measured on the page: the height of its ink components), but
never so far that its shorter side falls under the detector's own minimum (736 px, which rapidocr
would enlarge it back to: an A4 page at 200 dpi is not shrunk below 0.45); lines are detected there,
and each line is cut from the full-resolution page for the recogniser, batched. The page's
orientation is found from the lines themselves: mostly tall boxes mean a page turned by 90°;
rapidocr's direction classifier voting 180° on the widest lines, confirmed by the recogniser reading
them better turned, means 180° (settled before the page is recognised).
Confidences and coordinates come out as plain Python floats.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

# CJK punctuation, ideographs (with extension A and compatibility) and fullwidth forms: Chinese print
# sets no space beside them, so a space the recogniser reads there is an artefact.
_CJK = "\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
_CJK_SPACE = re.compile(f" +(?=[{_CJK}])|(?<=[{_CJK}]) +")

DET_TEXT_PX = 12.0  # text height (px) the detector is given, at most (found to work down to ~9)
DET_MIN_SCALE = 0.3
DET_UNKNOWN_PIXELS = 1_500_000  # detector input when the text height cannot be measured
TEXT_SCORE = 0.5  # lines read with less confidence than this are dropped (rapidocr's default)
REC_HEIGHT = 48  # the recogniser's input height (px)
REC_BATCH = 32  # lines recognised in one model call at most
REC_MIN_RATIO = 2.5  # lines are padded at least to this width/height (narrower: lone "0" reads "O")
REC_BATCH_PX = 32 * 48 * 8  # … and at most this many padded columns of pixels in one call
REC_LONG_RATIO = 8.0  # lines wider than this × height …
REC_LONG_SCALE = 0.7  # … are recognised narrowed by this (prose: ~2.5 model steps a character still)
REC_CALL_COLS = 32  # a model call's fixed cost, in columns of pixels recognised (measured: ~1.5–2 ms)
MIN_TEXT_PX = 9.0  # characters measured shorter than this (a page scanned at ~40 dpi or less) are unreadable
_UPSIDE_SAMPLE = 12  # lines recognised both ways to tell an upside-down page


@dataclass(slots=True)
class Line:
    """One recognised line of text, its box in page pixels."""

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


@lru_cache(maxsize=1)
def engine():
    """One OCR engine per process (the models load once, ~1 s)."""
    from rapidocr import RapidOCR

    threads = int(os.environ.get("GONGKAI_OCR_THREADS", "0")) or -1
    return RapidOCR(
        params={
            "Global.log_level": "error",
            "EngineConfig.onnxruntime.intra_op_num_threads": threads,
        }
    )


def text_height(binary: np.ndarray) -> float:
    """Typical height in px of the page's characters: the upper quartile of ink component heights
    (a CJK character often splits into several components, most of them shorter than it)."""
    import cv2

    n, _labels, stats, _ = cv2.connectedComponentsWithStats(binary, connectivity=8)
    if n <= 1:
        return 0.0
    h = stats[1:, cv2.CC_STAT_HEIGHT]
    w = stats[1:, cv2.CC_STAT_WIDTH]
    keep = h[(h >= 4) & (h <= binary.shape[0] // 20) & (w <= 4 * h) & (w <= binary.shape[1] // 10)]
    if keep.size < 10:
        return 0.0
    return float(np.percentile(keep, 75))


def det_scale(shape: tuple[int, ...], text_h: float, min_side: int) -> float:
    """The factor the page (``shape``: height, width) is shrunk by for detection: its text brought to
    ~DET_TEXT_PX (no measurable text: the page to ~DET_UNKNOWN_PIXELS), never below DET_MIN_SCALE nor
    below the detector's shorter-side minimum ``min_side``, never enlarged; 1.0 for a change under 2 %."""
    h, w = shape[:2]
    # No measurable text: a coarse look, not a full-resolution pass (seconds a page).
    scale = DET_TEXT_PX / text_h if text_h > 0 else (DET_UNKNOWN_PIXELS / max(1, h * w)) ** 0.5
    scale = min(1.0, max(DET_MIN_SCALE, (min_side + 0.5) / max(1, min(h, w)), scale))
    return 1.0 if scale >= 0.98 else scale


def detect(gray: np.ndarray, text_h: float) -> np.ndarray:
    """Quadrilaterals (n×4×2, page pixels) of the text lines, detected on the page shrunk by
    ``det_scale``."""
    import cv2

    det = engine()._load_det_model()
    min_side = int(det.limit_side_len) if det.limit_type == "min" else 0
    scale = det_scale(gray.shape, text_h, min_side)
    img = gray
    if scale < 1.0:
        img = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    out = det(cv2.cvtColor(img, cv2.COLOR_GRAY2BGR))
    if out.boxes is None or len(out.boxes) == 0:
        return np.zeros((0, 4, 2), np.float32)
    return np.asarray(out.boxes, np.float32) / scale


def crops(gray: np.ndarray, quads: np.ndarray) -> list[np.ndarray]:
    """Each line cut from the full-resolution page (BGR, as the recogniser wants)."""
    import cv2
    from rapidocr.utils.process_img import get_rotate_crop_image

    bgr = cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR)
    return [get_rotate_crop_image(bgr, q.copy()) for q in quads]


def rec_width(image: np.ndarray, height: int = REC_HEIGHT) -> int:
    """Columns a line image is given to the recogniser: its width at ``height`` px tall, at least
    REC_MIN_RATIO × height; a long line (wider than REC_LONG_RATIO × height) narrowed by
    REC_LONG_SCALE, but not below that width."""
    h, w = image.shape[:2]
    cols = math.ceil(height * w / max(1, h))
    long = height * REC_LONG_RATIO
    if cols > long:
        cols = max(math.ceil(long), math.ceil(cols * REC_LONG_SCALE))
    return max(math.ceil(height * REC_MIN_RATIO), cols)


def batches(widths: list[int]) -> list[list[int]]:
    """Lines grouped for recognition, as lists of indices into ``widths`` (each line's columns).

    A model call costs about its padded pixels (every line padded to the batch's widest) plus a fixed
    REC_CALL_COLS columns' worth. Lines sorted by width are cut into the runs that make the total of
    those costs least (a shortest path over the cut points), each run at most REC_BATCH_PX padded
    columns (memory) and REC_BATCH lines."""
    call_cols, max_cols = REC_CALL_COLS, REC_BATCH_PX
    order = sorted(range(len(widths)), key=widths.__getitem__)
    w = [widths[i] for i in order]
    n = len(w)
    best = [0.0] + [math.inf] * n  # best[j]: least cost of the first j lines
    cut = [0] * (n + 1)
    for j in range(1, n + 1):
        widest = w[j - 1]
        for i in range(j - 1, max(-1, j - 1 - REC_BATCH), -1):
            k = j - i
            if k > 1 and k * widest > max_cols:
                break
            cost = best[i] + call_cols + k * widest
            if cost < best[j]:
                best[j], cut[j] = cost, i
    out: list[list[int]] = []
    j = n
    while j > 0:
        out.append(order[cut[j] : j])
        j = cut[j]
    return out[::-1]


def recognise(images: list[np.ndarray]) -> list[tuple[str, float]]:
    """Text and confidence of each line image, batched by width.

    rapidocr pads every line to at least 320 px (ratio 6.7) before recognising it; a table's lines
    are mostly numbers and short labels (ratio ~2), so most of that work is padding. Here lines are
    grouped by ``batches`` so that padding each to its batch's widest line wastes little."""
    if not images:
        return []
    import cv2

    rec = engine()._load_rec_model()
    height = int(rec.rec_image_shape[1])
    widths = [rec_width(im, height) for im in images]
    out: list[tuple[str, float]] = [("", 0.0)] * len(images)
    for idx in batches(widths):
        widest = max(widths[i] for i in idx)
        batch = np.zeros((len(idx), 3, height, widest), np.float32)
        for row, i in enumerate(idx):
            im = images[i]
            cols = min(widths[i], math.ceil(height * im.shape[1] / max(1, im.shape[0])))
            small = cv2.resize(im, (cols, height)).astype(np.float32)
            batch[row, :, :, :cols] = small.transpose(2, 0, 1) / 127.5 - 1.0
        preds = rec.session(batch)
        lines, _words = rec.postprocess_op(
            preds, False, wh_ratio_list=[widths[i] / height for i in idx], max_wh_ratio=widest / height
        )
        for i, (text, score) in zip(idx, lines, strict=False):
            out[i] = (cjk_spaces(str(text)), float(score))
    return out


def cjk_spaces(text: str) -> str:
    """The line without the spaces the recogniser reads beside CJK characters ("为 100%" →
    "为100%", "1. 属于" → "1.属于"); spaces between Latin words and digits stay."""
    return _CJK_SPACE.sub("", text)


def turned(quads: np.ndarray) -> bool:
    """Mostly tall line boxes: the page lies on its side (turned by 90° one way or the other).
    Only clearly elongated boxes count: a lone digit of a table cell is square either way."""
    if len(quads) < 5:
        return False
    w = quads[:, :, 0].max(axis=1) - quads[:, :, 0].min(axis=1)
    h = quads[:, :, 1].max(axis=1) - quads[:, :, 1].min(axis=1)
    long = (np.maximum(w, h) > 2 * np.minimum(w, h)) & (np.minimum(w, h) > 6)
    return int(long.sum()) >= 5 and float(np.mean(h[long] > w[long])) > 0.6


def read_lines(gray: np.ndarray, text_h: float) -> tuple[np.ndarray, list[Line], np.ndarray | None]:
    """The page (turned upright when it was not), its recognised lines, and the 3×3 map from the
    given page's pixels to the upright one's (None: not turned)."""
    import cv2

    quads = detect(gray, text_h)
    forward: np.ndarray | None = None
    if turned(quads):
        # Turned clockwise (the upside-down test settles 90° vs 270°); the boxes turn with the page
        # rather than being detected again: (x, y) → (h - y, x), corners reordered.
        h = gray.shape[0]
        forward = np.array([[0.0, -1.0, h], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
        gray = cv2.rotate(gray, cv2.ROTATE_90_CLOCKWISE)
        quads = np.stack([_corners(np.stack([h - q[:, 1], q[:, 0]], axis=1)) for q in quads]).astype(
            np.float32
        )
    images = crops(gray, quads)
    # Upside down is settled on a sample before the page is recognised (once, the right way up).
    flip = _upside_down(images, None)
    read = None
    if not flip:
        read = recognise(images)
        flip = _upside_down(images, read)
    if flip:
        gray = cv2.rotate(gray, cv2.ROTATE_180)
        h, w = gray.shape[:2]
        half = np.array([[-1.0, 0.0, w], [0.0, -1.0, h], [0.0, 0.0, 1.0]])
        forward = half if forward is None else half @ forward
        quads = np.stack([w - quads[:, :, 0], h - quads[:, :, 1]], axis=2)[:, [2, 3, 0, 1], :]
        images = [im[::-1, ::-1] for im in images]
        read = recognise(images)
    assert read is not None
    lines = []
    for q, (text, score) in zip(quads, read, strict=False):
        if score < TEXT_SCORE or not text.strip():
            continue
        xs, ys = q[:, 0], q[:, 1]
        lines.append(Line(float(xs.min()), float(ys.min()), float(xs.max()), float(ys.max()), text, score))
    return gray, lines, forward


def _corners(pts: np.ndarray) -> np.ndarray:
    """A box's corners as top-left, top-right, bottom-right, bottom-left."""
    s, d = pts.sum(axis=1), np.diff(pts, axis=1).ravel()
    return np.array([pts[np.argmin(s)], pts[np.argmin(d)], pts[np.argmax(s)], pts[np.argmax(d)]])


def _upside_down(images: list[np.ndarray], read: list[tuple[str, float]] | None) -> bool:
    """Do the widest lines read better turned by 180°? Without ``read`` (before recognition): asked
    only when rapidocr's direction classifier says most of them are upside down (a table page of digits
    reads well either way: "6" and "9" swap, "0" and "1" stay). With it: asked when the reading is poor."""
    if not images:
        return False
    order = sorted(range(len(images)), key=lambda i: -images[i].shape[1])[:_UPSIDE_SAMPLE]
    sample = [images[i] for i in order]
    if read is None:
        votes = engine()._load_cls_model()(sample).cls_res or []
        if sum(1 for label, score in votes if "180" in str(label) and float(score) > 0.9) <= len(sample) / 2:
            return False
        upright = float(np.mean([s for _, s in recognise(sample)]))
        margin = 0.0
    else:
        if float(np.mean([s for _, s in read])) >= 0.85:
            return False
        upright = float(np.mean([read[i][1] for i in order]))
        margin = 0.1
    flipped = float(np.mean([s for _, s in recognise([im[::-1, ::-1] for im in sample])]))
    return flipped > upright + margin
