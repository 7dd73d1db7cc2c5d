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


def image_pdf(images: list[np.ndarray]) -> bytes:
    """An image-only PDF: one JPEG per page, no text layer."""
    from PIL import Image

    ims = [Image.fromarray(a) for a in images]
    buf = io.BytesIO()
    ims[0].save(
        buf,
        format="PDF",
        save_all=True,
        append_images=ims[1:],
        resolution=DPI,
        quality=60,
        creationDate=None,  # keeps the bytes the same from run to run
        modDate=None,
    )
    return buf.getvalue()
