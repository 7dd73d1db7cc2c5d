"""HTML reader: web pages (GBK or UTF-8, site chrome around the report, Word-exported tables).

The charset comes from the bytes (BOM, meta tag), never from a guess about the site. The report is
the element that holds most of the page's text and its data tables; navigation, footers and scripts
around it are left out. Tables keep their rowspan/colspan; only origin cells are emitted.
"""

from __future__ import annotations

import re

import lxml.html
from lxml import etree

from ..document import Document, Paragraph, Provenance, Table, TableCell
from ..errors import UnreadableFile
from .encoding import Decoded, decode_text

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.I)
_DROP = ("script", "style", "noscript", "head", "iframe", "select", "button", "nav", "form", "object")
_BLOCK = {
    "p",
    "div",
    "li",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "section",
    "article",
    "blockquote",
    "pre",
    "center",
    "dd",
    "dt",
    "header",
    "footer",
    "ul",
    "ol",
    "dl",
    "main",
    "body",
    "td",
    "th",
}
_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
_SPACE = re.compile(r"[\s\u00a0\u3000\u200b]+")
_CJK_GAP = re.compile(r"(?<=[\u4e00-\u9fff（）《》“”：，。、])\s+(?=[\u4e00-\u9fff（）《》“”：，。、])")
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_ALIASES = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "utf8": "utf-8"}


def _charset(data: bytes) -> str | None:
    m = _META_CHARSET.search(data[:4096])
    if not m:
        return None
    name = m.group(1).decode("ascii", "ignore").lower()
    return _ALIASES.get(name, name)


def _decode(data: bytes, source: str) -> Decoded:
    if not data.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        declared = _charset(data)
        if declared:
            try:
                return Decoded(data.decode(declared), declared)
            except (LookupError, UnicodeDecodeError):
                pass  # a wrong declaration: detect from the bytes instead
    return decode_text(data, source)


def _clean(text: str) -> str:
    return _CJK_GAP.sub("", _SPACE.sub(" ", text)).strip()


def read_html(data: bytes, source: str) -> Document:
    decoded = _decode(data, source)
    # lxml refuses NUL and most C0 controls ("All strings must be XML compatible"); tag soup has them
    text = _XML_ILLEGAL.sub(" ", decoded.text)
    try:
        root = lxml.html.document_fromstring(text)
    except (etree.ParserError, ValueError) as e:
        raise UnreadableFile(source, f"网页无法解析：{e}", f"cannot parse the page: {e}") from e
    title = _title(root)
    for el in list(root.iter(etree.Comment, etree.ProcessingInstruction)):
        if el.getparent() is not None:
            el.drop_tree()
    for bad in root.xpath("|".join(f"//{t}" for t in _DROP)):
        bad.drop_tree()
    body = _content(root)
    doc = Document(source=source, media_type="text/html", encoding=decoded.encoding)
    doc.replaced_chars = decoded.replaced
    if title:  # the page title names the document; the content area often does not repeat it
        doc.blocks.append(Paragraph(title, Provenance(source, line=0), "heading", 1))
    _walk(body, doc, source)
    if not doc.blocks:
        raise UnreadableFile(source, "网页中没有正文", "no content in the page")
    return doc


def _title(root) -> str:
    """The page's <title>, without the site name that follows a separator ("…报告_某某网")."""
    raw = root.findtext(".//title") or ""
    first = re.split(r"\s*(?:[_|｜]|\s-\s|——)\s*", raw.strip())[0]
    return _clean(first)


def _text_len(el) -> int:
    return len(_SPACE.sub("", el.text_content() or ""))


def _content(root):
    """The element that holds the report: most text, with the data tables, least chrome."""
    body = root.find("body") if root.find("body") is not None else root
    total = _text_len(body)
    if total == 0:
        return body
    tables = [t for t in body.iter("table") if not t.xpath(".//table")]
    big = max(tables, key=_text_len) if tables else None
    best, best_len = body, total
    for el in body.iter():
        if el.tag not in ("div", "article", "section", "td", "main"):
            continue
        n = _text_len(el)
        # The deepest element still holding most of the text (and the largest table, if any).
        if n >= 0.6 * total and n <= best_len and (big is None or big in el.iter("table")):
            best, best_len = el, n
    return best


def _walk(el, doc: Document, source: str) -> None:
    buf: list[str] = []

    def flush(kind: str = "paragraph", level: int = 0) -> None:
        for line in "".join(buf).split("\n"):
            t = _clean(line)
            if t:
                doc.blocks.append(Paragraph(t, Provenance(source, line=len(doc.blocks) + 1), kind, level))
        buf.clear()

    def visit(node) -> None:
        tag = node.tag if isinstance(node.tag, str) else ""
        if tag == "table":
            flush()
            _table(node, doc, source)
        elif tag in _HEADINGS:
            flush()
            buf.append(node.text_content())
            flush("heading", _HEADINGS[tag])
        elif tag == "br":
            buf.append("\n")
        else:
            if tag in _BLOCK:
                flush()
            if node.text and tag:
                buf.append(node.text)
            for child in node:
                visit(child)
                if child.tail:
                    buf.append(child.tail)
            if tag in _BLOCK:
                flush()

    visit(el)
    flush()


def _is_layout(table) -> bool:
    """A table whose cells hold other tables is page layout: read what is inside it instead."""
    return bool(table.xpath("./tr/td//table | ./tbody/tr/td//table | ./tr/th//table | ./tbody/tr/th//table"))


def _table(node, doc: Document, source: str) -> None:
    if _is_layout(node):
        _walk_cells(node, doc, source)
        return
    index = len(doc.tables())
    rows: list[list[TableCell]] = []
    taken: set[tuple[int, int]] = set()
    for r, tr in enumerate(node.xpath("./tr | ./thead/tr | ./tbody/tr | ./tfoot/tr")):
        row: list[TableCell] = []
        c = 0
        for td in tr.xpath("./td | ./th"):
            while (r, c) in taken:
                c += 1
            rs, cs = _span(td.get("rowspan")), _span(td.get("colspan"))
            text = _clean(" ".join(x for x in _cell_lines(td)))
            row.append(TableCell(text, Provenance(source, table=index, row=r, col=c), rs, cs))
            for dr in range(rs):
                for dc in range(cs):
                    taken.add((r + dr, c + dc))
            c += cs
        rows.append(row)
    if any(rows):
        doc.blocks.append(Table(rows=rows, grid=True, prov=Provenance(source, table=index)))


def _walk_cells(node, doc: Document, source: str) -> None:
    for td in node.xpath("./tr/td | ./tbody/tr/td | ./tr/th | ./tbody/tr/th"):
        _walk(td, doc, source)


def _cell_lines(td) -> list[str]:
    parts: list[str] = []
    for piece in td.itertext():
        parts.append(piece)
    return ["".join(parts)]


def _span(value: str | None) -> int:
    try:
        return max(1, min(100, int(str(value).strip()))) if value else 1
    except ValueError:
        return 1
