"""The administrator's use cases: teams, a user's role and team, and deactivating a user whose
families go to another worker first."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from .. import models as m
from ..access import allocated_to, open_allocation
from ..audit import record_event
from ..caseloads import service as caseloads
from ..extensions import db


class AdminRefused(Exception):
    pass


def teams() -> list[tuple[m.Team, int]]:
    """Every team with how many active users it has, by name."""
    counts = dict(db.session.execute(
        select(m.User.team_id, func.count(m.User.id)).where(m.User.active.is_(True))
        .group_by(m.User.team_id)).all())
    return [(t, counts.get(t.id, 0)) for t in db.session.scalars(select(m.Team).order_by(m.Team.name))]


def add_team(name: str) -> m.Team:
    name = " ".join(name.split())
    if not name:
        raise AdminRefused("Enter the team's name")
    if db.session.scalar(select(m.Team).where(func.lower(m.Team.name) == name.lower())):
        raise AdminRefused(f"There is already a team called {name}")
    team = m.Team(name=name)
    db.session.add(team)
    record_event("create", "team", name)
    db.session.commit()
    return team


def active_families(user: m.User) -> list[m.Family]:
    return list(db.session.scalars(allocated_to(user)))


def change_user(user: m.User, role: str, team_id: int | None, by: m.User) -> None:
    """Change a user's role and team; a worker with families keeps them until they move."""
    if role not in m.ROLES:
        raise AdminRefused("Select a role")
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
    db.session.commit()


def deactivate(user: m.User, by: m.User, to: m.User | None = None, reason: str = "",
               today: dt.date | None = None) -> int:
    """Transfer the user's active families to `to` (each with its history), then deactivate
    them. Refused, changing nothing, when families would be left with no worker or the
    receiving worker would pass a caseload limit. Returns how many families moved."""
    today = today or dt.date.today()
    if user.id == by.id:
        raise AdminRefused("You cannot deactivate yourself")
    families = active_families(user)
    if families:
        if to is None or to.id == user.id or to.role != "worker" or not to.active:
            raise AdminRefused("Select the FIP worker who takes over their families")
        if not reason.strip():
            raise AdminRefused("Enter the reason for the transfer")
        load = caseloads.caseload(to, today)
        if load.active + len(families) > load.max_active:
            raise AdminRefused(
                f"{to.name} has {load.active} active families: taking {len(families)} more "
                f"passes the limit of {load.max_active}. Choose another worker, or ask a team "
                "lead to share them out first")
        for family in families:
            previous = open_allocation(family)
            moved = caseloads.allocate(family, to, today, None,
                                       reason=f"{user.name} left: {reason.strip()}",
                                       override_reason=f"{user.name} left: {reason.strip()}")
            # An administrator is not an allocator; the history still says who moved it.
            moved.allocated_by_id = by.id
            previous.ended_by_id = by.id
            db.session.commit()
    user.active = False
    record_event("deactivate", "user", user.email,
                 detail=f"{len(families)} families transferred to {to.email}" if families else None)
    db.session.commit()
    return len(families)
