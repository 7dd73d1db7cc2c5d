"""The synthetic demo corpus: deterministic, every format, rules kept except where an error is injected."""

from __future__ import annotations

import itertools

from gongkai import api
from gongkai.demo import generate
from gongkai.rules import run_cross_year


def test_demo_corpus(tmp_path):
    a = generate(tmp_path / "a", agencies=4, years=range(2019, 2023), seed=7)
    b = generate(tmp_path / "b", agencies=4, years=range(2019, 2023), seed=7)
    assert [p.name for p in a] == [p.name for p in b]
    assert all(
        x.read_bytes() == y.read_bytes() for x, y in zip(a, b, strict=True) if x.suffix in (".md", ".html")
    )
    assert {p.suffix for p in a} == {".md", ".html", ".docx", ".pdf"}
    reports = [api.parse(p) for p in a]
    assert {r.template for r in reports} == {"2019", "2021"}
    assert {r.year for r in reports} == {2019, 2020, 2021, 2022}
    assert all(r.agency.region and r.agency.region.code for r in reports)
    broken = [r for r in reports if r.errors()]
    assert 0 < len(broken) < len(reports)
    assert {f.rule for r in broken for f in r.errors()} <= {"t3.row_total", "t3.balance", "t4.total"}
    # without injected errors every report keeps every rule, and the years link up
    clean = [
        api.parse(p)
        for p in generate(tmp_path / "c", agencies=4, years=range(2019, 2023), error_share=0, missing_share=0)
    ]
    assert not [f.message for r in clean for f in r.errors()]
    by_agency: dict[str, list] = {}
    for r in clean:
        by_agency.setdefault(r.agency.name, []).append(r)
    for rs in by_agency.values():
        rs.sort(key=lambda r: r.year)
        assert all(not run_cross_year(p, c) for p, c in itertools.pairwise(rs))
