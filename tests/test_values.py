"""Value normalisation, exactly as cells.md says; property-based over every printed form."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gongkai.extract.values import BadValue, looks_numeric, parse

FULLWIDTH = str.maketrans("0123456789,+-.", "０１２３４５６７８９，＋－．")
counts = st.integers(min_value=0, max_value=10**9)


@given(counts)
def test_integers_plain_grouped_fullwidth_spaced(n):
    for text in (
        str(n),
        f"{n:,}",
        str(n).translate(FULLWIDTH),
        f"  {n}\u3000",
        f"{n:,}".translate(FULLWIDTH),
    ):
        assert parse(text).value == n
        assert looks_numeric(text)


@given(counts, st.sampled_from(["件", "项", "个", "宗"]))
def test_counts_with_a_unit(n, unit):
    assert parse(f"{n}{unit}").value == n


@pytest.mark.parametrize("mark", ["/", "／", "-", "－", "—", "无", "0", "——"])
def test_zero_marks(mark):
    assert parse(mark).value == 0
    assert parse(mark, "delta").value == 0
    assert parse(mark, "money").value == 0


@pytest.mark.parametrize("blank", ["", "  ", "\u3000", "\t"])
def test_blank_is_none(blank):
    assert parse(blank).value is None


@given(st.integers(min_value=1, max_value=10**7))
def test_deltas(d):
    assert parse(f"+{d}", "delta").value == d
    assert parse(f"-{d}", "delta").value == -d
    assert parse(f"增{d:,}", "delta").value == d
    assert parse(f"减{d}", "delta").value == -d
    assert parse(f"增加{d}", "delta").value == d
    assert parse(f"减少{d}", "delta").value == -d
    assert parse(f"＋{d}".translate(FULLWIDTH), "delta").value == d


@given(
    st.integers(min_value=0, max_value=10**6),
    st.integers(min_value=0, max_value=10**6),
    st.sampled_from(["（", "("]),
    st.sampled_from(["+", "-", "增", "减"]),
)
def test_stated_total_with_delta(total, d, bracket, sign):
    close = "）" if bracket == "（" else ")"
    p = parse(f"{total}{bracket}{sign}{d}{close}", "delta")
    assert p.stated_total == total
    assert p.value == (-d if sign in "-减" else d)


@given(st.decimals(min_value=0, max_value=10**8, places=3, allow_nan=False, allow_infinity=False))
def test_money_in_wanyuan(x):
    text = f"{x:f}"
    assert parse(f"{text}万元", "money").value == pytest.approx(float(x))
    assert parse(f"{text}万元", "money").unit == "万元"
    assert parse(text, "money").unit is None


@given(st.integers(min_value=0, max_value=10**12))
def test_money_in_yuan_becomes_wanyuan(n):
    p = parse(f"{n}元", "money")
    assert p.value == pytest.approx(n / 10_000)
    assert p.unit == "元"


def test_money_examples_from_the_spec():
    assert parse("170,815.4万元", "money").value == 170815.4
    assert parse("2122500000元", "money").value == 212250.0
    assert parse("39582.407", "money").value == 39582.407


@pytest.mark.parametrize("text", ["自然人", "（一）予以公开", "1.属于国家秘密", "总计", "12a", "1,23", "三"])
def test_labels_are_not_values(text):
    assert not looks_numeric(text)
    with pytest.raises(BadValue):
        parse(text)


def test_negative_count_is_not_a_count():
    with pytest.raises(BadValue):
        parse("-3")
