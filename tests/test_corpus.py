"""The corpus generator at scale: the writer's bytes, deterministic by seed whatever the workers,
real agencies that read back to their own region, errors only where the manifest says so."""

from __future__ import annotations

import csv
import io
import itertools
import random
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gongkai import api
from gongkai.cli import app
from gongkai.corpus import MANIFEST, generate_corpus, parse_formats
from gongkai.corpus.agencies import agencies, capacity, region_of, units
from gongkai.corpus.scan import image_pdf, pages, tiff
from gongkai.corpus.stamp import Stamper
from gongkai.demo import _break, synthetic
from gongkai.regions import resolve
from gongkai.report import Agency
from gongkai.rules import run_cross_year
from gongkai.writer import render


def _reports() -> list:
    """Two agencies over 2019–2025 (both formats), some with an error put in."""
    rng = random.Random(11)
    out = []
    for ag in itertools.islice(agencies(40, seed=4), 0, 40, 13):
        state: dict = {"forward": {}, "in_force": {}}
        for year in range(2019, 2026):
            r, state = synthetic(
                Agency(ag.name, ag.kind, ag.region), year, state["forward"], rng, state["in_force"]
            )  # type: ignore[arg-type]
            if year % 3 == 0:
                _break(r, rng)
            out.append(r)
    return out


def _members(data: bytes) -> dict[str, bytes]:
    z = zipfile.ZipFile(io.BytesIO(data))
    return {i.filename: z.read(i) for i in z.infolist()}


def test_stamps_are_the_writers_output_and_read_back():
    stamper = Stamper()
    reports = _reports()
    assert {r.template for r in reports} == {"2019", "2021"}
    for r in reports:
        assert stamper.render(r, "md") == render(r, "md")
        assert stamper.render(r, "html") == render(r, "html")
        assert _members(stamper.render(r, "docx")) == _members(render(r, "docx"))
        for data, name in (
            (stamper.render(r, "txt"), "r.txt"),
            (stamper.render(r, "txt").decode().encode("gb18030"), "r.txt"),
            (stamper.render(r, "docx"), "r.docx"),
        ):
            back = api.parse_bytes(data, name)
            assert back.values() == r.values(), name
            assert (back.agency.name, back.year) == (r.agency.name, r.year)
    assert stamper.render(reports[0], "docx") == stamper.render(reports[0], "docx")  # no timestamps


def test_a_report_off_the_layout_goes_through_the_writer():
    r = _reports()[0]
    r.sections[0].text = "第一段\n第二段"  # two paragraphs: not the stamped layout
    assert Stamper().render(r, "html") == render(r, "html")


def test_hierarchy_names_resolve_to_their_own_region():
    ags = list(agencies(3000, seed=1))
    assert len(ags) == 3000 == len({(a.name, a.code) for a in ags})
    assert all(resolve(a.name) is not None and resolve(a.name).code == a.code for a in ags)
    levels = {
        ("province" if a.code[2:] == "0000" else "city" if a.code[4:] == "00" else "county") for a in ags
    }
    assert levels == {"province", "city", "county"}
    assert {a.kind for a in ags} == {"government", "department"}
    assert len({a.code[:2] for a in ags}) >= 25  # spread over the country, not one province
    assert capacity() > 15_000  # a national corpus of 100,000 reports fits with the default departments
    assert [u.code for u in units(1)] != [u.code for u in units(2)]  # province order follows the seed


@pytest.mark.parametrize(
    ("name", "code"),
    [("本溪市人民政府", "210500"), ("本溪市溪湖区教育局", "210503"), ("本溪满族自治县人民政府", "210521")],
)
def test_places_starting_like_a_self_reference_read_back(name, code):
    """本溪 starts like 本局/本机关 (how an agency names itself); found by the national corpus."""
    kind = "government" if name.endswith("人民政府") else "department"
    r, _ = synthetic(Agency(name, kind, region_of(code)), 2022, {}, random.Random(1))  # type: ignore[arg-type]
    back = api.parse_bytes(render(r, "html"), "r.html")
    assert (back.agency.name, back.agency.region.code, back.agency.kind) == (name, code, kind)


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_corpus_is_deterministic_streams_and_reads_back(tmp_path):
    fmts = parse_formats("md,txt,html,docx")
    a = generate_corpus(tmp_path / "a", 150, formats=fmts, seed=3, workers=1)
    b = generate_corpus(tmp_path / "b", 150, formats=fmts, seed=3, workers=2)
    assert (a.files, b.files) == (150, 150)
    ta, tb = _tree(tmp_path / "a"), _tree(tmp_path / "b")
    assert ta == tb  # same seed, same bytes, whatever the number of workers
    generate_corpus(tmp_path / "c", 150, formats=fmts, seed=4)
    assert _tree(tmp_path / "c") != ta

    rows = list(csv.DictReader((tmp_path / "a" / MANIFEST).open(encoding="utf-8")))
    assert len(rows) == 150 == len(ta) - 1
    assert set(a.by_format) == {"md", "txt", "html", "docx"} and sum(a.by_format.values()) == 150
    assert 0 < a.errors == sum(bool(r["error"]) for r in rows) < 50
    assert len({r["agency"] for r in rows}) == a.agencies
    parsed = {}
    for row in rows:
        rep = api.parse(tmp_path / "a" / row["path"])
        assert rep.agency.name == row["agency"] and rep.agency.region.code == row["region_code"]
        assert rep.agency.kind == row["kind"] and rep.year == int(row["year"])
        assert rep.template == ("2019" if rep.year < 2021 else "2021")
        rules = {f.rule for f in rep.errors()}
        assert bool(rules) == bool(row["error"]), row
        assert rules <= {"t3.row_total", "t3.balance", "t4.total"}
        warnings = {f.rule for f in rep.findings if f.status == "fail"} - rules
        # the narrative states the true figures: a broken total contradicts it, nothing else does
        assert warnings <= {"text.received", "text.review"} and (not warnings or row["error"])
        assert len(rep.facts) >= 5
        parsed[row["path"]] = (rep, bool(row["error"]))
    # carried-over figures link consecutive years wherever neither year was broken on purpose
    by_agency: dict[str, list] = {}
    for rep, broken in parsed.values():
        by_agency.setdefault(rep.agency.name, []).append((rep, broken))
    pairs = 0
    for series in by_agency.values():
        series.sort(key=lambda x: x[0].year)
        for (p, pb), (c, cb) in itertools.pairwise(series):
            if not (pb or cb) and c.year == p.year + 1:
                assert not run_cross_year(p, c)
                pairs += 1
    assert pairs > 50


def test_scans_are_deterministic_and_read_back_by_ocr():
    r = _reports()[9]
    pdf = render(r, "pdf")
    first = pages(pdf, random.Random(3))
    again = pages(pdf, random.Random(3))
    assert tiff(first) == tiff(again) and image_pdf(first) == image_pdf(again)
    assert len(first) >= 2 and first[0].shape == (2339, 1654)
    back = api.parse_bytes(tiff(first), "scan.tiff")
    assert back.values() == r.values()
    assert (back.agency.name, back.year) == (r.agency.name, r.year)


def test_cli(tmp_path):
    runner = CliRunner()
    res = runner.invoke(
        app, ["demo-corpus", str(tmp_path / "x"), "--reports", "20", "--formats", "txt,md", "-j", "1"]
    )
    assert res.exit_code == 0, res.output
    assert "已生成 20 份报告" in res.output
    assert len([p for p in (tmp_path / "x").rglob("*") if p.is_file() and p.suffix in (".txt", ".md")]) == 20
    bad = runner.invoke(app, ["demo-corpus", str(tmp_path / "y"), "--reports", "5", "--formats", "rtf"])
    assert bad.exit_code == 2 and "未知格式" in bad.output


@pytest.mark.parametrize("spec", ["mix", "md", "html,docx"])
def test_format_specs(spec):
    mix = parse_formats(spec)
    assert sum(mix.values()) == pytest.approx(1.0)
    assert (spec == "mix") == ("scan" in mix)
