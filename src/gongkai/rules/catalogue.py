"""The rule catalogue: every rule declared once, as data.

Arithmetic and narrative rules carry a function that lists their checks (formulas over cell IDs)
for a report's format; conformance and metadata rules are raised by extraction and by
``conformance.py`` and carry only their messages. Labels in messages come from the format data.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import lru_cache

from ..formats import Format
from ..report import Report
from .model import Check, Rule

_R3 = "国办公开办函〔2019〕60号、〔2021〕30号 表三勾稽关系"
_R4 = "国办公开办函〔2019〕60号、〔2021〕30号 表四"
_ART50 = "《政府信息公开条例》第五十条"


def _t3_rows(fmt: Format, report: Report) -> tuple[str, ...]:
    """Table 三 rows as this report has them (（六） as one row or three)."""
    return _t3_rows_of(tuple(report.cells)) or tuple(r.id for r in fmt.t3.rows)


@lru_cache(maxsize=256)
def _t3_rows_of(cell_ids: tuple[str, ...]) -> tuple[str, ...]:
    # Reports of one format share their cell IDs: the rows are worked out once per layout.
    return tuple(dict.fromkeys(cid[3:].rsplit(".", 1)[0] for cid in cell_ids if cid.startswith("t3.")))


# The checks of a rule depend on the format and (table 三) on the report's rows, not on its values:
# they are built once per format and layout and shared by every report (checks are immutable).
_CACHE: dict[tuple[str, int, tuple[str, ...]], tuple[Format, tuple[Check, ...]]] = {}


def _cached(
    kind: str, fmt: Format, rows: tuple[str, ...], build: Callable[[Format, tuple[str, ...]], Iterator[Check]]
) -> tuple[Check, ...]:
    key = (kind, id(fmt), rows)
    hit = _CACHE.get(key)
    if hit is None or hit[0] is not fmt:
        if len(_CACHE) > 512:
            _CACHE.clear()
        hit = _CACHE[key] = (fmt, tuple(build(fmt, rows)))  # the format kept alive: its id stays its own
    return hit[1]


def _row_label(fmt: Format, row_id: str) -> str:
    rows = (*fmt.t3.rows, *(alt for alt, _ in fmt.t3.alternatives))
    r = next((x for x in rows if x.id == row_id), None)
    if r is None:
        return row_id
    return (f"{r.group.text}{r.label.text}" if r.group else r.label.text).replace(
        "（区分处理的，只计这一情形，不计其他情形）", ""
    )


def _t3_row_total(fmt: Format, report: Report) -> tuple[Check, ...]:
    return _cached("t3.row_total", fmt, _t3_rows(fmt, report), _build_t3_row_total)


def _build_t3_row_total(fmt: Format, rows: tuple[str, ...]) -> Iterator[Check]:
    parts = [c.id for c in fmt.t3.columns if c.id != "total"]
    for row in rows:
        yield Check(
            (f"t3.{row}.total",), tuple(f"t3.{row}.{c}" for c in parts), params={"row": _row_label(fmt, row)}
        )


def _outcome_rows(rows: tuple[str, ...]) -> tuple[str, ...]:
    start, end = rows.index("granted"), rows.index("handled")
    return rows[start:end]


def _t3_outcome_total(fmt: Format, report: Report) -> tuple[Check, ...]:
    return _cached("t3.outcome_total", fmt, _t3_rows(fmt, report), _build_t3_outcome_total)


def _build_t3_outcome_total(fmt: Format, rows: tuple[str, ...]) -> Iterator[Check]:
    if "granted" not in rows or "handled" not in rows:
        return
    for col in fmt.t3.columns:
        yield Check(
            (f"t3.handled.{col.id}",),
            tuple(f"t3.{r}.{col.id}" for r in _outcome_rows(rows)),
            params={"col": col.label.text, "col_en": col.id},
        )


def _t3_balance(fmt: Format, report: Report) -> tuple[Check, ...]:
    return _cached("t3.balance", fmt, (), _build_t3_balance)


def _build_t3_balance(fmt: Format, rows: tuple[str, ...]) -> Iterator[Check]:
    for col in fmt.t3.columns:
        c = col.id
        yield Check(
            (f"t3.new.{c}", f"t3.carried.{c}"),
            (f"t3.handled.{c}", f"t3.forward.{c}"),
            params={"col": col.label.text, "col_en": c},
        )


def _t4_total(fmt: Format, report: Report) -> tuple[Check, ...]:
    return _cached("t4.total", fmt, (), _build_t4_total)


def _build_t4_total(fmt: Format, rows: tuple[str, ...]) -> Iterator[Check]:
    parts = [f.id for f in fmt.t4.fields if f.id != "total"]
    for g in fmt.t4.groups:
        yield Check(
            (f"t4.{g.id}.total",),
            tuple(f"t4.{g.id}.{p}" for p in parts),
            params={"group": g.label.text, "group_en": g.id},
        )


def _t2_change(fmt: Format, report: Report) -> Iterator[Check]:
    # The rows with both columns, and their check, once per format; the check applies to a report
    # whose change cell states a new total.
    for change, check in _cached("t2.change", fmt, (), _build_t2_change):
        cell = report.cells.get(change)
        if cell is not None and cell.stated_total is not None:
            yield check


def _build_t2_change(fmt: Format, rows: tuple[str, ...]) -> Iterator[tuple[str, Check]]:
    for row in fmt.t2.rows():
        ids = {f.id for f in fmt.t2.fields_of(row.id)}
        change = f"t2.{row.id}.change"
        if {"prev", "change"} <= ids:
            yield (
                change,
                Check((f"t2.{row.id}.prev", change), (f"{change}#stated",), params={"row": row.label.text}),
            )


def _t2_published(fmt: Format, report: Report) -> tuple[Check, ...]:
    return _cached("t2.published", fmt, (), _build_t2_published)


def _build_t2_published(fmt: Format, rows: tuple[str, ...]) -> Iterator[Check]:
    for row in fmt.t2.rows():
        ids = {f.id for f in fmt.t2.fields_of(row.id)}
        if {"published", "total"} <= ids:
            yield Check(
                (f"t2.{row.id}.published",), (f"t2.{row.id}.total",), op="le", params={"row": row.label.text}
            )


def _facts(kind: str, rhs: tuple[str, ...], alt: tuple[tuple[str, ...], ...] = ()):
    def checks(fmt: Format, report: Report) -> Iterator[Check]:
        for i, fact in enumerate(report.facts):
            if fact.kind == kind:
                yield Check((f"fact:{i}",), rhs, alt=alt, params={"text": fact.text})

    return checks


def _carried_over(fmt: Format, report: Report) -> Iterator[Check]:
    for col in fmt.t3.columns:
        c = col.id
        yield Check(
            (f"t3.carried.{c}",), (f"prev:t3.forward.{c}",), params={"col": col.label.text, "col_en": c}
        )


def _in_force(fmt: Format, report: Report) -> Iterator[Check]:
    if fmt.id != "2021":
        return
    for row in ("rules", "normative"):
        if f"prev:t2.{row}.in_force" not in report.cells:
            continue  # last year's report had the 2019 format: no equality links them
        label = next(r.label.text for r in fmt.t2.rows() if r.id == row)
        yield Check(
            (f"t2.{row}.in_force", f"t2.{row}.repealed"),
            (f"prev:t2.{row}.in_force", f"t2.{row}.issued"),
            params={"row": label},
        )


RULES: tuple[Rule, ...] = (
    # ---- arithmetic -------------------------------------------------------------------------
    Rule(
        "t3.row_total",
        "error",
        "表三行合计",
        "Table 3 row total",
        "表三“{row}”：总计 {lhs} ≠ 各类申请人之和 {rhs}",
        "Table 3 “{row}”: total {lhs} ≠ sum of applicant columns {rhs}",
        _R3 + "：每行总计等于自然人与法人或其他组织各列之和",
        checks=_t3_row_total,
    ),
    Rule(
        "t3.outcome_total",
        "error",
        "表三办理结果合计",
        "Table 3 outcome total",
        "表三“{col}”列：（七）总计 {lhs} ≠ （一）至（六）各项之和 {rhs}",
        "Table 3 column “{col_en}”: (7) total {lhs} ≠ sum of outcomes (1)–(6) {rhs}",
        _R3 + "：（七）总计等于（一）至（六）之和",
        checks=_t3_outcome_total,
    ),
    Rule(
        "t3.balance",
        "error",
        "表三勾稽关系",
        "Table 3 balance identity",
        "表三“{col}”列：一+二 ({lhs}) ≠ 三（七）+四 ({rhs})",
        "Table 3 column “{col_en}”: new + carried over ({lhs}) ≠ handled + carried forward ({rhs})",
        _R3 + "：第一项加第二项之和，等于第三项加第四项之和",
        checks=_t3_balance,
    ),
    Rule(
        "t4.total",
        "error",
        "表四合计",
        "Table 4 total",
        "表四“{group}”：总计 {lhs} ≠ 结果维持+结果纠正+其他结果+尚未审结 {rhs}",
        "Table 4 “{group_en}”: total {lhs} ≠ upheld + corrected + other + pending {rhs}",
        _R4 + "：总计等于四类结果之和",
        checks=_t4_total,
    ),
    Rule(
        "t2.change",
        "error",
        "表二增减与现有数量",
        "Table 2 change and stated total",
        "表二“{row}”：上一年项目数量与本年增/减之和为 {lhs}，与同格填写的现有数量 {rhs} 不符",
        "Table 2 “{row}”: last year's items plus the change is {lhs}, not the stated new total {rhs}",
        "国办公开办函〔2019〕60号 表二：本年项目数量 = 上一年项目数量 + 本年增/减",
        checks=_t2_change,
    ),
    Rule(
        "t2.published_le_total",
        "warning",
        "表二新公开不超过公开总数",
        "Table 2 published ≤ total",
        "表二“{row}”：本年新公开数量 {lhs} 大于对外公开总数量 {rhs}",
        "Table 2 “{row}”: newly published {lhs} exceeds the total published {rhs}",
        "国办公开办函〔2019〕60号 表二",
        checks=_t2_published,
    ),
    # ---- narrative against tables -----------------------------------------------------------
    Rule(
        "text.received",
        "warning",
        "正文收到申请数",
        "Applications received in the text",
        "正文称收到申请 {lhs} 件，表三“一、本年新收”总计为 {rhs}（“{text}”）",
        "The text says {lhs} applications were received; table 3 row 1 total is {rhs} (“{text}”)",
        _ART50 + "第（二）项",
        "narrative",
        _facts("received", ("t3.new.total",), (("t3.new.total", "t3.carried.total"),)),
    ),
    Rule(
        "text.handled",
        "warning",
        "正文办结申请数",
        "Applications answered in the text",
        "正文称办结/答复申请 {lhs} 件，表三“（七）总计”为 {rhs}（“{text}”）",
        "The text says {lhs} applications were answered; table 3 (7) total is {rhs} (“{text}”)",
        _ART50 + "第（二）项",
        "narrative",
        _facts("handled", ("t3.handled.total",)),
    ),
    Rule(
        "text.forward",
        "warning",
        "正文结转下年数",
        "Carried forward in the text",
        "正文称结转下年度 {lhs} 件，表三“四、结转下年度继续办理”总计为 {rhs}（“{text}”）",
        "The text says {lhs} are carried forward; table 3 row 4 total is {rhs} (“{text}”)",
        _ART50 + "第（二）项",
        "narrative",
        _facts("forward", ("t3.forward.total",)),
    ),
    Rule(
        "text.carried",
        "warning",
        "正文上年结转数",
        "Carried over in the text",
        "正文称上年结转 {lhs} 件，表三“二、上年结转”总计为 {rhs}（“{text}”）",
        "The text says {lhs} were carried over; table 3 row 2 total is {rhs} (“{text}”)",
        _ART50 + "第（二）项",
        "narrative",
        _facts("carried", ("t3.carried.total",)),
    ),
    Rule(
        "text.review",
        "warning",
        "正文行政复议数",
        "Reconsiderations in the text",
        "正文称行政复议 {lhs} 件，表四行政复议总计为 {rhs}（“{text}”）",
        "The text says {lhs} reconsiderations; table 4 reconsideration total is {rhs} (“{text}”)",
        _ART50 + "第（三）项",
        "narrative",
        _facts("review", ("t4.review.total",)),
    ),
    Rule(
        "text.litigation",
        "warning",
        "正文行政诉讼数",
        "Lawsuits in the text",
        "正文称行政诉讼 {lhs} 件，表四行政诉讼总计为 {rhs}（“{text}”）",
        "The text says {lhs} lawsuits; table 4 lawsuit totals add up to {rhs} (“{text}”)",
        _ART50 + "第（三）项",
        "narrative",
        _facts("litigation", ("t4.direct.total", "t4.after.total")),
    ),
    # ---- across years (the same agency, year Y against Y−1) ----------------------------------
    Rule(
        "xyear.carried",
        "warning",
        "上年结转与上年报告不符",
        "Carried over differs from last year",
        "表三“{col}”列：本年“二、上年结转” {lhs} ≠ 上年报告“四、结转下年度继续办理” {rhs}",
        "Table 3 column “{col_en}”: carried over this year {lhs} ≠ carried forward in last year's report {rhs}",
        "年报格式表三：上年结转数应等于上一年度报告的结转下年度数（机构调整时可能不同）",
        "cross-year",
        _carried_over,
    ),
    Rule(
        "xyear.in_force",
        "info",
        "现行有效件数滚动",
        "Documents in force roll forward",
        "表二“{row}”：现行有效 {lhs}（含本年废止）≠ 上年现行有效加本年制发 {rhs}（修订、清理可致不等，请核对）",
        "Table 2 “{row}”: in force plus repealed {lhs} ≠ last year's in force plus issued {rhs} (amendments may explain it)",
        "国办公开办函〔2021〕30号 表二",
        "cross-year",
        _in_force,
    ),
    # ---- metadata ---------------------------------------------------------------------------
    Rule(
        "meta.deadline",
        "warning",
        "发布时限",
        "Publication deadline",
        "落款日期 {detail}",
        "Signature date {detail}",
        "《政府信息公开条例》第四十九条：部门1月31日前、政府3月31日前",
        "metadata",
    ),
    Rule(
        "meta.no_agency",
        "warning",
        "未识别发布机关",
        "Publisher not found",
        "未能识别报告的发布机关",
        "The publishing agency could not be identified",
        "",
        "metadata",
    ),
    Rule(
        "meta.no_region",
        "warning",
        "未识别行政区划",
        "Region not found",
        "未能确定发布机关“{detail}”的行政区划代码",
        "No region code could be determined for “{detail}”",
        "GB/T 2260",
        "metadata",
    ),
    Rule(
        "meta.no_year",
        "warning",
        "未识别报告年度",
        "Report year not found",
        "未能识别报告年度",
        "The report year could not be identified",
        "",
        "metadata",
    ),
    # ---- conformance ------------------------------------------------------------------------
    Rule(
        "conf.section_missing",
        "warning",
        "缺少章节",
        "Section missing",
        "缺少规定章节“{detail}”",
        "Required section “{detail}” is missing",
        _ART50 + "；年报格式六部分",
        "conformance",
    ),
    Rule(
        "conf.section_renamed",
        "warning",
        "章节标题不规范",
        "Section renamed",
        "章节标题“{detail}”与规定格式不一致",
        "Section title “{detail}” differs from the official format",
        "年报格式六部分标题",
        "conformance",
    ),
    Rule(
        "conf.section_extra",
        "warning",
        "格式外章节",
        "Extra section",
        "格式之外的章节“{detail}”",
        "Section “{detail}” is not part of the official format",
        "年报格式六部分",
        "conformance",
    ),
    Rule(
        "conf.section_ordinal",
        "info",
        "章节无序号",
        "Section without ordinal",
        "章节标题“{detail}”缺少序号",
        "Section title “{detail}” has no ordinal",
        "年报格式六部分",
        "conformance",
    ),
    Rule(
        "conf.unfilled",
        "warning",
        "单元格未填写",
        "Cells left blank",
        "{detail}：{count} 个单元格未填写（空白不等于 0，请填写数字）",
        "{detail}: {count} cells left blank (blank is not 0)",
        "年报格式：统计表各项均应填写",
        "conformance",
    ),
    Rule(
        "conf.truncated",
        "error",
        "报告不完整",
        "Report incomplete",
        "报告不完整（疑似被截断）：{detail}",
        "The report is incomplete (cut short?): {detail_en}",
        _ART50,
        "conformance",
    ),
    Rule(
        "ocr.low_confidence",
        "warning",
        "识别置信度低",
        "Low OCR confidence",
        "扫描件中 {count} 个单元格识别置信度较低，请对照原件核对：{detail}",
        "{count} cells of the scan were read with low confidence; check them against the original: {detail}",
        "扫描件文字识别",
        "conformance",
    ),
    Rule(
        "repair.recovered",
        "info",
        "粘连数字已还原",
        "Glued numbers recovered",
        "表格数字粘连（“{detail}”），已按勾稽关系唯一还原",
        "Glued numbers (“{detail}”) recovered: one reading fits the sums",
        "年报格式统计表勾稽关系",
        "conformance",
    ),
    Rule(
        "repair.ambiguous",
        "warning",
        "粘连数字无法唯一还原",
        "Glued numbers ambiguous",
        "表格数字粘连，有多种读法，未采用任何一种：{detail}",
        "Glued numbers read several ways; none taken: {detail}",
        "年报格式统计表勾稽关系",
        "conformance",
    ),
    Rule(
        "repair.impossible",
        "warning",
        "粘连数字无法还原",
        "Glued numbers unreadable",
        "表格数字粘连（“{detail}”），没有符合勾稽关系的读法",
        "Glued numbers (“{detail}”): no reading fits the sums",
        "年报格式统计表勾稽关系",
        "conformance",
    ),
    Rule(
        "conf.table_missing",
        "error",
        "缺少统计表",
        "Table missing",
        "未找到{detail}",
        "{detail} not found",
        _ART50,
        "conformance",
    ),
    Rule(
        "conf.row_missing",
        "warning",
        "缺少表格行",
        "Row missing",
        "未找到表格行“{detail}”",
        "Row “{detail}” not found",
        "年报格式统计表",
        "conformance",
    ),
    Rule(
        "conf.row_unknown",
        "warning",
        "无法识别的行",
        "Unknown row",
        "无法识别的表格行“{detail}”",
        "Unknown table row “{detail}”",
        "年报格式统计表",
        "conformance",
    ),
    Rule(
        "conf.column_unknown",
        "info",
        "无法识别的列",
        "Unknown column",
        "无法识别的表头“{detail}”",
        "Unknown column header “{detail}”",
        "年报格式统计表",
        "conformance",
    ),
    Rule(
        "conf.cell_duplicate",
        "warning",
        "重复的单元格",
        "Duplicate cell",
        "同一单元格出现两个不同数值：{detail}",
        "The same cell appears twice with different values: {detail}",
        "年报格式统计表",
        "conformance",
    ),
    Rule(
        "conf.t4_shape",
        "warning",
        "表四列数不符",
        "Table 4 shape",
        "表四应有 15 个数值，读到 {detail} 个",
        "Table 4 should have 15 values; {detail} were read",
        _R4,
        "conformance",
    ),
    Rule(
        "conf.value_unreadable",
        "error",
        "无法识别的数值",
        "Unreadable value",
        "单元格内容不是有效数值：{detail}",
        "Not a valid value: {detail}",
        "统计表数值应为非负整数",
        "conformance",
    ),
    Rule(
        "conf.format_year",
        "warning",
        "格式与年度不符",
        "Format does not fit the year",
        "所用格式与报告年度不符（格式/年度：{detail}）",
        "The format does not fit the report year (format/year: {detail})",
        "2019、2020年度报告用〔2019〕60号格式；2021年度起用〔2021〕30号格式",
        "conformance",
    ),
    Rule(
        "conf.format_mixed",
        "warning",
        "新旧格式混用",
        "Formats mixed",
        "表格同时含有2019年版与2021年版格式的栏目",
        "The tables mix columns of the 2019 and 2021 formats",
        "国办公开办函〔2021〕30号",
        "conformance",
    ),
    Rule(
        "conf.year_mismatch",
        "warning",
        "年度不一致",
        "Year mismatch",
        "标题年度与统计期限年度不一致（{detail}）",
        "The year in the title and the statistics period differ ({detail})",
        "年报格式：标题与统计期限",
        "conformance",
    ),
)

BY_ID: dict[str, Rule] = {r.id: r for r in RULES}
