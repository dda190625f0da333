"""One definition of each programme figure, counted from the stored evaluation.

Every page, CSV and PDF that shows one of these figures counts it here, with set-based
queries over the families a user may see (casework.access) joined to their stored
evaluation (casework.evaluation.store). docs/figures.md says what each one means; a test
builds one world and checks each figure is the same wherever it is shown.

A figure is a condition on a family, over `Scope.f` (the user's families) and `Scope.s`
(their stored rows), for the date the stored evaluation holds for (`Scope.as_of`). What
each one means is written once, in MEANING below (the dashboard's funnel shows it; the
table of docs/figures.md repeats it word for word, which a test checks).

The additional measure substance_misuse_referrals counts referrals for substance misuse of
the attached families, before and after attachment.

Beside them, the programme's match funding (match_funding): pledges made on or before the
date, pledged and received, by financial year and kind of source.

Every figure is the scope's programme's own (`Scope.programme`): its families
(in_programme: an episode in it, or none at all and identified while it took families), its
sign-ups (each family's episode in it) and claims, and its stored evaluation (`Scope.ruleset`,
the same programme: each programme's families are evaluated under its own rules by the
refresh, casework.evaluation.store).

To add a figure, add its condition and its MEANING here and its line to docs/figures.md.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter, defaultdict

from flask import current_app, has_app_context
from sqlalchemy import and_, bindparam, case, delete, func, or_, select, update
from sqlalchemy.schema import DropTable

from .. import cache_version, clock
from .. import models as m
from ..access import stored_scope, stored_scopes, visible_families
from ..bulk import insert_columns
from ..extensions import db
from ..locking import lock_rows
from ..rules import CLAIMABLE_RESULTS, RESULTS, STATUSES, get_ruleset
from ..rules.costs import STORED_COUNTS
from ..rules.dates import months_after, months_before
from ..rules.outcomes import SUSTAINING
from ..rules.ruleset import PROGRAMMES, OutcomeFrame, programme_of
from ..workers import on_threads
from .service import current_ruleset
from .store import current_run, read_snapshot, store_figures

HIGH_CONTACT_CONTACTS = 12  # final contacts in the recent window (about one a fortnight)
NO_WARD = "No ward recorded"  # the families without a ward, in the figures by ward
FAMILY_FIGURES = ("identified", "eligible", "attached", "results_met", "claimable", "claimed",
                  "validated", "submitted", "high_contact", "waiting")

MEANING = {  # what each figure counts, on the figures' date: the one wording of each
    "identified": "Identified on or before the date",
    "eligible": "Identified, and meeting the criteria (all three, or two and local discretion)",
    "attached": "Eligible, and signed up to the programme on or before the date",
    "results_met": "Attached, with a claimable result met on the date or already claimed",
    "claimable": "A new claim dated the date may be made for one of its results",
    "claimed": "With a claim dated on or before the date, not rejected",
    "validated": "With a claim validated by internal audit, not yet submitted",
    "submitted": "With a claim in a batch submitted to the government department",
    "high_contact": f"At least {HIGH_CONTACT_CONTACTS} final contacts in the 6 months up to "
                    "the date (the rules' recent window)",
    "waiting": "Signed up to the programme, the episode open on the date, and no FIP worker "
               "then",
}


def meaning(figure: str, programme: str) -> str:
    """MEANING of the figure under the programme: a later programme's families are eligible
    by their needs' headline problems (its frame), not the 2012 criteria."""
    rules = get_ruleset(programme)
    if figure == "eligible" and isinstance(rules, OutcomeFrame):
        return (f"Identified, and with needs under at least {rules.min_problems} of the "
                "programme's headline problems")
    return MEANING[figure]


@dataclasses.dataclass
class Scope:
    """The user's families, their stored rows and the date the figures hold for."""

    f: object  # the visible families, a subquery
    s: type  # m.StoredEvaluation, joined on family and ruleset
    as_of: dt.date
    refreshed_at: dt.datetime | None
    ruleset: str  # of the stored evaluation read: the programme's own (identification, results)
    programme: str  # whose families, episodes (sign-ups) and claims are counted
    # The stored figures' scope holding exactly these families ("all", "team:N"; None:
    # counted live) and the ward chosen: see stored().
    stored_as: str | None = None
    ward: str | None = None
    _stored: object = dataclasses.field(default=None, init=False, repr=False, compare=False)

    def select(self, *columns):
        """SELECT columns FROM the user's families LEFT JOIN their stored evaluation."""
        S = self.s
        return select(*columns).select_from(self.f).outerjoin(
            S, and_(S.family_id == self.f.c.id, S.ruleset == self.ruleset))


def scope(user: m.User | None, ward: str | None = None, families=None,
          as_of: dt.date | None = None, programme: str | None = None) -> Scope:
    """The figures' scope: the families `user` may see (or the SELECT `families`, already
    scoped), of one ward if given, at the stored evaluation's date. `as_of` moves the date
    cut-offs (identified, attached, claims) to another day; eligibility and results stay
    the stored evaluation's."""
    stored_as = None
    if families is None:
        families = visible_families(user)
        stored_as = stored_scope(user) if as_of is None else None
    if ward:
        families = families.where(m.Family.ward == ward)
    rules = current_ruleset()
    run = current_run(rules.name)
    as_of = as_of or (run.as_of if run else clock.today())
    programme = programme or rules.name
    return Scope(families.subquery("scoped"), m.StoredEvaluation, as_of,
                 run.refreshed_at if run else None, programme, programme, stored_as,
                 ward or None)


def for_programme(sc: Scope, programme: str | None = None) -> Scope:
    """The scope counting `programme`'s figures (its families, sign-ups and claims, and its
    stored evaluation); by default the programme that took families on the figures' date (a
    council's current programme, or an earlier one for figures as of its years): the
    dashboard's, the money page's and the API's."""
    programme = programme or programme_of(sc.as_of)
    return dataclasses.replace(sc, programme=programme, ruleset=programme)


def _programme_of(day):
    """SQL: rules.ruleset.programme_of of a date column (NULL for NULL)."""
    taking, begun = [], []
    for name in reversed(PROGRAMMES):
        rules = get_ruleset(name)
        takes = day >= rules.first_attachment
        if rules.last_attachment is not None:
            takes = and_(takes, day <= rules.last_attachment)
        taking.append((takes, name))
        begun.append((day >= rules.first_attachment, name))
    return case(*taking, *begun, (day.is_not(None), PROGRAMMES[0]), else_=None)


def in_programme(programme: str, family_id, identified_on):
    """SQL: whether a family's figures are the programme's: it has an episode in the
    programme, or it has no episode at all and was identified on a day the programme took
    families (rules.ruleset.programme_of: docs/episodes.md, "Which programme"). A family that
    came back under a later programme is in both; one identified and never signed up is in
    the programme of its identification. The refresh evaluates each programme's families
    under its own rules (casework.evaluation.store.programme_family_ids)."""
    E = m.Episode
    return or_(family_id.in_(select(E.family_id).where(E.programme == programme)),
               and_(family_id.not_in(select(E.family_id)),
                    _programme_of(identified_on) == programme))


def memo(sc: Scope, name: str, compute, *args, large: bool = False, summary: bool = False):
    """compute() for this scope (its families, date and ruleset) and `args`, counted once
    and served again until a table it read changes (casework.cache_version). A `summary` of
    a scope that reads the stored figures (stored()) is served until they are stored again
    instead: it is as current as they are, which the page says (freshness()), and a busy day
    of writing costs each process one count a minute, not one a change. What compute returns
    must be plain data: numbers, strings, dates, dicts, lists."""
    families = str(sc.f.compile(dialect=db.session.get_bind().dialect,
                                compile_kwargs={"literal_binds": True}))
    on = (cache_version.TABLE + "stored_figures",) if summary and stored(sc) is not None else None
    return cache_version.cached((name, families, sc.as_of, sc.ruleset, sc.programme, on, *args),
                                compute, large, on)


# Claims ---------------------------------------------------------------------------------------


def claims(sc: Scope, state: str | None = None):
    """The claims of the scope's families dated on or before the date, not rejected; of one
    state if `state` ("draft", "validated", "submitted")."""
    C = m.Claim  # each programme's claims are its own: the scope's ruleset's
    query = select(C).where(C.family_id.in_(select(sc.f.c.id)), C.as_of <= sc.as_of,
                            C.state != "rejected", C.ruleset == sc.programme)
    return query.where(C.state == state) if state else query


def _claimed_ids(sc: Scope, state: str | None = None):
    return claims(sc, state).with_only_columns(m.Claim.family_id)


def high_contact_ids(sc: Scope, start: dt.date | None = None, end: dt.date | None = None):
    """The scope's families with at least HIGH_CONTACT_CONTACTS final contacts from start to
    end (default: the recent window at the date)."""
    C = m.Contact
    if start is None or end is None:
        start, end = recent_window(sc.as_of)
    return (select(C.family_id)
            .where(C.family_id.in_(select(sc.f.c.id)), C.status == "final",
                   C.contact_at >= dt.datetime.combine(start, dt.time()),
                   C.contact_at < dt.datetime.combine(end + dt.timedelta(days=1), dt.time()))
            .group_by(C.family_id).having(func.count(C.id) >= HIGH_CONTACT_CONTACTS))


def signed_up_ids(sc: Scope):
    """The scope's families signed up to its programme on or before the date: an episode
    of the programme begun by then (a family that came back counts once)."""
    E = m.Episode
    return select(E.family_id).where(E.programme == sc.programme, E.signed_up_on <= sc.as_of)


def signed_up_on(sc: Scope):
    """SQL: the day the scope's family (sc.f) first signed up to the scope's programme."""
    day = sc.f.c.get("signed_up_day")  # worked out once per family (_flagged)
    if day is not None:
        return day
    E = m.Episode
    return (select(func.min(E.signed_up_on))
            .where(E.family_id == sc.f.c.id, E.programme == sc.programme).scalar_subquery())


def waiting_ids(sc: Scope):
    """The families signed up to the programme and still in that episode on the date, with
    no FIP worker allocated on it: the waiting list (casework.selection.service's, on the
    date)."""
    E, A, d = m.Episode, m.Allocation, sc.as_of
    held = select(A.family_id).where(A.start_on <= d, or_(A.end_on.is_(None), A.end_on > d))
    return select(E.family_id).where(
        E.programme == sc.programme, E.signed_up_on <= d,
        or_(E.closed_on.is_(None), E.closed_on > d), E.family_id.not_in(held))


def recent_window(as_of: dt.date) -> tuple[dt.date, dt.date]:
    """The rules' recent window (months_before(D, 6), D], as first and last day."""
    return months_before(as_of, current_ruleset().recent_months) + dt.timedelta(days=1), as_of


# Conditions -----------------------------------------------------------------------------------


def condition(sc: Scope, figure: str):
    """The figure's condition on one family of the scope."""
    flag = sc.f.c.get(f"is_{figure}")  # worked out once per family (_flagged)
    if flag is not None:
        return flag == 1
    f, S, d = sc.f.c, sc.s, sc.as_of
    identified = and_(f.identified_on.is_not(None), f.identified_on <= d,
                      in_programme(sc.programme, f.id, f.identified_on))
    eligible = and_(identified, S.eligible.is_(True))
    attached = and_(eligible, f.id.in_(signed_up_ids(sc)))
    if figure == "identified":
        return identified
    if figure == "eligible":
        return eligible
    if figure == "attached":
        return attached
    if figure == "results_met":
        met = [getattr(S, f"result_{r}") == "met" for r in claimable_results(sc.programme)]
        return and_(attached, or_(*met, f.id.in_(_claimed_ids(sc))))
    if figure == "claimable":
        return S.claimable_total > 0
    if figure == "claimed":
        return f.id.in_(_claimed_ids(sc))
    if figure in ("validated", "submitted"):
        return f.id.in_(_claimed_ids(sc, figure))
    if figure == "high_contact":
        return f.id.in_(high_contact_ids(sc))
    if figure == "waiting":
        return f.id.in_(waiting_ids(sc))
    raise ValueError(f"no figure {figure!r}")


def counted(sc: Scope, figure: str):
    """COUNT of the scope's families meeting the figure, as a column to select."""
    return func.count(case((condition(sc, figure), 1)))


def family_counts(sc: Scope, figures=FAMILY_FIGURES) -> dict[str, int]:
    """How many of the scope's families meet each figure, in one query."""
    return values(sc, [(k, counted(sc, k)) for k in figures])


def values(sc: Scope, columns: list[tuple[str, object]]) -> dict[str, int]:
    """{name: the aggregate column over the scope's families}: summed from the stored
    figures when they hold for the scope (every column of stored_columns is stored), else
    counted now, in one query."""
    st = stored(sc)
    if st is not None:
        return {name: st.totals.get(name, 0) for name, _ in columns}
    row = db.session.execute(sc.select(*[column for _, column in columns])).one()
    return {name: int(value or 0) for (name, _), value in zip(columns, row, strict=True)}


def by_ward(sc: Scope, figures) -> list[dict]:
    """The figures (FAMILY_FIGURES) of the scope's families by ward, those without a ward
    last (NO_WARD)."""
    st = stored(sc)
    if st is not None:
        found = [{"ward": ward or NO_WARD, **{k: counts.get(k, 0) for k in figures}}
                 for ward, counts in st.wards.items() if counts.get("families")]
    else:
        ward = func.coalesce(sc.f.c.ward, NO_WARD)
        rows = db.session.execute(
            sc.select(ward, *[counted(sc, k) for k in figures]).group_by(ward)).all()
        found = [{"ward": name, **dict(zip(figures, counts, strict=True))}
                 for name, *counts in rows]
    return sorted(found, key=lambda r: (r["ward"] == NO_WARD, r["ward"]))


def programme_results(programme: str) -> tuple[str, ...]:
    """The results a programme's rules judge: the 2012 results, or a later programme's
    family outcome (every need met) and, where its frame has that route, continuous
    employment."""
    rules = get_ruleset(programme)
    if isinstance(rules, OutcomeFrame):
        return (*(("continuous_employment",) if rules.employment_route else ()),
                "family_outcome")
    return RESULTS


def claimable_results(programme: str) -> tuple[str, ...]:
    """The results a claim may be made for under the programme."""
    rules = get_ruleset(programme)
    if isinstance(rules, OutcomeFrame):
        return tuple(r for r in programme_results(programme) if r in dict(rules.result_amounts))
    return CLAIMABLE_RESULTS


def result_statuses(programme: str) -> tuple[str, ...]:
    """The statuses a programme's results take (a later programme's need: "sustaining" too)."""
    if isinstance(get_ruleset(programme), OutcomeFrame):
        return (*STATUSES, SUSTAINING)
    return STATUSES


def status_columns(sc: Scope, among: str | None = None) -> list[tuple[str, object]]:
    """How many of the scope's families (meeting the figure `among`, if given) have each
    status of each of the programme's results: "status:RESULT:STATUS" (among "attached":
    "attached:...")."""
    S = sc.s
    where = condition(sc, among) if among else None
    out = []
    for r in programme_results(sc.programme):
        for status in result_statuses(sc.programme):
            has = getattr(S, f"result_{r}") == status
            out.append((f"{among or 'status'}:{r}:{status}",
                        func.count(case((has if where is None else and_(where, has), 1)))))
    return out


def statuses(sc: Scope, among: str | None = None) -> dict[str, Counter]:
    """{result: Counter(status: families)} of the scope's families (meeting `among`)."""
    found = values(sc, status_columns(sc, among))
    out = {r: Counter() for r in programme_results(sc.programme)}
    for name, n in found.items():
        _, r, status = name.split(":")
        if n:
            out[r][status] = n
    return out


def cost_columns(sc: Scope, among: str | None = None) -> list[tuple[str, object]]:
    """The families whose results can be judged (cost_status "estimated", and meeting the
    figure `among` if given) and the sums of their stored cost counts before and after
    attachment: "cost:families", "cost:before_KEY" ... (among "high_contact": "high_contact:...")."""
    S = sc.s
    where = S.cost_status == "estimated"
    if among:
        where = and_(where, condition(sc, among))
    prefix = among or "cost"
    out = [(f"{prefix}:families", func.count(case((where, 1))))]
    out += [(f"{prefix}:{side}_{k}",
             func.coalesce(func.sum(case((where, getattr(S, f"{side}_{k}")))), 0))
            for side in ("before", "after") for k in STORED_COUNTS]
    return out


def abuse_columns(sc: Scope) -> list[tuple[str, object]]:
    """Of the families whose results can be judged, those with a domestic abuse incident in
    the baseline window, and in the recent one."""
    S = sc.s
    judged = S.cost_status == "estimated"
    return [(f"abuse:families_{side}", func.count(case((
        and_(judged, getattr(S, f"{side}_domestic_abuse_incident") > 0), 1))))
        for side in ("before", "after")]


def list_columns(sc: Scope) -> list[tuple[str, object]]:
    """The lists' totals: the families, those with a stored evaluation, those nearly there,
    the pounds claimable now and the families with a cost estimate (or too early for one)."""
    S = sc.s
    return [("families", func.count()), ("evaluated", func.count(S.family_id)),
            ("nearly", func.count(S.nearly_there)),
            ("claimable_pounds", func.coalesce(func.sum(S.claimable_total), 0)),
            ("cost_listed", func.count(S.cost_status))]


def fee_columns(sc: Scope) -> list[tuple[str, object]]:
    """The attached families by programme year of attachment: "attached_year:N"."""
    year = programme_year_of(signed_up_on(sc), sc.programme)
    years = len(get_ruleset(sc.programme).programme_year_starts)
    return [(f"attached_year:{n}", func.count(case((and_(condition(sc, "attached"), year == n),
                                                    1))))
            for n in range(1, years + 1)]


def stored_columns(sc: Scope) -> list[tuple[str, object]]:
    """Every aggregate the stored figures keep by ward, for the scope's programme (each
    programme's are its own: its families, its stored evaluation, its sign-ups and claims)."""
    return [*[(k, counted(sc, k)) for k in FAMILY_FIGURES], *list_columns(sc),
            *status_columns(sc), *cost_columns(sc), *cost_columns(sc, "high_contact"),
            *abuse_columns(sc), *status_columns(sc, "attached"), *fee_columns(sc)]


def high_contact_count(sc: Scope, start: dt.date | None = None,
                       end: dt.date | None = None) -> int:
    return db.session.scalar(select(func.count()).select_from(
        high_contact_ids(sc, start, end).subquery())) or 0


def claimable_pounds(sc: Scope) -> int:
    return values(sc, [c for c in list_columns(sc) if c[0] == "claimable_pounds"])[
        "claimable_pounds"]


def stored_family_total(user: m.User, ward: str | None = None) -> int | None:
    """How many families `user` sees (of `ward`), from the stored figures; None when they do
    not hold for the user's families (count them live)."""
    st = stored_exactly(scope(user, ward))
    return None if st is None else st.totals.get("families", 0)


def list_totals(sc: Scope) -> dict[str, int]:
    """list_columns of the scope: its families, evaluated, nearly there, claimable pounds."""
    return values(sc, list_columns(sc))


def claim_totals(sc: Scope) -> dict[str, dict]:
    """Claims and pounds by state (draft, validated, submitted, and claimed: all of them)."""
    out = {s: {"claims": 0, "amount": 0} for s in ("draft", "validated", "submitted")}
    sub = claims(sc).subquery()
    for state, count, amount in db.session.execute(
        select(sub.c.state, func.count(), func.coalesce(func.sum(sub.c.amount), 0))
        .group_by(sub.c.state)
    ):
        out[state] = {"claims": count, "amount": amount}
    out["claimed"] = {k: sum(v[k] for v in out.values()) for k in ("claims", "amount")}
    return out


def programme_year_of(column, programme: str | None = None):
    """SQL: the programme year (1, 2, 3 ...) of a date column under the programme (default
    the council's ruleset), NULL before the programme."""
    starts = (get_ruleset(programme) if programme else current_ruleset()).programme_year_starts
    return case(*[(column >= start, number)
                  for number, start in reversed(list(enumerate(starts, start=1)))],
                else_=None)


def attachment_fees(sc: Scope) -> dict[int, dict]:
    """Attachment fees of the attached families, by programme year of attachment:
    {year: {"families", "fee", "funded"}}, in year order."""
    rules = get_ruleset(sc.programme)
    fees = {}
    for name, families in values(sc, fee_columns(sc)).items():
        number = int(name.split(":")[1])
        if not families:
            continue
        fee = rules.attachment_fees[min(number, len(rules.attachment_fees)) - 1] * families
        fees[number] = {"families": families, "fee": fee,
                        "funded": float(fee * rules.funded_share)}
    return fees


def match_funding(sc: Scope) -> dict:
    """Match funding of the scope's programme (money partners bring, not the government's):
    pence pledged and received by financial year, and by kind of source, of the pledges
    made on or before the date. Not a family figure: the same for every user who sees it.
    {"years": {2013: {"pledged", "received"}}, "kinds": {...}, "pledged", "received"}"""
    M = m.MatchContribution
    rows = db.session.execute(
        select(M.financial_year, M.source_kind, func.sum(M.pledged_pence),
               func.sum(M.received_pence))
        .where(M.programme == sc.programme, M.pledged_on <= sc.as_of)
        .group_by(M.financial_year, M.source_kind)
        .order_by(M.financial_year, M.source_kind)).all()
    years: dict[int, dict] = {}
    kinds: dict[str, dict] = {}
    for year, kind, pledged, received in rows:
        for key, into in ((year, years), (kind, kinds)):
            row = into.setdefault(key, {"pledged": 0, "received": 0})
            row["pledged"] += int(pledged or 0)
            row["received"] += int(received or 0)
    return {"years": years, "kinds": kinds,
            "pledged": sum(r["pledged"] for r in years.values()),
            "received": sum(r["received"] for r in years.values())}


def substance_misuse_referrals(sc: Scope, first: dt.date | None = None,
                               last: dt.date | None = None) -> dict[str, int]:
    """The programme's measure "increased referrals to substance misuse support services":
    referrals for substance misuse (whatever came of them: noted on the plan, or sent to a
    partner organisation) of the scope's families attached on or before the date, made on
    or before it: {"before": made before the family's attachment, "after": on or after it,
    "in_period": made from `first` to `last` inclusive (0 without a period)}."""
    R, F = m.Referral, m.Family
    referred = (select(R.referred_on, F.attached_on).join(F, R.family_id == F.id).where(
        R.family_id.in_(select(sc.f.c.id)), R.kind == "substance_misuse",
        R.referred_on <= sc.as_of, F.attached_on.is_not(None), F.attached_on <= sc.as_of)
        ).subquery()
    counts = {"before": 0, "after": 0, "in_period": 0}
    for is_before, count in db.session.execute(
        select(referred.c.referred_on < referred.c.attached_on, func.count())
        .group_by(referred.c.referred_on < referred.c.attached_on)
    ):
        counts["before" if is_before else "after"] += count
    if first is not None and last is not None:
        counts["in_period"] = db.session.scalar(select(func.count()).where(
            referred.c.referred_on >= first, referred.c.referred_on <= last)
            .select_from(referred)) or 0
    return counts


# The quarterly return's (casework/programme/quarterly.py) -------------------------------------


def held_by_a_worker(sc: Scope):
    """The one definition of a FIP worker's active family under the scope's programme on its
    date, as a condition on models.Allocation: an allocation begun on or before the date and
    not ended by it, of a family in an episode of the programme open on the date (signed up
    by then, not closed by then). The dashboard's workers table and caseloads, and the
    quarterly return's families with a worker, count with it: a family a worker holds under
    Supporting Families is not one of their 2012-15 families."""
    A, E, d = m.Allocation, m.Episode, sc.as_of
    in_programme = select(E.family_id).where(
        E.programme == sc.programme, E.signed_up_on <= d,
        or_(E.closed_on.is_(None), E.closed_on > d))
    return and_(A.start_on <= d, or_(A.end_on.is_(None), A.end_on > d),
                A.family_id.in_(in_programme))


def with_worker_count(sc: Scope) -> int:
    """How many of the scope's families a FIP worker holds on the date under its programme
    (held_by_a_worker)."""
    A = m.Allocation
    return db.session.scalar(select(func.count(func.distinct(A.family_id))).where(
        A.family_id.in_(select(sc.f.c.id)), held_by_a_worker(sc))) or 0


# Activity in a period: the dashboard's month table and the Board report's quarter ---------------


ACTIVITY = ("identified", "attached", "claims", "claims_amount", "submitted", "submitted_amount")


def activity(sc: Scope, periods: list[tuple[dt.date, dt.date]]) -> list[dict]:
    """What happened in each period [first, last] (days included, none after the scope's
    date): families identified; families attached (eligible, first signed up to the
    programme in the period); the programme's claims made in it (dated in it, not rejected)
    and those submitted to the department (in a batch dated in it), with their pounds. One query over
    the families and one over the claims, however many periods."""
    st = stored(sc)
    if st is not None and all(first.day == 1 and (last + dt.timedelta(days=1)).day == 1
                              for first, last in periods):
        return [{key: sum(n for month, n in st.months.get(key, {}).items()
                          if first <= month <= last) for key in ACTIVITY}
                for first, last in periods]
    f, d = sc.f.c, sc.as_of
    signed_up = signed_up_on(sc)
    columns = []
    for first, last in periods:
        last = min(last, d)
        columns.append(func.count(case((and_(condition(sc, "identified"),
                                             f.identified_on >= first,
                                             f.identified_on <= last), 1))))
        columns.append(func.count(case((and_(condition(sc, "attached"), signed_up >= first,
                                             signed_up <= last), 1))))
    families = db.session.execute(sc.select(*columns)).one()
    live = claims(sc).subquery()
    B = m.ClaimBatch
    claim_columns = []
    for first, last in periods:
        last = min(last, d)
        made = and_(live.c.as_of >= first, live.c.as_of <= last)
        sent = and_(B.as_of >= first, B.as_of <= last)
        claim_columns += [func.count(case((made, 1))),
                          func.coalesce(func.sum(case((made, live.c.amount))), 0),
                          func.count(case((sent, 1))),
                          func.coalesce(func.sum(case((sent, live.c.amount))), 0)]
    made = db.session.execute(select(*claim_columns).select_from(live).outerjoin(
        B, live.c.batch_id == B.id)).one()
    return [dict(zip(ACTIVITY, (families[2 * i], families[2 * i + 1], *made[4 * i:4 * i + 4]),
                     strict=True))
            for i in range(len(periods))]


def month_periods(as_of: dt.date, count: int = 12) -> list[tuple[dt.date, dt.date]]:
    """The `count` calendar months up to and including as_of's, oldest first, as (first
    day, last day)."""
    first = as_of.replace(day=1)
    starts = [months_before(first, n) for n in range(count - 1, -1, -1)]
    return [(start, months_after(start, 1) - dt.timedelta(days=1)) for start in starts]


# Money -------------------------------------------------------------------------------------------


def money(sc: Scope) -> dict:
    """The programme's money for the scope: attachment fees by programme year of attachment
    (`fees`, `fee_total`) and the share of them the government funds (`funded_share`, the
    ruleset's, and who: `funder`, its name on the date); claims not rejected in pounds by state (`by_state`) and by result
    and state with their count (`by_result`); every claim's pounds (rejected too) by the
    programme year of its episode's sign-up and state (`by_year`), with those recorded above
    what the result pays now (`frozen_above`); what is still claimable (`claimable`); and
    the fees plus the results submitted (`received_or_due`). The dashboard, the Board
    report and the money page all show these."""
    rules = get_ruleset(sc.programme)
    fees = attachment_fees(sc)
    totals = claim_totals(sc)  # the claims by state: the API's and quarterly return's too
    by_state = Counter({s: totals[s]["amount"] for s in ("draft", "validated", "submitted")})
    by_result: dict[str, Counter] = {  # the programme's own results (a later one: outcomes)
        r: Counter() for r in dict(rules.result_amounts)}
    by_year: dict[int | None, dict] = defaultdict(lambda: {s: 0 for s in m.CLAIM_STATES})
    frozen_above: dict[int | None, dict] = defaultdict(lambda: {"claims": 0, "amount": 0})
    C, E = m.Claim, m.Episode  # a claim is paid by the programme year of its episode's sign-up
    signed_up = func.coalesce(E.signed_up_on, m.Family.attached_on)
    for attached_on, result, state, amount, count in db.session.execute(
        select(signed_up, C.result, C.state, C.amount, func.count(C.id))
        .join(m.Family, C.family_id == m.Family.id)
        .outerjoin(E, C.episode_id == E.id)
        .where(C.family_id.in_(select(sc.f.c.id)), C.as_of <= sc.as_of,
               C.ruleset == sc.programme)
        .group_by(signed_up, C.result, C.state, C.amount)
    ):
        year = rules.programme_year(attached_on) if attached_on else None
        by_year[year][state] += amount * count
        if state != "rejected":
            by_result.setdefault(result, Counter())[state] += amount * count
            by_result[result]["count"] += count
            pays = rules.result_amount(result, attached_on) if attached_on else None
            if pays is None or amount > pays:
                frozen_above[year]["claims"] += count
                frozen_above[year]["amount"] += (amount - (pays or 0)) * count
    fee_total = sum(row["fee"] for row in fees.values())
    return {"fees": fees, "fee_total": fee_total, "by_state": by_state, "by_result": by_result,
            "by_year": {year: dict(states) for year, states
                        in sorted(by_year.items(), key=lambda kv: kv[0] or 0)},
            "frozen_above": dict(frozen_above), "claimable": claimable_pounds(sc),
            "received_or_due": fee_total + by_state["submitted"],
            "funded_share": rules.funded_share, "funder": rules.funder(sc.as_of)}


# The stored figures ------------------------------------------------------------------------------
#
# Counting every family for a summary takes seconds at national scale, so the figures above
# are also stored, summed by group (store.store_figures: right after a refresh of the stored
# evaluation, and by the job worker whenever the data moved): for every scope a user's
# families can be (every family, each team's), each programme and ward, the aggregates of
# stored_columns, and the activity by month. A page of a user whose families are one of
# those scopes sums a few hundred rows (stored()); any other scope (a worker's, a partner's,
# another date) is counted live by the same expressions. A summary page reads them whenever
# there are any for its scope and date, even when data_versions says the data has moved
# since the snapshot they were counted from (the job worker counts them again within a
# minute): each page says when they were counted and how many changes since they do not
# show yet (freshness()), rather than counting every family live in a web request (3.3 s for
# the dashboard at 120,000 families on SQLite). A list's total, which must match the rows it
# pages through, reads them only while they are current (stored_exactly).


def stored_name(ruleset: str) -> str:
    return f"{cache_version.FIGURES}.stored:{ruleset}"


@dataclasses.dataclass
class Stored:
    """The stored figures of one scope (and ward), summed over its groups."""

    totals: dict[str, int]
    wards: dict[str | None, dict[str, int]]
    months: dict[str, dict[dt.date, int]]


def stored(sc: Scope) -> Stored | None:
    """The stored figures of the scope, if there are any for it: its families are a stored
    scope, its date the stored evaluation's and the figures were counted for that date.
    Once the data has moved since they were counted they are still read for a scope of
    FIGURES_LIVE_BELOW families or more (each summary page says how many changes they do not
    show yet: freshness(); the job worker counts them again within a minute), so a page never
    counts every family live in a web request; a smaller scope is then counted live and
    exact. Read once per Scope."""
    if sc.stored_as is None:
        return None
    if sc._stored is None:
        sc._stored = _read_stored(sc) or False
    return sc._stored or None


def stored_exactly(sc: Scope) -> Stored | None:
    """The stored figures of the scope only if nothing they count has changed since they
    were counted (a list's total, which must match the rows it pages through)."""
    return stored(sc) if stored_current() else None


def _stored_on(ruleset: str) -> str:
    return f"{cache_version.FIGURES}.on:{ruleset}"


def _stored_at(ruleset: str) -> str:
    return f"{cache_version.FIGURES}.at:{ruleset}"


def _state(ruleset: str, as_of: dt.date) -> tuple[dict[str, int], bool] | None:
    """(the versions recorded for the stored figures of `ruleset`, whether they are current)
    if they were counted for `as_of`; else None."""
    name, on = stored_name(ruleset), _stored_on(ruleset)
    found = cache_version.versions([cache_version.FIGURES, name, on, _stored_at(ruleset)])
    if name not in found:
        return None
    current = found[name] == found.get(cache_version.FIGURES)
    if found.get(on) != as_of.toordinal() and (on in found or not current):
        # Counted for another date (a refresh moved it since), or stored before the date
        # was recorded with them: read only while they are current.
        return None
    return found, current


def _live_below() -> int:
    return current_app.config.get("FIGURES_LIVE_BELOW", 2000) if has_app_context() else 0


def _read_stored(sc: Scope) -> Stored | None:
    run = current_run()
    if run is None or run.as_of != sc.as_of:
        return None
    # Stored under the stored evaluation's ruleset, each programme's rows apart (sc.ruleset
    # is the programme's own, for_programme).
    state = _state(current_ruleset().name, sc.as_of)
    if state is None:
        return None
    F = m.StoredFigure
    query = (select(F.ward, F.month, F.figure, func.sum(F.value))
             .where(F.ruleset == current_ruleset().name, F.programme == sc.programme,
                    F.scope == sc.stored_as)
             .group_by(F.ward, F.month, F.figure))
    if sc.ward:
        query = query.where(F.ward == sc.ward)
    out = Stored({}, {}, {})
    for ward, month, figure, value in db.session.execute(query):
        value = int(value)
        if month is None:
            out.totals[figure] = out.totals.get(figure, 0) + value
            out.wards.setdefault(ward, {})[figure] = value
        else:
            months = out.months.setdefault(figure, {})
            months[month] = months.get(month, 0) + value
    if not state[1] and out.totals.get("families", 0) < _live_below():
        return None  # behind the data, and few enough families to count live and exact
    return out


@dataclasses.dataclass(frozen=True)
class Freshness:
    """When a summary's stored figures were counted (UTC) and how many changes have been
    saved since (each transaction that changed something they count), which they do not
    show yet."""

    counted_at: dt.datetime | None
    changes: int


def freshness(user: m.User, ward: str | None = None) -> Freshness | None:
    """How current the stored figures a summary page of `user` (of one `ward`, if chosen)
    reads are; None when the page counts live (a worker's or partner's own families,
    nothing stored yet, a small scope or ward while they are behind: as stored() decides)."""
    if user is None or stored_scope(user) is None:
        return None
    rules = current_ruleset()
    run = current_run(rules.name)
    state = run and _state(rules.name, run.as_of)
    if not state:
        return None
    found, current = state
    if not current:
        F = m.StoredFigure
        query = select(func.coalesce(func.sum(F.value), 0)).where(
            F.ruleset == rules.name, F.programme == rules.name,
            F.scope == stored_scope(user), F.figure == "families", F.month.is_(None))
        if ward:
            query = query.where(F.ward == ward)
        if db.session.scalar(query) < _live_below():
            return None
    at = found.get(_stored_at(rules.name))
    changes = max(0, found.get(cache_version.FIGURES, 0) - found[stored_name(rules.name)])
    return Freshness(dt.datetime.fromtimestamp(at, dt.UTC).replace(tzinfo=None)
                     if at is not None else None, changes)


def _by_day(query, with_pounds: bool) -> list[tuple[int, str | None, dt.date, int, int]]:
    """(part, ward, day, count, pounds) rows of a (part, ward, day[, pounds]) subquery,
    grouped."""
    sub = query.subquery()
    pounds = func.coalesce(func.sum(sub.c.pounds), 0) if with_pounds else func.count()
    return db.session.execute(select(sub.c.part, sub.c.ward, sub.c.day, func.count(), pounds)
                              .where(sub.c.day.is_not(None))
                              .group_by(sub.c.part, sub.c.ward, sub.c.day)).all()


def _flagged(sc: Scope, figures) -> Scope:
    """The scope with each family's figures worked out once (columns is_FIGURE, and the day
    it first signed up, signed_up_day), which condition() then reads: the aggregates repeat
    a condition dozens of times, and the database would work each one out again."""
    flags = [case((condition(sc, k), 1), else_=0).label(f"is_{k}") for k in figures]
    # A temporary table, not a subquery: the database would fold a subquery into the query
    # that reads it and work each condition out again wherever it is read.
    create = (sc.select(*sc.f.c, *flags, signed_up_on(sc).label("signed_up_day"))
              .into("casework_flagged", temporary=True))
    db.session.execute(create)
    return dataclasses.replace(sc, f=create.table, stored_as=None)


def _scope_rows(sc: Scope) -> list[tuple[int, str | None, dt.date | None, str, int]]:
    """The stored figures of one scope and its programme: (part, ward, month or None,
    figure, value), zeros left out."""
    sc = _flagged(sc, FAMILY_FIGURES)
    try:
        return _grouped(sc)
    finally:
        db.session.execute(DropTable(sc.f))


def _grouped(sc: Scope) -> list[tuple[int, str | None, dt.date | None, str, int]]:
    f, d = sc.f.c, sc.as_of
    columns = stored_columns(sc)
    part = _part_of(f.id)
    out = []
    for number, ward, *counts in db.session.execute(
            sc.select(part, f.ward, *[c for _, c in columns]).group_by(part, f.ward)):
        out += [(number, ward, None, name, int(n))
                for (name, _), n in zip(columns, counts, strict=True) if n]
    # The activity (see activity()) by day, summed into months.
    months: dict[tuple, int] = defaultdict(int)
    F, B = m.Family, m.ClaimBatch
    live = claims(sc).subquery()
    of_family = _part_of(F.id).label("part")
    days = [
        (("identified", None), sc.select(part.label("part"), f.ward.label("ward"),
                                         f.identified_on.label("day"))
         .where(condition(sc, "identified"))),
        (("attached", None), sc.select(part.label("part"), f.ward.label("ward"),
                                       signed_up_on(sc).label("day"))
         .where(condition(sc, "attached"))),
        (("claims", "claims_amount"), select(of_family, F.ward.label("ward"),
                                             live.c.as_of.label("day"),
                                             live.c.amount.label("pounds"))
         .join(F, F.id == live.c.family_id)),
        (("submitted", "submitted_amount"), select(
            of_family, F.ward.label("ward"), B.as_of.label("day"),
            live.c.amount.label("pounds"))
         .join(F, F.id == live.c.family_id).join(B, live.c.batch_id == B.id)
         .where(B.as_of <= d)),
    ]
    for (count_key, pounds_key), query in days:
        for number, ward, day, count, pounds in _by_day(query, pounds_key is not None):
            month = day.replace(day=1)
            months[(number, ward, month, count_key)] += count
            if pounds_key:
                months[(number, ward, month, pounds_key)] += int(pounds)
    out += [(number, ward, month, key, n) for (number, ward, month, key), n in months.items()
            if n]
    return out


# The stored figures are kept twice: summed by scope (the rows the pages read, scope "all" or
# "team:N") and by part as well (scope "all/7"): the families whose id // PART_SIZE is 7. A
# refresh of a few families counts again only their parts and moves the sums by the
# difference from the parts' stored rows (store_parts), in its own transaction; a full
# refresh counts every part (count_for_storing, then write_stored).

PART_SIZE = 4096


def _part_of(column):
    """SQL: the part of a family id column (integer division on both databases)."""
    return column // PART_SIZE


def part_scope(key: str, part: int) -> str:
    return f"{key}/{part}"


def parts_name(ruleset: str) -> str:
    """data_versions: the WIDE version the stored parts hold for (absent: no parts stored)."""
    return f"{cache_version.FIGURES}.parts:{ruleset}"


WIDE = f"{cache_version.FIGURES}.wide"  # moved by a change no family's part accounts for
# data_versions "figures.due:7": part 7's families were evaluated again by a page's request
# without their part being counted again (mark_due); the value is the data version that
# request committed. The job worker counts the marked parts (keep_stored).
DUE = f"{cache_version.FIGURES}.due:"


def _units() -> list[tuple[str, object, str]]:
    """(scope key, SELECT of its families, programme): each counted apart, every stored scope
    under each programme's own stored evaluation."""
    return [(key, families, programme) for key, families in stored_scopes()
            for programme in PROGRAMMES]


def _unit_rows(ruleset: str, as_of: dt.date, parts: list[int] | None, key: str, families,
               programme: str) -> list[dict]:
    """The part rows of one scope under one programme (of `parts` only, if given)."""
    if parts is not None:
        families = families.where(or_(*[
            m.Family.id.between(p * PART_SIZE, (p + 1) * PART_SIZE - 1) for p in parts]))
    sc = Scope(families.subquery("scoped"), m.StoredEvaluation, as_of, None, programme,
               programme)
    return [{"ruleset": ruleset, "programme": programme, "scope": part_scope(key, number),
             "ward": ward, "month": month, "figure": figure, "value": value}
            for number, ward, month, figure, value in _scope_rows(sc)]


def _counted_rows(ruleset: str, as_of: dt.date, parts: list[int] | None) -> list[dict]:
    """The part rows of every stored scope and programme (of `parts` only, if given)."""
    return [row for unit in _units() for row in _unit_rows(ruleset, as_of, parts, *unit)]


def _unit_in_snapshot(ruleset: str, as_of: dt.date, versions: dict[str, int], key: str,
                      families, programme: str) -> list[dict] | None:
    """_unit_rows from a read snapshot of this thread's own, or None if the data it reads
    has changed since `versions` were read (every change a figure may count moves them)."""
    read_snapshot()
    try:
        if cache_version.versions(list(versions)) != versions:
            return None
        return _unit_rows(ruleset, as_of, None, key, families, programme)
    finally:
        db.session.commit()


def count_for_storing() -> tuple[str, int, int, list[dict]] | None:
    """(ruleset, data version, wide version, part rows): the figures of every stored scope
    and programme by part, counted in the caller's transaction, which must read one snapshot
    of the data (store.store_figures opens it) so that the versions read here are the ones
    the counts hold for. None: nothing stored yet to count. The scopes and programmes are
    counted side by side, each on a thread with a snapshot of its own (the database does the
    counting, a core each), and the counts kept if every snapshot holds the same versions;
    else (a change committed meanwhile) they are counted again in the caller's snapshot."""
    found = cache_version.versions([cache_version.FIGURES, WIDE])
    rules = current_ruleset()
    run = current_run(rules.name)
    if cache_version.FIGURES not in found or run is None:
        return None
    counted = on_threads(_unit_in_snapshot, [(rules.name, run.as_of, found, *unit)
                                             for unit in _units()])
    if any(rows is None for rows in counted):
        counted = [_counted_rows(rules.name, run.as_of, None)]
    return (rules.name, found[cache_version.FIGURES], found.get(WIDE, 0),
            [row for rows in counted for row in rows])


def _summed(rows: list[dict]) -> dict[tuple, int]:
    """{(programme, scope, ward, month, figure): value} of part rows, summed over parts."""
    out: dict[tuple, int] = defaultdict(int)
    for r in rows:
        out[(r["programme"], r["scope"].rsplit("/", 1)[0], r["ward"], r["month"],
             r["figure"])] += r["value"]
    return out


def _insert(rows: list[dict]) -> None:
    """Insert stored figure rows by the driver's bulk path (a full count writes about
    100,000 at 120,000 families: the ORM's bulk insert took 1.9 s of them)."""
    if rows:
        insert_columns(m.StoredFigure.__table__, {name: [r[name] for r in rows]
                                                  for name in _FIGURE_COLUMNS})


_FIGURE_COLUMNS = ("ruleset", "programme", "scope", "ward", "month", "figure", "value")


def _record_when(ruleset: str) -> None:
    """Record the date the stored figures are counted for and the time (freshness()), and
    that the job worker is yet to count their summaries for every process."""
    cache_version.stored_again(db.session)
    run = current_run(ruleset)
    if run is not None:
        cache_version.record(db.session, _stored_on(ruleset), run.as_of.toordinal())
    cache_version.record(db.session, _stored_at(ruleset), int(m.utcnow().replace(
        tzinfo=dt.UTC).timestamp()))


def write_stored(ruleset: str, version: int, wide: int, rows: list[dict]) -> bool:
    """Replace the stored figures of `ruleset` with the part rows `rows` and their sums,
    counted at data `version` (and WIDE `wide`), in the caller's write transaction; unless
    figures counted at a later version are stored already (a refresh's, store_parts):
    False then, nothing written."""
    # The version first: on PostgreSQL its row stays locked until commit, so two writers
    # never interleave their rows.
    name = stored_name(ruleset)
    if db.session.get_bind().dialect.name == "postgresql":
        # The row store_parts holds until it commits: one of the two writes at a time.
        db.session.execute(select(m.DataVersion.name).where(
            m.DataVersion.name == cache_version.FIGURES).with_for_update()).all()
    before = cache_version.versions([name]).get(name)
    if before is not None and before > version:
        return False
    cache_version.record(db.session, name, version)
    cache_version.record(db.session, parts_name(ruleset), wide)
    _record_when(ruleset)
    _clear_marks(version, _marked())  # the parts marked due by changes counted here
    F = m.StoredFigure
    db.session.execute(delete(F).where(F.ruleset == ruleset))
    _insert(rows)
    _insert([{"ruleset": ruleset, "programme": programme, "scope": scope, "ward": ward,
              "month": month, "figure": figure, "value": value}
             for (programme, scope, ward, month, figure), value in _summed(rows).items()
             if value])
    return True


def _this_version() -> int | None:
    """This transaction's data version, now (casework.cache_version bumps it at commit
    otherwise; nothing this transaction writes after it is watched), with the version's row
    locked on PostgreSQL until commit: every change committed before is read after this, and
    any committed after moves the version past this one. (SQLite: the caller holds the one
    write lock.)"""
    session = db.session
    cache_version._bump(session())
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(m.DataVersion.name).where(
            m.DataVersion.name == cache_version.FIGURES).with_for_update()).all()
    return cache_version.versions([cache_version.FIGURES]).get(cache_version.FIGURES)


def mark_due(family_ids: set[int]) -> None:
    """Note, in the caller's write transaction (a page's request that evaluated again the
    families it changed), that these families' parts are to be counted again, by the job
    worker within a minute (keep_stored), instead of counting them here: a part is 4,096
    families, up to a second and more at national scale, and the request would hold the
    database's write lock (SQLite's one writer) all that time. Until then the summaries read
    the stored figures and say how many changes they do not show yet (freshness()). Call it
    last, after every other write of the transaction."""
    if not family_ids:
        return
    version = _this_version()
    if version is None:
        return  # nothing counted yet: the figures are counted whole
    session = db.session
    for part in sorted({fid // PART_SIZE for fid in family_ids}):
        cache_version.record(session, f"{DUE}{part}", version)


def _marked() -> dict[str, int]:
    """{data_versions name: version} of the parts marked due (mark_due)."""
    V = m.DataVersion
    return dict(db.session.execute(select(V.name, V.version).where(V.name.startswith(DUE))).all())


def _clear_marks(version: int, marked: dict[str, int]) -> None:
    """Forget the parts marked due by changes at data `version` or before: the figures
    stored now count them. A mark made since (a later version) stays for the next count."""
    V = m.DataVersion
    done = [name for name, at in marked.items() if at <= version]
    for i in range(0, len(done), 500):
        db.session.execute(delete(V).where(V.name.in_(done[i : i + 500]), V.version <= version))


def _parts_usable(ruleset: str, found: dict[str, int]) -> bool:
    """Whether the stored parts account for every change since they were stored (none
    wide since: WIDE has not moved)."""
    return parts_name(ruleset) in found and found[parts_name(ruleset)] == found.get(WIDE, 0)


def _parts_to_count(family_ids: set[int], marked: dict[str, int]) -> list[int] | None:
    """The parts of these families, of every family still waiting for a refresh and those
    marked due; None when they are most parts (count whole)."""
    waiting = set(db.session.scalars(select(m.StaleFamily.family_id)))
    parts = sorted({fid // PART_SIZE for fid in family_ids | waiting}
                   | {int(name[len(DUE):]) for name in marked})
    largest = db.session.scalar(select(func.max(m.Family.id))) or 0
    if 2 * len(parts) > largest // PART_SIZE + 1:
        return None
    return parts


def store_parts(family_ids: set[int]) -> bool:
    """Count again the parts of these families, of every family still waiting for a refresh
    and of those marked due by a page's request (mark_due), and move the stored sums by the
    difference, in the caller's write transaction (a refresh job's or command's, which holds
    the write lock; never a page's request: mark_due): the figures then hold for the data
    this transaction commits. Call it last, after every other write of the transaction.
    False (nothing written; the figures are to be counted whole, store.store_figures) when
    the stored parts may miss a change: none stored, or stored before a change no family's
    part accounts for (WIDE moved), or most parts touched."""
    rules = current_ruleset()
    run = current_run(rules.name)
    this = _this_version()
    found = cache_version.versions([WIDE, parts_name(rules.name)])
    if run is None or this is None or not _parts_usable(rules.name, found):
        return False
    marked = _marked()
    parts = _parts_to_count(family_ids, marked)
    if parts is None:
        return False
    if parts:
        _move_parts(rules.name, parts, _counted_rows(rules.name, run.as_of, parts))
    _stored_at_version(rules.name, this, marked)
    return True


def _stored_at_version(ruleset: str, version: int, marked: dict[str, int]) -> None:
    cache_version.record(db.session, stored_name(ruleset), version)
    _record_when(ruleset)
    _clear_marks(version, marked)


def store_marked() -> int | None:
    """The job worker's count of the parts marked due by pages' requests (mark_due) and of
    the families still waiting for a refresh: counted from one snapshot of the data, holding
    no lock (like store.store_figures), then the stored sums moved by the difference in a
    short write of its own. How many part rows were counted; None when the parts cannot say
    what moved (none marked and none waiting, a change no part accounts for, most parts) or
    other figures were stored meanwhile: to be counted whole."""
    session = db.session
    rules = current_ruleset()
    name = stored_name(rules.name)
    read_snapshot()
    try:
        run = current_run(rules.name)
        found = cache_version.versions([cache_version.FIGURES, WIDE, parts_name(rules.name),
                                        name])
        version = found.get(cache_version.FIGURES)
        if run is None or version is None or name not in found \
                or not _parts_usable(rules.name, found):
            return None
        marked = _marked()
        parts = _parts_to_count(set(), marked)
        if not parts:
            return None
        new = _counted_rows(rules.name, run.as_of, parts)
    finally:
        session.commit()
    lock_rows()
    if session.get_bind().dialect.name == "postgresql":
        # The row store_parts and write_stored hold until they commit: one write at a time.
        session.execute(select(m.DataVersion.name).where(
            m.DataVersion.name == cache_version.FIGURES).with_for_update()).all()
    if cache_version.versions([name]).get(name) != found[name]:
        session.rollback()  # stored meanwhile (a refresh job's parts, a whole count)
        return None
    # The parts counted hold every change up to `version` (each marked or waiting then);
    # the rest of the stored figures hold for the version they were stored at, and every
    # change since that is not in these parts came after `version`: they hold for it.
    _move_parts(rules.name, parts, new)
    _stored_at_version(rules.name, version, {k: v for k, v in _marked().items()
                                             if v <= version})
    session.commit()
    return len(new)


def _move_parts(ruleset: str, parts: list[int], new: list[dict]) -> None:
    """Replace the stored rows of these parts with `new` (their rows counted again) and
    move the stored sums by the difference, in the caller's write transaction."""
    session = db.session
    F = m.StoredFigure
    keys = [key for key, _ in stored_scopes()]
    if parts:
        scopes = [part_scope(key, p) for key in keys for p in parts]
        old = [{"programme": programme, "scope": scope, "ward": ward, "month": month,
                "figure": figure, "value": value}
               for programme, scope, ward, month, figure, value in session.execute(
                   select(F.programme, F.scope, F.ward, F.month, F.figure, F.value)
                   .where(F.ruleset == ruleset, F.scope.in_(scopes)))]
        change = _summed(new)
        for k, value in _summed(old).items():
            change[k] -= value
        change = {k: v for k, v in change.items() if v}
        if change:
            sums = {(programme, scope, ward, month, figure): (row_id, value)
                    for row_id, programme, scope, ward, month, figure, value in session.execute(
                        select(F.id, F.programme, F.scope, F.ward, F.month, F.figure, F.value)
                        .where(F.ruleset == ruleset, F.scope.in_(keys)))}
            gone, moved, added = [], [], []
            for k, by in change.items():
                row_id, value = sums.get(k, (None, 0))
                if row_id is None:
                    programme, scope, ward, month, figure = k
                    added.append({"ruleset": ruleset, "programme": programme,
                                  "scope": scope, "ward": ward, "month": month,
                                  "figure": figure, "value": by})
                elif value + by == 0:
                    gone.append(row_id)
                else:
                    moved.append({"row_id": row_id, "value": value + by})
            if gone:
                session.execute(delete(F).where(F.id.in_(gone)))
            if moved:
                session.connection().execute(
                    update(F.__table__).where(F.__table__.c.id == bindparam("row_id"))
                    .values(value=bindparam("value")), moved)
            _insert(added)
        for i in range(0, len(scopes), 500):
            session.execute(delete(F).where(F.ruleset == ruleset,
                                            F.scope.in_(scopes[i : i + 500])))
        _insert(new)


def stored_current() -> bool:
    """Whether the stored figures hold for the data now."""
    name = stored_name(current_ruleset().name)
    found = cache_version.versions([cache_version.FIGURES, name])
    return name in found and found[name] == found.get(cache_version.FIGURES)


def keep_stored() -> int | None:
    """Store the figures again if the data changed since they were stored (the job worker
    asks every minute); how many rows, or None if they were current. The parts of the
    families changed since (marked due by a page's request, or still waiting for a refresh)
    are counted again (store_marked); when the parts cannot say what moved, the figures are
    counted whole (store.store_figures). Both count from a snapshot, holding no lock."""
    if stored_current():
        return None
    counted = store_marked()
    if counted is not None:
        return counted
    return store_figures()
