"""A page image made fit for grid detection and OCR: seals dropped, photographed pages flattened.

* Red seals (公章) are stamped over tables and signatures. Print is dark in luminance, seal ink is
  lighter and strongly red: luminance lifted by redness (where lighter than print) is the page
  without its seal; a grey page is left as it is.
* A page photographed at an angle is a perspective view: its largest ruled quadrilateral (the table's
  frame, or the sheet) is mapped back to a rectangle, and the whole page with it. A merely rotated
  scan keeps right angles and is left to deskewing.
"""

from __future__ import annotations

import math

import numpy as np

_MIN_QUAD_SHARE = 0.12  # the quadrilateral covers at least this share of the page
_MAX_CORNER_DEVIATION = 1.0  # degrees from a right angle below which a quadrilateral is a rectangle
_WORK_WIDTH = 1000  # quadrilaterals are sought on the page shrunk to this width


def to_gray(image: np.ndarray) -> np.ndarray:
    """Grey page; for a colour page (BGR), its red channel, which drops red seals and red ink."""
    if image.ndim == 2:
        return image
    if image.shape[2] == 4:
        image = image[:, :, :3]
    b, g, r = image[:, :, 0], image[:, :, 1], image[:, :, 2]
    # A grey page saved as colour: the channels agree, any one of them is the page.
    sample = (slice(None, None, 7), slice(None, None, 7))
    if (
        int(np.abs(r[sample].astype(np.int16) - b[sample]).max(initial=0)) < 24
        and int(np.abs(r[sample].astype(np.int16) - g[sample]).max(initial=0)) < 24
    ):
        return np.ascontiguousarray(g)
    # Luminance, lifted by the pixel's redness: seal ink (Y ≈ 80–120, strongly red) turns white. Print
    # and rules stay dark in luminance even where JPEG's half-resolution colour smears the seal's red
    # over them, so only pixels lighter than print are lifted; blue or black ink is left alone.
    import cv2

    y = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY).astype(np.int16)
    redness = np.maximum(r.astype(np.int16) - np.maximum(g, b), 0)
    lift = np.where(y > 60, 2 * redness, 0)
    return np.clip(y + lift, 0, 255).astype(np.uint8)


def _order(pts: np.ndarray) -> np.ndarray:
    """Corners as top-left, top-right, bottom-right, bottom-left."""
    s = pts.sum(axis=1)
    d = np.diff(pts, axis=1).ravel()
    return np.array([pts[np.argmin(s)], pts[np.argmin(d)], pts[np.argmax(s)], pts[np.argmax(d)]], np.float32)


def _corner_deviation(q: np.ndarray) -> float:
    worst = 0.0
    for i in range(4):
        a, b, c = q[i - 1], q[i], q[(i + 1) % 4]
        u, v = a - b, c - b
        cos = float(np.dot(u, v) / (np.linalg.norm(u) * np.linalg.norm(v) + 1e-9))
        worst = max(worst, abs(90.0 - math.degrees(math.acos(max(-1.0, min(1.0, cos))))))
    return worst


def find_quad(gray: np.ndarray) -> np.ndarray | None:
    """The page's largest ruled quadrilateral (4×2 corners, page pixels), or None."""
    import cv2

    f = min(1.0, _WORK_WIDTH / gray.shape[1])
    small = cv2.resize(gray, None, fx=f, fy=f, interpolation=cv2.INTER_AREA) if f < 1 else gray
    binary = cv2.adaptiveThreshold(small, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 25, 15)
    h, w = binary.shape
    # Keep long strokes only (rules), then close small gaps: text does not make a frame.
    k = max(15, w // 30)
    lines = cv2.bitwise_or(
        cv2.morphologyEx(binary, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (k, 1))),
        cv2.morphologyEx(binary, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, k))),
    )
    lines = cv2.dilate(lines, cv2.getStructuringElement(cv2.MORPH_RECT, (5, 5)))
    contours, _ = cv2.findContours(lines, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    best = None
    for c in sorted(contours, key=cv2.contourArea, reverse=True)[:3]:
        hull = cv2.convexHull(c)
        if cv2.contourArea(hull) < _MIN_QUAD_SHARE * h * w:
            break
        approx = cv2.approxPolyDP(hull, 0.02 * cv2.arcLength(hull, True), True)
        if len(approx) == 4:
            best = _order(approx.reshape(4, 2).astype(np.float32)) / f
            break
    return best


def rectify(gray: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """The page with its perspective undone when its largest ruled quadrilateral is not a rectangle,
    and the 3×3 map from the page's pixels to the output's (None: left as it was)."""
    import cv2

    quad = find_quad(gray)
    if quad is None or _corner_deviation(quad) < _MAX_CORNER_DEVIATION:
        return gray, None
    tl, tr, br, bl = quad
    width = max(np.linalg.norm(tr - tl), np.linalg.norm(br - bl))
    height = max(np.linalg.norm(bl - tl), np.linalg.norm(br - tr))
    x, y = float(tl[0]), float(tl[1])
    target = np.array([(x, y), (x + width, y), (x + width, y + height), (x, y + height)], np.float32)
    m = cv2.getPerspectiveTransform(quad, target)
    # Where the page's own corners land: the output holds the whole page.
    h, w = gray.shape
    corners = cv2.perspectiveTransform(np.array([[[0, 0], [w, 0], [w, h], [0, h]]], np.float32), m)[0]
    x0, y0 = corners.min(axis=0)
    x1, y1 = corners.max(axis=0)
    shift = np.array([[1, 0, -min(0.0, x0)], [0, 1, -min(0.0, y0)], [0, 0, 1]], np.float64)
    out_w = int(min(2 * w, max(x1, w) - min(0.0, x0)))
    out_h = int(min(2 * h, max(y1, h) - min(0.0, y0)))
    forward = shift @ m
    return cv2.warpPerspective(
        gray, forward, (out_w, out_h), flags=cv2.INTER_LINEAR, borderValue=255
    ), forward


class Frame:
    """Where a box on the straightened page (seal dropped, perspective undone, deskewed, turned
    upright) lies on the page as given: provenance points at the original's pixels (PDF points once
    divided by the render ``scale``), which is what the original pane and a cell's crop draw on."""

    __slots__ = ("back", "scale")

    def __init__(self, scale: float = 1.0) -> None:
        self.back: np.ndarray | None = None  # straightened → given (3×3); None: the identity
        self.scale = scale

    def then(self, forward: np.ndarray | None) -> None:
        """The page went through one more step, ``forward`` mapping its pixels to the step's output."""
        if forward is None:
            return
        inverse = np.linalg.inv(np.asarray(forward, np.float64))
        self.back = inverse if self.back is None else self.back @ inverse

    def box(self, x0: float, y0: float, x1: float, y1: float) -> tuple[float, float, float, float]:
        """The box around the given page's image of a straightened box, in plain floats rounded to
        0.01 (never numpy scalars: they reach JSON)."""
        if self.back is not None:
            corners = np.array([[x0, y0, 1.0], [x1, y0, 1.0], [x1, y1, 1.0], [x0, y1, 1.0]]) @ self.back.T
            xy = corners[:, :2] / corners[:, 2:3]
            x0, y0 = (float(v) for v in xy.min(axis=0))
            x1, y1 = (float(v) for v in xy.max(axis=0))
        s = self.scale
        return (
            round(float(x0) / s, 2),
            round(float(y0) / s, 2),
            round(float(x1) / s, 2),
            round(float(y1) / s, 2),
        )
