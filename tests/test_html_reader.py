"""HTML reader: three real pages from one government site, and pages made to test charsets and spans."""

from __future__ import annotations

import pytest

from gongkai import api
from gongkai.errors import UnreadableFile
from gongkai.formats import FORMAT_2021
from gongkai.readers import read_bytes
from gongkai.readers.html import read_html

from .conftest import SHARED

PINGTAN = SHARED / "fixtures" / "pingtan"


def _report(name: str):
    path = PINGTAN / name
    return api.parse_document(read_html(path.read_bytes(), str(path)))


@pytest.mark.parametrize(
    ("name", "agency", "year"),
    [
        ("2021_zhz.html", "平潭综合实验区综合执法与应急管理局", 2021),
        ("2024_gyz.html", "平潭综合实验区国有资产管理局", 2024),  # the signature; the title has the new name
        ("2025_gwh.html", "平潭综合实验区管委会办公室", 2025),
    ],
)
def test_real_pages(name, agency, year):
    path = PINGTAN / name
    doc = read_bytes(path.read_bytes(), str(path))
    assert doc.media_type == "text/html" and doc.encoding == "utf-8"
    text = doc.text()
    assert "gklist" not in text and "var " not in text  # the site's scripts and chrome stay out
    r = api.parse_document(doc)
    assert (r.agency.name, r.year, r.template) == (agency, year, "2021")
    assert r.agency.region.code == "350128"
    assert set(r.values()) == set(FORMAT_2021.cell_ids()) or "t3.other.total" in r.values()
    assert not r.errors(), [f.message for f in r.errors()]


def test_2025_page_every_nonzero_cell():
    r = _report("2025_gwh.html")
    nonzero = {k: v for k, v in r.values().items() if v}
    assert nonzero == {
        "t2.normative.issued": 9,
        "t2.normative.repealed": 7,
        "t2.normative.in_force": 253,
        "t3.new.np": 32,
        "t3.new.total": 32,
        "t3.granted.np": 8,
        "t3.granted.total": 8,
        "t3.partial.np": 7,
        "t3.partial.total": 7,
        "t3.denied.internal.np": 1,
        "t3.denied.internal.total": 1,
        "t3.denied.process.np": 2,
        "t3.denied.process.total": 2,
        "t3.unable.no_info.np": 12,
        "t3.unable.no_info.total": 12,
        "t3.unable.needs_creation.np": 2,
        "t3.unable.needs_creation.total": 2,
        "t3.handled.np": 32,
        "t3.handled.total": 32,
        "t4.review.upheld": 2,
        "t4.review.total": 2,
    }
    assert all(v == 0 for v in r.values().values() if v is not None and not v)
    # the text says 34 applications were received; the table says 32 new: reported, not hidden
    assert any(f.rule == "text.received" and "34" in f.message for f in r.findings)
    cell = r.cells["t3.new.np"]
    assert cell.raw == "32" and cell.prov.table is not None and cell.prov.col == 3


def test_word_exported_page_with_a_single_other_row():
    r = _report("2021_zhz.html")
    assert "t3.other.total" in r.values() and "t3.other.no_fee.total" not in r.values()
    assert (r.value("t2.licensing.decisions"), r.value("t2.penalty.decisions")) == (153, 836)


PAGE = """<html><head><meta charset="{cs}"><title>某县人民政府2022年政府信息公开工作年度报告_某县政府网</title></head>
<body><div class="nav">首页 | 政务公开 | 联系我们</div>
<div class="main"><h2>一、总体情况</h2><p>本年度我县共收到申请5件。</p>
<table border=1><tr><td rowspan="2">甲</td><td colspan="2">乙</td></tr><tr><td>丙</td><td>丁</td></tr>
<tr><td>戊</td><td>5</td><td>&nbsp;</td></tr></table>
<p>这是正文的一段较长的文字，用来让正文区域拥有页面上的大部分文字，而导航只有几个字。</p></div>
<div class="footer">版权所有</div></body></html>"""


@pytest.mark.parametrize(("charset", "codec"), [("gbk", "gbk"), ("gb2312", "gb2312"), ("utf-8", "utf-8")])
def test_charsets_from_the_meta_tag(charset, codec):
    doc = read_html(PAGE.format(cs=charset).encode(codec), "p.html")
    assert "一、总体情况" in doc.text() and "本年度我县共收到申请5件。" in doc.text()
    assert "版权所有" not in doc.text() and "联系我们" not in doc.text()
    assert doc.paragraphs()[0].text == "某县人民政府2022年政府信息公开工作年度报告"


def test_utf8_without_meta_and_spans():
    data = PAGE.replace('<meta charset="{cs}">', "").encode("utf-8")
    [t] = read_html(data, "p.html").tables()
    assert [(c.text, c.rowspan, c.colspan, c.prov.col) for c in t.rows[0]] == [
        ("甲", 2, 1, 0),
        ("乙", 1, 2, 1),
    ]
    assert [(c.text, c.prov.col) for c in t.rows[1]] == [("丙", 1), ("丁", 2)]  # after the rowspan
    assert [c.text for c in t.rows[2]] == ["戊", "5", ""]


def test_layout_table_is_descended_into():
    inner = "<table><tr><td>行</td><td>1</td></tr><tr><td>列</td><td>2</td></tr></table>"
    page = f"<html><body><table><tr><td><p>标题文字</p>{inner}</td></tr></table></body></html>"
    doc = read_html(page.encode(), "l.html")
    [t] = doc.tables()
    assert [[c.text for c in r] for r in t.rows] == [["行", "1"], ["列", "2"]]


def test_empty_page_is_a_clear_error():
    with pytest.raises(UnreadableFile) as e:
        read_html(b"<html><body><script>var x=1;</script></body></html>", "empty.html")
    assert "empty.html" in str(e.value) and "没有正文" in str(e.value)
