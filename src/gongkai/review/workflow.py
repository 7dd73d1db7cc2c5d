"""The review workflow as data: report statuses and their transitions, finding decisions, who may review.

A reviewer is scoped by region like the desk's supervisor (desk.access.governed_prefix): an account with
region 440300 reviews every report whose publisher's region code starts with 4403. An admin reviews all.
Reading reports stays open to everyone; the review state (decisions, notes, statuses) is read and written
only by those who may review the report's region.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..desk.access import governed_prefix

# status id → (Chinese, English)
STATUSES: dict[str, tuple[str, str]] = {
    "pending": ("待审核", "to review"),
    "ok": ("已审核无问题", "reviewed, no problem"),
    "rectify": ("需整改", "to be rectified"),
    "rectified": ("已整改", "rectified"),
}
# which status may follow which (a reviewer may reopen a closed review)
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "pending": ("ok", "rectify"),
    "ok": ("rectify", "pending"),
    "rectify": ("rectified", "ok"),
    "rectified": ("ok", "rectify"),
}
# decision id → (Chinese, English)
DECISIONS: dict[str, tuple[str, str]] = {
    "confirmed": ("已确认", "confirmed"),
    "dismissed": ("已排除", "dismissed"),
    "reopened": ("重新待定", "reopened"),
}
REVIEW_ROLES = ("admin", "reviewer")


def status_label(status: str | None, lang: str = "zh") -> str:
    zh, en = STATUSES.get(status or "pending", STATUSES["pending"])
    return en if lang == "en" else zh


def scope_prefix(user: Mapping[str, Any] | None) -> str | None:
    """The region prefix a user reviews: "" for everything (admin), None for nothing."""
    if not user or user.get("disabled"):
        return None
    if user.get("role") == "admin":
        return ""
    if user.get("role") == "reviewer":
        return governed_prefix(user.get("region_code")) or None
    return None


def can_review(user: Mapping[str, Any] | None, region_code: str | None) -> bool:
    """May ``user`` read and change the review state of a report published in ``region_code``?"""
    prefix = scope_prefix(user)
    if prefix is None:
        return False
    return prefix == "" or (region_code or "").startswith(prefix)
