"""English and short labels of the official formats: every label has English, every cell a human label."""

from __future__ import annotations

import re

import pytest

from gongkai.formats import (
    FORMAT_2019,
    FORMAT_2021,
    FORMATS,
    Format,
    Label,
    cell_label,
    row_label,
    short_label,
)
from gongkai.formats.official import INFO_CONTENT, T3_NOTE, T3_OUTCOMES, T3_PARENT_COLUMNS

CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")


def _labels(fmt: Format) -> list[tuple[str, Label]]:
    out: list[tuple[str, Label]] = [(f"section {s.id}", s.title) for s in fmt.sections]
    for b in fmt.t2.blocks:
        out.append((f"t2 block {b.caption.text}", b.caption))
        out += [(f"t2 field {f.id}", f.label) for f in b.fields]
        out += [(f"t2 row {r.id}", r.label) for r in b.rows]
    rows = (*fmt.t3.rows, *(alt for alt, _ in fmt.t3.alternatives))
    for r in rows:
        out.append((f"t3 row {r.id}", r.label))
        if r.group is not None:
            out.append((f"t3 group of {r.id}", r.group))
    out += [(f"t3 column {c.id}", c.label) for c in fmt.t3.columns]
    out += [(f"t4 group {g.id}", g.label) for g in fmt.t4.groups]
    out += [(f"t4 field {f.id}", f.label) for f in fmt.t4.fields]
    out += [(f"t4 parent {p.text}", p) for p in fmt.t4.parents]
    out.append(("t3 note", fmt.t3_note))
    return out


def _all_cells(fmt: Format) -> list[str]:
    alt_rows = [alt.id for alt, _ in fmt.t3.alternatives]
    return [*fmt.cell_ids(), *fmt.t3.cell_ids(alt_rows)]


@pytest.mark.parametrize("fmt", [FORMAT_2019, FORMAT_2021], ids=lambda f: f.id)
def test_every_label_has_english(fmt: Format) -> None:
    extra = [("info", INFO_CONTENT), ("outcomes", T3_OUTCOMES), *(("parent", p) for p in T3_PARENT_COLUMNS)]
    for where, label in [*_labels(fmt), *extra, ("note", T3_NOTE)]:
        assert label.en.strip(), where
        assert not CJK.search(label.en), (where, label.en)
        assert not CJK.search(label.brief("en")), (where, label.brief("en"))
        assert label.brief("zh"), where


@pytest.mark.parametrize("fmt", [FORMAT_2019, FORMAT_2021], ids=lambda f: f.id)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_cell_gets_a_human_label(fmt: Format, lang: str) -> None:
    for cid in _all_cells(fmt):
        assert fmt.has_cell(cid), cid
        for text in (fmt.cell_label(cid, lang), fmt.short_label(cid, lang), cell_label(cid, lang, fmt.id)):
            assert cid not in text, (cid, text)
            if lang == "en":
                assert not CJK.search(text), (cid, text)
            else:  # IDs are ASCII: a Chinese label with a Latin letter leaks one
                assert CJK.search(text) and not re.search("[A-Za-z]", text), (cid, text)


def test_chinese_default_unchanged() -> None:
    fmt = FORMAT_2021
    assert fmt.cell_label("t3.new.total") == "表三 一、本年新收政府信息公开申请数量 / 总计"
    assert fmt.cell_label("t3.unable.no_info.np") == "表三 （四）无法提供 1.本机关不掌握相关政府信息 / 自然人"
    assert fmt.cell_label("t2.rules.issued") == "表二 规章 / 本年制发件数"
    assert fmt.cell_label("t4.review.upheld") == "表四 行政复议 / 结果维持"
    assert fmt.cell_label("t3.new.total", "zh") == fmt.cell_label("t3.new.total")


def test_english_cell_labels() -> None:
    fmt = FORMAT_2021
    assert fmt.cell_label("t3.new.total", "en") == "Table 3 new applications this year / total"
    assert (
        fmt.cell_label("t3.denied.secret.np", "en") == "Table 3 not disclosed: state secret / natural persons"
    )
    assert fmt.cell_label("t2.normative.in_force", "en") == (
        "Table 2 administrative normative documents / currently in force"
    )
    assert fmt.cell_label("t4.review.corrected", "en") == "Table 4 administrative reconsideration / corrected"
    assert FORMAT_2019.cell_label("t2.procurement.amount", "en") == (
        "Table 2 government centralised procurement / total procurement amount (10,000 yuan)"
    )


def test_short_labels() -> None:
    fmt = FORMAT_2021
    assert fmt.short_label("t3.new.total") == "本年新收·总计"
    assert fmt.short_label("t3.new.total", "en") == "new applications · total"
    assert fmt.short_label("t3.denied.secret.total") == "不予公开·国家秘密·总计"
    assert fmt.short_label("t3.denied.secret.total", "en") == "not disclosed · state secret · total"
    assert fmt.short_label("t3.partial.biz") == "部分公开·商业企业"
    assert fmt.short_label("t3.forward.np", "en") == "carried forward · natural persons"
    assert fmt.short_label("t2.fees.amount") == "行政事业性收费·本年收费金额"
    assert fmt.short_label("t4.direct.pending", "en") == "sued directly · pending"
    assert FORMAT_2019.short_label("t2.rules.made") == "规章·本年新制作"


def test_module_helpers_pick_the_format() -> None:
    # 2021 first; cells only 2019 has fall back to 2019.
    assert cell_label("t2.normative.issued") == "表二 行政规范性文件 / 本年制发件数"
    assert cell_label("t2.normative.made") == "表二 规范性文件 / 本年新制作数量"
    assert (
        cell_label("t2.other_services.prev", "en")
        == "Table 2 other external management services / items last year"
    )
    assert cell_label("t2.normative.issued", template="2019") == FORMAT_2019.cell_label("t2.normative.issued")
    assert cell_label("t3.other.np", "en") == "Table 3 other handling / natural persons"
    assert cell_label("t3.new.total", "en", template="bogus") == FORMAT_2021.cell_label("t3.new.total", "en")
    assert short_label("t3.unable.no_info.total", "en") == "unable to provide · not held · total"
    assert short_label("t2.rules.made", "en") == "regulations · made this year"
    assert (
        row_label("t3.denied.law", "en")
        == "not disclosed: barred by other laws and administrative regulations"
    )
    assert row_label("t4.after") == "复议后起诉"
    assert row_label("t2.other_services", "en") == "other external management services"
    assert FORMAT_2021.row_label("new", "en") == "new applications this year"


def test_label_construction_stays_positional() -> None:
    label = Label("总计", ("合计",), en="total")
    assert label.all() == ("总计", "合计")
    assert label.get("en") == "total" and label.get() == "总计"
    assert Label("（二）部分公开（区分处理的）").brief() == "部分公开"
    assert Label("x").get("en") == "x"  # no English: Chinese
    assert set(FORMATS) == {"2019", "2021"}
