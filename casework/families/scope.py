"""Record-level scoping: the one place that decides which families a user may see."""

from __future__ import annotations

from flask import abort
from sqlalchemy import Select, false, or_, select

from .. import models as m
from ..extensions import db

SEES_ALL = frozenset({"manager", "auditor"})


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


def get_family_or_404(user: m.User, family_ref: str) -> m.Family:
    """Return the family if it exists and the user may see it; 404 otherwise, alike."""
    family = db.session.scalar(
        visible_families(user).where(m.Family.family_ref == family_ref)
    )
    if family is None:
        abort(404)
    return family
