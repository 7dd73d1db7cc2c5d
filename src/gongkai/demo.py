"""A synthetic corpus for demos and load tests, written by the official-layout writer.

Deterministic by seed: agencies (district governments and some of their departments, all in one
province, ``demo_province(seed)``, so that a reviewer of that province sees the whole corpus), years
2019–2025 in the format of their year, numbers that keep every rule (carried over = last year's carried
forward), a share of reports with a realistic error (a broken identity, a row total off by one), a
share signed after the Art. 49 deadline, and a few agency-years never published. Files come out in
every format the writer has.
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

from . import regions
from .formats import format_for_year
from .report import Agency, Cell, Region, Report, SectionText
from .writer import render

DEPARTMENTS = ("教育局", "财政局", "自然资源局", "生态环境局", "住房和城乡建设局", "市场监督管理局")
FORMATS = ("md", "html", "docx", "pdf")
_COLS = ("np", "biz", "research", "ngo", "legal", "other")


def _region(code: str) -> Region:
    r = regions.get(code)
    assert r is not None, code
    d = r.as_dict()
    return Region(d["code"], d["province"], d["city"], d["county"])


def _districts(province: str) -> list[str]:
    return [
        r.code
        for r in regions.regions()
        if r.level == "county"
        and r.name.endswith("区")
        and r.code[:2] == province[:2]
        and not r.is_municipality()
    ]


def demo_province(seed: int = 2026, governments: int = 6) -> str:
    """The province (code) the demo corpus of ``seed`` lies in: one with enough districts."""
    rng = random.Random(seed)
    provinces = [
        r.code for r in regions.regions() if r.level == "province" and len(_districts(r.code)) >= governments
    ]
    return rng.choice(provinces)


def _counties(rng: random.Random, n: int, province: str) -> list[str]:
    return rng.sample(_districts(province), n)


def _row(rng: random.Random, total: int) -> dict[str, int]:
    """Split ``total`` over the applicant columns (mostly natural persons, as in real reports)."""
    np_ = round(total * rng.uniform(0.6, 1.0))
    rest = total - np_
    parts = [np_]
    for _ in _COLS[1:-1]:
        x = rng.randint(0, rest)
        parts.append(x)
        rest -= x
    parts.append(rest)
    return dict(zip(_COLS, parts, strict=True))


def synthetic(
    agency: Agency,
    year: int,
    carried: dict[str, int],
    rng: random.Random,
    in_force: dict[str, int] | None = None,
) -> tuple[Report, dict]:
    """One report whose numbers keep every rule; returns it and what it carries into next year
    (applications carried forward per column, and the 2021 format's documents in force)."""
    fmt = format_for_year(year)
    r = Report(source="demo", template=fmt.id, year=year, agency=agency)
    r.title = f"{agency.name}{year}年政府信息公开工作年度报告"
    r.signature_date = dt.date(year + 1, 1 if agency.kind == "department" else 3, rng.randint(5, 28))
    cells: dict[str, int] = {}
    for cid in fmt.t2.cell_ids():
        kind = fmt.kind_of(cid)
        cells[cid] = rng.randint(-20, 40) if kind == "delta" else rng.randint(0, 500)
    for row in ("rules", "normative"):  # 2019: newly published ≤ all published
        if f"t2.{row}.published" in cells:
            cells[f"t2.{row}.total"] = max(cells[f"t2.{row}.total"], cells[f"t2.{row}.published"])
    in_force = dict(in_force or {})
    if fmt.id == "2021":
        for row in ("rules", "normative"):
            before = in_force.get(row, rng.randint(20, 300))
            issued, repealed = rng.randint(0, 20), rng.randint(0, min(5, before))
            cells[f"t2.{row}.issued"], cells[f"t2.{row}.repealed"] = issued, repealed
            cells[f"t2.{row}.in_force"] = in_force[row] = before + issued - repealed
    new_total = rng.randint(0, 120)
    new = _row(rng, new_total)
    rows = [x.id for x in fmt.t3.rows]
    outcomes = rows[rows.index("granted") : rows.index("handled")]
    forward = {c: rng.randint(0, min(3, new[c] + carried.get(c, 0))) for c in _COLS}
    handled = {c: new[c] + carried.get(c, 0) - forward[c] for c in _COLS}
    per_outcome = {o: dict.fromkeys(_COLS, 0) for o in outcomes}
    for c in _COLS:
        for _ in range(handled[c]):
            per_outcome[rng.choice(outcomes[:6] + ["granted"] * 6)][c] += 1
    table = {
        "new": new,
        "carried": {c: carried.get(c, 0) for c in _COLS},
        **per_outcome,
        "handled": handled,
        "forward": forward,
    }
    for row, values in table.items():
        for c in _COLS:
            cells[f"t3.{row}.{c}"] = values[c]
        cells[f"t3.{row}.total"] = sum(values[c] for c in _COLS)
    for g in ("review", "direct", "after"):
        parts = [rng.randint(0, 2) for _ in range(4)]
        for f, v in zip(("upheld", "corrected", "other", "pending"), parts, strict=True):
            cells[f"t4.{g}.{f}"] = v
        cells[f"t4.{g}.total"] = sum(parts)
    r.cells = {cid: Cell(float(v) if fmt.kind_of(cid) == "money" else v) for cid, v in cells.items()}
    texts = _narrative(year, agency.name or "", cells, rng)
    r.sections = [SectionText(s.id, s.title.text, texts[s.id]) for s in fmt.sections]
    return r, {"forward": forward, "in_force": in_force}


_OVERVIEW = (
    "坚持以习近平新时代中国特色社会主义思想为指导，全面贯彻落实《中华人民共和国政府信息公开条例》，"
    "围绕中心工作深化政务公开，推进决策、执行、管理、服务、结果公开，加强政策解读和回应关切",
    "认真贯彻落实《中华人民共和国政府信息公开条例》和上级关于政务公开工作的部署，健全工作机制，"
    "完善公开目录，规范依申请公开办理流程，政务公开标准化规范化水平持续提升",
)
_PROBLEMS = (
    ("政策解读形式较为单一，部分信息更新不够及时", "丰富图表、视频等解读形式，建立信息更新提醒机制"),
    ("依申请公开办理人员业务能力有待提高", "加强业务培训，规范答复文书，提高答复质量"),
    ("基层政务公开标准化建设仍需加强", "对照标准目录逐项梳理，推动公开内容向基层延伸"),
)


def _narrative(year: int, name: str, c: dict[str, int], rng: random.Random) -> dict[str, str]:
    """One paragraph per section, as agencies write them: the numbers of section 三 and 四 are the
    tables' own (text-vs-table rules hold), every paragraph longer than a heading."""
    problem, plan = rng.choice(_PROBLEMS)
    lawsuits = c["t4.direct.total"] + c["t4.after.total"]
    return {
        "s1": f"{year}年，{name}{rng.choice(_OVERVIEW)}，政府信息公开工作取得新的成效。",
        "s2": f"{year}年，{name}通过门户网站主动公开政府信息{rng.randint(80, 3000)}条，"
        f"其中政策文件{rng.randint(2, 60)}件、政策解读{rng.randint(1, 40)}篇，"
        "及时更新机构职能、财政预决算、重点领域等信息。",
        "s3": f"{year}年，本机关共收到政府信息公开申请{c['t3.new.total']}件，"
        f"上年结转政府信息公开申请{c['t3.carried.total']}件。全年办结政府信息公开申请"
        f"{c['t3.handled.total']}件，结转下年度继续办理{c['t3.forward.total']}件。"
        "所有申请均在法定期限内答复，未发生逾期答复情况。",
        "s4": f"{year}年，{name}因政府信息公开工作被申请行政复议{c['t4.review.total']}件，"
        f"被提起行政诉讼{lawsuits}件。",
        "s5": f"{year}年，{name}政府信息公开工作仍存在一些不足：{problem}。下一步，将{plan}，"
        "进一步提升政务公开质量和实效。",
        "s6": f"本机关{year}年度未收取信息处理费，无其他需要报告的事项。",
    }


def _break(report: Report, rng: random.Random) -> None:
    """A realistic mistake: a total off by one, or the identity broken by a miscounted carry-forward."""
    cid = rng.choice(["t3.new.total", "t3.forward.np", "t4.review.total"])
    report.cells[cid] = Cell((report.cells[cid].value or 0) + 1)


def generate(
    out: Path,
    *,
    agencies: int = 24,
    years: range = range(2019, 2026),
    seed: int = 2026,
    error_share: float = 0.15,
    late_share: float = 0.08,
    missing_share: float = 0.04,
) -> list[Path]:
    """Write the corpus under ``out``; returns the files written. A late report is signed 1–45 days
    after its Art. 49 deadline; a missing one is made (its numbers carry into the next year) but
    not written."""
    governments = max(1, agencies // 4)
    province = demo_province(seed, governments)
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for code in _counties(rng, governments, province):
        region = _region(code)
        place = f"{region.city or ''}{region.county or ''}"
        names = [(f"{place}人民政府", "government")] + [
            (f"{place}{d}", "department") for d in rng.sample(DEPARTMENTS, 3)
        ]
        for name, kind in names:
            agency = Agency(name, kind, region)  # type: ignore[arg-type]
            state: dict = {"forward": {}, "in_force": {}}
            for year in years:
                report, state = synthetic(agency, year, state["forward"], rng, state["in_force"])
                if rng.random() < error_share:
                    _break(report, rng)
                if rng.random() < late_share:
                    due = dt.date(year + 1, 1 if kind == "department" else 3, 31)
                    report.signature_date = due + dt.timedelta(days=rng.randint(1, 45))
                if rng.random() < missing_share:
                    continue
                fmt = FORMATS[(len(written)) % len(FORMATS)]
                path = out / f"{code}_{kind[0]}{names.index((name, kind))}_{year}.{fmt}"
                path.write_bytes(render(report, fmt))
                written.append(path)
    return written
