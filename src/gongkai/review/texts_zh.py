"""The Chinese wording of the 检查情况通报 and the 整改通知: data in, blocks (``render``) out.

Standard phrases follow the usual style of such circulars; article numbers are those of
《中华人民共和国政府信息公开条例》 (2019 revision): Art. 49 sets the publication deadlines (departments by
31 January, local governments at county level and above by 31 March), Art. 50 the report's contents.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from itertools import zip_longest
from typing import TYPE_CHECKING

from .render import Composed, Heading, Line, PageBreak, Para, Signature, Table, Title

if TYPE_CHECKING:
    import datetime as dt

    from .documents import AgencyLine, Circular, Example, Notice, NoticeItem

LAW = "《中华人民共和国政府信息公开条例》"
DEFAULT_DAYS = 15  # working days to rectify when no deadline is given
SEVERITY = {"error": "错误", "warning": "警告", "info": "提示"}
WE = "我办"  # who speaks when the issuer is not named

ANNEX_TITLE = "各单位年报检查情况一览表"
REQUIREMENTS = (
    (
        "（一）抓好问题整改。",
        "请各有关单位对照本通报及附件所列问题逐项核实，更正年报后在原发布渠道重新发布，"
        "并${when}将整改情况报送${we}。对检查意见有异议的，请在上述期限内提出并附相关说明材料。",
    ),
    (
        "（二）按时发布年报。",
        "尚未发布年报的单位要立即按照规定格式编制并公开年报；逾期发布的单位要查找原因，"
        f"今后严格按照{LAW}第四十九条规定的时限发布。",
    ),
    (
        "（三）提高年报质量。",
        "各单位要严格按照国务院办公厅政府信息公开办公室印发的年报格式要求编制年报，"
        "加强数据核对和审核把关，确保各项统计数据准确、表内表间逻辑关系一致，杜绝漏报、错报。",
    ),
)


def zh_date(d: dt.date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def cn_num(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 20 → 二十, 35 → 三十五 (up to 99; larger numbers in digits)."""
    digits = "零一二三四五六七八九"
    if not 0 < n < 100:
        return str(n)
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else digits[tens] + "十")
    return head + (digits[ones] if ones else "")


def _when(due: dt.date | None, what: str) -> str:
    """ "于2026年5月15日前" or "在收到本通报之日起15个工作日内"."""
    return f"于{zh_date(due)}前" if due else f"在收到本{what}之日起{DEFAULT_DAYS}个工作日内"


def _agency(a: AgencyLine) -> str:
    """How an agency is named in the text (its full name; the region code stays in the data)."""
    return a.name.strip()


def _sentence(text: str) -> str:
    text = text.strip()
    return text if not text or text.endswith(("。", "！", "？", "；", "”", ".")) else text + "。"


def _cells(cells: Sequence[str], values: Sequence[str]) -> str:
    """ "“表三 本年新收·总计”填报为“12”、“表三 结转下年度继续办理”填报为“3”"."""
    parts = []
    for cell, value in zip_longest(cells, values, fillvalue=""):
        if cell and value:
            parts.append(f"“{cell}”填报为“{value}”")
        elif cell:
            parts.append(f"“{cell}”未填报")
        elif value:
            parts.append(f"填报值“{value}”")
    return "、".join(parts)


def _example(k: int, e: Example) -> Para:
    where = _cells(e.cells, e.values)
    return Para(f"{k}. {_agency(e.agency)}：{where + '，' if where else ''}{_sentence(e.message)}")


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "—"


def _list(names: Sequence[str]) -> str:
    return "、".join(names)


# -- 检查情况通报 ----------------------------------------------------------------------------------


def circular(c: Circular) -> Composed:
    we = c.issuer or WE
    title = f"关于{c.year}年度政府信息公开工作年度报告检查情况的通报"
    b: list = []
    if c.document_no:
        b.append(Line(c.document_no, align="center"))
    b += [
        Title(title),
        Line(c.addressee or "各有关单位："),
        Para(
            f"根据{LAW}第四十九条、第五十条的规定，{we}对{c.region_name}{c.expected}家单位"
            f"{c.year}年度政府信息公开工作年度报告（以下简称年报）的发布情况和内容质量进行了检查。"
            "检查采用逐表逐项核对统计数据与人工复核相结合的方式，所列问题均经复核确认。现将有关情况通报如下。"
        ),
    ]

    # 一、总体情况
    b += [
        Heading("一、总体情况"),
        Para(
            f"本次应发布年报的单位共{c.expected}家，已发布{c.published}家，发布率{_percent(c.published, c.expected)}。"
            f"其中，按时发布{c.on_time}家，逾期发布{len(c.late)}家；截至本通报印发之日仍未发布{len(c.missing)}家。"
        ),
        Para(
            f"经检查复核，共确认问题{c.confirmed}处，分属{len(c.problems)}类，"
            f"其中{c.reports_with_errors}份年报存在经确认的错误；"
            f"另有{c.dismissed}处疑似问题经复核予以排除，不在本通报之列。"
            if c.confirmed
            else f"经检查复核，未确认存在问题的年报；{c.dismissed}处疑似问题经复核予以排除。"
        ),
    ]

    # 二、未按时发布年报的单位
    b += [
        Heading("二、未按时发布年报的单位"),
        Para(
            f"按照{LAW}第四十九条的规定，政府部门应于每年1月31日前、县级以上地方人民政府应于每年3月31日前"
            "向社会公布本机关上一年度政府信息公开工作年度报告。"
        ),
        Para(
            f"截至本通报印发之日，共{len(c.missing)}家：{_list([_agency(a) for a in c.missing])}。"
            if c.missing
            else "无。",
            lead="（一）未发布年报的单位。",
        ),
        Para(f"共{len(c.late)}家，详见下表。" if c.late else "无。", lead="（二）逾期发布年报的单位。"),
    ]
    if c.late:
        b.append(
            Table(
                ("序号", "单位", "应发布期限", "实际发布日期", "逾期天数"),
                tuple(
                    (
                        str(i),
                        _agency(x.agency),
                        zh_date(x.deadline),
                        zh_date(x.published),
                        str(max(0, (x.published - x.deadline).days)),
                    )
                    for i, x in enumerate(c.late, 1)
                ),
                (12, 46, 41, 41, 16),
                left=(1,),
            )
        )

    # 三、发现的主要问题
    b.append(Heading("三、发现的主要问题"))
    if c.problems:
        b.append(Para(f"经复核确认的问题按所违反的核对规则归类如下（共{len(c.problems)}类）。"))
        for i, g in enumerate(c.problems, 1):
            sev = SEVERITY.get(g.severity, g.severity)
            b.append(
                Para(
                    f"共{g.agencies}家单位存在此类问题，确认{g.findings}处（规则{g.rule}，{sev}）。"
                    + ("例如：" if g.examples else ""),
                    lead=f"（{cn_num(i)}）{g.title.rstrip('。')}。",
                )
            )
            b += [_example(k, e) for k, e in enumerate(g.examples, 1)]
    else:
        b.append(Para("经检查复核，未发现需要通报的问题。"))

    # 四、问题较多的单位
    b.append(Heading("四、问题较多的单位"))
    if c.ranking:
        b += [
            Para("按经确认的问题数量排序，问题较多的单位如下："),
            Table(
                ("序号", "单位", "确认问题数", "其中错误", "整改状态"),
                tuple(
                    (str(i), _agency(r.agency), str(r.confirmed), str(r.errors), r.status)
                    for i, r in enumerate(c.ranking, 1)
                ),
                (12, 72, 24, 24, 24),
                left=(1,),
            ),
        ]
    else:
        b.append(Para("无。"))

    # 五、工作要求
    b.append(Heading("五、工作要求"))
    fill = {"when": _when(c.due, "通报"), "we": we}
    for lead, text in REQUIREMENTS:
        b.append(Para(_fill(text, fill), lead=lead))
    if c.contact:
        b.append(Para(f"联系人及电话：{c.contact}"))

    b += [
        Para(""),
        Para(f"附件：{ANNEX_TITLE}"),
        Signature((c.issuer, zh_date(c.date))),
        PageBreak(),
        Line("附件", font="heading"),
        Title(f"{c.region_name}{c.year}年度政府信息公开工作年度报告检查情况一览表", size=18),
    ]
    if c.annex:
        b.append(
            Table(
                (
                    "序号",
                    "单位",
                    "发布情况",
                    "发布日期",
                    "年报格式",
                    "错误",
                    "警告",
                    "确认问题",
                    "已排除",
                    "整改状态",
                ),
                tuple(
                    (
                        str(i),
                        _agency(r.agency),
                        r.published,
                        r.date,
                        r.template,
                        str(r.errors),
                        str(r.warnings),
                        str(r.confirmed),
                        str(r.dismissed),
                        r.status,
                    )
                    for i, r in enumerate(c.annex, 1)
                ),
                (10.5, 31, 13, 24, 20, 10.5, 10.5, 10.5, 10.5, 15.5),
                left=(1,),
            )
        )
    else:
        b.append(Para("无。"))
    return Composed(
        title=title,
        author=c.issuer,
        subject=f"{c.region_code} {c.region_name} {c.year}年度年报检查".strip(),
        date=c.date,
        blocks=tuple(b),
        keywords="政府信息公开工作年度报告；检查情况通报",
        identifier=c.document_no,
    )


# -- 整改通知 ----------------------------------------------------------------------------------------


def _item_row(i: int, it: NoticeItem) -> tuple[str, ...]:
    sev = SEVERITY.get(it.severity, it.severity)
    rule = f"（{it.rule}）" if it.rule else ""
    return (
        str(i),
        "\n".join(it.cells),
        "\n".join(it.values),
        f"【{sev}】{it.rule_title}{rule}：{_sentence(it.message)}",
        it.note,
    )


def notice(n: Notice) -> Composed:
    we = n.issuer or WE
    name = n.agency.name
    title = f"关于{name}{n.year}年度政府信息公开工作年度报告问题整改的通知"
    report = n.report_title.strip().strip("《》") or f"{n.year}年度政府信息公开工作年度报告"
    where = f"（{n.url}）" if n.url else ""
    b: list = []
    if n.document_no:
        b.append(Line(n.document_no, align="center"))
    b += [Title(title), Line(f"{name}：")]
    if n.items:
        b += [
            Para(
                f"{we}对{n.year}年度政府信息公开工作年度报告进行了检查。经复核确认，你单位发布的《{report}》{where}"
                f"存在以下{len(n.items)}处问题："
            ),
            Table(
                ("序号", "涉及栏目", "填报值", "问题说明", "复核意见"),
                tuple(_item_row(i, it) for i, it in enumerate(n.items, 1)),
                (12, 42, 18, 50, 34),
                left=(1, 3, 4),
            ),
            Para(
                f"请你单位对照上述问题逐项核实，依照{LAW}的有关规定更正年报，在原发布渠道重新发布，"
                f"并{_when(n.due, '通知')}将整改情况（含更正后的年报及发布链接）书面报送{we}。"
            ),
            Para("对检查意见有异议的，请在上述期限内提出并附相关说明材料。"),
        ]
    else:
        b.append(
            Para(
                f"{we}对{n.year}年度政府信息公开工作年度报告进行了检查。经复核，你单位发布的《{report}》{where}"
                "未发现需要整改的问题。"
            )
        )
    b += [
        Para(
            f"联系人及电话：{n.contact}" if n.contact else "联系人：＿＿＿＿＿＿　联系电话：＿＿＿＿＿＿＿＿"
        ),
        Para("特此通知。"),
        Signature((n.issuer, zh_date(n.date))),
    ]
    return Composed(
        title=title,
        author=n.issuer,
        subject=f"{name} {n.year}年度年报问题整改",
        date=n.date,
        blocks=tuple(b),
        keywords="政府信息公开工作年度报告；整改通知",
        identifier=n.document_no,
    )


def _fill(text: str, fields: dict[str, str]) -> str:
    from string import Template

    return Template(text).substitute(fields)


def filename(title: str, suffix: str) -> str:
    name = re.sub(r'[\\/:*?"<>|\x00-\x1f]', "_", title).strip(" .")
    return f"{name[:150]}{suffix}"
