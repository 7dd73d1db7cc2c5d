"""The text reader: encodings detected (not assumed) and every layout seen in the seeds and beyond."""

from __future__ import annotations

import re

import pytest

from gongkai import api
from gongkai.document import Table
from gongkai.errors import UnreadableFile
from gongkai.readers import read_bytes

from .conftest import seed_path
from .expected_seeds import EXPECTED


def _text(seed: str) -> str:
    return seed_path(seed).read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("encoding", "name"),
    [
        ("utf-8", "utf-8"),
        ("utf-8-sig", "utf-8-bom"),
        ("gbk", "gb18030"),
        ("gb18030", "gb18030"),
        ("utf-16", "utf-16-le"),
        ("utf-16-le", "utf-16-le"),
        ("utf-16-be", "utf-16-be"),
    ],
)
def test_encodings_are_detected(encoding, name):
    text = _text("000")
    doc = read_bytes(text.replace("\xa0", " ").encode(encoding), "x.txt")  # GBK has no NBSP
    assert doc.encoding == name
    report = api.parse_document(doc)
    assert report.values() == EXPECTED["000"]["cells"]
    assert report.agency.name == "深圳市南山区人民政府"


def test_cell_per_line_layout_with_wrapped_labels():
    doc = read_bytes(_text("000").encode(), "x.txt")
    t2 = doc.tables()[0]
    assert [c.text for c in t2.rows[1]] == ["信息内容", "本年新制作数量", "本年新公开数量", "对外公开总数量"]
    cell = t2.rows[1][1]
    assert (cell.prov.line, cell.prov.line_end) == (29, 30)  # "本年新" + "制作数量"


def test_tab_rows_with_page_split_header_and_spaced_characters():
    doc = read_bytes(_text("001").encode(), "x.txt")
    t4 = doc.tables()[2]
    assert t4.rows[1][0].text == "结果 维持"
    report = api.parse_document(doc)
    assert report.values() == EXPECTED["001"]["cells"]


def _fullwidth_digits(text: str) -> str:
    return text.translate(str.maketrans("0123456789()", "０１２３４５６７８９（）"))


def test_fullwidth_digits_and_brackets():
    assert api.parse_text(_fullwidth_digits(_text("002"))).values() == EXPECTED["002"]["cells"]


def test_page_number_debris_inside_a_table_is_dropped():
    lines = _text("000").splitlines()
    lines[247:247] = ["", "— 3 —", "", "第 4 页"]  # between two rows of table 三
    report = api.parse_text("\n".join(lines))
    assert report.values() == EXPECTED["000"]["cells"]


def _as_markdown(text: str) -> str:
    out = []
    for line in text.splitlines():
        out.append("| " + " | ".join(line.split("\t")) + " |" if "\t" in line else line)
    return "\n".join(out)


def test_markdown_tables_and_headings():
    report = api.parse_text(_as_markdown(_text("001")))
    assert report.values() == EXPECTED["001"]["cells"]
    assert [s.id for s in report.sections] == ["s1", "s2", "s3", "s4", "s5", "s6"]


def test_space_aligned_columns():
    # pdftotext -layout style: columns separated by runs of spaces (blank cells vanish, as they do there)
    text = "\n".join(
        re.sub(r"\t+", "    ", line).strip() if "\t" in line else line for line in _text("001").splitlines()
    )
    report = api.parse_text(text)
    got = report.values()
    t3 = {k: v for k, v in EXPECTED["001"]["cells"].items() if k.startswith(("t3.", "t4."))}
    assert {k: got[k] for k in t3} == t3


def test_tables_are_tables_and_narrative_is_paragraphs():
    doc = read_bytes(_text("000").encode(), "x.txt")
    assert [len(t.rows) for t in doc.tables()] == [18, 26, 4]
    assert all(isinstance(t, Table) for t in doc.tables())
    assert doc.paragraphs()[0].text == "南山区2020年政府信息公开工作年度报告"
    assert "— 2 —" not in doc.text()


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"", "空"),
        (b"   \n\n", "空"),
        (bytes(range(256)) * 40, "二进制"),
        (b"\x00\x01\x02\x03" * 500, "二进制"),
    ],
)
def test_unreadable_bytes(data, problem):
    with pytest.raises(UnreadableFile) as e:
        read_bytes(data, "bad.txt")
    assert "bad.txt" in str(e.value) and problem in str(e.value)


def test_traditional_forms_in_labels_are_read_as_the_official_ones():
    """OCR models emit traditional forms now and then (行政強制); every label still finds its row."""
    trad = str.maketrans("强处许罚规请复议诉讼开", "強處許罰規請復議訴訟開")
    text = _text("000").translate(trad)
    assert "行政強制" in text and "行政處罰" in text
    report = api.parse_bytes(text.encode("utf-8"), "trad.txt")
    assert report.values() == EXPECTED["000"]["cells"]
