"""The administrator's use cases: teams, a user's role and team, and deactivating a user whose
families go to another worker first."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from .. import clock, episodes
from .. import models as m
from ..access import allocated_to
from ..audit import record_event
from ..auth.service import UserRefused, create_user, hash_password, password_problem
from ..caseloads import service as caseloads
from ..extensions import db
from ..locking import lock_rows
from ..paging import Page, page_within
from ..transaction import transactional


class AdminRefused(Exception):
    pass


def teams_by_name() -> list[m.Team]:
    return list(db.session.scalars(select(m.Team).order_by(m.Team.name)))


def teams() -> list[tuple[m.Team, int]]:
    """Every team with how many active users it has, by name."""
    counts = dict(db.session.execute(
        select(m.User.team_id, func.count(m.User.id)).where(m.User.active.is_(True))
        .group_by(m.User.team_id)).all())
    return [(t, counts.get(t.id, 0)) for t in teams_by_name()]


def users() -> list[m.User]:
    """Every user, the active first, by name."""
    return list(db.session.scalars(select(m.User).order_by(m.User.active.desc(), m.User.name)))


def user_or_404(user_id: int) -> m.User:
    return db.get_or_404(m.User, user_id)


def successors(user: m.User) -> list[m.User]:
    """The active FIP workers who could take over `user`'s families, their team's first,
    then by name."""
    return list(db.session.scalars(select(m.User).where(
        m.User.role == "worker", m.User.active.is_(True), m.User.id != user.id)
        .order_by(m.User.team_id != user.team_id, m.User.name)))


AUDIT_PER_PAGE = 50


def audit_events(since: dt.date, until: dt.date, who: str, action: str, ref: str,
                 page: int) -> Page:
    """One page of the audit log from `since` to `until` (whole days), newest first: of the
    users whose email contains `who`, of one `action` and one object reference when given."""
    query = select(m.AuditEvent).where(  # whole days in England (rows are kept in UTC)
        m.AuditEvent.at >= clock.utc_start(since),
        m.AuditEvent.at < clock.utc_start(until + dt.timedelta(days=1)))
    if who:  # their name or their email
        named = select(m.User.id).where(func.lower(m.User.name).like(f"%{who.lower()}%"))
        query = query.where(or_(func.lower(m.AuditEvent.user_email).like(f"%{who.lower()}%"),
                                m.AuditEvent.user_id.in_(named)))
    if action:
        query = query.where(m.AuditEvent.action == action)
    if ref:
        query = query.where(about_ref(ref))
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    number = page_within(page, total, AUDIT_PER_PAGE)
    events = db.session.scalars(query.order_by(m.AuditEvent.at.desc(), m.AuditEvent.id.desc())
                                .options(selectinload(m.AuditEvent.user)
                                         .selectinload(m.User.organisation))
                                .limit(AUDIT_PER_PAGE).offset((number - 1) * AUDIT_PER_PAGE)).all()
    return Page(list(events), number, AUDIT_PER_PAGE, total)


_EMAIL = re.compile(r"[^\s@,;()]+@[^\s@,;()]+\.[A-Za-z]{2,}")


def people_named(events: list[m.AuditEvent]) -> dict[str, str]:
    """The users the events' details name by email (a member added, a lead named, an action's
    owner), as the audit log shows them: email -> "Sam Patel (FIP worker)"."""
    emails = {e for event in events for e in _EMAIL.findall(event.detail or "")}
    if not emails:
        return {}
    found = db.session.scalars(select(m.User).options(selectinload(m.User.organisation))
                               .where(m.User.email.in_(sorted(emails))))
    return {u.email: u.described for u in found}


def detail_in_words(detail: str | None, names: dict[str, str]) -> str:
    """An audit row's detail with each user it names by email named by name instead."""
    return _EMAIL.sub(lambda found: names.get(found.group(0), found.group(0)), detail or "")


def about_ref(ref: str):
    """The audit rows about a record: its reference exactly; for a family, also its contacts,
    follow-ups, goals and referrals (`REF/id`); for a person, also their family's rows, whose
    pages show them. Matched exactly (no LIKE wildcards, case kept) on every database."""
    E = m.AuditEvent
    family_refs = [ref]
    person_family = db.session.scalar(select(m.Family.family_ref).join(
        m.Person, m.Person.family_id == m.Family.id).where(m.Person.person_ref == ref))
    if person_family is not None:
        family_refs.append(person_family)
    return or_(E.object_ref.in_(family_refs), *[
        func.substr(E.object_ref, 1, len(f) + 1) == f + "/" for f in family_refs])


def audit_actions() -> list[str]:
    """Every action the audit log holds, for the search's choice."""
    return list(db.session.scalars(
        select(m.AuditEvent.action).distinct().order_by(m.AuditEvent.action)))


@transactional
def add_team(name: str) -> m.Team:
    name = " ".join(name.split())
    if not name:
        raise AdminRefused("Enter the team's name")
    if db.session.scalar(select(m.Team).where(func.lower(m.Team.name) == name.lower())):
        raise AdminRefused(f"There is already a team called {name}")
    team = m.Team(name=name)
    db.session.add(team)
    record_event("create", "team", name)
    return team


@transactional
def set_team_wards(team_name: str, wards: list[str], by: m.User | None = None) -> m.Team:
    """The wards a team covers, replacing the ones it had; a ward another team covers is
    refused (a ward has one team, whose lead allocates its families nobody holds)."""
    team = db.session.scalar(select(m.Team).where(func.lower(m.Team.name) == team_name.lower()))
    if team is None:
        raise AdminRefused(f"No team called {team_name}")
    wanted = sorted({" ".join(w.split()) for w in wards if w.strip()})
    taken = db.session.execute(select(m.TeamWard.ward, m.Team.name).join(m.Team).where(
        m.TeamWard.ward.in_(wanted), m.TeamWard.team_id != team.id)).all()
    if taken:
        raise AdminRefused("; ".join(f"{ward} is covered by {name}" for ward, name in taken))
    before = [w.ward for w in team.wards]
    team.wards = [w for w in team.wards if w.ward in wanted]
    team.wards += [m.TeamWard(ward=w) for w in wanted if w not in before]
    record_event("edit", "team", team.name, user=by, detail=f"wards: {', '.join(wanted) or 'none'}"[:300])
    return team


def active_families(user: m.User, lock: bool = False) -> list[m.Family]:
    """The families the user works with now; with `lock`, their rows locked for update (on
    PostgreSQL) in the caller's transaction."""
    query = allocated_to(user).order_by(None).order_by(m.Family.id)  # lock in one order
    if lock:
        query = query.with_for_update(of=m.Family)
    return sorted(db.session.scalars(query), key=lambda family: family.family_ref)


@transactional
def change_user(user: m.User, role: str, team_id: int | None, by: m.User) -> None:
    """Change a user's role and team; a worker with families keeps them until they move."""
    if role not in m.STAFF_ROLES:
        raise AdminRefused("Select a role")
    if user.role == "partner":
        raise AdminRefused(f"{user.name} is a partner practitioner of {user.organisation.name}: "
                           "their role is not changed here")
    families = active_families(user)
    if families and (role != "worker" or team_id != user.team_id):
        raise AdminRefused(f"{user.name} works with {len(families)} active "
                           f"{'family' if len(families) == 1 else 'families'}: transfer them "
                           "before changing their role or team")
    if user.id == by.id and role != user.role:
        raise AdminRefused("You cannot change your own role")
    before = {"role": user.role, "team": user.team.name if user.team else None}
    user.role, user.team_id = role, team_id
    db.session.flush()
    db.session.refresh(user)
    after = {"role": user.role, "team": user.team.name if user.team else None}
    if before != after:
        record_event("update", "user", user.email,
                     detail="; ".join(f"{k}: {before[k]} -> {after[k]}" for k in after
                                      if before[k] != after[k]))


@transactional
def deactivate(user: m.User, by: m.User, to: m.User | None = None, reason: str = "",
               today: dt.date | None = None) -> int:
    """Transfer the user's active families to `to` (each with its history) and deactivate
    them, in one locked transaction: all of it or, refused, nothing. Refused when families
    would be left with no worker, the receiving worker would pass a caseload limit, or any
    one family cannot move. Returns how many families moved."""
    today = today or clock.today()
    if user.id == by.id:
        raise AdminRefused("You cannot deactivate yourself")
    user_id, to_id, by_id = user.id, to.id if to else None, by.id
    # No allocation to either worker can interleave; then the families are locked as read.
    lock_rows((m.User, [user_id] + ([to_id] if to_id else [])))
    try:
        return _transfer_and_deactivate(user_id, to_id, by_id, reason.strip(), today)
    except caseloads.AllocationRefused as refused:
        raise AdminRefused(str(refused)) from None


def _transfer_and_deactivate(user_id: int, to_id: int | None, by_id: int, reason: str,
                             today: dt.date) -> int:
    user, by = db.session.get(m.User, user_id), db.session.get(m.User, by_id)
    to = db.session.get(m.User, to_id) if to_id else None
    families = active_families(user, lock=True)
    leads = episodes.leads_held(user.id)
    if families or leads:
        if to is None or to.id == user.id or to.role != "worker" or not to.active:
            raise AdminRefused(
                "Select the FIP worker who takes over their families" if families else
                f"{user.name} is the lead person for {leads} "
                f"{'family' if leads == 1 else 'families'}: select the FIP worker who takes "
                "over as lead")
        if not reason:
            raise AdminRefused("Enter the reason for the transfer")
        load = caseloads.caseload(to, today)  # counted under the lock, in this transaction
        if load.active + len(families) > load.max_active:
            raise AdminRefused(
                f"{to.name} has {load.active} active "
                f"{'family' if load.active == 1 else 'families'}: taking {len(families)} more "
                f"passes the limit of {load.max_active}. Choose another worker, or ask a team "
                "lead to share them out first")
        why = f"{user.name} left: {reason}"
        for family in families:
            # The rolling limit is overridden with the reason; the active limit is checked above.
            caseloads.place(family.id, to.id, today, by, override_reason=why, reason=why)
    handed = episodes.hand_on_leads(user.id, to.id) if leads else 0
    user.active = False
    moved = [f"{len(families)} {'family' if len(families) == 1 else 'families'} transferred"
             ] if families else []
    if handed:
        moved.append(f"{handed} lead person {'role' if handed == 1 else 'roles'} handed on")
    record_event("deactivate", "user", user.email, user=by,
                 detail=f"{' and '.join(moved)} to {to.email}" if moved else None)
    return len(families)


@transactional
def add_user(email: str, name: str, role: str, password: str, team_id: int | None,
             by: m.User) -> m.User:
    """Create a user who can sign in, in the team chosen (if any)."""
    team = db.session.get(m.Team, team_id) if team_id else None
    try:
        return create_user(email, name, role, password, team=team.name if team else None, by=by)
    except UserRefused as refused:
        raise AdminRefused(str(refused)) from None


@transactional
def reactivate(user: m.User, by: m.User) -> None:
    user.active = True
    record_event("activate", "user", user.email, user=by)


@transactional
def reset_password(user: m.User, password: str, by: m.User) -> None:
    """Give the user a new password (which ends their sessions); refused if it is weak."""
    if problem := password_problem(password):
        raise AdminRefused(problem)
    user.password_hash = hash_password(password)
    record_event("reset_password", "user", user.email, user=by)
