"""Accounts: users with roles, argon2id password hashes, browser sessions, per-user API tokens, login throttling.

Secrets (session cookies, API tokens) are random 256-bit strings; the store keeps only their SHA-256 (a fast hash
is enough for values nobody can guess), while passwords, which people choose, get argon2id.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from indexer.store import Store, utcnow

ROLES = ("viewer", "analyst", "admin")
RANK = {role: n for n, role in enumerate(ROLES)}
TOKEN_PREFIX = "cm_"

_hasher = PasswordHasher()


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    # verified against when the name is unknown, so an unknown name costs the same time as a wrong password; made on
    # first use, not at import (a hash takes ~0.1 s of CPU, and every CLI start imports this module)
    return _hasher.hash(secrets.token_urlsafe(16))


class UserError(ValueError):
    """A user command that cannot be done (unknown name, bad role, duplicate); the message says why."""


@dataclass(frozen=True)
class User:
    id: int
    name: str
    role: str
    disabled: bool

    def can(self, role: str) -> bool:
        return not self.disabled and RANK[self.role] >= RANK[role]

    def as_json(self) -> dict[str, object]:
        return {"name": self.name, "role": self.role, "disabled": self.disabled}


def _user(row: object) -> User:
    return User(row["id"], row["name"], row["role"], bool(row["disabled"]))  # type: ignore[index]


def _sha(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise UserError(f"unknown role {role!r}; use one of {', '.join(ROLES)}")


def check_password(password: str) -> None:
    if len(password) < 8:
        raise UserError("the password is too short: use at least 8 characters")


def get(store: Store, name: str) -> User | None:
    row = store.conn.execute("SELECT * FROM users WHERE name = ?", (name,)).fetchone()
    return _user(row) if row else None


def require(store: Store, name: str) -> User:
    user = get(store, name)
    if user is None:
        raise UserError(f"no user named {name!r}; see `crimea-monitor users list`")
    return user


def list_users(store: Store) -> list[User]:
    return [_user(r) for r in store.conn.execute("SELECT * FROM users ORDER BY name")]


def add(store: Store, name: str, role: str, password: str) -> User:
    _check_role(role)
    check_password(password)
    if not name or len(name) > 64 or not name.replace("-", "").replace("_", "").replace(".", "").isalnum():
        raise UserError(f"invalid user name {name!r}: use letters, digits, '-', '_' or '.' (at most 64)")
    now = utcnow()
    with store.transaction() as tx:
        if tx.execute("SELECT 1 FROM users WHERE name = ?", (name,)).fetchone():
            raise UserError(f"a user named {name!r} exists already")
        tx.execute("INSERT INTO users (name, role, password_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
                   (name, role, _hasher.hash(password), now, now))
    return require(store, name)


def set_password(store: Store, name: str, password: str) -> None:
    check_password(password)
    user = require(store, name)
    with store.transaction() as tx:
        tx.execute("UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?",
                   (_hasher.hash(password), utcnow(), user.id))
        tx.execute("DELETE FROM sessions WHERE user_id = ?", (user.id,))  # a new password logs out everywhere


def set_disabled(store: Store, name: str, disabled: bool = True) -> None:
    user = require(store, name)
    with store.transaction() as tx:
        tx.execute("UPDATE users SET disabled = ?, updated_at = ? WHERE id = ?", (int(disabled), utcnow(), user.id))
        if disabled:
            tx.execute("DELETE FROM sessions WHERE user_id = ?", (user.id,))
            tx.execute("UPDATE api_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL",
                       (utcnow(), user.id))


def authenticate(store: Store, name: str, password: str) -> User | None:
    """The user if the name and password match an enabled account; the same work is done for unknown names."""
    row = store.conn.execute("SELECT * FROM users WHERE name = ?", (name,)).fetchone()
    try:
        _hasher.verify(row["password_hash"] if row else _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return None
    if row is None or row["disabled"]:
        return None
    if _hasher.check_needs_rehash(row["password_hash"]):
        with store.transaction() as tx:
            tx.execute("UPDATE users SET password_hash = ? WHERE id = ?", (_hasher.hash(password), row["id"]))
    return _user(row)


# --------------------------------------------------------------------------------------------------- tokens
def new_token(store: Store, name: str) -> str:
    """A new API token for the user; only its hash is kept, so this is the one time it can be shown."""
    user = require(store, name)
    if user.disabled:
        raise UserError(f"{name!r} is disabled; enable the account before giving it a token")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with store.transaction() as tx:
        tx.execute("INSERT INTO api_tokens (user_id, token_hash, created_at) VALUES (?, ?, ?)",
                   (user.id, _sha(token), utcnow()))
    return token


def revoke_tokens(store: Store, name: str) -> int:
    user = require(store, name)
    with store.transaction() as tx:
        cur = tx.execute("UPDATE api_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL",
                         (utcnow(), user.id))
    return cur.rowcount


def user_for_token(store: Store, token: str) -> User | None:
    row = store.conn.execute(
        "SELECT u.* FROM api_tokens t JOIN users u ON u.id = t.user_id "
        "WHERE t.token_hash = ? AND t.revoked_at IS NULL AND u.disabled = 0", (_sha(token),)
    ).fetchone()
    return _user(row) if row else None


# ------------------------------------------------------------------------------------------------- sessions
def start_session(store: Store, user: User, hours: float) -> tuple[str, str]:
    """(cookie secret, CSRF token) of a new session."""
    secret, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    with store.transaction() as tx:
        tx.execute("DELETE FROM sessions WHERE expires_at < ?", (now.isoformat(timespec="seconds"),))
        tx.execute("INSERT INTO sessions (secret_hash, user_id, csrf, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
                   (_sha(secret), user.id, csrf, now.isoformat(timespec="seconds"),
                    (now + timedelta(hours=hours)).isoformat(timespec="seconds")))
    return secret, csrf


def session(store: Store, secret: str) -> tuple[User, str] | None:
    """(user, CSRF token) of a live session of an enabled user."""
    row = store.conn.execute(
        "SELECT u.*, s.csrf FROM sessions s JOIN users u ON u.id = s.user_id "
        "WHERE s.secret_hash = ? AND s.expires_at > ? AND u.disabled = 0", (_sha(secret), utcnow())
    ).fetchone()
    return (_user(row), row["csrf"]) if row else None


def end_session(store: Store, secret: str) -> None:
    with store.transaction() as tx:
        tx.execute("DELETE FROM sessions WHERE secret_hash = ?", (_sha(secret),))


# --------------------------------------------------------------------------------------------------- throttle
def recent_failures(store: Store, subject: str, window_seconds: int) -> int:
    since = (datetime.now(UTC) - timedelta(seconds=window_seconds)).isoformat(timespec="seconds")
    row = store.conn.execute("SELECT COUNT(*) FROM login_failures WHERE subject = ? AND at >= ?",
                             (subject, since)).fetchone()
    return int(row[0])


def record_failure(store: Store, subjects: list[str]) -> None:
    now = utcnow()
    with store.transaction() as tx:
        tx.executemany("INSERT INTO login_failures (subject, at) VALUES (?, ?)", [(s, now) for s in subjects])


def clear_failures(store: Store, subject: str) -> None:
    with store.transaction() as tx:
        tx.execute("DELETE FROM login_failures WHERE subject = ?", (subject,))
