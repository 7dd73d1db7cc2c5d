"""Official-document layout (GB/T 9704-2012) for the review's documents, as DOCX and as PDF.

A document is first composed into a short list of blocks (title, heading, paragraph, table, signature,
page break); this module lays the blocks out twice — through python-docx and through an HTML+CSS page
printed by WeasyPrint — so both formats carry the same text in the same order.

Layout: A4, margins top 37 mm, bottom 35 mm, left 28 mm, right 26 mm; title 2号 (22 pt) 小标宋, body
3号 (16 pt) 仿宋, level-1 headings 3号 黑体, level-2 leads 3号 楷体; 22 lines a page (line pitch
28.95 pt) of about 28 characters; page numbers 4号 (14 pt) as "— 1 —" at the bottom, odd pages on the
right and even pages on the left, one character in from the edge. The DOCX names the official fonts
(Word on an office machine has them); the PDF must embed what is installed here, so its CSS lists the
official names first and the Noto CJK substitutes after them.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from html import escape
from typing import Any

from ..writer.docx import BODY_FONT, HEADING_FONT, _east_asia

TITLE_FONT = "方正小标宋简体"
KAI_FONT = "楷体_GB2312"

# Sizes in points: 2号, 3号, 4号, 小四.
TITLE_PT, BODY_PT, SMALL_PT, TABLE_PT = 22.0, 16.0, 14.0, 12.0
LINE_PITCH_PT = 28.95  # (297 - 37 - 35) mm / 22 lines
MARGINS_MM = {"top": 37, "bottom": 35, "left": 28, "right": 26}

# CSS families: the official font first, then what fonts-noto-cjk installs.
CSS_TITLE = '"方正小标宋简体", "FZXiaoBiaoSong-B05S", "Noto Serif CJK SC", serif'
CSS_BODY = '"仿宋_GB2312", "FangSong_GB2312", "FangSong", "Noto Serif CJK SC", serif'
CSS_HEADING = '"黑体", "SimHei", "Noto Sans CJK SC", sans-serif'
CSS_KAI = '"楷体_GB2312", "KaiTi_GB2312", "KaiTi", "Noto Serif CJK SC", serif'


# -- blocks ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Title:
    text: str
    size: float = TITLE_PT


@dataclass(frozen=True)
class Line:
    """A line without first-line indent (addressee, document number, the annex's "附件" label)."""

    text: str
    align: str = "left"  # "left" | "center" | "right"
    font: str = "body"  # "body" | "heading"


@dataclass(frozen=True)
class Heading:
    """Level-1 heading ("一、总体情况"), 黑体."""

    text: str


@dataclass(frozen=True)
class Para:
    """A body paragraph indented two characters; ``lead`` is a level-2 heading run in 楷体 before the text."""

    text: str
    lead: str = ""


@dataclass(frozen=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    widths: tuple[float, ...]  # millimetres, summing to the text width (156 mm)
    size: float = TABLE_PT
    left: tuple[int, ...] = ()  # columns aligned left (long text); the others are centred


@dataclass(frozen=True)
class Signature:
    lines: tuple[str, ...]  # issuer, date


@dataclass(frozen=True)
class PageBreak:
    pass


Block = Title | Line | Heading | Para | Table | Signature | PageBreak


@dataclass(frozen=True)
class Composed:
    """A document ready to lay out: its blocks and the metadata both formats record."""

    title: str
    author: str
    subject: str
    date: dt.date
    blocks: tuple[Block, ...]
    keywords: str = ""
    lang: str = "zh"
    identifier: str = ""


# -- DOCX ------------------------------------------------------------------------------------------


def _run(para: Any, text: str, font: str, size: float, bold: bool = False) -> Any:
    from docx.shared import Pt

    run = para.add_run(text)
    _east_asia(run, font)
    run.font.size, run.font.bold = Pt(size), bold
    return run


def _page_number(footer: Any, align: Any, left: bool) -> None:
    """ "— PAGE —" in 4号 宋体, one character in from the outer edge."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Pt

    para = footer.paragraphs[0]
    para.alignment = align
    if left:
        para.paragraph_format.left_indent = Pt(SMALL_PT)
    else:
        para.paragraph_format.right_indent = Pt(SMALL_PT)
    _run(para, "— ", "宋体", SMALL_PT)
    run = _run(para, "", "宋体", SMALL_PT)
    for kind, text in (("begin", None), (None, "PAGE"), ("separate", None), (None, "1"), ("end", None)):
        if kind:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
        elif text == "PAGE":
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = " PAGE "
        else:
            el = OxmlElement("w:t")
            el.text = text
        run._element.append(el)
    _run(para, " —", "宋体", SMALL_PT)


def _docx_table(doc: Any, t: Table) -> None:
    """The header and the first row are laid out cell by cell; the other rows are copies of the first
    with their own text (python-docx's per-cell calls cost ~3 ms a row: 400 ms for a city's annex)."""
    from copy import deepcopy

    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt
    from docx.text.run import Run

    table = doc.add_table(rows=1 + min(1, len(t.rows)), cols=len(t.header))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    _cell_margins(table, Mm(0.6))
    for col, w in zip(table.columns, t.widths, strict=True):  # w:tblGrid, which LibreOffice follows
        col.width = Mm(w)
    for r, row in enumerate(table.rows):
        values = t.header if r == 0 else t.rows[r - 1]
        for c, cell in enumerate(row.cells):
            cell.width = Mm(t.widths[c])
            para = cell.paragraphs[0]
            para.paragraph_format.line_spacing = Pt(t.size * 1.3)
            para.paragraph_format.first_line_indent = Pt(0)
            _no_grid(para)
            left = r > 0 and c in t.left
            para.alignment = WD_ALIGN_PARAGRAPH.LEFT if left else WD_ALIGN_PARAGRAPH.CENTER
            _run(para, values[c], HEADING_FONT if r == 0 else BODY_FONT, t.size)
    _repeat_header(table.rows[0])
    if len(t.rows) > 1:
        first = table.rows[1]._tr
        for values in t.rows[1:]:
            tr = deepcopy(first)
            for tc, value in zip(tr.iterchildren(qn("w:tc")), values, strict=True):
                r_el = tc.find(f"{qn('w:p')}/{qn('w:r')}")
                for child in list(r_el):
                    if child.tag != qn("w:rPr"):
                        r_el.remove(child)
                Run(r_el, None).text = value  # type: ignore[arg-type]
            table._tbl.append(tr)


def _cell_margins(table: Any, margin: Any) -> None:
    """Narrow left/right cell margins (Word's default 1.9 mm would wrap two-character headers)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    mar = OxmlElement("w:tblCellMar")
    for side in ("left", "right"):
        el = OxmlElement(f"w:{side}")
        el.set(qn("w:w"), str(margin.twips))
        el.set(qn("w:type"), "dxa")
        mar.append(el)
    table._tbl.tblPr.append(mar)


def _no_grid(para: Any) -> None:
    """Table text keeps its own line spacing instead of snapping to the page's 22-line grid."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    el = OxmlElement("w:snapToGrid")
    el.set(qn("w:val"), "0")
    para._p.get_or_add_pPr().insert_element_before(
        el, "w:spacing", "w:ind", "w:jc", "w:rPr", "w:sectPr", "w:pPrChange"
    )


def _repeat_header(row: Any) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    tr_pr = row._tr.get_or_add_trPr()
    el = OxmlElement("w:tblHeader")
    el.set(qn("w:val"), "true")
    tr_pr.append(el)


def to_docx(doc: Composed) -> bytes:
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt

    d = Document()
    d.settings.odd_and_even_pages_header_footer = True
    for section in d.sections:
        section.page_width, section.page_height = Mm(210), Mm(297)
        section.top_margin, section.bottom_margin = Mm(MARGINS_MM["top"]), Mm(MARGINS_MM["bottom"])
        section.left_margin, section.right_margin = Mm(MARGINS_MM["left"]), Mm(MARGINS_MM["right"])
        section.footer_distance = Mm(MARGINS_MM["bottom"] - 7 - 5)  # the number sits ~7 mm below the text
        grid = section._sectPr.find(qn("w:docGrid"))
        if grid is None:
            grid = OxmlElement("w:docGrid")
            section._sectPr.append(grid)
        grid.set(qn("w:type"), "lines")
        grid.set(qn("w:linePitch"), str(round(LINE_PITCH_PT * 20)))
        _page_number(section.footer, WD_ALIGN_PARAGRAPH.RIGHT, left=False)
        _page_number(section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT, left=True)
    normal = d.styles["Normal"]
    normal.font.name, normal.font.size = BODY_FONT, Pt(BODY_PT)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), BODY_FONT)
    normal.paragraph_format.line_spacing = Pt(LINE_PITCH_PT)
    normal.paragraph_format.space_before = normal.paragraph_format.space_after = Pt(0)

    props = d.core_properties
    props.title, props.author, props.subject = doc.title, doc.author, doc.subject
    props.keywords, props.identifier, props.language = doc.keywords, doc.identifier, doc.lang
    props.created = dt.datetime.combine(doc.date, dt.time())

    indent = Pt(2 * BODY_PT)
    for b in doc.blocks:
        if isinstance(b, Title):
            p = d.add_paragraph()
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            p.paragraph_format.line_spacing = Pt(max(LINE_PITCH_PT, b.size * 1.5))
            p.paragraph_format.space_after = Pt(LINE_PITCH_PT)
            _run(p, b.text, TITLE_FONT, b.size, bold=True)
        elif isinstance(b, Line):
            p = d.add_paragraph()
            p.alignment = {
                "left": WD_ALIGN_PARAGRAPH.LEFT,
                "center": WD_ALIGN_PARAGRAPH.CENTER,
                "right": WD_ALIGN_PARAGRAPH.RIGHT,
            }[b.align]
            _run(p, b.text, HEADING_FONT if b.font == "heading" else BODY_FONT, BODY_PT)
        elif isinstance(b, Heading):
            p = d.add_paragraph()
            p.paragraph_format.first_line_indent = indent
            p.paragraph_format.keep_with_next = True
            _run(p, b.text, HEADING_FONT, BODY_PT)
        elif isinstance(b, Para):
            p = d.add_paragraph()
            p.paragraph_format.first_line_indent = indent
            if b.lead:
                _run(p, b.lead, KAI_FONT, BODY_PT)
            if b.text:
                _run(p, b.text, BODY_FONT, BODY_PT)
        elif isinstance(b, Table):
            _docx_table(d, b)
        elif isinstance(b, Signature):
            if d.paragraphs:  # keep the last words ("特此通知。") on the signature's page
                d.paragraphs[-1].paragraph_format.keep_with_next = True
            d.add_paragraph().paragraph_format.keep_with_next = True
            for text in b.lines:
                if not text:
                    continue
                p = d.add_paragraph()
                p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
                p.paragraph_format.right_indent = Pt(4 * BODY_PT)  # 右空四字
                p.paragraph_format.keep_with_next = True
                _run(p, text, BODY_FONT, BODY_PT)
        elif isinstance(b, PageBreak):
            d.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


# -- HTML / PDF ------------------------------------------------------------------------------------

CSS = f"""
@page {{
  size: A4;
  margin: {MARGINS_MM["top"]}mm {MARGINS_MM["right"]}mm {MARGINS_MM["bottom"]}mm {MARGINS_MM["left"]}mm;
}}
@page :right {{
  @bottom-right {{ content: "— " counter(page) " —"; font: {SMALL_PT}pt {CSS_BODY};
                   padding-right: 1em; vertical-align: top; padding-top: 7mm; }}
}}
@page :left {{
  @bottom-left {{ content: "— " counter(page) " —"; font: {SMALL_PT}pt {CSS_BODY};
                  padding-left: 1em; vertical-align: top; padding-top: 7mm; }}
}}
html {{ font-family: {CSS_BODY}; font-size: {BODY_PT}pt; line-height: {LINE_PITCH_PT}pt; }}
body {{ margin: 0; }}
h1 {{ font-family: {CSS_TITLE}; font-size: {TITLE_PT}pt; font-weight: bold; text-align: center;
      line-height: {1.5 * TITLE_PT}pt; margin: 0 0 {LINE_PITCH_PT}pt 0; }}
h2 {{ font-family: {CSS_HEADING}; font-size: {BODY_PT}pt; font-weight: normal; margin: 0;
      text-indent: 2em; break-after: avoid; }}
p {{ margin: 0; text-indent: 2em; text-align: justify; }}
p.line {{ text-indent: 0; }}
p.heading {{ font-family: {CSS_HEADING}; }}
p.center {{ text-align: center; }}
p.right {{ text-align: right; }}
.lead {{ font-family: {CSS_KAI}; }}
div.sign {{ margin-top: {LINE_PITCH_PT}pt; break-before: avoid; }}
div.sign p {{ text-indent: 0; text-align: right; padding-right: 4em; }}
table {{ border-collapse: collapse; margin: 4pt auto 8pt auto; table-layout: fixed; }}
th, td {{ border: 0.75pt solid #000; padding: 1pt; text-align: center; vertical-align: middle;
          line-height: 1.3; }}
th {{ font-family: {CSS_HEADING}; font-weight: normal; }}
td.l {{ text-align: left; }}
tr {{ break-inside: avoid; }}
.break {{ break-before: page; }}
"""


def _h(text: str) -> str:
    return escape(text).replace("\n", "<br>")


def _html_table(t: Table) -> str:
    cols = "".join(f'<col style="width:{w}mm">' for w in t.widths)
    head = "".join(f"<th>{_h(x)}</th>" for x in t.header)
    body = []
    for row in t.rows:
        cells = "".join(
            f'<td class="l">{_h(x)}</td>' if c in t.left else f"<td>{_h(x)}</td>" for c, x in enumerate(row)
        )
        body.append(f"<tr>{cells}</tr>")
    style = f"font-size:{t.size}pt;width:{sum(t.widths)}mm"
    return f'<table style="{style}"><colgroup>{cols}</colgroup><thead><tr>{head}</tr></thead>' + (
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def to_html(doc: Composed) -> str:
    out: list[str] = []
    pending_break = False
    for b in doc.blocks:
        cls = ' class="break"' if pending_break else ""
        pending_break = False
        if isinstance(b, Title):
            out.append(f'<h1{cls} style="font-size:{b.size}pt">{_h(b.text)}</h1>')
        elif isinstance(b, Line):
            classes = [
                "line",
                *(["heading"] if b.font == "heading" else []),
                *([b.align] if b.align != "left" else []),
            ]
            if cls:
                classes.append("break")
            out.append(f'<p class="{" ".join(classes)}">{_h(b.text)}</p>')
        elif isinstance(b, Heading):
            out.append(f"<h2{cls}>{_h(b.text)}</h2>")
        elif isinstance(b, Para):
            lead = f'<span class="lead">{_h(b.lead)}</span>' if b.lead else ""
            out.append(f"<p{cls}>{lead}{_h(b.text)}</p>")
        elif isinstance(b, Table):
            out.append(f"<div{cls}>{_html_table(b)}</div>")
        elif isinstance(b, Signature):
            lines = "".join(f"<p>{_h(x)}</p>" for x in b.lines if x)
            out.append(f'<div class="sign">{lines}</div>')
        elif isinstance(b, PageBreak):
            pending_break = True
    meta = [
        f'<meta name="author" content="{escape(doc.author)}">',
        f'<meta name="description" content="{escape(doc.subject)}">',
        f'<meta name="keywords" content="{escape(doc.keywords)}">',
        f'<meta name="dcterms.created" content="{doc.date.isoformat()}">',
    ]
    return (
        f'<!DOCTYPE html><html lang="{"zh-CN" if doc.lang == "zh" else escape(doc.lang)}"><head>'
        f'<meta charset="utf-8"><title>{escape(doc.title)}</title>{"".join(meta)}'
        f"<style>{CSS}</style></head><body>{''.join(out)}</body></html>"
    )


def to_pdf(doc: Composed) -> bytes:
    from weasyprint import HTML  # heavy import: only when a PDF is asked for

    return HTML(string=to_html(doc)).write_pdf()
