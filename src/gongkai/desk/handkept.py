"""How hand-kept 台账 spell things: column headers, dates, channels, applicant types and outcomes.

Each ``read_*`` function takes a cell value as openpyxl returns it and gives the ledger's value, or
raises ``ValueError`` with a Chinese message naming what it could not read. Nothing is guessed: a value
that could mean two things (e.g. a bare "不予公开" without its reason) is refused, not picked.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Any

from .ledger import APPLICANT_TYPES, CHANNELS, OUTCOMES

# Our fields → (canonical Chinese header, header variants in order of preference). A header may be the
# variant of two fields (补正日期, 办结日期); the field where it ranks better gets it, so when a sheet has
# both 补正告知日期 and 补正日期 the second is read as the date the correction arrived.
FIELDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "number": (
        "登记编号",
        ("登记编号", "登记号", "申请编号", "受理编号", "编号", "收文编号", "流水号", "申请登记号"),
    ),
    "received": (
        "收到日期",
        (
            "收到日期",
            "收到申请日期",
            "申请收到日期",
            "申请日期",
            "受理日期",
            "登记日期",
            "收件日期",
            "接收日期",
            "收到申请时间",
            "申请时间",
            "收到时间",
        ),
    ),
    "channel": ("申请方式", ("申请方式", "申请渠道", "渠道", "提交方式", "申请途径", "受理方式", "方式")),
    "applicant": (
        "申请人",
        ("申请人", "申请人姓名名称", "申请人姓名", "申请人名称", "姓名名称", "姓名", "申请单位"),
    ),
    "applicant_type": (
        "申请人类型",
        ("申请人类型", "申请人身份", "申请人类别", "身份", "类型", "申请主体类型", "主体类型"),
    ),
    "applicant_id": (
        "证件号码",
        (
            "证件号码",
            "证件号",
            "身份证号码",
            "身份证号",
            "统一社会信用代码",
            "证件号码统一社会信用代码",
            "身份证件号码",
            "申请人身份证号",
            "申请人证件号码",
        ),
    ),
    "request": (
        "申请内容",
        (
            "申请内容",
            "申请公开内容",
            "申请公开的内容",
            "申请信息内容",
            "申请公开信息",
            "所需信息内容",
            "所需政府信息内容描述",
            "所需信息的内容描述",
            "申请事项",
            "内容",
        ),
    ),
    "handler": ("承办人", ("承办人", "经办人", "承办人员", "办理人", "责任人", "承办")),
    "correction_sent": (
        "补正告知日期",
        ("补正告知日期", "发出补正告知日期", "补正告知书日期", "告知补正日期", "补正通知日期", "补正日期"),
    ),
    "correction_received": (
        "收到补正日期",
        (
            "收到补正日期",
            "收到补正材料日期",
            "补正材料收到日期",
            "补正完成日期",
            "补正后收到日期",
            "补正日期",
        ),
    ),
    "consult_party": ("征求意见对象", ("征求意见对象", "被征求意见方", "征求意见单位", "第三方")),
    "consult_sent": (
        "征求意见发函日期",
        (
            "征求意见发函日期",
            "征求意见日期",
            "征求第三方意见日期",
            "征求意见时间",
            "征求意见发函",
            "发函日期",
        ),
    ),
    "consult_answered": (
        "征求意见答复日期",
        (
            "征求意见答复日期",
            "征求意见回复日期",
            "第三方答复日期",
            "意见答复日期",
            "收到意见日期",
            "征求意见答复",
        ),
    ),
    "extension": ("是否延期", ("是否延期", "延期", "延期答复", "是否延期答复")),
    "extension_date": ("延期批准日期", ("延期批准日期", "延期日期", "批准延期日期", "延期告知日期")),
    "extension_days": ("延期天数", ("延期天数", "延长天数", "延期工作日", "延长期限")),
    "extension_approver": ("延期批准人", ("延期批准人", "批准人", "延期审批人", "审批人")),
    "fee_notice": ("缴费通知日期", ("缴费通知日期", "收费通知日期", "发出缴费通知日期", "缴费通知")),
    "fee_method": ("缴费方式", ("缴费方式", "收费方式", "计费方式", "收费标准")),
    "fee_amount": ("缴费金额", ("缴费金额", "收费金额", "金额", "信息处理费", "收费金额元", "缴费金额元")),
    "fee_paid": ("缴费日期", ("缴费日期", "实际缴费日期", "申请人缴费日期")),
    "answered": (
        "答复日期",
        # 办结日期 ranks better here than under closed: a sheet with one date column means the answer.
        ("答复日期", "办结日期", "作出答复日期", "答复时间", "回复日期", "答复办结日期"),
    ),
    "outcome": (
        "办理结果",
        ("办理结果", "处理结果", "答复结果", "答复类型", "办理结果类型", "答复情况", "结果", "办理情况"),
    ),
    "closed": ("办结日期", ("办结归档日期", "归档日期", "办结日期")),
}
REQUIRED = ("number", "received", "channel", "applicant", "applicant_type", "request")
HEADER_OF = {f: h for f, (h, _) in FIELDS.items()}
FIELD_OF_HEADER = {h: f for f, h in HEADER_OF.items()}

_STRIP = re.compile(r"[\s*:：()（）【】\[\]/／、·\-_—,，.。\"“”'‘’<>《》]")


def norm(text: str) -> str:
    """What two spellings of a header or value share: no spaces, brackets, punctuation; NFKC; lower."""
    return _STRIP.sub("", unicodedata.normalize("NFKC", text)).lower()


def cell_text(v: Any) -> str:
    """A cell as text: numbers without a spurious ".0", dates as ISO, None as ""."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return "是" if v else "否"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, dt.datetime):
        return v.date().isoformat() if v.time() == dt.time() else v.isoformat(" ")
    if isinstance(v, dt.date):
        return v.isoformat()
    return str(v).strip()


# -- dates ------------------------------------------------------------------------------------------

_DATE = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?"
    r"(?:\s*[T ]?\s*(?:上午|下午)?\s*\d{1,2}[:：时]\d{1,2}(?:[:：分]\d{1,2})?秒?)?\s*$"
)
_EXCEL_EPOCH = dt.date(1899, 12, 30)


def read_date(v: Any) -> dt.date:
    """Excel dates, 2025-03-04, 2025/3/4, 2025年3月4日, 2025.3.4, 20250304, a serial number."""
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        if 19000101 <= v <= 21001231 and float(v).is_integer():
            return read_date(str(int(v)))
        if 20000 <= v <= 80000:  # a serial date in a cell not formatted as a date (1954–2119)
            return _EXCEL_EPOCH + dt.timedelta(days=int(v))
        raise ValueError(f"无法识别的日期“{cell_text(v)}”")
    text = unicodedata.normalize("NFKC", str(v)).strip()
    m = _DATE.match(text) or (re.fullmatch(r"(\d{4})(\d{2})(\d{2})", text))
    if m:
        try:
            return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            pass
    raise ValueError(f"无法识别的日期“{v}”")


def read_dates(v: Any) -> list[dt.date]:
    """One or more dates in a cell (several consultations: 2025-03-04、2025-04-01)."""
    if not isinstance(v, str):
        return [read_date(v)]
    parts = [p for p in re.split(r"[、;；,，\n]+", v) if p.strip()]
    return [read_date(p) for p in parts]


def read_number(v: Any, what: str) -> int | float:
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return int(v) if float(v).is_integer() else float(v)
    text = unicodedata.normalize("NFKC", str(v)).replace(",", "")
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(?:个工作日|工作日|天|日|元)?\s*", text)
    if not m:
        raise ValueError(f"无法识别的{what}“{v}”")
    n = float(m.group(1))
    return int(n) if n.is_integer() else n


def read_yes(v: Any) -> bool:
    t = norm(cell_text(v))
    if t in ("是", "y", "yes", "√", "✓", "有", "延期", "已延期", "1", "true", "同意延期"):
        return True
    if t in ("", "否", "n", "no", "×", "无", "未延期", "不延期", "0", "false"):
        return False
    raise ValueError(f"无法识别的“是/否”值“{cell_text(v)}”")


# -- channels and applicant types -------------------------------------------------------------------

_CHANNEL_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("fax", ("传真",)),
    ("mail_plain", ("平常信函", "平信", "普通信函", "信函")),
    ("mail_signed", ("邮寄", "挂号", "ems", "快递", "邮政", "签收", "来信")),
    (
        "online",
        (
            "网上",
            "在线",
            "网络",
            "互联网",
            "网站",
            "电子邮件",
            "邮箱",
            "email",
            "政务网",
            "平台",
            "小程序",
            "app",
        ),
    ),
    ("in_person", ("当面", "现场", "窗口", "面交", "来访", "亲自")),
)


def read_channel(v: Any) -> str:
    t = norm(cell_text(v))
    for cid, (label, _) in CHANNELS.items():
        if t in (cid, norm(label)):
            return cid
    for cid, words in _CHANNEL_WORDS:
        if any(w in t for w in words):
            return cid
    raise ValueError(f"无法识别的申请方式“{cell_text(v)}”（应为当面、邮寄、信函、网上或传真）")


_TYPE_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("np", ("自然人", "公民", "个人", "群众", "居民")),
    ("legal", ("法律服务", "律师", "律所")),
    ("research", ("科研", "研究院", "研究所", "高校", "高等院校", "大学")),
    ("ngo", ("公益", "社会组织", "社团", "基金会")),
    ("biz", ("商业企业", "企业", "公司", "个体工商户")),
    ("other", ("其他",)),
)


def read_applicant_type(v: Any) -> str:
    t = norm(cell_text(v))
    for tid, label in APPLICANT_TYPES.items():
        if t in (tid, norm(label)):
            return tid
    for tid, words in _TYPE_WORDS:
        if any(w in t for w in words):
            return tid
    raise ValueError(
        f"无法识别的申请人类型“{cell_text(v)}”（应为自然人、商业企业、科研机构、社会公益组织、法律服务机构或其他）"
    )


# -- outcomes ---------------------------------------------------------------------------------------

_GROUPS = {"一": "granted", "二": "partial", "三": "denied", "四": "unable", "五": "rejected", "六": "other"}
# Keywords of each outcome, most specific first; the first match wins.
_OUTCOME_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("denied.secret", ("国家秘密", "涉密")),
    ("denied.law", ("法律行政法规禁止", "法律法规禁止", "法律禁止")),
    ("denied.safety", ("三安全一稳定", "国家安全", "公共安全", "经济安全", "社会稳定")),
    ("denied.third_party", ("第三方", "商业秘密", "个人隐私")),
    ("denied.internal", ("内部事务", "内部管理")),
    ("denied.process", ("过程性",)),
    ("denied.enforcement", ("执法案卷",)),
    ("denied.query", ("行政查询", "查询事项")),
    ("other.no_correction", ("不补正", "未补正")),
    ("other.no_fee", ("未缴费", "未缴纳", "未按收费", "不缴费", "未交费")),
    ("unable.unclear", ("仍不明确", "内容不明确", "不明确")),
    ("unable.needs_creation", ("另行制作", "没有现成", "需要制作", "加工", "汇总分析")),
    ("unable.no_info", ("不掌握", "信息不存在", "不存在", "无此信息", "没有该信息", "未制作", "未获取")),
    ("rejected.petition", ("信访", "举报", "投诉")),
    ("rejected.duplicate", ("重复申请", "重复提出", "重复")),
    ("rejected.publication", ("出版物",)),
    ("rejected.excessive", ("大量反复", "反复申请", "大量申请")),
    ("rejected.confirmation", ("重新出具", "要求确认", "确认或重新")),
    ("partial", ("部分公开", "部分予以公开", "区分处理")),
)
_AMBIGUOUS = ("不予公开", "无法提供", "不予处理", "其他处理")
_GRANTED = ("予以公开", "全部公开", "同意公开", "公开", "已公开", "提供", "予以提供")


def read_outcome(v: Any) -> str:
    """An answer's outcome as table 三 counts it, from its label, a loose spelling or its ordinal."""
    raw = cell_text(v)
    t = norm(raw)
    if not t:
        raise ValueError("办理结果为空")
    for oid, label in OUTCOMES.items():
        item = label.partition("）")[2]
        if t in (norm(oid), norm(label), norm(item), norm(re.sub(r"^\D*\d+\.", "", item))):
            return oid
    by_ordinal = _outcome_by_ordinal(t)
    if by_ordinal:
        return by_ordinal
    for oid, words in _OUTCOME_WORDS:
        if any(w in t for w in words):
            return oid
    if t.endswith("其他") or t == "其他情形":
        return "other.other"
    if any(a in t for a in _AMBIGUOUS):
        raise ValueError(f"办理结果“{raw}”没有写明具体情形（表三按情形分别统计）")
    if t in _GRANTED or t.startswith("予以公开") or t.startswith("全部公开") or t.startswith("同意公开"):
        return "granted"
    raise ValueError(f"无法识别的办理结果“{raw}”")


def _outcome_by_ordinal(t: str) -> str | None:
    """三1 / （三）1 / 3.1 style references to table 三's rows (already normalised)."""
    m = re.fullmatch(r"三?([一二三四五六])(\d)?", t)
    if not m:
        return None
    group = _GROUPS[m.group(1)]
    ids = [o for o in OUTCOMES if o.split(".")[0] == group]
    if m.group(2) is None:
        return ids[0] if len(ids) == 1 else None
    k = int(m.group(2))
    return ids[k - 1] if "." in ids[0] and 1 <= k <= len(ids) else None
