"""gongkai.regions: GB/T 2260 codes and the publisher-name resolver."""

from __future__ import annotations

from pathlib import Path

import pytest

from gongkai import regions
from gongkai.regions import Region, get, lookup, mentions, parse_prefix, resolve


def region(c: str) -> Region:
    r = get(c)
    assert r is not None, c
    return r


def code(name: str, context: str = "") -> str | None:
    r = resolve(name, context)
    return r.code if r else None


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("深圳市南山区人民政府", "440305"),
        ("黑龙江省鹤岗市南山区人民政府", "230404"),
        ("鹤岗市南山区人民政府", "230404"),
        ("广东省深圳市南山区人民政府", "440305"),
        ("广州市南沙区人民政府", "440115"),
        ("深圳市龙岗区政务服务数据管理局", "440307"),
        ("深圳市盐田区人民政府", "440308"),
        ("上海市人民政府办公厅", "310000"),
        ("广东省教育厅", "440000"),
        ("北京市东城区人民政府", "110101"),
        ("淮安市洪泽区人民政府", "320813"),
        ("淮安市人民政府", "320800"),
        ("淮安市淮安区人民政府", "320803"),
        ("重庆市城口县人民政府", "500229"),
        ("重庆市渝中区人民政府", "500103"),
        ("天津市人民政府", "120000"),
        # 平潭综合实验区 has no code of its own; it governs the territory of 平潭县 (福州市).
        ("平潭综合实验区农业农村局", "350128"),
        ("福建省平潭综合实验区管理委员会", "350128"),
        # Short forms count when another place name follows.
        ("广东深圳南山区人民政府", "440305"),
        ("深圳南山区教育局", "440305"),
        ("吉林省吉林市人民政府", "220200"),
        ("吉林船营区人民政府", "220204"),
        # Aliases of autonomous areas.
        ("恩施州人民政府", "422800"),
        ("石柱县人民政府", "500240"),
        ("广西壮族自治区人民政府", "450000"),
    ],
)
def test_resolve_names(name: str, expected: str) -> None:
    assert code(name) == expected


@pytest.mark.parametrize(
    "name",
    [
        "国务院办公厅",
        "吉林大学",  # a short form alone is not read as a place
        "中山大学",
        "",
    ],
)
def test_resolve_no_place(name: str) -> None:
    assert resolve(name) is None


def test_same_named_counties_need_context() -> None:
    assert {r.code for r in lookup("南山区")} == {"440305", "230404"}
    assert resolve("南山区人民政府") is None
    assert resolve("鼓楼区人民政府") is None
    assert resolve("南山区人民政府", "本报告与政务公开无地名相关内容。") is None


@pytest.mark.parametrize(
    ("context", "expected"),
    [
        ("南山区2023年政府信息公开工作年度报告。地址：深圳市南山区桃园路。", "440305"),
        ("本报告由区政府办公室编制，全区认真落实深圳部署。", "440305"),
        ("按照广东省政务公开工作要点……", "440305"),
        ("本区与福田区、罗湖区共同推进……", "440305"),  # sibling districts
        ("地址：黑龙江省鹤岗市南山区。", "230404"),
        ("按照鹤岗市委部署……", "230404"),
        ("全面落实黑龙江省委省政府要求。", "230404"),
        # More votes win; a tie is no answer.
        ("深圳 深圳 深圳 黑龙江", "440305"),
        ("深圳市 鹤岗市", None),
    ],
)
def test_same_named_counties_by_context(context: str, expected: str | None) -> None:
    assert code("南山区人民政府", context) == expected


def test_parents_in_name_beat_context() -> None:
    assert code("鹤岗市南山区人民政府", "深圳 深圳 广东") == "230404"


def test_parse_prefix() -> None:
    tokens, end = parse_prefix("广东省深圳市南山区人民政府")
    assert end == 9
    assert [[r.code for r in t] for t in tokens] == [["440000"], ["440300"], ["440305"]]

    tokens, end = parse_prefix("南山区人民政府")
    assert end == 3
    assert sorted(r.code for r in tokens[0]) == ["230404", "440305"]

    tokens, end = parse_prefix("北京市人民政府")
    assert end == 3
    assert [[r.code for r in t] for t in tokens] == [["110000"]]  # not 110100

    assert parse_prefix("国务院办公厅") == ([], 0)
    # A place that does not lie in the previous one ends the chain: 鼓楼区 is in no 广东 city.
    tokens, end = parse_prefix("广东省鼓楼区")
    assert (len(tokens), end) == (1, 3)


def test_get() -> None:
    r = get("440305")
    assert r == Region("440305", "南山区", "county")
    assert get("440305000000") == r
    assert get("440300") == Region("440300", "深圳市", "city")
    assert get("440000") == Region("440000", "广东省", "province")
    assert get("999999") is None
    assert get("990000") is None  # 苏鲁交界 in the source is not a GB/T 2260 division
    assert get("320813") == Region("320813", "洪泽区", "county")


def test_ancestors() -> None:
    r = get("440305")
    assert r is not None
    assert r.province() == get("440000")
    assert r.city() == get("440300")
    assert region("440300").city() == get("440300")
    assert region("440000").province() == get("440000")
    assert region("440000").city() is None
    assert region("419001").city() is None  # 济源市, directly under 河南省
    assert region("110101").city() == Region("110100", "北京市", "city")


def test_as_dict() -> None:
    assert region("440305").as_dict() == {
        "code": "440305",
        "province": "广东省",
        "city": "深圳市",
        "county": "南山区",
    }
    assert region("310104").as_dict() == {
        "code": "310104",
        "province": "上海市",
        "city": "上海市",
        "county": "徐汇区",
    }
    assert region("500229").as_dict() == {
        "code": "500229",
        "province": "重庆市",
        "city": "重庆市",
        "county": "城口县",
    }
    assert region("440000").as_dict() == {
        "code": "440000",
        "province": "广东省",
        "city": None,
        "county": None,
    }
    assert region("320800").as_dict() == {
        "code": "320800",
        "province": "江苏省",
        "city": "淮安市",
        "county": None,
    }
    assert region("429004").as_dict() == {
        "code": "429004",
        "province": "湖北省",
        "city": None,
        "county": "仙桃市",
    }


def test_mentions() -> None:
    found = mentions("广东省深圳市南山区和黑龙江鹤岗，延边州；城区人口")
    assert [m.surface for m in found] == ["广东省", "深圳市", "南山区", "黑龙江", "鹤岗", "延边州"]
    assert [(m.start, m.end) for m in found[:2]] == [(0, 3), (3, 6)]
    assert [r.code for r in found[4].regions] == ["230400"]
    assert sorted(r.code for r in found[2].regions) == ["230404", "440305"]
    assert mentions("") == []
    assert mentions("没有地名的一句话") == []


def _csv_rows() -> list[tuple[str, str]]:
    text = (Path(regions.__file__).parent / "gb2260.csv").read_text(encoding="utf-8")
    lines = text.splitlines()
    assert lines[0] == "code,name"
    return [tuple(line.split(",", 1)) for line in lines[1:]]  # type: ignore[misc]


def test_csv_integrity() -> None:
    rows = _csv_rows()
    codes = [c for c, _ in rows]
    assert len(rows) == len(regions.regions()) > 3000
    assert codes == sorted(codes)
    assert len(set(codes)) == len(codes)
    by_code = dict(rows)
    for c, name in rows:
        assert len(c) == 6 and c.isdigit(), c
        assert name, c
        if c[2:] != "0000":
            assert c[:2] + "0000" in by_code, f"{c} {name}: no province"
        # Counties have a city row, except those directly under a province (…90xx).
        if c[4:] != "00" and c[2:4] != "90":
            assert c[:4] + "00" in by_code, f"{c} {name}: no city"
    assert sum(c[2:] == "0000" for c in codes) == 34
    assert by_code["110100"] == "北京市" and by_code["500200"] == "重庆市"
