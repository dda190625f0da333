"""Results claims under a later programme: one a family, with the evidence, the needs and
the Outcome Plan frozen when the claim is drafted."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from collections.abc import Callable

from sqlalchemy import select

from .. import models as m
from ..evidence.kinds import EVIDENCE
from ..extensions import db
from ..outcomes.service import (
    OUTCOME_RULESETS,
    OutcomeFamilyEvaluation,
    council_plan,
    evaluate_outcome_families,
    example_text,
    frame,
    is_example,
    prior_claims,
)
from ..rules.outcomes import outcome_claimable
from ..rules.plan import PlanError
from ..rules.ruleset import RULESETS
from .service import (
    drafted,
    evidence,
    family_record,
    iso,
    locked_for_claims,
    reporting,
    save_drafts,
)
from .service import frozen as frozen_kinds

# The worked examples shipped with casework: a council that has not loaded its own Outcome
# Plan claims under one, and every page and file about such claims says so.

@functools.cache
def example_plans() -> frozenset[str]:
    """The SHA-256s of the worked-example Outcome Plans shipped with casework (a plan's
    SHA-256 is that of its text, as frozen into each claim)."""
    return frozenset(hashlib.sha256(example_text(name).encode("utf-8")).hexdigest()
                     for name in OUTCOME_RULESETS)


def example_in_force(ruleset: str) -> bool:
    """Whether the ruleset's Outcome Plan in force is the worked example shipped with
    casework: no plan of the council's loaded, or the example's very text loaded as one. A
    plan that no longer passes its checks is not the example: its build fails saying why."""
    try:
        plan = council_plan(ruleset)
        return is_example(plan) or plan.sha256 in example_plans()
    except (PlanError, ValueError):  # unreadable, or not a later programme: no warning here
        return False


def example_warnings(rulesets) -> list[str]:
    """A warning for each of these rulesets whose Outcome Plan in force is the worked
    example: claims built under it now would be made under the example's needs."""
    from ..reports.claim_evidence import programme_label

    return [f"The Outcome Plan in force for {programme_label(name)} is the worked example "
            "shipped with casework: the council has not loaded its own. Claims built under it now are "
            "made on the example's needs and indicators; an administrator loads the council's "
            "plan on the Outcome Plans page."
            for name in rulesets if name in OUTCOME_RULESETS and example_in_force(name)]


def example_claims_warning(claims, *, one: bool = False) -> str | None:
    """A warning when any of these claims (`one`: this claim) was made under a
    worked-example Outcome Plan; None when none was."""
    from ..reports.claim_evidence import programme_label

    examples = example_plans()
    on_example = [c for c in claims
                  if ((c.snapshot or {}).get("outcome_plan") or {}).get("sha256") in examples]
    if not on_example:
        return None
    programmes = ", ".join(sorted({programme_label(c.ruleset) for c in on_example}))
    n = len(on_example)
    who = ("This claim was" if one else f"{n} of these claims {'was' if n == 1 else 'were'}")
    return (f"{who} made under the worked-example Outcome Plan shipped with casework "
            f"({programmes}), not an Outcome Plan the council loaded.")


def waiting_example_warning() -> str | None:
    """The warning for the batch about to be submitted, when a validated claim waiting for
    a batch was made under a worked-example Outcome Plan."""
    waiting = list(db.session.scalars(select(m.Claim).where(
        m.Claim.state == "validated", m.Claim.batch_id.is_(None),
        m.Claim.ruleset.in_(OUTCOME_RULESETS))))
    return example_claims_warning(waiting)


def snapshot(item: OutcomeFamilyEvaluation, family: m.Family) -> dict:
    """Everything that made the family's outcome (or employment) met, as it stood."""
    e, ev = item.evaluation, item.evidence
    rules = RULESETS[e.ruleset]
    outcome_reason = "; ".join(f"{r.need.ref} {r.status.replace('_', ' ')}" for r in e.needs)
    results = {"family_outcome": {
        "value": e.family_outcome, "reason": f"Every need must be met: {outcome_reason}",
        "evidence": [r.need.ref for r in e.needs]}}
    if e.continuous_employment is not None:
        f = e.continuous_employment
        results["continuous_employment"] = {"value": f.value, "reason": f.reason,
                                            "evidence": list(f.evidence)}
    frozen = evidence(item.data)
    frozen.update(frozen_kinds(ev, [k for k in EVIDENCE if k.rules.later]))
    frozen.update({
        "needs": sorted([{"ref": n.ref, "problem": n.problem, "indicator": n.indicator,
                          "person_ref": n.person_ref, "identified_on": n.identified_on.isoformat()}
                         for n in ev.needs], key=lambda r: r["ref"]),
        "assessments": sorted([{"ref": a.ref, "need_ref": a.need_ref, "date": a.date.isoformat(),
                                "outcome": a.outcome, "assessed_by": a.assessed_by,
                                "note": a.note} for a in ev.assessments],
                              key=lambda r: r["ref"]),
        "discretions": sorted([{"ref": f"{d.need_ref}/{d.approved_on.isoformat()}",
                                "need_ref": d.need_ref, "approved_on": d.approved_on.isoformat(),
                                "approved_by": d.approved_by, "reason": d.reason}
                               for d in ev.discretions], key=lambda r: r["ref"]),
    })
    return {
        "family": {**family_record(family), "closed_on": iso(family.closed_on)},
        "as_of": e.as_of.isoformat(),
        "outcome_plan": e.plan,
        "eligible": {"value": e.eligible, "problems": list(e.problems),
                     "reason": e.eligibility_reason},
        "needs": [{"need_ref": r.need.ref, "problem": r.need.problem,
                   "indicator": r.need.indicator, "person_ref": r.need.person_ref,
                   "identified_on": r.need.identified_on.isoformat(), "status": r.status,
                   "sustained_from": iso(r.sustained_from),
                   "claimable_from": iso(r.claimable_from), "reason": r.reason,
                   "evidence": list(r.evidence), "discretion": r.discretion}
                  for r in e.needs],
        "family_outcome": e.family_outcome,
        "results": results,
        "evidence": frozen,
        "ruleset": {"name": rules.name, "parameters": rules.parameters()},
    }


def today_snapshot(claim: m.Claim) -> dict:
    """The claim's family evaluated again on today's records, at the claim's date."""
    item = next(evaluate_outcome_families(claim.as_of, [claim.family_id], claim.ruleset))
    return snapshot(item, claim.family)


def build_outcome_claims(as_of: dt.date, by: m.User | None, ruleset: str,
                         progress: Callable[[int, int, str], None] | None = None,
                         saved: Callable[[list[m.Claim]], None] | None = None,
                         failed: list[tuple[int, str, str]] | None = None
                         ) -> list[m.Claim]:
    """Draft one results claim for each family whose outcome (or employment) is met and
    that has none yet under the ruleset; the first of its claimable list. `failed`: as
    build_claims."""
    rules = frame(ruleset)
    ids = list(db.session.scalars(select(m.Family.id).order_by(m.Family.family_ref)))
    evaluated = evaluate_outcome_families(as_of, ids, ruleset, failed=failed)
    if progress is not None:
        evaluated = reporting(evaluated, progress)
    candidates = [item for item in evaluated if item.claimable]
    if not candidates:
        return []
    families, prior = locked_for_claims([item.family_id for item in candidates],
                                         lambda part: prior_claims(part, ruleset))
    def drafts(item) -> list[m.Claim]:
        still = outcome_claimable(item.evaluation, prior.get(item.family_id, []), rules)
        if not still:
            return []
        family, claim = families[item.family_id], still[0]
        return [m.Claim(
            family_id=family.id, result=claim.result, claim_kind=ruleset, amount=claim.amount,
            programme_year=rules.programme_year(item.evaluation.attached_on), as_of=as_of,
            state="draft", ruleset=ruleset, snapshot=snapshot(item, family),
            created_by_id=by.id if by else None,
        )]

    created = [claim for item in candidates for claim in drafted(item, drafts, ruleset, failed)]
    save_drafts(created, by, lambda c: (
        f"{families[c.family_id].family_ref} {ruleset} {c.result} £{c.amount}, "
        f"plan {c.snapshot['outcome_plan']['version']}"), saved)
    return created
