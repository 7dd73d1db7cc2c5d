"""A synthetic ledger for demos and tests: realistic timelines, deterministic by seed.

Applications arrive on working days through every channel; most are answered within the deadline,
some after a 补正, a consultation, an extension or a fee notice; a few are still open at the year's end
(carried over), a few applicants ask again for the same thing, a few answers are challenged.
"""

from __future__ import annotations

import datetime as dt
import random

from .calendar import WorkCalendar
from .deadlines import add_workdays
from .ledger import APPLICANT_TYPES, CHANNELS, OUTCOMES, Application, Event

_TOPICS = (
    "{}年度本单位部门预算及“三公”经费支出情况",
    "某小区{}号楼建设工程规划许可证及附图",
    "{}年某路段道路改造工程招标文件及中标结果",
    "本人房屋所在地块征收补偿安置方案（{}）",
    "{}年度行政处罚决定书（某企业）",
    "某河道整治项目环境影响评价批复文件（{}）",
    "{}年城市更新单元规划审批材料",
    "本单位{}年政府采购合同及验收材料",
)
_WEIGHTS = {"granted": 40, "partial": 10, "unable.no_info": 14, "denied.third_party": 3, "denied.process": 3}
_WEIGHTS |= {
    "rejected.petition": 4,
    "rejected.duplicate": 2,
    "rejected.publication": 2,
    "unable.needs_creation": 3,
}
_WEIGHTS |= {
    "denied.law": 1,
    "denied.internal": 1,
    "denied.enforcement": 1,
    "denied.query": 2,
    "other.other": 1,
}
_STAFF = ("王敏", "李强", "张静", "刘洋")


def generate(
    agency: str,
    years: range,
    per_year: int,
    *,
    seed: int = 2026,
    cal: WorkCalendar | None = None,
    as_of: dt.date | None = None,
) -> list[tuple[Application, list[Event]]]:
    """``per_year`` applications received in each year, with their timelines as of ``as_of`` (events
    after it not yet happened; default: every timeline complete)."""
    rng = random.Random(seed)
    cal = cal or WorkCalendar()
    out: list[tuple[Application, list[Event]]] = []
    applicants = [(f"申请人{i:03d}", f"ID{i:06d}", rng.choice(list(APPLICANT_TYPES))) for i in range(120)]
    for year in years:
        days = [d for d in _days(year) if cal.is_workday(d)]
        for k, received in enumerate(sorted(rng.choices(days, k=per_year)), 1):
            name, pid, kind = rng.choice(applicants[:60]) if rng.random() < 0.6 else rng.choice(applicants)
            kind = "np" if rng.random() < 0.7 else kind
            app = Application(
                agency=agency,
                number=f"{year}-{k:04d}",
                channel=rng.choice(list(CHANNELS)),
                received=received,
                applicant_type=kind,
                applicant=name,
                applicant_id=pid,
                request=f"申请公开{rng.choice(_TOPICS).format(rng.choice((year - 1, year)))}",
                handler=rng.choice(_STAFF),
            )
            events = _timeline(app, rng, cal)
            if as_of is not None:
                if received > as_of:
                    continue
                events = [e for e in events if e.date <= as_of]
            out.append((app, events))
    return out


def _days(year: int) -> list[dt.date]:
    d, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    out = []
    while d <= end:
        out.append(d)
        d += dt.timedelta(days=1)
    return out


def _timeline(app: Application, rng: random.Random, cal: WorkCalendar) -> list[Event]:
    handler = app.handler
    ev = [Event("registered", app.received, handler)]
    start = app.received
    outcome = rng.choices(list(_WEIGHTS), weights=list(_WEIGHTS.values()))[0]
    assert outcome in OUTCOMES
    budget = 20
    r = rng.random()
    if r < 0.08:  # unclear request: one 补正 notice
        sent = add_workdays(cal, start, rng.randint(1, 7))
        ev.append(Event("correction_sent", sent, handler, document_no=""))
        if rng.random() < 0.25:
            answered = add_workdays(cal, sent, 25)
            ev.append(Event("answered", answered, handler, {"outcome": "other.no_correction"}))
            return _finish(ev, answered, handler, rng, cal)
        start = add_workdays(cal, sent, rng.randint(2, 10))
        ev.append(Event("correction_received", start, handler))
    elif r < 0.14:  # third-party consultation (Art. 32)
        sent = add_workdays(cal, start, rng.randint(2, 6))
        back = add_workdays(cal, sent, rng.randint(3, 15))
        ev += [
            Event("consult_sent", sent, handler, {"party": "第三方企业"}),
            Event("consult_answered", back, handler),
        ]
        budget += sum(1 for i in range((back - sent).days + 1) if cal.is_workday(sent + dt.timedelta(i)))
    elif r < 0.19:  # extension approved
        on = add_workdays(cal, start, rng.randint(10, 19))
        ev.append(Event("extension_approved", on, handler, {"approver": "办公室主任", "days": 20}))
        budget += 20
    elif r < 0.22:  # fee notice (unusually many requests)
        on = add_workdays(cal, start, rng.randint(3, 8))
        ev.append(Event("fee_notice_sent", on, handler, {"method": "按件", "amount": 100}))
        if rng.random() < 0.5:
            answered = add_workdays(cal, on, 21)
            ev.append(Event("answered", answered, handler, {"outcome": "other.no_fee"}))
            return _finish(ev, answered, handler, rng, cal)
        ev.append(Event("fee_paid", add_workdays(cal, on, rng.randint(1, 10)), handler))
    last = max(e.date for e in ev)
    answered = add_workdays(cal, start, rng.randint(3, budget - 1))
    answered = max(answered, add_workdays(cal, last, 1))
    ev.append(Event("answered", answered, handler, {"outcome": outcome}))
    return _finish(ev, answered, handler, rng, cal)


def _finish(
    ev: list[Event], answered: dt.date, handler: str, rng: random.Random, cal: WorkCalendar
) -> list[Event]:
    ev.append(Event("closed", add_workdays(cal, answered, rng.randint(1, 5)), handler))
    if rng.random() < 0.05:  # the applicant challenges the answer
        kind = rng.choice(["review", "review", "direct", "after"])
        filed = add_workdays(cal, answered, rng.randint(10, 40))
        case = f"{kind}-{answered:%Y%m%d}"
        ev.append(Event("case_filed", filed, handler, {"case": case, "case_kind": kind}))
        if rng.random() < 0.7:
            result = rng.choice(["upheld", "upheld", "corrected", "other"])
            ev.append(
                Event(
                    "case_decided",
                    add_workdays(cal, filed, rng.randint(20, 60)),
                    handler,
                    {"case": case, "result": result},
                )
            )
    return ev


_STREETS = ("科技园路", "南海大道", "深南大道", "前海路", "蛇口新街", "桃园路")


def with_details(items: list[tuple[Application, list[Event]]], seed: int = 2026) -> None:
    """Give each synthetic applicant Art. 29 details (valid ID numbers and credit codes with their check
    digits, phones, addresses, the form wanted), the same for the same applicant; a separate random
    stream, so the timelines ``generate`` makes do not change."""
    from .applicant import DELIVERIES, FORMS, USCC_ALPHABET, id_check_digit, uscc_check_digit

    rng = random.Random(seed)
    people: dict[str, dict[str, str]] = {}
    for app, _ in items:
        if app.applicant not in people:
            if app.applicant_type == "np":
                born = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(365 * 50))
                first17 = f"440305{born:%Y%m%d}{rng.randrange(1000):03d}"
                ident = {"id_type": "resident_id", "applicant_id": first17 + id_check_digit(first17)}
            else:
                body = "".join(rng.choice(USCC_ALPHABET[:10]) for _ in range(9))
                first17 = f"91440300{body}"
                ident = {"id_type": "uscc", "applicant_id": first17 + uscc_check_digit(first17)}
                ident |= {
                    "legal_rep": rng.choice(_STAFF[::-1]) + "（法定代表人）",
                    "contact_person": "联系人",
                }
            delivery = rng.choice(list(DELIVERIES))
            people[app.applicant] = ident | {
                "phone": f"13{rng.randrange(10**9):09d}",
                "address": f"深圳市南山区{rng.choice(_STREETS)}{rng.randrange(1, 999)}号",
                "postcode": "518000",
                "email": f"user{rng.randrange(10**6)}@example.cn",
                "form_wanted": "email" if delivery == "email" else rng.choice(list(FORMS)),
                "delivery": delivery,
            }
        for k, v in people[app.applicant].items():
            setattr(app, k, v)
