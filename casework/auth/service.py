"""Users: creation with a password policy, and checking a sign-in."""

from __future__ import annotations

import datetime as dt
import enum
import functools
import re
from importlib import resources

from flask import current_app
from sqlalchemy import case, delete, event, func, or_, select, update
from sqlalchemy.orm.base import NEVER_SET, NO_VALUE
from werkzeug.security import check_password_hash, generate_password_hash

from .. import models as m
from ..audit import record_event
from ..extensions import db
from ..transaction import transaction, transactional

MIN_PASSWORD_LENGTH = 12
EMAIL_PATTERN = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def hash_password(password: str) -> str:
    """The stored hash of `password`, by the configured method (PASSWORD_HASH_METHOD:
    werkzeug's scrypt everywhere but the tests, whose configuration takes a cheap one)."""
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


@functools.cache
def _dummy_hash(method: str) -> str:
    """A hash to compare against when the account does not exist, so timing reveals
    nothing; made on first use, not by every command at start-up (it takes 0.1 s)."""
    return generate_password_hash("not a real password, only for timing", method=method)


class UserRefused(Exception):
    """The user could not be created or changed; the message says why."""


def _common_passwords() -> frozenset[str]:
    text = resources.files(__package__).joinpath("common-passwords.txt").read_text()
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip())


COMMON_PASSWORDS = _common_passwords()


def password_problem(password: str) -> str | None:
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Password must be at least {MIN_PASSWORD_LENGTH} characters long"
    if password.lower() in COMMON_PASSWORDS or len(set(password)) < 4:
        return "Password is too common: choose a longer phrase that is hard to guess"
    return None


def find_user(email: str) -> m.User | None:
    return db.session.scalar(select(m.User).where(func.lower(m.User.email) == email.lower()))


@transactional
def create_user(
    email: str, name: str, role: str, password: str, team: str | None = None,
    by: m.User | None = None, how: str = "", organisation: m.PartnerOrganisation | None = None,
) -> m.User:
    """Create a user who can sign in (and their team, if it is new), audited as done by
    `by` (`how`: where, such as "command line"). A partner practitioner (role "partner")
    belongs to a partner `organisation` and to no team; staff to no organisation."""
    email = email.strip()
    if not EMAIL_PATTERN.fullmatch(email):
        raise UserRefused(f"Enter an email address like name@example.com, not {email!r}")
    if role not in m.ROLES:
        raise UserRefused(f"Role must be one of {', '.join(m.ROLES)}")
    if not name.strip():
        raise UserRefused("Enter the user's name")
    if role == "partner" and organisation is None:
        raise UserRefused("A partner practitioner belongs to a partner organisation: add them "
                          "from the organisation's page")
    if role != "partner" and organisation is not None:
        raise UserRefused("Only a partner practitioner belongs to a partner organisation")
    if role == "partner" and team:
        raise UserRefused("A partner practitioner is in no team")
    if problem := password_problem(password):
        raise UserRefused(problem)
    if find_user(email):
        raise UserRefused(f"A user with email {email} already exists")
    team_row = None
    if team:
        team_row = db.session.scalar(select(m.Team).where(m.Team.name == team))
        if team_row is None:
            team_row = m.Team(name=team)
            db.session.add(team_row)
    user = m.User(
        email=email,
        name=name.strip(),
        role=role,
        team=team_row,
        organisation=organisation,
        password_hash=hash_password(password),
        active=True,
    )
    db.session.add(user)
    db.session.flush()
    record_event("create", "user", user.email, user=by,
                 detail=f"role={role}" + (f" of {organisation.name}" if organisation else "")
                 + (f" ({how})" if how else ""))
    return user


# Session revocation -------------------------------------------------------------------------
# A session records its user's session_version when they sign in; the user loader refuses
# a session whose number is older. Signing out, a new password and any change to whether
# the account may sign in all raise the number, ending every session of that user.

SESSION_VERSION = "session_version"  # the key in the signed session cookie


def revoke_sessions(user: m.User) -> None:
    """End every session of `user` (in the caller's transaction)."""
    user.session_version = m.User.session_version + 1


@transactional
def sign_out(user: m.User) -> None:
    """Sign `user` out everywhere: a copy of this session's cookie stops working too."""
    record_event("sign_out", "user", user.email, user=user)
    revoke_sessions(user)


@event.listens_for(m.User.password_hash, "set", active_history=True)
@event.listens_for(m.User.active, "set", active_history=True)
def _revoke_on_change(user: m.User, value, old, _initiator) -> None:
    if old not in (NO_VALUE, NEVER_SET) and value != old:
        revoke_sessions(user)


def session_is_current(user: m.User, version: int | None) -> bool:
    return version is not None and version == user.session_version


def check_password(user: m.User | None, password: str) -> bool:
    if user is None:
        check_password_hash(_dummy_hash(current_app.config["PASSWORD_HASH_METHOD"]), password)
        return False
    return check_password_hash(user.password_hash, password)


# Sign-in throttling ------------------------------------------------------------------------
# Counted in the database (sign_in_counters), so that the limits hold across every app
# server and process, and taken with one conditional UPDATE, so that parallel attempts
# cannot all pass the check before any is counted.

MAX_FAILED_SIGN_INS = 10
LOCKOUT_MINUTES = 15
SIGN_INS_PER_ADDRESS = 30  # attempts a minute from one address, right or wrong


class SignIn(enum.Enum):
    OK = "ok"
    FAILED = "failed"
    LOCKED = "locked"


@transactional
def _take(key: str, limit: int, window: dt.timedelta) -> bool:
    """Count one attempt against `key`, unless `limit` attempts were already counted in the
    window; return whether it was counted (allowed). Called in no open transaction, it is
    its own, so that the row is locked only for the moment of the count, and the count
    stands whatever follows."""
    now = m.utcnow()
    expired = m.SignInCounter.window_start <= now - window
    counter = m.SignInCounter.__table__
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    for _ in range(2):  # twice: the row may be cleared by housekeeping in between
        db.session.execute(insert(counter).values(key=key, attempts=0, window_start=now)
                           .on_conflict_do_nothing(index_elements=["key"]))
        if db.session.execute(
            update(counter)
            .where(counter.c.key == key, or_(counter.c.attempts < limit, expired))
            .values(attempts=case((expired, 1), else_=counter.c.attempts + 1),
                    window_start=case((expired, now), else_=counter.c.window_start))
        ).rowcount == 1:
            return True
        if db.session.scalar(select(counter.c.key).where(counter.c.key == key)) is not None:
            return False  # the limit is reached
    return False


# The API's calls a minute are counted the same way (casework/api/tokens.py).
take_allowance = _take


@transactional
def prune_sign_in_counters(now: dt.datetime | None = None) -> int:
    """Delete the counts whose window has passed (they would start again from one anyway);
    return how many."""
    now = now or m.utcnow()
    older = now - dt.timedelta(minutes=max(LOCKOUT_MINUTES, 1))
    return db.session.execute(
        delete(m.SignInCounter).where(m.SignInCounter.window_start <= older)).rowcount


def address_allowed(address: str | None) -> bool:
    """Count a sign-in attempt from `address`; False past SIGN_INS_PER_ADDRESS a minute."""
    return _take(f"address:{address}", SIGN_INS_PER_ADDRESS, dt.timedelta(minutes=1))


def sign_in(user: m.User | None, email: str, password: str) -> SignIn:
    """Check a sign-in attempt, refusing an account with too many recent failures: the
    attempt is counted (and committed) before the password is checked, and a right password
    clears the count. Every outcome is audited."""
    key = f"account:{email.strip().lower()}"
    if not _take(key, MAX_FAILED_SIGN_INS, dt.timedelta(minutes=LOCKOUT_MINUTES)):
        with transaction():
            record_event("sign_in_refused", "user", email.lower()[:120], user=user)
        return SignIn.LOCKED
    return _checked(user, email, password, key)


DEMO_DOMAIN = "@demo.casework.test"


@transactional
def _checked(user: m.User | None, email: str, password: str, key: str) -> SignIn:
    if (user is not None and current_app.config.get("ENV_NAME") == "production"
            and user.email.endswith(DEMO_DOMAIN)):
        user = None  # a demo account (published password) never signs in in production
    if check_password(user, password) and user is not None and user.active:
        db.session.execute(delete(m.SignInCounter).where(m.SignInCounter.key == key))
        record_event("sign_in", "user", user.email, user=user)
        return SignIn.OK
    record_event("sign_in_failed", "user", email.lower()[:120], user=user)
    return SignIn.FAILED
