"""Payment-by-results claims: build from evaluations, audit, batch. Domain reference, section 5."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterator

from sqlalchemy import Select, event, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .. import models as m
from ..audit import record_event
from ..evaluation.service import (
    FamilyEvaluation,
    current_ruleset,
    evaluate_families,
    evaluate_family,
    prior_claims,
)
from ..extensions import db
from ..locking import lock_rows
from ..outcomes.service import OUTCOME_RULESETS
from ..rules import build_order
from ..rules.dates import TERM_ORDER
from ..rules.ruleset import TURN_AROUND_RESULTS

PHASE1_CLAIM_KINDS = ("turn_around", "progress_to_work")


class ClaimRefused(Exception):
    """A claim rule or the claim's lifecycle said no; the message says why."""


def claim_kind(result: str) -> str:
    """Phase 1's two kinds; a later programme's one results claim is of its ruleset's kind."""
    return "turn_around" if result in TURN_AROUND_RESULTS else "progress_to_work"


# The snapshot frozen into a claim -------------------------------------------------------------


def snapshot(item: FamilyEvaluation, family: m.Family) -> dict:
    """Everything that made the result met, as it stood when the claim was drafted."""
    rules = current_ruleset()
    e = item.evaluation
    data = item.data

    def finding(f):
        return {"value": f.value, "reason": f.reason, "evidence": list(f.evidence)}

    ident = e.identification
    return {
        "family": family_record(family),
        "as_of": e.as_of.isoformat(),
        "identification": {"date": ident.date.isoformat(), "screening": ident.screening,
                           "crime_asb": finding(ident.crime_asb), "education": finding(ident.education),
                           "work": finding(ident.work), "local_discretion": ident.local_discretion,
                           "eligible": ident.eligible},
        "results": {name: finding(f) for name, f in e.results.items()},
        "evidence": evidence(data),
        "ruleset": {"name": rules.name, "parameters": rules.parameters()},
    }


def family_record(family: m.Family) -> dict:
    return {"family_ref": family.family_ref, "family_name": family.family_name,
            "address": family.address, "postcode": family.postcode, "ward": family.ward,
            "identified_on": _iso(family.identified_on), "attached_on": _iso(family.attached_on),
            "local_discretion": family.local_discretion,
            "local_discretion_reason": family.local_discretion_reason}


def evidence(data) -> dict:
    """The phase 1 evidence rows of a family, as frozen into its claims."""
    return {
        "people": sorted([{"ref": p.ref, "date_of_birth": p.date_of_birth.isoformat()}
                          for p in data.people], key=lambda r: r["ref"]),
        "school_terms": sorted([
            {"ref": f"{t.person_ref}/{t.label}", "person_ref": t.person_ref, "term": t.label,
             "sessions_possible": t.sessions_possible,
             "sessions_unauthorised": t.sessions_unauthorised,
             "fixed_exclusions": t.fixed_exclusions, "permanent_exclusion": t.permanent_exclusion,
             "alternative_provision": t.alternative_provision, "on_roll": t.on_roll,
             "order": [t.person_ref, t.start_year, TERM_ORDER.index(t.term)]}
            for t in data.terms], key=lambda r: r["order"]),
        "asb": sorted([{"ref": a.ref, "date": a.date.isoformat(), "kind": a.kind,
                        "person_ref": a.person_ref} for a in data.asb], key=lambda r: r["ref"]),
        "offences": sorted([{"ref": o.ref, "date": o.date.isoformat(), "person_ref": o.person_ref,
                             "proven": o.proven} for o in data.offences], key=lambda r: r["ref"]),
        "work": sorted([{"ref": w.ref, "person_ref": w.person_ref, "kind": w.kind,
                         "benefit": w.benefit, "start": w.start.isoformat(), "end": _iso(w.end)}
                        for w in data.work], key=lambda r: r["ref"]),
    }


def _iso(d: dt.date | None) -> str | None:
    return d.isoformat() if d else None


@dataclasses.dataclass
class Difference:
    kind: str
    ref: str
    then: dict | None
    now: dict | None


def compare_with_today(claim: m.Claim) -> tuple[dict, list[Difference], str]:
    """Return (today's snapshot, differing evidence rows, today's status of the result)."""
    if claim.ruleset in OUTCOME_RULESETS:
        from ..outcomes.claims import today_snapshot

        today = today_snapshot(claim)
        status_now = today["results"][claim.result]["value"]
    else:
        now_item = evaluate_family(claim.family, claim.as_of)
        today = snapshot(now_item, claim.family)
        status_now = str(now_item.evaluation.status(claim.result))
    differences = []
    for kind, then_rows in claim.snapshot["evidence"].items():
        then_by_ref = {r["ref"]: r for r in then_rows}
        now_by_ref = {r["ref"]: r for r in today["evidence"].get(kind, [])}
        for ref in sorted(set(then_by_ref) | set(now_by_ref)):
            if then_by_ref.get(ref) != now_by_ref.get(ref):
                differences.append(Difference(kind, ref, then_by_ref.get(ref), now_by_ref.get(ref)))
    return today, differences, status_now


# Building claims ------------------------------------------------------------------------------


def build_claims(as_of: dt.date, by: m.User | None = None,
                 progress: Callable[[int, int, str], None] | None = None,
                 ruleset: str = "phase1") -> list[m.Claim]:
    """Create a draft claim for each result still claimable after those created before it
    (under a later programme's ruleset: one results claim a family).

    The evaluation is read first; then, holding a lock on the families concerned, each
    family's recorded claims are read again and the claims written, so two builds running
    at once can never pay for the same family twice (a unique index stands behind this).
    `progress`, if given, is told (families evaluated, families in all, what is being done).
    """
    if by is not None and by.role != "manager":
        raise ClaimRefused("only programme managers build claims")
    if ruleset in OUTCOME_RULESETS:
        from ..outcomes.claims import build_outcome_claims

        return build_outcome_claims(as_of, by, ruleset, progress)
    rules = current_ruleset()
    evaluated = evaluate_families(as_of)
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
        prior.update(prior_claims(ids[i : i + 900]))
    created = []
    for item in candidates:
        family = families[item.family_id]
        for claim in build_order(item.evaluation, prior.get(item.family_id, []), rules):
            created.append(m.Claim(
                family_id=family.id, result=claim.result, claim_kind=claim_kind(claim.result),
                amount=claim.amount, programme_year=rules.programme_year(item.evaluation.attached_on),
                as_of=as_of,
                state="draft", ruleset=rules.name, snapshot=snapshot(item, family),
                created_by_id=by.id if by else None,
            ))
    db.session.add_all(created)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise ClaimRefused("another claims build ran at the same time; run it again") from None
    for claim in created:
        record_event("create", "claim", f"{claim.id}", user=by,
                     detail=f"{families[claim.family_id].family_ref} {claim.result} £{claim.amount}")
    db.session.commit()
    return created


def _reporting(items: Iterator, progress: Callable[[int, int, str], None]
               ) -> Iterator:
    total = db.session.scalar(select(func.count()).select_from(m.Family))
    for n, item in enumerate(items, 1):
        progress(n, total, "families evaluated")
        yield item


def _families(ids: list[int]) -> list[m.Family]:
    out = []
    for i in range(0, len(ids), 900):
        out.extend(db.session.scalars(select(m.Family).where(m.Family.id.in_(ids[i : i + 900]))))
    return out


# Lifecycle ------------------------------------------------------------------------------------


def _decide(claim_id: int, by: m.User) -> m.Claim:
    if by.role != "auditor" or not by.active:
        raise ClaimRefused(f"{by.email} is not an internal auditor: only auditors validate or "
                           "reject claims")
    lock_rows((m.Claim, [claim_id]))
    claim = db.session.get(m.Claim, claim_id)
    if claim is None:
        db.session.rollback()
        raise ClaimRefused(f"no claim with id {claim_id}")
    if claim.state != "draft":
        db.session.rollback()
        raise ClaimRefused(f"claim {claim_id} is {claim.state}: only a draft can be validated "
                           "or rejected")
    return claim


def _history(claim: m.Claim, by: m.User | None, before: str, source: str) -> None:
    db.session.add(m.RecordHistory(
        record_type="claim", record_ref=str(claim.id), family_ref=claim.snapshot["family"]["family_ref"]
        if claim.snapshot else None, changed_by_id=by.id if by else None, source=source,
        before={"state": before}, after={"state": claim.state}))


def validate(claim_id: int, by: m.User) -> m.Claim:
    claim = _decide(claim_id, by)
    claim.state, claim.decided_by_id, claim.decided_at = "validated", by.id, m.utcnow()
    _history(claim, by, "draft", "validated by internal audit")
    record_event("validate", "claim", str(claim.id), user=by)
    db.session.commit()
    return claim


def reject(claim_id: int, by: m.User, reason: str) -> m.Claim:
    if not (reason or "").strip():
        raise ClaimRefused("give a reason for rejecting the claim")
    claim = _decide(claim_id, by)
    claim.state, claim.decided_by_id, claim.decided_at = "rejected", by.id, m.utcnow()
    claim.reject_reason = reason.strip()
    _history(claim, by, "draft", f"rejected: {reason.strip()}"[:300])
    record_event("reject", "claim", str(claim.id), user=by, detail=reason.strip()[:300])
    db.session.commit()
    return claim


def submit_batch(window: str, as_of: dt.date, by: m.User | None = None) -> m.ClaimBatch:
    """Put every validated claim not yet in a batch into a new, submitted batch."""
    if by is not None and by.role != "manager":
        raise ClaimRefused("only programme managers submit claim batches")
    window = (window or "").strip()
    if not window:
        raise ClaimRefused("give the claim window's label, for example 'July 2013'")
    lock_rows()  # SQLite: the write lock; PostgreSQL: the claims' row locks below
    claims = list(db.session.scalars(
        select(m.Claim).where(m.Claim.state == "validated", m.Claim.batch_id.is_(None))
        .order_by(m.Claim.id).with_for_update()))
    if not claims:
        db.session.rollback()
        raise ClaimRefused("there are no validated claims waiting for a batch")
    batch = m.ClaimBatch(window=window[:60], as_of=as_of, submitted_by_id=by.id if by else None)
    db.session.add(batch)
    db.session.flush()
    for claim in claims:
        claim.batch_id, claim.state = batch.id, "submitted"
        _history(claim, by, "validated", f"submitted in batch {batch.id} ({window})"[:300])
    record_event("submit", "claim_batch", str(batch.id), user=by,
                 detail=f"{window}: {len(claims)} claims, £{sum(c.amount for c in claims)}")
    db.session.commit()
    from ..jobs.service import start  # the PDF is laid out once, by the job worker
    from .documents import subject

    start("claim_batch_pdf", f"Claim PDF for batch {batch.id} ({window[:60]})", by,
          params={"batch_id": batch.id}, subject=subject(batch.id))
    return batch


@event.listens_for(Session, "before_flush")
def _submitted_claims_never_change(session, _context, _instances):
    """A submitted claim is final: corrections are new claims, never edits."""
    for obj in session.dirty:
        if isinstance(obj, m.Claim) and session.is_modified(obj):
            history = db.inspect(obj).attrs["state"].history
            was = (history.deleted or history.unchanged or [obj.state])[0]
            if was == "submitted":
                raise ClaimRefused(f"claim {obj.id} has been submitted and can never change")
    for obj in session.deleted:
        if isinstance(obj, m.Claim):
            raise ClaimRefused("claims are never deleted")


# Reading --------------------------------------------------------------------------------------


def list_claims(state: str | None = None) -> list[tuple[m.Claim, str]]:
    query = select(m.Claim, m.Family.family_ref).join(m.Family, m.Claim.family_id == m.Family.id)
    if state:
        query = query.where(m.Claim.state == state)
    return [tuple(row) for row in db.session.execute(query.order_by(m.Claim.id))]


def batch_summary(batch: m.ClaimBatch) -> dict:
    per_result: dict[str, dict] = defaultdict(lambda: {"count": 0, "amount": 0})
    for claim in batch.claims:
        per_result[claim.result]["count"] += 1
        per_result[claim.result]["amount"] += claim.amount
    return {"per_result": dict(per_result), "count": len(batch.claims),
            "total": sum(c.amount for c in batch.claims),
            "validators": sorted({c.decided_by.name for c in batch.claims if c.decided_by})}


def attachment_fees(attached: Select) -> dict[int, dict]:
    """Attachment fees by programme year of attachment, for the attachment dates `attached`
    selects: {year: {"families", "fee", "funded"}}, in year order."""
    rules = current_ruleset()
    fees: dict[int, dict] = defaultdict(lambda: {"families": 0, "fee": 0})
    for attached_on, in db.session.execute(attached):
        fee = rules.attachment_fee(attached_on)
        if fee is None:
            continue
        year = rules.programme_year(attached_on)
        fees[year]["families"] += 1
        fees[year]["fee"] += fee
    for row in fees.values():
        row["funded"] = float(row["fee"] * rules.funded_share)  # pounds, for display only
    return dict(sorted(fees.items()))


def money(today: dt.date | None = None) -> dict:
    """Programme money: attachment fees by financial year of attachment; results claimed,
    validated, submitted and still claimable, by programme year."""
    rules = current_ruleset()
    today = today or dt.date.today()
    fees = attachment_fees(select(m.Family.attached_on).where(m.Family.attached_on.is_not(None)))
    results: dict[int, dict] = defaultdict(lambda: {s: 0 for s in m.CLAIM_STATES})
    for year, state, amount in db.session.execute(
        select(m.Claim.programme_year, m.Claim.state, func.sum(m.Claim.amount))
        .where(m.Claim.claim_kind.in_(PHASE1_CLAIM_KINDS))
        .group_by(m.Claim.programme_year, m.Claim.state)
    ):
        results[year][state] = amount or 0
    claimable = sum(c.amount for item in evaluate_families(today) for c in item.claimable)
    return {"fees": fees, "results": dict(sorted(results.items())),
            "funded_share": rules.funded_share, "claimable_now": claimable, "today": today,
            "current_year": rules.programme_year(today)}
