"""What an application must contain under Art. 29, checked; and the applicant's personal data, masked.

Art. 29 of the Regulation asks for: the applicant's name (or the organisation's name), proof of identity
and contact details; the information wanted — its title, document number, or a description that lets it
be found; and the form wanted, including how it is to be received. Two kinds of problem are kept apart:

- a value that is wrong (an ID number whose check digit fails, a 统一社会信用代码 that is not one, a
  postcode that is not six digits) is refused with its reason — ``ApplicantError``;
- an element that is simply missing is not refused: it is what Art. 30's one-time 补正 notice asks for.
  ``missing`` names each missing element, in the words the notice uses.

Check digits: 居民身份证 (and 港澳台居民居住证) by GB 11643-1999 (ISO 7064 MOD 11-2); 统一社会信用代码
by GB 32100-2015 (MOD 31 over its 31-character alphabet).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from .ledger import Application, LedgerError

# ID document types (Art. 29 身份证明). ``uscc`` is the organisations' one.
ID_TYPES: dict[str, str] = {
    "resident_id": "居民身份证",
    "passport": "护照",
    "hk_macao_permit": "港澳居民来往内地通行证",
    "taiwan_permit": "台湾居民来往大陆通行证",
    "hmt_residence": "港澳台居民居住证",
    "foreign_permanent": "外国人永久居留身份证",
    "other": "其他身份证件",
    "uscc": "统一社会信用代码",
}
PERSON_ID_TYPES = tuple(k for k in ID_TYPES if k != "uscc")
# The form the information is wanted in, and how it is to be received (Art. 29 (三)).
FORMS: dict[str, str] = {"paper": "纸质", "email": "电子邮件", "disc": "光盘", "pickup": "自行领取"}
DELIVERIES: dict[str, str] = {
    "mail": "邮寄",
    "email": "电子邮件",
    "in_person": "当面领取",
    "online": "网上获取",
}

# The applicant and information fields an application carries besides the ledger's own.
DETAIL_FIELDS = (
    "id_type",
    "legal_rep",
    "contact_person",
    "phone",
    "address",
    "postcode",
    "email",
    "info_title",
    "info_number",
    "form_wanted",
    "delivery",
)
PERSONAL_FIELDS = ("applicant_id", "legal_rep", "contact_person", "phone", "address", "postcode", "email")

# Missing elements: key → (Chinese, English), in the words a 补正 notice uses.
ELEMENTS: dict[str, tuple[str, str]] = {
    "applicant": ("申请人姓名或者名称", "the applicant's name"),
    "id_type": ("身份证件类型", "the type of ID document"),
    "applicant_id": ("身份证件号码", "the ID document number"),
    "uscc": ("统一社会信用代码", "the unified social credit code"),
    "legal_rep": ("法定代表人或者主要负责人", "the legal representative"),
    "contact_person": ("联系人", "the contact person"),
    "contact": ("联系方式（联系电话、通信地址或者电子邮箱）", "contact details (phone, address or email)"),
    "address": ("通信地址", "the postal address"),
    "postcode": ("邮政编码", "the postcode"),
    "email": ("电子邮箱", "the email address"),
    "info": (
        "所需政府信息的名称、文号或者便于查询的其他特征性描述",
        "the title, document number or a description of the information",
    ),
    "form_wanted": ("所需信息的提供形式", "the form the information is wanted in"),
    "delivery": ("获取信息的方式", "how the information is to be received"),
}

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_PHONE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8}(-\d{1,6})?|\+?[\d\- ]{7,20})$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class ApplicantError(LedgerError):
    """A value that is present but wrong (message in Chinese, reason included)."""


def id_check_digit(first17: str) -> str:
    """The 18th character of a 居民身份证 number (GB 11643-1999)."""
    return _ID_CHECK[sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS, strict=True)) % 11]


def check_resident_id(number: str) -> str:
    """The number normalised (upper-case X); raises ApplicantError with the reason when it is not one."""
    n = number.strip().upper()
    if len(n) != 18:
        raise ApplicantError(f"居民身份证号码应为18位，“{number}”为{len(n)}位")
    if not n[:17].isdigit() or not (n[17].isdigit() or n[17] == "X"):
        raise ApplicantError(f"居民身份证号码“{number}”前17位应为数字，末位为数字或X")
    try:
        dt.date(int(n[6:10]), int(n[10:12]), int(n[12:14]))
    except ValueError:
        raise ApplicantError(f"居民身份证号码“{number}”中的出生日期{n[6:14]}无效") from None
    want = id_check_digit(n[:17])
    if n[17] != want:
        raise ApplicantError(f"居民身份证号码“{number}”校验码错误：末位应为{want}，实为{n[17]}")
    return n


def uscc_check_digit(first17: str) -> str:
    """The 18th character of a 统一社会信用代码 (GB 32100-2015)."""
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def check_uscc(code: str) -> str:
    """The code normalised (upper case); raises ApplicantError with the reason when it is not one."""
    c = code.strip().upper()
    if len(c) != 18:
        raise ApplicantError(f"统一社会信用代码应为18位，“{code}”为{len(c)}位")
    bad = sorted({ch for ch in c if ch not in USCC_ALPHABET})
    if bad:
        raise ApplicantError(
            f"统一社会信用代码“{code}”含有不允许的字符：{'、'.join(bad)}（不使用I、O、Z、S、V）"
        )
    if not c[2:8].isdigit():
        raise ApplicantError(f"统一社会信用代码“{code}”第3至8位应为登记管理机关行政区划码（数字）")
    want = uscc_check_digit(c[:17])
    if c[17] != want:
        raise ApplicantError(f"统一社会信用代码“{code}”校验码错误：末位应为{want}，实为{c[17]}")
    return c


def is_person(applicant_type: str) -> bool:
    return applicant_type == "np"


def normalise(applicant_type: str, values: Mapping[str, Any]) -> dict[str, str]:
    """The applicant and information fields stripped and checked; wrong values raise ApplicantError.

    Blank fields stay blank (``missing`` names them); for an organisation the ID type is always
    统一社会信用代码."""
    v = {k: str(values.get(k) or "").strip() for k in ("applicant_id", *DETAIL_FIELDS)}
    if not is_person(applicant_type):
        v["id_type"] = "uscc"
    elif v["id_type"] == "uscc":
        raise ApplicantError("自然人的身份证件类型不能是统一社会信用代码")
    if v["id_type"] and v["id_type"] not in ID_TYPES:
        raise ApplicantError(f"身份证件类型“{v['id_type']}”无效，应为：{'、'.join(ID_TYPES.values())}")
    if v["applicant_id"]:
        if v["id_type"] == "uscc":
            v["applicant_id"] = check_uscc(v["applicant_id"])
        elif v["id_type"] in ("resident_id", "hmt_residence"):
            v["applicant_id"] = check_resident_id(v["applicant_id"])
        elif len(v["applicant_id"]) > 40:
            raise ApplicantError("证件号码过长")
    if v["phone"] and not _PHONE.match(v["phone"]):
        raise ApplicantError(f"联系电话“{v['phone']}”无效")
    if v["postcode"] and not re.fullmatch(r"\d{6}", v["postcode"]):
        raise ApplicantError(f"邮政编码“{v['postcode']}”应为6位数字")
    if v["email"] and not _EMAIL.match(v["email"]):
        raise ApplicantError(f"电子邮箱“{v['email']}”无效")
    if v["form_wanted"] and v["form_wanted"] not in FORMS:
        raise ApplicantError(f"信息提供形式“{v['form_wanted']}”无效，应为：{'、'.join(FORMS.values())}")
    if v["delivery"] and v["delivery"] not in DELIVERIES:
        raise ApplicantError(f"获取方式“{v['delivery']}”无效，应为：{'、'.join(DELIVERIES.values())}")
    for k in ("address", "info_title", "legal_rep", "contact_person"):
        if len(v[k]) > 200:
            raise ApplicantError(f"{k}过长（最多200字）")
    return v


def missing(applicant_type: str, applicant: str, request: str, values: Mapping[str, Any]) -> list[str]:
    """The Art. 29 elements the application lacks (keys of ELEMENTS), in the order of the article."""
    v = {k: str(values.get(k) or "").strip() for k in ("applicant_id", *DETAIL_FIELDS)}
    out = []
    if not applicant.strip():
        out.append("applicant")
    if is_person(applicant_type):
        if not v["id_type"]:
            out.append("id_type")
        if not v["applicant_id"]:
            out.append("applicant_id")
    else:
        if not v["applicant_id"]:
            out.append("uscc")
        if not v["legal_rep"]:
            out.append("legal_rep")
        if not v["contact_person"]:
            out.append("contact_person")
    if not (v["phone"] or v["address"] or v["email"]):
        out.append("contact")
    if v["delivery"] == "mail":
        if not v["address"] and "contact" not in out:
            out.append("address")
        if not v["postcode"]:
            out.append("postcode")
    if (v["delivery"] == "email" or v["form_wanted"] == "email") and not v["email"] and "contact" not in out:
        out.append("email")
    if not (v["info_title"] or v["info_number"] or request.strip()):
        out.append("info")
    if not v["form_wanted"]:
        out.append("form_wanted")
    if not v["delivery"]:
        out.append("delivery")
    return out


def missing_text(keys: list[str], lang: str = "zh") -> str:
    """The missing elements as one sentence of a 补正 notice (or its English gloss)."""
    names = [ELEMENTS[k][0 if lang == "zh" else 1] for k in keys]
    if lang != "zh":
        return "Missing: " + "; ".join(names) + "."
    return "申请缺少" + "、".join(names) + "，请补充提供。"


# ---- masking -------------------------------------------------------------------------------------


def mask_id(number: str) -> str:
    """4403**********123X: the first four and last four characters kept."""
    n = number.strip()
    if not n:
        return ""
    if len(n) <= 8:
        return n[:1] + "*" * (len(n) - 1)
    return n[:4] + "*" * (len(n) - 8) + n[-4:]


def mask_phone(phone: str) -> str:
    """138****5678: the last four digits kept."""
    p = phone.strip()
    if not p:
        return ""
    return (p[:3] if len(p) > 7 else "") + "****" + p[-4:]


REDACTED = "（已隐去）"


def redact(app: Application) -> Application:
    """A copy for eyes outside the agency: ID number and phone masked, address, postcode, email and the
    organisation's people redacted (the name, type and request stay: the ledger is still readable)."""
    from dataclasses import replace

    hidden = {k: REDACTED if getattr(app, k) else "" for k in ("address", "postcode", "email")}
    hidden |= {k: REDACTED if getattr(app, k) else "" for k in ("legal_rep", "contact_person")}
    return replace(app, applicant_id=mask_id(app.applicant_id), phone=mask_phone(app.phone), **hidden)
