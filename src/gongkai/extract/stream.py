"""Tables that lost their layout: crawled or copied text where a whole table runs on in one line.

``规章000规范性文件000第二十条第（五）项信息内容上一年项目数量…行政许可7700…`` — the cells are still
in order, only the separators are gone. Known labels (from the format data) are found in the running
text; the text between two labels is that row's values. Rows come out as ordinary table rows
(grid=False), so the row router and the arithmetic repair treat them like any other table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from ..document import Paragraph, Provenance, Table, TableCell
from ..formats import FORMAT_2019, FORMAT_2021, norm, split_ordinal
from ..formats.official import (
    INFO_CONTENT,
    T3_COLUMNS,
    T3_NOTE,
    T3_OTHER_SINGLE,
    T3_OUTCOMES,
    T3_PARENT_COLUMNS,
    T4,
)

_FLEX = {"(": "[（(]", ")": "[）)]", ",": "[,，]", ".": "[.．、]", "、": "[、.．,，]", "/": "[/／]"}
_JOIN = r"[\s“”\"'‘’:：;；,，。]*"  # what norm() drops may stand between any two characters
# A value run: numbers, zero marks, signs, units and the spaces between them.
_VALUES = re.compile(r"[\s\d,，.．/／\-－—+＋()（）增减加少个件项宗条万元]*")
_SIGN_SPLIT = re.compile(r"(?<=[\d\s])(?=[增减+＋])|(?<=\d)(?=-)")


@dataclass(frozen=True, slots=True)
class _Label:
    text: str
    role: str  # "row" (a data row), "prefix" (a group label before a row), "header"
    opens: bool = False  # a header that only a table has (a caption, the 勾稽 note): a table starts here


def _pattern(label: str) -> str:
    ordinal, bare = split_ordinal(norm(label))
    body = _JOIN.join(_FLEX.get(c, re.escape(c)) for c in bare) + r"[”\"’」』]?"
    if not ordinal:
        return body
    # "3.其他", "（七）总计": without their ordinals these are column headers
    optional = "" if len(bare) <= 2 else "?"
    if ordinal.endswith("、"):  # 一、
        ordp = re.escape(ordinal[:-1]) + r"\s*[、.．]"
    elif ordinal.startswith("("):  # (三)
        ordp = r"[（(]\s*" + re.escape(ordinal[1:-1]) + r"\s*[)）]"
    else:  # 1.  — one digit, so that "…0 02.其他" leaves the 0 to the values before it
        ordp = re.escape(ordinal[:-1]) + r"\s*[.．、]"
    return rf"(?:{ordp}\s*){optional}{body}"


def _labels() -> list[_Label]:
    out: dict[str, _Label] = {}

    def add(texts: tuple[str, ...], role: str, opens: bool = False) -> None:
        for t in texts:
            out.setdefault(t, _Label(t, role, opens))

    for fmt in (FORMAT_2019, FORMAT_2021):
        for block in fmt.t2.blocks:
            add(block.caption.all(), "header", opens=True)
            for f in block.fields:
                add(f.label.all(), "header")
            for r in block.rows:
                add(r.label.all(), "row")
        for r in (*fmt.t3.rows, T3_OTHER_SINGLE):
            if r.group:
                add(r.group.all(), "prefix")
            add(r.label.all(), "row")
    add(INFO_CONTENT.all(), "header", opens=True)
    add(T3_NOTE.all(), "header", opens=True)
    add(T3_PARENT_COLUMNS[0].all(), "header", opens=True)
    add(T3_OUTCOMES.all(), "prefix")
    for lab in (*T3_PARENT_COLUMNS, *(c.label for c in T3_COLUMNS), *T4.parents):
        add(lab.all(), "header")
    for g in T4.groups:
        add(g.label.all(), "header")
    for f in T4.fields:  # 结果维持, 尚未审结 …: only table 四 prints these
        add(f.label.all(), "header", opens=f.id != "total")
    return sorted(out.values(), key=lambda x: -len(norm(x.text)))


@lru_cache(maxsize=1)
def _matcher() -> tuple[re.Pattern[str], list[_Label]]:
    labels = _labels()
    pattern = "|".join(f"(?P<L{i}>{_pattern(lab.text)})" for i, lab in enumerate(labels))
    return re.compile(pattern), labels


# A paragraph is scanned only when it holds a table's header words, not narrative that names rows.
_T3_TRIGGERS = ("本年新收", "上年结转", "予以公开", "不予公开", "无法提供", "不予处理", "结转下年度")
# Word pairs that only a table prints; 申请人情况 + 自然人 also needs several row labels (narrative names them).
_TABLE_WORDS = (("第二十条", "信息内容"), ("结果维持", "尚未审结"), ("勾稽关系", "申请人情况"))
_T3_WORDS = ("申请人情况", "自然人")


def is_stream_table(text: str) -> bool:
    compact = re.sub(r"\s+", "", text)
    if any(a in compact and b in compact for a, b in _TABLE_WORDS):
        return True
    return all(h in compact for h in _T3_WORDS) and sum(1 for t in _T3_TRIGGERS if t in compact) >= 4


def stream_table(para: Paragraph) -> Table:
    """Rows recovered from a paragraph in which a table runs on without separators."""
    regex, labels = _matcher()
    text = para.text
    rows: list[list[TableCell]] = []
    header: list[TableCell] = []
    prefix: list[TableCell] = []
    current: list[TableCell] | None = None

    def cell(s: str, start: int) -> TableCell:
        base = para.prov.offset or 0
        return TableCell(
            s.strip(), Provenance(para.prov.file, para.prov.line, offset=base + start, page=para.prov.page)
        )

    def flush_header() -> None:
        nonlocal header
        if header:
            rows.append(header)
            header = []

    def flush_row() -> None:
        nonlocal current
        if current is not None:
            rows.append(current)
            current = None

    matches = _table_span(list(regex.finditer(text)), labels, text)
    for k, m in enumerate(matches):
        lab = labels[int(m.lastgroup[1:])]  # type: ignore[index]
        gap_end = matches[k + 1].start() if k + 1 < len(matches) else len(text)
        gap = text[m.end() : gap_end]
        run = _VALUES.match(gap)
        values = run.group(0) if run else ""
        # A few stray characters of a wrapped or variant label ("本年增/减量") belong to the label.
        tail = gap[len(values) :]
        label_text = m.group(0) + (tail if len(tail) <= 2 and not values.strip() else "")
        label = cell(label_text, m.start())
        if lab.role == "header":
            flush_row()
            prefix = []
            header.append(label)
        elif lab.role == "prefix":
            flush_row()
            flush_header()
            prefix.append(label)
        else:
            flush_row()
            flush_header()
            current = [*prefix, label]
            prefix = []
        tokens = _tokens(values, m.end())
        if tokens:
            if current is not None:
                current.extend(cell(t, s) for t, s in tokens)
                flush_row()
            else:
                flush_header()
                rows.append([cell(t, s) for t, s in tokens])
    flush_row()
    flush_header()
    for r, row in enumerate(rows):
        for c, tc in enumerate(row):
            tc.prov.row = r
            tc.prov.col = c
    return Table(rows=rows, grid=False, prov=para.prov)


_NARRATIVE = 40  # characters of non-value text between labels that end the table


def _table_span(matches: list[re.Match[str]], labels: list[_Label], text: str) -> list[re.Match[str]]:
    """The label matches that belong to tables: each run starts at a label only a table has (a caption,
    信息内容, the 勾稽 note) and ends at the first long stretch of narrative. Narrative before, between
    and after run-on tables names rows too ("行政许可77条"); those matches are left out."""
    out: list[re.Match[str]] = []
    inside = False
    for k, m in enumerate(matches):
        if inside:
            gap = text[matches[k - 1].end() : m.start()]
            run = _VALUES.match(gap)
            inside = len(gap) - (len(run.group(0)) if run else 0) <= _NARRATIVE
        if not inside:
            inside = labels[int(m.lastgroup[1:])].opens  # type: ignore[index]
        if inside:
            out.append(m)
    return out


def _tokens(values: str, offset: int) -> list[tuple[str, int]]:
    out: list[tuple[str, int]] = []
    for m in re.finditer(r"\S+", values):
        for piece in _SIGN_SPLIT.split(m.group(0)):
            if piece and re.search(r"\d|^[/／\-－—]+$", piece):
                out.append((piece, offset + m.start()))
    return out
