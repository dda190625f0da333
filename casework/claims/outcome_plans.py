"""Results claims under a later programme: one a family, with the evidence, the needs and
the Outcome Plan frozen when the claim is drafted."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlalchemy import select

from .. import models as m
from ..extensions import db
from ..locking import lock_rows
from ..outcomes.service import (
    OutcomeFamilyEvaluation,
    evaluate_outcome_families,
    frame,
    prior_claims,
)
from ..rules.outcomes import outcome_claimable
from ..rules.ruleset import RULESETS
from .service import _families, _iso, _reporting, evidence, family_record, save_drafts


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
    frozen.update({
        "domestic_abuse": sorted([{"ref": d.ref, "date": d.date.isoformat(),
                                   "person_ref": d.person_ref} for d in ev.domestic_abuse],
                                 key=lambda r: r["ref"]),
        "child_status": sorted([{"ref": s.ref, "person_ref": s.person_ref, "status": s.status,
                                 "start": s.start.isoformat(), "end": _iso(s.end)}
                                for s in ev.child_status], key=lambda r: r["ref"]),
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
        "family": {**family_record(family), "closed_on": _iso(family.closed_on)},
        "as_of": e.as_of.isoformat(),
        "outcome_plan": e.plan,
        "eligible": {"value": e.eligible, "problems": list(e.problems),
                     "reason": e.eligibility_reason},
        "needs": [{"need_ref": r.need.ref, "problem": r.need.problem,
                   "indicator": r.need.indicator, "person_ref": r.need.person_ref,
                   "identified_on": r.need.identified_on.isoformat(), "status": r.status,
                   "sustained_from": _iso(r.sustained_from),
                   "claimable_from": _iso(r.claimable_from), "reason": r.reason,
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
                         progress: Callable[[int, int, str], None] | None = None
                         ) -> list[m.Claim]:
    """Draft one results claim for each family whose outcome (or employment) is met and
    that has none yet under the ruleset; the first of its claimable list."""
    rules = frame(ruleset)
    ids = list(db.session.scalars(select(m.Family.id).order_by(m.Family.family_ref)))
    evaluated = evaluate_outcome_families(as_of, ids, ruleset)
    if progress is not None:
        evaluated = _reporting(evaluated, progress)
    candidates = [item for item in evaluated if item.claimable]
    if not candidates:
        return []
    ids = [item.family_id for item in candidates]
    lock_rows((m.Family, ids))
    families = {f.id: f for f in _families(ids)}
    prior = {}
    for i in range(0, len(ids), 900):
        prior.update(prior_claims(ids[i : i + 900], ruleset))
    created = []
    for item in candidates:
        still = outcome_claimable(item.evaluation, prior.get(item.family_id, []), rules)
        if not still:
            continue
        family, claim = families[item.family_id], still[0]
        created.append(m.Claim(
            family_id=family.id, result=claim.result, claim_kind=ruleset, amount=claim.amount,
            programme_year=rules.programme_year(item.evaluation.attached_on), as_of=as_of,
            state="draft", ruleset=ruleset, snapshot=snapshot(item, family),
            created_by_id=by.id if by else None,
        ))
    save_drafts(created, by, lambda c: (
        f"{families[c.family_id].family_ref} {ruleset} {c.result} £{c.amount}, "
        f"plan {c.snapshot['outcome_plan']['version']}"))
    return created
