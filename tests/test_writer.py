"""The official-layout writer, and the round trip: written to every format, read back to identical cells."""

from __future__ import annotations

import re
import subprocess

import cv2
import numpy as np
import pytest
from docx import Document as DocxDocument
from lxml import html as lhtml

from gongkai import api
from gongkai.writer import render

from .conftest import SEEDS, SHARED

REAL = sorted((SHARED / "fixtures" / "real").glob("*.pdf"))
SOURCES = [*sorted(SEEDS.glob("*.txt")), *REAL]


@pytest.fixture(scope="module")
def reports():
    return {p.name: api.parse(p) for p in SOURCES}


@pytest.mark.parametrize("fmt", ["md", "html", "docx", "pdf"])
@pytest.mark.parametrize("name", [p.name for p in SOURCES])
def test_round_trip(reports, name, fmt):
    """Both formats (2019 seeds, 2021 PDFs; one and three （六） rows) come back cell for cell."""
    report = reports[name]
    back = api.parse_bytes(render(report, fmt), f"written.{fmt}")
    assert back.values() == report.values()
    assert (back.template, back.year) == (report.template, report.year)


def test_html_layout_is_the_official_one(reports):
    page = lhtml.fromstring(render(reports[SOURCES[0].name], "html"))
    tables = page.findall(".//table")
    assert len(tables) == 3
    note = tables[1].find(".//th")
    assert "勾稽关系" in note.text_content() and (note.get("rowspan"), note.get("colspan")) == ("3", "3")
    cell = tables[1].find('.//td[@data-cell="t3.new.total"]')
    assert cell.text_content() == "262"
    assert cell.getparent()[0].text_content().startswith("一、本年新收")
    assert [h.text_content() for h in page.findall(".//h2")][:2] == [
        "一、总体情况",
        "二、主动公开政府信息情况",
    ]


def test_delta_money_and_stated_totals_are_written_as_printed(reports):
    text = render(reports["002_f4e5220b8732fb1b.txt"], "html").decode()
    assert "512（+284）" in text and "280（-57）" in text and "39582.407" in text


def test_strings_are_escaped(reports):
    r = api.parse(SOURCES[0])
    r.agency.name = "<script>alert(1)</script>"
    page = render(r, "html").decode()
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page


def test_docx_merges_and_fonts(reports, tmp_path):
    path = tmp_path / "r.docx"
    path.write_bytes(render(reports[REAL[0].name], "docx"))
    d = DocxDocument(str(path))
    assert (
        d.styles["Normal"].element.rPr.rFonts.get(
            "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia"
        )
        == "仿宋_GB2312"
    )
    t3 = d.tables[1]
    assert t3.cell(0, 0)._tc is t3.cell(2, 2)._tc  # the note spans 3 × 3


def test_pdf_embeds_a_cjk_font(reports, tmp_path):
    path = tmp_path / "r.pdf"
    path.write_bytes(render(reports[SOURCES[0].name], "pdf"))
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"CJK", fonts) and " yes " in fonts


def test_doc_via_libreoffice_round_trip(reports, tmp_path):
    report = reports[SOURCES[3].name]  # seed 003: blanks and a broken identity
    (tmp_path / "r.docx").write_bytes(render(report, "docx"))
    for target, src in (("odt", "r.docx"), ("doc", "r.odt")):
        subprocess.run(
            [
                "soffice",
                f"-env:UserInstallation=file://{tmp_path}/lo",
                "--headless",
                "--convert-to",
                target,
                "--outdir",
                str(tmp_path),
                str(tmp_path / src),
            ],
            check=True,
            capture_output=True,
        )
    back = api.parse(tmp_path / "r.doc")
    assert back.values() == report.values()
    assert [f.rule for f in back.errors()] == ["t3.balance"]


def test_scan_round_trip(reports, tmp_path):
    """Written to PDF, printed to images, rotated ±1°, noised, read back by OCR."""
    report = reports[SOURCES[1].name]  # seed 001
    pdf = tmp_path / "r.pdf"
    pdf.write_bytes(render(report, "pdf"))
    subprocess.run(["pdftoppm", "-r", "200", "-gray", "-png", str(pdf), str(tmp_path / "p")], check=True)
    pages = []
    for k, png in enumerate(sorted(tmp_path.glob("p*.png"))):
        img = cv2.imread(str(png), cv2.IMREAD_GRAYSCALE)
        h, w = img.shape
        rot = cv2.warpAffine(
            img, cv2.getRotationMatrix2D((w / 2, h / 2), 1.0 if k % 2 else -1.0, 1.0), (w, h), borderValue=255
        )
        noise = np.random.default_rng(k).normal(0, 12, rot.shape)
        pages.append(np.clip(rot + noise, 0, 255).astype(np.uint8))
    ok, tiff = cv2.imencodemulti(".tiff", pages)
    assert ok
    back = api.parse_bytes(tiff.tobytes(), "scan.tiff")
    want = report.values()
    got = back.values()
    wrong = [k for k in want if got.get(k) != want[k]]
    low = {c for f in back.findings if f.rule == "ocr.low_confidence" for c in f.cells}
    assert len(wrong) <= 0.005 * len(want), wrong
    assert set(wrong) <= low


def test_glued_digit_text_round_trip(reports):
    """The Markdown with every table cell glued to the next, as crawlers write it: unique readings are
    recovered, the rest reported, and nothing comes back wrong silently."""
    report = reports[SOURCES[2].name]  # seed 002
    md = render(report, "md").decode()
    glued = "\n".join(
        "".join(c.strip() for c in line.strip("|").split("|")) if line.startswith("|") else line
        for line in md.splitlines()
    )
    back = api.parse_text(" ".join(glued.splitlines()), "crawled.txt")
    reported = {
        c
        for f in back.findings
        if f.rule.startswith("repair.") or f.rule == "conf.row_missing"
        for c in f.cells
    }
    want, got = report.values(), back.values()
    wrong = [k for k in want if got.get(k) is not None and got[k] != want[k]]
    silent = [k for k in want if got.get(k) is None and want[k] is not None and k not in reported]
    assert not wrong, wrong  # never a wrong number
    assert not silent, silent  # every cell not recovered is reported
    t3 = [k for k in want if k.startswith(("t3.", "t4."))]
    assert all(got[k] == want[k] for k in t3)  # the sums decide every row of tables 三 and 四
