"""Template filters: every domain word shown to a user comes from the data that defines it (format
labels, rule titles, statuses, regions), in the page's language, and an unknown value reads 未识别."""

from __future__ import annotations

import datetime as dt
from typing import Any

from jinja2 import Environment, pass_context

from .. import formats, regions
from ..ratios import BY_ID as RATIOS
from ..review.coverage import STATES
from ..review.workflow import DECISIONS, STATUSES
from ..rules import BY_ID as RULES
from ..store.reports import level_of

UNKNOWN = {"zh": "未识别", "en": "not recognised"}
LEVELS = {
    "province": ("省级", "province"),
    "city": ("市级", "city"),
    "county": ("县级", "county"),
    "township": ("乡级", "township"),
}
KINDS = {"government": ("人民政府", "government"), "department": ("部门", "department")}
SEVERITIES = {"error": ("错误", "error"), "warning": ("警告", "warning"), "info": ("提示", "note")}


def _lang(ctx: Any) -> str:
    return ctx.get("lang", "zh")


def _pick(pair: tuple[str, str], lang: str) -> str:
    return pair[1] if lang == "en" else pair[0]


@pass_context
def template_label(ctx: Any, template: str | None) -> str:
    lang = _lang(ctx)
    if template in ("2019", "2021"):
        return f"{template} format" if lang == "en" else f"{template}年版格式"
    if template == "mixed":
        return "mixed formats" if lang == "en" else "混用两版格式"
    return UNKNOWN[lang]


@pass_context
def year_label(ctx: Any, year: int | None) -> str:
    if year is None:
        return UNKNOWN[_lang(ctx)]
    return str(year) if _lang(ctx) == "en" else f"{year}年度"


@pass_context
def or_unknown(ctx: Any, value: Any) -> Any:
    return UNKNOWN[_lang(ctx)] if value in (None, "") else value


@pass_context
def cell_label(ctx: Any, cell_id: str, template: str | None = None) -> str:
    return formats.cell_label(cell_id, _lang(ctx), template)


@pass_context
def short_label(ctx: Any, cell_id: str, template: str | None = None) -> str:
    return formats.short_label(cell_id, _lang(ctx), template)


@pass_context
def rule_title(ctx: Any, rule_id: str) -> str:
    r = RULES.get(rule_id)
    if r is None:
        return rule_id
    return r.title_en if _lang(ctx) == "en" else r.title


@pass_context
def ratio_name(ctx: Any, ratio_id: str) -> str:
    r = RATIOS.get(ratio_id)
    if r is None:
        return ratio_id
    return r.name_en if _lang(ctx) == "en" else r.name


@pass_context
def status_label(ctx: Any, status: str | None) -> str:
    return _pick(STATUSES.get(status or "pending", STATUSES["pending"]), _lang(ctx))


@pass_context
def decision_label(ctx: Any, decision: str | None) -> str:
    return _pick(DECISIONS[decision], _lang(ctx)) if decision in DECISIONS else ""


@pass_context
def state_label(ctx: Any, state: str) -> str:
    return _pick(STATES[state], _lang(ctx)) if state in STATES else state


@pass_context
def level_label(ctx: Any, level: str | None) -> str:
    return _pick(LEVELS[level], _lang(ctx)) if level in LEVELS else UNKNOWN[_lang(ctx)]


@pass_context
def kind_label(ctx: Any, kind: str | None) -> str:
    return _pick(KINDS[kind], _lang(ctx)) if kind in KINDS else UNKNOWN[_lang(ctx)]


@pass_context
def severity_label(ctx: Any, severity: str) -> str:
    return _pick(SEVERITIES.get(severity, (severity, severity)), _lang(ctx))


@pass_context
def region_label(ctx: Any, code: str | None) -> str:
    """ "440305 广东省深圳市南山区"; 未识别 for no code."""
    return region_text(code) or UNKNOWN[_lang(ctx)]


def region_text(code: str | None) -> str:
    if not code:
        return ""
    r = regions.get(code)
    if r is None:
        return code
    d = r.as_dict()
    parts = [d.get("province"), d.get("city"), d.get("county")]
    names = "".join(dict.fromkeys(p for p in parts if p))
    return f"{code} {names}"


def region_name(code: str | None) -> str:
    r = regions.get(code) if code else None
    return r.name if r else ""


def pct(x: float | None, digits: int = 1) -> str:
    return "—" if x is None else f"{100 * x:.{digits}f}%"


def num(x: Any) -> str:
    return "—" if x is None else str(x)


def isodate(x: dt.date | dt.datetime | str | None) -> str:
    if x is None or x == "":
        return ""
    if isinstance(x, str):
        return x
    return x.strftime("%Y-%m-%d %H:%M") if isinstance(x, dt.datetime) else x.isoformat()


def install(env: Environment) -> None:
    env.filters.update(
        template_label=template_label,
        year_label=year_label,
        or_unknown=or_unknown,
        cell_label=cell_label,
        short_label=short_label,
        rule_title=rule_title,
        ratio_name=ratio_name,
        status_label=status_label,
        decision_label=decision_label,
        state_label=state_label,
        level_label=level_label,
        kind_label=kind_label,
        severity_label=severity_label,
        region_label=region_label,
        region_name=region_name,
        pct=pct,
        num=num,
        isodate=isodate,
    )
    env.globals["level_of"] = level_of
