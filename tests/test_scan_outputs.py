"""Every output path on OCR results: parse --json, check --format csv, ingest, export (issue 11).

The scan is one of the real reports printed and rescanned at test time (``gongkai.corpus.scan``:
200 dpi, tilted, sensor noise, JPEG pages in an image-only PDF). Each command runs as a subprocess,
as a user runs it, so nothing in-process can paper over a value JSON or SQL cannot take.
"""

from __future__ import annotations

import csv
import io
import json
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from gongkai.corpus import scan

from .conftest import SHARED, seed_path

REAL = SHARED / "fixtures" / "real" / "2024_淮安市洪泽区人民政府.pdf"
SRC = str(Path(__file__).resolve().parents[1] / "src")


def _cli(*args: str, timeout: int = 600) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.run(
        [sys.executable, "-m", "gongkai.cli", *args], capture_output=True, text=True, env=env, timeout=timeout
    )


@pytest.fixture(scope="module")
def scanned(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("scan") / "2024_洪泽区_扫描件.pdf"
    out.write_bytes(scan.image_pdf(scan.pages(REAL.read_bytes(), random.Random(11))))
    return out


@pytest.fixture(scope="module")
def table_page(tmp_path_factory) -> Path:
    """Page 3 of the same report alone (table 三), scanned: the ingest and export paths need OCR'd
    cells, not the whole report, and each CLI run OCRs its file again."""
    out = tmp_path_factory.mktemp("scan1") / "洪泽区_第3页_扫描件.pdf"
    out.write_bytes(scan.image_pdf(scan.pages(REAL.read_bytes(), random.Random(11))[2:3]))
    return out


@pytest.fixture(scope="module")
def born_digital() -> dict:
    done = _cli("parse", "--json", str(REAL))
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_parse_json_of_a_scan(scanned, born_digital):
    done = _cli("parse", "--json", str(scanned))
    assert done.returncode == 0, done.stderr[-2000:]
    doc = json.loads(done.stdout)
    assert doc["agency"]["name"] == "淮安市洪泽区人民政府" and doc["year"] == 2024
    assert doc["cells"] == born_digital["cells"]  # every number of the printed report, read by OCR
    src = doc["cell_sources"]["t3.new.total"]
    assert type(src["confidence"]) is float and 0.9 < src["confidence"] <= 1
    assert all(type(v) is float for v in src["source"]["bbox"])


def test_check_csv_of_a_scan(scanned):
    done = _cli("check", "--format", "csv", str(scanned), str(seed_path("003")))
    assert done.returncode == 1, done.stderr[-2000:]  # seed 003 breaks an identity; the scan breaks none
    header, *rows = list(csv.reader(io.StringIO(done.stdout.lstrip("\ufeff"))))
    assert header[0] == "file" and rows
    scan_rows = [r for r in rows if "003_" not in r[0]]
    # No read error and no error for the (clean) scan: only the warning its printed report has too (its
    # text says 17 applications were received, its table 95), read from the OCR'd prose.
    assert [(r[5], r[6]) for r in scan_rows] == [("text.received", "warning")]
    assert any(r[6] == "error" for r in rows)


def test_ingest_a_batch_with_a_scan_stores_every_file(table_page, tmp_path):
    batch = tmp_path / "batch"
    batch.mkdir()
    shutil.copy(table_page, batch / table_page.name)
    for p in ("000", "001"):
        shutil.copy(seed_path(p), batch / seed_path(p).name)
    db = f"sqlite:///{tmp_path / 'g.db'}"
    done = _cli("ingest", str(batch), "--db", db, "-j", "1")
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "新导入 3 份" in done.stdout and "失败 0 个" in done.stdout

    from sqlalchemy import text

    from gongkai.store import Store

    store = Store.open(db)
    with store.engine.connect() as c:
        conf = c.execute(
            text(
                "select confidence, provenance from cell where cell_id = 't3.new.total' and confidence is not null"
            )
        ).all()
    assert len(conf) == 1 and conf[0][0] > 0.9 and json.loads(conf[0][1])["page"] == 1
    assert not store.failures.list()


@pytest.mark.parametrize("suffix", ["json", "csv"])
def test_export_of_a_scan(table_page, tmp_path, suffix):
    out = tmp_path / f"scan.{suffix}"
    done = _cli("export", str(table_page), "-o", str(out), "--shape", "tidy")
    assert done.returncode == 0, done.stderr[-2000:]
    body = out.read_bytes().decode("utf-8-sig")
    assert "t3.new.total" in body and table_page.name in body
    if suffix == "json":
        rows = json.loads(body)
        row = next(r for r in rows if r.get("cell_id") == "t3.new.total")
        assert row["value"] == 95 and isinstance(row["confidence"], float)
