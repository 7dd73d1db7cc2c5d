"""The original beside the report, with the place of every cell marked.

Text is shown as its decoded lines (the text reader's line numbers); HTML, DOCX and DOC are read again
by our own readers and their paragraphs and tables drawn as HTML; PDF pages and scans are page images
rendered here, with each cell's box laid over them. Every marked place carries
``data-cells="<cell ids>"``, so the report page only toggles a class when a number is clicked.
Document text is user-supplied: all of it is escaped.
"""

from __future__ import annotations

import math
import os
import re
import tempfile
import threading
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any

from ..document import Document, Paragraph, Provenance, Table
from ..errors import GongkaiError
from ..readers import read_bytes
from ..readers import sniff as S
from ..readers.encoding import decode
from ..report import Cell

PDF_SCALE = 2.0  # 144 dpi: the small digits of a table stay legible on screen
MAX_PAGE_PIXELS = 12_000_000  # a poster-sized page is drawn at fewer dpi
MAX_IMAGE_WIDTH = 1600  # scans are shown at most this wide
MAX_PAGES = 300  # as the PDF reader: pages beyond it were not read, so they hold no cell
_AHEAD = 12  # characters after a stored offset within which the printed number is sought
_AROUND = 40  # … and on either side, when it is not ahead
# pdfium is not thread-safe, not even across documents: every pdfium call of the web app takes this.
PDFIUM_LOCK = threading.Lock()
IMAGE_MEDIA = frozenset({S.PNG, S.JPEG, S.TIFF, S.BMP, S.GIF})

Key = tuple[int | None, ...]
Span = tuple[int, int, list[str]]


@dataclass(slots=True)
class Pane:
    """The original drawn as HTML (escaped) and, per cell ID, where its source is marked."""

    kind: str  # "text" | "document" | "pages" | "none"
    html: str = ""
    where: dict[str, dict[str, Any]] = field(default_factory=dict)
    problem: str = ""  # why nothing can be shown (zh)
    problem_en: str = ""


def build_pane(data: bytes, cells: dict[str, Cell], page_url: Callable[[int], str]) -> Pane:
    """The pane for the file ``data`` from which ``cells`` were read; ``page_url(n)`` = page image."""
    media = S.sniff(data)
    try:
        if media == S.TEXT:
            pane = _text_pane(data, cells)
        elif media == S.PDF:
            pane = _pages_pane(_pdf_sizes(data), cells, page_url)
        elif media in IMAGE_MEDIA:
            pane = _pages_pane(_image_sizes(data), cells, page_url)
        else:
            pane = _document_pane(read_bytes(data, "original"), cells)
    except GongkaiError as e:
        return Pane("none", problem=e.problem, problem_en=e.problem_en)
    except Exception as e:  # a damaged file must not break the report page; say what happened
        return Pane("none", problem=f"无法显示原件：{type(e).__name__}", problem_en=f"cannot show: {e!r}")
    for cid, c in cells.items():
        if cid in pane.where and c.prov is not None:
            pane.where[cid]["prov"] = c.prov.as_dict()
    return pane


# ---- which printed text is a cell's -----------------------------------------------------------


def _key(p: Provenance) -> Key:
    return (p.line, p.offset, p.page, p.table, p.row, p.col)


def _groups(cells: dict[str, Cell]) -> dict[Key, tuple[list[str], str]]:
    """Cells by place: several cell IDs may come from one printed text (glued digits split by sums)."""
    out: dict[Key, tuple[list[str], str]] = {}
    for cid, c in cells.items():
        if c.prov is None:
            continue
        ids, raw = out.setdefault(_key(c.prov), ([], c.raw or ""))
        ids.append(cid)
        if not raw and c.raw:
            out[_key(c.prov)] = (ids, c.raw)
    return out


def _number(raw: str) -> re.Pattern[str]:
    # A number standing alone: not the "1" of "11" nor of the label "1.自然人".
    return re.compile(r"(?<![0-9０-９])" + re.escape(raw) + r"(?![0-9０-９]|[.．、][^0-9０-９])")


def _spans(
    text: str, groups: Iterable[tuple[Key, list[str], str]], lead: int = 0
) -> tuple[list[Span], list[str]]:
    """Where in ``text`` (a line or a paragraph) each group's printed text stands.

    With an offset (tables that ran on in one line) the text is sought just after it: the offset counts
    from the stripped paragraph, and pieces split off it were stripped again. Without one, the cells of
    a line are found left to right in column order. Returns the spans and the IDs left unplaced."""
    spans: list[Span] = []
    lost: list[str] = []
    pos = 0
    for key, ids, raw in sorted(groups, key=lambda g: tuple(-1 if v is None else v for v in g[0][1:])):
        if not raw.strip():
            lost += ids
            continue
        offset = key[1]
        if offset is not None:
            start = lead + offset
            i = text.find(raw, start, start + _AHEAD + len(raw))
            if i < 0:
                near = [m.start() for m in re.finditer(re.escape(raw), text)]
                near = [j for j in near if abs(j - start) <= _AROUND]
                i = min(near, key=lambda j: abs(j - start)) if near else -1
            if i < 0:
                lost += ids
            else:
                spans.append((i, i + len(raw), ids))
            continue
        m = _number(raw).search(text, pos)
        i = m.start() if m else text.find(raw, pos)  # a number glued to its neighbours stands anyway
        if i < 0:
            lost += ids
        else:
            spans.append((i, i + len(raw), ids))
            pos = i + len(raw)
    return spans, lost


def _merge(spans: list[Span]) -> list[Span]:
    out: list[Span] = []
    for s, e, ids in sorted(spans, key=lambda x: (x[0], x[1])):
        if out and s < out[-1][1]:
            ps, pe, pids = out[-1]
            out[-1] = (ps, max(pe, e), pids + [i for i in ids if i not in pids])
        else:
            out.append((s, e, list(ids)))
    return out


def _cells_attr(ids: list[str]) -> str:
    return f' data-cells="{escape(" ".join(ids))}"' if ids else ""


def _marked(text: str, spans: list[Span]) -> str:
    out, pos = [], 0
    for s, e, ids in _merge(spans):
        out.append(escape(text[pos:s]))
        out.append(f'<mark class="src-mark"{_cells_attr(ids)}>{escape(text[s:e])}</mark>')
        pos = e
    out.append(escape(text[pos:]))
    return "".join(out)


# ---- text: the decoded lines ------------------------------------------------------------------


def _text_pane(data: bytes, cells: dict[str, Cell]) -> Pane:
    text, _ = decode(data, "original")
    lines = text.splitlines()  # as the text reader numbers them
    by_line: dict[int, list[tuple[Key, list[str], str]]] = defaultdict(list)
    for key, (ids, raw) in _groups(cells).items():
        if key[0] is not None and 1 <= key[0] <= len(lines):
            by_line[key[0]].append((key, ids, raw))
    pane = Pane("text")
    marks: dict[int, tuple[list[Span], list[str]]] = {}
    for no, groups in by_line.items():
        line = lines[no - 1]
        spans, lost = _spans(line, groups, lead=len(line) - len(line.lstrip()))
        marks[no] = (spans, lost)
        for s, e, ids in spans:
            for cid in ids:
                pane.where[cid] = {"kind": "text", "anchor": f"src-L{no}", "line": no, "span": [s, e]}
                pane.where[cid]["text"] = line[s:e]
        for cid in lost:
            pane.where[cid] = {"kind": "text", "anchor": f"src-L{no}", "line": no, "span": None}
    out = ['<div class="src-text">']
    for no, line in enumerate(lines, start=1):
        spans, lost = marks.get(no, ([], []))
        out.append(
            f'<div class="ln" id="src-L{no}"{_cells_attr(lost)}><span class="no">{no}</span>'
            f'<span class="tx">{_marked(line, spans)}</span></div>'
        )
    out.append("</div>")
    pane.html = "".join(out)
    return pane


# ---- HTML, DOCX, DOC: the neutral document drawn again ----------------------------------------


def _document_pane(doc: Document, cells: dict[str, Cell]) -> Pane:
    groups = _groups(cells)
    by_line: dict[int, list[tuple[Key, list[str], str]]] = defaultdict(list)
    for key, (ids, raw) in groups.items():
        if key[0] is not None and (key[1] is not None or key[3] is None):  # paragraph text, not a table
            by_line[key[0]].append((key, ids, raw))
    pane = Pane("document")
    out = ['<div class="src-doc">']
    done: set[int] = set()
    for i, b in enumerate(doc.blocks):
        anchor = f"src-b{i}"
        if isinstance(b, Paragraph):
            line = b.prov.line
            spans: list[Span] = []
            lost: list[str] = []
            if line is not None and line in by_line and line not in done:
                done.add(line)
                spans, lost = _spans(b.text, by_line[line])
            for s, e, ids in spans:
                for cid in ids:
                    pane.where[cid] = {
                        "kind": "document",
                        "anchor": anchor,
                        "span": [s, e],
                        "text": b.text[s:e],
                    }
            for cid in lost:
                pane.where[cid] = {"kind": "document", "anchor": anchor, "span": None}
            tag = f"h{min(b.level or 1, 3) + 2}" if b.kind == "heading" else "p"
            out.append(f'<{tag} id="{anchor}"{_cells_attr(lost)}>{_marked(b.text, spans)}</{tag}>')
        elif isinstance(b, Table):
            out.append(_table_html(b, anchor, groups, pane))
    out.append("</div>")
    pane.html = "".join(out)
    return pane


def _table_html(table: Table, anchor: str, groups: dict[Key, tuple[list[str], str]], pane: Pane) -> str:
    out = [f'<table class="src-table" id="{anchor}">']
    for r, row in enumerate(table.rows):
        out.append("<tr>")
        for c, tc in enumerate(row):
            ident = f"{anchor}-r{r}-c{c}"
            ids = groups.get(_key(tc.prov), ([], ""))[0]
            for cid in ids:
                pane.where[cid] = {"kind": "document", "anchor": ident, "span": None, "text": tc.text}
            span = (f' rowspan="{tc.rowspan}"' if tc.rowspan > 1 else "") + (
                f' colspan="{tc.colspan}"' if tc.colspan > 1 else ""
            )
            text = "<br>".join(escape(t) for t in tc.text.split("\n"))
            out.append(f'<td id="{ident}"{span}{_cells_attr(ids)}>{text}</td>')
        out.append("</tr>")
    out.append("</table>")
    return "".join(out)


# ---- PDF and scans: page images with boxes ----------------------------------------------------


@dataclass(slots=True)
class _Page:
    no: int
    width: float  # in the unit of the cells' boxes: PDF points (top-left origin) or scan pixels
    height: float
    scale: float  # image pixels per unit

    @property
    def pixels(self) -> tuple[int, int]:
        return round(self.width * self.scale), round(self.height * self.scale)


def _pdf_scale(width: float, height: float) -> float:
    return min(PDF_SCALE, math.sqrt(MAX_PAGE_PIXELS / max(width * height, 1.0)))


def _image_scale(width: int) -> float:
    return min(1.0, MAX_IMAGE_WIDTH / max(width, 1))


def _pdf_sizes(data: bytes) -> list[_Page]:
    import pypdfium2 as pdfium

    with PDFIUM_LOCK:
        pdf = pdfium.PdfDocument(data)
        try:
            out = []
            for i in range(min(len(pdf), MAX_PAGES)):
                w, h = pdf[i].get_size()  # the crop box, as the reader measured from its top-left
                out.append(_Page(i + 1, w, h, _pdf_scale(w, h)))
            return out
        finally:
            pdf.close()


def _image_pages(data: bytes) -> list[Any]:
    import cv2
    import numpy as np

    buf = np.frombuffer(data, np.uint8)
    ok, pages = cv2.imdecodemulti(buf, cv2.IMREAD_COLOR)
    if not ok or not pages:
        img = cv2.imdecode(buf, cv2.IMREAD_COLOR)  # GIF and others imdecodemulti refuses
        pages = [] if img is None else [img]
    if not pages:
        raise ValueError("undecodable image")
    return list(pages)


def _image_sizes(data: bytes) -> list[_Page]:
    return [
        _Page(no, img.shape[1], img.shape[0], _image_scale(img.shape[1]))
        for no, img in enumerate(_image_pages(data), start=1)
    ]


def _pages_pane(pages: list[_Page], cells: dict[str, Cell], page_url: Callable[[int], str]) -> Pane:
    pane = Pane("pages")
    by_page: dict[int, list[tuple[tuple[float, float, float, float] | None, list[str]]]] = defaultdict(list)
    for ids, _raw in _groups(cells).values():
        prov = cells[ids[0]].prov
        assert prov is not None
        by_page[prov.page or 1].append((prov.bbox, ids))  # a single scan has no page number
    out = ['<div class="src-pages">']
    for pg in pages:
        wpx, hpx = pg.pixels
        url = page_url(pg.no)
        whole: list[str] = []
        boxes = []
        for bbox, ids in by_page.get(pg.no, []):
            if bbox is None:  # placed on the page, not in a box (a table run on in one text line)
                whole += ids
                for cid in ids:
                    pane.where[cid] = {"kind": "page", "anchor": f"src-p{pg.no}", "page": pg.no, "image": url}
                    pane.where[cid] |= {"width": wpx, "height": hpx, "box": None}
                continue
            x0, y0, x1, y1 = (
                max(0.0, min(bbox[0], pg.width)),
                max(0.0, min(bbox[1], pg.height)),
                max(0.0, min(bbox[2], pg.width)),
                max(0.0, min(bbox[3], pg.height)),
            )
            anchor = f"src-p{pg.no}-b{len(boxes)}"
            px = [round(v * pg.scale, 1) for v in (x0, y0, x1, y1)]
            for cid in ids:
                pane.where[cid] = {"kind": "page", "anchor": anchor, "page": pg.no, "image": url}
                pane.where[cid] |= {"width": wpx, "height": hpx, "box": px}
            # placed by report.js from data-box (percent left top width height): the page's
            # Content-Security-Policy refuses style attributes
            box = (
                f"{100 * x0 / pg.width:.3f} {100 * y0 / pg.height:.3f} "
                f"{100 * (x1 - x0) / pg.width:.3f} {100 * (y1 - y0) / pg.height:.3f}"
            )
            boxes.append(f'<span class="src-box" id="{anchor}" data-box="{box}"{_cells_attr(ids)}></span>')
        out.append(
            f'<figure class="src-page" id="src-p{pg.no}" data-aspect="{wpx}/{hpx}"{_cells_attr(whole)}>'
            f'<img loading="lazy" src="{escape(url)}" width="{wpx}" height="{hpx}" alt="p.{pg.no}">'
            + "".join(boxes)
            + f"<figcaption>{pg.no}</figcaption></figure>"
        )
    out.append("</div>")
    pane.html = "".join(out)
    return pane


def page_png(data: bytes, no: int) -> bytes:
    """Page ``no`` (1-based) of a PDF or a scan as PNG, at the scale the pane's boxes assume.
    Raises LookupError for a page that is not there."""
    import cv2

    media = S.sniff(data)
    if media == S.PDF:
        import pypdfium2 as pdfium

        with PDFIUM_LOCK:
            pdf = pdfium.PdfDocument(data)
            try:
                if not 1 <= no <= min(len(pdf), MAX_PAGES):
                    raise LookupError(no)
                page = pdf[no - 1]
                w, h = page.get_size()
                image = page.render(scale=_pdf_scale(w, h)).to_numpy()  # BGR, as OpenCV wants
            finally:
                pdf.close()
    elif media in IMAGE_MEDIA:
        pages = _image_pages(data)
        if not 1 <= no <= len(pages):
            raise LookupError(no)
        image = pages[no - 1]
        scale = _image_scale(image.shape[1])
        if scale < 1.0:
            size = (round(image.shape[1] * scale), round(image.shape[0] * scale))
            image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    else:
        raise LookupError(no)
    ok, buf = cv2.imencode(".png", image)
    if not ok:
        raise LookupError(no)
    return buf.tobytes()


# ---- caches -----------------------------------------------------------------------------------


class PaneCache:
    """The last panes built, by (version, file): a DOC is read again by LibreOffice only once."""

    def __init__(self, size: int = 64) -> None:
        self.size = size
        self._items: OrderedDict[tuple[int, str], Pane] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[int, str], make: Callable[[], Pane]) -> Pane:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        pane = make()  # built outside the lock: two requests may build it, neither waits on the other
        with self._lock:
            self._items[key] = pane
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return pane


class PageCache:
    """Rendered page images on disk beside the originals, by file and page (files never change)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def get(self, sha: str, no: int, make: Callable[[], bytes]) -> bytes:
        path = self.root / sha[:2] / f"{sha}-{no}.png"
        if path.exists():
            return path.read_bytes()
        png = make()
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(png)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return png


# ---- a cell's crop ----------------------------------------------------------------------------

CROP_PAD = 0.25  # share of the cell's height added around it, so a cut-off stroke stays visible
CROP_SCALE = 3.0  # PDF pages: 216 dpi, digits legible beside a finding


def cell_crop_png(data: bytes, media_type: str, prov: Provenance | None) -> bytes | None:
    """The cell's box cut from its page image as PNG (for a "check against the original" finding), or
    None when the cell has no box or the file is not a PDF or an image. Boxes of PDFs are in PDF points
    (top-left origin), boxes of images in the image's pixels, as the readers put them."""
    if prov is None or prov.bbox is None:
        return None
    import cv2
    import numpy as np

    media = media_type if media_type in (S.PDF, *IMAGE_MEDIA) else S.sniff(data)
    no = prov.page or 1
    x0, y0, x1, y1 = (float(v) for v in prov.bbox)
    pad = CROP_PAD * max(1.0, y1 - y0)
    x0, y0, x1, y1 = x0 - pad, y0 - pad, x1 + pad, y1 + pad
    try:
        if media == S.PDF:
            import pypdfium2 as pdfium

            with PDFIUM_LOCK:
                pdf = pdfium.PdfDocument(data)
                try:
                    if not 1 <= no <= min(len(pdf), MAX_PAGES):
                        return None
                    page = pdf[no - 1]
                    w, h = page.get_size()
                    x0, y0, x1, y1 = max(0.0, x0), max(0.0, y0), min(w, x1), min(h, y1)
                    if x1 <= x0 or y1 <= y0:
                        return None
                    # pdfium crops from each edge, in points
                    image = page.render(scale=CROP_SCALE, crop=(x0, h - y1, w - x1, y0)).to_numpy()
                finally:
                    pdf.close()
        elif media in IMAGE_MEDIA:
            pages = _image_pages(data)
            if not 1 <= no <= len(pages):
                return None
            page_img = pages[no - 1]
            h, w = page_img.shape[:2]
            c0, r0, c1, r1 = max(0, int(x0)), max(0, int(y0)), min(w, math.ceil(x1)), min(h, math.ceil(y1))
            if c1 <= c0 or r1 <= r0:
                return None
            image = np.ascontiguousarray(page_img[r0:r1, c0:c1])
        else:
            return None
    except (ValueError, OSError, RuntimeError):  # an undecodable image, a damaged page (PdfiumError)
        return None
    ok, buf = cv2.imencode(".png", image)
    return buf.tobytes() if ok else None
