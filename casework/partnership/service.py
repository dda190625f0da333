"""Training for initial contact organisations (courses, who completed them, whether a lead
person is trained) and match funding (contributions pledged and received).

A lead person for first contact is trained on a day when they hold a completion of a course
current that day (casework.rules.training); naming one who is not only warns."""

from __future__ import annotations

import datetime as dt
import re

from flask import abort
from sqlalchemy import func, select

from .. import clock
from .. import models as m
from ..audit import record_event
from ..extensions import db
from ..history import write_history
from ..permissions import can
from ..rules import training as rules
from ..rules.dates import govdate
from ..rules.ruleset import PROGRAMMES
from ..transaction import transactional

MAX_VALID_MONTHS = 120


class PartnershipRefused(Exception):
    """A write refused, with the message to show."""


def _norm(text: str | None) -> str:
    return re.sub(r"\s+", " ", (text or "").strip()).casefold()


# Training --------------------------------------------------------------------------------------


def courses() -> list[m.TrainingCourse]:
    return list(db.session.scalars(select(m.TrainingCourse).order_by(m.TrainingCourse.name)))


def course_or_404(course_id: int) -> m.TrainingCourse:
    return db.session.get(m.TrainingCourse, course_id) or abort(404)


def completions() -> list[m.TrainingCompletion]:
    """Every completion, the latest first."""
    return list(db.session.scalars(select(m.TrainingCompletion).order_by(
        m.TrainingCompletion.completed_on.desc(), m.TrainingCompletion.id.desc())))


def trainees() -> list[m.User]:
    """The users a completion may name: the active staff (and partners) of casework."""
    return list(db.session.scalars(select(m.User).where(m.User.active.is_(True))
                                   .order_by(m.User.name)))


@transactional
def add_course(name: str, valid_months: int | None, by: m.User) -> m.TrainingCourse:
    if not can(by, "manage_training"):
        raise PartnershipRefused("Only programme managers and administrators record training")
    name = (name or "").strip()
    problems = []
    if not name:
        problems.append("Enter the course's name")
    elif db.session.scalar(select(m.TrainingCourse.id).where(
            func.lower(m.TrainingCourse.name) == name.lower())):
        problems.append(f"There is already a course called {name}")
    if valid_months is None or not 1 <= valid_months <= MAX_VALID_MONTHS:
        problems.append(f"Enter how many months a completion lasts, 1 to {MAX_VALID_MONTHS}")
    if problems:
        raise PartnershipRefused("; ".join(problems))
    course = m.TrainingCourse(name=name, valid_months=valid_months, created_by_id=by.id)
    db.session.add(course)
    db.session.flush()
    record_event("create", "training_course", str(course.id), user=by,
                 detail=f"{name}, lasts {valid_months} months")
    return course


@transactional
def record_completion(course: m.TrainingCourse, completed_on: dt.date | None, by: m.User, *,
                      user: m.User | None = None, person_name: str | None = None,
                      organisation: str | None = None) -> m.TrainingCompletion:
    """Record that a user, or a person of an organisation, completed `course` on a day."""
    if not can(by, "manage_training"):
        raise PartnershipRefused("Only programme managers and administrators record training")
    person_name = (person_name or "").strip() or None
    organisation = (organisation or "").strip() or None
    problems = []
    if user is not None and person_name:
        problems.append("Choose a user or enter a person's name, not both")
    elif user is None and not (person_name and organisation):
        problems.append("Choose the user who completed the course, or enter the person's name "
                        "and organisation")
    if completed_on is None:
        problems.append("Enter the date the course was completed")
    elif completed_on > clock.today():
        problems.append("The date completed must be today or in the past")
    if problems:
        raise PartnershipRefused("; ".join(problems))
    row = m.TrainingCompletion(course_id=course.id, user_id=user.id if user else None,
                               person_name=None if user else person_name,
                               organisation=None if user else organisation,
                               completed_on=completed_on, recorded_by_id=by.id)
    db.session.add(row)
    db.session.flush()
    who = user.name if user else f"{person_name} ({organisation})"
    record_event("create", "training_completion", str(row.id), user=by,
                 detail=f"{who} completed {course.name} on {completed_on}")
    return row


def expires_on(row: m.TrainingCompletion) -> dt.date:
    return rules.expires_on(row.completed_on, row.course.valid_months)


def _completions_of(user_id: int | None = None, name: str | None = None,
                    organisation: str | None = None) -> list[rules.Completion]:
    """A user's completions, or a named person's of an organisation (matched on the name and
    organisation as written, ignoring case and spacing)."""
    C, T = m.TrainingCompletion, m.TrainingCourse
    query = select(T.name, C.completed_on, T.valid_months, C.person_name, C.organisation).join(
        T, C.course_id == T.id)
    if user_id is not None:
        found = db.session.execute(query.where(C.user_id == user_id)).all()
    else:
        found = [r for r in db.session.execute(query.where(C.person_name.is_not(None))).all()
                 if _norm(r[3]) == _norm(name) and _norm(r[4]) == _norm(organisation)]
    return [rules.Completion(r[0], r[1], r[2]) for r in found]


def lead_training(on: dt.date, *, worker: m.User | None = None, contact: str | None = None,
                  agency: str | None = None) -> rules.TrainingStatus | None:
    """Whether the lead person named for first contact (a user, or a contact and their
    agency) is trained on `on`; None when nobody is named."""
    if worker is not None:
        return rules.status(worker.name, _completions_of(user_id=worker.id), on)
    if contact and contact.strip():
        name = f"{contact.strip()} ({(agency or '').strip()})"
        return rules.status(name, _completions_of(name=contact, organisation=agency), on)
    return None


def untrained(users: list[m.User], on: dt.date) -> list[rules.TrainingStatus]:
    """The warnings for those of `users` not trained for first contact on `on`."""
    found = [lead_training(on, worker=u) for u in users]
    return [s for s in found if s is not None and not s.trained]


# Match funding ---------------------------------------------------------------------------------


def contributions(programme: str) -> list[m.MatchContribution]:
    M = m.MatchContribution
    return list(db.session.scalars(select(M).where(M.programme == programme).order_by(
        M.financial_year, M.source_kind, M.source_name, M.id)))


def contribution_or_404(contribution_id: int) -> m.MatchContribution:
    return db.session.get(m.MatchContribution, contribution_id) or abort(404)


def _contribution_problems(programme, source_kind, source_name, financial_year,
                           pledged_pence, pledged_on) -> list[str]:
    problems = []
    if programme not in PROGRAMMES:
        problems.append("Choose the programme the money is for")
    if source_kind not in m.MATCH_SOURCE_KINDS:
        problems.append("Choose where the money comes from")
    if not source_name:
        problems.append("Enter the name of the school, partner, body or business")
    if financial_year is None or not 2000 <= financial_year <= 2100:
        problems.append("Enter the financial year, like 2013/14")
    if pledged_pence is None or pledged_pence <= 0:
        problems.append("Enter the amount pledged, more than £0")
    if pledged_on is None:
        problems.append("Enter the date it was pledged")
    elif pledged_on > clock.today():
        problems.append("The date pledged must be today or in the past")
    return problems


@transactional
def add_contribution(by: m.User, *, programme: str, source_kind: str, source_name: str,
                     financial_year: int | None, pledged_pence: int | None,
                     pledged_on: dt.date | None, notes: str | None = None
                     ) -> m.MatchContribution:
    """A programme manager records a pledge of match funding."""
    if not can(by, "manage_match_funding"):
        raise PartnershipRefused("Only programme managers record match funding")
    source_name = (source_name or "").strip()
    problems = _contribution_problems(programme, source_kind, source_name, financial_year,
                                      pledged_pence, pledged_on)
    if problems:
        raise PartnershipRefused("; ".join(problems))
    row = m.MatchContribution(programme=programme, source_kind=source_kind,
                              source_name=source_name, financial_year=financial_year,
                              pledged_pence=pledged_pence, pledged_on=pledged_on,
                              received_pence=0, notes=(notes or "").strip() or None,
                              recorded_by_id=by.id)
    db.session.add(row)
    db.session.flush()
    record_event("create", "match_contribution", str(row.id), user=by,
                 detail=f"{m.MATCH_SOURCE_KINDS[source_kind]} {source_name}: "
                        f"£{pledged_pence / 100:,.2f} pledged for {financial_year}/"
                        f"{(financial_year + 1) % 100:02d}")
    return row


@transactional
def record_received(row: m.MatchContribution, received_pence: int | None,
                    received_on: dt.date | None, by: m.User) -> None:
    """The total received so far of a pledge, and the day of the latest money."""
    if not can(by, "manage_match_funding"):
        raise PartnershipRefused("Only programme managers record match funding")
    problems = []
    if received_pence is None or received_pence < 0:
        problems.append("Enter the total received so far, £0 or more")
    if received_on is None:
        problems.append("Enter the date the money was received")
    elif received_on > clock.today():
        problems.append("The date received must be today or in the past")
    elif received_on < row.pledged_on:
        problems.append(f"The date received must be on or after the pledge, "
                        f"{govdate(row.pledged_on)}")
    if problems:
        raise PartnershipRefused("; ".join(problems))
    before = {"received_pence": row.received_pence, "received_on": row.received_on}
    row.received_pence, row.received_on = received_pence, received_on
    changed = write_history("match_contribution", str(row.id), before,
                            {"received_pence": received_pence, "received_on": received_on}, by)
    if changed:
        record_event("update", "match_contribution", str(row.id), user=by,
                     detail=f"£{received_pence / 100:,.2f} received by {received_on}")
