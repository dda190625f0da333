"""Referrals between agencies: send, accept or decline, record the outcome; the lists.

A referral is sent by someone who writes the family's plan (access.may_send_referral) to a
partner organisation and perhaps one of its practitioners. A practitioner of that
organisation (the named one, if any) accepts or declines it with a reason, and records its
outcome. Who sees which referral is access.visible_referrals. A referral is overdue when it
has no outcome after its due date: it is then on the sender's and the receiver's task lists.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import or_, select

from .. import clock
from .. import models as m
from ..access import (
    may_send_referral,
    receives_referral,
    referral_of_an_open_case,
    referrals_sent_or_received,
    visible_referrals,
)
from ..audit import record_event
from ..extensions import db
from ..history import write_history
from ..rules.dates import govdate
from ..transaction import transactional

OPEN = ("made", "accepted")  # no outcome yet
MAX_TEXT = 2000


# What else happens when a referral is accepted, in the same transaction: casework/partners
# registers the practitioner joining the family's Team Around the Family (it imports this
# area, so this one never imports it).
ACCEPTED: list = []


def on_accepted(handler):
    """Register handler(referral, by, today), run inside accept's transaction."""
    ACCEPTED.append(handler)
    return handler


class ReferralRefused(Exception):
    """A referral refused: `problems` are (form field, message) pairs, every one at once."""

    def __init__(self, problems: list[tuple[str, str]]):
        super().__init__("; ".join(text for _, text in problems))
        self.problems = problems


def ref(referral: m.Referral) -> str:
    """How the audit log names a referral: the family's reference and its id (its history,
    as the plan's referrals': the id, with the family's reference)."""
    return f"{referral.family.family_ref}/{referral.id}"


def _fields(r: m.Referral) -> dict:
    return {"organisation": r.organisation.name if r.organisation else r.agency,
            "practitioner": r.practitioner.name if r.practitioner else None,
            "person_ref": r.person_ref, "kind": r.kind, "reason": r.reason,
            "may_share": r.may_share, "due_on": r.due_on, "status": r.status,
            "status_on": r.status_on, "decline_reason": r.decline_reason,
            "outcome": r.outcome}


def organisations() -> list[m.PartnerOrganisation]:
    """The organisations a referral may be sent to, by name."""
    return list(db.session.scalars(select(m.PartnerOrganisation)
                                   .order_by(m.PartnerOrganisation.name)))


def practitioners() -> list[m.User]:
    """The active partner practitioners, by organisation and name."""
    return list(db.session.scalars(
        select(m.User).join(m.PartnerOrganisation, m.User.organisation_id ==
                            m.PartnerOrganisation.id)
        .where(m.User.role == "partner", m.User.active.is_(True))
        .order_by(m.PartnerOrganisation.name, m.User.name)))


def _text(value: str | None) -> str:
    return (value or "").strip()


@transactional
def send(family: m.Family, by: m.User, *, organisation_id: int | None,
         practitioner_id: int | None, person_ref: str | None, kind: str | None,
         reason: str | None, may_share: str | None, due_on: dt.date | None,
         today: dt.date | None = None) -> m.Referral:
    """Send a referral of the family (or one of its people) to a partner organisation."""
    today = today or clock.today()
    if not may_send_referral(by, family):
        raise ReferralRefused([("organisation", "Only the family's FIP worker or their team lead "
                                                "sends its referrals")])
    problems = []
    organisation = db.session.get(m.PartnerOrganisation, organisation_id) if organisation_id \
        else None
    if organisation is None:
        problems.append(("organisation", "Select the organisation to refer to"))
    practitioner = None
    if practitioner_id:
        practitioner = db.session.get(m.User, practitioner_id)
        if (practitioner is None or practitioner.role != "partner" or not practitioner.active
                or organisation is None or practitioner.organisation_id != organisation.id):
            problems.append(("practitioner", "Select a practitioner of the organisation "
                                             "referred to, or nobody in particular"))
            practitioner = None
    person_ref = _text(person_ref) or None
    if person_ref and person_ref not in {p.person_ref for p in family.people}:
        problems.append(("person_ref", f"{person_ref} is not one of the family's people"))
    if kind not in m.REFERRAL_KINDS:
        problems.append(("kind", "Select the need the referral answers"))
    reason, may_share = _text(reason), _text(may_share)
    if not reason:
        problems.append(("reason", "Enter the reason for the referral"))
    elif len(reason) > MAX_TEXT:
        problems.append(("reason", "Keep the reason to 2,000 characters"))
    if not may_share:
        problems.append(("may_share", "Say what may be shared with the organisation"))
    elif len(may_share) > MAX_TEXT:
        problems.append(("may_share", "Keep what may be shared to 2,000 characters"))
    if due_on is None:
        problems.append(("due_on", "Enter the date the referral is due"))
    elif due_on < today:
        problems.append(("due_on", "The due date must be today or later"))
    if problems:
        raise ReferralRefused(problems)
    referral = m.Referral(
        family_id=family.id, person_ref=person_ref, kind=kind, agency=organisation.name,
        status="made", referred_on=today, status_on=today, created_by_id=by.id,
        organisation_id=organisation.id, practitioner_id=practitioner.id if practitioner else None,
        reason=reason, may_share=may_share, due_on=due_on,
        episode_id=open_episode_id(family.id))
    db.session.add(referral)
    db.session.flush()
    db.session.refresh(referral)
    write_history("referral", str(referral.id), {}, _fields(referral), by,
                  f"referred to {organisation.name}", family.family_ref)
    record_event("create", "referral", ref(referral), user=by,
                 detail=f"to {organisation.name}"
                        + (f" ({practitioner.email})" if practitioner else "")
                        + f": {m.REFERRAL_KINDS[kind]}, due {due_on.isoformat()}")
    return referral


def _answer_check(referral: m.Referral, by: m.User, status: str) -> None:
    if not receives_referral(by, referral):
        raise ReferralRefused([("decision", "Only a practitioner of the organisation it was "
                                            "sent to answers a referral")])
    if referral.status != status:
        raise ReferralRefused([("decision", f"The referral is already "
                                            f"{m.REFERRAL_STATUSES[referral.status].lower()}")])


def _change(referral: m.Referral, by: m.User, how: str, detail: str, **values) -> None:
    before = _fields(referral)
    for key, value in values.items():
        setattr(referral, key, value)
    write_history("referral", str(referral.id), before, _fields(referral), by, how,
                  referral.family.family_ref)
    record_event("update", "referral", ref(referral), user=by, detail=detail)


@transactional
def accept(referral: m.Referral, by: m.User, today: dt.date | None = None) -> None:
    """The receiving practitioner accepts the referral; from then they work with the family:
    they join its Team Around the Family (casework/partners, registered in ACCEPTED)."""
    today = today or clock.today()
    _answer_check(referral, by, "made")
    _change(referral, by, "referral accepted", f"accepted by {by.email}", status="accepted",
            status_on=today, decided_by_id=by.id, practitioner_id=referral.practitioner_id
            or by.id)
    for handler in ACCEPTED:
        handler(referral, by, today)


@transactional
def decline(referral: m.Referral, by: m.User, reason: str | None,
            today: dt.date | None = None) -> None:
    today = today or clock.today()
    _answer_check(referral, by, "made")
    reason = _text(reason)
    if not reason:
        raise ReferralRefused([("decline_reason", "Enter the reason the referral is declined")])
    _change(referral, by, "referral declined", f"declined by {by.email}: {reason[:200]}",
            status="declined", status_on=today, decided_by_id=by.id, decline_reason=reason)


@transactional
def record_outcome(referral: m.Referral, by: m.User, outcome: str | None,
                   today: dt.date | None = None) -> None:
    """The receiving practitioner records what came of an accepted referral: completed."""
    today = today or clock.today()
    _answer_check(referral, by, "accepted")
    outcome = _text(outcome)
    if not outcome:
        raise ReferralRefused([("outcome", "Enter the referral's outcome")])
    _change(referral, by, "referral outcome recorded", f"outcome by {by.email}",
            status="completed", status_on=today, outcome=outcome[:MAX_TEXT])


# Lists ----------------------------------------------------------------------------------------


def open_episode_id(family_id: int) -> int | None:
    """The family's open episode, which a referral made now belongs to (None while it has
    none: the next episode it signs up for adopts it, casework.episodes.adopt_referrals)."""
    return db.session.scalar(select(m.Episode.id).where(m.Episode.family_id == family_id,
                                                        m.Episode.closed_on.is_(None)))


def of_current_episode(family_id: int):
    """SQL: the family's referrals on its lists now: its latest episode's (open, or the last
    one closed) and those made since, while it has none open. An earlier episode's are on
    the episode history (`of_earlier_episodes`)."""
    R, E = m.Referral, m.Episode
    latest = (select(E.id).where(E.family_id == family_id)
              .order_by(E.signed_up_on.desc(), E.id.desc()).limit(1).scalar_subquery())
    return or_(R.episode_id.is_(None), R.episode_id == latest)


def of_family(user: m.User, family: m.Family) -> list[m.Referral]:
    """The family's referrals between agencies of its current episode that `user` may see,
    the latest first."""
    return list(db.session.scalars(visible_referrals(user).where(
        m.Referral.family_id == family.id, of_current_episode(family.id))
        .order_by(m.Referral.referred_on.desc(), m.Referral.id.desc())))


def on_plan(user: m.User, family: m.Family) -> list[m.Referral]:
    """The family's one list of referrals, as the plan and the family page show it: those
    sent to a partner organisation through casework that `user` may see (their page, where
    the partner accepts or declines) and those noted on the plan (made outside casework,
    their status kept by the family's worker), of its current episode, the latest first.
    Asked of a family the user may see (access.get_family_or_404 first)."""
    R = m.Referral
    sent = visible_referrals(user).with_only_columns(R.id).where(R.family_id == family.id)
    return list(db.session.scalars(select(R).where(
        R.family_id == family.id, of_current_episode(family.id),
        or_(R.organisation_id.is_(None), R.id.in_(sent)))
        .order_by(R.referred_on.desc(), R.id.desc())))


def of_earlier_episodes(family: m.Family) -> list[tuple[m.Episode, list[m.Referral]]]:
    """The family's earlier episodes (all but the latest), the latest first, each with its
    referrals (sent to an organisation or noted on the plan): the family page's episode
    history, for those who see the family's page."""
    E, R = m.Episode, m.Referral
    episodes = list(db.session.scalars(select(E).where(E.family_id == family.id)
                                       .order_by(E.signed_up_on.desc(), E.id.desc())))[1:]
    if not episodes:
        return []
    found: dict[int, list[m.Referral]] = {e.id: [] for e in episodes}
    for r in db.session.scalars(select(R).where(R.episode_id.in_(list(found)))
                                .order_by(R.referred_on.desc(), R.id.desc())):
        found[r.episode_id].append(r)
    return [(e, found[e.id]) for e in episodes if found[e.id]]


def listed(user: m.User) -> list[m.Referral]:
    """The referrals `user` sent (staff) or that were sent to them (a partner), open ones
    first, then the latest first."""
    rows = list(db.session.scalars(referrals_sent_or_received(user).order_by(
        m.Referral.referred_on.desc(), m.Referral.id.desc())))
    return sorted(rows, key=lambda r: r.status not in OPEN)


def overdue(user: m.User, today: dt.date | None = None) -> list[m.Referral]:
    """The referrals `user` sent or received with no outcome after their due date, the most
    overdue first: the sender's and the receiver's task lists. A referral of a case since
    closed waits for nobody: the organisation no longer sees it."""
    today = today or clock.today()
    R = m.Referral
    return list(db.session.scalars(referrals_sent_or_received(user).where(
        R.status.in_(OPEN), R.due_on < today, *referral_of_an_open_case())
        .order_by(R.due_on, R.id)))


def is_overdue(referral: m.Referral, today: dt.date | None = None) -> bool:
    today = today or clock.today()
    return referral.status in OPEN and referral.due_on is not None and referral.due_on < today


def due_words(referral: m.Referral, today: dt.date | None = None) -> str:
    if referral.due_on is None:
        return ""
    return govdate(referral.due_on) + (", overdue" if is_overdue(referral, today) else "")
