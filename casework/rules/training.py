"""Training for initial contact: when a completed course expires, and whether a lead person
is trained on a day. Pure: dates in, an answer and the words that explain it out."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable

from .dates import govdate, months_after


def expires_on(completed_on: dt.date, valid_months: int) -> dt.date:
    """The first day a completion no longer counts: `valid_months` calendar months after it
    was completed (the day clamped to the month's end). Completed on 2013-01-31 for 1 month:
    it counts to 2013-02-27 and expires on 2013-02-28."""
    return months_after(completed_on, valid_months)


def current_on(completed_on: dt.date, valid_months: int, on: dt.date) -> bool:
    """Does a completion count on `on`: completed on or before it, and not yet expired."""
    return completed_on <= on < expires_on(completed_on, valid_months)


@dataclasses.dataclass(frozen=True)
class Completion:
    course: str
    completed_on: dt.date
    valid_months: int

    @property
    def expires_on(self) -> dt.date:
        return expires_on(self.completed_on, self.valid_months)


@dataclasses.dataclass(frozen=True)
class TrainingStatus:
    trained: bool
    message: str  # why: the course and its expiry, or what is missing
    latest: Completion | None = None


def status(name: str, completions: Iterable[Completion], on: dt.date) -> TrainingStatus:
    """Is `name` trained for first contact on `on`: any completion current then. The message
    names the course that counts, or warns that there is none (never trained, or expired)."""
    done = sorted((c for c in completions if c.completed_on <= on),
                  key=lambda c: c.expires_on, reverse=True)
    if not done:
        return TrainingStatus(False, f"{name} has no record of first contact training")
    latest = done[0]
    if current_on(latest.completed_on, latest.valid_months, on):
        return TrainingStatus(True, f"{name} completed {latest.course} on "
                                    f"{govdate(latest.completed_on)}; it expires on "
                                    f"{govdate(latest.expires_on)}", latest)
    return TrainingStatus(False, f"{name}'s first contact training ({latest.course}) expired "
                                 f"on {govdate(latest.expires_on)}", latest)
