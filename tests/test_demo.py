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


def test_the_desk_demo_login_make_run_prints_works_through_gongkai_serve(tmp_path):
    """Issue 14, a newcomer's first view: `make run` runs `gongkai desk demo` and then `gongkai serve`,
    both on the default database of the working directory. The staff login the first prints opens the
    demo agency's desk on the server the second starts, with its year of applications, and the agency's
    online application form is open to anyone."""
    import os
    import re
    import subprocess
    import sys
    from pathlib import Path

    import httpx

    from .workbench import server_process

    env = {k: v for k, v in os.environ.items() if k not in ("GONGKAI_DB", "GONGKAI_FILES")}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[1] / "src")
    demo = subprocess.run(
        [sys.executable, "-m", "gongkai.cli", "desk", "demo"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert demo.returncode == 0, demo.stdout + demo.stderr
    out = " ".join(demo.stdout.split())  # rich may wrap a long line
    user = re.search(r"user[:：]\s*(\S+)", out).group(1)
    password = re.search(r"password[:：]\s*(\S+)", out).group(1)
    desk_path = re.search(r"(/desk/\d+)", out).group(1)
    apply_path = re.search(r"(/apply/\d+)", out).group(1)
    with server_process([sys.executable, "-m", "gongkai.cli", "serve"], env, tmp_path) as (base, _):
        with httpx.Client(base_url=base, timeout=60) as c:
            csrf = re.search(r'name="csrf" value="([^"]+)"', c.get("/login").text).group(1)
            r = c.post(
                "/login", data={"username": user, "password": password, "csrf": csrf, "next": desk_path}
            )
            assert r.status_code == 303, r.text[:500]
            page = c.get(desk_path)
            assert page.status_code == 200 and "深圳市南山区教育局" in page.text  # DEMO_AGENCY
            apps = c.get(f"/api{desk_path}/applications").json()
            assert len(apps) >= 150
            assert c.get(f"{desk_path}/pending").status_code == 200  # the online queue staff confirm
        with httpx.Client(base_url=base, timeout=60) as anonymous:
            form = anonymous.get(apply_path)
            assert form.status_code == 200 and 'name="applicant"' in form.text
            assert (
                anonymous.get(desk_path, follow_redirects=False).status_code == 303
            )  # the desk needs a login
