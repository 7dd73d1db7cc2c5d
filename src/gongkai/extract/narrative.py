"""Numbers the narrative states about the tables (收到申请N件, 行政复议N件 …), for the text-vs-table rules."""

from __future__ import annotations

import re

from ..document import Provenance
from ..report import Fact, SectionText

_N = r"(\d{1,6})\s*(?:件|宗|个|起|份)"
_GAP = r"[^，。；;,\d%％]{0,14}?"
# (kind, pattern); the first group that matched is the number.
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(p))
    for kind, p in (
        ("carried", rf"上一?年(?:度)?结转{_GAP}{_N}"),
        ("received", rf"(?:共|累计|全年|新)?(?:收到|受理|接收|新收){_GAP}(?:公开)?申请{_GAP}{_N}"),
        ("received", rf"(?:共|累计|全年)?(?:收到|受理|接收|新收)(?:了)?{_N}{_GAP}申请"),
        ("handled", rf"(?:办结|答复|处理|办理)(?:了)?{_GAP}申请{_GAP}{_N}"),
        ("handled", rf"(?:办结|答复|处理完毕)(?:了)?{_N}"),
        ("forward", rf"(?:结转(?:至|到)?下一?年(?:度)?|转入下一?年(?:度)?|顺延至下一?年(?:度)?){_GAP}{_N}"),
        ("review", rf"行政复议(?:案件|申请)?{_GAP}{_N}"),
        ("litigation", rf"行政诉讼(?:案件)?{_GAP}{_N}"),
    )
)
_SENTENCE = re.compile(r"[^。；;\n]+")
_DIGIT = re.compile(r"\d")
_SCOPED = ("s1", "s3", "s4", None)


def find_facts(sections: list[SectionText], preamble: list[tuple[str, Provenance]]) -> list[Fact]:
    """Facts from the preamble and sections 一, 三, 四 (and unnamed ones), one per kind and sentence."""
    texts: list[tuple[str, Provenance | None]] = list(preamble)
    texts += [(s.text, s.prov) for s in sections if s.id in _SCOPED]
    facts: list[Fact] = []
    for text, prov in texts:
        for sentence in _SENTENCE.findall(text):
            if "申请" not in sentence and "复议" not in sentence and "诉讼" not in sentence:
                continue
            if not _DIGIT.search(sentence):  # every pattern states a number (_N): none can match
                continue
            taken: set[str] = set()
            for kind, pattern in _PATTERNS:
                if kind in taken:
                    continue
                if kind == "received" and "上年结转" in sentence and "收到" not in sentence:
                    continue
                m = pattern.search(sentence)
                if m:
                    taken.add(kind)
                    facts.append(Fact(kind, int(m.group(1)), sentence.strip()[:120], prov))
    return facts
