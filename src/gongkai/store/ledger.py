"""The desk's ledger in the store: applications, their append-only timelines, year inputs, calendar.

State is never stored: every view folds the events again, so a change of the calendar (a new year's
holiday schedule entered) moves every open deadline at once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from ..desk.calendar import WorkCalendar
from ..desk.ledger import LETTERS, Application, Event, LedgerError, apply, deadline, document_number, fold
from ..desk.ledger import repeats as _repeats
from ..desk.tally import YearInputs, tally
from ..report import Agency, Region, Report
from . import Store
from .models import Agency as AgencyRow
from .models import CalendarDay, DeskYear, LedgerApplication, LedgerEvent, utcnow

A, LA, LE = AgencyRow.__table__, LedgerApplication.__table__, LedgerEvent.__table__
DY, CD = DeskYear.__table__, CalendarDay.__table__


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
            return self.store._agency_id(conn, agency)

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
        return [
            (d.app, before.get(d.app.id), d.due)
            for d in self.open_deadlines()
            if before.get(d.app.id) != d.due
        ]

    # -- applications and events -------------------------------------------------------------------

    def register(self, app: Application, actor: str, *, agency_id: int | None = None) -> int:
        """Register a new application (its 受理回执 gets a document number); returns its id."""
        app.check()
        with self.engine.begin() as conn:
            aid = agency_id or self.store._agency_id(conn, Agency(app.agency))
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
            }
            try:
                app.id = conn.execute(insert(LA).values(**values)).inserted_primary_key[0]
            except IntegrityError as e:
                raise LedgerError(f"登记编号{app.number}已存在") from e
            self._append(conn, app, [], Event("registered", app.received, actor))
        return app.id

    def append(self, app_id: int, event: Event) -> Event:
        """Add ``event`` to the timeline after checking the timeline allows it; returns it numbered."""
        with self.engine.begin() as conn:
            app = self._app(conn, app_id)
            return self._append(conn, app, self._events(conn, app_id), event)

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
    )


def _event(r: Any) -> Event:
    return Event(
        r["kind"], r["date"], r["actor"], dict(r["data"] or {}), r["seq"], r["recorded_at"], r["document_no"]
    )
