"""The official-layout writer, and the round trip: written to every format, read back to identical cells."""

from __future__ import annotations

import datetime as dt
import io
import random
import re
import subprocess

import cv2
import numpy as np
import pytest
from docx import Document as DocxDocument
from lxml import html as lhtml

from gongkai import api
from gongkai.formats import FORMAT_2019, FORMAT_2021
from gongkai.report import Agency, Cell, Report, SectionText
from gongkai.writer import render
from gongkai.writer.layout import table3, value_text

from .conftest import SEEDS, SHARED

REAL = sorted((SHARED / "fixtures" / "real").glob("*.pdf"))
SOURCES = [*sorted(SEEDS.glob("*.txt")), *REAL]


def synthetic_2021(seed: int = 7) -> Report:
    """A 2021-format report with a cell for every cell ID and numbers that satisfy every total."""
    rnd = random.Random(seed)
    cells: dict[str, Cell] = {}
    for cid in FORMAT_2021.t2.cell_ids():
        money = FORMAT_2021.kind_of(cid) == "money"
        cells[cid] = Cell(170815.4 if money else rnd.randint(0, 400))
    t3 = FORMAT_2021.t3
    outcomes = [r.id for r in t3.rows if r.id not in ("new", "carried", "handled", "forward")]
    cols = [c.id for c in t3.columns if c.id != "total"]
    vals: dict[tuple[str, str], int] = {}
    for c in cols:
        for r in outcomes:
            vals[(r, c)] = rnd.choice((0, 0, 1, 2, 3, 12, 105))
        vals[("handled", c)] = sum(vals[(r, c)] for r in outcomes)
        vals[("forward", c)] = rnd.randint(0, 9)
        vals[("carried", c)] = rnd.randint(0, vals[("forward", c)])
        vals[("new", c)] = vals[("handled", c)] + vals[("forward", c)] - vals[("carried", c)]
    for r in t3.rows:
        for c in cols:
            cells[f"t3.{r.id}.{c}"] = Cell(vals[(r.id, c)])
        cells[f"t3.{r.id}.total"] = Cell(sum(vals[(r.id, c)] for c in cols))
    t4 = FORMAT_2021.t4
    for g in t4.groups:
        parts = [rnd.randint(0, 6) for _ in t4.fields[:-1]]
        for f, v in zip(t4.fields, [*parts, sum(parts)], strict=True):
            cells[f"t4.{g.id}.{f.id}"] = Cell(v)
    cells["t2.coercion.decisions"] = Cell(None)  # a blank cell comes back blank
    assert set(cells) == set(FORMAT_2021.cell_ids())
    sections = [
        SectionText(s.id, s.title.text, f"本机关{s.title.text}的说明，全年共{k + 1}项（见<附件>&清单）。")
        for k, s in enumerate(FORMAT_2021.sections)
    ]
    return Report(
        "synthetic",
        template="2021",
        year=2022,
        agency=Agency("平潭综合实验区管理委员会"),
        cells=cells,
        sections=sections,
        signature_date=dt.date(2023, 1, 18),
    )


@pytest.fixture(scope="module")
def reports():
    return {p.name: api.parse(p) for p in SOURCES} | {"synthetic": synthetic_2021()}


@pytest.mark.parametrize("fmt", ["md", "html", "docx", "pdf"])
@pytest.mark.parametrize("name", [*(p.name for p in SOURCES), "synthetic"])
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


def test_synthetic_report_is_consistent(reports):
    """The synthetic report itself breaks no arithmetic rule, so its round trip tests the writer only."""
    r = api.parse_bytes(render(reports["synthetic"], "html"), "s.html")
    assert not [f for f in r.errors() if f.rule.startswith(("t3.", "t4."))]
    assert "（见<附件>&清单）" in r.sections[0].text  # escaped on the page, read back as written
    assert (r.agency.name, r.year, r.signature_date) == (
        "平潭综合实验区管理委员会",
        2022,
        dt.date(2023, 1, 18),
    )


def test_values_are_written_as_printed():
    c2021, c2019 = FORMAT_2021, FORMAT_2019
    assert value_text(c2021, "t2.fees.amount", Cell(170815.4)) == "170815.4"
    assert value_text(c2021, "t2.fees.amount", Cell(212250.0)) == "212250"
    assert value_text(c2019, "t2.licensing.change", Cell(284)) == "+284"
    assert value_text(c2019, "t2.licensing.change", Cell(-19)) == "-19"
    assert value_text(c2019, "t2.licensing.change", Cell(0)) == "0"
    assert value_text(c2019, "t2.licensing.change", Cell(284, stated_total=512)) == "512（+284）"
    assert value_text(c2021, "t3.new.np", Cell(None)) == ""
    assert value_text(c2021, "t3.new.np", None) == ""
    assert value_text(c2021, "t3.new.np", Cell(7, raw="７件"), raw=True) == "７件"
    assert value_text(c2021, "t3.new.np", Cell(7, raw="７件")) == "7"


def test_other_rows_follow_the_report(reports):
    """（六） is one row when the report has t3.other.* cells, else three rows under one group cell."""
    split = table3(FORMAT_2021, reports["synthetic"])
    texts = [[c.text for c in row] for row in split]
    group = next(c for row in split for c in row if c.text == "（六）其他处理")
    assert group.rowspan == 3
    assert any(t[:1] == ["3.其他"] for t in texts)
    single = reports["synthetic"]
    one = Report("x", template="2021", year=2021, cells=dict(single.cells))
    for k in [k for k in one.cells if k.startswith("t3.other.")]:
        del one.cells[k]
    for c in FORMAT_2021.t3.columns:
        one.cells[f"t3.other.{c.id}"] = Cell(1)
    grid = table3(FORMAT_2021, one)
    row = next(r for r in grid if any(c.cell_id == "t3.other.np" for c in r))
    assert row[0].text == "（六）其他处理" and row[0].colspan == 2
    outcomes = next(c for r in grid for c in r if c.text.startswith("三、"))
    assert outcomes.rowspan == len(split) - 3 - 2 - 1 - 2  # header, 一/二, 四, and two split rows fewer


def test_html_tables_two_and_four(reports):
    page = lhtml.fromstring(render(reports["synthetic"], "html"))
    t2, t3, t4 = page.findall(".//table")
    caption = t2.find(".//th")
    assert caption.get("colspan") == "4" and caption.text_content() == "第二十条第（一）项"
    fee = t2.find('.//td[@data-cell="t2.fees.amount"]')
    assert fee.text_content() == "170815.4" and fee.get("colspan") == "3"
    rows = t4.findall(".//tr")
    assert [(h.text_content(), h.get("colspan")) for h in rows[0]] == [("行政复议", "5"), ("行政诉讼", "10")]
    assert [h.get("rowspan") for h in rows[1]][:5] == ["2"] * 5
    assert len(rows[2]) == 10 and len(rows[3]) == 15
    assert rows[3][14].get("data-cell") == "t4.after.total"
    split = t3.xpath('.//th[text()="（六）其他处理"] | .//td[text()="（六）其他处理"]')
    assert split and split[0].get("rowspan") == "3"


def test_docx_is_a4_with_east_asian_fonts_on_runs(reports):
    d = DocxDocument(io.BytesIO(render(reports["synthetic"], "docx")))
    sec = d.sections[0]
    assert (round(sec.page_width.mm), round(sec.page_height.mm)) == (210, 297)
    ea = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia"
    runs = [r for p in d.paragraphs for r in p.runs] + [
        r for t in d.tables for row in t.rows for c in row.cells for p in c.paragraphs for r in p.runs
    ]
    assert runs and all(r._element.rPr.rFonts.get(ea) for r in runs)
    assert len(d.tables) == 3 and [len(t.columns) for t in d.tables] == [4, 10, 15]
    t4 = d.tables[2]
    assert t4.cell(0, 0)._tc is t4.cell(0, 4)._tc and t4.cell(1, 0)._tc is t4.cell(2, 0)._tc
    assert t4.cell(3, 14).text == str(reports["synthetic"].value("t4.after.total"))


def test_pdf_text_has_the_values(reports, tmp_path):
    report = reports["synthetic"]
    path = tmp_path / "s.pdf"
    path.write_bytes(render(report, "pdf"))
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    )
    assert "平潭综合实验区管理委员会2022年政府信息公开工作年度报告" in re.sub(r"\s", "", text.stdout)
    assert "170815.4" in text.stdout
    assert str(report.value("t3.new.total")) in text.stdout


def test_markdown_is_pipe_tables(reports):
    md = render(reports["synthetic"], "md").decode()
    lines = md.splitlines()
    assert lines[0] == "# 平潭综合实验区管理委员会2022年政府信息公开工作年度报告"
    assert "## 三、收到和处理政府信息公开申请情况" in lines
    assert "本机关总体情况的说明，全年共1项（见<附件>&清单）。" in lines
    new = next(x for x in lines if x.startswith("| 一、本年新收"))
    cells = [c.strip() for c in new.strip("|").split("|")]
    assert cells[:3] == ["一、本年新收政府信息公开申请数量"] * 3
    assert cells[-1] == str(reports["synthetic"].value("t3.new.total"))
