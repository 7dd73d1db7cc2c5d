"""Bad scans (issue 11): a blank page, a picture of something else, a page scanned at 30 dpi. Each is
one clear line naming the file, in Chinese and in English (a PDF scan without recognising noise). The
300-page image PDF is in test_read_limits (bounded by the per-file OCR cap and clock).
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from gongkai import api
from gongkai.corpus import scan
from gongkai.errors import GongkaiError, UnreadableFile
from gongkai.readers import ocr

from .conftest import SHARED

REAL = SHARED / "fixtures" / "real" / "2024_淮安市洪泽区人民政府.pdf"


def _blank() -> np.ndarray:
    """A blank sheet through a scanner: off-white with sensor noise."""
    page = np.random.default_rng(1).normal(248, 5, (2339, 1654))
    return np.clip(page, 0, 255).astype(np.uint8)


def _photo() -> np.ndarray:
    """A picture with no text in it (gradients and shapes), in colour."""
    img = np.zeros((1200, 1600, 3), np.uint8)
    for i in range(3):
        img[:, :, i] = np.linspace(40 * i, 255 - 30 * i, 1600)[None, :].astype(np.uint8)
    cv2.circle(img, (800, 600), 300, (30, 120, 200), -1)
    cv2.rectangle(img, (100, 100), (500, 400), (200, 50, 50), -1)
    return img


@pytest.fixture
def ocr_passes(monkeypatch) -> list[str]:
    """Counts the OCR model runs (detection and recognition) while the real ones do the work."""
    calls: list[str] = []
    for name in ("detect", "recognise"):
        real = getattr(ocr, name)

        def spy(*args, _real=real, _name=name, **kwargs):
            calls.append(_name)
            return _real(*args, **kwargs)

        monkeypatch.setattr(ocr, name, spy)
    return calls


def _failure(data: bytes, name: str) -> GongkaiError:
    with pytest.raises(GongkaiError) as e:
        api.parse_bytes(data, name)
    return e.value


@pytest.mark.parametrize("container", ["pdf", "png"])
@pytest.mark.parametrize("what", ["blank", "photo"])
def test_a_scan_without_text_is_one_clear_line(what, container, ocr_passes):
    img = _blank() if what == "blank" else _photo()
    data = scan.image_pdf([img]) if container == "pdf" else cv2.imencode(".png", img)[1].tobytes()
    name = f"{what}.{container}"
    err = _failure(data, name)
    assert isinstance(err, UnreadableFile)
    zh, en = err.line("zh"), err.line("en")
    assert zh.startswith(f"{name}: ") and "\n" not in zh and "未识别出任何文字或表格" in zh
    assert en.startswith(f"{name}: ") and "no text or table found" in en
    assert "recognise" not in ocr_passes  # no recognition pass over the noise (3–10 s a page)


@pytest.fixture(scope="module")
def coarse_pages() -> list[np.ndarray]:
    return scan.render(REAL.read_bytes(), 30)  # the real report, scanned at 30 dpi


def test_a_30_dpi_pdf_scan_names_its_resolution(coarse_pages, ocr_passes):
    err = _failure(scan.image_pdf(coarse_pages, 30), "fax.pdf")
    assert isinstance(err, UnreadableFile)
    assert err.line("zh") == "fax.pdf: 扫描件分辨率过低（约 30 dpi），文字无法识别；请以 200 dpi 以上重新扫描"
    assert (
        err.line("en")
        == "fax.pdf: the scan's resolution is too low to read (about 30 dpi); rescan at 200 dpi or more"
    )
    assert ocr_passes == []  # refused before any OCR pass


def test_a_30_dpi_image_names_its_resolution(coarse_pages):
    data = cv2.imencode(".png", coarse_pages[0])[1].tobytes()
    err = _failure(data, "fax.png")
    assert isinstance(err, UnreadableFile)
    assert err.line("zh").startswith(
        "fax.png: 图片分辨率过低（文字约 "
    ) and "请以 200 dpi 以上重新扫描" in err.line("zh")
    assert err.line("en").startswith("fax.png: the image's resolution is too low to read")
    # An image file rarely records its dpi and noise makes the text-height measure run low on pages
    # OCR reads well, so an image is OCR'd first and its resolution named only when nothing was read.


def test_a_100_dpi_page_is_still_read(coarse_pages):
    """The resolution floor is well under what offices scan at: 100 dpi is read (see test_scan_layouts)."""
    from gongkai.readers.image import text_too_small

    page = scan.render(REAL.read_bytes(), 100)[2]  # the table page, its smallest type
    assert text_too_small(page) is None
    assert text_too_small(coarse_pages[2]) is not None
