"""The programme's figures for managers and the Partnership Board: the funnel, activity by
month, ward and worker, results by type, caseloads, money, estimated costs avoided and the
additional measures (domestic abuse incidents, substance misuse referrals).

Every figure is counted from the stored evaluation (casework.evaluation.figures holds the
one definition of each), for the date it holds for.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from array import array
from collections import Counter
from decimal import Decimal
from fractions import Fraction

from sqlalchemy import BigInteger, cast, func, literal, select

from .. import clock
from .. import models as m
from ..access import team_workers, visible_families
from ..audit import record_event
from ..caseloads.service import caseloads
from ..evaluation import figures as fig
from ..evaluation.service import current_ruleset
from ..extensions import db
from ..history import write_history
from ..lookups import one_of
from ..outcomes.service import claims_by_month, needs_by_count
from ..paging import page_within
from ..reports.exports import Export, csv_bytes, csv_export
from ..rules.costs import (
    COST_ITEMS,
    STORED_COUNTS,
    CostEstimate,
    CostTotals,
    Window,
    annual_cost,
    cost_weights,
    rounded,
    stored_to_counts,
)
from ..rules.dates import financial_year_start, months_before
from ..rules.ruleset import programme_label
from ..selection.figures import WayIn, way_in
from ..transaction import transactional

FUNNEL = tuple(  # the figures (casework.evaluation.figures) shown as the programme's funnel
    (key, label, fig.MEANING[key]) for key, label in (
        ("identified", "Identified"), ("eligible", "Eligible"), ("attached", "Attached"),
        ("results_met", "Results met"), ("claimed", "Claimed"),
        ("submitted", "Submitted for payment")))

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


@transactional
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
        write_history("unit_cost", key, {"pence": row.pence, "source": row.source},
                      {"pence": pence, "source": source}, by, "unit costs page")
        record_event("update", "unit_cost", key, user=by,
                     detail=f"£{row.pence / 100:,.2f} to £{pence / 100:,.2f}")
        changed += 1
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
        return cls(financial_year_start(day), (day.month - 4) % 12 // 3 + 1)


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


# The dashboard -------------------------------------------------------------------------------


@dataclasses.dataclass
class Figures:
    """Everything the dashboard and the Partnership Board report show, on the date the
    stored evaluation holds for (`as_of`), every count from casework.evaluation.figures.
    """

    as_of: dt.date
    refreshed_at: dt.datetime | None
    funnel: dict[str, int]
    months: list[dict]
    wards: list[dict]
    workers: list[dict]
    results: dict[str, Counter]
    caseloads: dict
    money: dict
    cohort: CostTotals
    high_contact: CostTotals
    high_contact_families: int
    measures: dict
    unit_costs: list[UnitCostRow]
    programme: str = "phase1"  # whose sign-ups and claims are counted

    @property
    def programme_label(self) -> str:
        return programme_label(self.programme)

    @property
    def stages(self) -> tuple[tuple[str, str, str], ...]:
        """FUNNEL, each stage's meaning the programme's (casework.evaluation.figures.meaning)."""
        return tuple((key, label, fig.meaning(key, self.programme)) for key, label, _ in FUNNEL)

    @property
    def later(self) -> bool:
        """A later programme's: its results are the family outcome (needs sustaining too)."""
        return "family_outcome" in self.results


def figures(user: m.User, period: Window | None = None, programme: str | None = None) -> Figures:
    """Every figure for the families `user` may see, read from the stored evaluation, with
    the sign-ups and claims of `programme` (default: the one that took families on the
    stored evaluation's date). `period` (a
    quarter, for the board report) adds the activity within it to the additional
    measures."""
    sc = fig.for_programme(fig.scope(user), programme)
    return fig.memo(sc, "programme.figures", lambda: _figures(user, sc, period), period,
                    summary=True)


@dataclasses.dataclass(frozen=True)
class DashboardExtras:
    """The dashboard's figures beyond Figures: the way in (selection's funnel), families by
    their number of needs, claims by month."""

    way_in: WayIn
    needs: list
    claim_months: list


def dashboard_extras(user: m.User, f: Figures) -> DashboardExtras:
    """The way in, needs and claims by month for the families `user` may see that are the
    programme's (figures.in_programme), its claims, counted once until the data changes
    (like `figures`), not on every request."""
    sc = fig.for_programme(fig.scope(user), f.programme)
    F = m.Family
    families = visible_families(user).where(fig.in_programme(f.programme, F.id, F.identified_on))
    return fig.memo(sc, "programme.dashboard_extras", lambda: DashboardExtras(
        way_in(families, f.as_of, f), needs_by_count(families),
        claims_by_month(families, f.programme)), f.as_of, clock.today(), summary=True)


def _figures(user: m.User, sc: fig.Scope, period: Window | None) -> Figures:
    costs = unit_costs()
    pence = {row.key: row.pence for row in costs}
    counts = fig.family_counts(sc)
    funnel = {key: counts[key] for key, *_ in FUNNEL}
    workers = _workers(user, sc)
    return Figures(
        programme=sc.programme,
        as_of=sc.as_of,
        refreshed_at=sc.refreshed_at,
        funnel=funnel,
        months=_months(sc),
        wards=_wards(sc),
        workers=workers,
        results=_results(sc),
        caseloads=_caseload_totals(workers, sc),
        money=fig.money(sc),
        cohort=cost_totals(sc, pence),
        high_contact=cost_totals(sc, pence, "high_contact"),
        high_contact_families=counts["high_contact"],
        measures=_measures(sc, period),
        unit_costs=costs,
    )


def _months(sc: fig.Scope) -> list[dict]:
    """The activity (casework.evaluation.figures.activity) in each of the 12 months to the
    date."""
    periods = fig.month_periods(sc.as_of)
    return [{"month": first, **row}
            for (first, _), row in zip(periods, fig.activity(sc, periods), strict=True)]


def _wards(sc: fig.Scope) -> list[dict]:
    return fig.by_ward(sc, ("identified", "eligible", "attached", "results_met", "claimed"))


def _results(sc: fig.Scope) -> dict[str, Counter]:
    """Attached families by status of each result."""
    return fig.statuses(sc, "attached")


def cost_totals(sc: fig.Scope, pence: dict[str, int], among: str | None = None) -> CostTotals:
    """Estimated costs before and since attachment, summed over the families whose results
    can be judged (and meet the figure `among`, if given): the counts are summed, then
    priced."""
    rules = current_ruleset()
    found = fig.values(sc, fig.cost_columns(sc, among))
    prefix = among or "cost"
    families = found[f"{prefix}:families"]
    sums = [found[f"{prefix}:{side}_{k}"] for side in ("before", "after") for k in STORED_COUNTS]
    half = len(STORED_COUNTS)
    before, after = stored_to_counts(sums[:half]), stored_to_counts(sums[half:])
    return CostTotals(families, annual_cost(before, pence, rules.baseline_months),
                      annual_cost(after, pence, rules.recent_months))


def priced_sql(sc: fig.Scope, pence: dict[str, int], side: str, months: int):
    """SQL: the numerator of a family's annual cost on one side ("before", "after"): over
    the denominator of rules.costs.cost_weights, the estimate of rules.costs exactly."""
    weights, _ = cost_weights(pence, months)
    return sum((cast(getattr(sc.s, f"{side}_{key}"), BigInteger) * weight
                for key, weight in weights.items()), literal(0, BigInteger))


def cost_rows(user: m.User, pence: dict[str, int], page: int | None = None,
              per_page: int | None = None
              ) -> tuple[int, int, list[tuple[CostEstimate, str, bool]]]:
    """(how many attached families have an estimate, the page shown, [(estimate, family
    name, high contact)]): estimated families first, largest reduction first, then those
    too early; one page of `per_page` if given (a page past the end is the last), else all.
    Priced in the database (priced_sql); every row is a rules.costs.CostEstimate."""
    total, page, found, (before_d, after_d) = _cost_query(user, pence, page, per_page)
    half = len(STORED_COUNTS)
    rows = []
    for ref, name, status, high, before_n, after_n, *values in found:
        rows.append((CostEstimate(ref, status, stored_to_counts(values[:half]),
                                  stored_to_counts(values[half:]), Fraction(before_n, before_d),
                                  Fraction(after_n, after_d)), name, bool(high)))
    return total, page, rows


def cost_table(user: m.User, pence: dict[str, int]) -> tuple[int, list[tuple]]:
    """(how many, every row of cost_rows as plain values, for the CSV): family_ref,
    family_name, status, high contact, the stored counts before and after (STORED_COUNTS
    order, benefit in days), and the annual cost before, after and the reduction in whole
    pence (rounded as Python rounds the estimate's Fraction). No Fraction is made, so
    100,000 families take well under a second."""
    total, _, found, (before_d, after_d) = _cost_query(user, pence)
    rows = []
    for ref, name, status, high, before_n, after_n, *values in found:
        rows.append((ref, name, status, bool(high), values,
                     rounded(before_n, before_d), rounded(after_n, after_d),
                     rounded(before_n * after_d - after_n * before_d, before_d * after_d)))
    return total, rows


COST_CSV_KEYS = [item.key for item in COST_ITEMS]
COST_CSV_HEADER = ["family_ref", "family_name", "status", "high_contact",
                   *[f"before_{k}" for k in COST_CSV_KEYS], *[f"after_{k}" for k in COST_CSV_KEYS],
                   "annual_cost_before", "annual_cost_after", "reduction"]


def costs_csv(user: m.User) -> tuple[str, bytes, int]:
    """The cost analysis CSV: (file name, bytes, how many families), priced with the unit
    costs now."""
    pence = {row.key: row.pence for row in unit_costs()}
    total, rows = cost_table(user, pence)
    as_of = fig.scope(user).as_of
    week = STORED_COUNTS.index("benefit_days")  # shown in weeks, as the page shows them

    def lines():
        for ref, name, status, high, values, *pence_values in rows:
            counts = [v / 7 if i % len(STORED_COUNTS) == week else v
                      for i, v in enumerate(values)]
            yield [ref, name, status, "y" if high else "n",
                   *[f"{float(v):g}" for v in counts],
                   *[f"{Decimal(p) / 100:.2f}" for p in pence_values]]

    return (f"cost-analysis-{as_of.isoformat()}.csv",
            csv_bytes(COST_CSV_HEADER, lines(), lineterminator="\r\n"), total)


def costs_export(user: m.User) -> Export:
    """/programme/costs.csv for `user`: made now when it is small, otherwise by the job
    "costs_csv" (casework.reports.exports.csv_export)."""
    sc = fig.scope(user)
    where = sc.s.cost_status.is_not(None)
    rows = fig.memo(sc, "programme.cost_families", lambda: db.session.scalar(
        sc.select(func.count()).where(where)) or 0)
    return csv_export("costs_csv", "Cost analysis CSV", user, {}, rows,
                      lambda: costs_csv(user)[:2])


def _cost_query(user: m.User, pence: dict[str, int], page: int | None = None,
                per_page: int | None = None):
    """(total, page, rows, (before denominator, after denominator)): rows of family_ref,
    family_name, status, high contact, the numerators before and after, the stored counts."""
    sc = fig.scope(user)
    rules = current_ruleset()
    where = sc.s.cost_status.is_not(None)
    total = fig.memo(sc, "programme.cost_families", lambda: db.session.scalar(
        sc.select(func.count()).where(where)) or 0)
    _, before_d = cost_weights(pence, rules.baseline_months)
    _, after_d = cost_weights(pence, rules.recent_months)

    def listed(sc: fig.Scope):
        S, f = sc.s, sc.f.c
        before = priced_sql(sc, pence, "before", rules.baseline_months)
        after = priced_sql(sc, pence, "after", rules.recent_months)
        return (sc.select(f.family_ref, f.family_name, S.cost_status,
                          fig.condition(sc, "high_contact"), before, after,
                          *[getattr(S, f"{side}_{k}") for side in ("before", "after")
                            for k in STORED_COUNTS])
                .where(S.cost_status.is_not(None))
                # the reduction, exactly: before / before_d - after / after_d
                .order_by(S.cost_status != "estimated",
                          (before * after_d - after * before_d).desc(), f.family_ref))

    if per_page is None:
        return total, 1, db.session.execute(listed(sc)).all(), (before_d, after_d)
    # The families priced and ordered by the database once per data change (the unit costs
    # among it) and kept as their ids, like the results page's; a page is a slice of that
    # order, and its 50 families (their high contact too) are all the page's query reads,
    # not every attached family priced and sorted again on every request (26,000 at
    # 120,000 families, and every family's id for the high contact test).
    order = fig.memo(sc, "programme.cost_order", lambda: array("q", db.session.scalars(
        listed(sc).with_only_columns(sc.f.c.id))), tuple(sorted(pence.items())))
    page = page_within(page, len(order), per_page)
    start = (page - 1) * per_page
    shown = fig.scope(user, families=visible_families(user).where(
        one_of(m.Family.id, list(order[start:start + per_page]))))
    return total, page, db.session.execute(listed(shown)).all(), (before_d, after_d)


def _workers(user: m.User, sc: fig.Scope) -> list[dict]:
    """Each FIP worker the user oversees, with their active families under the programme on
    the date (figures.held_by_a_worker, the one definition)."""
    A = m.Allocation
    allocated = {}
    for worker_id, active, met, claimed in db.session.execute(
        sc.select(A.worker_id, func.count(), fig.counted(sc, "results_met"),
                  fig.counted(sc, "claimed"))
        .join(A, A.family_id == sc.f.c.id).where(fig.held_by_a_worker(sc))
        .group_by(A.worker_id)
    ):
        allocated[worker_id] = (active, met, claimed)
    workers = team_workers(user)
    # A worker's limit is on their whole caseload, every programme's families, as allocating
    # to them counts it (casework.caseloads).
    caseload = {c.worker.id: c.active for c in caseloads(workers, sc.as_of)}
    rows = []
    for worker in workers:
        active, met, claimed = allocated.get(worker.id, (0, 0, 0))
        rows.append({"worker": worker.name, "active": active, "results_met": met,
                     "claimed": claimed, "caseload": caseload[worker.id]})
    return rows


def _caseload_totals(workers: list[dict], sc: fig.Scope) -> dict:
    rules = current_ruleset()
    unallocated = fig.family_counts(sc, ("waiting",))["waiting"]
    active = sum(row["active"] for row in workers)
    return {
        "workers": len(workers),
        "active": active,
        "average": Fraction(active, len(workers)) if workers else None,
        "at_limit": sum(1 for row in workers if row["caseload"] >= rules.caseload_max_active),
        "spare": sum(1 for row in workers if row["caseload"] < rules.caseload_spare_below),
        "unallocated": unallocated,
        "max_active": rules.caseload_max_active,
        "spare_below": rules.caseload_spare_below,
    }


# Additional measures -------------------------------------------------------------------------


def _measures(sc: fig.Scope, period: Window | None) -> dict:
    """Domestic abuse incidents in the baseline and recent windows of families whose results
    can be judged; substance misuse referrals made before and after attachment."""
    found = fig.values(sc, fig.cost_columns(sc) + fig.abuse_columns(sc))
    abuse = {"families": found["cost:families"],
             "before": found["cost:before_domestic_abuse_incident"],
             "after": found["cost:after_domestic_abuse_incident"],
             "families_before": found["abuse:families_before"],
             "families_after": found["abuse:families_after"]}
    ids = select(sc.f.c.id)
    referrals = fig.substance_misuse_referrals(sc, period.first if period else None,
                                               period.last if period else None)
    if period:
        D, P = m.DomesticAbuseIncident, m.Person
        in_period = (D.date >= period.first) & (D.date <= period.last)
        abuse["in_period"] = (
            (db.session.scalar(select(func.count()).select_from(D).join(P, D.person_id == P.id)
                               .where(P.family_id.in_(ids), in_period)) or 0)
            + (db.session.scalar(select(func.count()).select_from(D)
                                 .where(D.person_id.is_(None), D.family_id.in_(ids),
                                        in_period)) or 0))
    return {"abuse": abuse, "referrals": referrals}


def quarter_activity(user: m.User, first: dt.date, last: dt.date,
                     programme: str | None = None) -> dict:
    """The activity from first to last (a quarter): the month table's figures
    (casework.evaluation.figures.activity) for the quarter, counted as of its last day."""
    sc = fig.scope(user, as_of=last, programme=programme)
    return fig.activity(sc, [(first, last)])[0]
