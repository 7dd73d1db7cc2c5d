"""DOCX reader: the official blank 2021 template, python-docx reports with merged cells, hand-written
WordprocessingML (content controls, text boxes, nested tables, tracked changes) and hostile zips."""

from __future__ import annotations

import io
import struct
import tracemalloc
import zipfile
import zlib
from pathlib import Path

import pytest

from gongkai import api
from gongkai.document import Paragraph, Table
from gongkai.errors import UnreadableFile
from gongkai.formats import FORMAT_2021
from gongkai.readers import read_bytes
from gongkai.readers.docx import read_docx

from .conftest import SHARED
from .docx_fixtures import AGENCY, TITLE, build_report, t3_values, t4_values

BLANK = SHARED / "fixtures" / "real" / "2021格式_空白模板.docx"
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


@pytest.fixture(scope="module")
def report_docx(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_report(tmp_path_factory.mktemp("docx") / "report.docx")


def _origin_grid(table: Table) -> dict[tuple[int, int], tuple[str, int, int]]:
    return {(c.prov.row, c.prov.col): (c.text, c.rowspan, c.colspan) for row in table.rows for c in row}


# ---- the official blank template ------------------------------------------------------------


def test_blank_template_reads_as_2021_with_every_cell_null() -> None:
    doc = read_docx(BLANK.read_bytes(), str(BLANK))
    report = api.parse_document(doc)
    assert report.template == "2021"
    values = report.values()
    assert set(values) == set(FORMAT_2021.cell_ids())
    assert all(v is None for v in values.values())
    for rid in ("other.no_correction", "other.no_fee", "other.other"):
        assert f"t3.{rid}.total" in values
    # Table 三 cells point back at their printed place in the DOCX.
    assert report.cells["t3.new.np"].prov.table == 1
    assert (report.cells["t3.new.np"].prov.row, report.cells["t3.new.np"].prov.col) == (3, 3)
    # Table 四's row of 15 blank cells is found too: every cell of the template is printed, none missing.
    assert all(c.prov is not None for c in report.cells.values())
    assert (report.cells["t4.after.total"].prov.row, report.cells["t4.after.total"].prov.col) == (3, 14)
    rules = {f.rule for f in report.findings}
    assert "conf.table_missing" not in rules and "conf.row_missing" not in rules
    [unfilled] = [f for f in report.findings if f.rule == "conf.unfilled" and f.cells[0].startswith("t4.")]
    assert len(unfilled.cells) == 15


def test_blank_template_tables_keep_spans_and_grid_columns() -> None:
    doc = read_docx(BLANK.read_bytes(), "blank.docx")
    tables = doc.tables()
    assert len(tables) == 3 and all(t.grid for t in tables)
    assert [t.prov.table for t in tables] == [0, 1, 2]
    t3 = _origin_grid(tables[1])
    assert t3[(0, 0)][1:] == (3, 3)  # the note over the label columns
    assert t3[(0, 3)] == ("申请人情况", 1, 7)
    assert t3[(1, 3)] == ("自然人", 2, 1)
    assert t3[(1, 4)] == ("法人或其他组织", 1, 5)
    assert t3[(2, 4)] == ("商业\n企业", 1, 1)  # a line break inside a cell is kept
    assert t3[(5, 0)] == ("三、本年度办理结果", 22, 1)
    assert t3[(7, 1)] == ("（三）不予公开", 8, 1)
    assert t3[(7, 2)] == ("1.属于国家秘密", 1, 1)
    assert t3[(3, 9)] == ("", 1, 1)  # blank cells are kept
    assert len(tables[1].rows) == 28
    assert [len(r) for r in tables[1].rows[3:5]] == [8, 8]
    t4 = _origin_grid(tables[2])
    assert t4[(0, 5)] == ("行政诉讼", 1, 10)
    assert t4[(1, 10)] == ("复议后起诉", 1, 5)
    assert len(tables[2].rows[3]) == 15
    # Body text between the tables, in order; empty paragraphs are dropped.
    texts = [b.text for b in doc.blocks if isinstance(b, Paragraph)]
    assert texts[:3] == ["政府信息公开工作年度报告格式模板", "一、总体情况", "（文字描述）"]


# ---- python-docx reports --------------------------------------------------------------------


def test_report_docx_tables_and_paragraphs(report_docx: Path) -> None:
    doc = read_docx(report_docx.read_bytes(), str(report_docx))
    paras = doc.paragraphs()
    assert (paras[0].text, paras[0].kind) == (TITLE, "heading")
    assert (paras[1].text, paras[1].kind, paras[1].level) == ("一、总体情况", "heading", 1)
    # A line break splits a paragraph; the pieces are plain paragraphs.
    assert [(p.text, p.kind) for p in paras[2:4]] == [
        ("第一行正文", "paragraph"),
        ("第二行正文", "paragraph"),
    ]
    assert [p.prov.line for p in paras[:4]] == [1, 2, 3, 4]
    t3, t4 = doc.tables()
    g = _origin_grid(t3)
    assert g[(0, 0)][1:] == (3, 3) and g[(0, 3)][1:] == (1, 7)
    assert g[(3, 0)][1:] == (1, 3)
    assert g[(3, 3)] == ("1000", 1, 1)
    assert g[(3, 9)] == ("1006", 1, 1)
    assert g[(5, 0)][1:] == (len(FORMAT_2021.t3.rows) - 3, 1)
    assert all(c.prov.file == str(report_docx) and c.prov.table == 0 for row in t3.rows for c in row)
    g4 = _origin_grid(t4)
    assert g4[(1, 0)] == ("结果维持", 2, 1)
    assert g4[(3, 14)] == ("64", 1, 1)
    assert t4.prov.table == 1


def test_report_docx_end_to_end(report_docx: Path) -> None:
    report = api.parse(report_docx)
    assert report.template == "2021"
    assert report.year == 2021
    assert report.agency is not None and report.agency.name == AGENCY
    values = report.values()
    expected = {**t3_values(), **t4_values()}
    assert {k: values[k] for k in expected} == expected
    cell = report.cells["t3.rejected.duplicate.legal"]
    assert cell.raw == str(expected["t3.rejected.duplicate.legal"])
    assert cell.prov.table == 0 and cell.prov.col == 7


def test_read_bytes_dispatches_docx(report_docx: Path) -> None:
    doc = read_bytes(report_docx.read_bytes(), "r.docx")
    assert doc.media_type.endswith("wordprocessingml.document")
    assert len(doc.tables()) == 2


# ---- hand-written WordprocessingML ----------------------------------------------------------


def _docx(body: str, styles: str | None = None, extra: dict[str, bytes] | None = None) -> bytes:
    ns = (
        f'xmlns:w="{W}" xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
        'xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape" '
        'xmlns:v="urn:schemas-microsoft-com:vml"'
    )
    doc = f'<?xml version="1.0" encoding="UTF-8"?><w:document {ns}><w:body>{body}</w:body></w:document>'
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", doc)
        if styles is not None:
            z.writestr("word/styles.xml", f'<w:styles xmlns:w="{W}">{styles}</w:styles>')
        for name, data in (extra or {}).items():
            z.writestr(name, data)
    return buf.getvalue()


def _p(text: str, ppr: str = "") -> str:
    return f"<w:p>{ppr}<w:r><w:t xml:space='preserve'>{text}</w:t></w:r></w:p>"


def _tc(text: str, tcpr: str = "") -> str:
    return f"<w:tc><w:tcPr>{tcpr}</w:tcPr>{_p(text) if text else '<w:p/>'}</w:tc>"


def test_headings_from_styles_and_outline_levels() -> None:
    styles = (
        '<w:style w:type="paragraph" w:styleId="a1"><w:name w:val="标题 2"/></w:style>'
        '<w:style w:type="paragraph" w:styleId="x"><w:name w:val="My Head"/>'
        '<w:pPr><w:outlineLvl w:val="0"/></w:pPr></w:style>'
        '<w:style w:type="paragraph" w:styleId="y"><w:name w:val="Derived"/><w:basedOn w:val="x"/></w:style>'
        '<w:style w:type="paragraph" w:styleId="z"><w:name w:val="Body"/><w:basedOn w:val="x"/>'
        '<w:pPr><w:outlineLvl w:val="9"/></w:pPr></w:style>'
    )
    body = (
        _p("甲", '<w:pPr><w:pStyle w:val="a1"/></w:pPr>')
        + _p("乙", '<w:pPr><w:pStyle w:val="y"/></w:pPr>')
        + _p("丙", '<w:pPr><w:pStyle w:val="z"/></w:pPr>')
        + _p("丁", '<w:pPr><w:outlineLvl w:val="2"/></w:pPr>')
        + _p("戊")
    )
    doc = read_docx(_docx(body, styles), "h.docx")
    assert [(p.text, p.kind, p.level) for p in doc.paragraphs()] == [
        ("甲", "heading", 2),
        ("乙", "heading", 1),
        ("丙", "paragraph", 0),
        ("丁", "heading", 3),
        ("戊", "paragraph", 0),
    ]


def test_content_controls_text_boxes_and_tracked_changes_keep_visible_text() -> None:
    textbox = (
        "<w:p><w:r><w:t>锚点</w:t></w:r><w:r><mc:AlternateContent>"
        "<mc:Choice Requires='wps'><w:drawing><wps:txbx><w:txbxContent>"
        + _p("文本框内容")
        + "</w:txbxContent></wps:txbx></w:drawing></mc:Choice>"
        "<mc:Fallback><w:pict><v:shape><v:textbox><w:txbxContent>"
        + _p("文本框内容")
        + "</w:txbxContent></v:textbox></v:shape></w:pict></mc:Fallback>"
        "</mc:AlternateContent></w:r></w:p>"
    )
    body = (
        "<w:sdt><w:sdtPr/><w:sdtContent>" + _p("控件段落") + "</w:sdtContent></w:sdt>"
        "<w:p><w:r><w:t>甲</w:t></w:r><w:sdt><w:sdtContent><w:r><w:t>乙</w:t></w:r></w:sdtContent></w:sdt>"
        "<w:del><w:r><w:delText>删掉的</w:delText></w:r></w:del>"
        "<w:ins><w:r><w:t>插入</w:t></w:r></w:ins>"
        "<w:r><w:tab/><w:t>丙</w:t><w:instrText>PAGE</w:instrText></w:r>"
        "<w:hyperlink><w:r><w:t>链接</w:t></w:r></w:hyperlink></w:p>" + textbox
    )
    doc = read_docx(_docx(body), "c.docx")
    assert [p.text for p in doc.paragraphs()] == ["控件段落", "甲乙插入\t丙链接", "锚点", "文本框内容"]


def test_table_merges_grid_before_legacy_hmerge_and_sdt_rows() -> None:
    body = (
        "<w:tbl><w:tblGrid/>"
        "<w:tr>" + _tc("A", '<w:gridSpan w:val="2"/><w:vMerge w:val="restart"/>') + _tc("B") + "</w:tr>"
        "<w:sdt><w:sdtContent><w:tr>" + _tc("", '<w:gridSpan w:val="2"/><w:vMerge/>') + _tc("C") + "</w:tr>"
        "</w:sdtContent></w:sdt>"
        "<w:tr><w:trPr><w:gridBefore w:val='1'/></w:trPr>"
        + _tc("D", '<w:hMerge w:val="restart"/>')
        + _tc("", '<w:hMerge w:val="continue"/>')
        + "</w:tr>"
        "<w:tr>" + _tc("E") + _tc("", '<w:vMerge w:val="continue"/>') + _tc("F") + "</w:tr>"
        "</w:tbl>"
    )
    doc = read_docx(_docx(body), "t.docx")
    (table,) = doc.tables()
    assert table.grid
    assert [[(c.text, c.prov.row, c.prov.col, c.rowspan, c.colspan) for c in r] for r in table.rows] == [
        [("A", 0, 0, 2, 2), ("B", 0, 2, 1, 1)],
        [("C", 1, 2, 1, 1)],
        [("D", 2, 1, 1, 2)],
        # A continuation with nothing open above is read as a cell of its own.
        [("E", 3, 0, 1, 1), ("", 3, 1, 1, 1), ("F", 3, 2, 1, 1)],
    ]


def test_nested_tables_and_layout_frames() -> None:
    data_table = (
        "<w:tbl><w:tr>"
        + _tc("项目")
        + _tc("数量")
        + "</w:tr><w:tr>"
        + _tc("规章")
        + _tc("3")
        + "</w:tr></w:tbl>"
    )
    small = "<w:tbl><w:tr>" + _tc("小") + _tc("表") + "</w:tr></w:tbl>"
    outer = (
        "<w:tbl><w:tr>" + _tc("标签") + "<w:tc>" + _p("说明") + small + "</w:tc></w:tr>"
        "<w:tr>" + _tc("甲") + "<w:tc>" + data_table + "<w:p/></w:tc></w:tr></w:tbl>"
    )
    frame = "<w:tbl><w:tr><w:tc>" + _p("框内标题") + data_table + "<w:p/></w:tc></w:tr></w:tbl>"
    doc = read_docx(_docx(outer + frame), "n.docx")
    kinds = [(type(b).__name__, b.text) for b in doc.blocks]
    assert kinds == [
        # A one-row nested table is text of its cell; a real data table follows its host table.
        ("Table", "标签\t说明\n小\t表\n甲\t"),
        ("Table", "项目\t数量\n规章\t3"),
        # A one-cell frame around a table is unwrapped: its content is read as the body.
        ("Paragraph", "框内标题"),
        ("Table", "项目\t数量\n规章\t3"),
    ]
    assert [t.prov.table for t in doc.tables()] == [0, 1, 2]
    assert all(c.prov.table == 2 for r in doc.tables()[2].rows for c in r)


def test_strict_namespace_and_main_part_from_relationships() -> None:
    strict = "http://purl.oclc.org/ooxml/wordprocessingml/main"
    xml = f'<w:document xmlns:w="{strict}"><w:body><w:p><w:r><w:t>严格格式</w:t></w:r></w:p></w:body></w:document>'
    rels = (
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="r1" Type="http://purl.oclc.org/ooxml/officeDocument/relationships/officeDocument" '
        'Target="word/document2.xml"/></Relationships>'
    )
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("_rels/.rels", rels)
        z.writestr("word/document.xml", "<not-used/>")
        z.writestr("word/document2.xml", xml)
    assert [p.text for p in read_docx(buf.getvalue(), "s.docx").paragraphs()] == ["严格格式"]


def test_entities_are_not_resolved() -> None:
    xxe = (
        '<?xml version="1.0"?><!DOCTYPE w:document [<!ENTITY x SYSTEM "file:///etc/hostname">'
        '<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
        '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>'
        f'<w:document xmlns:w="{W}"><w:body><w:p><w:r><w:t>前&x;后&c;</w:t></w:r></w:p></w:body></w:document>'
    )
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("word/document.xml", xxe)
    doc = read_docx(buf.getvalue(), "x.docx")
    text = doc.text()
    assert text.startswith("前")
    hostname = Path("/etc/hostname").read_text().strip() if Path("/etc/hostname").exists() else "\x00"
    assert hostname not in text and "aaaaaaaaaa" not in text


# ---- hostile and damaged files ----------------------------------------------------------------


def _bomb(uncompressed: int, declared: int | None = None) -> bytes:
    """A zip holding word/document.xml of ``uncompressed`` zero bytes, built without inflating it:
    after a full flush deflate forgets its history, so one compressed 1 MiB block repeats."""
    mib = 1 << 20
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = comp.compress(bytes(mib)) + comp.flush(zlib.Z_FULL_FLUSH)
    tail = comp.flush()
    n = uncompressed // mib
    data = block * n + tail
    crc = 0
    zero = bytes(mib)
    for _ in range(n):
        crc = zlib.crc32(zero, crc)
    size = n * mib if declared is None else declared
    name = b"word/document.xml"
    local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, crc, len(data), size, len(name), 0)
    central = struct.pack(
        "<IHHHHHHIIIHHHHHII",
        0x02014B50,
        20,
        20,
        0,
        8,
        0,
        0x21,
        crc,
        len(data),
        size,
        len(name),
        0,
        0,
        0,
        0,
        0,
        0,
    )
    cd_offset = len(local) + len(name) + len(data)
    cd = central + name
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 1, 1, len(cd), cd_offset, 0)
    return local + name + data + cd + end


def _unreadable(data: bytes) -> UnreadableFile:
    tracemalloc.start()
    try:
        with pytest.raises(UnreadableFile) as err:
            read_docx(data, "bad.docx")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 64 * 1024 * 1024, f"peak memory {peak} bytes"
    return err.value


def test_zip_bomb_is_refused_before_inflating() -> None:
    bomb = _bomb(1 << 30)  # 1 GiB of zeros in about 1 MB
    assert len(bomb) < 2 * 1024 * 1024
    with zipfile.ZipFile(io.BytesIO(bomb)) as z:  # a well-formed zip: only its size gives it away
        assert z.getinfo("word/document.xml").file_size == 1 << 30
    err = _unreadable(bomb)
    assert "zip 炸弹" in err.problem and "zip bomb" in err.problem_en
    # The same through the format sniffer and reader registry.
    with pytest.raises(UnreadableFile, match="zip 炸弹"):
        read_bytes(bomb, "bomb.docx")


def test_compression_ratio_alone_is_refused() -> None:
    err = _unreadable(_bomb(32 << 20))  # 32 MiB: under every size limit, but ~1000:1
    assert "压缩比" in err.problem and "ratio" in err.problem_en


def test_zip_lying_about_its_size_is_refused() -> None:
    err = _unreadable(_bomb(8 << 20, declared=4096))
    assert "已损坏" in err.problem and "damaged" in err.problem_en


def test_truncated_docx(report_docx: Path) -> None:
    data = report_docx.read_bytes()
    err = _unreadable(data[: len(data) // 2])
    assert "损坏或不完整" in err.problem and "truncated" in err.problem_en


def test_damaged_document_part(report_docx: Path) -> None:
    data = bytearray(report_docx.read_bytes())
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as z:
        info = z.getinfo("word/document.xml")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra) + 200
    data[start : start + 64] = bytes(64)
    err = _unreadable(bytes(data))
    assert "word/document.xml" in err.problem


def test_zip_without_document_part() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/styles.xml", "<styles/>")
    err = _unreadable(buf.getvalue())
    assert "word/document.xml" in err.problem and "missing" in err.problem_en


def test_broken_xml() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("word/document.xml", f'<w:document xmlns:w="{W}"><w:body><w:p>')
    err = _unreadable(buf.getvalue())
    assert "XML" in err.problem


def test_not_a_zip_at_all() -> None:
    err = _unreadable(b"PK\x03\x04" + b"\x00" * 100)
    assert "zip" in err.problem_en
