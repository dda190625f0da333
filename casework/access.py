"""Who may see and change what: the one access module, below every area.

Every view, service, export and report asks here which families a user may see
(`visible_families`, `get_family_or_404`), which families a worker holds now
(`allocated_to`, `open_allocation`, `allocation_history`) and whether a user may write (`can_write`,
`can_edit_contact`, `may_allocate`, `allocatable_family_or_404`, `may_load_outcome_plan`,
`may_approve_discretion` ...), and what a partner practitioner sees of a family and when
(`partner_sections`, the Team Around the Family's membership, consent and lead professional).
What each role may do page
by page is the permission table in casework/permissions.py, imported here so that one module
answers the whole question. tests/test_access.py fails if another module builds these
queries itself.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from flask import abort
from sqlalchemy import Integer, Select, and_, case, cast, extract, false, func, or_, select, true

from . import clock
from . import models as m
from .extensions import db
from .permissions import PERMISSIONS, can
from .rules.dates import age_on, govdate, term_starts
from .rules.ruleset import RULESETS
from .sharing import CHILD_UNDER, LEAD_SECTIONS, household_fields, level_sections, section_members

__all__ = ["PERMISSIONS", "SEES_ALL", "allocatable_family_or_404", "allocated_to",
           "allocation_history", "can",
           "can_edit_contact", "can_write", "covered_wards", "get_family_or_404", "may_allocate",
           "may_allocate_family", "unheld_allocatable",
           "may_approve_discretion", "may_load_outcome_plan", "may_record_first_contact",
           "may_see_meeting", "may_send_referral", "open_allocation", "receives_referral",
           "referral_or_404", "referrals_sent_or_received", "team_workers", "visible_families",
           "visible_referrals", "wards",
           "ALL_SECTIONS", "current_lead", "lead_history", "led_by", "may_manage_taf",
           "lead_professional", "partner_sections", "section_records", "require_section", "shows", "taf_action_or_404",
           "taf_actions_owned", "taf_meeting_or_404", "taf_members_now", "consent_standing",
           "own_organisation_actions", "sees_meeting", "HouseholdMember", "household",
           "partner_search_terms", "STORED_ALL", "stored_scope", "stored_scopes"]

ALL_SECTIONS = LEAD_SECTIONS

SEES_ALL = frozenset({"manager", "auditor"})


# Seeing ------------------------------------------------------------------------------------


def visible_families(user: m.User, *, selecting: bool = False,
                     on: dt.date | None = None) -> Select:
    """Return a SELECT of the families `user` may see; every family query starts here.

    Managers and auditors see every family; a FIP worker the families allocated to them
    and those they lead to sign-up (selected with them as lead person); a team lead the
    families allocated to, or led by, their team's workers and those their team selected;
    anyone else none. `selecting` (choosing families at a selection meeting) also shows a
    team lead every family with no worker, the screening list's families.

    A partner practitioner sees a family only while, on `on` (today), they are a current
    member of its Team Around the Family AND its consent to share is recorded and not
    withdrawn AND that consent's episode is open: each request asks again, so a withdrawal,
    a closure or the end of their membership takes effect on the very next one.
    """
    query = select(m.Family)
    if user.role in SEES_ALL:
        return query
    if user.role == "partner":
        return query.where(m.Family.id.in_(_partner_family_ids(user.id, on or clock.today())))
    open_allocations = select(m.Allocation.family_id).where(m.Allocation.end_on.is_(None))
    selected = select(m.SelectionDecision.family_id).where(
        m.SelectionDecision.decision == "selected")
    if user.role == "worker":
        return query.where(or_(
            m.Family.id.in_(open_allocations.where(m.Allocation.worker_id == user.id)),
            m.Family.id.in_(selected.where(m.SelectionDecision.lead_worker_id == user.id)),
        ))
    if user.role == "team_lead" and user.team_id is not None:
        seen = _team_sees(user.team_id)
        if selecting:
            seen.append(m.Family.id.not_in(open_allocations))
        return query.where(or_(*seen))
    return query.where(false())


def _team_sees(team_id: int) -> list:
    """The conditions on a family that make it one a team lead of `team_id` sees: allocated
    to (an open allocation), or selected with the lead or decider, one of the team's workers."""
    open_allocations = select(m.Allocation.family_id).where(m.Allocation.end_on.is_(None))
    selected = select(m.SelectionDecision.family_id).where(
        m.SelectionDecision.decision == "selected")
    team = select(m.User.id).where(m.User.team_id == team_id)
    return [
        m.Family.id.in_(open_allocations.where(m.Allocation.worker_id.in_(team))),
        m.Family.id.in_(selected.where(or_(m.SelectionDecision.lead_worker_id.in_(team),
                                           m.SelectionDecision.decided_by_id.in_(team)))),
    ]


STORED_ALL = "all"  # the stored figures' scope of every family


def stored_scope(user: m.User) -> str | None:
    """The stored figures' scope that holds exactly the families `user` sees
    (visible_families): "all" for those who see every family, "team:N" for a team lead of
    team N; None for anyone else (a worker's or partner's few families are counted live)."""
    if user is None:
        return None
    if user.role in SEES_ALL:
        return STORED_ALL
    if user.role == "team_lead" and user.team_id is not None:
        return f"team:{user.team_id}"
    return None


def stored_scopes() -> list[tuple[str, Select]]:
    """Every scope the stored figures are kept for, with the SELECT of its families: every
    family, and each team's (as its team lead sees them, visible_families)."""
    scopes = [(STORED_ALL, select(m.Family))]
    for team_id in db.session.scalars(select(m.Team.id).order_by(m.Team.id)):
        scopes.append((f"team:{team_id}", select(m.Family).where(or_(*_team_sees(team_id)))))
    return scopes


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


def sees_family(user: m.User, family: m.Family) -> bool:
    """Whether `user` may see `family` now (a team lead stops seeing a family their team
    no longer works with once its case is closed)."""
    return db.session.scalar(
        visible_families(user).where(m.Family.id == family.id).with_only_columns(m.Family.id)
    ) is not None


def merged_family(user: m.User, family_ref: str) -> m.Family | None:
    """The family a merged reference now belongs to (its alias, matched exactly), if the
    user may see it; None otherwise, alike whether the reference was never a family's or
    the family kept is not theirs to see."""
    return db.session.scalar(
        visible_families(user).join(m.FamilyAlias, m.FamilyAlias.family_id == m.Family.id)
        .where(m.FamilyAlias.alias_ref == family_ref))


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


# Partners at the table: the Team Around the Family ---------------------------------------


def _current(model, day: dt.date):
    """WHERE: a dated row (from_on, to_on inclusive) stands on `day`."""
    return (model.from_on <= day) & or_(model.to_on.is_(None), model.to_on >= day)


def _consented(day: dt.date) -> Select:
    """The ids of the families whose consent to share with their Team Around the Family
    stands on `day`: given on or before it, not withdrawn on or before it, for the family's
    open episode (casework/episodes.py open_episode_of: closed_on IS NULL)."""
    return (select(m.SharingConsent.family_id)
            .join(m.Episode, m.Episode.id == m.SharingConsent.episode_id)
            .where(m.Episode.closed_on.is_(None), m.Episode.family_id == m.SharingConsent.family_id,
                   m.SharingConsent.given_on <= day,
                   or_(m.SharingConsent.withdrawn_on.is_(None),
                       m.SharingConsent.withdrawn_on > day)))


def _partner_family_ids(user_id: int, day: dt.date) -> Select:
    member = select(m.TafMember.family_id).where(m.TafMember.user_id == user_id,
                                                 _current(m.TafMember, day))
    return member.where(m.TafMember.family_id.in_(_consented(day)))


def consent_standing(family: m.Family, on: dt.date | None = None) -> m.SharingConsent | None:
    """The family's consent to share with its team that stands on `on` (today), if any."""
    day = on or clock.today()
    return db.session.scalar(select(m.SharingConsent).where(
        m.SharingConsent.family_id == family.id,
        m.SharingConsent.id.in_(_consented(day).with_only_columns(m.SharingConsent.id)))
        .order_by(m.SharingConsent.given_on.desc()))


def taf_members_now(family: m.Family, on: dt.date | None = None) -> list[m.TafMember]:
    """The family's Team Around the Family on `on` (today), by name."""
    day = on or clock.today()
    return list(db.session.scalars(
        select(m.TafMember).join(m.User, m.User.id == m.TafMember.user_id)
        .where(m.TafMember.family_id == family.id, _current(m.TafMember, day))
        .order_by(m.User.name, m.TafMember.id)))


def current_lead(family: m.Family, on: dt.date | None = None) -> m.LeadProfessional | None:
    """The family's lead professional's period standing on `on` (today), if one does."""
    day = on or clock.today()
    return db.session.scalar(select(m.LeadProfessional).where(
        m.LeadProfessional.family_id == family.id, _current(m.LeadProfessional, day))
        .order_by(m.LeadProfessional.from_on.desc()))


@dataclasses.dataclass(frozen=True)
class Lead:
    """The family's lead professional on a day, as every page names them (`lead_professional`)."""
    user: m.User
    from_on: dt.date | None
    to_on: dt.date | None
    named: bool  # a lead professional period (the team page); False: its episode's worker

    @property
    def described(self) -> str:
        """"Sam Patel (FIP worker), the family's worker" (no period named: its episode's
        lead) or "Dana Price (Fant Primary School) from 8 October 2026": the same words on
        every page."""
        if not self.named:
            return f"{self.user.described}, the family's worker"
        return (f"{self.user.described} from {govdate(self.from_on)}"
                + (f" to {govdate(self.to_on)}" if self.to_on else ""))


def lead_professional(family: m.Family, on: dt.date | None = None) -> Lead | None:
    """The family's lead professional on `on` (today): the one source every page shows (the
    family page and its episodes, the plan, the Team Around the Family page, a partner's
    page). The lead professional period named on the team page for that day; when none is,
    the lead of the family's episode that day (its FIP worker once allocated, or the lead
    person named for first contact until then); None when neither."""
    day = on or clock.today()
    period = current_lead(family, day)
    if period is not None:
        return Lead(period.user, period.from_on, period.to_on, True)
    E = m.Episode
    episode = db.session.scalar(select(E).where(
        E.family_id == family.id, E.signed_up_on <= day,
        or_(E.closed_on.is_(None), E.closed_on >= day))
        .order_by(E.signed_up_on.desc(), E.id.desc()).limit(1))
    if episode is not None and episode.lead is not None:
        return Lead(episode.lead, None, None, False)
    return None


def lead_history(family: m.Family) -> list[m.LeadProfessional]:
    """Every lead professional period of the family, the latest first."""
    return list(db.session.scalars(select(m.LeadProfessional).where(
        m.LeadProfessional.family_id == family.id)
        .order_by(m.LeadProfessional.from_on.desc(), m.LeadProfessional.id.desc())))


def led_by(user: m.User, on: dt.date | None = None) -> list[tuple[m.Family, m.LeadProfessional]]:
    """The families `user` leads on `on` (today) that they may see, by reference."""
    day = on or clock.today()
    return list(db.session.execute(
        visible_families(user, on=day).add_columns(m.LeadProfessional)
        .join(m.LeadProfessional, m.LeadProfessional.family_id == m.Family.id)
        .where(m.LeadProfessional.user_id == user.id, _current(m.LeadProfessional, day))
        .order_by(m.Family.family_ref)).all())


def partner_sections(user: m.User, family: m.Family, on: dt.date | None = None) -> frozenset[str]:
    """The sections of the family's record `user` may see (casework/sharing.py): staff who
    may see the family, all; a partner practitioner, their organisation's sharing level's,
    or all while they are the family's lead professional. Asked of a family the user may
    see (get_family_or_404 first)."""
    if user.role != "partner":
        return ALL_SECTIONS
    lead = current_lead(family, on)
    if lead is not None and lead.user_id == user.id:
        return ALL_SECTIONS
    return level_sections(user.organisation.sharing_level)


@dataclasses.dataclass(frozen=True)
class HouseholdMember:
    """One member of a family's household as `user` may see them: None where their sharing
    level does not show the name, date of birth or age (sharing.HOUSEHOLD_FIELDS)."""
    person_id: int
    child: bool
    name: str | None
    date_of_birth: dt.date | None
    age: int | None
    unborn: bool


def household(user: m.User, family: m.Family, people: list[m.Person],
              on: dt.date | None = None) -> list[HouseholdMember]:
    """The members of the family's household (`people`, the family's) `user` may see, with
    only what their sharing level shows of each: staff and the lead professional everything;
    a partner practitioner their level's fields of a child or an adult on `on` (today), and
    nobody whose name it does not show."""
    day = on or clock.today()
    sections = partner_sections(user, family, day)
    if "household" not in sections:
        return []
    level = None if "case_file" in sections else user.organisation.sharing_level
    shown = []
    for p in people:
        age = age_on(p.date_of_birth, day) if p.date_of_birth is not None else None
        fields = household_fields(level, age is None or age < CHILD_UNDER)
        if "name" not in fields:
            continue
        shown.append(HouseholdMember(
            person_id=p.id, child=age is None or age < CHILD_UNDER, name=p.full_name,
            date_of_birth=p.date_of_birth if "date_of_birth" in fields else None,
            age=age if "age" in fields else None, unborn=p.date_of_birth is None))
    return shown


# Whose records a section shows: each record judged at its own dates -----------------------


def _ymd(day):
    """SQL: a date column as the number YYYYMMDD. Between two such numbers the whole years
    are (later - earlier) // 10000, age_on's rule (a 29 February birthday counts on 1 March),
    so an age is compared without date arithmetic, the same on SQLite and PostgreSQL."""
    return (extract("year", day) * 10000 + extract("month", day) * 100
            + extract("day", day))


def _day_number(day: dt.date) -> int:
    return day.year * 10000 + day.month * 100 + day.day


def _term_day(T, days: dict[str, tuple[int, int, int]]):
    """SQL: a school term's day of the calendar `days` (rules.dates.term_starts, or the
    ends) as YYYYMMDD, from its academic year ("2012/13") and term."""
    first_year = cast(func.substr(T.academic_year, 1, 4), Integer)
    return case(*[(T.term == name, (first_year + years_after) * 10000 + month * 100 + day)
                  for name, (month, day, years_after) in days.items()], else_=None)


def _record_days(model, on: dt.date):
    """SQL: the first and last day a record of `model` covers, as YYYYMMDD: a school term
    from its start to its end (the default term calendar, docs/rules.md: autumn to 31 December,
    spring to 31 March, summer to 31 July, each starting the day after the one before it
    ends); a work or benefit spell from its start to its end, or to `on` while open (nor
    beyond `on`); an offence, an anti-social behaviour record on its date."""
    if model is m.SchoolTerm:
        ends = RULESETS["phase1"].term_ends
        return (_term_day(m.SchoolTerm, term_starts(ends)),
                _term_day(m.SchoolTerm, {n: (mo, d, y) for n, mo, d, y in ends}))
    if model is m.WorkSpell:
        W = m.WorkSpell
        last = case((or_(W.end_date.is_(None), W.end_date > on), _day_number(on)),
                    else_=_ymd(W.end_date))
        return _ymd(W.start_date), last
    day = {m.Offence: m.Offence.offence_date, m.AsbRecord: m.AsbRecord.date}[model]
    return _ymd(day), _ymd(day)


def section_records(user: m.User, family: m.Family, section: str, model,
                    on: dt.date | None = None) -> Select:
    """A SELECT of the family's members' records of a section of records ("education":
    m.SchoolTerm; "work": m.WorkSpell; "offending": m.Offence, m.AsbRecord) that `user` may
    see on `on` (today): none when their level does not show the section; staff and the
    lead professional every member's; a partner practitioner only the records the section
    is about (sharing.SECTION_MEMBERS), each judged by its subject's age on the record's own
    dates, not today: a child's record is one whose subject was under 18 (or not yet born)
    on its first day (a school term that began before their 18th birthday: a school keeps
    the terms of a pupil now grown up, never an adult's terms from after it); an adult's
    record one whose subject was 18 or over on its last day (a benefit spell running on
    their 18th birthday or later: Jobcentre Plus never sees a spell that ended while they
    were a child). Decided in the query, for any number of records."""
    day = on or clock.today()
    P = m.Person
    query = (select(model).join(P, P.id == model.person_id).where(P.family_id == family.id))
    sections = partner_sections(user, family, day)
    if section not in sections:
        return query.where(false())
    if "case_file" in sections:
        return query
    members = section_members(user.organisation.sharing_level, section)
    if {"child", "adult"} <= members:
        return query
    first, last = _record_days(model, day)
    adult_years = CHILD_UNDER * 10000
    shown = []
    if "child" in members:
        shown.append(or_(P.date_of_birth.is_(None), first - _ymd(P.date_of_birth) < adult_years))
    if "adult" in members:
        shown.append(and_(P.date_of_birth.is_not(None),
                          last - _ymd(P.date_of_birth) >= adult_years))
    return query.where(or_(*shown) if shown else false())


def partner_search_terms(user: m.User, family: m.Family, people: list[m.Person],
                         on: dt.date | None = None) -> list[str]:
    """What a search of the families list may match of a family `user` sees, in lower case:
    its reference and name and the names of the household their level shows; never its
    postcode nor a member's reference (a partner's list does not show where a family lives,
    and the index's documents hold both)."""
    terms = [family.family_ref, family.family_name]
    terms += [x.name for x in household(user, family, people, on) if x.name]
    return [t.lower() for t in terms]


def shows(user: m.User, family: m.Family, section: str, on: dt.date | None = None) -> bool:
    return section in partner_sections(user, family, on)


def require_section(user: m.User, family: m.Family, section: str) -> None:
    """403 when the user's sharing level does not show this section of a family they see."""
    if not shows(user, family, section):
        abort(403)


def may_manage_taf(user: m.User, family: m.Family) -> bool:
    """Who keeps the family's Team Around the Family, consent, lead professional, meetings
    and actions: those who write its case file (its FIP worker, their team lead) and a
    programme manager."""
    return can(user, "manage_taf") and (user.role == "manager" or can_write(user, family))


def own_organisation_actions(user: m.User, family: m.Family) -> Select:
    """A SELECT of the family's Team Around the Family actions given to members of the
    user's organisation (a partner's "actions given to it")."""
    owners = select(m.TafMember.id).join(m.User, m.User.id == m.TafMember.user_id).where(
        m.TafMember.family_id == family.id, m.User.organisation_id == user.organisation_id)
    return select(m.TafAction).where(m.TafAction.family_id == family.id,
                                     m.TafAction.owner_id.in_(owners))


def taf_actions_owned(user: m.User, on: dt.date | None = None, *, open_only: bool = True) -> Select:
    """A SELECT of the Team Around the Family actions `user` owns on families they may see
    now, the soonest due first."""
    owners = select(m.TafMember.id).where(m.TafMember.user_id == user.id)
    query = (select(m.TafAction).where(
        m.TafAction.owner_id.in_(owners),
        m.TafAction.family_id.in_(visible_families(user, on=on).with_only_columns(m.Family.id)))
        .order_by(m.TafAction.due_on, m.TafAction.id))
    return query.where(m.TafAction.done_on.is_(None)) if open_only else query


def taf_action_or_404(user: m.User, action_id: int) -> m.TafAction:
    """An action the user may open: its owner, on a family they may see now; or staff who may
    see its family. 404 otherwise, alike whether it does not exist or is another's."""
    action = db.session.get(m.TafAction, action_id)
    if action is None:
        abort(404)
    family = db.session.scalar(visible_families(user).where(m.Family.id == action.family_id))
    if family is None:
        abort(404)
    if user.role == "partner" and action.owner.user_id != user.id and not (
            "plan" in partner_sections(user, family)
            or db.session.scalar(own_organisation_actions(user, family).where(
                m.TafAction.id == action.id)) is not None):
        abort(404)
    return action


def sees_meeting(user: m.User, family: m.Family, meeting: m.TafMeeting) -> bool:
    """Staff who see the family see its meetings; a partner those they attended (when their
    level shows the meetings they attended) or, as lead professional, every one."""
    sections = partner_sections(user, family)
    if "case_file" in sections:
        return True
    if "meetings_attended" not in sections:
        return False
    return any(a.member.user_id == user.id for a in meeting.attendances)


def taf_meeting_or_404(user: m.User, family: m.Family, meeting_id: int) -> m.TafMeeting:
    meeting = db.session.get(m.TafMeeting, meeting_id)
    if meeting is None or meeting.family_id != family.id or not sees_meeting(user, family, meeting):
        abort(404)
    return meeting


# Referrals between agencies -------------------------------------------------------------------


def _receives(user: m.User):
    """SQL: the referrals sent to `user`'s organisation, to nobody named or to them, of a
    family whose case is not closed and whose consent to share is not withdrawn: once its
    episode closes (and none is open), or it withdraws its consent (and none stands), the
    organisation no longer sees the referral, from the very next request."""
    R, C = m.Referral, m.SharingConsent
    today = clock.today()
    # A family that withdrew its consent to share (and has none standing today): the
    # referral is shared no more either, as the family's page is not.
    withdrawn = select(C.family_id).where(C.withdrawn_on.is_not(None),
                                          C.withdrawn_on <= today).except_(_consented(today))
    return (R.organisation_id == user.organisation_id,
            or_(R.practitioner_id.is_(None), R.practitioner_id == user.id),
            *referral_of_an_open_case(), R.family_id.not_in(withdrawn))


def referral_of_an_open_case():
    """SQL: the referrals of a family whose case is open (or not yet signed up), made in
    its open episode (or before any): a referral of an episode now closed is the closed
    case's, even once the family has signed up again. Only these are shared with the
    organisation, and only these wait for an outcome on the task lists."""
    R, E = m.Referral, m.Episode
    closed = select(E.family_id).where(E.closed_on.is_not(None)).except_(
        select(E.family_id).where(E.closed_on.is_(None)))
    open_episodes = select(E.id).where(E.closed_on.is_(None))
    return (R.family_id.not_in(closed),
            or_(R.episode_id.is_(None), R.episode_id.in_(open_episodes)))


def visible_referrals(user: m.User) -> Select:
    """A SELECT of the referrals between agencies `user` may see: a partner practitioner
    those sent to their organisation (to nobody named, or to them) while the family's case
    is open (or not yet signed up) and its consent to share not withdrawn (withdrawn: gone
    on the next request); staff those of the families they may see."""
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
