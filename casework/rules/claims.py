"""Which results a new claim may be made for: domain reference, section 5."""

from __future__ import annotations

import dataclasses

from .engine import MET
from .evidence import Evaluation
from .ruleset import CLAIMABLE_RESULTS, TURN_AROUND_RESULTS, Ruleset


@dataclasses.dataclass(frozen=True, slots=True)
class PriorClaim:
    """A claim already recorded for the family (any state but rejected)."""

    result: str
    amount: int


@dataclasses.dataclass(frozen=True, slots=True)
class Claimable:
    result: str
    amount: int


def claimable(
    evaluation: Evaluation, prior: list[PriorClaim], rules: Ruleset
) -> list[Claimable]:
    """Return, in contract order, the results a claim dated evaluation.as_of may be made for."""
    attached_on = evaluation.attached_on
    if not evaluation.identification.eligible or attached_on is None:
        return []
    fee = rules.attachment_fee(attached_on)
    if fee is None or rules.programme_year(evaluation.as_of) is None:
        return []  # attached, or claiming, before the programme began
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
