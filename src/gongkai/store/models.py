"""The store's schema: one declarative model for SQLite and PostgreSQL (migrations in ``migrations/``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Stable constraint names so migrations look the same on both back ends.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Agency(Base):
    __tablename__ = "agency"
    __table_args__ = (UniqueConstraint("name", "region_code", name="uq_agency_name_region"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # "" when unknown, keeps UNIQUE strict; indexed for region filters (store.clauses.starts_with)
    region_code: Mapped[str] = mapped_column(String(12), default="", index=True)
    kind: Mapped[str | None] = mapped_column(String(20))
    province: Mapped[str | None] = mapped_column(String(50))
    city: Mapped[str | None] = mapped_column(String(50))
    county: Mapped[str | None] = mapped_column(String(50))


class Report(Base):
    __tablename__ = "report"
    __table_args__ = (UniqueConstraint("agency_id", "year", name="uq_report_agency_year"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id", ondelete="CASCADE"), index=True)
    year: Mapped[int | None] = mapped_column(Integer, index=True)
    # the review's current status (review.status.STATUSES), kept by store.reviews for cheap filters
    review_status: Mapped[str] = mapped_column(String(20), default="pending")


class ReportVersion(Base):
    __tablename__ = "report_version"
    __table_args__ = (Index("ix_report_version_report_current", "report_id", "is_current"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("report.id", ondelete="CASCADE"))
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    source: Mapped[str] = mapped_column(Text)
    template: Mapped[str | None] = mapped_column(String(10))
    media_type: Mapped[str | None] = mapped_column(String(100))
    title: Mapped[str | None] = mapped_column(Text)
    signature_date: Mapped[str | None] = mapped_column(String(10))  # ISO date
    errors: Mapped[int] = mapped_column(Integer, default=0)
    warnings: Mapped[int] = mapped_column(Integer, default=0)
    dismissed_errors: Mapped[int] = mapped_column(Integer, default=0)  # error findings a reviewer dismissed
    summary: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # ratios and key cells, for compare
    is_current: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    meta: Mapped[dict[str, Any]] = mapped_column(JSON)  # agency provenance, sections, facts


class CellRow(Base):
    """Tidy cells: one row per cell of one report version."""

    __tablename__ = "cell"

    version_id: Mapped[int] = mapped_column(
        ForeignKey("report_version.id", ondelete="CASCADE"), primary_key=True
    )
    cell_id: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[float | None] = mapped_column(Float)
    raw: Mapped[str | None] = mapped_column(Text)
    unit: Mapped[str | None] = mapped_column(String(10))
    stated_total: Mapped[int | None] = mapped_column(Integer)
    confidence: Mapped[float | None] = mapped_column(Float)
    recovered: Mapped[bool] = mapped_column(Boolean, default=False)
    provenance: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class FindingRow(Base):
    __tablename__ = "finding"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("report_version.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(Integer)  # order in report.findings
    is_issue: Mapped[bool] = mapped_column(Boolean, default=False)  # also in report.issues
    rule: Mapped[str] = mapped_column(String(60), index=True)
    severity: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(15))
    cells: Mapped[list[str]] = mapped_column(JSON)
    message: Mapped[str] = mapped_column(Text)
    message_en: Mapped[str] = mapped_column(Text, default="")
    basis: Mapped[str] = mapped_column(Text, default="")
    provenance: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    review: Mapped[str | None] = mapped_column(String(10))  # the latest decision: confirmed / dismissed
    # {cell ID: value} the identities single out on a scan ("需核对原件"); never applied
    suggested: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class SearchDoc(Base):
    """Segmented text (rjieba tokens joined by spaces) per version; indexed by FTS5 / tsvector GIN."""

    __tablename__ = "search_doc"

    version_id: Mapped[int] = mapped_column(
        ForeignKey("report_version.id", ondelete="CASCADE"), primary_key=True
    )
    tokens: Mapped[str] = mapped_column(Text)


class StoredFile(Base):
    __tablename__ = "stored_file"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    size: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Failure(Base):
    __tablename__ = "failure"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    path: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64), index=True)  # "" when the file could not be read
    error: Mapped[str] = mapped_column(Text)
    error_en: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    first_attempt: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    last_attempt: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    resolved: Mapped[bool] = mapped_column(Boolean, default=False)


class User(Base):
    """A local account: reading is open; uploading and editing need one (roles: admin, editor, viewer)."""

    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20), default="editor")
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"), nullable=True)
    region_code: Mapped[str] = mapped_column(String(12), default="")  # a reviewer's territory
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    # bumped on logout, password change, role change and disable: older session cookies stop working
    session_version: Mapped[int] = mapped_column(Integer, default=1)


class ApiToken(Base):
    """A script's credential (``Authorization: Bearer …``): only its SHA-256 is kept; ``read`` or
    ``write`` scope; revoked tokens stay for the record."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scope: Mapped[str] = mapped_column(String(10))
    note: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)


class LoginThrottle(Base):
    """Failed logins per account (``user:<name>``) or client address (``ip:<addr>``), shared by every
    web worker: a lockout in one worker holds in all of them."""

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)  # since the last lockout or success
    lockouts: Mapped[int] = mapped_column(Integer, default=0)  # each doubles the next
    until: Mapped[float] = mapped_column(Float, default=0.0)  # locked until (epoch seconds)
    last: Mapped[float] = mapped_column(Float, default=0.0, index=True)


class LedgerApplication(Base):
    """A disclosure application registered by an agency (the desk's ledger)."""

    __tablename__ = "ledger_application"
    __table_args__ = (UniqueConstraint("agency_id", "number", name="uq_ledger_application_agency_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    number: Mapped[str] = mapped_column(String(40))
    channel: Mapped[str] = mapped_column(String(20))
    received: Mapped[dt.date] = mapped_column(Date, index=True)
    applicant_type: Mapped[str] = mapped_column(String(20))
    applicant: Mapped[str] = mapped_column(String(200))
    applicant_id: Mapped[str] = mapped_column(String(100), default="")
    request: Mapped[str] = mapped_column(Text)
    handler: Mapped[str] = mapped_column(String(100), default="")
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    # Art. 29 (desk/applicant.py); personal fields are blanked by the retention purge (purged_at set).
    id_type: Mapped[str] = mapped_column(String(20), default="", server_default="")
    legal_rep: Mapped[str] = mapped_column(String(200), default="", server_default="")
    contact_person: Mapped[str] = mapped_column(String(200), default="", server_default="")
    phone: Mapped[str] = mapped_column(String(40), default="", server_default="")
    address: Mapped[str] = mapped_column(String(300), default="", server_default="")
    postcode: Mapped[str] = mapped_column(String(10), default="", server_default="")
    email: Mapped[str] = mapped_column(String(200), default="", server_default="")
    info_title: Mapped[str] = mapped_column(String(300), default="", server_default="")
    info_number: Mapped[str] = mapped_column(String(100), default="", server_default="")
    form_wanted: Mapped[str] = mapped_column(String(20), default="", server_default="")
    delivery: Mapped[str] = mapped_column(String(20), default="", server_default="")
    purged_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)


class PortalAgency(Base):
    """An agency that accepts applications through the public portal (/apply)."""

    __tablename__ = "portal_agency"

    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), primary_key=True)
    opened_by: Mapped[str] = mapped_column(String(100))
    opened_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class PortalSubmission(Base):
    """An application submitted online, waiting for the agency to confirm it (Art. 31: the receipt date
    of the online channel is the day both sides confirm); confirmed, it points at its ledger row."""

    __tablename__ = "portal_submission"
    __table_args__ = (UniqueConstraint("agency_id", "number", name="uq_portal_submission_agency_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    number: Mapped[str] = mapped_column(String(40), index=True)
    code_hash: Mapped[str] = mapped_column(String(200))  # the private query code, Argon2-hashed
    submitted_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)  # the application's fields as submitted
    attachment: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)  # ID scan
    attachment_type: Mapped[str] = mapped_column(String(40), default="")
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending | confirmed | discarded
    application_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_application.id"), nullable=True)
    decided_by: Mapped[str] = mapped_column(String(100), default="")
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)


class LedgerEvent(Base):
    """One step of an application's timeline. Append-only: rows are inserted, never updated or deleted."""

    __tablename__ = "ledger_event"
    __table_args__ = (UniqueConstraint("application_id", "seq", name="uq_ledger_event_application_seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("ledger_application.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(30))
    date: Mapped[dt.date] = mapped_column(Date)
    actor: Mapped[str] = mapped_column(String(100))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    document_no: Mapped[str] = mapped_column(String(60), default="")
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class DeskYear(Base):
    """What an agency enters for its annual report besides the ledger: table 二 and the narrative."""

    __tablename__ = "desk_year"
    __table_args__ = (UniqueConstraint("agency_id", "year", name="uq_desk_year_agency_year"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"))
    year: Mapped[int] = mapped_column(Integer)
    t2: Mapped[dict[str, Any]] = mapped_column(JSON)
    sections: Mapped[dict[str, Any]] = mapped_column(JSON)
    signature_date: Mapped[dt.date | None] = mapped_column(Date)
    updated_by: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class CalendarDay(Base):
    """The editable override table of working days (years the calendar package does not know yet)."""

    __tablename__ = "calendar_day"

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    workday: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str] = mapped_column(String(100), default="")
    added_by: Mapped[str] = mapped_column(String(100), default="")
    added_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class FindingDecision(Base):
    """A reviewer's decision on one finding; the history is kept, the latest row is the decision."""

    __tablename__ = "finding_decision"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    finding_id: Mapped[int] = mapped_column(ForeignKey("finding.id", ondelete="CASCADE"), index=True)
    decision: Mapped[str] = mapped_column(String(10))  # confirmed | dismissed | reopened
    reason: Mapped[str] = mapped_column(Text, default="")
    actor: Mapped[str] = mapped_column(String(100))
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class CellNote(Base):
    """A reviewer's note pinned to one cell of one report version."""

    __tablename__ = "cell_note"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("report_version.id", ondelete="CASCADE"), index=True)
    cell_id: Mapped[str] = mapped_column(String(60))
    text: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(100))
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class ReviewStep(Base):
    """One change of a report's review status (待审核 → 已审核无问题 / 需整改 → 已整改); append-only."""

    __tablename__ = "review_step"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("report.id", ondelete="CASCADE"), index=True)
    version_id: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")
    actor: Mapped[str] = mapped_column(String(100))
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class ExpectedAgency(Base):
    """An agency a reviewer expects to publish (imported list), besides every agency seen in any year."""

    __tablename__ = "expected_agency"
    __table_args__ = (UniqueConstraint("name", "region_code", name="uq_expected_agency_name_region"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    region_code: Mapped[str] = mapped_column(String(12), default="")
    kind: Mapped[str | None] = mapped_column(String(20))
    added_by: Mapped[str] = mapped_column(String(100), default="")
    added_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class AuditEntry(Base):
    """Every write made through the web or the CLI: who, what, when, before and after."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(60))
    target: Mapped[str] = mapped_column(String(200))
    before: Mapped[Any | None] = mapped_column(JSON)
    after: Mapped[Any | None] = mapped_column(JSON)


# Objects created by hand in the migration (FTS5 table and its shadow tables, PG's generated tsvector
# column and its GIN index, the covering index of tallies whose columns differ by dialect, the store
# generation: a sequence on PostgreSQL, a one-row table on SQLite); autogenerate/check must not see them
# as drift.
MANUAL_OBJECTS_PREFIX = (
    "search_fts",
    "search_tsv",
    "ix_search_doc_tsv",
    "ix_report_version_light",
    "store_generation",
)


# -- the collector (gongkai collect / watch) ---------------------------------------------------------


class CrawlSite(Base):
    """One row of a sites list: an agency and the page where it publishes its annual reports."""

    __tablename__ = "crawl_site"
    __table_args__ = (UniqueConstraint("agency", "url", name="uq_crawl_site_agency_url"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agency: Mapped[str] = mapped_column(String(200), index=True)
    url: Mapped[str] = mapped_column(Text)
    host: Mapped[str] = mapped_column(String(255), default="")
    added_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    last_run: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # ok | unreachable: how the site's entry page answered on the last run
    last_state: Mapped[str | None] = mapped_column(String(20))
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_en: Mapped[str | None] = mapped_column(Text)


class FetchedDocument(Base):
    """One content of one URL as fetched: a new row each time the URL's bytes change."""

    __tablename__ = "fetched_document"
    __table_args__ = (
        UniqueConstraint("url", "sha256", name="uq_fetched_document_url_sha256"),
        Index("ix_fetched_document_url", "url"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_site.id", ondelete="SET NULL"), index=True)
    agency: Mapped[str] = mapped_column(String(200), index=True)
    url: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(20))  # page | attachment
    page_url: Mapped[str | None] = mapped_column(Text)  # an attachment's report page
    http_status: Mapped[int] = mapped_column(Integer)
    headers: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(Integer, default=0)
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(String(64))
    published: Mapped[dt.date | None] = mapped_column(Date)  # 发布日期 / 发布时间 / 成文日期 on the page
    title: Mapped[str | None] = mapped_column(Text)
    # first fetched with these bytes, and last seen unchanged
    fetched_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    checked_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    # ingested (a report version) | duplicate (same report as its attachment) | carrier (a page
    # that only links the report) | failed (not readable as a report)
    status: Mapped[str] = mapped_column(String(20))
    version_id: Mapped[int | None] = mapped_column(
        ForeignKey("report_version.id", ondelete="SET NULL"), index=True
    )
    same_as: Mapped[int | None] = mapped_column(Integer)  # the fetched_document holding the same report
    previous_id: Mapped[int | None] = mapped_column(Integer)  # this URL's content before, when it changed
    note: Mapped[str | None] = mapped_column(Text)


class CrawlError(Base):
    """A URL that could not be fetched (unreachable host, 404, over the size cap, …)."""

    __tablename__ = "crawl_error"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_site.id", ondelete="CASCADE"), index=True)
    agency: Mapped[str] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(20))  # entry | list | page | attachment
    http_status: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str] = mapped_column(Text)
    error_en: Mapped[str] = mapped_column(Text)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
