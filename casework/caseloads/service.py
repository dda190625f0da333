"""Allocation, transfer and closure of families; caseload counts against the limits."""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy import Row, func, select
from sqlalchemy.orm import selectinload

from .. import clock, episodes
from .. import models as m
from ..access import (
    allocated_to,
    may_allocate,
    open_allocation,
    visible_families,
)
from ..audit import record_event
from ..evaluation.service import current_ruleset
from ..extensions import db
from ..locking import lock_rows
from ..models import CLOSURE_OUTCOMES
from ..rules import Ruleset
from ..rules.caseload import LimitPassed, limits_passed
from ..rules.dates import govdate, months_before
from ..rules.wording import plural
from ..transaction import transactional

# A family with no contact for this many days is flagged (yellow, then red).
NO_CONTACT_DAYS = (14, 30)


class AllocationRefused(Exception):
    """A rule said no; the message says which and why."""


@dataclasses.dataclass(frozen=True)
class Caseload:
    worker: m.User
    active: int
    rolling: int
    max_active: int
    max_rolling: int
    spare_below: int

    @property
    def spare(self) -> bool:
        return self.active < self.spare_below

    @property
    def at_limit(self) -> bool:
        return self.active >= self.max_active or self.rolling >= self.max_rolling


def _active_counts(worker_ids: list[int]) -> dict[int, int]:
    """Open allocations per worker (workers with none are left out)."""
    A = m.Allocation
    return dict(db.session.execute(
        select(A.worker_id, func.count(A.id)).where(A.worker_id.in_(worker_ids), A.end_on.is_(None))
        .group_by(A.worker_id)).all())


def caseloads(workers: list[m.User], on: dt.date | None = None) -> list[Caseload]:
    """Each worker's caseload on `on`, in two queries whatever the number of workers."""
    rules = current_ruleset()
    on = on or clock.today()
    ids = [w.id for w in workers]
    A = m.Allocation
    active = _active_counts(ids)
    rolling = dict(db.session.execute(
        select(A.worker_id, func.count(func.distinct(A.family_id))).where(
            A.worker_id.in_(ids), A.start_on > months_before(on, rules.caseload_rolling_months),
            A.start_on <= on)
        .group_by(A.worker_id)).all())
    return [Caseload(w, active.get(w.id, 0), rolling.get(w.id, 0), rules.caseload_max_active,
                     rules.caseload_max_rolling, rules.caseload_spare_below) for w in workers]


def _rolling_families(worker_id: int, on: dt.date) -> set[int]:
    """Distinct families allocated to the worker in the rolling window up to `on`."""
    rules = current_ruleset()
    since = months_before(on, rules.caseload_rolling_months)
    return set(
        db.session.scalars(
            select(m.Allocation.family_id).where(
                m.Allocation.worker_id == worker_id,
                m.Allocation.start_on > since,
                m.Allocation.start_on <= on,
            )
        )
    )


def caseload(worker: m.User, on: dt.date | None = None) -> Caseload:
    return caseloads([worker], on)[0]


def _limit_message(passed: LimitPassed, on: dt.date, rules: Ruleset) -> str:
    if passed.limit == "active":
        return (f"{plural(passed.count, 'active family', 'active families')} "
                f"(limit {passed.maximum})")
    return (f"{plural(passed.count, 'family', 'families')} allocated in the "
            f"{rules.caseload_rolling_months} months to {govdate(on)} (limit {passed.maximum})")


@transactional
def allocate(
    family: m.Family,
    worker: m.User,
    on: dt.date,
    by: m.User | None,
    override_reason: str | None = None,
    reason: str | None = None,
    *,
    signing_up: bool = True,
    consent_by: str | None = None,
) -> m.Allocation:
    """Allocate (or transfer) a family to a worker, inside a locked transaction. A family
    not signed up is signed up in the same step, on the allocation date (`consent_by`: who
    gave consent), unless `signing_up` is false."""
    if by is not None and not may_allocate(by):
        raise AllocationRefused(f"{by.email} is a {by.role_label.lower()}: only team leads and "
                                "programme managers allocate families")
    family_id, worker_id = family.id, worker.id
    # Two allocations to one worker, or of one family, can never interleave.
    lock_rows((m.User, [worker_id]), (m.Family, [family_id]))
    return place(family_id, worker_id, on, by, override_reason, reason,
                 signing_up=signing_up, consent_by=consent_by)


def place(
    family_id: int,
    worker_id: int,
    on: dt.date,
    by: m.User | None,
    override_reason: str | None = None,
    reason: str | None = None,
    *,
    signing_up: bool = False,
    consent_by: str | None = None,
) -> m.Allocation:
    """Allocate (or transfer) a family in the caller's transaction, which already holds the
    lock on the worker and the family (see allocate); writes the allocation history and the
    audit row, commits nothing. Raises AllocationRefused, leaving the caller to roll back."""
    family = db.session.get(m.Family, family_id)
    worker = db.session.get(m.User, worker_id)
    if worker.role != "worker" or not worker.active:
        raise AllocationRefused(f"{worker.email} is not an active FIP worker")
    override_reason = (override_reason or "").strip() or None
    rules = current_ruleset()

    current = open_allocation(family)
    if current is not None and current.worker_id == worker_id:
        raise AllocationRefused(f"{family.family_ref} is already allocated to {worker.name}")
    if current is not None and on < current.start_on:
        raise AllocationRefused(
            f"{family.family_ref} was allocated on {govdate(current.start_on)}: a transfer "
            "cannot be dated before that"
        )
    problems = [_limit_message(passed, on, rules) for passed in limits_passed(
        _active_counts([worker_id]).get(worker_id, 0), _rolling_families(worker_id, on),
        family_id, rules)]
    if problems and not override_reason:
        raise AllocationRefused(
            f"{worker.name} already has " + " and ".join(problems)
            + ": give an override reason to allocate anyway"
        )
    if current is not None:
        current.end_on = on
        current.end_kind = "transfer"
        current.ended_by_id = by.id if by else None
        current.end_reason = reason or f"Transferred to {worker.name}"
        db.session.flush()  # free the one open allocation per family before the new one
    episode = episodes.open_episode_of(family_id)
    if episode is None:
        # Allocation is of a signed-up family: a lead may sign it up in the same step.
        if not signing_up:
            raise AllocationRefused(
                f"{family.family_ref} is not signed up: record its sign-up with consent "
                "first, or sign it up and allocate it in one step")
        try:
            episode = episodes.sign_up(family, on, by, "signed up and allocated in one step",
                                       consent_by=consent_by, lead_id=worker_id)
        except episodes.EpisodeRefused as refused:
            raise AllocationRefused(str(refused)) from None
    elif on < episode.signed_up_on:
        raise AllocationRefused(f"{family.family_ref} signed up on "
                                f"{govdate(episode.signed_up_on)}: an allocation cannot be "
                                "dated before that")
    episode.lead_id = worker_id
    allocation = m.Allocation(
        family_id=family_id, worker_id=worker_id, start_on=on, episode_id=episode.id,
        allocated_by_id=by.id if by else None, reason=reason,
        override_reason=override_reason if problems else None,
    )
    db.session.add(allocation)
    detail = f"to {worker.email} on {on}"
    if current is not None:
        detail += " (transfer)"
    if problems:
        detail += f"; over the limit ({'; '.join(problems)}), override: {override_reason}"
    record_event("transfer" if current else "allocate", "family", family.family_ref,
                 user=by, detail=detail)
    db.session.flush()
    return allocation


@transactional
def close(family: m.Family, on: dt.date, by: m.User, reason: str, outcome: str) -> m.Episode:
    """Close the family's case: its episode, with a reason and an outcome, and its
    allocation if it has one (freeing the worker's place)."""
    if outcome not in CLOSURE_OUTCOMES:
        raise AllocationRefused(f"Outcome must be one of {', '.join(CLOSURE_OUTCOMES)}")
    if not reason.strip():
        raise AllocationRefused("Enter the reason for closing the family's case")
    family_id = family.id
    lock_rows((m.Family, [family_id]))
    family = db.session.get(m.Family, family_id)
    current = open_allocation(family)
    if current is None and episodes.open_episode_of(family_id) is None:
        raise AllocationRefused(f"{family.family_ref} has no open case to close")
    if current is not None:
        if on < current.start_on:
            raise AllocationRefused(f"The case cannot close before it was allocated on "
                                    f"{govdate(current.start_on)}")
        current.end_on = on
        current.end_kind = "closure"
        current.ended_by_id = by.id
        current.end_reason = reason.strip()
        current.outcome = outcome
    try:
        # The later programmes sustain outcomes from the episode's closure.
        episode = episodes.close(family, on, by, outcome, reason.strip())
    except episodes.EpisodeRefused as refused:
        raise AllocationRefused(str(refused)) from None
    record_event("close", "family", family.family_ref, user=by,
                 detail=f"{CLOSURE_OUTCOMES[outcome]}: {reason.strip()[:300]}")
    return episode


# What the caseload screens show --------------------------------------------------------------


def held_by(worker: m.User) -> list[Row]:
    """(family, open allocation) for each family allocated to `worker` now, by reference."""
    return db.session.execute(allocated_to(worker).add_columns(m.Allocation)).all()


def last_contacts(family_ids: list[int]) -> dict[int, dt.datetime]:
    """When each family last had a final (not draft) contact; families with none are left out."""
    if not family_ids:
        return {}
    return dict(db.session.execute(
        select(m.Contact.family_id, func.max(m.Contact.contact_at))
        .where(m.Contact.family_id.in_(family_ids), m.Contact.status == "final")
        .group_by(m.Contact.family_id)
    ).all())


def next_actions(family_ids: list[int]) -> dict[int, m.FollowUp]:
    """Each family's open follow-up due soonest (undated ones last); families with none are
    left out."""
    actions: dict[int, m.FollowUp] = {}
    if not family_ids:
        return actions
    for action in db.session.scalars(
        select(m.FollowUp).where(m.FollowUp.family_id.in_(family_ids), m.FollowUp.done_on.is_(None))
        .order_by(m.FollowUp.due_on.is_(None), m.FollowUp.due_on, m.FollowUp.id)
    ):
        actions.setdefault(action.family_id, action)
    return actions


def allocated_seen_by(user: m.User) -> list[Row]:
    """(family, open allocation) for each allocated family `user` may see."""
    return db.session.execute(
        visible_families(user).add_columns(m.Allocation)
        .join(m.Allocation, m.Allocation.family_id == m.Family.id)
        .where(m.Allocation.end_on.is_(None))
        .options(selectinload(m.Allocation.worker))  # one query for the workers' names
    ).all()


def without_contact(rows: list[Row], now: dt.datetime) -> list[tuple]:
    """Of (family, open allocation) rows, those with no final contact for NO_CONTACT_DAYS[0]
    days or more (counting from the allocation when there has been none), longest first,
    each as (family, allocation, last contact or None, days)."""
    last = last_contacts([f.id for f, _ in rows])
    stale = []
    for family, allocation in rows:
        seen = last.get(family.id)
        days = (now - (seen or dt.datetime.combine(allocation.start_on, dt.time()))).days
        if days >= NO_CONTACT_DAYS[0]:
            stale.append((family, allocation, seen, days))
    stale.sort(key=lambda row: -row[3])
    return stale

