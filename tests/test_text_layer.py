"""Where a PDF's text comes from (issue 11): its own text layer (``ok``), OCR where it has none
(``ocr``), or OCR instead of a text layer that is mojibake (``garbled``); and a table pasted into a
born-digital page as a picture, read by OCR in its place.

The fixtures are made at test time from a real report: its fonts' ToUnicode maps replaced by the
identity (what a CID font without a usable map gives a reader), and one of its table pages rendered to
an image and pasted into a page that has a line of text of its own.
"""

from __future__ import annotations

import io
import json

import pypdfium2 as pdfium
import pytest

from gongkai import api
from gongkai.corpus import scan
from gongkai.document import Paragraph
from gongkai.readers import read_bytes
from gongkai.readers.pdf import _mojibake

from .conftest import SHARED
from .pdf_fixtures import garbled_pdf
from .test_scan_outputs import _cli

REAL = SHARED / "fixtures" / "real" / "2024_淮安市洪泽区人民政府.pdf"
TABLE_PAGE = 3  # table 三 (and the end of table 二) on this report


def _page_texts(pdf: bytes) -> list[str]:
    doc = pdfium.PdfDocument(pdf)
    try:
        out = []
        for page in doc:
            tp = page.get_textpage()
            out.append(tp.get_text_range())
            tp.close()
        return out
    finally:
        doc.close()


@pytest.fixture(scope="module")
def born() -> api.Report:
    return api.parse(REAL)


@pytest.fixture(scope="module")
def garbled() -> bytes:
    return garbled_pdf(REAL.read_bytes())


def test_born_digital_text_layer_is_ok(born):
    assert born.text_layer == "ok" and born.page_layers == ["ok"] * 5
    assert born.as_dict(detail=False)["text_layer"] == "ok"  # in the minimum output of cells.md
    done = _cli("parse", "--json", str(REAL))
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["text_layer"] == "ok" and doc["text_layer_pages"] == ["ok"] * 5


def test_mojibake_is_told_from_a_reports_text(garbled):
    real, bad = _page_texts(REAL.read_bytes()), _page_texts(garbled)
    assert "政府信息公开" in real[0] and "政府信息公开" not in bad[0]  # the fixture is mojibake
    assert not any(_mojibake(t.replace("\r\n", "")) for t in real)
    assert all(_mojibake(t.replace("\r\n", "")) for t in bad)


def test_a_garbled_text_layer_is_read_by_ocr(garbled, born):
    report = api.parse_bytes(garbled, "garbled.pdf")
    assert report.text_layer == "garbled" and report.page_layers == ["garbled"] * 5
    assert (report.agency.name, report.year, report.template) == ("淮安市洪泽区人民政府", 2024, "2021")
    assert report.values() == born.values()  # every number, read from the page images
    assert report.cells["t3.new.total"].confidence is not None  # … by OCR
    assert [f.rule for f in report.findings] == [f.rule for f in born.findings]  # the prose's too
    assert report.as_dict(detail=False)["text_layer"] == "garbled"


def _with_pasted_page(pdf: bytes, page: int) -> bytes:
    """The report with page ``page`` replaced by a page whose text layer holds one line ("Annex") and
    whose content is that page rendered to a 200-dpi picture."""
    picture = scan.render(pdf, 200)[page - 1]
    pasted = pdfium.PdfDocument(scan.pasted_pdf([picture], 200))
    src = pdfium.PdfDocument(pdf)
    out = pdfium.PdfDocument.new()
    try:
        out.import_pages(src, list(range(page - 1)))
        out.import_pages(pasted, [0])
        out.import_pages(src, list(range(page, len(src))))
        buf = io.BytesIO()
        out.save(buf)
        return buf.getvalue()
    finally:
        out.close()
        src.close()
        pasted.close()


def test_a_table_pasted_as_a_picture_is_read(born):
    data = _with_pasted_page(REAL.read_bytes(), TABLE_PAGE)
    doc = read_bytes(data, "pasted.pdf")
    assert doc.page_layers == ["ok", "ok", "ocr", "ok", "ok"] and doc.text_layer == "ocr"
    assert any(isinstance(b, Paragraph) and b.text == "Annex" for b in doc.blocks)  # the page's own text
    report = api.parse_document(doc)
    assert report.values() == born.values()
    from_picture = [c for c in report.cells.values() if c.prov is not None and c.prov.page == TABLE_PAGE]
    assert len(from_picture) > 50 and all(c.confidence is not None for c in from_picture)
    # Boxes are on the page (the picture's place added), not on the picture alone.
    assert all(c.prov.bbox[1] > 80 for c in from_picture)  # the picture starts below the text line
    assert [f.rule for f in report.findings] == [f.rule for f in born.findings]
