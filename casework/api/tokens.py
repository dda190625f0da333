"""The read API's bearer tokens: made by an administrator for a named user or a named
partner system, shown once, kept as their SHA-256, expiring, revocable; and the calls each
token may make a minute, counted in the database like sign-in attempts."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import secrets

from sqlalchemy import select

from .. import models as m
from ..audit import record_event
from ..auth.service import find_user, take_allowance
from ..extensions import db
from ..transaction import transactional

TOKEN_PREFIX = "cw_"  # nosec B105: the prefix that marks a casework token, not a secret
MAX_DAYS = 366  # a token lasts a year at most: an admin makes a new one, never extends it
DEFAULT_DAYS = 90
CALLS_PER_MINUTE = 120  # a token's calls a minute; more are refused with 429
TRIES_PER_ADDRESS = 60  # calls a minute from one address with a missing or unknown token
# Roles a partner system may be given: those that see the council's families as a whole
# (a worker's or team lead's scope is their own allocations, which a system has none of).
SYSTEM_ROLES = ("manager", "auditor")


class TokenRefused(Exception):
    """The token could not be made or revoked; the message says why."""


@dataclasses.dataclass(frozen=True)
class System:
    """A partner system calling with its token: it acts with the role it was given, and its
    audit rows name it (`email` is what the audit log keeps)."""

    name: str
    role: str
    id: None = None
    team_id: None = None
    is_authenticated: bool = True
    active: bool = True

    @property
    def email(self) -> str:
        return f"system:{self.name}"[:254]


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transactional
def create_token(by: m.User, *, user_email: str | None = None, system_name: str | None = None,
                 system_role: str | None = None, days: int = DEFAULT_DAYS,
                 how: str = "") -> tuple[m.ApiToken, str]:
    """Make a token; return it and its secret, which is never stored or shown again."""
    if by is None or by.role != "admin":
        raise TokenRefused("Only an administrator makes API tokens")
    if bool(user_email) == bool(system_name):
        raise TokenRefused("Name a user or a partner system (one of the two)")
    if not 1 <= days <= MAX_DAYS:
        raise TokenRefused(f"A token lasts from 1 to {MAX_DAYS} days")
    user = None
    if user_email:
        user = find_user(user_email.strip())
        if user is None or not user.active:
            raise TokenRefused(f"No active user has the email {user_email.strip()}")
        if user.role == "partner":
            # The API answers with whole families; a partner sees only their sharing level's
            # sections of a family, on the pages.
            raise TokenRefused(f"{user.email} is a partner practitioner: the API is for the "
                               "council's staff and systems")
    else:
        system_name = system_name.strip()
        if not system_name or len(system_name) > 200:
            raise TokenRefused("Give the partner system a name of up to 200 characters")
        if system_role not in SYSTEM_ROLES:
            raise TokenRefused(f"A partner system's role is one of {', '.join(SYSTEM_ROLES)}")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)  # 256 random bits
    token = m.ApiToken(token_hash=digest(secret), prefix=secret[:10],
                       user_id=user.id if user else None,
                       system_name=None if user else system_name,
                       system_role=None if user else system_role,
                       created_by_id=by.id,
                       expires_at=m.utcnow() + dt.timedelta(days=days))
    db.session.add(token)
    db.session.flush()
    record_event("create", "api_token", str(token.id), user=by,
                 detail=f"for {token.holder}, {days} days" + (f" ({how})" if how else ""))
    return token, secret


@transactional
def revoke_token(token_id: int, by: m.User, how: str = "") -> m.ApiToken:
    if by is None or by.role != "admin":
        raise TokenRefused("Only an administrator revokes API tokens")
    token = db.session.get(m.ApiToken, token_id)
    if token is None:
        raise TokenRefused(f"No API token {token_id}")
    if token.revoked_at is None:
        token.revoked_at, token.revoked_by_id = m.utcnow(), by.id
        record_event("revoke", "api_token", str(token.id), user=by,
                     detail=f"for {token.holder}" + (f" ({how})" if how else ""))
    return token


def tokens() -> list[m.ApiToken]:
    return list(db.session.scalars(select(m.ApiToken).order_by(m.ApiToken.id.desc())))


def token_or_none(token_id: int) -> m.ApiToken | None:
    return db.session.get(m.ApiToken, token_id)


def status(token: m.ApiToken, now: dt.datetime | None = None) -> str:
    now = now or m.utcnow()
    if token.revoked_at is not None:
        return "revoked"
    if token.expires_at <= now:
        return "expired"
    if token.user is not None and not token.user.active:
        return "user deactivated"
    return "active"


def caller(secret: str | None) -> tuple[m.ApiToken, m.User | System] | None:
    """The token a secret belongs to and who calls with it, or None when the secret is
    unknown, expired or revoked, or its user may no longer sign in."""
    if not secret or not secret.startswith(TOKEN_PREFIX) or len(secret) > 100:
        return None
    token = db.session.scalar(select(m.ApiToken).where(m.ApiToken.token_hash == digest(secret)))
    if token is None or status(token) != "active":
        return None
    who = token.user if token.user is not None else System(token.system_name, token.system_role)
    return token, who


def within_limit(token: m.ApiToken) -> bool:
    """Count one call of the token; False past CALLS_PER_MINUTE a minute."""
    return take_allowance(f"api:{token.id}", CALLS_PER_MINUTE, dt.timedelta(minutes=1))


def address_within_limit(address: str | None) -> bool:
    """Count one call without a usable token from `address`; False past TRIES_PER_ADDRESS."""
    return take_allowance(f"api-address:{address}", TRIES_PER_ADDRESS, dt.timedelta(minutes=1))


@dataclasses.dataclass(frozen=True)
class _Nobody:
    """The caller of a refused call: its audit row names no user (never the session's)."""

    id: None = None
    email: None = None


NOBODY = _Nobody()


@transactional
def used(token: m.ApiToken, who, method: str, path: str, status_code: int) -> None:
    """Audit a call made with the token (every call, answered or refused)."""
    token.last_used_at = m.utcnow()
    record_event("api", "api", f"{method} {path}"[:120], user=who,
                 detail=f"token {token.id} ({token.prefix}...): {status_code}")
