"""The FIP worker's case file: contacts with follow-ups, the family plan, the timeline."""

from __future__ import annotations

import dataclasses
import datetime as dt

from flask import abort
from sqlalchemy import func, select

from .. import clock
from .. import models as m
from ..access import (
    allocation_history,
    can_edit_contact,
    can_write,
    open_allocation,
    visible_families,
)
from ..audit import record_event
from ..episodes import episodes_of
from ..evaluation.service import current_ruleset, load_families
from ..extensions import db
from ..history import write_history
from ..referrals import service as referrals_service
from ..rules import evaluate
from ..rules.dates import age_on, months_after
from ..rules.wording import plural
from ..selection.service import timeline_events
from ..transaction import transactional

EDIT_WINDOW_HOURS = 24


class CasefileRefused(Exception):
    pass


def of_family_or_404(model, family: m.Family, record_id: int):
    """One of the family's contacts, follow-ups, goals or referrals (`model`) by id; 404 when
    there is none or it is another family's."""
    record = db.session.get(model, record_id)
    if record is None or record.family_id != family.id:
        abort(404)
    return record


def _contact_values(contact: m.Contact) -> dict:
    return {
        "contact_at": contact.contact_at.isoformat(timespec="minutes") if contact.contact_at else None,
        "kind": contact.kind, "duration_minutes": contact.duration_minutes,
        "present": list(contact.present or []), "notes": contact.notes, "status": contact.status,
        "actions": [[a.action, a.due_on.isoformat() if a.due_on else None] for a in contact.actions],
    }


@transactional
def save_contact(
    family: m.Family, user: m.User, values: dict, finish: bool, contact: m.Contact | None = None
) -> m.Contact:
    """Create or update a contact; every change to a saved contact is kept in history."""
    now = m.utcnow()
    if contact is None:
        if not can_write(user, family):
            raise CasefileRefused("Only the family's worker or their team lead can log contacts")
        contact = m.Contact(family_id=family.id, author_id=user.id, created_at=now)
        db.session.add(contact)
        before = None
    else:
        if not can_edit_contact(user, contact):
            raise CasefileRefused("Only the author or their team lead can change a contact")
        before = _contact_values(contact)
    contact.contact_at = values["contact_at"]
    contact.kind = values["kind"]
    contact.duration_minutes = values["duration_minutes"] or 0
    contact.present = list(values.get("present") or [])
    contact.notes = values.get("notes") or ""
    contact.status = "final" if finish else "draft"
    contact.updated_at = now
    # The form edits the open follow-ups; those already done or dropped stay as they are.
    contact.actions = [a for a in contact.actions if a.done_on is not None] + [
        m.FollowUp(family_id=family.id, action=text, due_on=due)
        for text, due in values.get("actions", []) if text
    ]
    db.session.flush()
    after = _contact_values(contact)
    if before is not None:
        late = before["status"] == "final" and (now - contact.created_at) > dt.timedelta(
            hours=EDIT_WINDOW_HOURS)
        write_history("contact", str(contact.id), before, after, user,
                      "edited more than 24 hours after it was logged" if late else "edited",
                      family.family_ref)
    record_event("update" if before else "create", "contact", f"{family.family_ref}/{contact.id}",
                 user=user, detail=contact.status)
    return contact


def member_label(person: m.Person, today: dt.date | None = None) -> str:
    """A member's name with their age, so two members with one name are told apart."""
    if person.date_of_birth is None:
        return f"{person.full_name} (unborn)"
    return f"{person.full_name} (age {age_on(person.date_of_birth, today or clock.today())})"


def present_names(family: m.Family) -> dict[str, str]:
    """Who can be present at a contact: each member's reference to their labelled name."""
    today = clock.today()
    return {p.person_ref: member_label(p, today) for p in family.people}


def open_follow_ups(family: m.Family) -> list[m.FollowUp]:
    """Follow-ups of the family's finished contacts not yet done or dropped, soonest due first."""
    return list(db.session.scalars(
        select(m.FollowUp).join(m.Contact, m.Contact.id == m.FollowUp.contact_id)
        .where(m.FollowUp.family_id == family.id, m.FollowUp.done_on.is_(None),
               m.Contact.status == "final")
        .order_by(m.FollowUp.due_on.is_(None), m.FollowUp.due_on, m.FollowUp.id)))


def drafts(user: m.User) -> list[m.Contact]:
    """The contacts `user` saved as drafts and has not finished, oldest first."""
    return list(db.session.scalars(
        select(m.Contact).where(m.Contact.author_id == user.id, m.Contact.status == "draft")
        .order_by(m.Contact.contact_at, m.Contact.id)))


class FollowUpRefused(CasefileRefused):
    pass


def follow_up_assignees(family: m.Family) -> list[m.User]:
    """Who a follow-up can be given to: the family's worker and their team's leads, who can
    all see the family."""
    current = open_allocation(family)
    if current is None:
        return []
    people = [current.worker]
    if current.worker.team_id is not None:
        people += db.session.scalars(
            select(m.User).where(m.User.team_id == current.worker.team_id,
                                 m.User.role == "team_lead", m.User.active.is_(True))
            .order_by(m.User.name))
    return people


@transactional
def update_follow_up(family: m.Family, user: m.User, action: m.FollowUp, outcome: str,
                     reason: str, assign_to: m.User | None = None,
                     today: dt.date | None = None) -> None:
    """Mark a follow-up done, drop it with a reason, or give it to someone else with a reason;
    the change is kept in the family's history."""
    if not can_write(user, family):
        raise FollowUpRefused("Only the family's worker or their team lead can change follow-ups")
    if action.done_on is not None:
        raise FollowUpRefused("This follow-up is already closed")
    before = {"outcome": action.outcome, "reason": action.reason,
              "assigned_to": action.assigned_to.name if action.assigned_to else None}
    if outcome == "reassign":
        if assign_to is None or assign_to.id not in {u.id for u in follow_up_assignees(family)}:
            raise FollowUpRefused("Select who the follow-up goes to")
        action.assigned_to_id = assign_to.id
        action.reason = reason.strip()
        after = {"outcome": None, "reason": action.reason, "assigned_to": assign_to.name}
    else:
        action.outcome, action.reason = outcome, reason.strip() or None
        action.done_on, action.closed_by_id = today or clock.today(), user.id
        after = {"outcome": outcome, "reason": action.reason,
                 "assigned_to": before["assigned_to"]}
    _history(family, user, "follow-up", str(action.id), before, after)
    record_event("update", "follow_up", f"{family.family_ref}/{action.id}", user=user,
                 detail=outcome)


def contacts(family: m.Family) -> list[m.Contact]:
    return list(db.session.scalars(
        select(m.Contact).where(m.Contact.family_id == family.id)
        .order_by(m.Contact.contact_at.desc(), m.Contact.id.desc())
    ))


def latest_contacts(family: m.Family, limit: int = 3) -> list[m.Contact]:
    """The family's last `limit` final (not draft) contacts, latest first."""
    return list(db.session.scalars(
        select(m.Contact).where(m.Contact.family_id == family.id, m.Contact.status == "final")
        .order_by(m.Contact.contact_at.desc(), m.Contact.id.desc()).limit(limit)
    ))


# Plan ----------------------------------------------------------------------------------------


def plan(family: m.Family) -> m.FamilyPlan:
    existing = db.session.scalar(select(m.FamilyPlan).where(m.FamilyPlan.family_id == family.id))
    return existing or m.FamilyPlan(family_id=family.id)


def _history(family: m.Family, user: m.User, record_type: str, ref: str, before: dict | None,
             after: dict) -> None:
    write_history(record_type, ref, before, after, user, family_ref=family.family_ref)


@transactional
def save_goal(family: m.Family, user: m.User, values: dict, goal: m.PlanGoal | None = None) -> None:
    if not can_write(user, family):
        raise CasefileRefused("Only the family's worker or their team lead can change the plan")
    before = None
    if goal is None:
        goal = m.PlanGoal(family_id=family.id)
        db.session.add(goal)
    else:
        before = {"problem": goal.problem, "goal": goal.goal, "status": goal.status,
                  "target_on": goal.target_on.isoformat() if goal.target_on else None}
    goal.problem, goal.goal, goal.status = values["problem"], values["goal"], values["status"]
    goal.target_on = values.get("target_on")
    db.session.flush()
    _history(family, user, "goal", str(goal.id), before,
             {"problem": goal.problem, "goal": goal.goal, "status": goal.status,
              "target_on": goal.target_on.isoformat() if goal.target_on else None})
    record_event("update" if before else "create", "goal", f"{family.family_ref}/{goal.id}", user=user)


@transactional
def save_referral(family: m.Family, user: m.User, values: dict,
                  referral: m.Referral | None = None) -> None:
    if not can_write(user, family):
        raise CasefileRefused("Only the family's worker or their team lead can change the plan")
    before = None
    if referral is not None and referral.organisation_id is not None:
        # Sent through casework: the partner accepts or declines it and records its outcome.
        raise CasefileRefused("A referral sent to a partner organisation is answered by them")
    if referral is None:
        referral = m.Referral(family_id=family.id, created_by_id=user.id,
                              episode_id=referrals_service.open_episode_id(family.id))
        db.session.add(referral)
    else:
        before = {"status": referral.status, "status_on": referral.status_on.isoformat()
                  if referral.status_on else None, "notes": referral.notes}
    for key, value in values.items():
        setattr(referral, key, value)
    db.session.flush()
    _history(family, user, "referral", str(referral.id), before,
             {"status": referral.status, "status_on": referral.status_on.isoformat()
              if referral.status_on else None, "notes": referral.notes})
    record_event("update" if before else "create", "referral", f"{family.family_ref}/{referral.id}",
                 user=user)


def goals(family: m.Family) -> list[m.PlanGoal]:
    return list(db.session.scalars(select(m.PlanGoal).where(m.PlanGoal.family_id == family.id)
                                   .order_by(m.PlanGoal.id)))


def referrals(family: m.Family, *, current_only: bool = False) -> list[m.Referral]:
    """The family's referrals, the latest first: every one (the timeline), or with
    current_only its current episode's (the plan's; an earlier episode's are on the family
    page's episode history)."""
    where = [referrals_service.of_current_episode(family.id)] if current_only else []
    return list(db.session.scalars(select(m.Referral).where(
        m.Referral.family_id == family.id, *where)
        .order_by(m.Referral.referred_on.desc(), m.Referral.id.desc())))


# Timeline ------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Event:
    on: dt.date
    kind: str
    text: str


def _referral_steps(family: m.Family) -> dict[str, list[tuple[dt.date, str, str | None]]]:
    """Each referral's changes of status after it was made, from its history: (day, status,
    who), by the referral's id; so the timeline shows accepted and then completed."""
    H = m.RecordHistory
    steps: dict[str, list] = {}
    for ref, at, after, name in db.session.execute(
            select(H.record_ref, H.changed_at, H.after, m.User.name)
            .outerjoin(m.User, H.changed_by_id == m.User.id)
            .where(H.record_type == "referral", H.family_ref == family.family_ref)
            .order_by(H.changed_at, H.id)):
        status = (after or {}).get("status")
        if status and status != "made":
            steps.setdefault(ref, []).append((at.date(), status, name))
    return steps


def timeline(family: m.Family, today: dt.date | None = None) -> list[Event]:
    """The customer journey: selection and sign-up, contacts, allocations, evidence,
    referrals, result changes."""
    today = today or clock.today()
    events: list[Event] = []
    if family.identified_on:
        events.append(Event(family.identified_on, "Identified", "Identified for the programme"))
    for n, e in enumerate(episodes_of(family.id)):
        events.append(Event(e.signed_up_on, "Attached", (
            "Signed up again, a new episode in " if n else "Signed up to ") + e.programme_label
            + (f": consent given by {e.consent_by}" if e.consent_by else "")))
        if e.closed_on:
            events.append(Event(e.closed_on, "Closure", f"Case closed ({e.programme_label}): "
                                f"{e.end_reason_label}" + (f": {e.end_note}" if e.end_note else "")))
    for a in allocation_history(family):
        events.append(Event(a.start_on, "Allocation", f"Allocated to {a.worker.name}"
                            + (f" (override: {a.override_reason})" if a.override_reason else "")))
    for c in contacts(family):
        if c.status == "final":
            label = m.CONTACT_KINDS.get(c.kind, c.kind)
            events.append(Event(c.contact_at.date(), "Contact",
                                f"{label} by {c.author.name}"
                                + (f", {plural(c.duration_minutes, 'minute')}"
                                   if c.duration_minutes else "")))
    steps = _referral_steps(family)
    for r in referrals(family):
        events.append(Event(r.referred_on, "Referral",
                            f"Referred to {r.agency} ({m.REFERRAL_KINDS.get(r.kind, r.kind).lower()})"))
        said = {"declined": r.decline_reason, "completed": r.outcome}
        for on, status, by in steps.get(str(r.id)) or (
                [(r.status_on, r.status, None)] if r.status_on and r.status != "made" else []):
            events.append(Event(on, "Referral", f"Referral to {r.agency} {status}"
                                + (f" by {by}" if by and status in ("accepted", "declined") else "")
                                + (f": {said[status]}" if said.get(status) and status == r.status
                                   else "")))
    data = load_families([family.id])[family.id]
    for a in data.asb:
        events.append(Event(a.date, "Evidence", f"ASB: {m.ASB_KIND_LABELS[a.kind].lower()} ({a.ref})"))
    for o in data.offences:
        events.append(Event(o.date, "Evidence",
                            f"Offence{' (proven)' if o.proven else ' (not proven)'} ({o.ref})"))
    for w in data.work:
        events.append(Event(w.start, "Evidence", f"{m.WORK_KIND_LABELS[w.kind]} started"
                            + (f" ({w.benefit})" if w.benefit else "") + f" ({w.ref})"))
        if w.end and w.end <= today:
            events.append(Event(w.end, "Evidence", f"{m.WORK_KIND_LABELS[w.kind]} ended ({w.ref})"))
    events.extend(Event(on, kind, text) for on, kind, text in timeline_events(family))
    events.extend(_result_changes(family, data, today))
    events.sort(key=lambda e: (e.on, e.kind), reverse=True)
    return events


def _words(status) -> str:
    """A status in words: insufficient_data -> insufficient data."""
    return str(status).replace("_", " ")


def _result_changes(family: m.Family, data, today: dt.date) -> list[Event]:
    """Month by month from attachment, when a result's status changed."""
    if family.attached_on is None:
        return []
    rules = current_ruleset()
    changes, last = [], {}
    on, step = family.attached_on, 0
    while on <= today and step < 120:
        results = evaluate(data, on, rules).results
        for name in ("crime_asb_education", "continuous_employment", "progress_to_work"):
            status = results[name].value
            if name in last and last[name] != status:
                changes.append(Event(on, "Result", f"{m.RESULT_LABELS[name]} changed from "
                                     f"{_words(last[name])} to {_words(status)}"))
            last[name] = status
        step += 1
        on = months_after(family.attached_on, step)
    return changes


# High-contact families -----------------------------------------------------------------------


def high_contact(user: m.User, start: dt.date, end: dt.date, limit: int = 100) -> list[tuple]:
    """Families in scope by number of contacts and hours in [start, end]."""
    scoped = visible_families(user).subquery()
    rows = db.session.execute(
        select(scoped.c.family_ref, scoped.c.family_name, func.count(m.Contact.id),
               func.coalesce(func.sum(m.Contact.duration_minutes), 0))
        .join(m.Contact, m.Contact.family_id == scoped.c.id)
        .where(m.Contact.status == "final",
               m.Contact.contact_at >= dt.datetime.combine(start, dt.time()),
               m.Contact.contact_at < dt.datetime.combine(end + dt.timedelta(days=1), dt.time()))
        .group_by(scoped.c.family_ref, scoped.c.family_name)
        .order_by(func.count(m.Contact.id).desc(), func.sum(m.Contact.duration_minutes).desc())
        .limit(limit)
    ).all()
    return [(ref, name, count, minutes / 60) for ref, name, count, minutes in rows]


