"""Payment-by-results claims: build from evaluations, audit, batch (docs/rules.md, "Payments and
claims")."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import math
import random
import secrets
from collections import defaultdict
from collections.abc import Callable, Iterator

from sqlalchemy import Select, event, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .. import episodes
from .. import models as m
from ..access import can
from ..audit import record_event
from ..dates_input import picked_date
from ..evaluation import figures, store
from ..evaluation.service import (
    FamilyEvaluation,
    attempt,
    current_ruleset,
    evaluate_families,
    evaluate_family,
    prior_claims,
)
from ..evidence.kinds import EVIDENCE
from ..extensions import db
from ..history import write_history
from ..locking import lock_rows
from ..lookups import CHUNK, one_of_chunks
from ..outcomes.service import OUTCOME_RULESETS
from ..paging import Page
from ..queue import start
from ..rules import build_order, get_ruleset
from ..rules.ruleset import (
    CLAIMABLE_RESULTS,
    OUTCOME_RESULTS,
    PROGRAMMES,
    TURN_AROUND_RESULTS,
    programme_label,
)
from ..transaction import transactional

# Every result a claim can be for, phase 1's first, in the order lists show them.
CLAIM_RESULTS = CLAIMABLE_RESULTS + tuple(r for r in OUTCOME_RESULTS if r not in CLAIMABLE_RESULTS)


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
            "identified_on": iso(family.identified_on), "attached_on": iso(family.attached_on),
            "local_discretion": family.local_discretion,
            "local_discretion_reason": family.local_discretion_reason}


def evidence(data) -> dict:
    """The 2012 rules' evidence rows of a family (`data`: rules.FamilyData), as frozen into
    its claims; each kind's rows as its declaration freezes them (casework/evidence/kinds.py)."""
    return {
        "people": sorted([{"ref": p.ref, "date_of_birth": p.date_of_birth.isoformat()}
                          for p in data.people], key=lambda r: r["ref"]),
        **frozen(data, [k for k in EVIDENCE if not k.rules.later]),
    }


def frozen(data, kinds) -> dict:
    """Each kind's records in `data` (FamilyData or OutcomeEvidence), frozen for a claim."""
    return {k.rules.frozen_as: sorted([k.rules.frozen(r) for r in getattr(data, k.rules.field)],
                                      key=k.rules.order) for k in kinds}


def iso(d: dt.date | None) -> str | None:
    return d.isoformat() if d else None


@dataclasses.dataclass
class Difference:
    kind: str
    ref: str
    then: dict | None
    now: dict | None

    def fields(self) -> list[str]:
        """The fields to show: those that changed, or every one when a side has none."""
        then, now = self.then or {}, self.now or {}
        keys = [k for k in dict.fromkeys([*then, *now]) if k not in ("ref", "order")]
        if self.then and self.now:
            return [k for k in keys if then.get(k) != now.get(k)]
        return keys


def compare_with_today(claim: m.Claim) -> tuple[dict, list[Difference], str]:
    """Return (today's snapshot, differing evidence rows, today's status of the result)."""
    if claim.ruleset in OUTCOME_RULESETS:
        from .outcome_plans import today_snapshot

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
                 ruleset: str = "phase1",
                 saved: Callable[[list[m.Claim]], None] | None = None,
                 failed: list[tuple[int, str, str]] | None = None) -> list[m.Claim]:
    """Create a draft claim for each result still claimable after those created before it
    (under a later programme's ruleset: one results claim a family).

    A family whose rules raise gets no claim from this build and is added to `failed`
    (evaluation.service.failure), if given; every other family's claims are built. Not
    given, the error stops the build.

    The evaluation is read first; then, holding a lock on the families concerned, each
    family's recorded claims are read again and the claims written, so two builds running
    at once can never pay for the same family twice (a unique index stands behind this).
    `progress`, if given, is told (families evaluated, families in all, what is being done);
    `saved`, if given, is called with the claims inside the transaction that saves them (a
    job records there how many it made, so a retry after an interruption still says so).
    """
    if by is not None and not can(by, "manage_claims"):
        raise ClaimRefused("Only programme managers build claims")
    if ruleset in OUTCOME_RULESETS:
        from .outcome_plans import build_outcome_claims

        return build_outcome_claims(as_of, by, ruleset, progress, saved, failed)
    rules = current_ruleset()
    run = store.current_run(rules.name)
    families = None
    if run is not None and run.as_of == as_of:  # only the families stored as claimable
        S = m.StoredEvaluation
        families = select(m.Family).where(m.Family.id.in_(
            select(S.family_id).where(S.ruleset == rules.name, S.claimable_total > 0)))
    evaluated = evaluate_families(as_of, families, failed=failed)
    if progress is not None:
        evaluated = reporting(evaluated, progress, families)
    candidates = [item for item in evaluated if item.claimable]
    if not candidates:
        return []
    families, prior = locked_for_claims([item.family_id for item in candidates], prior_claims)
    def drafts(item) -> list[m.Claim]:
        family = families[item.family_id]
        return [m.Claim(
            family_id=family.id, result=claim.result, claim_kind=claim_kind(claim.result),
            amount=claim.amount, programme_year=rules.programme_year(item.evaluation.attached_on),
            as_of=as_of,
            state="draft", ruleset=rules.name, snapshot=snapshot(item, family),
            created_by_id=by.id if by else None,
        ) for claim in build_order(item.evaluation, prior.get(item.family_id, []), rules)]

    created = [claim for item in candidates
               for claim in drafted(item, drafts, rules.name, failed)]
    save_drafts(created, by, lambda c: f"{families[c.family_id].family_ref} {c.result} £{c.amount}",
                saved)
    store.refresh(sorted({claim.family_id for claim in created}))  # no longer claimable
    return created


def drafted(item, drafts: Callable[[object], list[m.Claim]], programme: str,
            failed: list[tuple[int, str, str]] | None) -> list[m.Claim]:
    """drafts(item): the draft claims of one evaluated family. With `failed`, a family whose
    claims cannot be worked out gets none and is added to it (as build_claims says)."""
    return attempt(failed, item.family_id, programme, drafts, item) or []


def reporting(items: Iterator, progress: Callable[[int, int, str], None],
               families=None) -> Iterator:
    chosen = (families if families is not None else select(m.Family)).subquery()
    total = db.session.scalar(select(func.count()).select_from(chosen))
    for n, item in enumerate(items, 1):
        progress(n, total, "families evaluated")
        yield item


@transactional
def save_drafts(created: list[m.Claim], by: m.User | None, describe,
                saved: Callable[[list[m.Claim]], None] | None = None) -> None:
    """Write new draft claims with an audit row each, in one transaction; the unique index
    refuses a family's second claim when two builds race. Each claim belongs to the
    family's episode in its ruleset's programme."""
    for ruleset in {c.ruleset for c in created}:
        found = episodes.claim_episodes([c.family_id for c in created if c.ruleset == ruleset],
                                        ruleset)
        for claim in created:
            if claim.ruleset == ruleset:
                claim.episode_id = found.get(claim.family_id)
    db.session.add_all(created)
    try:
        db.session.flush()
    except IntegrityError:
        raise ClaimRefused("Another claims build ran at the same time: run it again") from None
    for claim in created:
        record_event("create", "claim", f"{claim.id}", user=by, detail=describe(claim))
    if saved is not None:
        saved(created)


def locked_for_claims(ids: list[int], prior_of: Callable[[list[int]], dict[int, list]]
                      ) -> tuple[dict[int, m.Family], dict[int, list]]:
    """Lock the families about to be claimed for, then read them and their recorded claims
    (`prior_of`) again under the lock, so that two builds at once never claim twice."""
    lock_rows((m.Family, ids))
    families, prior = {}, {}
    for where in one_of_chunks(m.Family.id, ids):
        families.update((f.id, f) for f in db.session.scalars(select(m.Family).where(where)))
    for i in range(0, len(ids), CHUNK):
        prior.update(prior_of(ids[i : i + CHUNK]))
    return families, prior


# Lifecycle ------------------------------------------------------------------------------------


def _decide(claim_id: int, by: m.User) -> m.Claim:
    if not can(by, "audit_claims") or not by.active:
        raise ClaimRefused(f"{by.email} is not an internal auditor: only auditors validate or "
                           "reject claims")
    lock_rows((m.Claim, [claim_id]))
    claim = db.session.get(m.Claim, claim_id)
    if claim is None:
        raise ClaimRefused(f"There is no claim {claim_id}")
    if claim.state != "draft":
        raise ClaimRefused(f"Claim {claim_id} is {claim.state}: only a draft can be validated "
                           "or rejected")
    return claim


def _history(claim: m.Claim, by: m.User | None, before: str, source: str) -> None:
    write_history("claim", str(claim.id), {"state": before}, {"state": claim.state}, by, source,
                  claim.snapshot["family"]["family_ref"] if claim.snapshot else None)


@transactional
def validate(claim_id: int, by: m.User) -> m.Claim:
    claim = _decide(claim_id, by)
    claim.state, claim.decided_by_id, claim.decided_at = "validated", by.id, m.utcnow()
    _history(claim, by, "draft", "validated by internal audit")
    record_event("validate", "claim", str(claim.id), user=by)
    return claim


def reject(claim_id: int, by: m.User, reason: str) -> m.Claim:
    claim = _reject(claim_id, by, reason)
    store.refresh([claim.family_id])  # claimable again
    return claim


@transactional
def _reject(claim_id: int, by: m.User, reason: str) -> m.Claim:
    if not (reason or "").strip():
        raise ClaimRefused("Enter the reason for rejecting the claim")
    claim = _decide(claim_id, by)
    claim.state, claim.decided_by_id, claim.decided_at = "rejected", by.id, m.utcnow()
    claim.reject_reason = reason.strip()
    _history(claim, by, "draft", f"rejected: {reason.strip()}"[:300])
    record_event("reject", "claim", str(claim.id), user=by, detail=reason.strip()[:300])
    return claim


def _waiting() -> Select:
    return select(m.Claim).where(m.Claim.state == "validated", m.Claim.batch_id.is_(None))


def _fingerprint(ids: list[int]) -> str:
    return hashlib.sha256(",".join(map(str, sorted(ids))).encode()).hexdigest()[:16]


def waiting_batch() -> dict:
    """What a batch submitted now would hold, to show before it is confirmed: counts and
    amounts per result, the claim dates, and a fingerprint of exactly these claims."""
    per_result = {r: {"count": 0, "amount": 0} for r in CLAIMABLE_RESULTS}  # later ones if any
    ids, dates = [], []
    for claim_id, result, amount, as_of in db.session.execute(
            _waiting().with_only_columns(m.Claim.id, m.Claim.result, m.Claim.amount, m.Claim.as_of)):
        per_result.setdefault(result, {"count": 0, "amount": 0})["count"] += 1
        per_result[result]["amount"] += amount
        ids.append(claim_id)
        dates.append(as_of)
    return {"count": len(ids), "total": sum(r["amount"] for r in per_result.values()),
            "per_result": per_result, "first": min(dates, default=None),
            "last": max(dates, default=None), "fingerprint": _fingerprint(ids)}


@transactional
def submit_batch(window: str, as_of: dt.date, by: m.User | None = None,
                 expected: str | None = None) -> m.ClaimBatch:
    """Put every validated claim not yet in a batch into a new, submitted batch. `expected`,
    from waiting_batch(), refuses the batch if the claims waiting changed since they were
    shown for confirmation."""
    if by is not None and not can(by, "manage_claims"):
        raise ClaimRefused("Only programme managers submit claim batches")
    window = (window or "").strip()
    if not window:
        raise ClaimRefused("Enter the claim window's label, for example July 2013")
    lock_rows()  # SQLite: the write lock; PostgreSQL: the claims' row locks below
    claims = list(db.session.scalars(_waiting().order_by(m.Claim.id).with_for_update()))
    if not claims:
        raise ClaimRefused("There are no validated claims waiting for a batch")
    if expected is not None and expected != _fingerprint([c.id for c in claims]):
        raise ClaimRefused("The validated claims waiting have changed since you checked them: "
                           "check the batch again before submitting it")
    batch = m.ClaimBatch(window=window[:60], as_of=as_of, submitted_by_id=by.id if by else None)
    db.session.add(batch)
    db.session.flush()
    for claim in claims:
        claim.batch_id, claim.state = batch.id, "submitted"
        _history(claim, by, "validated", f"submitted in batch {batch.id} ({window})"[:300])
    record_event("submit", "claim_batch", str(batch.id), user=by,
                 detail=f"{window}: {len(claims)} claims, £{sum(c.amount for c in claims)}")
    from .documents import subject

    # The PDF is laid out once, by the job worker.

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
                raise ClaimRefused(f"Claim {obj.id} has been submitted and can never change")
    for obj in session.deleted:
        if isinstance(obj, m.Claim):
            raise ClaimRefused("Claims are never deleted")


# Reading --------------------------------------------------------------------------------------


def claim_or_404(claim_id: int) -> m.Claim:
    return db.get_or_404(m.Claim, claim_id)


def batch_or_404(batch_id: int) -> m.ClaimBatch:
    return db.get_or_404(m.ClaimBatch, batch_id)


def batches() -> list[m.ClaimBatch]:
    """Every batch submitted, the latest first."""
    return list(db.session.scalars(select(m.ClaimBatch).order_by(m.ClaimBatch.id.desc())))


def sample(sample_id: int) -> m.ClaimSample | None:
    return db.session.get(m.ClaimSample, sample_id)


def attached_year(claim: m.Claim) -> int | None:
    """The programme year of the family's attachment under the claim's own programme (the
    council's parameters for the 2012 rules), or None outside that programme's dates."""
    attached_on = claim.family.attached_on
    if attached_on is None:
        return None
    rules = current_ruleset()
    if claim.ruleset != rules.name:
        rules = get_ruleset(claim.ruleset)
    return rules.attachment_year(attached_on)


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


def money(user: m.User, programme: str | None = None) -> dict:
    """A programme's money (default: as the dashboard's) for the families `user` may see, on
    the date the stored evaluation holds for: attachment fees by programme year of
    attachment; results claimed, validated, submitted and rejected by programme year; what
    is still claimable; beside it, the match funding partners pledged and paid."""
    sc = figures.for_programme(figures.scope(user), programme)
    # Match funding is not the families' figures (and not kept by the memo's versions); the
    # most a family is paid is the programme's (£4,000 in 2012-15, £800 in Supporting
    # Families), said beside its figures.
    return {**figures.memo(sc, "claims.money", lambda: _money(sc), summary=True),
            "match": figures.match_funding(sc),
            "max_per_family": get_ruleset(sc.programme).max_payment_per_family}


def _money(sc: figures.Scope) -> dict:
    rules = get_ruleset(sc.programme)
    found = figures.money(sc)
    return {"fees": found["fees"], "results": found["by_year"],
            "frozen_above": found["frozen_above"], "funded_share": found["funded_share"],
            "claimable_now": found["claimable"], "today": sc.as_of,
            "refreshed_at": sc.refreshed_at, "programme": sc.programme,
            "current_year": rules.programme_year(sc.as_of)}


# The internal auditor's worklist: the claims waiting for a decision, filtered (not a queue) ----

WORKLIST_PAGE_SIZE = 50


@dataclasses.dataclass
class WorklistFilters:
    """What the auditor's worklist shows: every filter optional, all of them kept in the
    addresses of the worklist's pages and of the claims opened from it."""

    state: str = ""
    programme: str = ""
    result: str = ""
    ward: str = ""
    worker: int | None = None
    amount_min: int | None = None
    amount_max: int | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    sample: int | None = None

    @classmethod
    def from_args(cls, args) -> tuple[WorklistFilters, list[tuple[str, str]]]:
        """Read the filters from a query string; return them with (field, message) errors for
        values that are not numbers or dates (those filters are then left out)."""
        f, errors = cls(), []
        f.state = args.get("state", "") if args.get("state", "") in m.CLAIM_STATES else ""
        f.programme = args.get("programme", "") if args.get("programme", "") in PROGRAMMES else ""
        f.result = args.get("result", "") if args.get("result", "") in CLAIM_RESULTS else ""
        f.ward = args.get("ward", "").strip()[:100]
        for name, label in (("worker", "FIP worker"), ("amount_min", "Smallest amount"),
                            ("amount_max", "Largest amount"), ("sample", "Sample")):
            raw = args.get(name, "").strip().lstrip("£").replace(",", "")
            if raw:
                if raw.isdigit():
                    setattr(f, name, int(raw))
                else:
                    errors.append((name, f"{label} must be a whole number, like 700"))
        for name, label in (("date_from", "Claim date from"), ("date_to", "Claim date to")):
            # The page's GOV.UK date input (NAME-day, NAME-month, NAME-year), or the date as
            # the worklist's own addresses keep it (NAME=2013-09-30).
            if any(args.get(f"{name}-{part}", "").strip() for part in ("day", "month", "year")):
                value, problem = picked_date(args, name, None)
                if problem:
                    errors.append((name, f"{label}: {problem[:1].lower()}{problem[1:]}"))
                setattr(f, name, value)
                continue
            raw = args.get(name, "").strip()
            if raw:
                try:
                    setattr(f, name, dt.date.fromisoformat(raw))
                except ValueError:
                    errors.append((name, f"{label} must be a real date, like 30 9 2013"))
        return f, errors

    def args(self) -> dict:
        """The filters as query-string arguments, the empty ones left out."""
        out = {}
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if value not in (None, ""):
                out[field.name] = value.isoformat() if isinstance(value, dt.date) else value
        return out


def _worklist(f: WorklistFilters) -> Select:
    """The claims the filters select, with their family: the worklist's one query."""
    query = select(m.Claim).join(m.Family, m.Claim.family_id == m.Family.id)
    if f.state:
        query = query.where(m.Claim.state == f.state)
    if f.programme:
        query = query.where(m.Claim.ruleset == f.programme)
    if f.result:
        query = query.where(m.Claim.result == f.result)
    if f.ward:
        query = query.where(m.Family.ward == f.ward)
    if f.worker is not None:
        query = query.where(m.Claim.family_id.in_(
            select(m.Allocation.family_id).where(m.Allocation.end_on.is_(None),
                                                 m.Allocation.worker_id == f.worker)))
    if f.amount_min is not None:
        query = query.where(m.Claim.amount >= f.amount_min)
    if f.amount_max is not None:
        query = query.where(m.Claim.amount <= f.amount_max)
    if f.date_from is not None:
        query = query.where(m.Claim.as_of >= f.date_from)
    if f.date_to is not None:
        query = query.where(m.Claim.as_of <= f.date_to)
    if f.sample is not None:
        sample = db.session.get(m.ClaimSample, f.sample)
        query = query.where(m.Claim.id.in_(sample.claim_ids if sample else []))
    return query


@dataclasses.dataclass
class WorklistRow:
    claim: m.Claim
    family_ref: str
    family_name: str
    ward: str | None
    worker: str | None
    closed_on: dt.date | None = None  # the family's case closure, shown when no one holds it


def worklist_page(f: WorklistFilters, page: int = 1):
    """One page of the worklist, oldest claim first, with the totals of the whole worklist:
    (page of worklist rows, totals) where totals has the count, the amount and both by state."""
    per_page = WORKLIST_PAGE_SIZE
    base = _worklist(f)
    ids = base.with_only_columns(m.Claim.id, m.Claim.state, m.Claim.amount).order_by(None).subquery()
    by_state = {state: (n, amount or 0) for state, n, amount in db.session.execute(
        select(ids.c.state, func.count(), func.sum(ids.c.amount)).group_by(ids.c.state))}
    live = base.with_only_columns(m.Claim.ruleset, m.Claim.amount).order_by(None).where(
        m.Claim.state != "rejected").subquery()
    by_programme = {ruleset: (n, amount or 0) for ruleset, n, amount in db.session.execute(
        select(live.c.ruleset, func.count(), func.sum(live.c.amount)).group_by(live.c.ruleset))}
    total = sum(n for n, _ in by_state.values())
    page = max(1, page)
    chosen = list(db.session.scalars(base.with_only_columns(m.Claim.id).order_by(m.Claim.id)
                                     .limit(per_page).offset((page - 1) * per_page)))
    worker = (select(m.User.name).join(m.Allocation, m.Allocation.worker_id == m.User.id)
              .where(m.Allocation.family_id == m.Family.id, m.Allocation.end_on.is_(None))
              .limit(1).scalar_subquery())
    rows = [WorklistRow(*row) for row in db.session.execute(
        select(m.Claim, m.Family.family_ref, m.Family.family_name, m.Family.ward, worker,
               m.Family.closed_on)
        .join(m.Family, m.Claim.family_id == m.Family.id)
        .where(m.Claim.id.in_(chosen)).order_by(m.Claim.id))]
    totals = {"count": total, "amount": sum(a for _, a in by_state.values()),
              "by_state": {s: by_state.get(s, (0, 0)) for s in m.CLAIM_STATES},
              # claimed (every state but rejected), by programme: what the dashboard, money
              # page and Board report show for each programme
              "by_programme": {p: by_programme[p] for p in PROGRAMMES if p in by_programme}}
    return Page(rows, page, per_page, total), totals


def next_in_worklist(f: WorklistFilters, after: int) -> int | None:
    """The next draft claim of the worklist after claim `after`, going round to the start."""
    drafts = _worklist(f).with_only_columns(m.Claim.id).where(m.Claim.state == "draft")
    return (db.session.scalar(drafts.where(m.Claim.id > after).order_by(m.Claim.id).limit(1))
            or db.session.scalar(drafts.where(m.Claim.id != after).order_by(m.Claim.id).limit(1)))


def worklist_choices() -> dict:
    """The values the worklist's filters can take: wards of families with claims, FIP workers."""
    wards = db.session.scalars(
        select(m.Family.ward).where(m.Family.id.in_(select(m.Claim.family_id)),
                                    m.Family.ward.is_not(None)).distinct().order_by(m.Family.ward))
    workers = db.session.execute(
        select(m.User.id, m.User.name).where(m.User.role == "worker").order_by(m.User.name))
    return {"wards": list(wards), "workers": [tuple(w) for w in workers], "results": CLAIM_RESULTS,
            "programmes": [(p, programme_label(p)) for p in PROGRAMMES]}


@transactional
def draw_sample(f: WorklistFilters, percent: int, seed: int | None, by: m.User) -> m.ClaimSample:
    """Draw N% of the claims the filters select, at random but reproducibly: the claims'
    ids in order, shuffled by Python's random.Random(seed).sample, the seed recorded."""
    if not can(by, "audit_claims"):
        raise ClaimRefused("Only internal auditors draw samples of claims")
    if not 1 <= percent <= 100:
        raise ClaimRefused("The sample must be between 1% and 100% of the claims")
    population = sorted(db.session.scalars(_worklist(f).with_only_columns(m.Claim.id)))
    if not population:
        raise ClaimRefused("No claims match the filters, so there is nothing to sample")
    if seed is None:
        seed = secrets.randbelow(10**9)
    size = math.ceil(len(population) * percent / 100)
    chosen = sorted(sample_ids(population, size, seed))
    sample = m.ClaimSample(percent=percent, seed=seed, filters={k: str(v) for k, v in f.args().items()
                                                               if k != "sample"},
                           population=len(population), claim_ids=chosen, created_by_id=by.id)
    db.session.add(sample)
    db.session.flush()
    record_event("sample", "claims", str(sample.id), user=by,
                 detail=f"{percent}% of {len(population)} claims = {size}, seed {seed}, "
                        f"filters {sample.filters}"[:300])
    return sample


def sample_ids(population: list[int], size: int, seed: int) -> list[int]:
    """The reproducible draw: the same ids, size and seed always give the same claims."""
    return random.Random(seed).sample(sorted(population), size)
