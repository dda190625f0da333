"""Who may see and change what: the one access module, below every area.

Every view, service, export and report asks here which families a user may see
(`visible_families`, `get_family_or_404`), which families a worker holds now
(`allocated_to`, `open_allocation`, `allocation_history`) and whether a user may write (`can_write`,
`can_edit_contact`, `may_allocate`, `allocatable_family_or_404`, `may_load_outcome_plan`,
`may_approve_discretion` ...). What each role may do page
by page is the permission table in casework/permissions.py, imported here so that one module
answers the whole question. tests/test_access.py fails if another module builds these
queries itself.
"""

from __future__ import annotations

from flask import abort
from sqlalchemy import Select, false, func, or_, select, true

from . import models as m
from .extensions import db
from .permissions import PERMISSIONS, can

__all__ = ["PERMISSIONS", "SEES_ALL", "allocatable_family_or_404", "allocated_to",
           "allocation_history", "can",
           "can_edit_contact", "can_write", "covered_wards", "get_family_or_404", "may_allocate",
           "may_allocate_family", "unheld_allocatable",
           "may_approve_discretion", "may_load_outcome_plan", "may_record_first_contact",
           "may_see_meeting", "may_send_referral", "open_allocation", "receives_referral",
           "referral_or_404", "referrals_sent_or_received", "team_workers", "visible_families",
           "visible_referrals", "wards"]

SEES_ALL = frozenset({"manager", "auditor"})


# Seeing ------------------------------------------------------------------------------------


def visible_families(user: m.User, *, selecting: bool = False) -> Select:
    """Return a SELECT of the families `user` may see; every family query starts here.

    Managers and auditors see every family; a FIP worker the families allocated to them
    and those they lead to sign-up (selected with them as lead person); a team lead the
    families allocated to, or led by, their team's workers and those their team selected;
    anyone else none. `selecting` (choosing families at a selection meeting) also shows a
    team lead every family with no worker, the screening list's families.
    """
    query = select(m.Family)
    if user.role in SEES_ALL:
        return query
    open_allocations = select(m.Allocation.family_id).where(m.Allocation.end_on.is_(None))
    selected = select(m.SelectionDecision.family_id).where(
        m.SelectionDecision.decision == "selected")
    if user.role == "worker":
        return query.where(or_(
            m.Family.id.in_(open_allocations.where(m.Allocation.worker_id == user.id)),
            m.Family.id.in_(selected.where(m.SelectionDecision.lead_worker_id == user.id)),
        ))
    if user.role == "team_lead" and user.team_id is not None:
        team = select(m.User.id).where(m.User.team_id == user.team_id)
        seen = [
            m.Family.id.in_(open_allocations.where(m.Allocation.worker_id.in_(team))),
            m.Family.id.in_(selected.where(or_(m.SelectionDecision.lead_worker_id.in_(team),
                                               m.SelectionDecision.decided_by_id.in_(team)))),
        ]
        if selecting:
            seen.append(m.Family.id.not_in(open_allocations))
        return query.where(or_(*seen))
    return query.where(false())


def wards(user: m.User) -> list[str]:
    """The wards of the families the user may see, in order."""
    if user.role not in SEES_ALL:
        sub = visible_families(user).subquery()
        return [w for w in db.session.scalars(select(sub.c.ward).distinct().order_by(sub.c.ward))
                if w]
    # Every family: step through the ward index one ward at a time (a couple of dozen
    # lookups) instead of reading all the families to find the distinct wards.
    found: list[str] = []
    while (ward := db.session.scalar(select(func.min(m.Family.ward)).where(
            m.Family.ward > found[-1] if found else m.Family.ward.is_not(None)))) is not None:
        found.append(ward)
    return [w for w in found if w]


def team_workers(lead: m.User) -> list[m.User]:
    """The active FIP workers a user may choose from: a team lead's team, or every one."""
    query = select(m.User).where(m.User.role == "worker", m.User.active.is_(True))
    if lead.role == "team_lead":
        query = query.where(m.User.team_id == lead.team_id)
    return list(db.session.scalars(query.order_by(m.User.name)))


def get_family_or_404(user: m.User, family_ref: str, *, selecting: bool = False) -> m.Family:
    """Return the family if it exists and the user may see it; 404 otherwise, alike."""
    family = db.session.scalar(
        visible_families(user, selecting=selecting).where(m.Family.family_ref == family_ref))
    if family is None:
        abort(404)
    return family


def open_allocation(family: m.Family) -> m.Allocation | None:
    """The family's allocation to a worker now, if it has one."""
    return db.session.scalar(select(m.Allocation).where(
        m.Allocation.family_id == family.id, m.Allocation.end_on.is_(None)))


def allocated_to(worker: m.User) -> Select:
    """A SELECT of the families allocated to `worker` now, joined to their open allocation
    (add `m.Allocation` to the columns to have it), in reference order."""
    return (select(m.Family).join(m.Allocation, m.Allocation.family_id == m.Family.id)
            .where(m.Allocation.worker_id == worker.id, m.Allocation.end_on.is_(None))
            .order_by(m.Family.family_ref))


def allocation_history(family: m.Family) -> list[m.Allocation]:
    return list(
        db.session.scalars(
            select(m.Allocation).where(m.Allocation.family_id == family.id)
            .order_by(m.Allocation.start_on.desc(), m.Allocation.id.desc())
        )
    )


def may_see_meeting(user: m.User, meeting: m.SelectionMeeting) -> bool:
    """Managers see every meeting; a team lead those their team recorded."""
    if user.role in SEES_ALL:
        return True
    return (user.role == "team_lead" and user.team_id is not None
            and meeting.recorded_by.team_id == user.team_id)


# Writing -----------------------------------------------------------------------------------


def can_write(user: m.User, family: m.Family) -> bool:
    """Only the allocated worker, or a team lead of that worker's team, writes the case file."""
    current = open_allocation(family)
    if current is None:
        return False
    if user.role == "worker":
        return current.worker_id == user.id
    if user.role == "team_lead":
        return user.team_id is not None and current.worker.team_id == user.team_id
    return False


def can_edit_contact(user: m.User, contact: m.Contact) -> bool:
    """The contact's author, or a team lead of the author's team, changes a saved contact."""
    if user.id == contact.author_id:
        return True
    return (user.role == "team_lead" and user.team_id is not None
            and contact.author.team_id == user.team_id)


def may_record_first_contact(user: m.User, selection: m.SelectionDecision) -> bool:
    """The lead worker records first contact; for a partner agency's contact, and for any
    family they may see, a team lead or programme manager records it on their behalf."""
    if user.role == "worker":
        return selection.lead_worker_id == user.id
    return can(user, "run_selection")


def may_allocate(user: m.User) -> bool:
    """Team leads and programme managers allocate, transfer and close families."""
    return can(user, "allocate")


def may_load_outcome_plan(user: m.User) -> bool:
    """Active administrators load a council's Outcome Plan (the page and `casework plans load`)."""
    return user.active and can(user, "manage_outcome_plans")


def may_approve_discretion(user: m.User) -> bool:
    """An active programme manager approves equivalent progress on a need (phase2's local
    discretion)."""
    return user.active and can(user, "approve_discretion")


def covered_wards(team_id: int | None) -> Select:
    """A SELECT of the wards a team covers."""
    return select(m.TeamWard.ward).where(m.TeamWard.team_id == team_id)


def may_allocate_family(user: m.User, family: m.Family) -> bool:
    """Whether `user` may allocate, transfer or close this family; the one rule, for the
    pages, the services and the command line.

    A programme manager any family. A team lead a family in their scope (held or led by
    their team's workers, or selected by their team: `visible_families`), and a family
    nobody holds in a ward their team covers (`TeamWard`). Nobody else: a family nobody
    holds in a ward no team covers waits for a manager.
    """
    if not may_allocate(user):
        return False
    if user.role in SEES_ALL:
        return True
    if user.role != "team_lead" or user.team_id is None:
        return False
    mine = visible_families(user).where(m.Family.id == family.id).with_only_columns(m.Family.id)
    if db.session.scalar(mine) is not None:
        return True
    return (open_allocation(family) is None and family.ward is not None
            and db.session.scalar(covered_wards(user.team_id).where(
                m.TeamWard.ward == family.ward)) is not None)


def unheld_allocatable(user: m.User):
    """A WHERE clause on `m.Family` for the families nobody holds that `user` may allocate
    (the same rule as `may_allocate_family`), for the lists of families waiting for a worker."""
    if user.role in SEES_ALL and may_allocate(user):
        return true()
    if user.role != "team_lead" or user.team_id is None or not may_allocate(user):
        return false()
    return or_(m.Family.ward.in_(covered_wards(user.team_id)),
               m.Family.id.in_(visible_families(user).with_only_columns(m.Family.id)))


def allocatable_family_or_404(user: m.User, family_ref: str) -> m.Family:
    """A family the allocator may allocate (`may_allocate_family`); 404 otherwise, alike
    whether it does not exist or is another team's."""
    family = db.session.scalar(select(m.Family).where(m.Family.family_ref == family_ref))
    if family is None or not may_allocate_family(user, family):
        abort(404)
    return family


# Referrals between agencies (issue 31) --------------------------------------------------------


def _receives(user: m.User):
    """SQL: the referrals sent to `user`'s organisation, to nobody named or to them."""
    R = m.Referral
    return (R.organisation_id == user.organisation_id,
            or_(R.practitioner_id.is_(None), R.practitioner_id == user.id))


def visible_referrals(user: m.User) -> Select:
    """A SELECT of the referrals between agencies `user` may see: a partner practitioner
    those sent to their organisation (to nobody named, or to them), whatever the family;
    staff those of the families they may see."""
    R = m.Referral
    query = select(R).where(R.organisation_id.is_not(None))
    if user.role == "partner":
        if user.organisation_id is None:
            return query.where(false())
        return query.where(*_receives(user))
    return query.where(R.family_id.in_(visible_families(user).with_only_columns(m.Family.id)))


def referral_or_404(user: m.User, referral_id: int) -> m.Referral:
    """A referral `user` may see, or 404, alike for one that does not exist and one of
    another family or organisation."""
    referral = db.session.scalar(visible_referrals(user).where(m.Referral.id == referral_id))
    if referral is None:
        abort(404)
    return referral


def receives_referral(user: m.User, referral: m.Referral) -> bool:
    """Is `user` a practitioner of the organisation the referral was sent to (and the one
    named, if any): who accepts or declines it and records its outcome."""
    return (user.role == "partner" and referral.organisation_id is not None
            and user.organisation_id == referral.organisation_id
            and referral.practitioner_id in (None, user.id))


def may_send_referral(user: m.User, family: m.Family) -> bool:
    """Who sends a referral from the family's page: those who write its plan."""
    return user.role != "partner" and can_write(user, family)


def referrals_sent_or_received(user: m.User) -> Select:
    """A SELECT of the referrals `user` sent (staff) or that were sent to them (a partner):
    their task list's."""
    R = m.Referral
    query = select(R).where(R.organisation_id.is_not(None))
    if user.role == "partner":
        return query.where(*_receives(user)) if user.organisation_id else query.where(false())
    return query.where(R.created_by_id == user.id, R.family_id.in_(
        visible_families(user).with_only_columns(m.Family.id)))
