""".doc / .wps reader: LibreOffice converts the Word binary to DOCX, the DOCX reader reads it.

The .doc fixture is made once per session from a python-docx report (DOCX → ODT → DOC, the route
that keeps tables); the .wps is the same OLE2 bytes under the Kingsoft extension.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
from pathlib import Path

import docx
import pytest

from gongkai import api
from gongkai.document import Document, Paragraph, Provenance, Table
from gongkai.errors import UnreadableFile
from gongkai.readers import legacy
from gongkai.readers.docx import read_docx
from gongkai.readers.legacy import check_tables, convert_many, count_cell_marks, read_legacy
from gongkai.readers.sniff import OLE

from .docx_fixtures import AGENCY, T3, TITLE, build_report, t3_values, t4_values

T3_ROWS = 3 + len(T3.rows)  # three header rows


def _soffice(fmt: str, outdir: Path, *inputs: Path) -> None:
    binary = legacy.soffice_binary()
    assert binary, "LibreOffice (soffice) must be installed: apt-get install libreoffice-writer-nogui"
    subprocess.run(
        [binary, f"-env:UserInstallation={legacy.profile_dir().as_uri()}", "--headless"]
        + ["--convert-to", fmt, "--outdir", str(outdir)]
        + [str(p) for p in inputs],
        check=True,
        capture_output=True,
        timeout=180,
    )


@pytest.fixture(scope="session")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("legacy")
    source = build_report(folder / "report.docx")
    _soffice("odt", folder, source)
    _soffice("doc:MS Word 97", folder, folder / "report.odt")
    doc = folder / "report.doc"
    assert doc.read_bytes().startswith(b"\xd0\xcf\x11\xe0")
    wps = folder / "报告.wps"
    shutil.copyfile(doc, wps)
    return {"docx": source, "doc": doc, "wps": wps}


def _grid(table: Table) -> dict[tuple[int, int], tuple[str, int, int]]:
    return {(c.prov.row, c.prov.col): (c.text, c.rowspan, c.colspan) for row in table.rows for c in row}


def test_doc_tables_keep_cells_and_spans(files: dict[str, Path]) -> None:
    doc = read_legacy(files["doc"].read_bytes(), "report.doc")
    assert doc.media_type == OLE and doc.source == "report.doc"
    assert doc.warnings == []
    paras = doc.paragraphs()
    assert (paras[0].text, paras[0].kind) == (TITLE, "heading")
    assert (paras[1].text, paras[1].kind, paras[1].level) == ("一、总体情况", "heading", 1)
    assert [p.text for p in paras[2:4]] == ["第一行正文", "第二行正文"]
    t3, t4 = doc.tables()
    assert t3.grid and t4.grid
    g = _grid(t3)
    assert g[(0, 0)][1:] == (3, 3)
    assert g[(0, 3)] == ("申请人情况", 1, 7)
    assert g[(1, 3)] == ("自然人", 2, 1)
    assert g[(1, 4)] == ("法人或其他组织", 1, 5)
    assert g[(3, 0)][1:] == (1, 3)
    assert g[(5, 0)] == ("三、本年度办理结果", 22, 1)
    assert g[(7, 1)] == ("（三）不予公开", 8, 1)
    values = t3_values()
    assert g[(3, 3)] == (str(values["t3.new.np"]), 1, 1)
    assert g[(T3_ROWS - 1, 9)] == (str(values["t3.forward.total"]), 1, 1)
    assert len(t3.rows) == T3_ROWS and all(len(r) == 8 for r in t3.rows[3:5])
    g4 = _grid(t4)
    assert g4[(0, 5)] == ("行政诉讼", 1, 10)
    assert g4[(1, 0)] == ("结果维持", 2, 1)
    assert g4[(3, 14)] == (str(t4_values()["t4.after.total"]), 1, 1)


def test_wps_end_to_end_by_content_not_extension(files: dict[str, Path]) -> None:
    report = api.parse(files["wps"])
    assert report.template == "2021" and report.year == 2021
    assert report.agency is not None and report.agency.name == AGENCY
    expected = {**t3_values(), **t4_values()}
    values = report.values()
    assert {k: values[k] for k in expected} == expected
    assert report.cells["t3.granted.biz"].prov.file == str(files["wps"])


def test_cell_marks_counted_from_the_word_binary(files: dict[str, Path]) -> None:
    # Word ends every cell (vertical merge continuations included) and every row with U+0007.
    source = docx.Document(str(files["docx"]))
    expected = sum(len(r._tr.tc_lst) + 1 for t in source.tables for r in t.rows)
    assert count_cell_marks(files["doc"].read_bytes()) == expected
    assert count_cell_marks(b"not ole") is None


def test_lost_tables_are_reported(files: dict[str, Path]) -> None:
    data = files["doc"].read_bytes()
    no_tables = Document("x.doc", blocks=[Paragraph("正文", Provenance("x.doc"))])
    check_tables(no_tables, data)
    assert len(no_tables.warnings) == 1 and "没有表格" in no_tables.warnings[0]
    full = read_docx(files["docx"].read_bytes(), "x.doc")
    check_tables(full, data)
    assert full.warnings == []
    t3 = full.tables()[0]
    t3.rows = t3.rows[:3]  # the table broke off after its header, as seen with LibreOffice
    check_tables(full, data)
    assert len(full.warnings) == 1 and "丢失" in full.warnings[0]


def test_convert_many_in_one_call(files: dict[str, Path], tmp_path: Path) -> None:
    other = tmp_path / "b"
    other.mkdir()
    same_stem = other / "report.doc"
    shutil.copyfile(files["doc"], same_stem)
    out = tmp_path / "out"
    mapping = convert_many([files["doc"], files["wps"], same_stem], out)
    assert mapping == {
        files["doc"]: out / "report.docx",
        files["wps"]: out / "报告.docx",
        same_stem: out / "report-2.docx",
    }
    for produced in mapping.values():
        assert produced is not None
        tables = read_docx(produced.read_bytes(), str(produced)).tables()
        assert [len(t.rows) for t in tables] == [T3_ROWS, 4]
    assert convert_many([], out) == {}


def _rename_stream(data: bytes, old: str, new: str) -> bytes:
    """The same OLE2 file with one directory entry renamed (the stream's bytes untouched)."""
    raw = bytearray(data)
    key = old.encode("utf-16-le") + b"\x00\x00"
    at = raw.find(key)
    assert at >= 0
    name = new.encode("utf-16-le") + b"\x00\x00"
    raw[at : at + 64] = name.ljust(64, b"\x00")
    struct.pack_into("<H", raw, at + 64, len(name))
    return bytes(raw)


def test_damaged_and_other_ole_files_are_refused_without_libreoffice(
    files: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    data = files["doc"].read_bytes()
    # Each case must be decided before LibreOffice runs (it would import them as garbage text).
    monkeypatch.setattr(legacy, "_convert", lambda *a: pytest.fail("LibreOffice was called"))
    cases = {
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(range(256)) * 8: "已损坏",
        data[:1536]: "WordDocument",
        _rename_stream(data, "WordDocument", "Workbook"): "Excel",
        _rename_stream(data, "WordDocument", "EncryptedPackage"): "加密",
    }
    for bad, words in cases.items():
        with pytest.raises(UnreadableFile, match=words) as err:
            read_legacy(bad, "bad.doc")
        assert err.value.problem_en and err.value.source == "bad.doc"


def test_missing_libreoffice_says_what_to_install(
    files: dict[str, Path], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(UnreadableFile, match="apt-get install libreoffice-writer-nogui") as err:
        read_legacy(files["doc"].read_bytes(), "a.doc")
    assert "LibreOffice" in err.value.problem_en


def _processes_using(marker: str) -> list[int]:
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if marker.encode() in cmdline:
            found.append(int(pid))
    return found


def test_timeout_ends_libreoffice(
    files: dict[str, Path], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    profile = tmp_path / "timeout-profile"
    monkeypatch.setattr(legacy, "profile_dir", lambda: profile)
    monkeypatch.setattr(legacy, "TIMEOUT", 0.8)  # soffice.bin is up by then
    with pytest.raises(UnreadableFile, match="超时") as err:
        read_legacy(files["doc"].read_bytes(), "slow.doc")
    assert "timed out" in err.value.problem_en
    assert _processes_using(str(profile)) == []
