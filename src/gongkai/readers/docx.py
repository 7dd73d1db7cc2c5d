"""DOCX reader: walks ``word/document.xml`` with lxml, keeping merged cells as spans.

The body is read in order: paragraphs (headings from the paragraph style or outline level),
tables (``w:gridSpan`` → colspan, ``w:vMerge`` restart/continue → rowspan, only origin cells
kept), content controls and text boxes (their text is never dropped). A DOCX is a zip, so sizes
and compression ratios are checked from the central directory before anything is inflated, and
the XML parser resolves no entities and fetches nothing.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from io import BytesIO

from lxml import etree

from ..document import Block, Document, Paragraph, Provenance, Table, TableCell
from ..errors import UnreadableFile
from .sniff import DOCX

MAX_TOTAL = 200 * 1024 * 1024  # declared uncompressed size of all parts together
MAX_PART = 64 * 1024 * 1024  # one XML part we parse (real reports: well under 2 MB)
MAX_RATIO = 100  # uncompressed / compressed, checked for parts above RATIO_FLOOR
RATIO_FLOOR = 1024 * 1024  # tiny parts may compress extremely well and are harmless
MAX_ENTRIES = 20_000
MAX_GRID = 64  # gridSpan / gridBefore: Word tables have at most 63 columns; a hostile 2**40 is clamped

MAIN_NS = (
    "http://schemas.openxmlformats.org/wordprocessingml/2006/main",
    "http://purl.oclc.org/ooxml/wordprocessingml/main",  # "Strict Open XML" saves
)
_MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_OFFICE_DOC = "/officeDocument"
_STYLES = "/styles"

_HEADING_NAME = re.compile(r"^(?:heading|标题)\s*(\d)$", re.I)
_TITLE_NAME = re.compile(r"^(?:title|标题)$", re.I)
# A nested table is a data table of its own (not just text in the cell) from this size on.
_NESTED_MIN_ROWS = 2
_NESTED_MIN_COLS = 2


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        load_dtd=False,
        remove_comments=True,
        remove_pis=True,
    )


def read_docx(data: bytes, source: str) -> Document:
    with _open_zip(data, source) as z:
        main = _main_part(z)
        root = _parse_part(z, main, source, required=True)
        assert root is not None
        w = _Names(etree.QName(root).namespace or MAIN_NS[0])
        styles_path = _rel_target(z, main, _STYLES) or posixpath.join(posixpath.dirname(main), "styles.xml")
        styles = _Styles.read(_parse_part(z, styles_path, source, required=False), w)
    body = root.find(w.body)
    if body is None:
        raise UnreadableFile(source, "DOCX 文件缺少正文（w:body）", "DOCX has no document body (w:body)")
    walker = _Walker(source, w, styles)
    walker.container(body)
    return Document(source=source, blocks=walker.blocks, media_type=DOCX, warnings=walker.warnings)


# ---- the zip package, guarded ------------------------------------------------------------------


def _open_zip(data: bytes, source: str) -> zipfile.ZipFile:
    try:
        z = zipfile.ZipFile(BytesIO(data))
        infos = z.infolist()
    except NotImplementedError as e:  # e.g. "zip file version 7.4", an unknown compression method
        raise UnreadableFile(
            source,
            f"不支持的 ZIP 格式，无法作为 DOCX 打开（{e}）",
            f"unsupported ZIP variant, cannot open as DOCX ({e})",
        ) from e
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError, RuntimeError) as e:
        raise UnreadableFile(
            source,
            f"DOCX 文件已损坏或不完整（无法作为 zip 打开：{e}）",
            f"DOCX is damaged or truncated (not a readable zip: {e})",
        ) from e
    if len(infos) > MAX_ENTRIES:
        raise UnreadableFile(
            source, f"DOCX 包含的部件过多（{len(infos)} 个）", f"DOCX has too many parts ({len(infos)})"
        )
    total = sum(i.file_size for i in infos)
    if total > MAX_TOTAL:
        raise UnreadableFile(
            source,
            f"DOCX 解压后过大（声明 {total} 字节，上限 {MAX_TOTAL}），疑似 zip 炸弹",
            f"DOCX inflates to too much ({total} bytes declared, limit {MAX_TOTAL}): likely a zip bomb",
        )
    return z


def _check_part(info: zipfile.ZipInfo, source: str) -> None:
    if info.flag_bits & 0x1:
        raise UnreadableFile(source, "DOCX 文件已加密", "DOCX is encrypted")
    size, packed = info.file_size, max(info.compress_size, 1)
    if size > MAX_PART or (size > RATIO_FLOOR and size / packed > MAX_RATIO):
        raise UnreadableFile(
            source,
            f"DOCX 部件 {info.filename} 过大（解压后 {size} 字节，压缩比 {size // packed}），疑似 zip 炸弹",
            f"DOCX part {info.filename} is too large ({size} bytes, ratio {size // packed}): likely a zip bomb",
        )


def _read_part(z: zipfile.ZipFile, name: str, source: str) -> bytes | None:
    try:
        info = z.getinfo(name)
    except KeyError:
        return None
    _check_part(info, source)
    try:
        with z.open(info) as f:
            # zipfile stops at the declared size and checks the CRC, so a lying header fails here.
            data = f.read(info.file_size + 1)
    except (
        zipfile.BadZipFile,
        zlib.error,
        OSError,
        ValueError,
        EOFError,
        RuntimeError,
        NotImplementedError,
    ) as e:
        raise UnreadableFile(
            source,
            f"DOCX 部件 {name} 已损坏，无法解压（{e}）",
            f"DOCX part {name} is damaged and cannot be inflated ({e})",
        ) from e
    if len(data) > info.file_size:
        raise UnreadableFile(
            source, f"DOCX 部件 {name} 大小与声明不符", f"DOCX part {name} exceeds its declared size"
        )
    return data


def _parse_part(z: zipfile.ZipFile, name: str, source: str, required: bool) -> etree._Element | None:
    data = _read_part(z, name, source)
    if data is None:
        if required:
            raise UnreadableFile(
                source,
                f"不是有效的 DOCX：缺少正文部件 {name}",
                f"not a valid DOCX: the main part {name} is missing",
            )
        return None
    try:
        return etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as e:
        if not required:
            return None
        raise UnreadableFile(
            source, f"DOCX 正文 XML 已损坏（{e}）", f"DOCX document XML is damaged ({e})"
        ) from e


def _rel_target(z: zipfile.ZipFile, part: str, rel_type_suffix: str) -> str | None:
    """Target of the first relationship of a type from ``part`` ('' = the package), as a zip name."""
    folder, base = posixpath.split(part)
    rels_name = posixpath.join(folder, "_rels", f"{base}.rels")
    try:
        info = z.getinfo(rels_name)
    except KeyError:
        return None
    if info.file_size > RATIO_FLOOR:
        return None
    try:
        root = etree.fromstring(z.read(info), _parser())
    except (
        etree.XMLSyntaxError,
        zipfile.BadZipFile,
        zlib.error,
        OSError,
        ValueError,
        EOFError,
        RuntimeError,  # encrypted member
        NotImplementedError,  # unknown compression method or version
    ):
        return None
    for rel in root.iter(f"{{{_REL_NS}}}Relationship"):
        if rel.get("Type", "").endswith(rel_type_suffix) and rel.get("TargetMode") != "External":
            target = rel.get("Target", "")
            path = target.lstrip("/") if target.startswith("/") else posixpath.join(folder, target)
            return posixpath.normpath(path)
    return None


def _main_part(z: zipfile.ZipFile) -> str:
    target = _rel_target(z, "", _OFFICE_DOC)
    if target and target in z.NameToInfo:
        return target
    return "word/document.xml"


# ---- styles: which paragraph styles are headings ---------------------------------------------


class _Names:
    """Clark names of the WordprocessingML elements used, in the document's namespace."""

    def __init__(self, ns: str) -> None:
        if ns not in MAIN_NS:
            ns = MAIN_NS[0]
        q = f"{{{ns}}}"
        self.ns = ns
        self.val = f"{q}val"
        self.body, self.p, self.r, self.t, self.tab, self.br, self.cr = (
            f"{q}{n}" for n in ("body", "p", "r", "t", "tab", "br", "cr")
        )
        self.tbl, self.tr, self.tc, self.tcPr, self.trPr = (
            f"{q}{n}" for n in ("tbl", "tr", "tc", "tcPr", "trPr")
        )
        self.gridSpan, self.vMerge, self.hMerge, self.gridBefore = (
            f"{q}{n}" for n in ("gridSpan", "vMerge", "hMerge", "gridBefore")
        )
        self.pPr, self.pStyle, self.outlineLvl = f"{q}pPr", f"{q}pStyle", f"{q}outlineLvl"
        self.sdt, self.sdtContent, self.customXml = f"{q}sdt", f"{q}sdtContent", f"{q}customXml"
        self.txbxContent, self.altChunk = f"{q}txbxContent", f"{q}altChunk"
        self.noBreakHyphen, self.sym = f"{q}noBreakHyphen", f"{q}sym"
        # Deleted or moved-away text, and property/instruction elements, are not what a reader sees.
        self.skip = {
            f"{q}{n}"
            for n in (
                "del",
                "moveFrom",
                "rPr",
                "pPr",
                "instrText",
                "delText",
                "footnoteReference",
                "endnoteReference",
            )
        }
        self.style, self.name, self.basedOn, self.styleId = (
            f"{q}style",
            f"{q}name",
            f"{q}basedOn",
            f"{q}styleId",
        )


@dataclass(slots=True)
class _Styles:
    level: dict[str, int] = field(default_factory=dict)  # paragraph style id → heading level

    @classmethod
    def read(cls, root: etree._Element | None, w: _Names) -> _Styles:
        out = cls()
        if root is None:
            return out
        own: dict[str, int | None] = {}
        parent: dict[str, str] = {}
        for st in root.iter(w.style):
            sid = st.get(w.styleId)
            if not sid:
                continue
            own[sid] = _style_level(st, w)
            based = st.find(w.basedOn)
            if based is not None and based.get(w.val):
                parent[sid] = based.get(w.val, "")
        for sid in own:
            level, seen, cur = None, set(), sid
            while cur in own and cur not in seen:  # inherit an outline level through basedOn
                seen.add(cur)
                if own[cur] is not None:
                    level = own[cur]
                    break
                cur = parent.get(cur, "")
            if level:
                out.level[sid] = level
        return out


def _style_level(st: etree._Element, w: _Names) -> int | None:
    name_el = st.find(w.name)
    name = (name_el.get(w.val, "") if name_el is not None else "").strip()
    m = _HEADING_NAME.match(name)
    if m:
        return max(1, int(m.group(1)))
    if _TITLE_NAME.match(name):
        return 1
    return _outline_level(st.find(w.pPr), w)


def _outline_level(ppr: etree._Element | None, w: _Names) -> int | None:
    """Outline level 0..8 means heading 1..9; 9 means body text (an explicit 'not a heading')."""
    if ppr is None:
        return None
    el = ppr.find(w.outlineLvl)
    if el is None:
        return None
    try:
        lvl = int(el.get(w.val, ""))
    except ValueError:
        return None
    return lvl + 1 if 0 <= lvl < 9 else 0


# ---- the body walk ---------------------------------------------------------------------------


@dataclass(slots=True)
class _Origin:
    cell: TableCell
    col: int
    span: int


class _Walker:
    """Turns the body's children into blocks. Text boxes anchored in a paragraph follow it."""

    def __init__(self, source: str, w: _Names, styles: _Styles) -> None:
        self.source, self.w, self.styles = source, w, styles
        self.blocks: list[Block] = []
        self.warnings: list[str] = []
        self.n_tables = 0
        self.n_paragraphs = 0

    # block level

    def container(self, el: etree._Element) -> None:
        for child in _flat(el, self.w):
            if child.tag == self.w.p:
                self.paragraph(child)
            elif child.tag == self.w.tbl:
                self.table(child)
            elif child.tag == self.w.altChunk:
                self.warnings.append(
                    "DOCX 内嵌的外部内容（altChunk）未读取 / embedded altChunk content not read"
                )

    def paragraph(self, p: etree._Element) -> None:
        text, boxes = _paragraph_text(p, self.w)
        kind, level = self._heading(p)
        for line in text.split("\n"):
            if line.strip():
                self._emit_paragraph(line, kind, level)
        for box in boxes:
            self.container(box)

    def _emit_paragraph(self, text: str, kind: str, level: int) -> None:
        self.n_paragraphs += 1
        prov = Provenance(self.source, line=self.n_paragraphs)
        self.blocks.append(Paragraph(text, prov, "heading" if kind == "heading" else "paragraph", level))

    def _heading(self, p: etree._Element) -> tuple[str, int]:
        ppr = p.find(self.w.pPr)
        own = _outline_level(ppr, self.w)
        if own is not None:
            return ("heading", own) if own else ("paragraph", 0)
        style = ppr.find(self.w.pStyle) if ppr is not None else None
        level = self.styles.level.get(style.get(self.w.val, "")) if style is not None else None
        return ("heading", level) if level else ("paragraph", 0)

    def table(self, tbl: etree._Element) -> None:
        rows, nested = self._grid(tbl)
        if nested and _is_layout(rows):
            # A one-row or one-column frame around real tables: read its content as the body.
            for tc in _layout_cells(tbl, self.w):
                self.container(tc)
            return
        self._emit_table(rows)
        for inner in nested:
            self.table(inner)

    def _emit_table(self, rows: list[list[TableCell]]) -> None:
        idx = self.n_tables
        self.n_tables += 1
        for row in rows:
            for cell in row:
                cell.prov.table = idx
        self.blocks.append(Table(rows=rows, grid=True, prov=Provenance(self.source, table=idx)))

    # tables

    def _grid(self, tbl: etree._Element) -> tuple[list[list[TableCell]], list[etree._Element]]:
        """Origin cells per row with spans, and nested data tables to emit after this one."""
        w = self.w
        rows: list[list[TableCell]] = []
        nested: list[etree._Element] = []
        open_: dict[int, _Origin] = {}  # start column → origin still open for vertical merging
        for r, tr in enumerate(x for x in _flat(tbl, w) if x.tag == w.tr):
            row: list[TableCell] = []
            col = _int_val(tr.find(f"{w.trPr}/{w.gridBefore}"), w, 0)
            touched: set[int] = set()
            last: _Origin | None = None
            for tc in (x for x in _flat(tr, w) if x.tag == w.tc):
                tcpr = tc.find(w.tcPr)
                span = max(1, _int_val(tcpr.find(w.gridSpan) if tcpr is not None else None, w, 1))
                vmerge = tcpr.find(w.vMerge) if tcpr is not None else None
                hmerge = tcpr.find(w.hMerge) if tcpr is not None else None
                if hmerge is not None and hmerge.get(w.val, "continue") != "restart" and last is not None:
                    last.cell.colspan += span  # legacy horizontal merge: widen the cell on the left
                    last.span += span
                    touched.update(range(col, col + span))
                    col += span
                    continue
                above = open_.get(col)
                if (
                    vmerge is not None
                    and vmerge.get(w.val, "continue") != "restart"
                    and above
                    and above.span == span
                ):
                    above.cell.rowspan += 1
                    last = above
                else:
                    text, inner = self._cell_text(tc)
                    nested += inner
                    cell = TableCell(text, Provenance(self.source, row=r, col=col), colspan=span)
                    row.append(cell)
                    last = _Origin(cell, col, span)
                    for c in range(col, col + span):
                        open_.pop(c, None)
                    open_[col] = last
                touched.update(range(col, col + span))
                col += span
            for c in [c for c in open_ if c not in touched]:
                del open_[c]  # a vertical merge must continue in the very next row
            rows.append(row)
        return rows, nested

    def _cell_text(self, tc: etree._Element) -> tuple[str, list[etree._Element]]:
        lines: list[str] = []
        nested: list[etree._Element] = []
        for child in _flat(tc, self.w):
            if child.tag == self.w.p:
                text, boxes = _paragraph_text(child, self.w)
                lines.append(text)
                lines += [_plain_text(b, self.w) for b in boxes]
            elif child.tag == self.w.tbl:
                if _is_data_table(child, self.w):
                    nested.append(child)
                else:
                    lines.append(_plain_text(child, self.w))
        return "\n".join(s for s in (x.strip() for x in lines) if s), nested


# ---- helpers ---------------------------------------------------------------------------------


def _flat(el: etree._Element, w: _Names) -> Iterator[etree._Element]:
    """Children, looking through content controls and custom XML wrappers (block, row and cell level)."""
    for child in el:
        if child.tag == w.sdt:
            content = child.find(w.sdtContent)
            if content is not None:
                yield from _flat(content, w)
        elif child.tag == w.customXml:
            yield from _flat(child, w)
        elif child.tag == f"{{{_MC}}}AlternateContent":
            choice = child.find(f"{{{_MC}}}Choice")
            chosen = choice if choice is not None else child.find(f"{{{_MC}}}Fallback")
            if chosen is not None:
                yield from _flat(chosen, w)
        else:
            yield child


def _paragraph_text(p: etree._Element, w: _Names) -> tuple[str, list[etree._Element]]:
    """Visible text of a paragraph ('\\n' at line breaks) and the text boxes anchored in it."""
    parts: list[str] = []
    boxes: list[etree._Element] = []
    stack = [iter(p)]
    while stack:
        el = next(stack[-1], None)
        if el is None:
            stack.pop()
            continue
        tag = el.tag
        if not isinstance(tag, str) or tag in w.skip:
            continue
        if tag == w.t:
            parts.append(el.text or "")
        elif tag == w.tab:
            parts.append("\t")
        elif tag in (w.br, w.cr):
            parts.append("\n")
        elif tag == w.noBreakHyphen:
            parts.append("-")
        elif tag == w.txbxContent:
            boxes.append(el)
        elif tag == f"{{{_MC}}}AlternateContent":
            # The same drawing twice (modern choice, VML fallback): read one.
            choice = el.find(f"{{{_MC}}}Choice")
            chosen = choice if choice is not None else el.find(f"{{{_MC}}}Fallback")
            if chosen is not None:
                stack.append(iter(chosen))
        elif tag == w.p:
            parts.append("\n")  # a paragraph inside an inline content control
            stack.append(iter(el))
        elif len(el):
            stack.append(iter(el))
    return "".join(parts), boxes


def _plain_text(el: etree._Element, w: _Names) -> str:
    """All visible text under an element: paragraphs on lines, a nested table's cells tab-separated."""
    if el.tag == w.tbl:
        rows = []
        for tr in (x for x in _flat(el, w) if x.tag == w.tr):
            cells = [_plain_text(tc, w).replace("\n", " ") for tc in _flat(tr, w) if tc.tag == w.tc]
            rows.append("\t".join(cells))
        return "\n".join(rows)
    lines: list[str] = []
    for child in _flat(el, w):
        if child.tag == w.p:
            text, boxes = _paragraph_text(child, w)
            lines.append(text)
            lines += [_plain_text(b, w) for b in boxes]
        elif child.tag == w.tbl:
            lines.append(_plain_text(child, w))
    return "\n".join(s for s in (x.strip() for x in lines) if s)


def _is_data_table(tbl: etree._Element, w: _Names) -> bool:
    rows = [x for x in _flat(tbl, w) if x.tag == w.tr]
    if len(rows) < _NESTED_MIN_ROWS:
        return False
    return max(sum(1 for c in _flat(tr, w) if c.tag == w.tc) for tr in rows) >= _NESTED_MIN_COLS


def _is_layout(rows: list[list[TableCell]]) -> bool:
    """A frame table: one row, or a single column (every row one cell spanning the table)."""
    non_empty = [r for r in rows if r]
    return len(non_empty) <= 1 or all(len(r) == 1 for r in non_empty)


def _layout_cells(tbl: etree._Element, w: _Names) -> Iterator[etree._Element]:
    for tr in (x for x in _flat(tbl, w) if x.tag == w.tr):
        yield from (tc for tc in _flat(tr, w) if tc.tag == w.tc)


def _int_val(el: etree._Element | None, w: _Names, default: int) -> int:
    if el is None:
        return default
    try:
        return max(0, min(MAX_GRID, int(el.get(w.val, ""))))
    except ValueError:
        return default
