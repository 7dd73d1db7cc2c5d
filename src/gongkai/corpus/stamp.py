"""The writer's output at corpus speed: each layout rendered once by the writer with placeholders,
then only the texts are put in per report.

Reports of one format share one layout (same tables, same sections), so the writer's Markdown, HTML
and DOCX for a report are its prototype with the title, names, dates, narrative and cell texts filled
in. The result is byte for byte what ``writer.render`` returns (DOCX: every member the same, packed
with fixed timestamps so that a seed gives the same bytes); tests/test_corpus.py holds it to that.
python-docx needs ~0.15 s a report; a stamp needs ~2 ms. Reports that do not fit a layout (a cell
missing, a section without text or of several paragraphs, a text with characters a writer escapes
differently per place) go through the writer itself.
"""

from __future__ import annotations

import copy
import datetime as dt
import io
import re
import zipfile
from html import escape as html_escape
from xml.sax.saxutils import escape as xml_escape

from ..formats import Format
from ..report import Agency, Cell, Report, SectionText
from ..rules.engine import format_of
from ..writer import render
from ..writer.layout import page, sections, signature, title, value_text

_SLOT = re.compile("\ue000(\\d+)\ue001")
_SENTINEL_YEAR = 1111  # prints as 1111年: appears nowhere else in a layout
ZIP_TIME = (2020, 1, 1, 0, 0, 0)
STAMPED = ("md", "html", "docx", "txt")
# Texts each writer would draw differently from a slot (split, escaped per place, or dropped when empty).
_UNSAFE = re.compile(r"[\ue000-\uf8ff|\n\r\t]|^\s|\s$")


def _slot(i: int) -> str:
    return f"\ue000{i}\ue001"


def to_text(report: Report, raw: bool = False) -> str:
    """The report as text copied from its web page (what the seeds look like): paragraphs indented,
    each table cell on a line of its own after a tab, a blank line after each table row."""
    p = page(report, raw)
    out = [p.title, ""]
    for heading, paras, grid in p.sections:
        out += [heading, *("    " + line for line in paras), ""]
        for row in grid or []:
            out += [*("\t" + c.text for c in row), ""]
    out += [p.agency, p.date]
    return "\n".join(out) + "\n"


class Layout:
    """One format's layout in Markdown, HTML, plain text and DOCX, with numbered slots."""

    def __init__(self, fmt: Format, cell_ids: tuple[str, ...], sample: Report) -> None:
        self.fmt, self.cell_ids = fmt, cell_ids
        self.section_ids = tuple(s.id for s in fmt.sections)
        n = len(cell_ids)
        # slots: cells 0..n-1, then title, agency name, date, one per section
        self._title, self._name, self._date, self._sec0 = n, n + 1, n + 2, n + 3
        proto = copy.copy(sample)
        proto.agency = Agency(_slot(self._name), sample.agency.kind, sample.agency.region)
        proto.year = _SENTINEL_YEAR
        proto.signature_date = dt.date(_SENTINEL_YEAR, 11, 11)
        proto.cells = {cid: Cell(sample.cells[cid].value, raw=_slot(i)) for i, cid in enumerate(cell_ids)}
        proto.sections = [
            SectionText(sid, "", _slot(self._sec0 + k)) for k, sid in enumerate(self.section_ids)
        ]
        whole_title = f"{_slot(self._name)}{_SENTINEL_YEAR}年政府信息公开工作年度报告"
        assert title(proto) == whole_title

        def parts(text: str) -> list[str | int]:
            text = text.replace(whole_title, _slot(self._title))
            text = text.replace(f"{_SENTINEL_YEAR}年11月11日", _slot(self._date))
            assert str(_SENTINEL_YEAR) not in text
            pieces = _SLOT.split(text)  # literal, slot, literal, slot, ...
            return [int(p) if i % 2 else p for i, p in enumerate(pieces)]

        md = render(proto, "md", raw=True).decode("utf-8")
        self.parts = {
            "md": parts(md),
            "txt": parts(to_text(proto, raw=True)),
            "html": parts(render(proto, "html", raw=True).decode("utf-8")),
        }
        docx = zipfile.ZipFile(io.BytesIO(render(proto, "docx", raw=True)))
        self.parts["docx"] = parts(docx.read("word/document.xml").decode("utf-8"))
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            for info in docx.infolist():
                if info.filename != "word/document.xml":
                    z.writestr(
                        zipfile.ZipInfo(info.filename, ZIP_TIME), docx.read(info), zipfile.ZIP_DEFLATED
                    )
        self._docx_rest = buf.getvalue()

    def texts(self, report: Report) -> list[str] | None:
        """The slot texts for ``report``, or None when it does not fit this layout."""
        if report.cells.keys() != set(self.cell_ids):
            return None
        out = [value_text(self.fmt, cid, report.cells[cid]) for cid in self.cell_ids]
        name, date = signature(report)
        out += [title(report), name, date]
        texts = {sid: text for sid, _, text in sections(report, self.fmt)}
        out += [texts[sid] for sid in self.section_ids]
        return None if any(not t or _UNSAFE.search(t) for t in out) else out

    @staticmethod
    def fill(parts: list[str | int], texts: list[str]) -> str:
        return "".join(texts[p] if isinstance(p, int) else p for p in parts)

    def docx(self, texts: list[str]) -> bytes:
        xml = self.fill(self.parts["docx"], [xml_escape(t) for t in texts])
        buf = io.BytesIO(self._docx_rest)
        buf.seek(0, io.SEEK_END)
        with zipfile.ZipFile(buf, "a", zipfile.ZIP_DEFLATED) as z:
            z.writestr(zipfile.ZipInfo("word/document.xml", ZIP_TIME), xml, zipfile.ZIP_DEFLATED)
        return buf.getvalue()


class Stamper:
    """Renders reports through cached layouts, one per format and set of cells."""

    def __init__(self) -> None:
        self._layouts: dict[tuple[str, tuple[str, ...]], Layout] = {}

    def layout(self, report: Report) -> Layout:
        fmt = format_of(report)
        key = (fmt.id, tuple(report.cells))
        if key not in self._layouts:
            self._layouts[key] = Layout(fmt, key[1], report)
        return self._layouts[key]

    def render(self, report: Report, fmt: str) -> bytes:
        """``report`` as ``fmt`` ("md", "html", "docx" or "txt", UTF-8)."""
        lay = self.layout(report)
        texts = lay.texts(report)
        if texts is None:  # does not fit the layout: the writer itself
            if fmt == "txt":
                return to_text(report).encode("utf-8")
            return render(report, fmt)
        if fmt == "docx":
            return lay.docx(texts)
        if fmt == "html":
            return lay.fill(lay.parts["html"], [html_escape(t) for t in texts]).encode("utf-8")
        return lay.fill(lay.parts[fmt], texts).encode("utf-8")
