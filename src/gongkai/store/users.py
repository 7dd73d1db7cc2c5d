"""Local accounts: Argon2 password hashes, a role, an agency (desk roles) or a region (reviewers), a
session version, and API tokens for scripts.

Roles are checked by the callers (desk.access, review.access); the store only keeps them. The password
rules (``password_problem``) are applied where a person chooses a password: ``gongkai user-add``,
``gongkai user-passwd`` and the admin's account page.

Each Argon2 hash takes 64 MiB for a moment; ``HASH_SLOTS`` bounds how many run at once in this process
(the web also queues logins before they take a thread, see web/security.py).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import threading
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select, update

from ..errors import Invalid, NotFound
from .models import ApiToken, User, utcnow

if TYPE_CHECKING:
    from . import Store

U = User.__table__
T = ApiToken.__table__
ROW = (
    U.c.id,
    U.c.username,
    U.c.role,
    U.c.agency_id,
    U.c.region_code,
    U.c.disabled,
    U.c.session_version,
)
SCOPES = ("read", "write")
MIN_PASSWORD = 10
HASH_SLOTS = threading.BoundedSemaphore(2)  # at most two 64 MiB hashes at a time in this process
TOKEN_PREFIX = "gk_"


def _hasher() -> Any:
    from argon2 import PasswordHasher

    return PasswordHasher()


def hash_password(password: str) -> str:
    with HASH_SLOTS:
        return _hasher().hash(password)


def _verify(stored: str, password: str) -> bool:
    from argon2.exceptions import Argon2Error

    with HASH_SLOTS:
        try:
            return bool(_hasher().verify(stored, password))
        except Argon2Error:
            return False


def password_problem(password: str, username: str = "") -> tuple[str, str] | None:
    """Why this password may not be used (Chinese, English), or None: at least ten characters, not all
    of one kind (lower-case, upper-case, digits, others), not the user name."""
    if len(password) < MIN_PASSWORD:
        return (
            f"密码至少需要 {MIN_PASSWORD} 个字符",
            f"the password needs at least {MIN_PASSWORD} characters",
        )
    kinds = {
        "lower" if c.islower() else "upper" if c.isupper() else "digit" if c.isdigit() else "other"
        for c in password
    }
    if len(kinds) < 2:
        return (
            "密码不能全是同一类字符，请混合字母、数字或符号",
            "the password must mix kinds of characters (letters, digits, symbols)",
        )
    name = username.strip().lower()
    if name and (password.lower() == name or (len(name) >= 3 and name in password.lower())):
        return ("密码不能包含用户名", "the password must not contain the user name")
    return None


def check_password(password: str, username: str = "") -> None:
    """Raise ``Invalid`` (422) when ``password_problem`` finds one."""
    problem = password_problem(password, username)
    if problem is not None:
        raise Invalid(username or "password", *problem)


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8", "replace")).hexdigest()


class Users:
    """``store.users``: add, authenticate, read, change role, disable, passwords, sessions, tokens."""

    def __init__(self, store: Store) -> None:
        self.engine = store.engine

    def add(
        self,
        username: str,
        password: str,
        role: str = "editor",
        agency_id: int | None = None,
        region_code: str = "",
    ) -> int:
        """A local account; the password is stored only as an Argon2 hash."""
        with self.engine.connect() as conn:
            if conn.execute(select(U.c.id).where(U.c.username == username)).first() is not None:
                raise Invalid("", f"用户名“{username}”已存在", f"user {username} exists")
        hashed = hash_password(password)
        with self.engine.begin() as conn:
            if conn.execute(select(U.c.id).where(U.c.username == username)).first() is not None:
                raise Invalid("", f"用户名“{username}”已存在", f"user {username} exists")
            return conn.execute(
                insert(U).values(
                    username=username,
                    password_hash=hashed,
                    role=role,
                    agency_id=agency_id,
                    region_code=region_code,
                    disabled=False,
                    created_at=utcnow(),
                    session_version=1,
                )
            ).inserted_primary_key[0]

    def authenticate(self, username: str, password: str) -> dict[str, Any] | None:
        """The user's row when the password is right and the account enabled; None otherwise (no hint
        which was wrong)."""
        with self.engine.connect() as conn:
            row = conn.execute(select(*ROW, U.c.password_hash).where(U.c.username == username)).first()
        if row is None:
            hash_password(password)  # same work either way: no timing hint that the name is unknown
            return None
        if not _verify(row.password_hash, password) or row.disabled:
            return None
        return _public(row._mapping)

    def get(self, user_id: int) -> dict[str, Any] | None:
        """The account's current role, agency and region (read on every request: a change applies at once)."""
        with self.engine.connect() as conn:
            row = conn.execute(select(*ROW).where(U.c.id == user_id)).first()
        return _public(row._mapping) if row is not None else None

    def by_name(self, username: str) -> dict[str, Any]:
        with self.engine.connect() as conn:
            row = conn.execute(select(*ROW).where(U.c.username == username)).first()
        if row is None:
            raise NotFound("", f"没有用户“{username}”", f"no user {username}")
        return _public(row._mapping)

    def list(self) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return [_public(r._mapping) for r in conn.execute(select(*ROW).order_by(U.c.username))]

    def update(self, username: str, **values: Any) -> dict[str, Any]:
        """Change ``role``, ``agency_id``, ``region_code`` or ``disabled``; returns the row before.
        A change of role or a disable ends the account's sessions (its session version moves on)."""
        allowed = {"role", "agency_id", "region_code", "disabled"}
        if set(values) - allowed:
            raise Invalid("", f"不能修改：{', '.join(set(values) - allowed)}", "unknown account field")
        before = self.by_name(username)
        changes = dict(values)
        if any(values.get(k, before[k]) != before[k] for k in ("role", "disabled", "agency_id")):
            changes["session_version"] = U.c.session_version + 1
        with self.engine.begin() as conn:
            conn.execute(update(U).where(U.c.username == username).values(**changes))
        return before

    def set_password(self, username: str, password: str) -> None:
        """A new password (the caller applies ``check_password``); every session of the account ends."""
        self.by_name(username)
        hashed = hash_password(password)
        with self.engine.begin() as conn:
            conn.execute(
                update(U)
                .where(U.c.username == username)
                .values(password_hash=hashed, session_version=U.c.session_version + 1)
            )

    def end_sessions(self, user_id: int) -> None:
        """Log the account out everywhere: cookies carrying the old session version stop working."""
        with self.engine.begin() as conn:
            conn.execute(update(U).where(U.c.id == user_id).values(session_version=U.c.session_version + 1))

    # ---- API tokens ------------------------------------------------------------------------------

    def add_token(self, username: str, scope: str = "read", note: str = "") -> tuple[int, str]:
        """A new token for the account: (its id, the token). The token itself is shown this once; only
        its SHA-256 is kept."""
        if scope not in SCOPES:
            raise Invalid("", f"权限范围须为 {' 或 '.join(SCOPES)}", f"scope must be {' or '.join(SCOPES)}")
        user = self.by_name(username)
        raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with self.engine.begin() as conn:
            tid = conn.execute(
                insert(T).values(
                    user_id=user["id"],
                    token_hash=token_hash(raw),
                    scope=scope,
                    note=note[:200],
                    created_at=utcnow(),
                )
            ).inserted_primary_key[0]
        return tid, raw

    def revoke_token(self, token_id: int) -> dict[str, Any]:
        """Revoke a token by id; returns it (with the account's name)."""
        with self.engine.begin() as conn:
            row = conn.execute(
                select(T.c.id, T.c.scope, T.c.revoked_at, U.c.username)
                .join(U, U.c.id == T.c.user_id)
                .where(T.c.id == token_id)
            ).first()
            if row is None:
                raise NotFound("", f"没有编号为 {token_id} 的令牌", f"no token #{token_id}")
            if row.revoked_at is None:
                conn.execute(update(T).where(T.c.id == token_id).values(revoked_at=utcnow()))
        return {"id": row.id, "scope": row.scope, "username": row.username}

    def tokens(self, username: str | None = None) -> list[dict[str, Any]]:
        q = (
            select(
                T.c.id, T.c.scope, T.c.note, T.c.created_at, T.c.last_used_at, T.c.revoked_at, U.c.username
            )
            .join(U, U.c.id == T.c.user_id)
            .order_by(T.c.id)
        )
        if username:
            q = q.where(U.c.username == username)
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(q)]

    def by_token(self, raw: str) -> tuple[dict[str, Any], str] | None:
        """The enabled account a live token belongs to, with the token's scope; None otherwise."""
        if not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
            return None
        with self.engine.connect() as conn:
            row = conn.execute(
                select(*ROW, T.c.id.label("token_id"), T.c.scope, T.c.revoked_at, T.c.last_used_at)
                .join(U, U.c.id == T.c.user_id)
                .where(T.c.token_hash == token_hash(raw))
            ).first()
        if row is None or row.revoked_at is not None or row.disabled:
            return None
        now = utcnow()
        if row.last_used_at is None or now - row.last_used_at > dt.timedelta(minutes=1):
            with self.engine.begin() as conn:
                conn.execute(update(T).where(T.c.id == row.token_id).values(last_used_at=now))
        return _public(row._mapping), row.scope


def _public(m: Any) -> dict[str, Any]:
    return {
        "id": m["id"],
        "username": m["username"],
        "role": m["role"],
        "agency_id": m["agency_id"],
        "region_code": m["region_code"] or "",
        "disabled": bool(m["disabled"]),
        "session_version": m["session_version"] or 1,
    }
