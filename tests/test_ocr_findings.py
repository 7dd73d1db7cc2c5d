"""No false errors from OCR (issue 11): a failing identity that rests on a cell OCR read with low
confidence, or that one OCR cell's other value would mend, is "需核对原件", not an error; the
identities' single fix is named, never applied; born-digital reports keep their severities."""

from __future__ import annotations

import copy
import random

import cv2
import numpy as np
import pytest

from gongkai import api
from gongkai.corpus import scan
from gongkai.document import Document, TableCell
from gongkai.readers import read_bytes
from gongkai.report import STATUSES
from gongkai.web.original import cell_crop_png

from .conftest import SHARED, seed_path

HONGZE_2024 = SHARED / "fixtures" / "real" / "2024_淮安市洪泽区人民政府.pdf"


@pytest.fixture(scope="module")
def scan_pdf() -> bytes:
    """A real report printed and rescanned (200 dpi, tilted, noisy, JPEG pages)."""
    return scan.image_pdf(scan.pages(HONGZE_2024.read_bytes(), random.Random(5)))


@pytest.fixture(scope="module")
def scanned(scan_pdf) -> Document:
    return read_bytes(scan_pdf, "scan.pdf")


def _table_errors(report) -> list:
    return [f for f in report.errors() if f.rule.startswith("t")]


def _cell(doc: Document, label: str, col: int) -> TableCell:
    for t in doc.tables():
        for row in t.rows:
            texts = [c.text for c in row]
            hit = next((i for i, x in enumerate(texts) if x.endswith(label)), None)
            if hit is not None:
                return row[hit + col]
    raise AssertionError(label)


def test_a_clean_scan_has_no_error(scanned):
    report = api.parse_document(copy.deepcopy(scanned))
    assert report.value("t3.new.np") == 95 and report.cells["t3.new.np"].confidence > 0.9
    assert report.agency.name == "淮安市洪泽区人民政府"
    # Only the warning the printed report has too (the text's 17 applications against the table's 95).
    assert [(f.rule, f.severity) for f in report.findings] == [("text.received", "warning")]


def test_a_misread_digit_is_checked_against_the_original_with_the_one_fix(scanned):
    doc = copy.deepcopy(scanned)
    cell = _cell(doc, "本年新收政府信息公开申请数量", 1)  # 自然人: printed 95
    assert cell.text == "95"
    cell.text = "96"  # what a smudge makes OCR read, confidently
    report = api.parse_document(doc)
    found = [f for f in report.findings if "t3.new.np" in f.cells and f.rule.startswith("t3.")]
    assert found and all(f.status == "check_original" for f in found)
    assert all(f.severity != "error" for f in found) and not _table_errors(report)
    assert all(f.suggested == {"t3.new.np": 95} for f in found)
    f = found[0]
    assert f.message.startswith("需核对原件：") and "为 95（识别为 96）" in f.message
    assert f.message_en.startswith("Check against the original:") and "is 95 (read as 96)" in f.message_en
    d = f.as_dict()
    assert (
        (d["status_text"], d["status_text_en"])
        == STATUSES["check_original"]
        == (
            "需核对原件",
            "check against the original",
        )
    )
    assert report.value("t3.new.np") == 96  # the suggestion is never taken silently


def test_low_confidence_cell_makes_a_failure_a_check(scanned):
    doc = copy.deepcopy(scanned)
    total = _cell(doc, "本年新收政府信息公开申请数量", 7)  # 总计 95
    np_ = _cell(doc, "本年新收政府信息公开申请数量", 1)
    np_.text, np_.confidence = "9", 0.41  # a dropped digit, and OCR knew it was unsure
    total.text = "96"  # and a second misread: no single value mends both, so no suggestion
    report = api.parse_document(doc)
    resting = [f for f in report.findings if "t3.new.np" in f.cells and f.rule.startswith("t3.")]
    assert resting and all(f.status == "check_original" and f.severity != "error" for f in resting)
    assert all(f.suggested is None for f in resting)


def test_a_confidently_read_broken_identity_keeps_its_severity(scanned):
    doc = copy.deepcopy(scanned)
    # Two confident cells broken the same way leave no single fix: the error is the report's.
    for label in ("本年新收政府信息公开申请数量", "（一）予以公开"):
        c = _cell(doc, label, 1)
        c.text = str(int(c.text) + 1)
        c = _cell(doc, label, 7)
        c.text = str(int(c.text) + 2)
    report = api.parse_document(doc)
    assert _table_errors(report) and all(f.status == "fail" for f in _table_errors(report))


def test_born_digital_reports_are_unchanged():
    report = api.parse(seed_path("003"))  # its identity 一+二 = 三（七）+四 is broken in print
    errors = report.errors()
    assert errors and all(f.status == "fail" and f.suggested is None for f in errors)
    assert not [f for f in report.findings if f.status == "check_original"]


def _ocr_text(png: bytes) -> str:
    from gongkai.readers.image import _engine

    img = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR)
    result = _engine()(img)
    return "".join(result.txts or ())


def test_cell_crop_shows_the_cell_of_a_scanned_pdf(scan_pdf, scanned):
    report = api.parse_document(copy.deepcopy(scanned))
    cell = report.cells["t3.new.np"]
    png = cell_crop_png(scan_pdf, "application/pdf", cell.prov)
    assert png is not None and png.startswith(b"\x89PNG")
    assert _ocr_text(png) == "95"  # the crop holds the cell's number, and nothing of its neighbours
    assert cell_crop_png(scan_pdf, "application/pdf", None) is None
    assert cell_crop_png(b"plain text", "text/plain", cell.prov) is None


def test_cell_crop_of_an_image(scan_pdf):
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(scan_pdf)
    page = pdf[2].render(scale=200 / 72).to_numpy()
    pdf.close()
    png_page = cv2.imencode(".png", page)[1].tobytes()
    report = api.parse_document(read_bytes(png_page, "p3.png"))
    cell = report.cells["t3.new.total"]
    crop = cell_crop_png(png_page, "image/png", cell.prov)
    assert crop is not None and _ocr_text(crop) == "95"


@pytest.mark.parametrize(
    ("how", "back"),
    [
        ("sideways", lambda img: scan.turn(img, 270)),
        ("upside down", lambda img: scan.turn(img, 180)),
        ("photographed", lambda img: img),  # a perspective view: the crop is of the page as photographed
    ],
)
def test_a_crop_is_cut_from_the_page_as_given_not_as_straightened(scan_pdf, how, back):
    """The reader turns, deskews and flattens a page before reading it; the cell's box still points
    at the page the user has (the original pane draws on it, the crop is cut from it)."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(scan_pdf)
    page = pdf[2].render(scale=200 / 72, grayscale=True).to_numpy()
    pdf.close()
    page = page[:, :, 0] if page.ndim == 3 else page
    given = {
        "sideways": lambda: scan.turn(page, 90),
        "upside down": lambda: scan.turn(page, 180),
        "photographed": lambda: scan.photograph(page, random.Random(3)),
    }[how]()
    png = cv2.imencode(".png", given)[1].tobytes()
    report = api.parse_document(read_bytes(png, "p3.png"))
    cell = report.cells["t3.new.total"]
    assert cell.value == 95
    h, w = given.shape[:2]
    x0, y0, x1, y1 = cell.prov.bbox
    assert 0 <= x0 < x1 <= w and 0 <= y0 < y1 <= h
    crop = cell_crop_png(png, "image/png", cell.prov)
    assert crop is not None
    upright = back(cv2.imdecode(np.frombuffer(crop, np.uint8), cv2.IMREAD_COLOR))
    assert _ocr_text(cv2.imencode(".png", upright)[1].tobytes()) == "95"


def test_the_report_page_shows_the_crop_beside_a_check_against_the_original(scan_pdf, scanned, tmp_path):
    """Through the web: the finding carries the misread cell's crop, and the crop holds the printed 95."""
    from fastapi.testclient import TestClient

    from gongkai.store import Store
    from gongkai.web import create_app

    doc = copy.deepcopy(scanned)
    _cell(doc, "本年新收政府信息公开申请数量", 1).text = "96"
    report = api.parse_document(doc)
    store = Store.open(f"sqlite:///{tmp_path / 'g.db'}")
    sha = store.files.put(scan_pdf, "scan.pdf")
    vid, _ = store.reports.save(report, sha, "scan.pdf")
    c = TestClient(create_app(store=store))
    page = c.get(f"/reports/{vid}")
    assert page.status_code == 200
    src = f"/reports/{vid}/cells/t3.new.np/crop.png"
    assert src in page.text and "需核对原件" in page.text
    crop = c.get(src)
    assert crop.status_code == 200 and crop.headers["content-type"] == "image/png"
    assert _ocr_text(crop.content) == "95"
    assert c.get(f"/reports/{vid}/cells/t9.nothing/crop.png").status_code == 404
    store.close()
