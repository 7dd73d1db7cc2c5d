"""The desk's ledger in the store: applications, their append-only timelines, year inputs, calendar.

State is never stored: every view folds the events again, so a change of the calendar (a new year's
holiday schedule entered) moves every open deadline at once.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from ..desk.applicant import DETAIL_FIELDS, PERSONAL_FIELDS
from ..desk.calendar import WorkCalendar
from ..desk.ledger import LETTERS, Application, Event, LedgerError, apply, deadline, document_number, fold
from ..desk.ledger import repeats as _repeats
from ..desk.tally import YearInputs, tally
from ..report import YEAR_MAX, YEAR_MIN, Agency, Region, Report
from . import Store
from .models import Agency as AgencyRow
from .models import (
    CalendarDay,
    DeskYear,
    LedgerApplication,
    LedgerEvent,
    PortalAgency,
    PortalSubmission,
    utcnow,
)

A, LA, LE = AgencyRow.__table__, LedgerApplication.__table__, LedgerEvent.__table__
DY, CD = DeskYear.__table__, CalendarDay.__table__
PA, PS = PortalAgency.__table__, PortalSubmission.__table__
PURGED_NAME = "（已清除）"
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I


@dataclass(slots=True)
class Due:
    """An open application and its reply deadline, for the due-soon / overdue / by-handler views."""

    app: Application
    due: dt.date | None
    summary: str
    flags: list[str]
    days_left: int | None  # working days from today to the due date (negative: overdue)


class Ledger:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.engine = store.engine

    # -- agencies ----------------------------------------------------------------------------------

    def agency_id(self, agency: Agency) -> int:
        with self.engine.begin() as conn:
            return self.store.agencies.id_for(conn, agency)

    def agency(self, agency_id: int) -> Agency:
        with self.engine.connect() as conn:
            row = conn.execute(select(A).where(A.c.id == agency_id)).mappings().first()
        if row is None:
            raise LedgerError(f"没有编号为{agency_id}的机关")
        region = Region(row["region_code"] or None, row["province"], row["city"], row["county"])
        return Agency(row["name"], row["kind"], region)

    # -- calendar ----------------------------------------------------------------------------------

    def calendar(self) -> WorkCalendar:
        """The package's schedules plus the override table; a year in the table is fully described by it
        (its holidays and make-up working days; every other Monday–Friday is a working day)."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(CD.c.day, CD.c.workday)).all()
        overrides = {d: bool(w) for d, w in rows}
        return WorkCalendar(overrides, {d.year for d in overrides if not _package_knows(d.year)})

    def set_calendar_year(
        self, year: int, days: dict[dt.date, bool], actor: str, note: str = ""
    ) -> list[tuple[Application, dt.date | None, dt.date | None]]:
        """Enter (or replace) a year's schedule: holidays on weekdays (False) and make-up working
        weekend days (True). Returns the open applications whose deadline moved: (app, before, after)."""
        if not YEAR_MIN <= year <= YEAR_MAX:  # typed in a form or on the command line
            raise LedgerError(f"年度须在{YEAR_MIN}年至{YEAR_MAX}年之间：{str(year)[:20]}")
        if any(d.year != year for d in days):
            raise LedgerError(f"日期不属于{year}年")
        before = {d.app.id: d.due for d in self.open_deadlines()}
        with self.engine.begin() as conn:
            conn.execute(delete(CD).where(CD.c.day >= dt.date(year, 1, 1), CD.c.day <= dt.date(year, 12, 31)))
            if days:
                conn.execute(
                    insert(CD),
                    [
                        {"day": d, "workday": w, "note": note, "added_by": actor, "added_at": utcnow()}
                        for d, w in sorted(days.items())
                    ],
                )
            after = {"days": {d.isoformat(): w for d, w in sorted(days.items())}, "note": note}
            self.store.audit.record(actor, "desk.calendar", str(year), None, after, conn)
        return [
            (d.app, before.get(d.app.id), d.due)
            for d in self.open_deadlines()
            if before.get(d.app.id) != d.due
        ]

    # -- applications and events -------------------------------------------------------------------

    def register(self, app: Application, actor: str, *, agency_id: int | None = None) -> int:
        """Register a new application (its 受理回执 gets a document number); returns its id."""
        with self.engine.begin() as conn:
            aid = self._register(conn, app, actor, agency_id)
            after = {
                "number": app.number,
                "channel": app.channel,
                "received": app.received,
            }  # no personal data
            self.store.audit.record(actor, "desk.register", f"application {aid}", None, after, conn)
            return aid

    def _register(self, conn: Connection, app: Application, actor: str, agency_id: int | None) -> int:
        app.check()
        aid = agency_id or self.store.agencies.id_for(conn, Agency(app.agency))
        values = {
            "agency_id": aid,
            "number": app.number,
            "channel": app.channel,
            "received": app.received,
            "applicant_type": app.applicant_type,
            "applicant": app.applicant,
            "applicant_id": app.applicant_id,
            "request": app.request,
            "handler": app.handler,
            "created_by": actor,
            "created_at": utcnow(),
            **app.details(),
        }
        try:
            app.id = conn.execute(insert(LA).values(**values)).inserted_primary_key[0]
        except IntegrityError as e:
            raise LedgerError(f"登记编号{app.number}已存在") from e
        self._append(conn, app, [], Event("registered", app.received, actor))
        return app.id

    def update_details(self, app_id: int, values: dict[str, str], actor: str) -> dict[str, Any]:
        """Change the applicant's Art. 29 details (e.g. what a 补正 supplied); returns the values before.
        Only the named fields change; the registration number, dates and timeline never do."""
        allowed = {"applicant", "applicant_id", "request", *DETAIL_FIELDS}
        if set(values) - allowed:
            raise LedgerError(f"不能修改：{'、'.join(sorted(set(values) - allowed))}")
        with self.engine.begin() as conn:
            app = self._app(conn, app_id)
            if app.purged:
                raise LedgerError("该申请的个人信息已按保存期限清除")
            before = {k: getattr(app, k) for k in values}
            conn.execute(LA.update().where(LA.c.id == app_id).values(**values))
            self.store.audit.record(actor, "desk.details", f"application {app_id}", before, values, conn=conn)
        return before

    # -- retention ---------------------------------------------------------------------------------

    def purge(self, years: int, actor: str, today: dt.date | None = None) -> list[str]:
        """Blank the personal fields of applications closed more than ``years`` years ago (every case
        decided), and their online submissions' data and ID scans. What tables 三 and 四 count — the
        applicant type, dates, the timeline — stays, so the annual report is unchanged. Returns the
        registration numbers purged."""
        if years < 1:
            raise LedgerError("保存期限至少为1年")
        today = today or dt.date.today()
        try:
            cutoff = today.replace(year=today.year - years)
        except ValueError:  # 29 February
            cutoff = today.replace(year=today.year - years, day=28)
        done: list[tuple[int, str]] = []
        for app, events in self.applications():
            if app.purged:
                continue
            s = fold(app, events)
            if s.status != "closed" or s.closed is None or s.closed > cutoff:
                continue
            if any("result" not in c for c in s.cases.values()):
                continue
            assert app.id is not None
            done.append((app.id, f"{app.agency} {app.number}"))
        blank = {k: "" for k in PERSONAL_FIELDS} | {"applicant": PURGED_NAME, "purged_at": utcnow()}
        with self.engine.begin() as conn:
            for app_id, _ in done:
                conn.execute(LA.update().where(LA.c.id == app_id).values(**blank))
                conn.execute(
                    PS.update()
                    .where(PS.c.application_id == app_id)
                    .values(data={"purged": True}, attachment=None, attachment_type="")
                )
            # Submissions set aside (no application ever came of them) go the same way.
            conn.execute(
                PS.update()
                .where(PS.c.status == "discarded", PS.c.decided_at <= dt.datetime.combine(cutoff, dt.time()))
                .values(data={"purged": True}, attachment=None, attachment_type="")
            )
            self.store.audit.record(
                actor, "desk.purge", f"{years} years before {today}", None, [n for _, n in done], conn=conn
            )
        return [n for _, n in done]

    # -- the public portal -------------------------------------------------------------------------

    def portal_agencies(self) -> list[dict[str, Any]]:
        """The agencies that accept online applications, by name."""
        with self.engine.connect() as conn:
            ids = [r for (r,) in conn.execute(select(PA.c.agency_id))]
        return sorted(self.store.agencies.rows(ids) if ids else [], key=lambda a: a["name"])

    def portal_open(self, agency_id: int) -> bool:
        with self.engine.connect() as conn:
            return conn.execute(select(PA.c.agency_id).where(PA.c.agency_id == agency_id)).first() is not None

    def set_portal(self, agency_id: int, open_: bool, actor: str) -> None:
        """Open (or close) the agency to online applications."""
        with self.engine.begin() as conn:
            was = conn.execute(select(PA.c.agency_id).where(PA.c.agency_id == agency_id)).first() is not None
            if open_ and not was:
                conn.execute(insert(PA).values(agency_id=agency_id, opened_by=actor, opened_at=utcnow()))
            elif was and not open_:
                conn.execute(delete(PA).where(PA.c.agency_id == agency_id))
            if was != open_:
                self.store.audit.record(actor, "portal.open", f"agency {agency_id}", was, open_, conn=conn)

    def submit(
        self,
        agency_id: int,
        data: dict[str, Any],
        attachment: bytes | None = None,
        attachment_type: str = "",
        *,
        now: dt.datetime | None = None,
    ) -> tuple[int, str, str]:
        """Keep an online application until the agency confirms it; returns (id, number, query code).
        The number is the agency's next ``YYYY-Wnnnn``; the code is shown once and stored hashed."""
        from argon2 import PasswordHasher

        now = now or utcnow()
        code = "-".join("".join(secrets.choice(CODE_ALPHABET) for _ in range(4)) for _ in range(3))
        hashed = PasswordHasher().hash(code)
        prefix = f"{now.year}-W"
        for _ in range(5):  # two submissions at once: the loser takes the next number
            with self.engine.begin() as conn:
                used = conn.execute(
                    select(PS.c.number).where(PS.c.agency_id == agency_id, PS.c.number.startswith(prefix))
                ).all()
                n = max((int(x[len(prefix) :]) for (x,) in used if x[len(prefix) :].isdigit()), default=0)
                number = f"{prefix}{n + 1:04d}"
                try:
                    sid = conn.execute(
                        insert(PS).values(
                            agency_id=agency_id,
                            number=number,
                            code_hash=hashed,
                            submitted_at=now,
                            data=data,
                            attachment=attachment,
                            attachment_type=attachment_type,
                            status="pending",
                            decided_by="",
                        )
                    ).inserted_primary_key[0]
                except IntegrityError:
                    continue
                self.store.audit.record("portal", "portal.submit", f"agency {agency_id} {number}", conn=conn)
                return sid, number, code
        raise LedgerError("提交繁忙，请稍后重试")

    def submissions(
        self, agency_ids: Iterable[int] | None = None, status: str = "pending"
    ) -> list[dict[str, Any]]:
        """Online submissions (of these agencies) in this status, oldest first."""
        q = select(PS).where(PS.c.status == status).order_by(PS.c.submitted_at, PS.c.id)
        if agency_ids is not None:
            q = q.where(PS.c.agency_id.in_(list(agency_ids)))
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(q).mappings()]

    def submission(self, sub_id: int) -> dict[str, Any]:
        with self.engine.connect() as conn:
            row = conn.execute(select(PS).where(PS.c.id == sub_id)).mappings().first()
        if row is None:
            raise LedgerError(f"没有编号为{sub_id}的网上申请")
        return dict(row)

    def submission_of(self, app_id: int) -> dict[str, Any] | None:
        """The online submission an application was confirmed from (None: registered at the desk)."""
        with self.engine.connect() as conn:
            row = conn.execute(select(PS).where(PS.c.application_id == app_id)).mappings().first()
        return dict(row) if row is not None else None

    def find_submission(self, number: str, code: str) -> dict[str, Any] | None:
        """The submission with this number whose query code matches (None otherwise; the same work is
        done whether or not the number exists)."""
        from argon2 import PasswordHasher
        from argon2.exceptions import Argon2Error

        ph = PasswordHasher()
        with self.engine.connect() as conn:
            rows = [dict(r) for r in conn.execute(select(PS).where(PS.c.number == number.strip())).mappings()]
        if not rows:
            ph.hash(code)
        for row in rows:
            try:
                ph.verify(row["code_hash"], code.strip().upper())
            except Argon2Error:
                continue
            return row
        return None

    def confirm(self, sub_id: int, app: Application, actor: str) -> int:
        """Staff confirm an online submission: ``app`` (its receipt date the day both sides confirmed,
        Art. 31) enters the ledger under the submission's number; returns the application's id."""
        with self.engine.begin() as conn:
            row = conn.execute(select(PS).where(PS.c.id == sub_id).with_for_update()).mappings().first()
            if row is None:
                raise LedgerError(f"没有编号为{sub_id}的网上申请")
            if row["status"] != "pending":
                raise LedgerError(f"网上申请{row['number']}已处理")
            if app.received < row["submitted_at"].date():
                raise LedgerError(f"确认日期{app.received}早于提交日期{row['submitted_at'].date()}")
            app.number, app.channel = row["number"], "online"
            app_id = self._register(conn, app, actor, row["agency_id"])
            conn.execute(
                PS.update()
                .where(PS.c.id == sub_id)
                .values(status="confirmed", application_id=app_id, decided_by=actor, decided_at=utcnow())
            )
            self.store.audit.record(
                actor, "portal.confirm", f"application {app_id}", None, {"number": app.number}, conn=conn
            )
        return app_id

    def discard(self, sub_id: int, actor: str, reason: str) -> None:
        """Set aside a submission that is no application (spam, a test); the reason is audited."""
        with self.engine.begin() as conn:
            row = conn.execute(select(PS.c.status, PS.c.number).where(PS.c.id == sub_id)).first()
            if row is None or row.status != "pending":
                raise LedgerError("该网上申请不存在或已处理")
            conn.execute(
                PS.update()
                .where(PS.c.id == sub_id)
                .values(status="discarded", decided_by=actor, decided_at=utcnow(), attachment=None)
            )
            self.store.audit.record(
                actor, "portal.discard", f"submission {row.number}", None, reason, conn=conn
            )

    def append(self, app_id: int, event: Event) -> Event:
        """Add ``event`` to the timeline after checking the timeline allows it; returns it numbered."""
        with self.engine.begin() as conn:
            app = self._app(conn, app_id)
            done = self._append(conn, app, self._events(conn, app_id), event)
            after = {"seq": done.seq, "kind": done.kind, "date": done.date, "fields": sorted(done.data)}
            after["document_no"] = done.document_no
            self.store.audit.record(done.actor, "desk.event", f"application {app_id}", None, after, conn)
            return done

    def import_applications(
        self, items: Sequence[tuple[Application, Sequence[Event]]], actor: str, agency_id: int
    ) -> list[int]:
        """All or nothing: every application with its whole timeline, in one transaction."""
        ids = []
        with self.engine.begin() as conn:
            for app, events in items:
                app.check()
                row = {k: getattr(app, k) for k in ("number", "channel", "received", "applicant_type")}
                row |= {k: getattr(app, k) for k in ("applicant", "applicant_id", "request", "handler")}
                row |= app.details()
                try:
                    app.id = conn.execute(
                        insert(LA).values(agency_id=agency_id, created_by=actor, created_at=utcnow(), **row)
                    ).inserted_primary_key[0]
                except IntegrityError as e:
                    raise LedgerError(f"登记编号{app.number}已存在") from e
                done: list[Event] = []
                for ev in events:
                    done.append(self._append(conn, app, done, ev))
                ids.append(app.id)
            after = {"applications": len(ids), "first": ids[:1], "last": ids[-1:]}
            self.store.audit.record(actor, "desk.import", f"agency {agency_id}", None, after, conn)
        return ids

    def _append(self, conn: Connection, app: Application, history: list[Event], event: Event) -> Event:
        state = fold(app, history)
        if event.kind == "registered" and history:
            raise LedgerError("申请已登记")
        apply(app, state, event)
        event.seq = len(history) + 1
        event.recorded_at = utcnow()
        if event.kind in LETTERS and not event.document_no:
            event.document_no = self._next_number(conn, app, event)
        try:
            conn.execute(
                insert(LE).values(
                    application_id=app.id,
                    seq=event.seq,
                    kind=event.kind,
                    date=event.date,
                    actor=event.actor,
                    data=event.data,
                    document_no=event.document_no,
                    recorded_at=event.recorded_at,
                )
            )
        except IntegrityError as e:  # someone else appended at the same time: their event stands
            raise LedgerError("该申请刚被他人更新，请刷新后重试") from e
        return event

    def _next_number(self, conn: Connection, app: Application, event: Event) -> str:
        agency_id = conn.execute(select(LA.c.agency_id).where(LA.c.id == app.id)).scalar_one()
        year = event.date.year
        n = conn.execute(
            select(func.count())
            .select_from(LE.join(LA, LA.c.id == LE.c.application_id))
            .where(
                LA.c.agency_id == agency_id,
                LE.c.kind == event.kind,
                LE.c.document_no != "",
                LE.c.date >= dt.date(year, 1, 1),
                LE.c.date <= dt.date(year, 12, 31),
            )
        ).scalar_one()
        return document_number(event.kind, year, n + 1)

    def _app(self, conn: Connection, app_id: int) -> Application:
        row = (
            conn.execute(
                select(LA, A.c.name.label("agency_name"))
                .join(A, A.c.id == LA.c.agency_id)
                .where(LA.c.id == app_id)
            )
            .mappings()
            .first()
        )
        if row is None:
            raise LedgerError(f"没有编号为{app_id}的申请")
        return _application(row)

    def _events(self, conn: Connection, app_id: int) -> list[Event]:
        rows = conn.execute(select(LE).where(LE.c.application_id == app_id).order_by(LE.c.seq)).mappings()
        return [_event(r) for r in rows]

    def agency_of(self, app_id: int) -> int:
        with self.engine.connect() as conn:
            aid = conn.execute(select(LA.c.agency_id).where(LA.c.id == app_id)).scalar()
        if aid is None:
            raise LedgerError(f"没有编号为{app_id}的申请")
        return aid

    def get(self, app_id: int) -> tuple[Application, list[Event]]:
        with self.engine.connect() as conn:
            return self._app(conn, app_id), self._events(conn, app_id)

    def applications(
        self, agency_ids: Iterable[int] | None = None, *, received_by: dt.date | None = None
    ) -> list[tuple[Application, list[Event]]]:
        """Applications (of these agencies), each with its timeline, in registration order."""
        q = select(LA, A.c.name.label("agency_name")).join(A, A.c.id == LA.c.agency_id)
        if agency_ids is not None:
            q = q.where(LA.c.agency_id.in_(list(agency_ids)))
        if received_by is not None:
            q = q.where(LA.c.received <= received_by)
        with self.engine.connect() as conn:
            apps = [_application(r) for r in conn.execute(q.order_by(LA.c.received, LA.c.id)).mappings()]
            events: dict[int, list[Event]] = {a.id: [] for a in apps if a.id is not None}
            ev_q = select(LE).order_by(LE.c.application_id, LE.c.seq)
            if agency_ids is not None:
                ev_q = ev_q.where(
                    LE.c.application_id.in_(select(LA.c.id).where(LA.c.agency_id.in_(list(agency_ids))))
                )
            for r in conn.execute(ev_q).mappings():
                if r["application_id"] in events:
                    events[r["application_id"]].append(_event(r))
        return [(a, events[a.id]) for a in apps if a.id is not None]

    # -- views -------------------------------------------------------------------------------------

    def open_deadlines(
        self, agency_ids: Iterable[int] | None = None, today: dt.date | None = None
    ) -> list[Due]:
        """Every open application with its deadline, soonest first (no due date — calendar gap or
        awaiting a correction — last)."""
        cal = self.calendar()
        today = today or dt.date.today()
        out = []
        for app, events in self.applications(agency_ids):
            d = deadline(cal, app, fold(app, events))
            if d is None:
                continue
            out.append(Due(app, d.due, d.summary, d.flags, _workdays_between(cal, today, d.due)))
        return sorted(out, key=lambda x: (x.due is None, x.due or dt.date.max, x.app.number))

    def repeats(self, app_id: int) -> list[Application]:
        """Earlier applications of the same applicant for the same content (suggest 不予处理 2)."""
        app, _ = self.get(app_id)
        with self.engine.connect() as conn:
            aid = conn.execute(select(LA.c.agency_id).where(LA.c.id == app_id)).scalar_one()
        others = [a for a, _ in self.applications([aid], received_by=app.received)]
        return _repeats(app, others)

    # -- the annual report -------------------------------------------------------------------------

    def year_inputs(self, agency_id: int, year: int) -> YearInputs:
        with self.engine.connect() as conn:
            row = (
                conn.execute(select(DY).where(DY.c.agency_id == agency_id, DY.c.year == year))
                .mappings()
                .first()
            )
        if row is None:
            return YearInputs()
        return YearInputs(dict(row["t2"]), dict(row["sections"]), row["signature_date"])

    def set_year_inputs(self, agency_id: int, year: int, inputs: YearInputs, actor: str) -> None:
        values = {
            "t2": inputs.t2,
            "sections": inputs.sections,
            "signature_date": inputs.signature_date,
            "updated_by": actor,
            "updated_at": utcnow(),
        }
        with self.engine.begin() as conn:
            conn.execute(delete(DY).where(DY.c.agency_id == agency_id, DY.c.year == year))
            conn.execute(insert(DY).values(agency_id=agency_id, year=year, **values))
            after = {k: values[k] for k in ("t2", "sections", "signature_date")}
            self.store.audit.record(
                actor, "desk.report_inputs", f"agency {agency_id} {year}", None, after, conn
            )

    def report(self, agency_id: int, year: int) -> Report:
        """The annual report of ``year`` tallied from the ledger (rules already run)."""
        ledger = self.applications([agency_id], received_by=dt.date(year, 12, 31))
        return tally(self.agency(agency_id), year, ledger, self.year_inputs(agency_id, year))


def _package_knows(year: int) -> bool:
    import chinese_calendar as cc

    try:
        cc.is_workday(dt.date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


def _workdays_between(cal: WorkCalendar, today: dt.date, due: dt.date | None) -> int | None:
    if due is None:
        return None
    sign = 1 if due >= today else -1
    a, b = sorted((today, due))
    try:
        return sign * sum(1 for i in range(1, (b - a).days + 1) if cal.is_workday(a + dt.timedelta(i)))
    except Exception:  # a calendar gap between today and the due date
        return None


def _application(r: Any) -> Application:
    return Application(
        agency=r["agency_name"],
        number=r["number"],
        channel=r["channel"],
        received=r["received"],
        applicant_type=r["applicant_type"],
        applicant=r["applicant"],
        request=r["request"],
        handler=r["handler"],
        applicant_id=r["applicant_id"],
        id=r["id"],
        purged=r["purged_at"] is not None,
        **{k: r[k] or "" for k in DETAIL_FIELDS},
    )


def _event(r: Any) -> Event:
    return Event(
        r["kind"], r["date"], r["actor"], dict(r["data"] or {}), r["seq"], r["recorded_at"], r["document_no"]
    )
