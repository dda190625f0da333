"""The programme's figures for managers and the Partnership Board: the funnel, activity by
month, ward and worker, results by type, caseloads, money, estimated costs avoided and the
additional measures (domestic abuse incidents, substance misuse referrals).

Every figure is computed in one pass over the families the user may see, evaluated with
the same rules as everything else, at a chosen date.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter, defaultdict
from fractions import Fraction

from sqlalchemy import func, or_, select

from .. import models as m
from ..audit import record_event
from ..casefile.service import high_contact
from ..caseloads.service import team_workers
from ..claims.service import PHASE1_CLAIM_KINDS, attachment_fees
from ..evaluation.service import FamilyEvaluation, current_ruleset, evaluate_families
from ..extensions import db
from ..families.scope import visible_families
from ..rules import CLAIMABLE_RESULTS, RESULTS
from ..rules.dates import months_before
from .costs import (
    COST_ITEMS,
    CostEstimate,
    CostTotals,
    Window,
    estimate,
    recent_window,
)

NO_WARD = "No ward recorded"
HIGH_CONTACT_FAMILIES = 20  # the families with most contacts in the recent window
FUNNEL = (
    ("identified", "Identified", "Identified on or before the date"),
    ("eligible", "Eligible", "Identified, and meeting the criteria (all three, or two and "
                             "local discretion)"),
    ("attached", "Attached", "Eligible, and attached to a FIP worker on or before the date"),
    ("results_met", "Results met", "Attached, with a claimable result met on the date or "
                                   "already claimed"),
    ("claimed", "Claimed", "With a claim dated on or before the date, not rejected"),
    ("paid", "Submitted for payment", "With a claim in a batch submitted to DCLG on or "
                                      "before the date"),
)


# Unit costs ----------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class UnitCostRow:
    key: str
    label: str
    counted: str
    pence: int
    source: str
    default: bool
    updated_at: dt.datetime | None = None
    updated_by: str | None = None


def unit_costs() -> list[UnitCostRow]:
    """Every cost item with the figure in force: the administrator's, else the default."""
    saved = {u.key: u for u in db.session.scalars(select(m.UnitCost))}
    rows = []
    for item in COST_ITEMS:
        own = saved.get(item.key)
        if own is None:
            rows.append(UnitCostRow(item.key, item.label, item.counted, item.default_pence,
                                    item.default_source, True))
        else:
            rows.append(UnitCostRow(item.key, item.label, item.counted, own.pence, own.source,
                                    False, own.updated_at,
                                    own.updated_by.name if own.updated_by else None))
    return rows


def save_unit_costs(values: dict[str, tuple[int, str]], by: m.User) -> int:
    """Save the administrator's figures {key: (pence, source)}; return how many changed."""
    current = {row.key: row for row in unit_costs()}
    changed = 0
    for key, (pence, source) in values.items():
        row = current[key]
        if (row.pence, row.source) == (pence, source):
            continue
        own = db.session.get(m.UnitCost, key) or m.UnitCost(key=key)
        own.pence, own.source, own.updated_at, own.updated_by_id = pence, source, m.utcnow(), by.id
        db.session.add(own)
        db.session.add(m.RecordHistory(
            record_type="unit_cost", record_ref=key, changed_by_id=by.id,
            source="unit costs page", before={"pence": row.pence, "source": row.source},
            after={"pence": pence, "source": source}))
        record_event("update", "unit_cost", key, user=by,
                     detail=f"£{row.pence / 100:,.2f} to £{pence / 100:,.2f}")
        changed += 1
    db.session.commit()
    return changed


# Periods -------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Quarter:
    """A financial-year quarter: Q1 is April to June."""

    year: int  # the financial year's first calendar year: 2013 for 2013/14
    number: int

    @property
    def first(self) -> dt.date:
        month = 4 + 3 * (self.number - 1)
        return dt.date(self.year + (month > 12), (month - 1) % 12 + 1, 1)

    @property
    def last(self) -> dt.date:
        following = Quarter(self.year + (self.number == 4), self.number % 4 + 1).first
        return following - dt.timedelta(days=1)

    @property
    def key(self) -> str:
        return f"{self.year}-Q{self.number}"

    @property
    def label(self) -> str:
        return (f"{self.year}/{(self.year + 1) % 100:02d} quarter {self.number} "
                f"({self.first.strftime('%B')} to {self.last.strftime('%B %Y')})")

    @classmethod
    def parse(cls, key: str) -> Quarter | None:
        try:
            year, number = key.split("-Q")
            quarter = cls(int(year), int(number))
        except ValueError:
            return None
        return quarter if 1 <= quarter.number <= 4 and 1900 < quarter.year < 3000 else None

    @classmethod
    def containing(cls, day: dt.date) -> Quarter:
        year = day.year if day.month >= 4 else day.year - 1
        return cls(year, (day.month - 4) % 12 // 3 + 1)


def quarters(today: dt.date) -> list[Quarter]:
    """The quarters from the programme's start to the one containing today, latest first."""
    first = Quarter.containing(current_ruleset().programme_year_starts[0])
    found, q = [], Quarter.containing(today)
    while (q.year, q.number) >= (first.year, first.number):
        found.append(q)
        q = Quarter(q.year - (q.number == 1), (q.number - 2) % 4 + 1)
    return found


def last_months(as_of: dt.date, count: int = 12) -> list[dt.date]:
    """The first days of the `count` months up to and including as_of's, oldest first."""
    first = as_of.replace(day=1)
    return [months_before(first, n) for n in range(count - 1, -1, -1)]


# Reading the families ------------------------------------------------------------------------


def _abuse_dates(families) -> dict[int, list[dt.date]]:
    """Domestic abuse incident dates per family: a member's, or the family's own."""
    D, P = m.DomesticAbuseIncident, m.Person
    ids = select(families.subquery().c.id)
    found: dict[int, list[dt.date]] = defaultdict(list)
    for fid, date in db.session.execute(
        select(P.family_id, D.date).join(P, D.person_id == P.id).where(P.family_id.in_(ids))
    ):
        found[fid].append(date)
    for fid, date in db.session.execute(
        select(D.family_id, D.date).where(D.person_id.is_(None), D.family_id.in_(ids))
    ):
        found[fid].append(date)
    return found


def _claims(families, as_of: dt.date) -> list[tuple]:
    """(family_id, result, state, amount, claim date, batch date, decided at) of the claims
    dated up to as_of."""
    ids = select(families.subquery().c.id)
    return [tuple(row) for row in db.session.execute(
        select(m.Claim.family_id, m.Claim.result, m.Claim.state, m.Claim.amount, m.Claim.as_of,
               m.ClaimBatch.as_of, m.Claim.decided_at)
        .outerjoin(m.ClaimBatch, m.Claim.batch_id == m.ClaimBatch.id)
        .where(m.Claim.family_id.in_(ids), m.Claim.as_of <= as_of,
               m.Claim.claim_kind.in_(PHASE1_CLAIM_KINDS))  # the later programmes' are apart
    )]


def _labels(families) -> dict[int, tuple[str, str]]:
    """Each family's ward (or NO_WARD) and name."""
    sub = families.subquery()
    return {fid: (ward or NO_WARD, name) for fid, ward, name in
            db.session.execute(select(sub.c.id, sub.c.ward, sub.c.family_name))}


def _stage(item: FamilyEvaluation, as_of: dt.date, claimed: set[int]) -> set[str]:
    """The funnel stages the family has reached on as_of."""
    data, e = item.data, item.evaluation
    stages: set[str] = set()
    if data.identified_on is None or data.identified_on > as_of:
        return stages
    stages.add("identified")
    if not e.identification.eligible:
        return stages
    stages.add("eligible")
    if data.attached_on is None or data.attached_on > as_of:
        return stages
    stages.add("attached")
    if item.family_id in claimed or any(e.status(r) == "met" for r in CLAIMABLE_RESULTS):
        stages.add("results_met")
    return stages


# The dashboard -------------------------------------------------------------------------------


@dataclasses.dataclass
class Figures:
    """Everything the dashboard and the Partnership Board report show, on one date."""

    as_of: dt.date
    funnel: dict[str, int]
    months: list[dict]
    wards: list[dict]
    workers: list[dict]
    results: dict[str, Counter]
    caseloads: dict
    money: dict
    estimates: list[tuple[CostEstimate, str]]  # (estimate, family name)
    cohort: CostTotals
    high_contact: CostTotals
    high_contact_refs: list[str]
    measures: dict
    unit_costs: list[UnitCostRow]


def figures(user: m.User, as_of: dt.date, period: Window | None = None) -> Figures:
    """Work out every figure on as_of for the families `user` may see. `period` (a quarter
    for the board report) adds the activity within it to the additional measures."""
    rules = current_ruleset()
    families = visible_families(user)
    claims = _claims(families, as_of)
    live = [c for c in claims if c[2] != "rejected"]
    claimed = {c[0] for c in live}
    paid = {c[0] for c in live if c[5] is not None and c[5] <= as_of}
    labels = _labels(families)
    abuse = _abuse_dates(families)
    costs = unit_costs()
    pence = {row.key: row.pence for row in costs}
    months = last_months(as_of)
    month_rows = {d: Counter() for d in months}

    funnel: Counter = Counter()
    by_ward: dict[str, Counter] = defaultdict(Counter)
    results: dict[str, Counter] = {r: Counter() for r in RESULTS}
    met_ids: set[int] = set()
    estimates: list[tuple[CostEstimate, int]] = []
    claimable = 0
    for item in evaluate_families(as_of, families, rules=rules):
        data = item.data
        stages = _stage(item, as_of, claimed)
        funnel.update(stages)
        ward = by_ward[labels[item.family_id][0]]
        ward.update(stages)
        if item.family_id in claimed:
            ward["claimed"] += 1
        for day, key in ((data.identified_on, "identified"), (data.attached_on, "attached")):
            if day and day <= as_of and day.replace(day=1) in month_rows:
                month_rows[day.replace(day=1)][key] += 1
        if "attached" in stages:
            for r in RESULTS:
                results[r][item.evaluation.status(r)] += 1
            if "results_met" in stages:
                met_ids.add(item.family_id)
            claimable += sum(c.amount for c in item.claimable)
        found = estimate(data, abuse.get(item.family_id, []), as_of, pence, rules)
        if found is not None:
            estimates.append((found, item.family_id))
    funnel["claimed"], funnel["paid"] = len(claimed), len(paid)
    for _fid, _result, _state, _amount, claim_on, batch_on, _decided in live:
        if claim_on.replace(day=1) in month_rows:
            month_rows[claim_on.replace(day=1)]["claims"] += 1
        if batch_on is not None and batch_on <= as_of and batch_on.replace(day=1) in month_rows:
            month_rows[batch_on.replace(day=1)]["submitted"] += 1

    workers = _workers(user, met_ids, claimed, as_of)
    high_refs = [ref for ref, *_ in high_contact(user, recent_window(as_of, rules).first, as_of,
                                                 limit=HIGH_CONTACT_FAMILIES)]
    cohort, high = CostTotals(), CostTotals()
    for found, _fid in estimates:
        if found.status == "estimated":
            cohort.add(found)
            if found.family_ref in high_refs:
                high.add(found)
    return Figures(
        as_of=as_of,
        funnel={key: funnel[key] for key, *_ in FUNNEL},
        months=[{"month": d, **{k: month_rows[d][k] for k in
                                ("identified", "attached", "claims", "submitted")}}
                for d in months],
        wards=[{"ward": name, **{k: c[k] for k in
                                 ("identified", "eligible", "attached", "results_met", "claimed")}}
               for name, c in sorted(by_ward.items(), key=lambda kv: (kv[0] == NO_WARD, kv[0]))],
        workers=workers,
        results=results,
        caseloads=_caseload_totals(workers, families, as_of),
        money=_money(families, live, as_of, claimable),
        estimates=[(found, labels[fid][1]) for found, fid in estimates],
        cohort=cohort,
        high_contact=high,
        high_contact_refs=high_refs,
        measures=_measures(families, estimates, abuse, as_of, period),
        unit_costs=costs,
    )


def _allocated_on(as_of: dt.date):
    """Allocations open on as_of: started on or before it, not ended by then."""
    A = m.Allocation
    return (A.start_on <= as_of) & (or_(A.end_on.is_(None), A.end_on > as_of))


def _workers(user: m.User, met_ids: set[int], claimed: set[int], as_of: dt.date) -> list[dict]:
    """Each FIP worker the user oversees, with the families allocated to them on as_of."""
    families_by_worker: dict[int, list[int]] = defaultdict(list)
    for worker_id, fid in db.session.execute(
        select(m.Allocation.worker_id, m.Allocation.family_id).where(_allocated_on(as_of))
    ):
        families_by_worker[worker_id].append(fid)
    rows = []
    for worker in team_workers(user):
        fids = families_by_worker.get(worker.id, [])
        rows.append({"worker": worker.name, "active": len(fids),
                     "results_met": sum(1 for f in fids if f in met_ids),
                     "claimed": sum(1 for f in fids if f in claimed)})
    return rows


def _caseload_totals(workers: list[dict], families, as_of: dt.date) -> dict:
    rules = current_ruleset()
    ids = select(families.subquery().c.id)
    allocated = select(m.Allocation.family_id).where(_allocated_on(as_of))
    unallocated = db.session.scalar(
        select(func.count(m.Family.id)).where(
            m.Family.id.in_(ids), m.Family.attached_on.is_not(None),
            m.Family.attached_on <= as_of, m.Family.id.not_in(allocated))) or 0
    active = sum(row["active"] for row in workers)
    return {
        "workers": len(workers),
        "active": active,
        "average": Fraction(active, len(workers)) if workers else None,
        "at_limit": sum(1 for row in workers if row["active"] >= rules.caseload_max_active),
        "spare": sum(1 for row in workers if row["active"] < rules.caseload_spare_below),
        "unallocated": unallocated,
        "max_active": rules.caseload_max_active,
        "spare_below": rules.caseload_spare_below,
    }


def _money(families, live: list[tuple], as_of: dt.date, claimable: int) -> dict:
    ids = select(families.subquery().c.id)
    fees = attachment_fees(select(m.Family.attached_on).where(
        m.Family.id.in_(ids), m.Family.attached_on.is_not(None), m.Family.attached_on <= as_of))
    by_state: Counter = Counter()
    by_result: dict[str, Counter] = {r: Counter() for r in CLAIMABLE_RESULTS}
    for _fid, result, state, amount, _claim_on, batch_on, decided_at in live:
        if batch_on is not None and batch_on <= as_of:
            stage = "submitted"
        elif state in ("validated", "submitted") and decided_at.date() <= as_of:
            stage = "validated"
        else:
            stage = "draft"  # as it stood on as_of
        by_state[stage] += amount
        by_result[result][stage] += amount
        by_result[result]["count"] += 1
    fee_total = sum(row["fee"] for row in fees.values())
    return {"fees": fees, "fee_total": fee_total, "by_state": by_state, "by_result": by_result,
            "claimable": claimable,
            "received_or_due": fee_total + by_state["submitted"]}


# Additional measures -------------------------------------------------------------------------


def _measures(families, estimates: list[tuple[CostEstimate, int]],
              abuse_dates: dict[int, list[dt.date]], as_of: dt.date,
              period: Window | None) -> dict:
    """Domestic abuse incidents in the baseline and recent windows of families whose results
    can be judged; substance misuse referrals made before and after attachment."""
    judged = [found for found, _ in estimates if found.status == "estimated"]
    abuse = {
        "families": len(judged),
        "before": sum(int(f.before["domestic_abuse_incident"]) for f in judged),
        "after": sum(int(f.after["domestic_abuse_incident"]) for f in judged),
        "families_before": sum(1 for f in judged if f.before["domestic_abuse_incident"]),
        "families_after": sum(1 for f in judged if f.after["domestic_abuse_incident"]),
    }
    ids = select(families.subquery().c.id)
    R, F = m.Referral, m.Family
    referrals = Counter()
    for referred_on, attached_on in db.session.execute(
        select(R.referred_on, F.attached_on).join(F, R.family_id == F.id).where(
            R.family_id.in_(ids), R.kind == "substance_misuse", R.referred_on <= as_of,
            F.attached_on.is_not(None), F.attached_on <= as_of)
    ):
        referrals["before" if referred_on < attached_on else "after"] += 1
        if period and period.holds(referred_on):
            referrals["in_period"] += 1
    if period:
        abuse["in_period"] = sum(period.holds(d) for dates in abuse_dates.values() for d in dates)
    return {"abuse": abuse, "referrals": {k: referrals[k] for k in
                                          ("before", "after", "in_period")}}


def quarter_activity(user: m.User, first: dt.date, last: dt.date) -> dict:
    """What happened from first to last (a quarter): families identified and attached, claims
    made (not rejected) and claims submitted, with their amounts."""
    ids = select(visible_families(user).subquery().c.id)
    F, C, B = m.Family, m.Claim, m.ClaimBatch

    def count(column) -> int:
        return db.session.scalar(select(func.count(F.id)).where(
            F.id.in_(ids), column >= first, column <= last)) or 0

    drafted = db.session.execute(select(func.count(C.id), func.coalesce(func.sum(C.amount), 0))
                                 .where(C.family_id.in_(ids), C.state != "rejected",
                                        C.as_of >= first, C.as_of <= last)).one()
    submitted = db.session.execute(select(func.count(C.id), func.coalesce(func.sum(C.amount), 0))
                                   .join(B, C.batch_id == B.id)
                                   .where(C.family_id.in_(ids), B.as_of >= first,
                                          B.as_of <= last)).one()
    return {"identified": count(F.identified_on), "attached": count(F.attached_on),
            "claims": drafted[0], "claims_amount": drafted[1],
            "submitted": submitted[0], "submitted_amount": submitted[1]}


def by_reduction(items: list[tuple[CostEstimate, str]]) -> list[tuple[CostEstimate, str]]:
    """Estimated families first, largest reduction first; then those too early to judge."""
    return sorted(items, key=lambda pair: (pair[0].status != "estimated",
                                           -pair[0].reduction_pence, pair[0].family_ref))
