"""The publisher, its kind and region, the report year, the title and the signature date."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from .. import regions
from ..document import Document, Paragraph, Provenance
from ..report import Agency, Region

_ORG_SUFFIX = (
    r"(?:人民政府办公厅|人民政府办公室|人民政府|政府办公厅|政府办公室|管理委员会办公室|管委会办公室|管理委员会|管委会"
    r"|委员会|办公厅|办公室|政府|中心|[局厅委办署院所站队馆])"
)
_NAME = re.compile(rf"[\u4e00-\u9fa5（）()]{{2,40}}?{_ORG_SUFFIX}")
_GOVERNMENT = re.compile(r"(?:人民政府|政府|管理委员会|管委会)(?:办公厅|办公室)?$")
_CN_DIGITS = {c: i for i, c in enumerate("〇一二三四五六七八九")} | {"零": 0, "○": 0, "O": 0, "０": 0}
_YEAR = r"(?:\d{4}|[〇○零一二三四五六七八九]{4})"
_INTRO = re.compile(
    rf"(?:现公布|现予公布|现将|现向社会公布|特向社会公布|现发布|予以公布的是)(?:了)?([^，。；,;《》“”\s]{{2,40}}?)(?:{_YEAR})\s*年"
)
_DATE = re.compile(
    r"(\d{4}|[〇○零一二三四五六七八九]{4})\s*年\s*(\d{1,2}|[一二三四五六七八九十]{1,3})\s*月\s*"
    r"(\d{1,2}|[一二三四五六七八九十]{1,4})\s*日"
)
_PERIOD = re.compile(
    r"(\d{4})\s*年\s*1\s*月\s*1\s*日\s*(?:起)?\s*(?:至|到|—|-|－|~|～)\s*(?:(\d{4})\s*年)?\s*12\s*月\s*31\s*日"
)
_TITLE_PREFIX = re.compile(r"^(?:标题|题目|名称|Title)[:：]")
_TITLE_YEAR = re.compile(rf"({_YEAR})\s*年")
_REPORT_WORDS = ("年度报告", "年报")
_SPACES = re.compile(r"\s+")
_LEAD_WORD = re.compile(r"^(?:关于|根据|按照)")
_LEAD_YEAR = re.compile(rf"^{_YEAR}\s*年度?")
# Every period statement ends in "12月31日": where that is not found (a quick literal search), the full
# pattern, which has no literal to start from, need not scan the text.
_PERIOD_END = re.compile(r"12\s*月\s*31\s*日")
_PLACE_END = re.compile(r"(?:省|自治区|市|自治州|州|盟|地区|区|县|自治县|旗|自治旗|新区|实验区|开发区)$")


@dataclass(slots=True)
class Meta:
    title: str | None
    title_prov: Provenance | None
    year: int | None
    period_year: int | None
    agency: Agency
    signature_date: dt.date | None
    signature_prov: Provenance | None


def _cn_number(text: str) -> int:
    if text.isdigit():
        return int(text)
    if len(text) == 4 and all(c in _CN_DIGITS for c in text):  # 二〇二一
        return int("".join(str(_CN_DIGITS[c]) for c in text))
    # 十九, 二十, 三十一, 十
    tens, _, ones = text.partition("十")
    if "十" not in text:
        return _CN_DIGITS.get(text, 0)
    return (_CN_DIGITS.get(tens, 1) if tens else 1) * 10 + (_CN_DIGITS.get(ones, 0) if ones else 0)


def parse_date(text: str) -> dt.date | None:
    if "日" not in text or "月" not in text:  # a date has both (quick test; the pattern scans slowly)
        return None
    m = _DATE.search(text)
    if not m:
        return None
    try:
        return dt.date(_cn_number(m.group(1)), _cn_number(m.group(2)), _cn_number(m.group(3)))
    except ValueError:
        return None


def find_title(paras: list[Paragraph]) -> tuple[str | None, Provenance | None]:
    """The title: the first lines up to the one that says 年度报告 (titles are often split)."""
    head = paras[:6]
    for k, p in enumerate(head):
        here = p.text.replace(" ", "")
        # "…年度报" / "告": a title wrapped inside its last word still ends in the next line.
        if k + 1 < len(head) and len(head[k + 1].text) <= 4 and not any(w in here for w in _REPORT_WORDS):
            here += head[k + 1].text.replace(" ", "")
            if any(w in here for w in _REPORT_WORDS) and len(here) <= 80:
                return _TITLE_PREFIX.sub("", _SPACES.sub("", here)), p.prov
        if any(w in here for w in _REPORT_WORDS) and len(p.text) <= 80:
            start = k
            # A name printed on its own line just above belongs to the title.
            if (k > 0 and len(head[k - 1].text) <= 40 and _NAME.fullmatch(head[k - 1].text.strip())) or (
                k > 0
                and not _TITLE_YEAR.search(p.text)
                and _TITLE_YEAR.search(head[k - 1].text)
                and len(head[k - 1].text) <= 60
            ):
                start = k - 1
            text = "".join(x.text.strip().lstrip("#").strip() for x in head[start : k + 1])
            return _TITLE_PREFIX.sub("", _SPACES.sub("", text)), head[start].prov
    return None, None


def _clean(name: str) -> str:
    name = _SPACES.sub("", name).strip('“”"《》')
    return _LEAD_WORD.sub("", name)


def extract_meta(doc: Document) -> Meta:
    paras = [p for p in doc.paragraphs() if p.text.strip()]
    title, title_prov = find_title(paras)
    head_text = "\n".join(p.text for p in paras[:8])
    tail = paras[-12:]
    tail_text = "\n".join(p.text for p in tail)

    year = None
    if title and (m := _TITLE_YEAR.search(title)):
        year = _cn_number(m.group(1))
    period_year = None
    period_text = head_text + "\n" + "\n".join(p.text for p in paras[:40])
    if _PERIOD_END.search(period_text) and (m := _PERIOD.search(period_text)):
        period_year = int(m.group(1))
    year = year or period_year

    # Candidate names, best source first: signature, a name alone atop the page, the intro, the title.
    cands: list[tuple[str, Provenance]] = []
    sig_prov = None
    sig_date = None
    for p in reversed(tail):
        text = p.text.strip()
        if sig_date is None and len(text) <= 30 and (d := parse_date(text)):
            sig_date, sig_prov = d, p.prov
            continue
        compact = _SPACES.sub("", text)
        if len(compact) <= 40 and _NAME.fullmatch(compact):
            cands.append((compact, p.prov))
            break
    for p in paras[:3]:
        compact = _SPACES.sub("", p.text)
        if len(compact) <= 40 and _NAME.fullmatch(compact):
            cands.append((compact, p.prov))
    for p in paras[:8]:
        if m := _INTRO.search(p.text):
            cands.append((_clean(m.group(1)), p.prov))
    partial: list[tuple[str, Provenance]] = []
    if title and title_prov:
        before = _TITLE_YEAR.split(title, maxsplit=1)[0]
        after = title[len(before) :]
        after = _LEAD_YEAR.sub("", after).split("政府信息公开")[0]
        for piece in (before, after):
            piece = _clean(piece)
            if len(piece) >= 2:
                (cands if _NAME.fullmatch(piece) else partial).append((piece, title_prov))

    context = head_text + "\n" + tail_text
    agency = _choose(cands, partial, context)
    return Meta(title, title_prov, year, period_year, agency, sig_date, sig_prov)


def _self_reference(name: str) -> bool:
    """本局, 我委, 本机关: how an agency refers to itself, not its name; 本溪市… is a place (210500)."""
    return name.startswith(("我", "本")) and not regions.parse_prefix(name)[0]


def _choose(
    cands: list[tuple[str, Provenance]], partial: list[tuple[str, Provenance]], context: str
) -> Agency:
    full = [(n, p) for n, p in cands if _NAME.fullmatch(n) and not _self_reference(n)]
    for n, p in partial:  # a bare place name in the title: the report of that place's government
        if _PLACE_END.search(n) and not full:
            full.append((n + "人民政府", p))
    if not full:
        return Agency(None)
    best: tuple[int, int, str, Provenance, regions.Region | None] | None = None
    for rank, (name, prov) in enumerate(full):
        region = regions.resolve(name, context)
        score = _specificity(region)
        key = (score, -rank)
        if best is None or key > best[:2]:
            best = (score, -rank, name, prov, region)
    assert best is not None
    _, _, name, prov, region = best
    name = _qualify(name, region, context)
    kind = "government" if _GOVERNMENT.search(name) else "department"
    return Agency(name, kind, _region(region), prov)


def _qualify(name: str, region: regions.Region | None, context: str) -> str:
    """The fullest form of the name the report itself prints: "洪泽区人民政府" atop the page and
    "淮安市洪泽区人民政府办公室" in the text → "淮安市洪泽区人民政府" (the same region, more of its parents)."""
    if region is None:
        return name
    _, own_end = regions.parse_prefix(name)
    best = name
    for m in re.finditer(re.escape(name), context):
        for k in range(2, 13):
            if m.start() - k < 0:
                break
            cand = context[m.start() - k : m.start()] + name
            _, end = regions.parse_prefix(cand)
            if end == k + own_end and len(cand) > len(best):
                found = regions.resolve(cand, context)
                if found is not None and found.code == region.code:
                    best = cand
    return best


def _specificity(region: regions.Region | None) -> int:
    if region is None:
        return 0
    return {"province": 1, "city": 2, "county": 3}.get(region.level, 0)


def _region(region: regions.Region | None) -> Region | None:
    if region is None:
        return None
    d = region.as_dict()
    return Region(d["code"], d.get("province"), d.get("city"), d.get("county"))
