"""Finding families and reading a family's records."""

from __future__ import annotations

import dataclasses
import math

from sqlalchemy import func, or_, select

from .. import models as m
from ..extensions import db
from .scope import visible_families


@dataclasses.dataclass
class Page:
    items: list
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))


def search_families(
    user: m.User, q: str = "", ward: str = "", page: int = 1, per_page: int = 25
) -> Page:
    query = visible_families(user)
    q = q.strip()
    if q:
        like = f"%{q.lower()}%"
        people = select(m.Person.family_id).where(
            or_(
                func.lower(m.Person.given_name + " " + m.Person.family_name).like(like),
                func.lower(m.Person.person_ref) == q.lower(),
            )
        )
        query = query.where(
            or_(
                func.lower(m.Family.family_ref) == q.lower(),
                func.lower(m.Family.family_name).like(like),
                func.replace(func.lower(m.Family.postcode), " ", "").like(
                    f"%{q.lower().replace(' ', '')}%"
                ),
                m.Family.id.in_(people),
            )
        )
    if ward:
        query = query.where(m.Family.ward == ward)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    page = max(1, page)
    items = db.session.scalars(
        query.order_by(m.Family.family_ref).limit(per_page).offset((page - 1) * per_page)
    ).all()
    return Page(list(items), page, per_page, total or 0)


def wards(user: m.User) -> list[str]:
    sub = visible_families(user).subquery()
    return [
        w
        for w in db.session.scalars(select(sub.c.ward).distinct().order_by(sub.c.ward))
        if w
    ]


@dataclasses.dataclass
class FamilyRecords:
    family: m.Family
    people: list[m.Person]
    terms: list[m.SchoolTerm]
    asb: list[m.AsbRecord]
    offences: list[m.Offence]
    work: list[m.WorkSpell]
    domestic_abuse: list[m.DomesticAbuseIncident]
    history: list[m.RecordHistory]


def family_records(family: m.Family) -> FamilyRecords:
    people = list(
        db.session.scalars(
            select(m.Person).where(m.Person.family_id == family.id).order_by(m.Person.date_of_birth)
        )
    )
    ids = [p.id for p in people]
    return FamilyRecords(
        family=family,
        people=people,
        terms=list(
            db.session.scalars(
                select(m.SchoolTerm)
                .where(m.SchoolTerm.person_id.in_(ids))
                .order_by(m.SchoolTerm.person_id, m.SchoolTerm.academic_year.desc(),
                          m.SchoolTerm.id)
            )
        ),
        asb=list(
            db.session.scalars(
                select(m.AsbRecord)
                .where(or_(m.AsbRecord.person_id.in_(ids),
                           (m.AsbRecord.family_id == family.id) & m.AsbRecord.person_id.is_(None)))
                .order_by(m.AsbRecord.date.desc())
            )
        ),
        offences=list(
            db.session.scalars(
                select(m.Offence).where(m.Offence.person_id.in_(ids))
                .order_by(m.Offence.offence_date.desc())
            )
        ),
        work=list(
            db.session.scalars(
                select(m.WorkSpell).where(m.WorkSpell.person_id.in_(ids))
                .order_by(m.WorkSpell.start_date.desc())
            )
        ),
        domestic_abuse=list(
            db.session.scalars(
                select(m.DomesticAbuseIncident)
                .where(or_(m.DomesticAbuseIncident.person_id.in_(ids),
                           (m.DomesticAbuseIncident.family_id == family.id)
                           & m.DomesticAbuseIncident.person_id.is_(None)))
                .order_by(m.DomesticAbuseIncident.date.desc())
            )
        ),
        history=list(
            db.session.scalars(
                select(m.RecordHistory)
                .where(m.RecordHistory.family_ref == family.family_ref)
                .order_by(m.RecordHistory.changed_at.desc(), m.RecordHistory.id.desc())
                .limit(50)
            )
        ),
    )


def recent_viewers(family: m.Family, limit: int = 20) -> list[m.AuditEvent]:
    """Who viewed the family's records, latest first (for managers)."""
    return list(db.session.scalars(
        select(m.AuditEvent).where(
            m.AuditEvent.object_ref == family.family_ref,
            m.AuditEvent.object_type.in_(("family", "timeline", "plan")),
            m.AuditEvent.action == "view",
        ).order_by(m.AuditEvent.at.desc(), m.AuditEvent.id.desc()).limit(limit)
    ))
