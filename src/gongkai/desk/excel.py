"""The ledger as Excel: export it, read it back, and import an office's hand-kept 台账.

The export has two sheets. 台账 has one row per application in the columns offices already keep (plus
the computed deadline); 事件 has every event of every timeline and is the lossless one: reading our own
export takes the applications from 台账 and their timelines from 事件.

A hand-kept 台账 (one row per application, headers somewhere in the first rows, Chinese spellings that
vary) is read column by column into applications whose timelines are rebuilt from the row's dates and
checked against the regulation. Every problem is collected with its Excel row and column; one problem
anywhere means nothing from the file is imported.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..spreadsheet import unescape, xlsx_append
from .calendar import WorkCalendar
from .deadlines import reply_deadline
from .handkept import (
    FIELD_OF_HEADER,
    FIELDS,
    HEADER_OF,
    REQUIRED,
    cell_text,
    norm,
    read_applicant_type,
    read_channel,
    read_date,
    read_dates,
    read_number,
    read_outcome,
    read_yes,
)
from .ledger import (
    APPLICANT_TYPES,
    CASE_KINDS,
    CASE_RESULTS,
    CHANNELS,
    EVENTS,
    OUTCOMES,
    Application,
    Event,
    LedgerError,
    State,
    apply,
    deadline,
    fold,
)

if TYPE_CHECKING:
    from ..store.ledger import Ledger

LEDGER_SHEET, EVENTS_SHEET = "台账", "事件"
NOT_RECORDED = "（台账未记录）"
MAX_BYTES = 50_000_000
MAX_UNPACKED = 400_000_000
MAX_ROWS = 200_000
MAX_COLS = 500  # columns holding a value (a 台账 has ~25; styled empty cells to the right do not count)
MAX_CELLS = 1_000_000  # cells in the whole workbook (the file as XML, counted before parsing)
HEADER_SCAN = 30  # header rows are looked for among the first rows (title rows above are common)
# Column widths of the store (longer values would fail there, so they are refused here with their row).
MAX_LEN = {"number": 40, "applicant": 200, "applicant_id": 100, "handler": 100}

# The 台账 sheet: application columns (read back by field) then computed ones (ignored on reading).
LEDGER_FIELDS = (
    "number",
    "received",
    "channel",
    "applicant",
    "applicant_type",
    "applicant_id",
    "request",
    "handler",
    "correction_sent",
    "correction_received",
    "consult_party",
    "consult_sent",
    "consult_answered",
    "extension_date",
    "extension_days",
    "extension_approver",
    "fee_notice",
    "fee_method",
    "fee_amount",
    "fee_paid",
    "answered",
    "outcome",
    "closed",
)
COMPUTED = ("状态", "答复期限", "是否逾期")
# Art. 29 details (desk/applicant.py), after the computed columns; masked/redacted by the caller for
# anyone outside the agency. Export only: reading a file back ignores them.
ART29_COLUMNS = (
    ("证件类型", "id_type"),
    ("法定代表人", "legal_rep"),
    ("联系人", "contact_person"),
    ("联系电话", "phone"),
    ("通信地址", "address"),
    ("邮政编码", "postcode"),
    ("电子邮箱", "email"),
    ("信息名称", "info_title"),
    ("文号", "info_number"),
    ("提供形式", "form_wanted"),
    ("获取方式", "delivery"),
)
EVENT_HEADERS = ("登记编号", "序号", "事件", "日期", "经办人", "文号", "详情", "记录时间（UTC）")

# Event data in the 详情 column, readable: key → label (values of coded keys shown by their label).
DETAIL_LABELS = {
    "party": "征求意见对象",
    "approver": "批准人",
    "days": "延期天数",
    "method": "收费方式",
    "amount": "金额",
    "outcome": "办理结果",
    "case": "案号",
    "case_kind": "案件类型",
    "result": "结案结果",
    "note": "备注",
}
_CODED = {"outcome": OUTCOMES, "case_kind": CASE_KINDS, "result": CASE_RESULTS}
_NUMERIC = ("days", "amount")

# Order of a row's events on the same day.
_ORDER = {k: i for i, k in enumerate(EVENTS)}


@dataclass(frozen=True, slots=True)
class RowError:
    """One problem in the file: the Excel row (1-based; 0 = the file as a whole), the column as headed
    in the file, and what is wrong (Chinese)."""

    row: int
    column: str
    message: str
    sheet: str = ""  # set when the workbook has more than one sheet we read

    def __str__(self) -> str:
        where = f"「{self.sheet}」表" if self.sheet else ""
        if self.row:
            where += f"第{self.row}行"
        if self.column:
            where += f"「{self.column}」"
        return f"{where}：{self.message}" if where else self.message


class ExcelImportError(ValueError):
    """Everything wrong with a file, row by row; nothing of it was imported."""

    def __init__(self, errors: Sequence[RowError]) -> None:
        self.errors = list(errors)
        super().__init__(self._text())

    def _text(self) -> str:
        shown = [str(e) for e in self.errors[:200]]
        if len(self.errors) > 200:
            shown.append(f"……另有{len(self.errors) - 200}处问题")
        return f"台账有{len(self.errors)}处问题，未导入任何内容：\n" + "\n".join(shown)


# -- export -----------------------------------------------------------------------------------------


def export_ledger(
    items: Sequence[tuple[Application, Sequence[Event]]],
    *,
    cal: WorkCalendar | None = None,
    today: dt.date | None = None,
) -> bytes:
    """The ledger as XLSX: sheet 台账 (one row per application, deadlines computed with ``cal`` as of
    ``today``) and sheet 事件 (every event; what reading the file back relies on)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    cal = _Memo(cal or WorkCalendar())
    today = today or dt.date.today()
    wb = Workbook()
    ws = wb.active
    ws.title = LEDGER_SHEET
    # what applicants and staff typed (an ID "=1+1", a request "-…") stays text (spreadsheet.py)
    xlsx_append(ws, [HEADER_OF[f] for f in LEDGER_FIELDS] + list(COMPUTED) + [h for h, _ in ART29_COLUMNS])
    for app, events in items:
        xlsx_append(ws, _ledger_row(app, events, cal, today))
    ev = wb.create_sheet(EVENTS_SHEET)
    ev.append(list(EVENT_HEADERS))
    for app, events in items:
        for i, e in enumerate(events, 1):
            recorded = e.recorded_at.isoformat(" ") if e.recorded_at else ""
            xlsx_append(
                ev,
                [app.number, e.seq or i, e.name, e.date, e.actor, e.document_no, _details(e.data), recorded],
            )
    for sheet, widths in ((ws, _LEDGER_WIDTHS), (ev, (12, 6, 18, 12, 10, 18, 50, 26))):
        for cell in sheet[1]:
            cell.font = Font(bold=True)
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        for i, w in enumerate(widths, 1):
            sheet.column_dimensions[get_column_letter(i)].width = w
        for row in sheet.iter_rows(min_row=2):
            for cell in row:
                if isinstance(cell.value, dt.date):
                    cell.number_format = "yyyy-mm-dd"
        sheet.freeze_panes = "B2"
        sheet.auto_filter.ref = sheet.dimensions
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


class _Memo(WorkCalendar):
    """The same calendar, remembering each day's answer (the package's lookup is slow, and every row's
    deadline walks the same weeks)."""

    def __init__(self, base: WorkCalendar) -> None:
        super().__init__(base.overrides, base.covered_years)
        self._days: dict[dt.date, bool] = {}
        self._why: dict[dt.date, str] = {}

    def is_workday(self, d: dt.date) -> bool:
        if d not in self._days:
            self._days[d] = super().is_workday(d)
        return self._days[d]

    def explain(self, d: dt.date) -> str:
        if d not in self._why:
            self._why[d] = super().explain(d)
        return self._why[d]


_LEDGER_WIDTHS = (12, 12, 14, 14, 12, 22, 40, 10) + (12,) * 15 + (10, 12, 8) + (14,) * 11


def _ledger_row(app: Application, events: Sequence[Event], cal: WorkCalendar, today: dt.date) -> list[Any]:
    first: dict[str, Event] = {}
    consults: list[Event] = []
    for e in events:
        first.setdefault(e.kind, e)
        if e.kind in ("consult_sent", "consult_answered"):
            consults.append(e)

    def date(kind: str) -> dt.date | None:
        return first[kind].date if kind in first else None

    def data(kind: str, key: str) -> Any:
        return first[kind].data.get(key) if kind in first else None

    sent = [e.date for e in consults if e.kind == "consult_sent"]
    back = [e.date for e in consults if e.kind == "consult_answered"]
    parties = list(dict.fromkeys(str(e.data.get("party", "")) for e in consults if e.kind == "consult_sent"))
    outcome = data("answered", "outcome")
    values = {
        "number": app.number,
        "received": app.received,
        "channel": CHANNELS[app.channel][0] if app.channel in CHANNELS else app.channel,
        "applicant": app.applicant,
        "applicant_type": APPLICANT_TYPES.get(app.applicant_type, app.applicant_type),
        "applicant_id": app.applicant_id,
        "request": app.request,
        "handler": app.handler,
        "correction_sent": date("correction_sent"),
        "correction_received": date("correction_received"),
        "consult_party": "、".join(parties) or None,
        "consult_sent": _one_or_many(sent),
        "consult_answered": _one_or_many(back),
        "extension_date": date("extension_approved"),
        "extension_days": data("extension_approved", "days"),
        "extension_approver": data("extension_approved", "approver"),
        "fee_notice": date("fee_notice_sent"),
        "fee_method": data("fee_notice_sent", "method"),
        "fee_amount": data("fee_notice_sent", "amount"),
        "fee_paid": date("fee_paid"),
        "answered": date("answered"),
        "outcome": OUTCOMES.get(outcome, outcome) if outcome else None,
        "closed": date("closed"),
    }
    return [values[f] for f in LEDGER_FIELDS] + list(_computed(app, events, cal, today)) + _art29(app)


def _art29(app: Application) -> list[str]:
    from .applicant import DELIVERIES, FORMS, ID_TYPES

    labels = {"id_type": ID_TYPES, "form_wanted": FORMS, "delivery": DELIVERIES}
    return [labels.get(k, {}).get(getattr(app, k), getattr(app, k)) for _, k in ART29_COLUMNS]


def _one_or_many(dates: list[dt.date]) -> dt.date | str | None:
    if not dates:
        return None
    return dates[0] if len(dates) == 1 else "、".join(d.isoformat() for d in dates)


def _computed(
    app: Application, events: Sequence[Event], cal: WorkCalendar, today: dt.date
) -> tuple[str, dt.date | str | None, str]:
    """状态, 答复期限, 是否逾期."""
    try:
        s = fold(app, events)
    except LedgerError as e:
        return f"时间线有误：{e}", None, ""
    if s.status == "open":
        status = "待补正" if s.correction_pending else "征求意见中" if s.consult_open else "办理中"
        d = deadline(cal, app, s)
        if d is None or d.due is None:
            gap = next(
                (f.split(":")[1] for f in (d.flags if d else []) if f.startswith("calendar_gap:")), None
            )
            return status, f"{gap}年日历未录入" if gap else "补正后重新起算", ""
        return status, d.due, "是" if today > d.due else "否"
    status = "已办结" if s.status == "closed" else "已答复"
    d = reply_deadline(
        cal, app.received, corrections=s.corrections, pauses=s.pauses, extension_days=s.extension_days
    )
    if d.due is None or s.answered is None:
        return status, None, ""
    return status, d.due, "是" if s.answered > d.due else "否"


def _details(data: dict[str, Any]) -> str:
    """Event data as 批准人：办公室主任；延期天数：20 — or JSON where that would not read back the same."""
    if not data:
        return ""
    if all(k in DETAIL_LABELS for k in data):
        parts = []
        for k, v in data.items():
            shown = _CODED[k].get(v, v) if k in _CODED and isinstance(v, str) else v
            parts.append(f"{DETAIL_LABELS[k]}：{shown}")
        text = "；".join(parts)
        try:
            if _parse_details(text) == data:
                return text
        except ValueError:
            pass
    return json.dumps(data, ensure_ascii=False, sort_keys=True)


_KEY_OF_LABEL = {v: k for k, v in DETAIL_LABELS.items()}


def _parse_details(text: str) -> dict[str, Any]:
    text = text.strip()
    if not text:
        return {}
    if text.startswith("{"):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            raise ValueError(f"无法解析的详情“{text}”") from e
        if not isinstance(data, dict):
            raise ValueError(f"无法解析的详情“{text}”")
        return data
    out: dict[str, Any] = {}
    for part in text.split("；"):
        label, sep, value = part.partition("：")
        key = _KEY_OF_LABEL.get(label.strip())
        if not sep or key is None:
            raise ValueError(f"无法解析的详情“{part}”（应为“项目：内容”，以“；”分隔）")
        value = value.strip()
        if key in _CODED:
            reverse = {label: code for code, label in _CODED[key].items()}
            out[key] = reverse.get(value, value)
        elif key in _NUMERIC:
            out[key] = read_number(value, DETAIL_LABELS[key])
        else:
            out[key] = value
    return out


# -- reading ----------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Parsed:
    row: int
    app: Application
    events: list[Event]
    number_column: str


@dataclass(slots=True)
class _Sheet:
    """A sheet's header and data: which column holds which field, and the rows below the header."""

    title: str
    header_row: int  # last header row (data starts below it)
    columns: dict[str, tuple[int, str]]  # field → (0-based column, header as written in the file)
    rows: list[tuple[int, list[Any]]] = field(default_factory=list)  # (Excel row, values)


def read_ledger(
    data: bytes, agency: str, *, mapping: dict[str, str] | None = None
) -> list[tuple[Application, list[Event]]]:
    """Applications with their timelines from our export or a hand-kept 台账; raises ExcelImportError
    listing every problem. ``mapping`` names the file's header for any of our fields (field id or our
    Chinese header → their header)."""
    return [(p.app, p.events) for p in _read(data, agency, mapping)]


def import_ledger(
    ledger: Ledger, data: bytes, agency_id: int, actor: str, mapping: dict[str, str] | None = None
) -> int:
    """Read the file and import all of it into the agency's ledger in one transaction, or nothing."""
    parsed = _read(data, ledger.agency(agency_id).name, mapping)
    existing = {a.number for a, _ in ledger.applications([agency_id])}
    clashes = [
        RowError(p.row, p.number_column, f"登记编号“{p.app.number}”已在本机关台账中")
        for p in parsed
        if p.app.number in existing
    ]
    if clashes:
        raise ExcelImportError(clashes)
    try:
        ids = ledger.import_applications([(p.app, p.events) for p in parsed], actor, agency_id)
    except LedgerError as e:  # e.g. someone registered the same number meanwhile: the transaction rolled back
        row = next((p for p in parsed if str(e) == f"登记编号{p.app.number}已存在"), None)
        if row is None:
            raise ExcelImportError([RowError(0, "", str(e))]) from e
        message = f"登记编号“{row.app.number}”已在本机关台账中"
        raise ExcelImportError([RowError(row.row, row.number_column, message)]) from e
    return len(ids)


def _read(data: bytes, agency: str, mapping: dict[str, str] | None) -> list[_Parsed]:
    wb = _open(data)
    errors: list[RowError] = []
    sheet = _ledger_sheet(wb, mapping or {}, errors)
    has_events = EVENTS_SHEET in wb.sheetnames
    events_sheet = _events_sheet(_grid(wb, EVENTS_SHEET)) if has_events else None
    two = events_sheet is not None
    if sheet is None:
        raise ExcelImportError(errors)
    out: list[_Parsed] = []
    seen: dict[str, int] = {}
    for row, values in sheet.rows:
        r = _RowReader(sheet, row, values, errors, LEDGER_SHEET if two else "")
        if all(r.empty(f) for f in ("received", "applicant", "request")):
            continue  # blank or pre-numbered rows, notes below the table
        app = r.application(agency)
        if app is None:
            continue
        if app.number in seen:
            r.error("number", f"登记编号“{app.number}”与第{seen[app.number]}行重复")
            continue
        seen[app.number] = row
        events = [] if two else r.events(app)
        out.append(_Parsed(row, app, events, r.header("number")))
    if events_sheet is not None:
        _attach_events(events_sheet, out, errors)
    if errors:
        raise ExcelImportError(sorted(errors, key=lambda e: (e.sheet == EVENTS_SHEET, e.row)))
    if not out:
        raise ExcelImportError([RowError(0, "", "文件中没有申请记录")])
    return out


def _open(data: bytes) -> Any:
    from openpyxl import load_workbook

    def fail(msg: str) -> ExcelImportError:
        return ExcelImportError([RowError(0, "", msg)])

    if data[:8] == bytes.fromhex("d0cf11e0a1b11ae1"):
        raise fail("这是旧版 .xls 文件，请在 Excel 或 WPS 中另存为 .xlsx 后再导入")
    if len(data) > MAX_BYTES:
        raise fail(f"文件过大（{len(data) // 1_000_000} MB，上限 {MAX_BYTES // 1_000_000} MB）")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            infos = z.infolist()
            if sum(i.file_size for i in infos) > MAX_UNPACKED:
                raise fail("文件解压后过大，疑似压缩炸弹，已拒绝")
            for i in infos:
                if i.filename.endswith(".xml") or i.filename.endswith(".rels"):
                    with z.open(i) as f:
                        head = f.read(2048)
                    if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
                        raise fail("文件含有不允许的 XML 实体声明，已拒绝")
            _count_cells(z)
    except ExcelImportError:
        raise
    except Exception as e:  # not a zip, or a damaged one (BadZipFile, zlib errors, odd compression)
        raise fail("无法读取：不是有效的 .xlsx 文件") from e
    try:  # read-only: sheets are streamed row by row (_grid), never loaded whole
        return load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as e:  # openpyxl raises many kinds on damaged files
        raise fail(f"无法读取：不是有效的 .xlsx 文件（{type(e).__name__}）") from e


_ROOT_TAG = re.compile(rb"<(?:([A-Za-z_][\w.-]*):)?worksheet[\s>]")
_TAG_TAIL = 64  # bytes kept between chunks so a tag cut in two is counted once


def _tags(prefix: bytes, name: bytes) -> list[bytes]:
    return [b"<" + prefix + name + end for end in (b" ", b">", b"/", b"\n", b"\r", b"\t")]


def _count_cells(z: zipfile.ZipFile) -> None:
    """Count the rows of each sheet and the cells of all of them straight from the XML, in chunks, and
    refuse the file as soon as a cap is passed: the cheap check before anything is parsed (a 0.3 MB
    file can hold millions of cells). Counting byte patterns runs at memory speed (~1 GB/s)."""
    cells = 0
    for info in z.infolist():
        if not (info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml")):
            continue
        rows, carry = 0, b""
        row_tags: list[bytes] | None = None
        cell_tags: list[bytes] = []
        with z.open(info) as f:
            while True:
                chunk = f.read(1 << 20)
                buf = carry + chunk
                if row_tags is None:  # the sheet's namespace prefix, if it uses one (<x:c …>)
                    m = _ROOT_TAG.search(buf)
                    prefix = (m.group(1) + b":") if m and m.group(1) else b""
                    row_tags, cell_tags = _tags(prefix, b"row"), _tags(prefix, b"c")
                end = len(buf) if not chunk else max(0, len(buf) - _TAG_TAIL)
                # occurrences that start before ``end`` (each fits in the bytes after it)
                rows += sum(buf.count(t, 0, end + len(t) - 1) for t in row_tags)
                cells += sum(buf.count(t, 0, end + len(t) - 1) for t in cell_tags)
                if rows > MAX_ROWS:
                    raise _too_big(f"工作表行数过多（超过{MAX_ROWS}行）")
                if cells > MAX_CELLS:
                    raise _too_big(f"单元格过多（超过{MAX_CELLS}个）")
                if not chunk:
                    break
                carry = buf[end:]


def _too_big(msg: str) -> ExcelImportError:
    return ExcelImportError([RowError(0, "", f"{msg}，已拒绝；请拆分后分批导入")])


@dataclass(slots=True)
class _Grid:
    """A sheet's values (row by row, Excel row k at index k-1) and its merged ranges."""

    title: str
    rows: list[list[Any]]
    merged: list[Any]  # openpyxl CellRange: min_row, min_col, max_row, max_col


def _grid(wb: Any, name: str) -> _Grid:
    """The sheet's values streamed row by row (refused past MAX_ROWS rows, MAX_COLS columns or MAX_CELLS
    cells, before reading further), every merged range filled with its top-left value, and text that a
    CSV export quoted against formula injection given back as it was (spreadsheet.unescape)."""
    # openpyxl's read-only sheets have no merged ranges; its sheet parser (3.1) collects them while
    # streaming the rows, so one pass over the XML gives both.
    from openpyxl.worksheet._reader import WorkSheetParser
    from openpyxl.worksheet.cell_range import CellRange

    ws = wb[name]

    def refuse(msg: str) -> ExcelImportError:
        return _too_big(f"工作表「{name}」{msg}")

    grid: list[list[Any]] = []
    cells = 0
    with ws._get_source() as src:
        parser = WorkSheetParser(
            src,
            ws._shared_strings,
            data_only=True,
            epoch=wb.epoch,
            date_formats=wb._date_formats,
            timedelta_formats=wb._timedelta_formats,
        )
        for idx, row in parser.parse():
            if idx > MAX_ROWS:
                raise refuse(f"行数过多（超过{MAX_ROWS}行）")
            values = [c for c in row if c["value"] is not None]
            if not values:
                continue
            width = max(c["column"] for c in values)
            if width > MAX_COLS:
                raise refuse(f"列数过多（第{idx}行有{width}列，上限{MAX_COLS}列）")
            cells += len(values)
            if cells > MAX_CELLS:
                raise refuse(f"单元格过多（超过{MAX_CELLS}个）")
            grid.extend([] for _ in range(idx - len(grid)))
            out: list[Any] = [None] * width
            for c in values:
                out[c["column"] - 1] = unescape(c["value"])
            grid[idx - 1] = out
    merged = list(parser.merged_cells.mergeCell) if parser.merged_cells else []
    ranges = []
    for m in merged:
        rng = CellRange(m.ref)
        ranges.append(rng)
        if rng.min_row > len(grid):
            continue
        top_row = grid[rng.min_row - 1]
        top = top_row[rng.min_col - 1] if rng.min_col <= len(top_row) else None
        if (rng.max_row - rng.min_row + 1) * (
            rng.max_col - rng.min_col + 1
        ) > MAX_CELLS or rng.max_col > MAX_COLS:
            raise refuse("合并单元格范围过大")
        for r in range(rng.min_row, min(rng.max_row, len(grid)) + 1):
            row_values = grid[r - 1]
            if len(row_values) < rng.max_col:
                row_values.extend([None] * (rng.max_col - len(row_values)))
            for c in range(rng.min_col, rng.max_col + 1):
                row_values[c - 1] = top
    return _Grid(name, grid, ranges)


def _ledger_sheet(wb: Any, mapping: dict[str, str], errors: list[RowError]) -> _Sheet | None:
    """The sheet holding the applications (ours is named 台账; otherwise the best header wins)."""
    wanted = _mapping_fields(mapping, errors)
    if errors:
        return None
    names = (
        [LEDGER_SHEET] if LEDGER_SHEET in wb.sheetnames else [n for n in wb.sheetnames if n != EVENTS_SHEET]
    )
    best: tuple[int, _Sheet] | None = None
    for name in names:
        found = _find_header(_grid(wb, name), wanted)
        if found is not None and (best is None or len(found.columns) > best[0]):
            best = (len(found.columns), found)
    if best is None:
        headers = "、".join(HEADER_OF[f] for f in REQUIRED)
        errors.append(RowError(0, "", f"找不到表头：前{HEADER_SCAN}行中没有包含{headers}等列的一行"))
        return None
    sheet = best[1]
    mapped_missing = [their for f, their in wanted.items() if f not in sheet.columns]
    for their in mapped_missing:
        errors.append(RowError(sheet.header_row, their, "找不到映射指定的这一列"))
    for f in REQUIRED:
        if f not in sheet.columns:
            errors.append(RowError(sheet.header_row, HEADER_OF[f], "找不到这一列（可在列映射中指定）"))
    return sheet


def _mapping_fields(mapping: dict[str, str], errors: list[RowError]) -> dict[str, str]:
    out = {}
    for key, their in mapping.items():
        f = key if key in FIELDS else FIELD_OF_HEADER.get(key)
        if f is None:
            errors.append(RowError(0, key, "列映射中的字段名无效"))
        elif their:
            out[f] = their
    return out


def _find_header(ws: _Grid, wanted: dict[str, str]) -> _Sheet | None:
    """The header among the first rows: the row (or two rows, under merged group headings) naming the
    most of our fields."""
    grid = ws.rows
    merged_across = {
        r for rng in ws.merged if rng.max_col > rng.min_col for r in range(rng.min_row, rng.max_row + 1)
    }
    best: tuple[int, int, dict[str, tuple[int, str]]] | None = None  # (score, last header row, columns)
    for i, row in enumerate(grid[:HEADER_SCAN]):
        options = [(i, _names_one(row))]
        if i + 1 in merged_across and i + 1 < len(grid):  # a group heading over sub-headings
            options.append((i + 1, _names_two(row, grid[i + 1])))
        for last, names in options:
            cols = _assign(names, wanted)
            score = len(cols)
            if score >= 3 and (best is None or score > best[0]):
                best = (score, last, cols)
    if best is None:
        return None
    _, last, cols = best
    if "number" not in cols:  # a plain 序号 column numbers the rows when there is no 登记编号
        names = _names_one(grid[last])
        seq = next((c for c, h in names.items() if norm(h) == "序号"), None)
        if seq is not None and seq not in {c for c, _ in cols.values()}:
            cols["number"] = (seq, names[seq])
    rows = [(k + 1, grid[k]) for k in range(last + 1, len(grid)) if any(cell_text(v) for v in grid[k])]
    return _Sheet(ws.title, last + 1, cols, rows)


def _names_one(row: list[Any]) -> dict[int, str]:
    return {c: cell_text(v) for c, v in enumerate(row) if cell_text(v)}


def _names_two(top: list[Any], sub: list[Any]) -> dict[int, str]:
    out = {}
    for c in range(max(len(top), len(sub))):
        parent = cell_text(top[c]) if c < len(top) else ""
        child = cell_text(sub[c]) if c < len(sub) else ""
        if not child or child == parent:
            name = parent
        elif not parent:
            name = child
        else:
            both = parent + child
            name = both if _matches(both) or not _matches(child) else child
        if name:
            out[c] = name
    return out


def _matches(header: str) -> bool:
    return bool(_candidates(norm(header)))


def _candidates(n: str) -> list[tuple[int, int, str]]:
    """(rank, field order, field) for every field the normalised header could be; exact names rank
    before names that only start with a variant (收到申请日期（年月日）)."""
    out = []
    for fi, (f, (_, variants)) in enumerate(FIELDS.items()):
        for rank, v in enumerate(variants):
            nv = norm(v)
            if n == nv:
                out.append((rank, fi, f))
            elif n.startswith(nv) and _suffix_ok(n[len(nv) :]):
                out.append((100 + rank, fi, f))
    return out


def _suffix_ok(rest: str) -> bool:
    return len(rest) <= 6 and not any(ch.isdigit() for ch in rest)


def _assign(names: dict[int, str], wanted: dict[str, str]) -> dict[str, tuple[int, str]]:
    """Which column holds which field: the mapping first, then the best-ranked candidates greedily."""
    cols: dict[str, tuple[int, str]] = {}
    taken: set[int] = set()
    for f, their in wanted.items():
        c = next((c for c, h in names.items() if h == their), None)
        if c is None:
            c = next((c for c, h in names.items() if norm(h) == norm(their)), None)
        if c is not None and c not in taken:
            cols[f], taken = (c, names[c]), taken | {c}
    cands = sorted((rank, fi, c, f) for c, h in names.items() for rank, fi, f in _candidates(norm(h)))
    for _, _, c, f in cands:
        if f not in cols and c not in taken:
            cols[f], taken = (c, names[c]), taken | {c}
    return cols


class _RowReader:
    """One data row: its fields read with their errors recorded against the row and column."""

    def __init__(
        self, sheet: _Sheet, row: int, values: list[Any], errors: list[RowError], title: str
    ) -> None:
        self.sheet, self.row, self.values, self.errors, self.title = sheet, row, values, errors, title
        self.ok = True

    def header(self, f: str) -> str:
        return self.sheet.columns[f][1] if f in self.sheet.columns else HEADER_OF[f]

    def raw(self, f: str) -> Any:
        if f not in self.sheet.columns:
            return None
        c = self.sheet.columns[f][0]
        v = self.values[c] if c < len(self.values) else None
        return None if isinstance(v, str) and not v.strip() else v

    def empty(self, f: str) -> bool:
        return not cell_text(self.raw(f))

    def error(self, f: str | None, message: str) -> None:
        self.ok = False
        self.errors.append(RowError(self.row, self.header(f) if f else "", message, self.title))

    def read(self, f: str, parse: Callable[[Any], Any], required: bool = False) -> Any:
        v = self.raw(f)
        if v is None or not cell_text(v):
            if required:
                self.error(f, "必填项为空")
            return None
        try:
            return parse(v)
        except ValueError as e:
            self.error(f, str(e))
            return None

    def text(self, f: str, required: bool = False) -> str:
        t = self.read(f, cell_text, required) or ""
        if f in MAX_LEN and len(t) > MAX_LEN[f]:
            self.error(f, f"内容过长（{len(t)}字，最多{MAX_LEN[f]}字）")
        return t

    def application(self, agency: str) -> Application | None:
        app = Application(
            agency=agency,
            number=self.text("number", True),
            channel=self.read("channel", read_channel, True) or "",
            received=self.read("received", read_date, True) or dt.date.min,
            applicant_type=self.read("applicant_type", read_applicant_type, True) or "",
            applicant=self.text("applicant", True),
            request=self.text("request", True),
            handler=self.text("handler"),
            applicant_id=self.text("applicant_id"),
        )
        return app if self.ok else None

    def events(self, app: Application) -> list[Event]:
        """The timeline the row's dates describe, in date order, checked against the regulation."""
        actor = app.handler or NOT_RECORDED
        timeline: list[tuple[tuple[dt.date, int, int], Event, str]] = []

        def add(kind: str, d: dt.date, f: str, data: dict[str, Any] | None = None, k: int = 0) -> None:
            timeline.append(((d, _ORDER[kind], k), Event(kind, d, actor, data or {}), f))

        add("registered", app.received, "received")
        sent = self.read("correction_sent", read_date)
        got = self.read("correction_received", read_date)
        if sent:
            add("correction_sent", sent, "correction_sent")
        if got:
            add("correction_received", got, "correction_received")
        pauses = self._consultations(add)
        self._fee(add)
        answered = self.read("answered", read_date)
        outcome = self.read("outcome", read_outcome)
        if answered and outcome:
            add("answered", answered, "answered", {"outcome": outcome})
        elif answered and self.empty("outcome"):
            self.error("outcome", "有答复日期，但没有办理结果")
        elif outcome and self.empty("answered"):
            self.error("answered", "有办理结果，但没有答复日期")
        closed = self.read("closed", read_date)
        if closed:
            add("closed", closed, "closed")
        corrections = [(sent, got)] if sent and got else []
        self._extension(add, app, corrections, pauses, answered)
        if not self.ok:
            return []
        timeline.sort(key=lambda t: t[0])
        state = State()
        for _, e, f in timeline:
            try:
                apply(app, state, e)
            except LedgerError as x:
                self.error(f, str(x))
                return []
        return [e for _, e, _ in timeline]

    def _consultations(self, add: Callable[..., None]) -> list[tuple[dt.date, dt.date]]:
        sent = self.read("consult_sent", read_dates) or []
        back = self.read("consult_answered", read_dates) or []
        party = self.text("consult_party") or NOT_RECORDED
        if len(back) > len(sent):
            self.error("consult_answered", "征求意见答复多于发函")
            return []
        for k, d in enumerate(sent):
            add("consult_sent", d, "consult_sent", {"party": party}, 2 * k)
        for k, d in enumerate(back):
            add("consult_answered", d, "consult_answered", None, 2 * k + 1)
        return list(zip(sent, back, strict=False))

    def _fee(self, add: Callable[..., None]) -> None:
        notice = self.read("fee_notice", read_date)
        method = self.text("fee_method")
        amount = self.read("fee_amount", lambda v: read_number(v, "金额"))
        if notice:
            if amount is None and self.empty("fee_amount"):
                self.error("fee_amount", "有缴费通知，但没有金额")
            add("fee_notice_sent", notice, "fee_notice", {"method": method or NOT_RECORDED, "amount": amount})
        elif method or amount is not None:
            self.error("fee_notice", "填写了收费方式或金额，但没有缴费通知日期")
        paid = self.read("fee_paid", read_date)
        if paid:
            add("fee_paid", paid, "fee_paid")

    def _extension(
        self,
        add: Callable[..., None],
        app: Application,
        corrections: list[tuple[dt.date, dt.date]],
        pauses: list[tuple[dt.date, dt.date]],
        answered: dt.date | None,
    ) -> None:
        flag = self.read("extension", _yes_or_days)
        days = self.read("extension_days", lambda v: read_number(v, "延期天数"))
        if isinstance(flag, int) and not isinstance(flag, bool):  # a 延期 column holding the days
            flag, days = flag > 0, days if days is not None else (flag or None)
        on = self.read("extension_date", read_date)
        approver = self.text("extension_approver")
        given = days is not None or on is not None or bool(approver)
        if flag is False and given:
            self.error("extension", "「是否延期」为否，但填写了延期信息")
            return
        if not (flag or given):
            return
        if days is not None and not float(days).is_integer():
            self.error("extension_days", f"延期天数应为整数：{days}")
            return
        data: dict[str, Any] = {"approver": approver or NOT_RECORDED, "days": int(days or 20)}
        if on is None:
            # Art. 33: an extension is approved within the original period; the sheet lacks the day, so
            # it is recorded on the period's last day (or the answer, if earlier) and says so.
            due = reply_deadline(WorkCalendar(), app.received, corrections=corrections, pauses=pauses).due
            if due is None:
                self.error("extension_date", "无法推算延期批准日期（日历缺年份），请填写延期批准日期")
                return
            on = min(due, answered) if answered else due
            data["note"] = "台账未记录批准日期，按原答复期限届满日登记"
        add(
            "extension_approved",
            on,
            "extension_date" if "extension_date" in self.sheet.columns else "extension",
            data,
        )


def _yes_or_days(v: Any) -> bool | int:
    try:
        return read_yes(v)
    except ValueError:
        try:
            n = read_number(v, "延期天数")
        except ValueError:
            raise ValueError(f"无法识别的“是否延期”值“{cell_text(v)}”（应为是/否或延期天数）") from None
        return int(n)


# -- the events sheet of our own export -------------------------------------------------------------

_KIND_OF_NAME = {name: kind for kind, (name, _) in EVENTS.items()}


@dataclass(slots=True)
class _EventRow:
    row: int
    number: str
    seq: int
    event: Event | None  # None: the row has errors
    errors: list[RowError] = field(default_factory=list)


def _events_sheet(ws: _Grid) -> list[_EventRow] | None:
    """Rows of the 事件 sheet as events (with the errors found in them); None if it is not ours."""
    grid = ws.rows
    wanted = [norm(h) for h in EVENT_HEADERS]
    for i, row in enumerate(grid[:HEADER_SCAN]):
        names = {norm(cell_text(v)): c for c, v in enumerate(row) if cell_text(v)}
        if all(w in names for w in wanted[:4]):
            cols = {h: names.get(w) for h, w in zip(EVENT_HEADERS, wanted, strict=True)}
            rows = (_event_row(grid[k], k + 1, cols) for k in range(i + 1, len(grid)))
            return [r for r in rows if r is not None]
    return None


def _event_row(values: list[Any], row: int, cols: dict[str, int | None]) -> _EventRow | None:
    def get(h: str) -> Any:
        c = cols[h]
        return values[c] if c is not None and c < len(values) else None

    if not any(cell_text(v) for v in values):
        return None
    problems: list[RowError] = []

    def parse(h: str, fn: Callable[[Any], Any]) -> Any:
        try:
            return fn(get(h))
        except (ValueError, TypeError) as e:
            problems.append(RowError(row, h, str(e), EVENTS_SHEET))
            return None

    number = cell_text(get("登记编号"))
    name = cell_text(get("事件"))
    kind = _KIND_OF_NAME.get(name, name if name in EVENTS else None)
    if kind is None:
        problems.append(RowError(row, "事件", f"未知的事件“{name}”", EVENTS_SHEET))
    seq = parse("序号", lambda v: int(read_number(v, "序号")))
    day = parse("日期", read_date)
    data = parse("详情", lambda v: _parse_details(cell_text(v)))
    recorded = parse(
        "记录时间（UTC）", lambda v: dt.datetime.fromisoformat(cell_text(v)) if cell_text(v) else None
    )
    if not number:
        problems.append(RowError(row, "登记编号", "必填项为空", EVENTS_SHEET))
    if problems or kind is None or day is None or seq is None:
        return _EventRow(row, number, seq or 0, None, problems)
    actor, doc = cell_text(get("经办人")), cell_text(get("文号"))
    return _EventRow(row, number, seq, Event(kind, day, actor, data or {}, seq, recorded, doc))


def _attach_events(rows: list[_EventRow], parsed: list[_Parsed], errors: list[RowError]) -> None:
    by_number = {p.app.number: p for p in parsed}
    mine: dict[str, list[_EventRow]] = {n: [] for n in by_number}
    broken: set[str] = set()  # applications with a bad event row: their timeline is not checked further
    for r in rows:
        errors.extend(r.errors)
        if r.errors:
            broken.add(r.number)
        elif r.number not in mine:
            errors.append(RowError(r.row, "登记编号", f"「台账」表中没有登记编号“{r.number}”", EVENTS_SHEET))
        else:
            mine[r.number].append(r)
    for number, evs in mine.items():
        p = by_number[number]
        if number in broken:
            continue
        if not evs:
            errors.append(RowError(p.row, p.number_column, "「事件」表中没有这件申请的事件", LEDGER_SHEET))
            continue
        evs.sort(key=lambda r: r.seq)
        seqs = [r.seq for r in evs]
        if len(set(seqs)) != len(seqs):
            dup = next(r for r in evs if seqs.count(r.seq) > 1)
            errors.append(RowError(dup.row, "序号", f"登记编号“{number}”的序号{dup.seq}重复", EVENTS_SHEET))
            continue
        p.events = [r.event for r in evs if r.event is not None]
        state = State()
        for i, (r, e) in enumerate(zip(evs, p.events, strict=True)):
            try:
                if e.kind == "registered" and i:
                    raise LedgerError("“登记”只能是第一个事件")
                apply(p.app, state, e)
            except LedgerError as x:
                errors.append(RowError(r.row, "事件", str(x), EVENTS_SHEET))
                break
