"""The PDF reader: the three real 2021-format PDFs read exactly (every cell, publisher, year, format),
tables as grids of origin cells with spans and provenance, page furniture dropped, rows cut by a page
break joined, lost column rules restored, and bad input (encrypted, truncated, huge, no text layer)."""

from __future__ import annotations

import io
import re
import sys

import pypdfium2 as pdfium
import pytest

from gongkai import api
from gongkai.document import PDF_REPAIRED, Document, Table
from gongkai.errors import NotAReport, UnreadableFile
from gongkai.readers import pdf as P
from gongkai.readers import read_bytes
from gongkai.readers.pdf import read_pdf

from . import pdf_fixtures as F
from .conftest import SHARED
from .expected_real import EXPECTED

REAL = SHARED / "fixtures" / "real"
FILES = sorted(EXPECTED)
_CJK_SPACE = re.compile(r"[\u4e00-\u9fff（）“”、，。]\s+[\u4e00-\u9fff（）“”、，。]")
_PAGE_NUMBER = re.compile(r"^\s*[-—–]\s*\d+\s*[-—–]\s*$")


@pytest.fixture(scope="module")
def docs() -> dict[str, Document]:
    return {f: read_bytes((REAL / f).read_bytes(), str(REAL / f)) for f in FILES}


@pytest.fixture(scope="module")
def reports(docs):
    return {f: api.parse_document(d) for f, d in docs.items()}


# ---------------------------------------------------------------- the real PDFs


@pytest.mark.parametrize("name", FILES)
def test_every_cell_exact(reports, name):
    got = reports[name].values()
    want = EXPECTED[name]["cells"]
    diff = {k: (got.get(k, "<absent>"), v) for k, v in want.items() if got.get(k, "<absent>") != v}
    extra = sorted(set(got) - set(want))
    assert not diff, f"cells differ (got, want): {diff}"
    assert not extra, f"cells the report does not have: {extra}"


@pytest.mark.parametrize("name", FILES)
def test_publisher_year_format(reports, name):
    r = reports[name]
    exp = EXPECTED[name]
    region = r.agency.region.code if r.agency.region else None
    assert (r.agency.name, r.agency.kind, region) == exp["agency"]
    assert (r.year, r.template) == (exp["year"], exp["template"])


def test_region_and_year_of_the_2023_report(reports):
    r = reports["2023_淮安市洪泽区人民政府.pdf"]
    assert (r.agency.kind, r.agency.region.code, r.year, r.template) == ("government", "320813", 2023, "2021")


@pytest.mark.parametrize("name", FILES)
def test_tables_are_grids_of_origin_cells(docs, name):
    """Every grid slot of every table is covered by exactly one origin cell (spans consistent)."""
    tables = docs[name].tables()
    assert len(tables) >= 4  # table 二 (two fragments), table 三 (two), table 四
    for k, t in enumerate(tables):
        assert t.grid and t.prov.table == k and t.prov.page
        taken: set[tuple[int, int]] = set()
        for r, row in enumerate(t.rows):
            for c in row:
                assert (c.prov.table, c.prov.row, c.prov.page) == (k, r, t.prov.page)
                slots = {(r + i, c.prov.col + j) for i in range(c.rowspan) for j in range(c.colspan)}
                assert not slots & taken, (name, k, r, c.text)
                taken |= slots
                x0, y0, x1, y1 = c.prov.bbox
                assert 0 <= x0 < x1 <= 595 and 0 <= y0 < y1 <= 842
        width = max(col for _, col in taken) + 1
        assert taken == {(r, col) for r in range(len(t.rows)) for col in range(width)}, (name, k)


def _rows(t: Table) -> list[list[str]]:
    return [[c.text for c in row] for row in t.rows]


def test_table_three_structure_2023(docs):
    t3 = next(t for t in docs["2023_淮安市洪泽区人民政府.pdf"].tables() if "申请人情况" in t.text)
    corner = t3.rows[0][0]
    assert corner.text.startswith("（本列数据的勾稽关系为") and (corner.rowspan, corner.colspan) == (3, 3)
    assert [(c.text, c.rowspan, c.colspan) for c in t3.rows[1]] == [
        ("自然人", 2, 1),
        ("法人或其他组织", 1, 5),
        ("总计", 2, 1),
    ]
    assert _rows(t3)[3] == ["一、本年新收政府信息公开申请数量", "21", "0", "0", "0", "0", "0", "21"]
    vertical = t3.rows[5][0]  # the vertical label, one glyph per line, read top to bottom
    assert (vertical.text, vertical.rowspan) == ("三、本年度办理结果", 12)
    assert _rows(t3)[-1][-8:] == ["2.没有现成信息需要另行制作", "3", "0", "0", "0", "0", "0", "3"]


def test_cell_text_cleaned(docs):
    cells = [c.text for d in docs.values() for t in d.tables() for row in t.rows for c in row]
    assert not [c for c in cells if _CJK_SPACE.search(c)]
    assert "4.无正当理由大量反复申请" in cells  # printed "大量反复 申请"
    assert "5.要求行政机关确认或重新出具已获取信息" in cells  # wrapped over two lines
    assert "2.其他法律行政止公开" in cells  # the report's own typo is kept
    assert "（二）部分公开（区分处理的，只计这一情形，不计其他情形）" in cells


def test_continued_tables_stay_fragments(docs):
    tables = docs["2024_淮安市人民政府.pdf"].tables()
    pages = [t.prov.page for t in tables]
    assert pages == [3, 4, 4, 5, 5]
    lower = _rows(tables[3])  # table 三 continued on page 5 (its row-spanning labels continue too)
    assert lower[0][-9:] == ["法提供", "2.没有现成信息需要另行制作", "11", "0", "0", "0", "0", "0", "11"]
    assert lower[-1] == ["四、结转下年度继续办理", "103", "0", "0", "0", "0", "0", "103"]


@pytest.mark.parametrize("name", FILES)
def test_page_furniture_dropped_and_paragraphs_joined(docs, name):
    paras = docs[name].paragraphs()
    assert not [p.text for p in paras if _PAGE_NUMBER.match(p.text)]
    assert all(p.prov.page and p.prov.bbox for p in paras)
    assert paras[0].text.endswith("人民政府") and paras[1].text.endswith("年政府信息公开工作年度报告")
    assert not any("\n" in p.text for p in paras)


def test_paragraph_cut_by_page_break_is_joined(docs):
    text = [p.text for p in docs["2023_淮安市洪泽区人民政府.pdf"].paragraphs()]
    joined = [t for t in text if "严格执行“分级审核、先审后发”程序" in t]  # "…“分" | page 2 | "级审核…"
    assert len(joined) == 1 and joined[0].startswith("加强区政府门户网站")
    text = [p.text for p in docs["2024_淮安市人民政府.pdf"].paragraphs()]
    assert any("还有一些需要加强和改进的地方。主要表现在" in t for t in text)
    assert any(t.startswith("（三）政府信息管理情况。在政府网站、政务新媒体、政府公报等") for t in text)


# ---------------------------------------------------------------- generated layouts


def _page_text(data: bytes, index: int) -> str:
    doc = pdfium.PdfDocument(data)
    try:
        return re.sub(r"\s+", "", doc[index].get_textpage().get_text_range()) if index < len(doc) else ""
    finally:
        doc.close()


def _split_layout(orphans: int) -> bytes:
    """The first layout where the long-label row falls on the page break the way ``orphans`` makes it."""
    head, tail = F.LONG_LABEL[:8], F.LONG_LABEL[-8:]
    for n in range(28, 44):
        data = F.split_row_pdf(n, orphans)
        p1, p2 = _page_text(data, 0), _page_text(data, 1)
        if orphans == 1 and head in p1 and tail in p2 and head not in p2:
            return data
        if orphans > 1 and head in p2 and head not in p1 and p1.endswith("36"):
            return data
    raise AssertionError(f"no layout splits the row (orphans={orphans}): fonts differ?")


@pytest.mark.parametrize("orphans", [1, 2])
def test_row_cut_by_page_break_is_joined(orphans):
    doc = read_pdf(_split_layout(orphans), "split.pdf")
    t1, t2 = doc.tables()
    assert _rows(t1)[-1] == [F.LONG_LABEL, "3", "6"]
    assert _rows(t2) == [["最后一行", "1", "2"]]
    assert (t1.prov.page, t2.prov.page) == (1, 2)


def test_rows_at_a_page_break_are_not_joined():
    data = F.split_row_pdf(40, 2)  # the long row sits inside page 2
    rows = [r for t in read_pdf(data, "x.pdf").tables() for r in _rows(t)]
    assert rows[:3] == [["第1行标签", "1", "2"], ["第2行标签", "2", "4"], ["第3行标签", "3", "6"]]
    assert [F.LONG_LABEL, "3", "6"] in rows and len(rows) == 42


def test_lost_column_rule_is_restored_from_the_page_above():
    data = F.lost_rule_pdf()
    doc = read_pdf(data, "lost.pdf")
    assert _rows(doc.tables()[-1]) == [
        ["续1行", "1", "11", "21"],
        ["续2行", "2", "12", "22"],
        ["续3行", "3", "13", "23"],
    ]
    # read alone, that page's table really has only three columns
    src = pdfium.PdfDocument(data)
    alone = pdfium.PdfDocument.new()
    alone.import_pages(src, [1])
    buf = io.BytesIO()
    alone.save(buf)
    assert _rows(read_pdf(buf.getvalue(), "p2.pdf").tables()[0])[0] == ["续1行", "1", "11 21"]


def test_long_document_is_read_page_by_page():
    data = F.long_pdf(200)
    doc = read_pdf(data, "long.pdf")
    assert doc.pages == 200 and not doc.tables() and not doc.warnings
    texts = [p.text for p in doc.paragraphs()]
    assert texts[0] == "第1段：与公开工作无关的普通长文档。Lorem ipsum 1." and len(texts) == 200
    assert not [t for t in texts if "某某单位内部资料" in t or _PAGE_NUMBER.match(t)]
    with pytest.raises(NotAReport):
        api.parse_document(doc)


def test_page_cap_bounds_the_work(monkeypatch):
    monkeypatch.setattr(P, "MAX_PAGES", 30)
    doc = read_pdf(F.long_pdf(40), "long.pdf")
    assert doc.pages == 40 and len(doc.paragraphs()) == 30
    assert doc.warnings == ["PDF 共 40 页，只读取了前 30 页"]


# ---------------------------------------------------------------- bad input


def test_encrypted_pdf_is_refused():
    data = F.encrypted_pdf(b"secret")
    with pytest.raises(UnreadableFile, match="PDF 已加密"):
        read_pdf(data, "locked.pdf")
    opened = pdfium.PdfDocument(data, password="secret")  # the fixture is a real encrypted PDF
    assert "Hello encrypted" in opened[0].get_textpage().get_text_range()


def test_pdf_with_only_an_owner_password_is_read():
    doc = read_pdf(F.encrypted_pdf(b""), "restricted.pdf")
    assert [p.text for p in doc.paragraphs()] == ["Hello encrypted"]


def test_truncated_and_damaged_pdfs_are_refused():
    data = (REAL / FILES[0]).read_bytes()
    for cut in (1000, 100):  # nothing left to repair: not even a page object
        with pytest.raises(UnreadableFile, match="PDF 文件不完整"):
            read_pdf(data[:cut], "cut.pdf")
    with pytest.raises(UnreadableFile, match="PDF 文件已损坏"):
        read_pdf(b"%PDF-1.7\n" + bytes(range(256)) * 8 + b"\n%%EOF\n", "junk.pdf")
    for cut in (4000, len(data) // 2):  # repaired: the first page, empty or no report yet
        assert read_pdf(data[:cut], "cut.pdf").warnings[0] == PDF_REPAIRED
        with pytest.raises(UnreadableFile, match="PDF 文件不完整或已损坏：修复后读到的部分中没有报告标题"):
            api.parse_bytes(data[:cut], "cut.pdf")


@pytest.mark.parametrize("name", FILES)
def test_a_truncated_pdf_is_repaired_and_read_exactly(name):
    """The last 1 % of each real PDF cut off (an interrupted download): pdfium alone refuses it, the
    qpdf repair pass recovers every page before the cut, and every cell has its real value."""
    data = (REAL / name).read_bytes()
    cut = data[: len(data) * 99 // 100]
    with pytest.raises(pdfium.PdfiumError):
        pdfium.PdfDocument(cut)
    doc = read_bytes(cut, name)
    assert doc.warnings[0] == PDF_REPAIRED and doc.pages >= 4
    assert api.parse_document(doc).values() == EXPECTED[name]["cells"]


def test_a_pdf_cut_mid_report_keeps_the_values_before_the_cut():
    """Cut at 90 %: the tables on the pages kept are read with their real values, the rest are absent
    (never a wrong value), and the document says it was repaired."""
    name = "2023_淮安市洪泽区人民政府.pdf"
    data = (REAL / name).read_bytes()
    doc = read_bytes(data[: len(data) * 9 // 10], name)
    assert doc.warnings[0] == PDF_REPAIRED and doc.pages == 2
    got, want = api.parse_document(doc).values(), EXPECTED[name]["cells"]
    found = {k: v for k, v in got.items() if v is not None}
    assert found and all(want[k] == v for k, v in found.items())
    assert len(found) < len(want)


def test_a_pdf_made_here_and_cut_in_half_is_repaired_unless_its_page_tree_was_cut_off():
    """Objects written in order (catalog and pages first, as most producers do): half the file is
    enough for qpdf to rebuild it. Weasyprint writes the page tree into an object stream at the very
    end: cut, no tool can find the pages, and the file is refused as truncated."""
    import pikepdf

    packed = F.long_pdf(8)
    out = io.BytesIO()
    with pikepdf.open(io.BytesIO(packed)) as pdf:
        pdf.save(out, object_stream_mode=pikepdf.ObjectStreamMode.disable)
    data = out.getvalue()
    whole = [p.text for p in read_pdf(data, "long.pdf").paragraphs()]
    doc = read_pdf(data[: len(data) // 2], "long.pdf")
    assert doc.warnings == [PDF_REPAIRED] and doc.pages == 8
    assert [p.text for p in doc.paragraphs()] == whole and len(whole) == 8
    with pytest.raises(UnreadableFile, match="PDF 文件不完整"):
        read_pdf(packed[: len(packed) * 9 // 10], "long.pdf")


def test_page_without_text_layer_and_no_ocr(monkeypatch):
    data = F.scan_pdf(REAL / FILES[0], page=4, top=300, bottom=480)
    monkeypatch.setitem(sys.modules, "gongkai.readers.image", None)  # the OCR reader is absent
    doc = read_pdf(data, "scan.pdf")
    assert doc.blocks == [] and doc.warnings == ["第1页无文字层，需要 OCR"]


def test_page_without_text_layer_goes_to_ocr():
    data = F.scan_pdf(REAL / FILES[0], page=4, top=300, bottom=480)  # table 四 of the 2023 report
    doc = read_pdf(data, "scan.pdf")
    assert doc.warnings == ["第1页无文字层，已用 OCR 识别"]
    (table,) = doc.tables()
    assert table.prov.page == 1 and table.prov.table == 0
    assert _rows(table)[-1] == ["10", "1", "0", "0", "0", "0", "0", "0", "0", "0", "5", "0", "0", "0", "0"]
