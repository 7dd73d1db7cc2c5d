"""The review's documents (检查情况通报, 整改通知): rendered to DOCX and PDF and read back."""

from __future__ import annotations

import datetime as dt
import io
import re
import subprocess

import pytest
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt

from gongkai.review.documents import (
    AgencyLine,
    AnnexRow,
    Circular,
    Example,
    LateLine,
    Notice,
    NoticeItem,
    ProblemGroup,
    RankLine,
    circular_docx,
    circular_pdf,
    filename,
    notice_docx,
    notice_pdf,
    to_html,
    write,
)

NANSHAN = AgencyLine("深圳市南山区人民政府", "440305 广东省深圳市南山区", "government")
FUTIAN = AgencyLine("深圳市福田区人民政府", "440304 广东省深圳市福田区", "government")
EDU = AgencyLine("深圳市教育局", "440300 广东省深圳市", "department")
TRANSPORT = AgencyLine("深圳市交通运输局", "440300 广东省深圳市", "department")
WATER = AgencyLine("深圳市水务局", "440300 广东省深圳市", "department")
HEALTH = AgencyLine("深圳市卫生健康委员会", "440300 广东省深圳市", "department")

BALANCE = ProblemGroup(
    rule="t3.balance",
    title="表三收支不平衡：本年新收与上年结转之和不等于办理结果总计与结转下年度之和",
    severity="error",
    agencies=2,
    findings=3,
    examples=(
        Example(
            NANSHAN,
            ("表三 本年新收·总计", "表三 办理结果·总计"),
            ("1,236", "1,198"),
            "本年新收加上年结转（12）应等于办理结果总计加结转下年度（40）",
        ),
        Example(EDU, ("表三 本年新收·自然人",), ("87",), "自然人一列不平衡，相差5件"),
    ),
)
SUM = ProblemGroup(
    rule="t2.sum",
    title="表二合计与分项之和不一致",
    severity="warning",
    agencies=1,
    findings=1,
    examples=(Example(TRANSPORT, ("表二 行政许可·本年新制作",), ("36",), "分项之和为35。"),),
)


def _circular(**kw) -> Circular:
    base = dict(
        region_code="440300",
        region_name="广东省深圳市",
        year=2025,
        issuer="深圳市人民政府办公厅",
        date=dt.date(2026, 4, 20),
        expected=6,
        published=5,
        on_time=3,
        late=(
            LateLine(EDU, dt.date(2026, 1, 31), dt.date(2026, 2, 9)),
            LateLine(FUTIAN, dt.date(2026, 3, 31), dt.date(2026, 4, 2)),
        ),
        missing=(HEALTH,),
        reports_with_errors=2,
        confirmed=4,
        dismissed=7,
        problems=(BALANCE, SUM),
        ranking=(
            RankLine(NANSHAN, confirmed=2, errors=2, status="需整改"),
            RankLine(EDU, confirmed=1, errors=1, status="整改中"),
            RankLine(TRANSPORT, confirmed=1, errors=0, status="已整改"),
        ),
        annex=(
            AnnexRow(NANSHAN, "按时", "2026-03-28", "2021年版", 2, 1, 2, 1, "需整改"),
            AnnexRow(FUTIAN, "逾期", "2026-04-02", "2021年版", 0, 0, 0, 3, "无问题"),
            AnnexRow(EDU, "逾期", "2026-02-09", "2019年版", 1, 2, 1, 2, "整改中"),
            AnnexRow(TRANSPORT, "按时", "2026-01-20", "2021年版", 0, 1, 1, 1, "已整改"),
            AnnexRow(WATER, "按时", "2026-01-15", "未识别", 0, 0, 0, 0, "无问题"),
            AnnexRow(HEALTH, "未发布", "", "", 0, 0, 0, 0, "未发布"),
        ),
        document_no="深府办函〔2026〕31号",
        due=dt.date(2026, 5, 20),
    )
    base.update(kw)
    return Circular(**base)


def _empty_circular() -> Circular:
    return _circular(
        expected=2,
        published=2,
        on_time=2,
        late=(),
        missing=(),
        reports_with_errors=0,
        confirmed=0,
        dismissed=1,
        problems=(),
        ranking=(),
        annex=(),
        document_no="",
        due=None,
    )


ITEMS = (
    NoticeItem(
        ("表三 本年新收·总计", "表三 办理结果·总计"),
        ("1,236", "1,198"),
        "t3.balance",
        "表三收支不平衡",
        "error",
        "本年新收加上年结转应等于办理结果总计加结转下年度",
        note="请核对依申请公开台账后更正",
    ),
    NoticeItem(
        ("表四 行政复议·结果维持",),
        ("3",),
        "t4.total",
        "表四合计与分项之和不一致",
        "warning",
        "行政复议总计为4，分项之和为3",
    ),
)


def _notice(**kw) -> Notice:
    base = dict(
        agency=NANSHAN,
        year=2025,
        report_title="深圳市南山区人民政府2025年政府信息公开工作年度报告",
        issuer="深圳市人民政府办公厅",
        date=dt.date(2026, 4, 22),
        due=dt.date(2026, 5, 22),
        items=ITEMS,
        contact="李明，0755-88880000",
    )
    base.update(kw)
    return Notice(**base)


def _docx(data: bytes):
    return Document(io.BytesIO(data))


def _paras(doc) -> list[str]:
    return [p.text for p in doc.paragraphs]


def _rows(table) -> list[list[str]]:
    return [[c.text for c in row.cells] for row in table.rows]


def _pdf_text(data: bytes, tmp_path, name: str = "doc.pdf", layout: bool = True) -> str:
    """The PDF's text: with ``layout`` a table row is one line (while its cells do not wrap); without, a
    table comes out column by column, each cell's text whole."""
    path = tmp_path / name
    path.write_bytes(data)
    cmd = ["pdftotext", *(["-layout"] if layout else []), str(path), "-"]
    return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout


def _row(text: str, *cells: str) -> bool:
    """A table row printed on one line of ``pdftotext -layout``: the cells in order, apart only by spaces."""
    pattern = r"\s+".join(re.escape(c) for c in cells)
    return any(re.search(pattern, line) for line in text.splitlines())


def _mm(*lengths) -> tuple[float, ...]:
    return tuple(round(x.mm, 1) for x in lengths)


def _flat(text: str) -> str:
    """pdftotext breaks lines (and table cells) wherever the layout does: compare without whitespace."""
    return re.sub(r"\s+", "", text)


# -- 检查情况通报, DOCX --------------------------------------------------------------------------------


def test_circular_docx_sections_figures_and_lists():
    doc = _docx(circular_docx(_circular()))
    paras = _paras(doc)
    assert paras[0] == "深府办函〔2026〕31号"
    assert paras[1] == "关于2025年度政府信息公开工作年度报告检查情况的通报"
    assert paras[2] == "各有关单位："
    assert "深圳市人民政府办公厅对广东省深圳市6家单位2025年度" in paras[3]
    headings = [p for p in paras if re.match(r"^[一二三四五]、", p)]
    assert headings == [
        "一、总体情况",
        "二、未按时发布年报的单位",
        "三、发现的主要问题",
        "四、问题较多的单位",
        "五、工作要求",
    ]
    text = "\n".join(paras)
    assert "应发布年报的单位共6家，已发布5家，发布率83.3%" in text
    assert "按时发布3家，逾期发布2家；截至本通报印发之日仍未发布1家" in text
    assert "共确认问题4处，分属2类，其中2份年报存在经确认的错误" in text
    assert "另有7处疑似问题经复核予以排除" in text
    assert "（一）未发布年报的单位。截至本通报印发之日，共1家：深圳市卫生健康委员会。" in text
    assert "（二）逾期发布年报的单位。共2家，详见下表。" in text
    # the deadline requirement, the annex line and the signature
    assert "并于2026年5月20日前将整改情况报送深圳市人民政府办公厅" in text
    assert "附件：各单位年报检查情况一览表" in paras
    sign = paras.index("2026年4月20日")
    assert paras[sign - 1] == "深圳市人民政府办公厅"
    assert doc.paragraphs[sign].alignment == WD_ALIGN_PARAGRAPH.RIGHT

    late, ranking, annex = doc.tables
    assert _rows(late) == [
        ["序号", "单位", "应发布期限", "实际发布日期", "逾期天数"],
        ["1", "深圳市教育局", "2026年1月31日", "2026年2月9日", "9"],
        ["2", "深圳市福田区人民政府", "2026年3月31日", "2026年4月2日", "2"],
    ]
    assert _rows(ranking)[1:] == [
        ["1", "深圳市南山区人民政府", "2", "2", "需整改"],
        ["2", "深圳市教育局", "1", "1", "整改中"],
        ["3", "深圳市交通运输局", "1", "0", "已整改"],
    ]
    rows = _rows(annex)
    assert rows[0][:4] == ["序号", "单位", "发布情况", "发布日期"]
    assert len(rows) == 7
    assert rows[1] == [
        "1",
        "深圳市南山区人民政府",
        "按时",
        "2026-03-28",
        "2021年版",
        "2",
        "1",
        "2",
        "1",
        "需整改",
    ]
    assert rows[6] == ["6", "深圳市卫生健康委员会", "未发布", "", "", "0", "0", "0", "0", "未发布"]
    # The annex starts on a new page, after the signature, under the label "附件".
    body = doc.element.body
    label = next(p for p in doc.paragraphs if p.text == "附件")
    before = label._p.getprevious()
    assert before.xpath(".//w:br[@w:type='page']")
    assert list(body).index(label._p) > list(body).index(doc.paragraphs[sign]._p)


def test_circular_docx_problem_groups_with_examples():
    paras = _paras(_docx(circular_docx(_circular())))
    i = paras.index("三、发现的主要问题")
    j = paras.index("四、问题较多的单位")
    section = paras[i + 1 : j]
    assert section[0] == "经复核确认的问题按所违反的核对规则归类如下（共2类）。"
    assert section[1].startswith("（一）表三收支不平衡：本年新收与上年结转之和")
    assert "共2家单位存在此类问题，确认3处（规则t3.balance，错误）。例如：" in section[1]
    assert section[2] == (
        "1. 深圳市南山区人民政府：“表三 本年新收·总计”填报为“1,236”、“表三 办理结果·总计”填报为“1,198”，"
        "本年新收加上年结转（12）应等于办理结果总计加结转下年度（40）。"
    )
    assert section[3] == "2. 深圳市教育局：“表三 本年新收·自然人”填报为“87”，自然人一列不平衡，相差5件。"
    assert section[4].startswith("（二）表二合计与分项之和不一致。共1家单位")
    assert "（规则t2.sum，警告）" in section[4]
    assert section[5] == "1. 深圳市交通运输局：“表二 行政许可·本年新制作”填报为“36”，分项之和为35。"
    assert len(section) == 6


def test_circular_docx_empty_lists_say_none():
    doc = _docx(circular_docx(_empty_circular()))
    paras = _paras(doc)
    text = "\n".join(paras)
    assert paras[0] == "关于2025年度政府信息公开工作年度报告检查情况的通报"  # no document number line
    assert "（一）未发布年报的单位。无。" in paras
    assert "（二）逾期发布年报的单位。无。" in paras
    assert paras[paras.index("三、发现的主要问题") + 1] == "经检查复核，未发现需要通报的问题。"
    assert paras[paras.index("四、问题较多的单位") + 1] == "无。"
    assert "经检查复核，未确认存在问题的年报；1处疑似问题经复核予以排除。" in text
    assert "并在收到本通报之日起15个工作日内将整改情况报送" in text
    assert paras[-1] == "无。"  # the annex table is replaced by 无
    assert doc.tables == []


def test_circular_docx_page_layout_and_fonts():
    doc = _docx(circular_docx(_circular()))
    for s in doc.sections:
        assert _mm(s.page_width, s.page_height) == (210, 297)
        assert _mm(s.top_margin, s.bottom_margin, s.left_margin, s.right_margin) == (37, 35, 28, 26)
        grid = s._sectPr.find(qn("w:docGrid"))
        assert grid.get(qn("w:linePitch")) == "579"  # 22 lines of 28.95 pt
        for footer in (s.footer, s.even_page_footer):
            assert footer.paragraphs[0].text == "— 1 —"
            (field,) = footer.part.element.xpath(".//w:instrText")
            assert field.text.strip() == "PAGE"  # the number is Word's page field
        assert s.footer.paragraphs[0].alignment == WD_ALIGN_PARAGRAPH.RIGHT
        assert s.even_page_footer.paragraphs[0].alignment == WD_ALIGN_PARAGRAPH.LEFT
        assert s.footer.paragraphs[0].runs[0].font.size == Pt(14)
    assert doc.settings.odd_and_even_pages_header_footer

    def east_asia(p):
        return p.runs[-1]._element.rPr.rFonts.get(qn("w:eastAsia"))

    paras = {p.text: p for p in doc.paragraphs}
    title = paras["关于2025年度政府信息公开工作年度报告检查情况的通报"]
    assert east_asia(title) == "方正小标宋简体" and title.runs[0].font.size == Pt(22) and title.runs[0].bold
    assert title.alignment == WD_ALIGN_PARAGRAPH.CENTER
    heading = paras["一、总体情况"]
    assert east_asia(heading) == "黑体" and heading.runs[0].font.size == Pt(16)
    body = next(p for p in doc.paragraphs if p.text.startswith("本次应发布"))
    assert east_asia(body) == "仿宋_GB2312" and body.runs[0].font.size == Pt(16)
    assert body.paragraph_format.first_line_indent == Pt(32)
    lead = next(p for p in doc.paragraphs if p.text.startswith("（一）未发布"))
    assert lead.runs[0].text == "（一）未发布年报的单位。"
    assert lead.runs[0]._element.rPr.rFonts.get(qn("w:eastAsia")) == "楷体_GB2312"
    annex_cell = doc.tables[2].rows[1].cells[1].paragraphs[0].runs[0]
    assert annex_cell.font.size == Pt(12)  # 小四 in the annex table
    widths = [round(col.width.mm, 1) for col in doc.tables[2].columns]
    assert widths == [10.5, 31, 13, 24, 20, 10.5, 10.5, 10.5, 10.5, 15.5] and sum(widths) == 156  # text width
    header = doc.tables[2].rows[0]._tr
    assert header.xpath("./w:trPr/w:tblHeader")  # repeated on every page the table runs over
    props = doc.core_properties
    assert props.title == "关于2025年度政府信息公开工作年度报告检查情况的通报"
    assert props.author == "深圳市人民政府办公厅" and props.identifier == "深府办函〔2026〕31号"


# -- 整改通知, DOCX ------------------------------------------------------------------------------------


def test_notice_docx_items_deadline_and_signature():
    doc = _docx(notice_docx(_notice()))
    paras = _paras(doc)
    assert paras[0] == "关于深圳市南山区人民政府2025年度政府信息公开工作年度报告问题整改的通知"
    assert paras[1] == "深圳市南山区人民政府："
    assert "你单位发布的《深圳市南山区人民政府2025年政府信息公开工作年度报告》存在以下2处问题：" in paras[2]
    (table,) = doc.tables
    rows = _rows(table)
    assert rows[0] == ["序号", "涉及栏目", "填报值", "问题说明", "复核意见"]
    assert rows[1] == [
        "1",
        "表三 本年新收·总计\n表三 办理结果·总计",
        "1,236\n1,198",
        "【错误】表三收支不平衡（t3.balance）：本年新收加上年结转应等于办理结果总计加结转下年度。",
        "请核对依申请公开台账后更正",
    ]
    assert rows[2] == [
        "2",
        "表四 行政复议·结果维持",
        "3",
        "【警告】表四合计与分项之和不一致（t4.total）：行政复议总计为4，分项之和为3。",
        "",
    ]
    text = "\n".join(paras)
    assert "并于2026年5月22日前将整改情况（含更正后的年报及发布链接）书面报送深圳市人民政府办公厅。" in text
    assert "联系人及电话：李明，0755-88880000" in paras
    assert paras[-4:] == ["特此通知。", "", "深圳市人民政府办公厅", "2026年4月22日"]
    s = doc.sections[0]
    assert _mm(s.page_width, s.page_height, s.top_margin, s.left_margin) == (210, 297, 37, 28)


def test_notice_without_items_or_deadline_or_contact():
    paras = _paras(_docx(notice_docx(_notice(items=(), due=None, contact="", report_title=""))))
    text = "\n".join(paras)
    assert "你单位发布的《2025年度政府信息公开工作年度报告》未发现需要整改的问题。" in text
    assert "整改情况" not in text
    assert "联系人：＿＿＿＿＿＿　联系电话：＿＿＿＿＿＿＿＿" in paras  # left blank to fill in
    paras = _paras(_docx(notice_docx(_notice(due=None))))
    assert any("并在收到本通知之日起15个工作日内将整改情况" in p for p in paras)


# -- PDF -----------------------------------------------------------------------------------------------


def test_circular_pdf_text_tables_pages_and_fonts(tmp_path):
    import pypdfium2 as pdfium

    data = circular_pdf(_circular())
    assert data.startswith(b"%PDF")
    pdf = pdfium.PdfDocument(data)
    w, h = pdf[0].get_size()
    assert (round(w * 25.4 / 72), round(h * 25.4 / 72)) == (210, 297)
    text = _pdf_text(data, tmp_path)
    pages = text.split("\f")[: len(pdf)]
    assert len(pages) == len(pdf) >= 4
    flat = _flat(text)
    for s in (
        "深府办函〔2026〕31号关于2025年度政府信息公开工作年度报告检查情况的通报各有关单位：",
        "一、总体情况本次应发布年报的单位共6家，已发布5家，发布率83.3%",
        "共确认问题4处，分属2类，其中2份年报存在经确认的错误",
        "（一）未发布年报的单位。截至本通报印发之日，共1家：深圳市卫生健康委员会。",
        "（二）逾期发布年报的单位。共2家，详见下表。",
        "共2家单位存在此类问题，确认3处（规则t3.balance，错误）。例如：",
        "1.深圳市南山区人民政府：“表三本年新收·总计”填报为“1,236”、“表三办理结果·总计”填报为“1,198”",
        "1.深圳市交通运输局：“表二行政许可·本年新制作”填报为“36”，分项之和为35。",
        "五、工作要求",
        "并于2026年5月20日前将整改情况报送深圳市人民政府办公厅",
        "附件：各单位年报检查情况一览表深圳市人民政府办公厅2026年4月20日",
    ):
        assert s in flat, s
    # Table rows, cell after cell on one printed line.
    assert _row(text, "1", "深圳市教育局", "2026年1月31日", "2026年2月9日", "9")
    assert _row(text, "2", "深圳市福田区人民政府", "2026年3月31日", "2026年4月2日", "2")
    assert _row(text, "1", "深圳市南山区人民政府", "2", "2", "需整改")
    assert _row(text, "3", "深圳市交通运输局", "1", "0", "已整改")
    assert _row(text, "5", "深圳市水务局", "按时", "2026-01-15", "未识别", "0", "0", "0", "0", "无问题")
    # Page numbers "— n —" on every page, in order; the annex starts a page of its own.
    for n, page in enumerate(pages, 1):
        assert f"—{n}—" in _flat(page), n
    (annex,) = [p for p in pages if "检查情况一览表" in _flat(p) and "附件：" not in p]
    assert _flat(annex).startswith("附件广东省深圳市2025年度政府信息公开工作年度报告检查情况一览表")
    assert _row(annex, "3", "深圳市教育局", "逾期", "2026-02-09")
    # CJK fonts embedded: serif for body, bold serif for the title, sans for the headings.
    path = tmp_path / "doc.pdf"
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    embedded = {line.split()[0].split("+")[-1] for line in fonts.splitlines()[2:] if " yes " in line}
    assert {"Noto-Serif-CJK-SC", "Noto-Serif-CJK-SC-Bold", "Noto-Sans-CJK-SC"} <= embedded, fonts


def test_circular_pdf_empty_lists(tmp_path):
    flat = _flat(_pdf_text(circular_pdf(_empty_circular()), tmp_path))
    assert "（一）未发布年报的单位。无。（二）逾期发布年报的单位。无。三、发现的主要问题" in flat
    assert "三、发现的主要问题经检查复核，未发现需要通报的问题。四、问题较多的单位无。五、工作要求" in flat
    assert re.search(r"附件广东省深圳市2025年度政府信息公开工作年度报告检查情况一览表无。—\d—$", flat)


def test_notice_pdf_and_escaping(tmp_path):
    odd = AgencyLine('<script>&"单位')
    item = NoticeItem(("表一 <b>",), ("1 & 2",), "t1.x", "规则<i>", "error", "a<b>c")
    data = notice_pdf(_notice(agency=odd, items=(item, *ITEMS)))
    text = _pdf_text(data, tmp_path)
    flat = _flat(text)
    assert '关于<script>&"单位2025年度政府信息公开工作年度报告问题整改的通知' in flat
    assert '<script>&"单位：' in flat
    assert _row(text, "1", "表一 <b>", "1&2")
    cells = _flat(_pdf_text(data, tmp_path, layout=False))  # the cell wraps: read it whole
    assert "【错误】规则<i>（t1.x）：a<b>c。" in cells
    assert "存在以下3处问题" in flat
    assert _row(text, "表三 本年新收·总计", "1,236")  # two cells of item 2: one per line
    assert _row(text, "表三 办理结果·总计", "1,198")
    assert "并于2026年5月22日前将整改情况" in flat
    assert "特此通知。深圳市人民政府办公厅2026年4月22日" in flat
    html = to_html(_notice(agency=odd))
    assert "<script>" not in html and "&lt;script&gt;&amp;&quot;单位" in html


# -- write ---------------------------------------------------------------------------------------------


def test_write_chooses_the_format_by_suffix(tmp_path):
    c = _empty_circular()
    write(c, tmp_path / "通报.DOCX")
    assert _paras(_docx((tmp_path / "通报.DOCX").read_bytes()))[0].startswith("关于2025年度")
    n = _notice()
    write(n, str(tmp_path / "通知.pdf"))
    assert "问题整改的通知" in _flat(_pdf_text((tmp_path / "通知.pdf").read_bytes(), tmp_path, "x.pdf"))
    with pytest.raises(ValueError, match=r"\.docx or \.pdf"):
        write(n, tmp_path / "通知.doc")
    with pytest.raises(ValueError, match="unsupported language"):
        notice_docx(n, lang="fr")
    with pytest.raises(TypeError):
        write("not a document", tmp_path / "x.docx")  # type: ignore[arg-type]
    assert filename(n) == "关于深圳市南山区人民政府2025年度政府信息公开工作年度报告问题整改的通知.docx"
    assert filename(_notice(agency=AgencyLine("a/b:c"))).startswith("关于a_b_c2025")
