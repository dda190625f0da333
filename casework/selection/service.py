"""From identified to signed up: selection meetings with partners, the agreed number of
families a programme year, the lead person's first contact and the family's sign-up."""

from __future__ import annotations

import dataclasses
import datetime as dt
from array import array
from collections import defaultdict

from flask import abort
from sqlalchemy import Select, and_, case, func, or_, select
from sqlalchemy.orm import aliased, contains_eager

from .. import cache_version, clock, episodes
from .. import models as m
from ..access import (
    can,
    may_record_first_contact,
    may_see_meeting,
    team_workers,
    unheld_allocatable,
    visible_families,
)
from ..audit import record_event
from ..evaluation import figures as fig
from ..evaluation.service import current_ruleset
from ..extensions import db
from ..history import write_history
from ..lookups import one_of
from ..paging import Page, page_within
from ..rules.dates import govdate, months_before
from ..transaction import transactional

# Partner agencies and the evidence each sends: a family's number of agencies involved is
# how many of them hold records about it.
EVIDENCE_AGENCIES = {
    "schools": "Schools",
    "police": "Police",
    "youth_offending": "Youth offending service",
    "jobcentre": "Jobcentre Plus",
}
MEETING_AGENCIES = {
    **EVIDENCE_AGENCIES,
    "council": "Council (FIP)",
    "housing": "Housing",
    "health": "Health",
    "social_care": "Children's social care",
}
CRITERIA = {
    "crime_asb": "Crime or ASB",
    "education": "Education",
    "work": "Out of work",
    "local_discretion": "Local discretion",
}


class SelectionRefused(Exception):
    """A rule said no; the message says which and why."""


# The agreed number ---------------------------------------------------------------------------


def programme_years() -> list[tuple[int, str]]:
    """(number, label) of each programme year of the ruleset: (1, '2012/13 (year 1)')."""
    starts = current_ruleset().programme_year_starts
    return [(n, f"{d.year}/{(d.year + 1) % 100:02d} (year {n})")
            for n, d in enumerate(starts, start=1)]


def programme_year_span(number: int) -> tuple[dt.date, dt.date | None]:
    """The first day of programme year `number` and the first day after it (None: open)."""
    starts = current_ruleset().programme_year_starts
    return starts[number - 1], starts[number] if number < len(starts) else None


def agreed_numbers() -> dict[int, int]:
    return dict(db.session.execute(
        select(m.AgreedNumber.programme_year, m.AgreedNumber.families)).all())


def agreed_number_changes(limit: int = 20) -> list[m.RecordHistory]:
    """The latest changes to the agreed numbers, the latest first."""
    H = m.RecordHistory
    return list(db.session.scalars(select(H).where(H.record_type == "agreed_number")
                                   .order_by(H.changed_at.desc(), H.id.desc()).limit(limit)))


@transactional
def set_agreed_numbers(values: dict[int, int | None], by: m.User) -> int:
    """Save the programme manager's agreed numbers {year: families}; blank leaves a year
    as it is. Every change is kept in history. Return how many changed."""
    current = {a.programme_year: a for a in db.session.scalars(select(m.AgreedNumber))}
    known = dict(programme_years())
    by_id = by.id
    changed = 0
    for year, families in values.items():
        if year not in known:
            raise SelectionRefused(f"There is no programme year {year}")
        if families is None:
            continue
        if families < 0:
            raise SelectionRefused("The agreed number cannot be negative")
        row = current.get(year)
        if row is not None and row.families == families:
            continue
        before = row.families if row is not None else None
        if row is None:
            row = m.AgreedNumber(programme_year=year)
            db.session.add(row)
        row.families, row.set_at, row.set_by_id = families, m.utcnow(), by_id
        write_history("agreed_number", f"programme year {year}", {"families": before},
                      {"families": families}, by, "agreed numbers page")
        record_event("update", "agreed_number", f"programme year {year}", user=by,
                     detail=f"{before if before is not None else 'none'} to {families}")
        changed += 1
    return changed


# Decisions -----------------------------------------------------------------------------------


def latest_decisions(families: Select | None = None) -> dict[int, m.SelectionDecision]:
    """Each family's latest decision (the last recorded), for the families of `families`
    or every family."""
    D = m.SelectionDecision
    latest = select(func.max(D.id)).group_by(D.family_id)
    if families is not None:
        # Looked up a decision at a time (the family's key), not by building the whole set of
        # families first: decisions are few beside the families not signed up.
        latest = latest.where(families.with_only_columns(m.Family.id)
                              .where(m.Family.id == D.family_id).exists())
    return {d.family_id: d for d in db.session.scalars(select(D).where(D.id.in_(latest)))}


def _one(family: m.Family) -> Select:
    return select(m.Family).where(m.Family.id == family.id)


def awaiting_discussion(decision: m.SelectionDecision | None, on: dt.date) -> bool:
    """Whether a family with this latest decision is on the list for a meeting on `on`: never
    discussed, or 'not now' with its review date on or before `on`."""
    if decision is None:
        return True
    return decision.decision == "not_now" and decision.review_on <= on


@dataclasses.dataclass(frozen=True)
class Candidate:
    family: m.Family
    criteria: list[str]  # keys of CRITERIA met
    agencies: list[str]  # keys of EVIDENCE_AGENCIES with records about the family
    recent_incidents: int  # ASB, offences and domestic abuse in the recent window
    last: m.SelectionDecision | None  # a 'not now' whose review date has come


# The agencies' records of one family (the candidate row's), looked up through the indexes
# on family_id and person_id: correlated, so only the families listed are looked at.
_DATED = ((m.AsbRecord, m.AsbRecord.date), (m.Offence, m.Offence.offence_date),
          (m.DomesticAbuseIncident, m.DomesticAbuseIncident.date))


def _members(model, family_id, *where, column=None):
    """SELECT of the records of the family's members (or their count, column=func.count())."""
    P = m.Person
    return (select(column if column is not None else model.id).select_from(P)
            .join(model, model.person_id == P.id).where(P.family_id == family_id, *where))


def _own(model, family_id, *where, column=None):
    """SELECT of the family's own records, of no member."""
    return (select(column if column is not None else model.id).select_from(model)
            .where(model.family_id == family_id, model.person_id.is_(None), *where))


def _held_by(agency: str, family_id):
    """Whether the agency holds records about the family (EVIDENCE_AGENCIES)."""
    if agency == "schools":
        return _members(m.SchoolTerm, family_id).exists()
    if agency == "youth_offending":
        return _members(m.Offence, family_id).exists()
    if agency == "jobcentre":
        return _members(m.WorkSpell, family_id).exists()
    A, D = m.AsbRecord, m.DomesticAbuseIncident  # police: ASB or domestic abuse
    return or_(_members(A, family_id).exists(), _own(A, family_id).exists(),
               _members(D, family_id).exists(), _own(D, family_id).exists())


def _incidents(family_id, since: dt.date, on: dt.date):
    """How many of the family's ASB, offences and domestic abuse are dated in (since, on]."""
    count = func.count()
    return sum([_members(model, family_id, date > since, date <= on, column=count)
                .scalar_subquery() for model, date in _DATED]
               + [_own(model, family_id, model.date > since, model.date <= on, column=count)
                  .scalar_subquery() for model in (m.AsbRecord, m.DomesticAbuseIncident)])


def candidates(user: m.User, on: dt.date, *, criteria: tuple[str, ...] = (), ward: str = "",
               min_agencies: int = 0, min_incidents: int = 0) -> list[Candidate]:
    """The screening list for a meeting on `on`: eligible families, not attached, awaiting
    discussion, that `user` may select from; filtered by the criteria they all meet, ward,
    the number of agencies involved and incidents in the recent window. Eligibility and the
    criteria are the stored evaluation's (casework.evaluation.figures, at its date), as on
    the screening page; the rest is counted from the records, in one query."""
    rules = current_ruleset()
    query = visible_families(user, selecting=True).where(*episodes.not_signed_up())
    sc = fig.scope(user, ward, families=query, as_of=on)
    S, f = sc.s, sc.f.c
    D = m.SelectionDecision
    latest = select(func.max(D.id)).group_by(D.family_id)
    not_waiting = select(D.family_id).where(
        D.id.in_(latest), ~and_(D.decision == "not_now", D.review_on <= on))
    held = {key: case((_held_by(key, f.id), 1), else_=0) for key in EVIDENCE_AGENCIES}
    involved = sum(held.values())
    recent = _incidents(f.id, months_before(on, rules.recent_months), on)
    family = aliased(m.Family, sc.f)
    rows = db.session.execute(
        sc.select(family, *[getattr(S, key) for key in CRITERIA], *held.values(), recent)
        .where(S.eligible.is_(True), f.id.not_in(not_waiting),
               *[getattr(S, key).is_(True) for key in criteria if key in CRITERIA],
               involved >= min_agencies, recent >= min_incidents)
        .order_by(f.family_ref)).all()
    decisions = latest_decisions(query)
    width = len(CRITERIA)
    return [Candidate(row[0], [k for k, met in zip(CRITERIA, row[1 : 1 + width]) if met],
                      [k for k, has in zip(EVIDENCE_AGENCIES, row[1 + width : -1]) if has],
                      row[-1], decisions.get(row[0].id))
            for row in rows]


@transactional
def record_meeting(by: m.User, held_on: dt.date, agencies: list[str]) -> m.SelectionMeeting:
    if not can(by, "run_selection"):
        raise SelectionRefused("Only team leads and programme managers record selection meetings")
    if held_on > clock.today():
        raise SelectionRefused("The meeting date must be today or in the past")
    if not agencies:
        raise SelectionRefused("Select the agencies present at the meeting")
    meeting = m.SelectionMeeting(held_on=held_on, agencies=list(agencies), recorded_by_id=by.id)
    db.session.add(meeting)
    db.session.flush()
    record_event("create", "selection_meeting", str(meeting.id), user=by,
                 detail=f"held on {held_on}; present: {', '.join(agencies)}")
    return meeting


def leads(user: m.User) -> list[m.User]:
    """The FIP workers `user` may name as a family's lead person."""
    return team_workers(user)


@transactional
def decide(meeting: m.SelectionMeeting, family: m.Family, by: m.User, decision: str, *,
           review_on: dt.date | None = None, reason: str | None = None,
           lead_worker: m.User | None = None, lead_contact: str | None = None,
           lead_agency: str | None = None) -> m.SelectionDecision:
    """Record the meeting's decision on a family awaiting discussion."""
    reason = (reason or "").strip() or None
    lead_contact, lead_agency = (lead_contact or "").strip() or None, (lead_agency or "").strip() or None
    if decision not in m.SELECTION_DECISIONS:
        raise SelectionRefused("Select selected, not now or not suitable")
    current = episodes.open_episode_of(family.id)
    if current is not None:
        raise SelectionRefused(f"{family.family_ref} is already signed up, since "
                               f"{govdate(current.signed_up_on)}")
    if not awaiting_discussion(latest_decision(family), meeting.held_on):
        raise SelectionRefused(f"{family.family_ref} is not waiting to be discussed")
    if decision == "not_now":
        if review_on is None:
            raise SelectionRefused("Enter the date to discuss the family again")
        if review_on <= meeting.held_on:
            raise SelectionRefused("The review date must be after the meeting")
    else:
        review_on = None
    if decision == "not_suitable" and not reason:
        raise SelectionRefused("Enter the reason the family is not suitable")
    if decision == "selected":
        if lead_worker is not None and lead_contact:
            raise SelectionRefused("Name one lead person: a FIP worker or a partner contact")
        if lead_worker is None and not (lead_contact and lead_agency):
            raise SelectionRefused("Name the lead person: a FIP worker, or a partner contact "
                                   "and their agency")
        if lead_worker is not None and lead_worker.id not in {w.id for w in leads(by)}:
            raise SelectionRefused(f"{lead_worker.name} is not a FIP worker you can name as lead")
    else:
        lead_worker, lead_contact, lead_agency = None, None, None
    row = m.SelectionDecision(
        meeting_id=meeting.id, family_id=family.id, decision=decision, review_on=review_on,
        reason=reason, lead_worker_id=lead_worker.id if lead_worker else None,
        lead_contact=lead_contact, lead_agency=lead_agency, decided_by_id=by.id)
    db.session.add(row)
    db.session.flush()
    detail = f"{m.SELECTION_DECISIONS[decision]} at the meeting of {meeting.held_on}"
    if review_on:
        detail += f", review on {review_on}"
    if row.lead_name:
        detail += f", lead {row.lead_name}"
    if reason:
        detail += f": {reason[:200]}"
    record_event("decide", "family", family.family_ref, user=by, detail=detail)
    return row


def meetings(user: m.User) -> list[m.SelectionMeeting]:
    """The meetings `user` may see, the latest first."""
    return [meeting for meeting in db.session.scalars(select(m.SelectionMeeting).order_by(
        m.SelectionMeeting.held_on.desc(), m.SelectionMeeting.id.desc()))
        if may_see_meeting(user, meeting)]


def decision_counts(meeting_ids: list[int]) -> dict[int, dict[str, int]]:
    """{meeting id: {decision: how many}} in one grouped query (a meeting may decide on
    thousands of families: the selection page does not load them to count them)."""
    D = m.SelectionDecision
    counts: dict[int, dict[str, int]] = {i: defaultdict(int) for i in meeting_ids}
    if meeting_ids:
        for meeting_id, decision, count in db.session.execute(
            select(D.meeting_id, D.decision, func.count()).where(D.meeting_id.in_(meeting_ids))
            .group_by(D.meeting_id, D.decision)
        ):
            counts[meeting_id][decision] = count
    return counts


def meeting_or_404(user: m.User, meeting_id: int) -> m.SelectionMeeting:
    """The meeting, if `user` may see it; 404 otherwise, alike."""
    meeting = db.session.get(m.SelectionMeeting, meeting_id)
    if meeting is None or not may_see_meeting(user, meeting):
        abort(404)
    return meeting


# First contact and sign-up -------------------------------------------------------------------


def latest_decision(family: m.Family) -> m.SelectionDecision | None:
    return latest_decisions(_one(family)).get(family.id)


def current_selection(family: m.Family) -> m.SelectionDecision | None:
    """The family's latest decision if it is 'selected'."""
    latest = latest_decision(family)
    return latest if latest is not None and latest.decision == "selected" else None


def sign_up_of(family: m.Family) -> m.SignUp | None:
    """The family's latest answer (a family that comes back later answers again)."""
    return db.session.scalar(select(m.SignUp).where(m.SignUp.family_id == family.id)
                             .order_by(m.SignUp.id.desc()).limit(1))


def _answered(family: m.Family, selection: m.SelectionDecision) -> bool:
    answer = sign_up_of(family)
    return answer is not None and answer.recorded_at >= selection.decided_at


def attempts(family: m.Family) -> list[m.ContactAttempt]:
    return list(db.session.scalars(select(m.ContactAttempt).where(
        m.ContactAttempt.family_id == family.id).order_by(
        m.ContactAttempt.attempted_on.desc(), m.ContactAttempt.id.desc())))


def _check_open(family: m.Family, by: m.User, on: dt.date, what: str) -> m.SelectionDecision:
    selection = current_selection(family)
    if selection is None:
        raise SelectionRefused(f"{family.family_ref} has not been selected at a meeting")
    if not may_record_first_contact(by, selection):
        raise SelectionRefused(f"Only the lead person, {selection.lead_name}, or a team lead "
                               "records first contact with this family")
    if _answered(family, selection):
        raise SelectionRefused(f"{family.family_ref} has already given its answer")
    if on > clock.today():
        raise SelectionRefused(f"The date of the {what} must be today or in the past")
    if on < selection.meeting.held_on:
        raise SelectionRefused(f"The date of the {what} cannot be before the family was "
                               f"selected on {govdate(selection.meeting.held_on)}")
    return selection


@transactional
def log_attempt(family: m.Family, by: m.User, attempted_on: dt.date, method: str,
                outcome: str, notes: str | None = None) -> m.ContactAttempt:
    if method not in m.CONTACT_METHODS or outcome not in m.CONTACT_OUTCOMES:
        raise SelectionRefused("Select how the contact was tried and what happened")
    _check_open(family, by, attempted_on, "contact attempt")
    attempt = m.ContactAttempt(family_id=family.id, attempted_on=attempted_on, method=method,
                               outcome=outcome, notes=(notes or "").strip() or None,
                               recorded_by_id=by.id)
    db.session.add(attempt)
    db.session.flush()
    record_event("contact_attempt", "family", family.family_ref, user=by,
                 detail=f"{attempted_on}: {m.CONTACT_METHODS[method]}, "
                        f"{m.CONTACT_OUTCOMES[outcome].lower()}")
    return attempt


@transactional
def sign_up(family: m.Family, by: m.User, signed_on: dt.date, sharing_agreed: bool,
            consent_given: bool, consent_by: str) -> m.SignUp:
    """Record that the family signed up, with its consent, and attach it on that date
    (the change kept in the family's history, source: sign-up)."""
    consent_by = (consent_by or "").strip()
    _check_open(family, by, signed_on, "sign-up")
    if not sharing_agreed or not consent_given:
        raise SelectionRefused("A family signs up only with the information-sharing agreement "
                               "signed and consent given")
    if not consent_by:
        raise SelectionRefused("Enter who gave consent")
    members = {" ".join(p.full_name.split()).casefold(): p.full_name for p in family.people}
    if " ".join(consent_by.split()).casefold() not in members:
        raise SelectionRefused(
            f"Consent is given by a member of the family: {consent_by} is not one of "
            + (", ".join(sorted(members.values())) if members else "its members (it has none yet)"))
    consent_by = members[" ".join(consent_by.split()).casefold()]
    row = m.SignUp(family_id=family.id, outcome="signed_up", decided_on=signed_on,
                   sharing_agreed=True, consent_given=True, consent_by=consent_by,
                   recorded_by_id=by.id)
    db.session.add(row)
    record_event("sign_up", "family", family.family_ref, user=by,
                 detail=f"signed up on {signed_on}; information-sharing agreement and consent "
                        f"given by {consent_by[:150]}")
    db.session.flush()
    selection = current_selection(family)
    try:
        episodes.sign_up(family, signed_on, by, "sign-up", sign_up=row,
                         lead_id=selection.lead_worker_id if selection else None)
    except episodes.EpisodeRefused as refused:
        raise SelectionRefused(str(refused)) from None
    return row


@transactional
def decline(family: m.Family, by: m.User, declined_on: dt.date, reason: str) -> m.SignUp:
    reason = (reason or "").strip()
    _check_open(family, by, declined_on, "answer")
    if not reason:
        raise SelectionRefused("Enter the reason the family declined")
    row = m.SignUp(family_id=family.id, outcome="declined", decided_on=declined_on,
                   reason=reason, recorded_by_id=by.id)
    db.session.add(row)
    record_event("decline", "family", family.family_ref, user=by,
                 detail=f"declined on {declined_on}: {reason[:300]}")
    return row


def first_contacts_led(user: m.User) -> list[tuple[m.SelectionDecision, int, dt.date | None]]:
    """The selected families not yet answered whose first contact `user` leads, with their
    attempts (as awaiting_page)."""
    return _with_attempts([d for d in db.session.scalars(_awaiting(user))
                           if d.lead_worker_id == user.id])


def awaiting_page(user: m.User, page: int | None, per_page: int | None = None) -> Page:
    """One page of the selected families `user` may see that have not answered yet, in
    reference order, each with its contact attempts: (decision, attempts, last attempted
    on). At national scale hundreds wait for an answer, too many for one page."""
    per_page = per_page or WAITING_PER_PAGE
    D = m.SelectionDecision
    order = list(db.session.scalars(_awaiting(user).with_only_columns(D.id)))
    page = page_within(page, len(order), per_page)
    shown = order[(page - 1) * per_page : page * per_page]
    decisions = list(db.session.scalars(_awaiting(user).where(one_of(D.id, shown)))) \
        if shown else []
    return Page(_with_attempts(decisions), page, per_page, len(order))


def _awaiting(user: m.User) -> Select:
    """SELECT of the selection decisions awaiting an answer that `user` may see, with their
    families, in the list's order (the family's reference). Driven from the decisions
    (thousands), not the families (120,000 at national scale, which the planner scanned
    whole): each family's latest decision, "selected", with no open episode (not signed up,
    episodes.not_signed_up), no answer recorded since, and the family visible to `user`."""
    D, E, F, S = m.SelectionDecision, m.Episode, m.Family, m.SignUp
    later = aliased(D)
    return (select(D).join(D.family).options(contains_eager(D.family))
            .where(D.decision == "selected",
                   ~select(later.id).where(later.family_id == D.family_id, later.id > D.id)
                   .exists(),
                   ~select(E.id).where(E.family_id == D.family_id, E.closed_on.is_(None))
                   .exists(),
                   ~select(S.id).where(S.family_id == D.family_id,
                                       S.recorded_at >= D.decided_at).exists(),
                   visible_families(user).with_only_columns(F.id).where(F.id == D.family_id)
                   .correlate_except(F).exists())
            .order_by(F.family_ref, D.id))


def _with_attempts(decisions: list[m.SelectionDecision]
                   ) -> list[tuple[m.SelectionDecision, int, dt.date | None]]:
    """(decision, contact attempts, the latest attempt's date) of each decision."""
    A = m.ContactAttempt
    tried: dict[int, list[dt.date]] = defaultdict(list)
    if decisions:
        for fid, on in db.session.execute(select(A.family_id, A.attempted_on).where(
                one_of(A.family_id, [d.family_id for d in decisions]))):
            tried[fid].append(on)
    return [(d, len(tried[d.family_id]), max(tried[d.family_id], default=None))
            for d in decisions]


WAITING_PER_PAGE = 50  # families waiting for a FIP worker, a page of the selection page and team view


def _waiting_query(user: m.User) -> Select:
    return (select(m.Family).where(unheld_allocatable(user)).add_columns(m.Episode)
            .join(m.Episode, m.Episode.family_id == m.Family.id)
            .where(*episodes.waiting_for_worker()))


def _waiting_order(user: m.User) -> array:
    """The ids of the families in `user`'s waiting_for_allocation list, in its order:
    ordered by the database once per data change in each process (casework.cache_version),
    so that the count and a page of the list (tens of thousands of families at national
    scale) are a length and a slice, not a COUNT and a sort of every waiting family a
    request. Kept in the small cache: one list a team, and one for the managers."""
    query = _waiting_query(user).with_only_columns(m.Family.id).order_by(
        m.Episode.signed_up_on, m.Family.family_ref)
    key = ("selection.waiting", str(query.compile(
        dialect=db.session.get_bind().dialect, compile_kwargs={"literal_binds": True})))
    return cache_version.cached(key, lambda: array("q", db.session.scalars(query)))


def _waiting_rows(user: m.User, ids: list[int]) -> list[tuple[m.Family, m.Episode]]:
    """(family, open episode) of those of `ids` still waiting, in waiting_for_allocation's
    order (the list's conditions asked again of these few families only)."""
    if not ids:
        return []
    query = (_waiting_query(user).where(one_of(m.Family.id, ids))
             .order_by(m.Episode.signed_up_on, m.Family.family_ref))
    return [tuple(r) for r in db.session.execute(query).all()]


def waiting_for_allocation(user: m.User, limit: int | None = None
                           ) -> list[tuple[m.Family, m.Episode]]:
    """The signed-up families `user` may allocate that have no FIP worker (an open episode,
    no open allocation), those signed up longest ago first: the one waiting list of the team
    view, the team lead's home and the selection page (those two a page at a time,
    `waiting_page`)."""
    if limit is not None:
        return _waiting_rows(user, list(_waiting_order(user)[:limit]))
    query = _waiting_query(user).order_by(m.Episode.signed_up_on, m.Family.family_ref)
    return [tuple(r) for r in db.session.execute(query).all()]


def waiting_count(user: m.User) -> int:
    """How many families wait in `user`'s waiting_for_allocation list."""
    return len(_waiting_order(user))


def waiting_page(user: m.User, page: int | None,
                 per_page: int | None = None) -> Page:
    """One page of waiting_for_allocation (the longest waiting first): at national scale
    17,800 families wait, too many to list on one page."""
    per_page = per_page or WAITING_PER_PAGE
    order = _waiting_order(user)
    page = page_within(page, len(order), per_page)
    start = (page - 1) * per_page
    return Page(_waiting_rows(user, list(order[start:start + per_page])), page, per_page,
                len(order))


# The family's timeline -----------------------------------------------------------------------


def timeline_events(family: m.Family) -> list[tuple[dt.date, str, str]]:
    """(date, kind, text) of the family's selection decisions, contact attempts and answer."""
    events = []
    for d in db.session.scalars(select(m.SelectionDecision).where(
            m.SelectionDecision.family_id == family.id).order_by(m.SelectionDecision.id)):
        text = f"{m.SELECTION_DECISIONS[d.decision]} at the selection meeting"
        if d.decision == "selected":
            text += f"; lead person {d.lead_name}"
        elif d.decision == "not_now":
            text += f"; to discuss again from {govdate(d.review_on)}"
        if d.reason:
            text += f": {d.reason}"
        events.append((d.meeting.held_on, "Selection", text + f" (recorded by {d.decided_by.name})"))
    for a in attempts(family):
        events.append((a.attempted_on, "First contact",
                       f"{m.CONTACT_METHODS[a.method]}: {m.CONTACT_OUTCOMES[a.outcome].lower()}"
                       f" (recorded by {a.recorded_by.name})"))
    answer = sign_up_of(family)
    if answer is not None and answer.outcome == "signed_up":
        events.append((answer.decided_on, "Sign-up",
                       f"Signed up: information-sharing agreement and consent given by "
                       f"{answer.consent_by} (recorded by {answer.recorded_by.name})"))
    elif answer is not None:
        events.append((answer.decided_on, "Sign-up",
                       f"Declined: {answer.reason} (recorded by {answer.recorded_by.name})"))
    return events
