"""Section headings: which of the six official sections each printed heading is.

A heading is recognised by its title (official wording or a known variant, with or without its
ordinal) or, for sections the format does not have, by a top-level ordinal (一、二、…) that
continues the sequence of the headings before it.
"""

from __future__ import annotations

import dataclasses
import itertools
import re
from dataclasses import dataclass

from ..document import Document, Paragraph, Provenance
from ..formats import FORMAT_2021, LabelIndex, Section, norm
from ..report import SectionText

_CN_NUM = "一二三四五六七八九十"
_TOP_ORDINAL = re.compile(r"^\s*(?:第)?([一二三四五六七八九十]{1,2})\s*[、.．]\s*(\S.*)$")
_MAX_HEADING = 40
# (一)… and 1.… number subsections; the six sections never carry them.
_SUB_ORDINAL = re.compile(r"^\s*(?:[（(]\s*[一二三四五六七八九十\d]{1,3}\s*[)）]|\d{1,2}\s*[.、．])")

SECTIONS: tuple[Section, ...] = FORMAT_2021.sections
_INDEX: LabelIndex[Section] = LabelIndex(
    [(v, s) for s in SECTIONS for v in s.title.all()],
    min_score=0.86,
)


@dataclass(slots=True)
class Heading:
    block: int  # index of the paragraph in document.blocks
    section: Section | None
    title: str
    ordinal: str  # as printed, "" when none
    exact: bool  # printed exactly as the official title (ordinal aside)
    prov: Provenance


def _cn_value(ordinal: str) -> int:
    if ordinal == "十":
        return 10
    if ordinal.startswith("十"):
        return 10 + _CN_NUM.index(ordinal[1]) + 1
    return _CN_NUM.index(ordinal[0]) + 1


_INLINE_MIN = 200  # a paragraph this long may hold run-on sections (crawled text without line breaks)


def _flex(text: str) -> str:
    return r"[\s“”:：,，]*".join(re.escape(c) for c in norm(text))


_INLINE = re.compile(
    r"(?<![\u4e00-\u9fff])([一二三四五六七八九十]{1,2})\s*[、.．]\s*(?:"
    + "|".join(sorted({_flex(v) for sec in SECTIONS for v in sec.title.all()}, key=len, reverse=True))
    + ")"
)


def split_run_on(doc: Document) -> Document:
    """Split paragraphs in which several numbered sections run on (一、总体情况…二、主动公开…) so that
    each heading starts a paragraph of its own, keeping the line and the character offset."""
    blocks = []
    for block in doc.blocks:
        if not isinstance(block, Paragraph) or len(block.text) < _INLINE_MIN:
            blocks.append(block)
            continue
        cuts = [m.start() for m in _INLINE.finditer(block.text)]
        if not cuts:
            blocks.append(block)
            continue
        bounds = [0, *cuts, len(block.text)] if cuts[0] > 0 else [*cuts, len(block.text)]
        for a, b in itertools.pairwise(bounds):
            piece = block.text[a:b].strip()
            if not piece:
                continue
            title_end = _title_end(piece) if a in cuts else 0
            prov = Provenance(
                block.prov.file, block.prov.line, offset=(block.prov.offset or 0) + a, page=block.prov.page
            )
            if title_end:
                blocks.append(Paragraph(piece[:title_end], prov, "heading"))
                rest = piece[title_end:].strip()
                if rest:
                    blocks.append(
                        Paragraph(rest, Provenance(prov.file, prov.line, offset=prov.offset + title_end))
                    )
            else:
                blocks.append(Paragraph(piece, prov))
    return dataclasses.replace(doc, blocks=blocks)  # every fact about the file kept


def _title_end(piece: str) -> int:
    m = _INLINE.match(piece)
    return m.end() if m else 0


def find_headings(doc: Document) -> list[Heading]:
    out: list[Heading] = []
    expected = 1
    seen: set[str] = set()
    for i, block in enumerate(doc.blocks):
        if not isinstance(block, Paragraph):
            continue
        text = block.text.strip().lstrip("#").strip()
        if not text or len(text) > _MAX_HEADING or _SUB_ORDINAL.match(text):
            continue
        m = _TOP_ORDINAL.match(text)
        ordinal, title = (m.group(1), m.group(2).strip()) if m else ("", text)
        match = _INDEX.match(title)
        if match is not None and match.target.id not in seen and _plausible(title, match.target):
            sec = match.target
            exact = norm(title) == norm(sec.title.text)
            out.append(Heading(i, sec, title, ordinal, exact, block.prov))
            seen.add(sec.id)
            expected = (_cn_value(ordinal) if ordinal else expected) + 1
            continue
        if (
            ordinal
            and _cn_value(ordinal) == expected
            and len(title) >= 4
            and not title.endswith(("。", "；"))
        ):
            # A renamed section still stands in its place and names its subject.
            sec = next((s for s in SECTIONS if s.id not in seen and any(k in title for k in s.keys)), None)
            out.append(Heading(i, sec, title, ordinal, False, block.prov))
            if sec is not None:
                seen.add(sec.id)
            expected += 1
    return out


def _plausible(title: str, section: Section) -> bool:
    # A heading is short; a sentence that merely contains the words is narrative.
    return len(norm(title)) <= max(len(norm(v)) for v in section.title.all()) + 8


def split_sections(doc: Document, headings: list[Heading]) -> list[SectionText]:
    out: list[SectionText] = []
    for k, h in enumerate(headings):
        end = headings[k + 1].block if k + 1 < len(headings) else len(doc.blocks)
        body = [b.text for b in doc.blocks[h.block + 1 : end] if isinstance(b, Paragraph)]
        out.append(
            SectionText(h.section.id if h.section else None, h.title, "\n".join(body), h.prov, h.ordinal)
        )
    return out
