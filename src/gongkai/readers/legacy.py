"""Legacy Word binaries (.doc, and Kingsoft .wps in the same OLE2 format): LibreOffice → DOCX → docx reader.

LibreOffice runs headless with a profile of its own per worker process (two soffice processes on
one profile make the second silently write nothing), inside a temporary folder, under a timeout.
The file extension never matters: LibreOffice detects the format from the content.

LibreOffice has been seen to drop a table while converting, so the table cells the original
carries are counted from its own text stream (Word marks every cell end with U+0007) and compared
with the cells that came out; a shortfall is reported in ``doc.warnings``.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import signal
import struct
import subprocess
import tempfile
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from ..document import Document
from ..errors import UnreadableFile
from .docx import read_docx
from .sniff import OLE

TIMEOUT = 120.0  # seconds for one file; a batch gets more per file
TIMEOUT_PER_FILE = 30.0
INSTALL_HINT_ZH = "请安装 LibreOffice（Debian/Ubuntu：apt-get install libreoffice-writer-nogui）"
INSTALL_HINT_EN = "install LibreOffice (Debian/Ubuntu: apt-get install libreoffice-writer-nogui)"
_SUFFIXES = {".doc", ".dot", ".wps", ".wpt", ".rtf"}

_lock = threading.Lock()  # one conversion at a time per process: the profile is per process


def read_legacy(data: bytes, source: str) -> Document:
    _check_container(data, source)
    with tempfile.TemporaryDirectory(prefix="gongkai-doc-") as tmp:
        src = Path(tmp) / "input.doc"
        src.write_bytes(data)
        out = Path(tmp) / "out"
        out.mkdir()
        result = _convert([src], out, TIMEOUT, source)
        if result.timed_out:
            raise UnreadableFile(
                source,
                f"LibreOffice 转换超时（{TIMEOUT:.0f} 秒），文件可能已损坏",
                f"LibreOffice conversion timed out after {TIMEOUT:.0f} s; the file may be damaged",
            )
        produced = result.get(src)
        if produced is None:
            raise _failed(source, result.messages)
        converted = produced.read_bytes()
    doc = read_docx(converted, source)
    doc.media_type = OLE
    check_tables(doc, data)
    return doc


def convert_many(paths: Sequence[str | Path], outdir: str | Path) -> dict[Path, Path | None]:
    """Convert many .doc/.wps files to DOCX in one LibreOffice call (start-up paid once).

    Returns input path → the DOCX written in ``outdir`` (named after the input's stem, made unique),
    or None for a file LibreOffice could not convert (or did not reach before the batch timed out).
    Raises UnreadableFile when LibreOffice is missing.
    """
    out_root = Path(outdir)
    out_root.mkdir(parents=True, exist_ok=True)
    inputs = [Path(p) for p in paths]
    if not inputs:
        return {}
    with tempfile.TemporaryDirectory(prefix="gongkai-docs-") as tmp:
        # Unique link names: two inputs with the same stem would overwrite each other's output.
        links: dict[Path, Path] = {}
        for i, p in enumerate(inputs):
            suffix = p.suffix.lower() if p.suffix.lower() in _SUFFIXES else ".doc"
            link = Path(tmp) / f"f{i:06d}{suffix}"
            link.symlink_to(p.resolve())
            links[link] = p
        conv = Path(tmp) / "out"
        conv.mkdir()
        timeout = TIMEOUT + TIMEOUT_PER_FILE * len(inputs)
        result = _convert(list(links), conv, timeout, str(inputs[0]))
        mapping: dict[Path, Path | None] = {}
        used: set[str] = set()
        for link, original in links.items():
            produced = result.get(link)
            if produced is None:
                mapping[original] = None
                continue
            target = _unique(out_root, original.stem, used)
            shutil.move(str(produced), target)
            mapping[original] = target
    return mapping


# ---- running LibreOffice ---------------------------------------------------------------------


class _Result(dict):
    """Input path → converted DOCX path, plus LibreOffice's last messages and whether it timed out."""

    messages: str = ""
    timed_out: bool = False


def soffice_binary() -> str | None:
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return found
    return None


def profile_dir() -> Path:
    """One LibreOffice profile per process, reused across calls (first use builds it, ~0.5 s)."""
    return Path(tempfile.gettempdir()) / f"gongkai-lo-{os.getuid()}" / f"profile-{os.getpid()}"


_cleanup_for: set[int] = set()


def _remember_cleanup(profile: Path) -> None:
    """Remove this process's profile when it exits (forked workers register their own)."""
    if os.getpid() not in _cleanup_for:
        _cleanup_for.add(os.getpid())
        atexit.register(shutil.rmtree, profile, True)


def _convert(inputs: list[Path], outdir: Path, timeout: float, source: str) -> _Result:
    binary = soffice_binary()
    if binary is None:
        raise UnreadableFile(
            source,
            f"读取 DOC/WPS 需要 LibreOffice，但未找到 soffice：{INSTALL_HINT_ZH}",
            f"reading DOC/WPS needs LibreOffice, but soffice was not found: {INSTALL_HINT_EN}",
        )
    profile = profile_dir()
    profile.parent.mkdir(parents=True, exist_ok=True)
    _remember_cleanup(profile)
    cmd = [
        binary,
        f"-env:UserInstallation={profile.as_uri()}",
        "--headless",
        "--invisible",
        "--nologo",
        "--nodefault",
        "--norestore",
        "--nolockcheck",
        "--convert-to",
        "docx:MS Word 2007 XML",
        "--outdir",
        str(outdir),
        *map(str, inputs),
    ]
    result = _Result()
    with _lock:
        result.messages, result.timed_out = _run(cmd, timeout)
    for p in inputs:
        out = outdir / f"{p.stem}.docx"
        if out.is_file() and out.stat().st_size > 0:
            result[p] = out
    return result


def _run(cmd: list[str], timeout: float) -> tuple[str, bool]:
    """LibreOffice's output tail, and True when it had to be killed for taking too long."""
    # A session of its own, so that on timeout the whole tree (oosplash → soffice.bin) is ended.
    proc = subprocess.Popen(
        cmd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        env={**os.environ, "SAL_USE_VCLPLUGIN": "svp"},
    )
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        return "", True
    return out.decode("utf-8", "replace")[-2000:], False


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """End LibreOffice's whole process group: politely first, so that oosplash reaps soffice.bin."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.communicate(timeout=3)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)  # whatever is left of the group
    proc.communicate()


def _unique(folder: Path, stem: str, used: set[str]) -> Path:
    name, k = f"{stem}.docx", 1
    while name in used or (folder / name).exists():
        k += 1
        name = f"{stem}-{k}.docx"
    used.add(name)
    return folder / name


# OLE2 streams that tell what else a compound file is (LibreOffice would import it as plain text).
_OTHER_KINDS = {
    "EncryptedPackage": ("文件已加密（受密码保护）", "the file is encrypted (password protected)"),
    "Workbook": ("这是 Excel 电子表格，不是文字文档", "this is an Excel workbook, not a text document"),
    "Book": ("这是 Excel 电子表格，不是文字文档", "this is an Excel workbook, not a text document"),
    "PowerPoint Document": (
        "这是 PowerPoint 演示文稿，不是文字文档",
        "this is a PowerPoint file, not a text document",
    ),
}
# Streams of word processor files LibreOffice can import: Word 97+/WPS, and Microsoft Works (.wps too).
_TEXT_STREAMS = {"WordDocument", "CONTENTS", "MatOST"}


def _check_container(data: bytes, source: str) -> None:
    """Refuse what LibreOffice would turn into garbage text: a damaged or non-text OLE2 file."""
    try:
        names = set(_Ole(data).names())
    except (struct.error, ValueError, IndexError) as e:
        raise UnreadableFile(
            source,
            "DOC/WPS 文件已损坏（无法读取 OLE 目录）",
            f"DOC/WPS file is damaged (unreadable OLE directory: {e})",
        ) from e
    if names & _TEXT_STREAMS:
        return
    for stream, (zh, en) in _OTHER_KINDS.items():
        if stream in names:
            raise UnreadableFile(source, zh, en)
    raise UnreadableFile(
        source,
        "不是 Word/WPS 文字文档，或文件已损坏（OLE 文件中没有 WordDocument 流）",
        "not a Word/WPS text document, or damaged (no WordDocument stream in the OLE file)",
    )


def _failed(source: str, messages: str) -> UnreadableFile:
    detail = " ".join(line for line in messages.splitlines() if "javaldx" not in line).strip()[-300:]
    return UnreadableFile(
        source,
        f"DOC/WPS 文件无法转换（LibreOffice 未输出结果，文件可能已损坏或加密）{detail}",
        f"DOC/WPS file could not be converted (LibreOffice wrote nothing; damaged or encrypted?) {detail}",
    )


# ---- did the tables survive? -------------------------------------------------------------------


def check_tables(doc: Document, data: bytes) -> None:
    """Warn when the converted document has fewer table cells than the original binary marks."""
    marks = count_cell_marks(data)
    if not marks:
        return
    tables = doc.tables()
    # Word ends each cell and each row with U+0007; rowspan continuation slots are cells there too.
    # A vertically merged cell is one cell per row there; a horizontally merged one is one cell.
    got = sum(1 + sum(c.rowspan for c in row) for t in tables for row in t.rows)
    if not tables:
        doc.warnings.append(
            f"原文件含表格（约 {marks} 个单元格标记），但 LibreOffice 转换后没有表格 / "
            f"the original has tables ({marks} cell marks) but LibreOffice produced none"
        )
    elif got < 0.8 * marks:
        doc.warnings.append(
            f"LibreOffice 转换可能丢失了部分表格（原文件约 {marks} 个单元格标记，转换后 {got} 个）/ "
            f"LibreOffice may have lost table content ({marks} cell marks in the original, {got} after conversion)"
        )


def count_cell_marks(data: bytes) -> int | None:
    """Cell and row end marks (U+0007) in a Word 97+ binary's text, or None when it cannot be read."""
    try:
        ole = _Ole(data)
        word = ole.stream("WordDocument")
        if word is None or len(word) < 0x1A2 + 8 or struct.unpack_from("<H", word, 0)[0] != 0xA5EC:
            return None
        table_name = "1Table" if struct.unpack_from("<H", word, 0x0A)[0] & 0x0200 else "0Table"
        table = ole.stream(table_name)
        fc_clx, lcb_clx = struct.unpack_from("<II", word, 0x01A2)
        if table is None or not lcb_clx or fc_clx + lcb_clx > len(table):
            return None
        return _count_in_pieces(word, table[fc_clx : fc_clx + lcb_clx])
    except (struct.error, ValueError, IndexError):
        return None


def _count_in_pieces(word: bytes, clx: bytes) -> int | None:
    i = 0
    while i < len(clx) and clx[i] == 0x01:  # Prc blocks (formatting) before the piece table
        i += 3 + struct.unpack_from("<H", clx, i + 1)[0]
    if i >= len(clx) or clx[i] != 0x02:
        return None
    lcb = struct.unpack_from("<I", clx, i + 1)[0]
    plc = clx[i + 5 : i + 5 + lcb]
    n = (len(plc) - 4) // 12
    if n <= 0:
        return None
    cps = struct.unpack_from(f"<{n + 1}I", plc, 0)
    count = 0
    for k in range(n):
        fc = struct.unpack_from("<I", plc, 4 * (n + 1) + 8 * k + 2)[0]
        length = max(0, cps[k + 1] - cps[k])
        if fc & 0x40000000:  # 8-bit characters
            start = (fc & 0x3FFFFFFF) // 2
            count += word[start : start + length].count(b"\x07")
        else:
            piece = word[fc : fc + 2 * length]
            count += sum(1 for j in range(0, len(piece) - 1, 2) if piece[j] == 7 and piece[j + 1] == 0)
    return count


# ---- a minimal OLE2 (compound file) reader: just enough to get two streams --------------------

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_END = 0xFFFFFFFE
_MAX_CHAIN = 1 << 20


class _Ole:
    def __init__(self, data: bytes) -> None:
        if not data.startswith(_OLE_MAGIC) or len(data) < 512:
            raise ValueError("not OLE2")
        byte_order, shift, mini_shift = struct.unpack_from("<HHH", data, 28)
        if byte_order != 0xFFFE or shift not in (9, 12) or mini_shift != 6:
            raise ValueError("bad OLE2 header")
        self.data = data
        self.ssz = 1 << shift
        self.mini_ssz = 1 << mini_shift
        n_fat, first_dir, _, self.mini_cutoff, first_minifat, n_minifat, first_difat, n_difat = (
            struct.unpack_from("<IIIIIIII", data, 44)
        )
        difat = list(struct.unpack_from("<109I", data, 76))
        sec = first_difat
        for _ in range(min(n_difat, _MAX_CHAIN)):
            if sec >= _END:
                break
            entries = struct.unpack_from(f"<{self.ssz // 4}I", self._sector(sec))
            difat += entries[:-1]
            sec = entries[-1]
        fat_bytes = b"".join(self._sector(s) for s in difat[:n_fat] if s < _END)
        self.fat = struct.unpack(f"<{len(fat_bytes) // 4}I", fat_bytes)
        self.dir = self._chain(first_dir)
        root = self._entry(0)
        self.ministream = self._chain(root[2])[: root[3]] if root else b""
        mf = self._chain(first_minifat) if n_minifat else b""
        self.minifat = struct.unpack(f"<{len(mf) // 4}I", mf)

    def _sector(self, sec: int) -> bytes:
        start = (sec + 1) * self.ssz
        return self.data[start : start + self.ssz]

    def _chain(
        self, sec: int, fat: tuple[int, ...] | None = None, read: Callable[[int], bytes] | None = None
    ) -> bytes:
        fat = self.fat if fat is None else fat
        read = read or self._sector
        parts, seen = [], set()
        while sec < len(fat) and sec not in seen and len(seen) < _MAX_CHAIN:
            seen.add(sec)
            parts.append(read(sec))
            sec = fat[sec]
        return b"".join(parts)

    def _mini_sector(self, sec: int) -> bytes:
        return self.ministream[sec * self.mini_ssz : (sec + 1) * self.mini_ssz]

    def _entry(self, i: int) -> tuple[str, int, int, int] | None:
        raw = self.dir[i * 128 : (i + 1) * 128]
        if len(raw) < 128:
            return None
        name_len = struct.unpack_from("<H", raw, 64)[0]
        name = raw[: max(0, name_len - 2)].decode("utf-16-le", "replace")
        kind = raw[66]
        start, size = struct.unpack_from("<II", raw, 116)
        return name, kind, start, size

    def names(self) -> list[str]:
        out = []
        for i in range(len(self.dir) // 128):
            e = self._entry(i)
            if e and e[1] in (1, 2):
                out.append(e[0])
        return out

    def stream(self, name: str) -> bytes | None:
        for i in range(len(self.dir) // 128):
            e = self._entry(i)
            if e and e[1] == 2 and e[0] == name:
                _, _, start, size = e
                if size < self.mini_cutoff:
                    return self._chain(start, self.minifat, self._mini_sector)[:size]
                return self._chain(start)[:size]
        return None
