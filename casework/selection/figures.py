"""The figures of the way in: one definition each, shared by the dashboard, the Board report
and the selection pages. Each gives, for the families of a SELECT (already scoped), the date
each family reached the stage on or before `as_of`, so the funnel, the months and the wards
count the same thing."""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy import Select, func, select

from .. import models as m
from ..extensions import db
from .service import agreed_numbers, programme_year_span, programme_years


def _first_dates(column, family_column, families: Select, as_of: dt.date, *where) -> dict[int, dt.date]:
    ids = select(families.subquery().c.id)
    return dict(db.session.execute(
        select(family_column, func.min(column))
        .where(family_column.in_(ids), column <= as_of, *where)
        .group_by(family_column)).all())


def discussed_on(families: Select, as_of: dt.date) -> dict[int, dt.date]:
    """Discussed: the date of the first selection meeting, on or before as_of, that decided
    on the family (whatever it decided)."""
    D, M = m.SelectionDecision, m.SelectionMeeting
    ids = select(families.subquery().c.id)
    return dict(db.session.execute(
        select(D.family_id, func.min(M.held_on)).join(M, D.meeting_id == M.id)
        .where(D.family_id.in_(ids), M.held_on <= as_of).group_by(D.family_id)).all())


def selected_on(families: Select, as_of: dt.date) -> dict[int, dt.date]:
    """Selected: the date of the first meeting, on or before as_of, that selected the family."""
    D, M = m.SelectionDecision, m.SelectionMeeting
    ids = select(families.subquery().c.id)
    return dict(db.session.execute(
        select(D.family_id, func.min(M.held_on)).join(M, D.meeting_id == M.id)
        .where(D.family_id.in_(ids), M.held_on <= as_of, D.decision == "selected")
        .group_by(D.family_id)).all())


def contacted_on(families: Select, as_of: dt.date) -> dict[int, dt.date]:
    """Contacted: the date of the lead person's first contact attempt, on or before as_of."""
    return _first_dates(m.ContactAttempt.attempted_on, m.ContactAttempt.family_id, families, as_of)


def allocated_on(families: Select, as_of: dt.date) -> dict[int, dt.date]:
    """Allocated: the date the family was first allocated to a FIP worker, on or before as_of."""
    return _first_dates(m.Allocation.start_on, m.Allocation.family_id, families, as_of)


@dataclasses.dataclass(frozen=True)
class AgreedProgress:
    """Families attached in a programme year against the number agreed for it."""

    year: int
    label: str
    agreed: int | None
    attached: int

    @property
    def percent(self) -> int | None:
        return round(100 * self.attached / self.agreed) if self.agreed else None


def attached_in_programme_year(families: Select, year: int, as_of: dt.date) -> int:
    """Attached in the year: families whose attachment date falls in programme year `year`,
    on or before as_of (signed up here or attached by import or edit alike)."""
    first, after = programme_year_span(year)
    ids = select(families.subquery().c.id)
    F = m.Family
    query = select(func.count(F.id)).where(F.id.in_(ids), F.attached_on >= first,
                                          F.attached_on <= as_of)
    if after is not None:
        query = query.where(F.attached_on < after)
    return db.session.scalar(query) or 0


def agreed_progress(families: Select, as_of: dt.date) -> list[AgreedProgress]:
    """Every programme year begun by as_of, latest first, against its agreed number."""
    agreed = agreed_numbers()
    rows = []
    for year, label in programme_years():
        if programme_year_span(year)[0] > as_of:
            continue
        rows.append(AgreedProgress(year, label, agreed.get(year),
                                   attached_in_programme_year(families, year, as_of)))
    return rows[::-1]
