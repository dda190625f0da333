"""Finding families and reading a family's records."""

from __future__ import annotations

import dataclasses

from flask import abort
from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import selectinload

from .. import cache_version, search
from .. import models as m
from ..access import get_family_or_404, partner_search_terms, visible_families
from ..evaluation.figures import stored_family_total
from ..evidence.kinds import EVIDENCE, Kind
from ..extensions import db
from ..lookups import one_of
from ..paging import Page, page_within
from ..rules import FamilyData, PersonData

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
    reference holds q, else all of them in family_ref order. Without q, the count is taken
    once until the data changes (casework.cache_version), not on every page. A search takes the
    first SEARCH_COUNT_LIMIT matches the index finds (and says "more than" when there are
    more), ranked: the reference itself, then family names that begin with q, then by
    reference."""
    query = visible_families(user)
    q = q.strip()
    if q and user.role == "partner":
        return _partner_search(user, q, page, per_page)
    if ward:
        query = query.where(m.Family.ward == ward)
    ids = query.with_only_columns(m.Family.id)
    more = False
    if q:
        # The first SEARCH_COUNT_LIMIT + 1 matches the user may see, from the index alone;
        # then the page of them, ranked.
        hits = [i for (i,) in db.session.execute(
            search.matching(q, within=ids, limit=SEARCH_COUNT_LIMIT + 1))]
        more = len(hits) > SEARCH_COUNT_LIMIT
        total = min(len(hits), SEARCH_COUNT_LIMIT)
        ids = (select(m.Family.id).where(one_of(m.Family.id, hits[:SEARCH_COUNT_LIMIT]))
               .order_by(*_rank(q), m.Family.family_ref))
    else:
        ids = ids.order_by(m.Family.family_ref)
        # Counted once a refresh (the stored figures), else once until the data changes.
        total = stored_family_total(user, ward or None)
        if total is None:
            sql = str(query.compile(dialect=db.session.get_bind().dialect,
                                    compile_kwargs={"literal_binds": True}))
            total = cache_version.cached(("families.count", sql), lambda: db.session.scalar(
                select(func.count()).select_from(query.subquery())) or 0)
    page = page_within(page, total, per_page)
    start = (page - 1) * per_page  # never past the families counted
    chosen = list(db.session.scalars(ids.limit(max(0, min(per_page, total - start)))
                                     .offset(start)))
    found = {f.id: f for f in db.session.scalars(select(m.Family).where(m.Family.id.in_(chosen)))}
    return FamilyPage([found[i] for i in chosen if i in found], page, per_page, total, more)


def _partner_search(user: m.User, q: str, page: int, per_page: int) -> FamilyPage:
    """A partner practitioner's search: only among the families whose team they are in (a
    handful), matching only what their sharing level shows of each (access.partner_search_terms:
    reference, name, the household's names they see), never the search index, whose documents
    hold postcodes and members' references. A family outside their team is never counted."""
    families = list(db.session.scalars(visible_families(user)))
    people: dict[int, list[m.Person]] = {f.id: [] for f in families}
    if families:
        for p in db.session.scalars(select(m.Person).where(
                one_of(m.Person.family_id, list(people))).order_by(m.Person.id)):
            people[p.family_id].append(p)
    words = q.lower()
    found = [f for f in families
             if any(words in t for t in partner_search_terms(user, f, people[f.id]))]
    low = words.replace("%", "")
    found.sort(key=lambda f: (f.family_ref.lower() != low,
                              not f.family_name.lower().startswith(low), f.family_ref))
    page = page_within(page, len(found), per_page)
    start = (page - 1) * per_page
    return FamilyPage(found[start:start + per_page], page, per_page, len(found), False)


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
    # Each kind of evidence shown on the family page (casework/evidence/kinds.py), by name,
    # in the page's order.
    evidence: dict[str, list]
    history: list[m.RecordHistory]


def _whose(kind: Kind, family: m.Family, person_ids: list[int]):
    """The WHERE clause of the kind's records of the family: its people's, and (a kind whose
    records may be the family's own) those recorded for no one person."""
    M = kind.model
    if kind.owner == "person":
        return M.person_id.in_(person_ids)
    return or_(M.person_id.in_(person_ids), (M.family_id == family.id) & M.person_id.is_(None))


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
        evidence={
            kind.name: list(db.session.scalars(
                select(kind.model).where(_whose(kind, family, ids))
                .order_by(*kind.shown.order(kind.model))))
            for kind in EVIDENCE if kind.shown.cells or not kind.rules.later
        },
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
    them without reading them again: each record as its kind's declaration makes it (the
    same `make` as evaluation.service.load_families; a test compares the two)."""
    family = records.family
    refs = {p.id: p.person_ref for p in records.people}
    return FamilyData(
        family.family_ref, family.identified_on, family.attached_on, bool(family.local_discretion),
        tuple(PersonData(p.person_ref, p.date_of_birth) for p in records.people
              if p.date_of_birth is not None),
        **{kind.rules.field: tuple(
            kind.rules.make([getattr(r, c) for c in kind.rules.columns],
                           refs.get(r.person_id))
            for r in records.evidence[kind.name])
           for kind in EVIDENCE if not kind.rules.later},
    )


def recent_viewers(family: m.Family, limit: int = 20) -> list[m.AuditEvent]:
    """Who viewed the family's records, latest first (for managers)."""
    return list(db.session.scalars(
        select(m.AuditEvent).where(
            m.AuditEvent.object_ref == family.family_ref,
            m.AuditEvent.object_type.in_(("family", "timeline", "plan")),
            m.AuditEvent.action == "view",
        ).order_by(m.AuditEvent.at.desc(), m.AuditEvent.id.desc()).limit(limit)
        .options(selectinload(m.AuditEvent.user).selectinload(m.User.organisation))
    ))


def person_or_404(user: m.User, person_ref: str) -> tuple[m.Person, m.Family]:
    """The person and their family, if `user` may see the family; 404 otherwise, alike."""
    person = db.session.scalar(select(m.Person).where(m.Person.person_ref == person_ref))
    if person is None:
        abort(404)
    return person, get_family_or_404(user, person.family.family_ref)
