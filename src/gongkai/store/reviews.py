"""The review aggregate: decisions on findings, notes pinned to cells, report statuses, expected agencies.

Histories are append-only (who, when, why); the latest decision of a finding is mirrored on
``finding.review`` and the number of dismissed errors on ``report_version.dismissed_errors``, the
latest status on ``report.review_status``, so lists and counts filter without reading histories.
Every write also goes to the audit log in the same transaction. Who may write is the caller's check
(review.workflow.can_review).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, func, insert, select, update
from sqlalchemy.engine import Connection

from ..errors import Invalid, NotFound
from ..review.workflow import DECISIONS, STATUSES, TRANSITIONS, status_label
from .clauses import starts_with
from .models import Agency as AgencyRow
from .models import CellNote, ExpectedAgency, FindingDecision, FindingRow, ReportVersion, ReviewStep, utcnow
from .models import Report as ReportRow

if TYPE_CHECKING:
    from . import Store

F, FD, CN = FindingRow.__table__, FindingDecision.__table__, CellNote.__table__
RS, EA, V = ReviewStep.__table__, ExpectedAgency.__table__, ReportVersion.__table__
R, A = ReportRow.__table__, AgencyRow.__table__


class Reviews:
    """``store.reviews``."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.engine = store.engine

    # -- where a thing belongs (for the callers' scope checks) -------------------------------------

    def finding_place(self, finding_id: int) -> dict[str, Any]:
        """The finding's version, report and publisher's region code."""
        q = (
            select(
                F.c.id,
                F.c.version_id,
                F.c.rule,
                F.c.severity,
                F.c.status,
                F.c.review,
                V.c.report_id,
                A.c.region_code,
                A.c.name.label("agency"),
            )
            .join(V, V.c.id == F.c.version_id)
            .join(R, R.c.id == V.c.report_id)
            .join(A, A.c.id == R.c.agency_id)
            .where(F.c.id == finding_id)
        )
        with self.engine.connect() as conn:
            row = conn.execute(q).first()
        if row is None:
            raise NotFound(f"#{finding_id}", "没有这条问题", "no such finding")
        return dict(row._mapping)

    def report_place(self, report_id: int) -> dict[str, Any]:
        q = (
            select(R.c.id, R.c.year, R.c.review_status, A.c.region_code, A.c.name.label("agency"))
            .join(A, A.c.id == R.c.agency_id)
            .where(R.c.id == report_id)
        )
        with self.engine.connect() as conn:
            row = conn.execute(q).first()
        if row is None:
            raise NotFound(f"#{report_id}", "没有这份报告", "no such report")
        return dict(row._mapping)

    # -- decisions on findings ---------------------------------------------------------------------

    def decide(self, finding_id: int, decision: str, actor: str, reason: str = "") -> dict[str, Any]:
        """Confirm, dismiss (a reason is required) or reopen a finding; returns the finding's place."""
        if decision not in DECISIONS:
            raise Invalid(decision, "未知的处理结果", "unknown decision")
        reason = reason.strip()
        if decision == "dismissed" and not reason:
            raise Invalid(f"#{finding_id}", "排除一条问题必须说明理由", "dismissing a finding needs a reason")
        place = self.finding_place(finding_id)
        review = None if decision == "reopened" else decision
        with self.engine.begin() as conn:
            conn.execute(
                insert(FD).values(
                    finding_id=finding_id, decision=decision, reason=reason, actor=actor, at=utcnow()
                )
            )
            conn.execute(update(F).where(F.c.id == finding_id).values(review=review))
            self._recount(conn, place["version_id"])
            self.store.audit.record(
                actor,
                f"finding.{decision}",
                f"finding #{finding_id} ({place['rule']}, version #{place['version_id']})",
                {"review": place["review"]},
                {"review": review, "reason": reason},
                conn=conn,
            )
        return place

    @staticmethod
    def _recount(conn: Connection, version_id: int) -> None:
        n = conn.execute(
            select(func.count()).where(
                F.c.version_id == version_id,
                F.c.severity == "error",
                F.c.status == "fail",
                F.c.review == "dismissed",
            )
        ).scalar()
        conn.execute(update(V).where(V.c.id == version_id).values(dismissed_errors=n or 0))

    def findings(self, version_id: int) -> list[dict[str, Any]]:
        """The version's findings in report order, each with its id, review and decision history."""
        with self.engine.connect() as conn:
            rows = [
                dict(r._mapping)
                for r in conn.execute(select(F).where(F.c.version_id == version_id).order_by(F.c.seq))
            ]
            ids = [r["id"] for r in rows]
            hist: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
            if ids:
                for d in conn.execute(select(FD).where(FD.c.finding_id.in_(ids)).order_by(FD.c.id)):
                    hist[d.finding_id].append(dict(d._mapping))
        for r in rows:
            r["decisions"] = hist[r["id"]]
        return rows

    def decided(
        self, version_ids: Iterable[int], decision: str = "confirmed"
    ) -> dict[int, list[dict[str, Any]]]:
        """Findings of these versions whose latest decision is ``decision``, by version."""
        ids = list(version_ids)
        out: dict[int, list[dict[str, Any]]] = {v: [] for v in ids}
        if not ids:
            return out
        with self.engine.connect() as conn:
            for r in conn.execute(
                select(F)
                .where(F.c.version_id.in_(ids), F.c.review == decision)
                .order_by(F.c.version_id, F.c.seq)
            ):
                out[r.version_id].append(dict(r._mapping))
        return out

    def decision_counts(self, version_ids: Iterable[int]) -> dict[int, dict[str, int]]:
        ids = list(version_ids)
        out: dict[int, dict[str, int]] = {v: {"confirmed": 0, "dismissed": 0} for v in ids}
        if not ids:
            return out
        with self.engine.connect() as conn:
            q = (
                select(F.c.version_id, F.c.review, func.count())
                .where(F.c.version_id.in_(ids), F.c.review.is_not(None))
                .group_by(F.c.version_id, F.c.review)
            )
            for vid, review, n in conn.execute(q):
                out[vid][review] = n
        return out

    # -- notes on cells ----------------------------------------------------------------------------

    def add_note(self, version_id: int, cell_id: str, text: str, actor: str) -> int:
        text = text.strip()
        if not text:
            raise Invalid(cell_id, "备注不能为空", "a note needs text")
        with self.engine.begin() as conn:
            if conn.execute(select(V.c.id).where(V.c.id == version_id)).first() is None:
                raise NotFound(f"#{version_id}", "没有这个报告版本", "no such report version")
            nid = conn.execute(
                insert(CN).values(version_id=version_id, cell_id=cell_id, text=text, actor=actor, at=utcnow())
            ).inserted_primary_key[0]
            self.store.audit.record(
                actor, "note.add", f"version #{version_id} cell {cell_id}", None, text, conn=conn
            )
        return nid

    def notes(self, version_id: int) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(CN).where(CN.c.version_id == version_id).order_by(CN.c.id))
            return [dict(r._mapping) for r in rows]

    # -- report status -----------------------------------------------------------------------------

    def set_status(
        self, report_id: int, status: str, actor: str, note: str = "", version_id: int | None = None
    ) -> None:
        if status not in STATUSES:
            raise Invalid(status, "未知的审核状态", "unknown review status")
        place = self.report_place(report_id)
        now = place["review_status"] or "pending"
        if status != now and status not in TRANSITIONS.get(now, ()):
            raise Invalid(
                f"#{report_id}",
                f"审核状态不能从“{status_label(now)}”改为“{status_label(status)}”",
                f"review status cannot go from {status_label(now, 'en')} to {status_label(status, 'en')}",
            )
        with self.engine.begin() as conn:
            conn.execute(
                insert(RS).values(
                    report_id=report_id,
                    version_id=version_id,
                    status=status,
                    note=note.strip(),
                    actor=actor,
                    at=utcnow(),
                )
            )
            conn.execute(update(R).where(R.c.id == report_id).values(review_status=status))
            self.store.audit.record(
                actor,
                "review.status",
                f"report #{report_id} ({place['agency']} {place['year']})",
                {"status": now},
                {"status": status, "note": note},
                conn=conn,
            )

    def history(self, report_id: int) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(RS).where(RS.c.report_id == report_id).order_by(RS.c.id))
            return [dict(r._mapping) for r in rows]

    # -- expected publishers -----------------------------------------------------------------------

    def add_expected(self, rows: list[dict[str, Any]], actor: str) -> int:
        """Add expected agencies (name, region_code, kind) all at once; returns how many were new."""
        with self.engine.begin() as conn:
            have = {(r.name, r.region_code) for r in conn.execute(select(EA.c.name, EA.c.region_code))}
            fresh, seen = [], set()
            for r in rows:
                key = (r["name"], r.get("region_code") or "")
                if key in have or key in seen:
                    continue
                seen.add(key)
                fresh.append(
                    {
                        "name": key[0],
                        "region_code": key[1],
                        "kind": r.get("kind"),
                        "added_by": actor,
                        "added_at": utcnow(),
                    }
                )
            if fresh:
                conn.execute(insert(EA), fresh)
            self.store.audit.record(
                actor,
                "expected.import",
                f"{len(fresh)} agencies",
                None,
                [f["name"] for f in fresh][:200],
                conn=conn,
            )
        return len(fresh)

    def expected(self, region_prefix: str | None = None) -> list[dict[str, Any]]:
        """Expected publishers: every agency seen in any year plus the imported list (name, region, kind)."""
        seen = select(A.c.name, A.c.region_code, A.c.kind).where(A.c.name != "")
        listed = select(EA.c.name, EA.c.region_code, EA.c.kind)
        if region_prefix:
            seen = seen.where(starts_with(A.c.region_code, region_prefix))
            listed = listed.where(starts_with(EA.c.region_code, region_prefix))
        # agencies that only keep a ledger publish no report of their own here: only report publishers count
        seen = seen.where(select(R.c.id).where(R.c.agency_id == A.c.id).exists())
        out: dict[tuple[str, str], dict[str, Any]] = {}
        with self.engine.connect() as conn:
            for q in (seen, listed):
                for name, code, kind in conn.execute(q):
                    out.setdefault(
                        (name, code or ""), {"name": name, "region_code": code or "", "kind": kind}
                    )
        return sorted(out.values(), key=lambda d: (d["region_code"], d["name"]))

    def expected_states(self, region_prefix: str | None, year: int) -> list[tuple[str, str, bool]]:
        """(name, region code, published for ``year``) of every expected publisher in the region, read as
        plain tuples: agencies seen with a report (published: a current version for the year exists)
        and the imported list (published when an agency of that name and code — or, without a code, the
        one agency of that name — has one). Kept until reports, decisions or the imported list change."""
        with self.engine.connect() as conn:
            listed_state = tuple(conn.execute(select(func.max(EA.c.id), func.count()).select_from(EA)).one())
        what = ("expected_states", region_prefix or "", year, listed_state)
        return self.store.reports.memo(what, lambda: self._expected_states(region_prefix, year))

    def _expected_states(self, region_prefix: str | None, year: int) -> list[tuple[str, str, bool]]:
        # Two plain queries joined in Python: an EXISTS per agency costs twice as much at the country
        # level (~14,000 agencies a year at 100,000 reports).
        published_q = (
            select(R.c.agency_id)
            .join(V, V.c.report_id == R.c.id)
            .where(R.c.year == year, V.c.is_current.is_(True))
        )
        seen = select(A.c.id, A.c.name, A.c.region_code).where(
            A.c.name != "", select(R.c.id).where(R.c.agency_id == A.c.id).exists()
        )
        listed = select(EA.c.name, EA.c.region_code)
        if region_prefix:
            published_q = published_q.join(A, A.c.id == R.c.agency_id).where(
                starts_with(A.c.region_code, region_prefix)
            )
            seen = seen.where(starts_with(A.c.region_code, region_prefix))
            listed = listed.where(starts_with(EA.c.region_code, region_prefix))
        with self.engine.connect() as conn:
            published = set(conn.execute(published_q).scalars().all())
            agencies = conn.execute(seen).all()
            imported = [(n, c or "") for n, c in conn.execute(listed).all()]
        out = {(n, c or ""): i in published for i, n, c in agencies}
        if imported:
            by_name: dict[str, list[bool]] = {}
            for (n, _), p in out.items():
                by_name.setdefault(n, []).append(p)
            for key in imported:
                if key not in out:
                    names = by_name.get(key[0], [])
                    out[key] = not key[1] and len(names) == 1 and names[0]
        return [(n, c, p) for (n, c), p in sorted(out.items(), key=lambda kv: (kv[0][1], kv[0][0]))]

    def status_counts(self, region_prefix: str | None = None, year: int | None = None) -> dict[str, int]:
        q = select(R.c.review_status, func.count()).join(A, A.c.id == R.c.agency_id)
        conds = []
        if region_prefix:
            conds.append(starts_with(A.c.region_code, region_prefix))
        if year is not None:
            conds.append(R.c.year == year)
        if conds:
            q = q.where(and_(*conds))
        with self.engine.connect() as conn:
            return dict(conn.execute(q.group_by(R.c.review_status)).all())
