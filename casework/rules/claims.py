"""Which results a new claim may be made for (docs/rules.md, "Payments and claims")."""

from __future__ import annotations

import dataclasses
import datetime as dt

from .dates import fmt
from .engine import MET
from .evidence import Evaluation
from .ruleset import CLAIMABLE_RESULTS, PROGRAMME_LABELS, TURN_AROUND_RESULTS, Ruleset


@dataclasses.dataclass(frozen=True, slots=True)
class PriorClaim:
    """A claim already recorded for the family (any state but rejected)."""

    result: str
    amount: int


@dataclasses.dataclass(frozen=True, slots=True)
class Claimable:
    result: str
    amount: int


def attachment_bars(rules: Ruleset, attached_on: dt.date | None, as_of: dt.date) -> str | None:
    """Why nothing at all is claimable under the ruleset at as_of for a family attached on
    attached_on, or None when its attachment and the claim date allow a claim:

    - nothing before the family is attached (attached_on <= as_of);
    - nothing for a family attached before the programme's first payment date (it belongs to
      the earlier programme), nor outside its first and last attachment dates (a 2025
      attachment is never paid as phase1's "year 3");
    - no claim dated before the programme's first payment date.
    """
    # The programme by the name its users know ("Troubled Families 2012-15"), not the
    # ruleset's ("phase1"): these words are read on the family page.
    programme = PROGRAMME_LABELS.get(rules.name, rules.name)
    if attached_on is None:
        return "The family has no attachment date: nothing is claimable before attachment"
    if attached_on > as_of:
        return (f"The family is attached on {fmt(attached_on)}, after {fmt(as_of)}: nothing is "
                "claimable before attachment")
    if rules.programme_year(attached_on) is None or attached_on < rules.first_attachment:
        first = max(rules.first_attachment, rules.programme_year_starts[0])
        return (f"Attached on {fmt(attached_on)}, before {programme} took its first families on "
                f"{fmt(first)}: it belongs to an earlier programme, nothing is claimable under "
                f"{programme}")
    if rules.last_attachment is not None and attached_on > rules.last_attachment:
        return (f"Attached on {fmt(attached_on)}, after {programme} took its last families on "
                f"{fmt(rules.last_attachment)}: nothing is claimable under {programme}")
    if rules.programme_year(as_of) is None:
        return (f"No claim under {programme} may be dated before its first payment date, "
                f"{fmt(rules.programme_year_starts[0])}")
    return None


def claimable(
    evaluation: Evaluation, prior: list[PriorClaim], rules: Ruleset
) -> list[Claimable]:
    """Return, in contract order, the results a claim dated evaluation.as_of may be made for."""
    attached_on = evaluation.attached_on
    if not evaluation.identification.eligible:
        return []
    if attachment_bars(rules, attached_on, evaluation.as_of) is not None:
        return []  # not attached by then, attached outside the programme, or claimed too early
    fee = rules.attachment_fee(attached_on)
    if fee is None:
        return []
    claimed = {c.result for c in prior}
    # Fee plus results never pass the per-family maximum, whatever order claims came in.
    room = rules.max_payment_per_family - fee - sum(c.amount for c in prior)
    out = []
    for result in CLAIMABLE_RESULTS:
        if evaluation.status(result) != MET:
            continue
        amount = rules.result_amount(result, attached_on)
        if amount is None:
            continue
        if result in TURN_AROUND_RESULTS and claimed & set(TURN_AROUND_RESULTS):
            continue
        if result == "progress_to_work" and claimed & {"progress_to_work", "continuous_employment"}:
            continue
        if result == "continuous_employment":
            amount -= sum(c.amount for c in prior if c.result == "progress_to_work")
        amount = min(amount, room)
        if amount <= 0:
            continue
        out.append(Claimable(result, amount))
    return out


def build_order(
    evaluation: Evaluation, prior: list[PriorClaim], rules: Ruleset
) -> list[Claimable]:
    """Return the claims `claims build` creates: each still claimable after those before it."""
    made: list[Claimable] = []
    for candidate in claimable(evaluation, prior, rules):
        now = claimable(evaluation, prior + [PriorClaim(c.result, c.amount) for c in made], rules)
        if any(c.result == candidate.result for c in now):
            made.append(next(c for c in now if c.result == candidate.result))
    return made
