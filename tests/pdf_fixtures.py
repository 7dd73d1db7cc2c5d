"""PDF fixtures made at test time: WeasyPrint layouts (a table row cut by a page break, a continued table
that lost a vertical rule, a long non-report, an image-only page) and an RC4-encrypted PDF written by hand
(no PDF library here can encrypt)."""

from __future__ import annotations

import base64
import hashlib
import io
from pathlib import Path

LONG_LABEL = "没有现成信息需要另行制作这是一段很长的标签文字用于测试表格的一行被分页切成两段的情况"
_CSS = """
@page { size: A4; margin: 20mm }
body { font-family: 'Noto Serif CJK SC', 'WenQuanYi Zen Hei'; font-size: 12pt }
table { border-collapse: collapse; width: 170mm; table-layout: fixed }
td { border: 0.5pt solid black; padding: 2pt; vertical-align: top }
"""


def _pdf(html: str) -> bytes:
    import weasyprint

    return weasyprint.HTML(string=html).write_pdf()


def split_row_pdf(rows_before: int, orphans: int) -> bytes:
    """A 3-column table whose long-label row falls on the page break. With ``orphans`` 1 the label's
    lines are divided between the pages (values above); with 2 the whole 3-line label moves down and
    the values stay above."""
    rows = "".join(
        f"<tr><td>第{i}行标签</td><td>{i}</td><td>{i * 2}</td></tr>" for i in range(1, rows_before + 1)
    )
    html = f"""<html><head><style>{_CSS}
td {{ orphans: {orphans}; widows: {orphans} }} td:first-child {{ width: 60mm }}
</style></head><body><table>{rows}<tr><td>{LONG_LABEL}</td><td>3</td><td>6</td></tr>
<tr><td>最后一行</td><td>1</td><td>2</td></tr></table></body></html>"""
    return _pdf(html)


def lost_rule_pdf() -> bytes:
    """A 4-column table filling page 1, continued on page 2 without the rule between columns 3 and 4."""

    def row(cells: list[object]) -> str:
        return "<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>"

    cols = "<colgroup><col style='width:80mm'><col span=3 style='width:30mm'></colgroup>"
    upper = "".join(row([f"第{i}行标签", i, i * 2, i * 3]) for i in range(1, 30))
    lower = "".join(row([f"续{i}行", i, i + 10, i + 20]) for i in range(1, 4))
    html = f"""<html><head><style>{_CSS}
td {{ text-align: center }}
table.lost td:nth-child(3) {{ border-right: none }} table.lost td:nth-child(4) {{ border-left: none }}
</style></head><body><table>{cols}{upper}</table>
<table class=lost style="break-before: page">{cols}{lower}</table></body></html>"""
    return _pdf(html)


def long_pdf(pages: int) -> bytes:
    """``pages`` pages of text that is no annual report, with a running header and page numbers."""
    body = "".join(
        f"<p style='break-after: page'>第{i}段：与公开工作无关的普通长文档。Lorem ipsum {i}.</p>"
        for i in range(1, pages + 1)
    )
    html = f"""<html><head><style>{_CSS}
@page {{ @top-center {{ content: '某某单位内部资料' }} @bottom-center {{ content: '- ' counter(page) ' -' }} }}
</style></head><body>{body}</body></html>"""
    return _pdf(html)


def scan_pdf(real_pdf: Path, page: int, top: float, bottom: float) -> bytes:
    """A PDF whose only page is a picture (150 dpi) of a strip of a real PDF page: no text layer."""
    import pypdfium2 as pdfium

    scale = 150 / 72
    doc = pdfium.PdfDocument(real_pdf.read_bytes())
    try:
        img = doc[page - 1].render(scale=scale).to_pil()
    finally:
        doc.close()
    img = img.crop((0, int(top * scale), img.width, int(bottom * scale)))
    buf = io.BytesIO()
    img.save(buf, "PNG")
    uri = "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()
    return _pdf(
        f"<html><head><style>{_CSS}</style></head><body><img src='{uri}' style='width:170mm'></body></html>"
    )


# ---------------------------------------------------------------- encryption (PDF 1.4 standard handler, R2)

_PAD = bytes.fromhex("28BF4E5E4E758A4164004E56FFFA01082E2E00B6D0683E802F0CA9FE6453697A")


def _rc4(key: bytes, data: bytes) -> bytes:
    s = list(range(256))
    j = 0
    for i in range(256):
        j = (j + s[i] + key[i % len(key)]) % 256
        s[i], s[j] = s[j], s[i]
    out = bytearray()
    i = j = 0
    for b in data:
        i = (i + 1) % 256
        j = (j + s[i]) % 256
        s[i], s[j] = s[j], s[i]
        out.append(b ^ s[(s[i] + s[j]) % 256])
    return bytes(out)


def encrypted_pdf(user_password: bytes, owner_password: bytes = b"owner") -> bytes:
    """A one-page PDF ("Hello encrypted") under 40-bit RC4 that needs ``user_password`` to open."""
    pad = lambda pw: (pw + _PAD)[:32]  # noqa: E731
    perms = -4
    file_id = hashlib.md5(b"gongkai-test").digest()
    o_entry = _rc4(hashlib.md5(pad(owner_password)).digest()[:5], pad(user_password))
    key = hashlib.md5(
        pad(user_password) + o_entry + perms.to_bytes(4, "little", signed=True) + file_id
    ).digest()[:5]
    u_entry = _rc4(key, _PAD)

    def obj_key(num: int) -> bytes:
        return hashlib.md5(key + num.to_bytes(3, "little") + (0).to_bytes(2, "little")).digest()[:10]

    content = _rc4(obj_key(4), b"BT /F1 24 Tf 72 720 Td (Hello encrypted) Tj ET")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Filter /Standard /V 1 /R 2 /O <%s> /U <%s> /P %d >>"
        % (o_entry.hex().encode(), u_entry.hex().encode(), perms),
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    fid = file_id.hex().encode()
    out += b"trailer\n<< /Size %d /Root 1 0 R /Encrypt 6 0 R /ID [<%s> <%s>] >>\n" % (
        len(objects) + 1,
        fid,
        fid,
    )
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def garbled_pdf(pdf: bytes) -> bytes:
    """The PDF with every font's ToUnicode map replaced by the identity: each glyph's code taken as its
    Unicode code point, which is what a reader gets from a CID font that has no usable map. The pages
    look the same; their text layer is mojibake (rare CJK, Devanagari, control characters …).

    Rewritten by hand (PDFs without object streams): each object copied, the ToUnicode streams
    recompressed, and a classic xref table written in place of the original one."""
    import re
    import zlib

    objs = {int(m.group(1)): m.start() for m in re.finditer(rb"(?<=\n)(\d+) 0 obj\b", pdf)}
    assert objs and b"/ObjStm" not in pdf, "only PDFs without object streams"
    maps = {int(n) for n in re.findall(rb"/ToUnicode (\d+) 0 R", pdf)}
    ends = [*sorted(objs.values()), len(pdf)]
    out = io.BytesIO()
    out.write(pdf[: ends[0]])
    offsets: dict[int, int] = {}
    root = re.search(rb"/Root (\d+ \d+ R)", pdf)
    assert root
    for num, start in sorted(objs.items(), key=lambda kv: kv[1]):
        body = pdf[start : ends[ends.index(start) + 1]]
        body = body[: body.rindex(b"endobj") + len(b"endobj")] + b"\n"
        if b"/Type /XRef" in body or b"/Type/XRef" in body:
            continue
        if num in maps:
            head = re.match(rb"\d+ 0 obj\s*<<.*?>>\s*stream\r?\n", body, re.S)
            assert head
            length = int(re.search(rb"/Length (\d+)", head.group(0)).group(1))
            cmap = zlib.decompress(body[head.end() : head.end() + length])
            cmap = re.sub(rb"<([0-9A-Fa-f]{4})> <[0-9A-Fa-f]{4}>", rb"<\1> <\1>", cmap)  # bfchar
            cmap = re.sub(
                rb"<([0-9A-Fa-f]{4})> <([0-9A-Fa-f]{4})> <[0-9A-Fa-f]{4}>", rb"<\1> <\2> <\1>", cmap
            )  # bfrange
            data = zlib.compress(cmap)
            body = f"{num} 0 obj\n<</Filter /FlateDecode/Length {len(data)}>>\nstream\n".encode()
            body += data + b"\nendstream\nendobj\n"
        offsets[num] = out.tell()
        out.write(body)
    xref = out.tell()
    size = max(offsets) + 1
    out.write(f"xref\n0 {size}\n0000000000 65535 f \n".encode())
    for n in range(1, size):
        out.write(f"{offsets[n]:010d} 00000 n \n".encode() if n in offsets else b"0000000000 65535 f \n")
    out.write(f"trailer\n<</Size {size}/Root {root.group(1).decode()}>>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()
