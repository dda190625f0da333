"""Finding families and reading a family's records."""

from __future__ import annotations

import dataclasses

from flask import abort
from sqlalchemy import case, func, or_, select

from .. import models as m
from .. import search, versions
from ..access import get_family_or_404, visible_families
from ..extensions import db
from ..paging import Page, page_within
from ..rules import AsbData, FamilyData, OffenceData, PersonData, TermData, WorkData
from ..rules.dates import parse_academic_year

SEARCH_COUNT_LIMIT = 1_000  # a search matching more is counted as "more than" this


@dataclasses.dataclass
class FamilyPage(Page):
    """A page of the families list; `more` when a search matched more than `total` (the
    families beyond SEARCH_COUNT_LIMIT were not counted, nor can be paged to)."""

    more: bool = False


def search_families(
    user: m.User, q: str = "", ward: str = "", page: int = 1, per_page: int = 25
) -> FamilyPage:
    """The families the user may see whose name, postcode, reference or a member's name or
    reference holds q: the best matches first when searched (the reference itself, then a
    family name that begins with q), else in family_ref order. Without q, the count is taken
    once until the data changes (casework.versions), not on every page; a search is counted
    up to SEARCH_COUNT_LIMIT and said to be "more than" that beyond it."""
    query = visible_families(user)
    q = q.strip()
    if ward:
        query = query.where(m.Family.ward == ward)
    ids = query.with_only_columns(m.Family.id)
    more = False
    if q:
        ids = ids.where(m.Family.id.in_(search.matching(q))).order_by(*_rank(q),
                                                                     m.Family.family_ref)
        counted = db.session.scalar(select(func.count()).select_from(
            ids.limit(SEARCH_COUNT_LIMIT + 1).subquery())) or 0
        more = counted > SEARCH_COUNT_LIMIT
        total = min(counted, SEARCH_COUNT_LIMIT)
    else:
        ids = ids.order_by(m.Family.family_ref)
        sql = str(query.compile(dialect=db.session.get_bind().dialect,
                                compile_kwargs={"literal_binds": True}))
        total = versions.cached(("families.count", sql), lambda: db.session.scalar(
            select(func.count()).select_from(query.subquery())) or 0)
    page = page_within(page, total, per_page)
    start = (page - 1) * per_page  # never past the families counted
    chosen = list(db.session.scalars(ids.limit(max(0, min(per_page, total - start)))
                                     .offset(start)))
    found = {f.id: f for f in db.session.scalars(select(m.Family).where(m.Family.id.in_(chosen)))}
    return FamilyPage([found[i] for i in chosen if i in found], page, per_page, total, more)


def _rank(q: str):
    """ORDER BY terms: a family whose reference is q first, then those whose family name
    begins with q (any case)."""
    F, low = m.Family, q.lower().replace("%", "")
    return (case((func.lower(F.family_ref) == low, 0), else_=1),
            case((func.lower(F.family_name).like(low + "%"), 0), else_=1))


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


def family_data(records: FamilyRecords) -> FamilyData:
    """The rules' view of the records just read for the family page, so the page evaluates
    them without reading them again. Must read as evaluation.service.load_families does
    (a test compares the two)."""
    family = records.family
    refs = {p.id: p.person_ref for p in records.people}
    return FamilyData(
        family.family_ref, family.identified_on, family.attached_on, bool(family.local_discretion),
        tuple(PersonData(p.person_ref, p.date_of_birth) for p in records.people
              if p.date_of_birth is not None),
        tuple(TermData(refs[t.person_id], parse_academic_year(t.academic_year), t.term,
                       t.sessions_possible, t.sessions_unauthorised, t.fixed_exclusions,
                       bool(t.permanent_exclusion), bool(t.alternative_provision),
                       bool(t.on_roll)) for t in records.terms),
        tuple(AsbData(a.asb_ref, a.date, a.kind, refs.get(a.person_id)) for a in records.asb),
        tuple(OffenceData(o.offence_ref, refs[o.person_id], o.offence_date, bool(o.proven))
              for o in records.offences),
        tuple(WorkData(w.work_ref, refs[w.person_id], w.kind, w.start_date, w.end_date, w.benefit)
              for w in records.work),
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


def person_or_404(user: m.User, person_ref: str) -> tuple[m.Person, m.Family]:
    """The person and their family, if `user` may see the family; 404 otherwise, alike."""
    person = db.session.scalar(select(m.Person).where(m.Person.person_ref == person_ref))
    if person is None:
        abort(404)
    return person, get_family_or_404(user, person.family.family_ref)
