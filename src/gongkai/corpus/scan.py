"""Scanned reports: the writer's PDF printed to 200-dpi grey pages, tilted and noised like a scanner
leaves them, packed as a multi-page TIFF (bilevel, CCITT G4, as office scanners file them) or as an
image-only PDF (JPEG pages). Deterministic: the tilt and the noise come from the caller's seed, the
containers carry no timestamps.

OCR reads these at ~4–5 s a page on one core, which is why a corpus holds only a few.
"""

from __future__ import annotations

import functools
import io
import random

import numpy as np

DPI = 200
NOISE_SIGMA = 10.0


@functools.cache
def _noise_field() -> np.ndarray:
    """One field of sensor noise, larger than an A4 page; each page takes a window at a seeded offset
    (drawing fresh Gaussian noise per page costs 0.2 s, the window costs nothing)."""
    return np.random.default_rng(2260).normal(0, NOISE_SIGMA, (2339 + 256, 1654 + 256)).astype(np.int16)


def pages(pdf: bytes, rng: random.Random) -> list[np.ndarray]:
    """The PDF's pages as a scanner returns them: grey, tilted by up to ±1°, noisy."""
    import cv2
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(pdf)
    out = []
    try:
        for page in doc:
            img = np.asarray(page.render(scale=DPI / 72, grayscale=True).to_pil().convert("L"))
            h, w = img.shape
            angle = rng.uniform(0.3, 1.0) * rng.choice((-1, 1))
            tilted = cv2.warpAffine(
                img, cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0), (w, h), borderValue=255
            )
            field = _noise_field()
            oy, ox = rng.randrange(field.shape[0] - h + 1), rng.randrange(field.shape[1] - w + 1)
            noisy = tilted.astype(np.int16) + field[oy : oy + h, ox : ox + w]
            out.append(np.clip(noisy, 0, 255).astype(np.uint8))
    finally:
        doc.close()
    return out


def tiff(images: list[np.ndarray]) -> bytes:
    """Bilevel multi-page TIFF (G4), thresholded the way a scanner's black-and-white mode does."""
    from PIL import Image

    bw = [Image.fromarray(np.where(a > 170, 255, 0).astype(np.uint8)).convert("1") for a in images]
    buf = io.BytesIO()
    bw[0].save(buf, format="TIFF", compression="group4", save_all=True, append_images=bw[1:], dpi=(DPI, DPI))
    return buf.getvalue()


def image_pdf(images: list[np.ndarray], dpi: int = DPI) -> bytes:
    """An image-only PDF: one JPEG per page (grey, or BGR as OpenCV holds colour), no text layer."""
    from PIL import Image

    ims = [Image.fromarray(a if a.ndim == 2 else np.ascontiguousarray(a[:, :, ::-1])) for a in images]
    buf = io.BytesIO()
    ims[0].save(
        buf,
        format="PDF",
        save_all=True,
        append_images=ims[1:],
        resolution=dpi,
        quality=60,
        creationDate=None,  # keeps the bytes the same from run to run
        modDate=None,
    )
    return buf.getvalue()


# ---- what the field does to a page (tests and benchmarks degrade rendered pages with these) -------


def render(pdf: bytes, dpi: int = DPI, colour: bool = False) -> list[np.ndarray]:
    """The PDF's pages as clean images (grey, or BGR when ``colour``)."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(pdf)
    try:
        out = []
        for page in doc:
            bitmap = page.render(scale=dpi / 72, grayscale=not colour)
            img = bitmap.to_numpy().copy()
            out.append(
                img[:, :, 0] if not colour and img.ndim == 3 else img[:, :, :3] if img.ndim == 3 else img
            )
        return out
    finally:
        doc.close()


def seal(img: np.ndarray, rng: random.Random, at: tuple[float, float] | None = None) -> np.ndarray:
    """A red official seal (ring, star, text arc) stamped over the page, as BGR; ``at`` is its centre
    as shares of the width and height (default: somewhere over the lower half, where tables and the
    signature are)."""
    import cv2

    bgr = cv2.cvtColor(img, cv2.COLOR_GRAY2BGR) if img.ndim == 2 else img.copy()
    h, w = bgr.shape[:2]
    fx, fy = at if at is not None else (rng.uniform(0.45, 0.75), rng.uniform(0.45, 0.85))
    cx, cy, r = int(fx * w), int(fy * h), int(0.11 * w)
    ink = np.full((h, w), 255, np.uint8)
    cv2.circle(ink, (cx, cy), r, 0, max(3, r // 14))
    star = [
        (
            cx + int(0.32 * r * np.cos(np.pi / 2 + k * 4 * np.pi / 5)),
            cy - int(0.32 * r * np.sin(np.pi / 2 + k * 4 * np.pi / 5)),
        )
        for k in range(5)
    ]
    cv2.fillPoly(ink, [np.array(star, np.int32)], 0)
    for k in range(14):  # the agency's name around the ring, as strokes
        a = np.pi * (0.15 + 0.7 * k / 13)
        x, y = cx - int(0.75 * r * np.cos(a)), cy - int(0.75 * r * np.sin(a))
        cv2.rectangle(ink, (x - r // 14, y - r // 14), (x + r // 14, y + r // 14), 0, max(2, r // 30))
    mask = ink < 128
    red = np.array([40, 30, 215], np.float32)  # BGR
    alpha = 0.85
    # Ink multiplies: print under the seal stays dark, paper turns red.
    out = bgr.astype(np.float32)
    out[mask] = out[mask] * (1 - alpha) + (out[mask] / 255.0) * red * alpha
    return np.clip(out, 0, 255).astype(np.uint8)


def blur(img: np.ndarray, sigma: float = 1.0) -> np.ndarray:
    import cv2

    return cv2.GaussianBlur(img, (0, 0), sigma)


def jpeg(img: np.ndarray, quality: int = 40) -> np.ndarray:
    """The page through a JPEG of that quality (blocking and ringing around strokes)."""
    import cv2

    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return cv2.imdecode(buf, cv2.IMREAD_UNCHANGED)


def turn(img: np.ndarray, degrees: int) -> np.ndarray:
    """The page fed in sideways or upside down (90, 180 or 270 degrees clockwise)."""
    import cv2

    codes = {90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}
    return cv2.rotate(img, codes[degrees % 360]) if degrees % 360 else img


def photograph(img: np.ndarray, rng: random.Random, strength: float = 0.06) -> np.ndarray:
    """The page photographed from above at an angle: a perspective view on a grey desk."""
    import cv2

    h, w = img.shape[:2]
    d = strength * min(w, h)
    src = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
    dst = np.array(
        [
            [rng.uniform(0.3, 1) * d, rng.uniform(0.3, 1) * d],
            [w - rng.uniform(0.3, 1) * d, rng.uniform(0, 0.4) * d],
            [w - rng.uniform(0, 0.4) * d, h - rng.uniform(0.3, 1) * d],
            [rng.uniform(0, 0.4) * d, h - rng.uniform(0, 0.4) * d],
        ],
        np.float32,
    )
    m = cv2.getPerspectiveTransform(src, dst)
    desk = 170 if img.ndim == 2 else (170, 170, 170)
    return cv2.warpPerspective(img, m, (w, h), flags=cv2.INTER_LINEAR, borderValue=desk)


def pasted_pdf(images: list[np.ndarray], dpi: int = DPI) -> bytes:
    """Each image as a picture in the middle of a born-digital A4 page that has a line of text above
    it: a table pasted as an image into a document (pages with a text layer that holds no table)."""
    import cv2
    import pypdfium2 as pdfium
    import pypdfium2.raw as R

    pdf = pdfium.PdfDocument.new()
    try:
        for img in images:
            w_pt, h_pt = 595.0, 842.0
            page = pdf.new_page(w_pt, h_pt)
            text = R.FPDFPageObj_NewTextObj(pdf.raw, b"Helvetica", 10.0)
            R.FPDFText_SetText(text, _utf16("Annex"))
            R.FPDFPageObj_Transform(text, 1, 0, 0, 1, 60, h_pt - 50)
            R.FPDFPage_InsertObject(page.raw, text)
            ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 90])
            assert ok
            image = pdfium.PdfImage.new(pdf)
            image.load_jpeg(io.BytesIO(buf.tobytes()), inline=True)
            ih, iw = img.shape[:2]
            scale = min((w_pt - 60) / (iw * 72 / dpi), (h_pt - 100) / (ih * 72 / dpi), 1.0)
            dw, dh = iw * 72 / dpi * scale, ih * 72 / dpi * scale
            image.set_matrix(pdfium.PdfMatrix().scale(dw, dh).translate((w_pt - dw) / 2, (h_pt - 80 - dh)))
            page.insert_obj(image)
            page.gen_content()
            page.close()
        out = io.BytesIO()
        pdf.save(out)
        return out.getvalue()
    finally:
        pdf.close()


def _utf16(s: str):
    import ctypes

    data = (s + "\x00").encode("utf-16-le")
    return ctypes.cast(ctypes.create_string_buffer(data, len(data)), ctypes.POINTER(ctypes.c_ushort))
