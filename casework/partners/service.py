"""Partner organisations and their practitioners (the administrator's use cases); the Team
Around the Family, its meetings and actions, and the family's lead professional for a
period are added here too. Who sees what is casework/access.py's."""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from .. import access, clock
from .. import models as m
from ..audit import record_event
from ..auth.service import UserRefused, create_user
from ..caseloads import service as caseloads
from ..episodes import open_episode_of
from ..extensions import db
from ..history import write_history
from ..referrals import service as referrals
from ..rules.dates import govdate
from ..sharing import default_level
from ..transaction import transactional


class PartnerRefused(Exception):
    pass


def organisations() -> list[tuple[m.PartnerOrganisation, int]]:
    """Every partner organisation with how many active practitioners it has, by name."""
    counts = dict(db.session.execute(
        select(m.User.organisation_id, func.count(m.User.id))
        .where(m.User.active.is_(True), m.User.organisation_id.is_not(None))
        .group_by(m.User.organisation_id)).all())
    rows = db.session.scalars(select(m.PartnerOrganisation).order_by(m.PartnerOrganisation.name))
    return [(o, counts.get(o.id, 0)) for o in rows]


def organisation_or_404(organisation_id: int) -> m.PartnerOrganisation:
    return db.get_or_404(m.PartnerOrganisation, organisation_id)


def _organisation_fields(organisation: m.PartnerOrganisation) -> dict:
    return {"name": organisation.name, "kind": organisation.kind,
            "sharing_level": organisation.sharing_level}


@transactional
def add_organisation(name: str, kind: str, sharing_level: str | None,
                     by: m.User | None) -> m.PartnerOrganisation:
    """Record a partner organisation; its sharing level is its kind's unless one is chosen.
    Every problem is refused at once, naming the form's field."""
    name = " ".join((name or "").split())
    problems = []
    if not name:
        problems.append(("name", "Enter the organisation's name"))
    elif len(name) > 200:
        problems.append(("name", "The organisation's name must be 200 characters or fewer"))
    elif db.session.scalar(select(m.PartnerOrganisation.id).where(
            func.lower(m.PartnerOrganisation.name) == name.lower())):
        problems.append(("name", f"There is already an organisation called {name}"))
    if kind not in m.ORGANISATION_KINDS:
        problems.append(("kind", "Select the kind of organisation"))
    if sharing_level and sharing_level not in m.SHARING_LEVELS:
        problems.append(("sharing_level", "Select a sharing level"))
    if problems:
        raise OrganisationRefused(problems)
    organisation = m.PartnerOrganisation(
        name=name, kind=kind, sharing_level=sharing_level or default_level(kind))
    db.session.add(organisation)
    db.session.flush()
    write_history("partner_organisation", str(organisation.id), {},
                  _organisation_fields(organisation), by, "added")
    record_event("create", "organisation", name, user=by,
                 detail=f"kind={kind} sharing={organisation.sharing_level}")
    return organisation


@transactional
def change_sharing_level(organisation: m.PartnerOrganisation, level: str,
                         by: m.User | None) -> None:
    if level not in m.SHARING_LEVELS:
        raise OrganisationRefused([("sharing_level", "Select a sharing level")])
    before = _organisation_fields(organisation)
    organisation.sharing_level = level
    if write_history("partner_organisation", str(organisation.id), before,
                     _organisation_fields(organisation), by):
        record_event("update", "organisation", organisation.name, user=by,
                     detail=f"sharing: {before['sharing_level']} -> {level}")


@transactional
def add_practitioner(organisation: m.PartnerOrganisation, email: str, name: str,
                     password: str, by: m.User | None, how: str = "") -> m.User:
    """A practitioner of the organisation who can sign in, with the partner role: they see
    no family until they are in its Team Around the Family."""
    try:
        return create_user(email, name, "partner", password, by=by, how=how,
                           organisation=organisation)
    except UserRefused as refused:
        raise PartnerRefused(str(refused)) from None


class OrganisationRefused(PartnerRefused):
    """Refused with every problem at once: (form field, message) pairs."""

    def __init__(self, problems: list[tuple[str, str]]):
        super().__init__("; ".join(message for _, message in problems))
        self.problems = problems


# The Team Around the Family ------------------------------------------------------------------


class TafRefused(PartnerRefused):
    """Refused with every problem at once: (form field, message) pairs."""

    def __init__(self, problems: list[tuple[str, str]] | str):
        if isinstance(problems, str):
            problems = [("", problems)]
        super().__init__("; ".join(message for _, message in problems))
        self.problems = problems


def _check_manager(family: m.Family, by: m.User) -> None:
    if not access.may_manage_taf(by, family):
        raise TafRefused("Only the family's FIP worker, their team lead or a programme manager "
                         "keeps its Team Around the Family")


def _member_fields(member: m.TafMember) -> dict:
    return {"user": member.user.email, "role_note": member.role_note,
            "from_on": member.from_on, "to_on": member.to_on}


def _ref(family: m.Family, row) -> str:
    return f"{family.family_ref}/{row.id}"


@dataclasses.dataclass
class Team:
    members: list[m.TafMember]          # every membership, the current first
    current: list[m.TafMember]
    consents: list[m.SharingConsent]    # the latest first
    consent: m.SharingConsent | None    # the one standing today
    episode: m.Episode | None           # the open episode
    lead: access.Lead | None            # the lead professional today (access.lead_professional)
    leads: list[m.LeadProfessional]
    meetings: list[m.TafMeeting]
    actions: list[m.TafAction]


def team(family: m.Family, today: dt.date | None = None) -> Team:
    today = today or clock.today()
    members = list(db.session.scalars(
        select(m.TafMember).where(m.TafMember.family_id == family.id)
        .options(selectinload(m.TafMember.user).selectinload(m.User.organisation))
        .order_by(m.TafMember.from_on, m.TafMember.id)))
    current = sorted((x for x in members if x.current_on(today)), key=lambda x: x.user.name)
    members = current + [x for x in members if not x.current_on(today)]
    return Team(
        members=members, current=current,
        consents=list(db.session.scalars(select(m.SharingConsent).where(
            m.SharingConsent.family_id == family.id)
            .order_by(m.SharingConsent.given_on.desc(), m.SharingConsent.id.desc()))),
        consent=access.consent_standing(family, today),
        episode=open_episode_of(family.id),
        lead=access.lead_professional(family, today), leads=access.lead_history(family),
        meetings=meetings(family), actions=actions(family))


def meetings(family: m.Family) -> list[m.TafMeeting]:
    return list(db.session.scalars(
        select(m.TafMeeting).where(m.TafMeeting.family_id == family.id)
        .options(selectinload(m.TafMeeting.attendances).selectinload(m.TafAttendance.member)
                 .selectinload(m.TafMember.user))
        .order_by(m.TafMeeting.held_on.desc(), m.TafMeeting.id.desc())))


def actions(family: m.Family) -> list[m.TafAction]:
    return list(db.session.scalars(
        select(m.TafAction).where(m.TafAction.family_id == family.id)
        .options(selectinload(m.TafAction.owner).selectinload(m.TafMember.user))
        .order_by(m.TafAction.done_on.is_not(None), m.TafAction.due_on, m.TafAction.id)))


def candidates(family: m.Family) -> list[m.User]:
    """Who may join the team: active staff who work with families and partner
    practitioners, not current members, by name."""
    current = {x.user_id for x in access.taf_members_now(family)}
    users = db.session.scalars(select(m.User).where(
        m.User.active.is_(True), m.User.role.in_(("worker", "team_lead", "manager", "partner")))
        .options(selectinload(m.User.organisation)).order_by(m.User.name))
    return [u for u in users if u.id not in current]


def describe_user(user: m.User) -> str:
    return f"{user.name} ({user.organisation.name if user.organisation else user.role_label})"


@transactional
def add_member(family: m.Family, user_id: int | None, from_on: dt.date | None,
               role_note: str | None, by: m.User) -> m.TafMember:
    _check_manager(family, by)
    problems = []
    user = db.session.get(m.User, user_id) if user_id else None
    if user is None or not user.active or user.role in ("admin", "auditor"):
        problems.append(("user", "Select who joins the Team Around the Family"))
    if from_on is None:
        problems.append(("from_on", "Enter the date they join from"))
    if user is not None and from_on is not None and db.session.scalar(
            select(m.TafMember.id).where(
                m.TafMember.family_id == family.id, m.TafMember.user_id == user.id,
                (m.TafMember.to_on.is_(None)) | (m.TafMember.to_on >= from_on))):
        problems.append(("user", f"{user.name} is already in the Team Around the Family "
                                 f"on {govdate(from_on)}"))
    if problems:
        raise TafRefused(problems)
    member = m.TafMember(family_id=family.id, user_id=user.id, from_on=from_on,
                         role_note=(role_note or "").strip()[:200] or None, added_by_id=by.id)
    db.session.add(member)
    db.session.flush()
    write_history("taf_member", _ref(family, member), {}, _member_fields(member), by,
                  "added to the Team Around the Family", family.family_ref)
    record_event("create", "taf_member", _ref(family, member), user=by,
                 detail=f"{user.email} from {from_on.isoformat()}")
    return member


def member_or_404(family: m.Family, member_id: int) -> m.TafMember:
    member = db.session.get(m.TafMember, member_id)
    if member is None or member.family_id != family.id:
        from flask import abort

        abort(404)
    return member


@transactional
def end_member(family: m.Family, member: m.TafMember, to_on: dt.date | None,
               by: m.User) -> None:
    """The member leaves the team: they are in it to `to_on` inclusive, and see the family
    no more from the day after."""
    _check_manager(family, by)
    if to_on is None:
        raise TafRefused([("to_on", "Enter the last day they are in the team")])
    if to_on < member.from_on:
        raise TafRefused([("to_on", f"The last day cannot be before they joined, "
                                    f"{govdate(member.from_on)}")])
    before = _member_fields(member)
    member.to_on = to_on
    write_history("taf_member", _ref(family, member), before, _member_fields(member), by,
                  "left the Team Around the Family", family.family_ref)
    record_event("update", "taf_member", _ref(family, member), user=by,
                 detail=f"{member.user.email} to {to_on.isoformat()}")


def sign_up_consent(family: m.Family) -> tuple[dt.date, str] | None:
    """The consent the family gave at sign-up for its open episode (casework/episodes.py and
    the selection's sign-up: the information-sharing agreement and consent), if any: the
    date and who gave it, offered when consent to share with the team is recorded."""
    episode = open_episode_of(family.id)
    if episode is None:
        return None
    sign_up = episode.sign_up
    if sign_up is not None and sign_up.sharing_agreed and sign_up.consent_given:
        return sign_up.decided_on, sign_up.consent_by or episode.consent_by or ""
    if episode.consent_by:
        return episode.signed_up_on, episode.consent_by
    return None


def _consent_fields(consent: m.SharingConsent) -> dict:
    return {"given_on": consent.given_on, "given_by": consent.given_by,
            "withdrawn_on": consent.withdrawn_on, "withdrawn_note": consent.withdrawn_note}


@transactional
def record_consent(family: m.Family, given_on: dt.date | None, given_by: str | None,
                   by: m.User, today: dt.date | None = None) -> m.SharingConsent:
    """The family consents to share its information with its Team Around the Family, for
    its open episode. Refused with no open episode, or while a consent stands."""
    _check_manager(family, by)
    today = today or clock.today()
    problems = []
    episode = open_episode_of(family.id)
    if episode is None:
        problems.append(("given_on", f"{family.family_ref} has no open episode: consent to "
                                     "share is recorded for a family signed up"))
    if given_on is None:
        problems.append(("given_on", "Enter the date consent was given"))
    elif given_on > today:
        problems.append(("given_on", "The date consent was given cannot be in the future"))
    elif episode is not None and given_on < episode.signed_up_on:
        problems.append(("given_on", "The date consent was given cannot be before the family "
                                     f"signed up, {govdate(episode.signed_up_on)}"))
    given_by = " ".join((given_by or "").split())
    if not given_by:
        problems.append(("given_by", "Enter who in the family gave consent"))
    if episode is not None and db.session.scalar(select(m.SharingConsent.id).where(
            m.SharingConsent.episode_id == episode.id, m.SharingConsent.withdrawn_on.is_(None))):
        problems.append(("given_on", "Consent to share is already recorded: withdraw it first"))
    if problems:
        raise TafRefused(problems)
    from_sign_up = sign_up_consent(family)
    consent = m.SharingConsent(
        family_id=family.id, episode_id=episode.id, given_on=given_on, given_by=given_by[:200],
        source="sign-up" if from_sign_up == (given_on, given_by) else "team page",
        recorded_by_id=by.id)
    db.session.add(consent)
    db.session.flush()
    write_history("sharing_consent", _ref(family, consent), {}, _consent_fields(consent), by,
                  "consent to share recorded", family.family_ref)
    record_event("create", "sharing_consent", _ref(family, consent), user=by,
                 detail=f"given {given_on.isoformat()}")
    return consent


@transactional
def withdraw_consent(family: m.Family, on: dt.date | None, note: str | None, by: m.User,
                     today: dt.date | None = None) -> m.SharingConsent:
    """The family withdraws its consent on `on`: from that day no partner practitioner sees
    it (their next request)."""
    _check_manager(family, by)
    today = today or clock.today()
    consent = db.session.scalar(select(m.SharingConsent).where(
        m.SharingConsent.family_id == family.id, m.SharingConsent.withdrawn_on.is_(None))
        .order_by(m.SharingConsent.id.desc()))
    problems = []
    if consent is None:
        raise TafRefused([("withdrawn_on", "No consent to share is recorded to withdraw")])
    if on is None:
        problems.append(("withdrawn_on", "Enter the date consent was withdrawn"))
    elif on < consent.given_on:
        problems.append(("withdrawn_on", "Consent cannot be withdrawn before it was given, "
                                         f"{govdate(consent.given_on)}"))
    elif on > today:
        problems.append(("withdrawn_on", "The date consent was withdrawn cannot be in the future"))
    if problems:
        raise TafRefused(problems)
    before = _consent_fields(consent)
    consent.withdrawn_on, consent.withdrawn_by_id = on, by.id
    consent.withdrawn_note = (note or "").strip() or None
    write_history("sharing_consent", _ref(family, consent), before, _consent_fields(consent),
                  by, "consent to share withdrawn", family.family_ref)
    record_event("update", "sharing_consent", _ref(family, consent), user=by,
                 detail=f"withdrawn {on.isoformat()}")
    return consent


def _lead_fields(lead: m.LeadProfessional) -> dict:
    return {"user": lead.user.email, "from_on": lead.from_on, "to_on": lead.to_on,
            "note": lead.note}


@transactional
def set_lead(family: m.Family, user_id: int | None, from_on: dt.date | None,
             to_on: dt.date | None, note: str | None, by: m.User) -> m.LeadProfessional:
    """Name the family's lead professional from `from_on` to `to_on` (open-ended when not
    given), handing over from the one before with a note: their period ends the day before.
    The lead is a member of the team on `from_on`. The caseload limits apply to FIP workers
    only: a FIP worker who does not hold the family already is refused at their limit; a
    partner practitioner has none."""
    _check_manager(family, by)
    problems = []
    user = db.session.get(m.User, user_id) if user_id else None
    if user is None:
        problems.append(("lead_user", "Select the lead professional"))
    if from_on is None:
        problems.append(("lead_from", "Enter the date they lead from"))
    if to_on is not None and from_on is not None and to_on < from_on:
        problems.append(("lead_to", "The last day cannot be before the first"))
    note = (note or "").strip()
    earlier = [p for p in access.lead_history(family)
               if from_on is not None and (p.to_on is None or p.to_on >= from_on)]
    if earlier and not note:
        problems.append(("lead_note", "Enter the hand-over note"))
    if any(p.from_on >= from_on for p in earlier):
        problems.append(("lead_from", "A lead professional's period already starts on or after "
                                      f"{govdate(from_on)}"))
    if user is not None and from_on is not None and not any(
            x.user_id == user.id for x in access.taf_members_now(family, from_on)):
        problems.append(("lead_user", f"{user.name} is not in the Team Around the Family on "
                                      f"{govdate(from_on)}: add them first"))
    if user is not None and from_on is not None and user.role == "worker":
        holder = access.open_allocation(family)
        if holder is None or holder.worker_id != user.id:
            load = caseloads.caseload(user, from_on)
            if load.active >= load.max_active:
                problems.append(("lead_user", f"{user.name} has {load.active} active families "
                                              f"(limit {load.max_active})"))
    if problems:
        raise TafRefused(problems)
    for period in earlier:
        before = _lead_fields(period)
        period.to_on = from_on - dt.timedelta(days=1)
        write_history("lead_professional", _ref(family, period), before, _lead_fields(period),
                      by, "handed over", family.family_ref)
    lead = m.LeadProfessional(family_id=family.id, user_id=user.id, from_on=from_on,
                              to_on=to_on, note=note or None, set_by_id=by.id)
    db.session.add(lead)
    db.session.flush()
    write_history("lead_professional", _ref(family, lead), {}, _lead_fields(lead), by,
                  "lead professional named", family.family_ref)
    record_event("create", "lead_professional", _ref(family, lead), user=by,
                 detail=f"{user.email} from {from_on.isoformat()}"
                 + (f" to {to_on.isoformat()}" if to_on else ""))
    return lead


@dataclasses.dataclass
class NewAction:
    action: str
    owner_id: int | None
    due_on: dt.date | None


@transactional
def add_meeting(family: m.Family, held_on: dt.date | None, attended: list[int],
                decisions: str, new_actions: list[NewAction], by: m.User,
                today: dt.date | None = None) -> m.TafMeeting:
    """Record a meeting of the team: who of its members attended, the decisions and the
    actions, each owned by a member and due on a date. Every problem named at once."""
    _check_manager(family, by)
    today = today or clock.today()
    problems = []
    if held_on is None:
        problems.append(("held_on", "Enter the date of the meeting"))
    elif held_on > today:
        problems.append(("held_on", "The date of the meeting cannot be in the future"))
    members = {x.id: x for x in db.session.scalars(select(m.TafMember).where(
        m.TafMember.family_id == family.id))}
    if not attended:
        problems.append(("attended", "Select who attended"))
    for member_id in attended:
        member = members.get(member_id)
        if member is None or (held_on is not None and not member.current_on(held_on)):
            problems.append(("attended", "Select members of the team on the meeting's date"))
            break
    for number, new in enumerate(new_actions, 1):
        if not new.action.strip() and new.owner_id is None and new.due_on is None:
            continue
        if not new.action.strip():
            problems.append((f"action_{number}", f"Enter action {number}"))
        if new.owner_id not in members:
            problems.append((f"owner_{number}", f"Select who owns action {number}"))
        if new.due_on is None:
            problems.append((f"due_{number}", f"Enter the due date of action {number}"))
    if problems:
        raise TafRefused(problems)
    meeting = m.TafMeeting(family_id=family.id, held_on=held_on,
                           decisions=(decisions or "").strip(), recorded_by_id=by.id)
    db.session.add(meeting)
    meeting.attendances = [m.TafAttendance(member_id=i) for i in dict.fromkeys(attended)]
    db.session.flush()
    write_history("taf_meeting", _ref(family, meeting), {}, {
        "held_on": held_on, "decisions": meeting.decisions,
        "attended": sorted(members[i].user.email for i in set(attended))}, by,
        "meeting recorded", family.family_ref)
    record_event("create", "taf_meeting", _ref(family, meeting), user=by)
    for new in new_actions:
        if new.action.strip():
            add_action(family, new.action, new.owner_id, new.due_on, by, meeting)
    return meeting


def _action_fields(action: m.TafAction) -> dict:
    return {"action": action.action, "owner": action.owner.user.email, "due_on": action.due_on,
            "done_on": action.done_on, "done_note": action.done_note}


@transactional
def add_action(family: m.Family, text: str, owner_id: int | None, due_on: dt.date | None,
               by: m.User, meeting: m.TafMeeting | None = None) -> m.TafAction:
    _check_manager(family, by)
    owner = db.session.get(m.TafMember, owner_id) if owner_id else None
    problems = []
    if not (text or "").strip():
        problems.append(("action", "Enter the action"))
    if owner is None or owner.family_id != family.id:
        problems.append(("owner", "Select who owns the action"))
    if due_on is None:
        problems.append(("due_on", "Enter the due date"))
    if problems:
        raise TafRefused(problems)
    action = m.TafAction(family_id=family.id, meeting=meeting, action=text.strip()[:2000],
                         owner_id=owner.id, due_on=due_on, created_by_id=by.id)
    db.session.add(action)
    db.session.flush()
    db.session.refresh(action)
    write_history("taf_action", _ref(family, action), {}, _action_fields(action), by,
                  "action agreed", family.family_ref)
    record_event("create", "taf_action", _ref(family, action), user=by,
                 detail=f"owner {owner.user.email}, due {due_on.isoformat()}")
    return action


def may_complete(user: m.User, action: m.TafAction) -> bool:
    """Its owner completes an action; so do those who keep the family's team."""
    return action.done_on is None and (
        action.owner.user_id == user.id or access.may_manage_taf(user, action.family))


@transactional
def complete_action(action: m.TafAction, note: str | None, by: m.User,
                    on: dt.date | None = None) -> None:
    if not may_complete(by, action):
        raise TafRefused("Only the action's owner completes it")
    note = (note or "").strip()
    if not note:
        raise TafRefused([("done_note", "Enter what was done")])
    before = _action_fields(action)
    action.done_on, action.done_note, action.done_by_id = on or clock.today(), note[:2000], by.id
    write_history("taf_action", _ref(action.family, action), before, _action_fields(action), by,
                  "action completed", action.family.family_ref)
    record_event("update", "taf_action", _ref(action.family, action), user=by, detail="completed")


# What a partner practitioner sees ---------------------------------------------------------------


@dataclasses.dataclass
class PartnerView:
    sections: frozenset[str]
    household: list[access.HouseholdMember]  # only what their level shows of each member
    school_terms: list[m.SchoolTerm]
    work: list[m.WorkSpell]
    offences: list[m.Offence]
    asb: list[m.AsbRecord]
    goals: list[m.PlanGoal]
    actions: list[m.TafAction]        # the actions this user's level shows
    meetings: list[m.TafMeeting]      # the meetings this user may open
    members: list[m.TafMember]
    lead: access.Lead | None  # the lead professional today (access.lead_professional)


def partner_view(user: m.User, family: m.Family, today: dt.date | None = None) -> PartnerView:
    """What the partner's sharing level shows of a family they see (access.partner_sections);
    nothing outside it is read."""
    sections = access.partner_sections(user, family, today)
    people = list(db.session.scalars(select(m.Person).where(m.Person.family_id == family.id)
                                     .order_by(m.Person.date_of_birth, m.Person.person_ref)))

    def rows(model, shown: str, *order):
        # Only the records the section is about, each judged at its own date
        # (access.section_records: a school a child's terms, kept once the pupil is grown up).
        return list(db.session.scalars(access.section_records(user, family, shown, model, today)
                                       .order_by(*order)))

    if "plan" in sections:
        shown_actions = actions(family)
    elif "own_actions" in sections:
        shown_actions = list(db.session.scalars(access.own_organisation_actions(user, family)
                                                .order_by(m.TafAction.due_on, m.TafAction.id)))
    else:
        shown_actions = []
    return PartnerView(
        sections=sections,
        household=access.household(user, family, people, today),
        school_terms=rows(m.SchoolTerm, "education", m.SchoolTerm.person_id,
                          m.SchoolTerm.academic_year, m.SchoolTerm.id),
        work=rows(m.WorkSpell, "work", m.WorkSpell.person_id, m.WorkSpell.id),
        offences=rows(m.Offence, "offending", m.Offence.person_id, m.Offence.id),
        asb=rows(m.AsbRecord, "offending", m.AsbRecord.person_id, m.AsbRecord.id),
        goals=list(db.session.scalars(select(m.PlanGoal).where(
            m.PlanGoal.family_id == family.id).order_by(m.PlanGoal.id)))
        if "plan" in sections else [],
        actions=shown_actions,
        meetings=[x for x in meetings(family) if access.sees_meeting(user, family, x)],
        members=access.taf_members_now(family, today),
        lead=access.lead_professional(family, today))


def household_names(view: PartnerView) -> dict[int, str]:
    """The names the view's household shows, by person id (to name a school term's child)."""
    return {x.person_id: x.name for x in view.household if x.name}


@dataclasses.dataclass
class PartnerHome:
    leads: list[tuple[m.Family, m.LeadProfessional]]
    actions: list[m.TafAction]
    families: list[m.Family]


def partner_home(user: m.User, today: dt.date | None = None) -> PartnerHome:
    """A partner's own page: the families they lead, their open actions, their families."""
    today = today or clock.today()
    return PartnerHome(
        leads=access.led_by(user, today),
        actions=list(db.session.scalars(access.taf_actions_owned(user, today).options(
            selectinload(m.TafAction.family)))),
        families=list(db.session.scalars(access.visible_families(user, on=today)
                                         .order_by(m.Family.family_ref))))


def overdue_actions(user: m.User, today: dt.date | None = None) -> list[m.TafAction]:
    """The user's own open Team Around the Family actions past their due date (the task
    list's), the longest overdue first."""
    today = today or clock.today()
    return [a for a in db.session.scalars(access.taf_actions_owned(user, today).options(
        selectinload(m.TafAction.family))) if a.due_on < today]


@referrals.on_accepted
def join_on_referral(referral: m.Referral, by: m.User, today: dt.date) -> None:
    """A practitioner who accepts a referral joins the family's Team Around the Family from
    that day (unless already in it), added on behalf of the referral's sender, who keeps the
    team (if they no longer may, the family's staff add them by hand)."""
    family, sender = referral.family, referral.created_by
    if any(member.user_id == by.id for member in access.taf_members_now(family, today)):
        return
    if sender is None or not access.may_manage_taf(sender, family):
        return
    add_member(family, by.id, today, f"accepted a referral ({m.REFERRAL_KINDS[referral.kind]})"[:200],
               sender)

