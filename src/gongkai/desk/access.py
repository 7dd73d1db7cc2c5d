"""Who may read and change which agency's ledger: pure functions over a user's row and agency rows.

Roles on the desk:
- ``admin``: reads and changes every agency's ledger, and the shared working-day calendar.
- ``staff``: agency staff; reads and changes only the ledger of its own agency (``app_user.agency_id``).
- ``supervisor``: reads, never changes, the ledgers and reports of its subordinate agencies.
- ``editor`` / ``viewer`` / ``reviewer``: accounts of the report workbench; no access to any ledger
  (a reviewer reviews the reports of its region: review.workflow).

Subordinate agencies (the supervisor rule). An agency's region code (GB/T 2260, six digits) is cut to
the code of the territory it governs: trailing "00" pairs are dropped, so a province 440000 governs
"44", a prefecture-level city 440300 governs "4403", a county-level unit 440305 governs "440305". A
supervisor reads every agency whose region code starts with that prefix — the agencies of its lower
levels and the departments at its own level (深圳市人民政府 440300 reads 深圳市教育局 440300 and
深圳市南山区教育局 440305, not 广州市… 4401xx). Its own agency is always readable. An agency without a
region code is readable by no supervisor but its own: an unknown place is never assumed to be inside.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

ROLES = ("admin", "editor", "viewer", "reviewer", "staff", "supervisor")
DESK_ROLES = ("admin", "staff", "supervisor")
AGENCY_ROLES = ("staff", "supervisor")  # roles that need an agency

Row = Mapping[str, Any]  # app_user row (role, agency_id) or agency row (id, region_code)


def governed_prefix(region_code: str | None) -> str:
    """The code prefix of the territory a region code governs ('' when the code is unknown)."""
    code = (region_code or "").strip()
    if len(code) != 6 or not code.isdigit():
        return ""
    while code.endswith("00") and len(code) > 2:
        code = code[:-2]
    return code


def within(region_code: str | None, supervisor_code: str | None) -> bool:
    """Whether a region lies inside the territory a supervisor's region governs."""
    prefix = governed_prefix(supervisor_code)
    return bool(prefix) and (region_code or "").startswith(prefix)


def can_read(user: Row | None, agency: Row, home: Row | None = None) -> bool:
    """May ``user`` (whose own agency row is ``home``) read ``agency``'s ledger and reports?"""
    if not user:
        return False
    role = user.get("role")
    if role == "admin":
        return True
    own = user.get("agency_id")
    if own is None or role not in AGENCY_ROLES:
        return False
    if agency.get("id") == own:
        return True
    if role == "supervisor" and home is not None and home.get("id") == own:
        return within(agency.get("region_code"), home.get("region_code"))
    return False


def can_write(user: Row | None, agency: Row) -> bool:
    """May ``user`` register applications, append events, enter report inputs or import into ``agency``?"""
    if not user:
        return False
    if user.get("role") == "admin":
        return True
    return (
        user.get("role") == "staff"
        and user.get("agency_id") is not None
        and agency.get("id") == user.get("agency_id")
    )


def can_edit_calendar(user: Row | None) -> bool:
    """The working-day calendar is shared by every agency: only an admin changes it."""
    return bool(user) and user.get("role") == "admin"


def readable(user: Row | None, agencies: Iterable[Row], home: Row | None = None) -> list[Row]:
    """The agencies among ``agencies`` that ``user`` may read."""
    return [a for a in agencies if can_read(user, a, home)]


def sees_personal(user: Row | None, agency: Row) -> bool:
    """Only the agency's own staff see an applicant's ID number, phone and address in full; everyone
    else (supervisors, admins, exports leaving the agency) gets them masked or redacted."""
    return (
        bool(user)
        and user.get("role") == "staff"
        and user.get("agency_id") is not None
        and agency.get("id") == user.get("agency_id")
    )
