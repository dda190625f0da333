"""Users: creation with a password policy, and checking a sign-in."""

from __future__ import annotations

import datetime as dt
import enum
import functools
import re
from importlib import resources

from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from .. import models as m
from ..extensions import db

MIN_PASSWORD_LENGTH = 12
EMAIL_PATTERN = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


@functools.cache
def _dummy_hash() -> str:
    """A hash to compare against when the account does not exist, so timing reveals
    nothing; made on first use, not by every command at start-up (it takes 0.1 s)."""
    return generate_password_hash("not a real password, only for timing")


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


def create_user(
    email: str, name: str, role: str, password: str, team: str | None = None
) -> m.User:
    email = email.strip()
    if not EMAIL_PATTERN.fullmatch(email):
        raise UserRefused(f"{email!r} is not an email address")
    if role not in m.ROLES:
        raise UserRefused(f"role must be one of {', '.join(m.ROLES)}")
    if not name.strip():
        raise UserRefused("name is required")
    if problem := password_problem(password):
        raise UserRefused(problem)
    if find_user(email):
        raise UserRefused(f"a user with email {email} already exists")
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
        password_hash=generate_password_hash(password),
        active=True,
    )
    db.session.add(user)
    db.session.flush()
    return user


def check_password(user: m.User | None, password: str) -> bool:
    if user is None:
        check_password_hash(_dummy_hash(), password)
        return False
    return check_password_hash(user.password_hash, password)


# Sign-in throttling ------------------------------------------------------------------------

MAX_FAILED_SIGN_INS = 10
LOCKOUT_MINUTES = 15


class SignIn(enum.Enum):
    OK = "ok"
    FAILED = "failed"
    LOCKED = "locked"


def _recent_failures(email: str) -> int:
    since = m.utcnow() - dt.timedelta(minutes=LOCKOUT_MINUTES)
    return db.session.scalar(
        select(func.count(m.AuditEvent.id)).where(
            m.AuditEvent.action == "sign_in_failed",
            m.AuditEvent.object_type == "user",
            m.AuditEvent.object_ref == email.lower(),
            m.AuditEvent.at >= since,
        )
    ) or 0


def sign_in(user: m.User | None, email: str, password: str) -> SignIn:
    """Check a sign-in attempt, refusing an account with too many recent failures."""
    from ..audit import record_event

    if _recent_failures(email) >= MAX_FAILED_SIGN_INS:
        record_event("sign_in_refused", "user", email.lower()[:120], user=user)
        return SignIn.LOCKED
    if check_password(user, password) and user is not None and user.active:
        return SignIn.OK
    record_event("sign_in_failed", "user", email.lower()[:120], user=user)
    return SignIn.FAILED
