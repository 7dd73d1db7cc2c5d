"""Document → Report: everything that knows what an annual report looks like, nothing about file formats."""

from __future__ import annotations

from functools import lru_cache

from ..document import Document, Paragraph, Table
from ..formats import FORMAT_2019, FORMAT_2021, FORMATS, Format, format_for_year
from ..formats.official import T3_OTHER_SINGLE
from ..report import Cell, Report
from ..rules.conformance import issue_finding
from . import values as V
from .agency import extract_meta
from .narrative import find_facts
from .sections import find_headings, split_run_on, split_sections
from .stream import is_stream_table, stream_table
from .tables import Found, Issue, extract_tables

_ONLY_2019 = frozenset(FORMAT_2019.t2.cell_ids()) - frozenset(FORMAT_2021.t2.cell_ids())
_ONLY_2021 = (frozenset(FORMAT_2021.t2.cell_ids()) - frozenset(FORMAT_2019.t2.cell_ids())) | frozenset(
    FORMAT_2021.t3.cell_ids([r.id for r in FORMAT_2021.t3.rows if r.id.startswith("other.")])
)


def extract(doc: Document) -> Report:
    """Build the report from a read document. Rules are not run here (see ``gongkai.rules``)."""
    meta = extract_meta(doc)
    doc = split_run_on(doc)
    headings = find_headings(doc)
    sections = split_sections(doc, headings)
    tables = _tables_by_section(doc, headings)
    found = extract_tables(tables)
    if not any(c.startswith("t3.") for c in reversed(found.cells)):  # from the end: t3 and t4 come last
        streams = _stream_tables(doc, headings)
        if streams:
            found = extract_tables(tables + streams)

    report = Report(source=doc.source, media_type=doc.media_type)
    report.title = meta.title
    report.year = meta.year
    report.agency = meta.agency
    report.signature_date = meta.signature_date
    report.sections = sections

    fmt, template = _detect_format(found, meta.year)
    report.template = template
    issues = list(found.issues)
    if meta.year and meta.period_year and meta.year != meta.period_year:
        issues.append(Issue("conf.year_mismatch", f"{meta.year}/{meta.period_year}", [], meta.title_prov))
    if template in ("2019", "2021") and meta.year and not FORMATS[template].applies_to(meta.year):
        issues.append(Issue("conf.format_year", f"{template}/{meta.year}", [], meta.title_prov))
    if template == "mixed":
        issues.append(Issue("conf.format_mixed", "", [], None))
    report.cells = _cells(fmt, found, issues)
    issues = _merge_recovered(issues)

    first = headings[0].block if headings else len(doc.blocks)
    preamble = [(b.text, b.prov) for b in doc.blocks[:first] if isinstance(b, Paragraph)]
    report.facts = find_facts(sections, preamble)
    report.issues = [issue_finding(i, fmt) for i in issues]
    report.findings = list(report.issues)
    return report


def _tables_by_section(doc: Document, headings: list) -> list[tuple[Table, str | None]]:
    return _blocks_by_section(doc, headings, Table)


def _blocks_by_section(doc: Document, headings: list, kind: type) -> list:
    """Blocks of one kind paired with the id of the section they stand in."""
    out = []
    k, section = 0, None
    for i, block in enumerate(doc.blocks):
        while k < len(headings) and headings[k].block <= i:
            section = headings[k].section.id if headings[k].section else None
            k += 1
        if isinstance(block, kind):
            out.append((block, section))
    return out


def _merge_recovered(issues: list[Issue]) -> list[Issue]:
    """One note per table for rows recovered from glued digits, not one per row."""
    out: list[Issue] = []
    merged: dict[str, Issue] = {}
    for issue in issues:
        if issue.rule != "repair.recovered":
            out.append(issue)
            continue
        table = issue.cells[0].split(".", 1)[0] if issue.cells else ""
        if table in merged:
            merged[table].cells.extend(issue.cells)
            if len(merged[table].detail) < 80:
                merged[table].detail += f"；{issue.detail}"
        else:
            merged[table] = Issue(issue.rule, issue.detail, list(issue.cells), issue.prov)
            out.append(merged[table])
    return out


def _stream_tables(doc: Document, headings: list) -> list[tuple[Table, str | None]]:
    out = []
    for table, section in _blocks_by_section(doc, headings, Paragraph):
        if is_stream_table(table.text):
            out.append((stream_table(table), section))
    return out


def _detect_format(found: Found, year: int | None) -> tuple[Format, str | None]:
    ids = found.cells.keys()
    s19 = not _ONLY_2019.isdisjoint(ids)
    s21 = not _ONLY_2021.isdisjoint(ids)
    if s19 and s21:
        return (format_for_year(year) if year else FORMAT_2021), "mixed"
    if s19:
        return FORMAT_2019, "2019"
    if s21:
        return FORMAT_2021, "2021"
    if year:
        return format_for_year(year), format_for_year(year).id
    return FORMAT_2021, None


def t3_rows(fmt: Format, found_ids: set[str] | frozenset[str]) -> list[str]:
    """The table 三 rows of this report: the format's, with （六） as one row where the report keeps one."""
    rows = [r.id for r in fmt.t3.rows]
    for alt, replaced in fmt.t3.alternatives:
        alt_prefix, split_prefixes = f"t3.{alt.id}.", tuple(f"t3.{r}." for r in replaced)
        has_alt = any(c.startswith(alt_prefix) for c in found_ids)
        has_split = any(c.startswith(split_prefixes) for c in found_ids)
        if has_alt and not has_split:
            at = rows.index(replaced[0])
            rows = [*rows[:at], alt.id, *(r for r in rows[at:] if r not in replaced)]
    return rows


def _cells(fmt: Format, found: Found, issues: list[Issue]) -> dict[str, Cell]:
    ids = set(found.cells)
    skeleton = _skeleton(fmt.id, tuple(t3_rows(fmt, ids)))
    # Every cell of the skeleton, in its order; those the report did not print stay Cell(None).
    cells: dict[str, Cell | None] = dict.fromkeys(skeleton)
    kinds, parse, other = _KINDS, V.parse, (f"t3.{T3_OTHER_SINGLE.id}.", "t3.other.")
    for cid, raw in found.cells.items():
        if cid not in cells and cid.startswith(other):
            continue  # the other shape of （六）, printed beside the one the report uses
        try:
            p = parse(raw.text, kinds.get(cid, "count"))  # type: ignore[arg-type]
        except V.BadValue as e:
            issues.append(Issue("conf.value_unreadable", f"{raw.text!r}: {e}", [cid], raw.prov))
            cells[cid] = Cell(None, raw.text, raw.prov, confidence=raw.confidence)
            continue
        printed = raw.original if raw.original is not None else (raw.text or None)
        recovered = raw.original is not None and p.value is not None
        cells[cid] = Cell(p.value, printed, raw.prov, p.unit, p.stated_total, raw.confidence, recovered)
    for cid, cell in cells.items():
        if cell is None:
            cells[cid] = Cell(None)
    return cells  # type: ignore[return-value]


@lru_cache(maxsize=16)
def _skeleton(fmt_id: str, rows: tuple[str, ...]) -> tuple[str, ...]:
    """Every cell ID of the format with these table 三 rows (a handful of layouts in all)."""
    return tuple(FORMATS[fmt_id].cell_ids(list(rows)))  # type: ignore[index]


_KINDS = {cid: fmt.kind_of(cid) for fmt in (FORMAT_2021, FORMAT_2019) for cid in fmt.cell_ids()}


def _kind(cell_id: str) -> str:
    return _KINDS.get(cell_id, "count")
