"""The two documents a 政务公开办's review of annual reports produces, as data and as DOCX/PDF.

* 检查情况通报 (``Circular``): the overall result of checking one region's reports for one year — who
  published on time, late or not at all, the confirmed problems grouped by rule with examples, the
  agencies with most problems, the standard requirements, and an annex table of every agency.
* 整改通知 (``Notice``): to one agency, the confirmed problems of its report, cell by cell, with the
  rule each breaks, the reviewer's note and the rectification deadline.

The dataclasses are plain data: the review workflow fills them from the store (only confirmed findings go
into them; dismissed ones are counted). The renderers are pure: the same data gives the same bytes'
text. Layout follows GB/T 9704 (see ``render``); the wording is in ``texts_zh`` (Chinese; ``lang`` is
the hook for other languages, "zh" the only one so far).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from . import render
from . import texts_zh as zh


@dataclass(frozen=True)
class AgencyLine:
    """One agency mentioned in a document."""

    name: str
    region: str = ""  # e.g. "440305 广东省深圳市南山区" or ""
    kind: str = ""  # "government" | "department" | ""


@dataclass(frozen=True)
class LateLine:
    agency: AgencyLine
    deadline: dt.date  # Art. 49: departments 31 Jan, governments 31 Mar
    published: dt.date  # signature or publication date


@dataclass(frozen=True)
class Example:
    agency: AgencyLine
    cells: tuple[str, ...]  # human labels of the cells involved, e.g. ("表三 本年新收·总计",)
    values: tuple[str, ...]  # the printed values of those cells
    message: str  # the finding's message


@dataclass(frozen=True)
class ProblemGroup:
    rule: str  # rule id, e.g. "t3.balance"
    title: str  # human rule name / description
    severity: str  # "error" | "warning" | "info"
    agencies: int  # number of agencies with this confirmed problem
    findings: int  # number of confirmed findings
    examples: tuple[Example, ...]


@dataclass(frozen=True)
class RankLine:
    agency: AgencyLine
    confirmed: int  # confirmed problems
    errors: int
    status: str  # review status label, e.g. "需整改"


@dataclass(frozen=True)
class AnnexRow:
    agency: AgencyLine
    published: str  # "按时" | "逾期" | "未发布"
    date: str  # ISO date or ""
    template: str  # "2019年版" / "2021年版" / "未识别"
    errors: int
    warnings: int
    confirmed: int
    dismissed: int
    status: str


@dataclass(frozen=True)
class Circular:
    """检查情况通报."""

    region_code: str
    region_name: str  # e.g. "广东省深圳市"
    year: int  # the report year reviewed
    issuer: str  # e.g. "深圳市人民政府办公厅" (may be "")
    date: dt.date  # date of the circular
    expected: int  # agencies expected to publish
    published: int
    on_time: int
    late: tuple[LateLine, ...]
    missing: tuple[AgencyLine, ...]
    reports_with_errors: int  # reports with confirmed errors
    confirmed: int  # confirmed findings in all
    dismissed: int
    problems: tuple[ProblemGroup, ...]
    ranking: tuple[RankLine, ...]
    annex: tuple[AnnexRow, ...]
    # Optional parts (all may stay empty):
    document_no: str = ""  # 发文字号, e.g. "深府办函〔2026〕12号"
    addressee: str = ""  # 主送机关; "" gives "各有关单位："
    due: dt.date | None = None  # rectification deadline; None gives "15 working days from receipt"
    contact: str = ""  # e.g. "张三，0755-12345678"


@dataclass(frozen=True)
class NoticeItem:
    cells: tuple[str, ...]  # human labels
    values: tuple[str, ...]
    rule: str
    rule_title: str
    severity: str
    message: str
    note: str = ""  # reviewer's note


@dataclass(frozen=True)
class Notice:
    """整改通知 to one agency."""

    agency: AgencyLine
    year: int
    report_title: str
    issuer: str
    date: dt.date
    due: dt.date | None  # rectification deadline; None gives "15 working days from receipt"
    items: tuple[NoticeItem, ...]
    # Optional parts:
    document_no: str = ""  # 发文字号
    contact: str = ""  # "" leaves a blank 联系人/联系电话 line to fill in by hand
    url: str = ""  # where the report was published


LANGS = ("zh",)


def _compose(doc: Circular | Notice, lang: str) -> render.Composed:
    if lang not in LANGS:
        raise ValueError(f"unsupported language {lang!r}; supported: {', '.join(LANGS)}")
    if isinstance(doc, Circular):
        return zh.circular(doc)
    if isinstance(doc, Notice):
        return zh.notice(doc)
    raise TypeError(f"expected a Circular or a Notice, got {type(doc).__name__}")


def circular_docx(c: Circular, lang: str = "zh") -> bytes:
    """The 检查情况通报 as DOCX bytes."""
    return render.to_docx(_compose(c, lang))


def circular_pdf(c: Circular, lang: str = "zh") -> bytes:
    """The 检查情况通报 as PDF bytes (fonts embedded)."""
    return render.to_pdf(_compose(c, lang))


def notice_docx(n: Notice, lang: str = "zh") -> bytes:
    """The 整改通知 as DOCX bytes."""
    return render.to_docx(_compose(n, lang))


def notice_pdf(n: Notice, lang: str = "zh") -> bytes:
    """The 整改通知 as PDF bytes (fonts embedded)."""
    return render.to_pdf(_compose(n, lang))


def to_html(doc: Circular | Notice, lang: str = "zh") -> str:
    """The HTML page the PDF is printed from (a preview for the web UI)."""
    return render.to_html(_compose(doc, lang))


def write(doc: Circular | Notice, path: str | Path, lang: str = "zh") -> None:
    """Write ``doc`` to ``path`` as DOCX or PDF, chosen by the suffix (.docx / .pdf)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".docx", ".pdf"):
        raise ValueError(f"cannot write {path.name!r}: the file name must end in .docx or .pdf")
    composed = _compose(doc, lang)
    data = render.to_docx(composed) if suffix == ".docx" else render.to_pdf(composed)
    path.write_bytes(data)


def filename(doc: Circular | Notice, suffix: str = ".docx") -> str:
    """A file-system-safe name for the document, e.g. "关于2025年度…的通报.docx"."""
    return zh.filename(_compose(doc, "zh").title, suffix)
