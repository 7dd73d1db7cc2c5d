"""The two official formats as data: 国办公开办函〔2019〕60号 and 国办公开办函〔2021〕30号.

Labels are the official wording; ``variants`` hold wordings seen in real reports. This module
is the only place in the code base that spells a template label.
"""

from __future__ import annotations

from .model import Block, Field, Format, Group4, Label, Row, Section, Table2, Table3, Table4

L = Label

SECTIONS = (
    Section(
        "s1", "一", L("总体情况", ("工作情况概述", "基本情况", "工作概况", "概述")), ("总体", "概述", "概况")
    ),
    Section("s2", "二", L("主动公开政府信息情况", ("主动公开情况",)), ("主动公开",)),
    Section(
        "s3",
        "三",
        L("收到和处理政府信息公开申请情况", ("依申请公开情况", "依申请公开政府信息情况")),
        ("申请",),
    ),
    Section(
        "s4",
        "四",
        L(
            "政府信息公开行政复议、行政诉讼情况",
            (
                "因政府信息公开工作被申请行政复议、提起行政诉讼情况",
                "因政府信息公开工作被申请行政复议和提起行政诉讼情况",
                "政府信息公开行政复议和行政诉讼情况",
                "行政复议、行政诉讼情况",
            ),
        ),
        ("行政复议", "行政诉讼"),
    ),
    Section(
        "s5",
        "五",
        L(
            "存在的主要问题及改进情况",
            (
                "政府信息公开工作存在的主要问题及改进情况",
                "存在问题及改进情况",
                "存在的主要问题和改进措施",
                "存在的主要问题及改进措施",
                "主要问题及改进情况",
            ),
        ),
        ("问题", "改进"),
    ),
    Section(
        "s6",
        "六",
        L("其他需要报告的事项", ("需要说明的其他事项", "其他需要说明的事项", "其他事项")),
        ("其他", "需要报告"),
    ),
)

# Table 三 columns: the same in both formats.
T3_COLUMNS = (
    Field("np", L("自然人")),
    Field("biz", L("商业企业")),
    Field("research", L("科研机构")),
    Field("ngo", L("社会公益组织")),
    Field("legal", L("法律服务机构")),
    Field("other", L("其他")),
    Field("total", L("总计", ("合计",))),
)
T3_PARENT_COLUMNS = (L("申请人情况"), L("法人或其他组织"))
T3_NOTE = L("（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）")
T3_OUTCOMES = L("三、本年度办理结果")

G_DENIED = L("（三）不予公开")
G_UNABLE = L("（四）无法提供")
G_REJECTED = L("（五）不予处理")
G_OTHER = L("（六）其他处理")

_T3_HEAD = (
    Row("new", L("一、本年新收政府信息公开申请数量", ("本年新收政府信息公开申请数量",)), ordinal="一"),
    Row("carried", L("二、上年结转政府信息公开申请数量", ("上年结转政府信息公开申请数量",)), ordinal="二"),
    Row("granted", L("（一）予以公开"), ordinal="（一）"),
    Row(
        "partial",
        L("（二）部分公开（区分处理的，只计这一情形，不计其他情形）", ("（二）部分公开",)),
        ordinal="（二）",
    ),
    Row("denied.secret", L("1.属于国家秘密"), G_DENIED, "1."),
    Row("denied.law", L("2.其他法律行政法规禁止公开"), G_DENIED, "2."),
    Row("denied.safety", L("3.危及“三安全一稳定”"), G_DENIED, "3."),
    Row("denied.third_party", L("4.保护第三方合法权益"), G_DENIED, "4."),
    Row("denied.internal", L("5.属于三类内部事务信息"), G_DENIED, "5."),
    Row("denied.process", L("6.属于四类过程性信息"), G_DENIED, "6."),
    Row("denied.enforcement", L("7.属于行政执法案卷"), G_DENIED, "7."),
    Row("denied.query", L("8.属于行政查询事项"), G_DENIED, "8."),
    Row("unable.no_info", L("1.本机关不掌握相关政府信息"), G_UNABLE, "1."),
    Row(
        "unable.needs_creation",
        L("2.没有现成信息需要另行制作", ("2.没有现成信息需另行制作",)),
        G_UNABLE,
        "2.",
    ),
    Row("unable.unclear", L("3.补正后申请内容仍不明确"), G_UNABLE, "3."),
    Row("rejected.petition", L("1.信访举报投诉类申请"), G_REJECTED, "1."),
    Row("rejected.duplicate", L("2.重复申请"), G_REJECTED, "2."),
    Row("rejected.publication", L("3.要求提供公开出版物"), G_REJECTED, "3."),
    Row("rejected.excessive", L("4.无正当理由大量反复申请"), G_REJECTED, "4."),
    Row("rejected.confirmation", L("5.要求行政机关确认或重新出具已获取信息"), G_REJECTED, "5."),
)
_T3_TAIL = (
    Row("handled", L("（七）总计"), ordinal="（七）"),
    Row("forward", L("四、结转下年度继续办理", ("结转下年度继续办理",)), ordinal="四"),
)
T3_OTHER_SINGLE = Row("other", G_OTHER, ordinal="（六）")
T3_OTHER_SPLIT = (
    Row(
        "other.no_correction",
        L(
            "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
            ("1.申请人无正当理由逾期不补正",),
        ),
        G_OTHER,
        "1.",
    ),
    Row(
        "other.no_fee",
        L(
            "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
            ("2.申请人逾期未按收费通知要求缴纳费用",),
        ),
        G_OTHER,
        "2.",
    ),
    Row("other.other", L("3.其他"), G_OTHER, "3."),
)

# Table 四: the same in both formats.
T4 = Table4(
    "t4",
    groups=(
        Group4("review", L("行政复议")),
        Group4("direct", L("未经复议直接起诉")),
        Group4("after", L("复议后起诉")),
    ),
    fields=(
        Field("upheld", L("结果维持")),
        Field("corrected", L("结果纠正")),
        Field("other", L("其他结果")),
        Field("pending", L("尚未审结")),
        Field("total", L("总计", ("合计",))),
    ),
    parents=(L("行政复议"), L("行政诉讼")),
)

INFO_CONTENT = L("信息内容")

_PREV = Field("prev", L("上一年项目数量"))
_CHANGE = Field("change", L("本年增/减", ("本年增减", "本年增加/减少")), "delta")
_DECISIONS_2019 = Field("decisions", L("处理决定数量"))

T2_2019 = Table2(
    "t2",
    blocks=(
        Block(
            L("第二十条第（一）项"),
            (
                Field("made", L("本年新制作数量", ("本年制作数量",))),
                Field("published", L("本年新公开数量", ("本年公开数量",))),
                Field("total", L("对外公开总数量")),
            ),
            (Row("rules", L("规章")), Row("normative", L("规范性文件", ("行政规范性文件",)))),
        ),
        Block(
            L("第二十条第（五）项"),
            (_PREV, _CHANGE, _DECISIONS_2019),
            (Row("licensing", L("行政许可")), Row("other_services", L("其他对外管理服务事项"))),
        ),
        Block(
            L("第二十条第（六）项"),
            (_PREV, _CHANGE, _DECISIONS_2019),
            (Row("penalty", L("行政处罚")), Row("coercion", L("行政强制"))),
        ),
        Block(L("第二十条第（八）项"), (_PREV, _CHANGE), (Row("fees", L("行政事业性收费")),)),
        Block(
            L("第二十条第（九）项"),
            (
                Field("items", L("采购项目数量")),
                Field("amount", L("采购总金额", ("采购总金额（万元）", "采购总金额(万元)")), "money"),
            ),
            (Row("procurement", L("政府集中采购")),),
        ),
    ),
)

_DECISIONS_2021 = Field("decisions", L("本年处理决定数量", ("处理决定数量",)))
T2_2021 = Table2(
    "t2",
    blocks=(
        Block(
            L("第二十条第（一）项"),
            (
                Field("issued", L("本年制发件数", ("本年新制发件数",))),
                Field("repealed", L("本年废止件数")),
                Field("in_force", L("现行有效件数")),
            ),
            (Row("rules", L("规章")), Row("normative", L("行政规范性文件", ("规范性文件",)))),
        ),
        Block(L("第二十条第（五）项"), (_DECISIONS_2021,), (Row("licensing", L("行政许可")),)),
        Block(
            L("第二十条第（六）项"),
            (_DECISIONS_2021,),
            (Row("penalty", L("行政处罚")), Row("coercion", L("行政强制"))),
        ),
        Block(
            L("第二十条第（八）项"),
            (Field("amount", L("本年收费金额（单位：万元）", ("本年收费金额", "收费金额")), "money"),),
            (Row("fees", L("行政事业性收费")),),
        ),
    ),
)

FORMAT_2019 = Format(
    "2019",
    "2019年版格式",
    "国办公开办函〔2019〕60号",
    (2019, 2020),
    SECTIONS,
    T2_2019,
    Table3("t3", (*_T3_HEAD, T3_OTHER_SINGLE, *_T3_TAIL), T3_COLUMNS),
    T4,
    T3_NOTE,
)

FORMAT_2021 = Format(
    "2021",
    "2021年版格式",
    "国办公开办函〔2021〕30号",
    (2021, 9999),
    SECTIONS,
    T2_2021,
    Table3(
        "t3",
        (*_T3_HEAD, *T3_OTHER_SPLIT, *_T3_TAIL),
        T3_COLUMNS,
        alternatives=((T3_OTHER_SINGLE, tuple(r.id for r in T3_OTHER_SPLIT)),),
    ),
    T4,
    T3_NOTE,
)

FORMATS: dict[str, Format] = {"2019": FORMAT_2019, "2021": FORMAT_2021}


def format_for_year(year: int) -> Format:
    """The format a report for ``year`` should use."""
    return FORMAT_2019 if year <= FORMAT_2019.years[1] else FORMAT_2021
