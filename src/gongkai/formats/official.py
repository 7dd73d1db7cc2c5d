"""The two official formats as data: 国办公开办函〔2019〕60号 and 国办公开办函〔2021〕30号.

Labels are the official wording; ``variants`` hold wordings seen in real reports. This module
is the only place in the code base that spells a template label.
"""

from __future__ import annotations

from .model import Block, Field, Format, Group4, Label, Row, Section, Table2, Table3, Table4

L = Label

SECTIONS = (
    Section(
        "s1",
        "一",
        L("总体情况", ("工作情况概述", "基本情况", "工作概况", "概述"), en="overview"),
        ("总体", "概述", "概况"),
    ),
    Section(
        "s2",
        "二",
        L("主动公开政府信息情况", ("主动公开情况",), en="proactive disclosure of government information"),
        ("主动公开",),
    ),
    Section(
        "s3",
        "三",
        L(
            "收到和处理政府信息公开申请情况",
            ("依申请公开情况", "依申请公开政府信息情况"),
            en="disclosure applications received and handled",
        ),
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
            en="administrative reconsideration and litigation over disclosure",
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
            en="main problems and improvements",
        ),
        ("问题", "改进"),
    ),
    Section(
        "s6",
        "六",
        L(
            "其他需要报告的事项",
            ("需要说明的其他事项", "其他需要说明的事项", "其他事项"),
            en="other matters to report",
        ),
        ("其他", "需要报告"),
    ),
)

# Table 三 columns: the same in both formats.
T3_COLUMNS = (
    Field("np", L("自然人", en="natural persons")),
    Field("biz", L("商业企业", en="commercial enterprises")),
    Field("research", L("科研机构", en="research institutions")),
    Field("ngo", L("社会公益组织", en="public-interest organisations")),
    Field("legal", L("法律服务机构", en="legal service providers")),
    Field("other", L("其他", en="others")),
    Field("total", L("总计", ("合计",), en="total")),
)
T3_PARENT_COLUMNS = (
    L("申请人情况", en="applicants"),
    L("法人或其他组织", en="legal persons or other organisations"),
)
T3_NOTE = L(
    "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）",
    en="(in this column, item 1 plus item 2 equals item 3 plus item 4)",
)
T3_OUTCOMES = L("三、本年度办理结果", en="outcomes this year")

G_DENIED = L("（三）不予公开", en="not disclosed")
G_UNABLE = L("（四）无法提供", en="unable to provide")
G_REJECTED = L("（五）不予处理", en="not processed")
G_OTHER = L("（六）其他处理", en="other handling")

_T3_HEAD = (
    Row(
        "new",
        L(
            "一、本年新收政府信息公开申请数量",
            ("本年新收政府信息公开申请数量",),
            en="new applications this year",
            short="本年新收",
            en_short="new applications",
        ),
        ordinal="一",
    ),
    Row(
        "carried",
        L(
            "二、上年结转政府信息公开申请数量",
            ("上年结转政府信息公开申请数量",),
            en="carried over from last year",
            short="上年结转",
            en_short="carried over",
        ),
        ordinal="二",
    ),
    Row("granted", L("（一）予以公开", en="disclosed"), ordinal="（一）"),
    Row(
        "partial",
        L(
            "（二）部分公开（区分处理的，只计这一情形，不计其他情形）",
            ("（二）部分公开",),
            en="partly disclosed",
        ),
        ordinal="（二）",
    ),
    Row("denied.secret", L("1.属于国家秘密", en="state secret", short="国家秘密"), G_DENIED, "1."),
    Row(
        "denied.law",
        L(
            "2.其他法律行政法规禁止公开",
            en="barred by other laws and administrative regulations",
            short="法律法规禁止",
            en_short="barred by law",
        ),
        G_DENIED,
        "2.",
    ),
    Row(
        "denied.safety",
        L(
            "3.危及“三安全一稳定”",
            en="endangers national, public, economic security or social stability",
            short="危及三安全一稳定",
            en_short="security or stability",
        ),
        G_DENIED,
        "3.",
    ),
    Row(
        "denied.third_party",
        L(
            "4.保护第三方合法权益",
            en="protects lawful rights of third parties",
            short="第三方权益",
            en_short="third-party rights",
        ),
        G_DENIED,
        "4.",
    ),
    Row(
        "denied.internal",
        L(
            "5.属于三类内部事务信息",
            en="internal affairs information",
            short="内部事务",
            en_short="internal affairs",
        ),
        G_DENIED,
        "5.",
    ),
    Row(
        "denied.process",
        L("6.属于四类过程性信息", en="process information", short="过程性信息"),
        G_DENIED,
        "6.",
    ),
    Row(
        "denied.enforcement",
        L(
            "7.属于行政执法案卷",
            en="administrative enforcement case files",
            short="执法案卷",
            en_short="enforcement files",
        ),
        G_DENIED,
        "7.",
    ),
    Row(
        "denied.query",
        L(
            "8.属于行政查询事项",
            en="administrative query matters",
            short="行政查询",
            en_short="query matters",
        ),
        G_DENIED,
        "8.",
    ),
    Row(
        "unable.no_info",
        L(
            "1.本机关不掌握相关政府信息",
            en="not held by this agency",
            short="本机关不掌握",
            en_short="not held",
        ),
        G_UNABLE,
        "1.",
    ),
    Row(
        "unable.needs_creation",
        L(
            "2.没有现成信息需要另行制作",
            ("2.没有现成信息需另行制作",),
            en="no existing information, would need to be created",
            short="需另行制作",
            en_short="would need creating",
        ),
        G_UNABLE,
        "2.",
    ),
    Row(
        "unable.unclear",
        L(
            "3.补正后申请内容仍不明确",
            en="request still unclear after amendment",
            short="补正后仍不明确",
            en_short="still unclear",
        ),
        G_UNABLE,
        "3.",
    ),
    Row(
        "rejected.petition",
        L(
            "1.信访举报投诉类申请",
            en="petitions, reports and complaints",
            short="信访举报投诉",
            en_short="petitions and complaints",
        ),
        G_REJECTED,
        "1.",
    ),
    Row(
        "rejected.duplicate",
        L("2.重复申请", en="repeated applications", en_short="repeated"),
        G_REJECTED,
        "2.",
    ),
    Row(
        "rejected.publication",
        L(
            "3.要求提供公开出版物",
            en="requests for published materials",
            short="公开出版物",
            en_short="publications",
        ),
        G_REJECTED,
        "3.",
    ),
    Row(
        "rejected.excessive",
        L(
            "4.无正当理由大量反复申请",
            en="mass repeated applications without good reason",
            short="大量反复申请",
            en_short="mass repeated",
        ),
        G_REJECTED,
        "4.",
    ),
    Row(
        "rejected.confirmation",
        L(
            "5.要求行政机关确认或重新出具已获取信息",
            en="requests to confirm or reissue information already obtained",
            short="确认或重新出具",
            en_short="confirm or reissue",
        ),
        G_REJECTED,
        "5.",
    ),
)
_T3_TAIL = (
    Row("handled", L("（七）总计", en="total handled", short="办理总计"), ordinal="（七）"),
    Row(
        "forward",
        L(
            "四、结转下年度继续办理",
            ("结转下年度继续办理",),
            en="carried forward to next year",
            short="结转下年度",
            en_short="carried forward",
        ),
        ordinal="四",
    ),
)
T3_OTHER_SINGLE = Row("other", G_OTHER, ordinal="（六）")
T3_OTHER_SPLIT = (
    Row(
        "other.no_correction",
        L(
            "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
            ("1.申请人无正当理由逾期不补正",),
            en="applicant failed to amend in time without good reason; not processed further",
            short="逾期不补正",
            en_short="not amended in time",
        ),
        G_OTHER,
        "1.",
    ),
    Row(
        "other.no_fee",
        L(
            "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
            ("2.申请人逾期未按收费通知要求缴纳费用",),
            en="applicant failed to pay the fee in time; not processed further",
            short="逾期未缴费",
            en_short="fee not paid",
        ),
        G_OTHER,
        "2.",
    ),
    Row("other.other", L("3.其他", en="others"), G_OTHER, "3."),
)

# Table 四: the same in both formats.
T4 = Table4(
    "t4",
    groups=(
        Group4("review", L("行政复议", en="administrative reconsideration", en_short="reconsideration")),
        Group4(
            "direct",
            L(
                "未经复议直接起诉",
                en="litigation: sued directly without reconsideration",
                short="直接起诉",
                en_short="sued directly",
            ),
        ),
        Group4(
            "after",
            L(
                "复议后起诉",
                en="litigation: sued after reconsideration",
                en_short="sued after reconsideration",
            ),
        ),
    ),
    fields=(
        Field("upheld", L("结果维持", en="upheld")),
        Field("corrected", L("结果纠正", en="corrected")),
        Field("other", L("其他结果", en="other result")),
        Field("pending", L("尚未审结", en="pending")),
        Field("total", L("总计", ("合计",), en="total")),
    ),
    parents=(
        L("行政复议", en="administrative reconsideration"),
        L("行政诉讼", en="administrative litigation"),
    ),
)

INFO_CONTENT = L("信息内容", en="information content")

_PREV = Field("prev", L("上一年项目数量", en="items last year", short="上年项目数"))
_CHANGE = Field("change", L("本年增/减", ("本年增减", "本年增加/减少"), en="change this year"), "delta")
_DECISIONS_2019 = Field("decisions", L("处理决定数量", en="decisions", short="处理决定"))

T2_2019 = Table2(
    "t2",
    blocks=(
        Block(
            L("第二十条第（一）项", en="Article 20(1)"),
            (
                Field(
                    "made", L("本年新制作数量", ("本年制作数量",), en="made this year", short="本年新制作")
                ),
                Field(
                    "published",
                    L("本年新公开数量", ("本年公开数量",), en="published this year", short="本年新公开"),
                ),
                Field("total", L("对外公开总数量", en="total published", short="公开总数")),
            ),
            (
                Row("rules", L("规章", en="regulations (rules)", en_short="regulations")),
                Row("normative", L("规范性文件", ("行政规范性文件",), en="normative documents")),
            ),
        ),
        Block(
            L("第二十条第（五）项", en="Article 20(5)"),
            (_PREV, _CHANGE, _DECISIONS_2019),
            (
                Row("licensing", L("行政许可", en="administrative licensing")),
                Row(
                    "other_services",
                    L(
                        "其他对外管理服务事项",
                        en="other external management services",
                        short="其他管理服务",
                        en_short="other services",
                    ),
                ),
            ),
        ),
        Block(
            L("第二十条第（六）项", en="Article 20(6)"),
            (_PREV, _CHANGE, _DECISIONS_2019),
            (
                Row("penalty", L("行政处罚", en="administrative penalties")),
                Row("coercion", L("行政强制", en="administrative coercion")),
            ),
        ),
        Block(
            L("第二十条第（八）项", en="Article 20(8)"),
            (_PREV, _CHANGE),
            (Row("fees", L("行政事业性收费", en="administrative fees")),),
        ),
        Block(
            L("第二十条第（九）项", en="Article 20(9)"),
            (
                Field("items", L("采购项目数量", en="procurement items", short="采购项目数")),
                Field(
                    "amount",
                    L(
                        "采购总金额",
                        ("采购总金额（万元）", "采购总金额(万元)"),
                        en="total procurement amount (10,000 yuan)",
                        en_short="amount (10k yuan)",
                    ),
                    "money",
                ),
            ),
            (
                Row(
                    "procurement",
                    L(
                        "政府集中采购",
                        en="government centralised procurement",
                        en_short="centralised procurement",
                    ),
                ),
            ),
        ),
    ),
)

_DECISIONS_2021 = Field(
    "decisions", L("本年处理决定数量", ("处理决定数量",), en="decisions this year", short="本年处理决定")
)
T2_2021 = Table2(
    "t2",
    blocks=(
        Block(
            L("第二十条第（一）项", en="Article 20(1)"),
            (
                Field(
                    "issued", L("本年制发件数", ("本年新制发件数",), en="issued this year", short="本年制发")
                ),
                Field("repealed", L("本年废止件数", en="repealed this year", short="本年废止")),
                Field("in_force", L("现行有效件数", en="currently in force", short="现行有效")),
            ),
            (
                Row("rules", L("规章", en="regulations (rules)", en_short="regulations")),
                Row(
                    "normative",
                    L(
                        "行政规范性文件",
                        ("规范性文件",),
                        en="administrative normative documents",
                        en_short="normative documents",
                    ),
                ),
            ),
        ),
        Block(
            L("第二十条第（五）项", en="Article 20(5)"),
            (_DECISIONS_2021,),
            (Row("licensing", L("行政许可", en="administrative licensing")),),
        ),
        Block(
            L("第二十条第（六）项", en="Article 20(6)"),
            (_DECISIONS_2021,),
            (
                Row("penalty", L("行政处罚", en="administrative penalties")),
                Row("coercion", L("行政强制", en="administrative coercion")),
            ),
        ),
        Block(
            L("第二十条第（八）项", en="Article 20(8)"),
            (
                Field(
                    "amount",
                    L(
                        "本年收费金额（单位：万元）",
                        ("本年收费金额", "收费金额"),
                        en="fees collected this year (10,000 yuan)",
                        en_short="fees (10k yuan)",
                    ),
                    "money",
                ),
            ),
            (Row("fees", L("行政事业性收费", en="administrative fees")),),
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
