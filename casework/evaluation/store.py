"""The stored evaluation: each family's identification, results, claimable amounts and cost
counts for one date, written by the same pure rules as everything else.

- `refresh()` re-evaluates every family (the nightly `casework evaluate --store`), or the
  families named, and writes their rows in one transaction.
- `mark_stale(ids)` records, in the transaction that changes a family's evidence, that the
  family must be evaluated again (its stored evaluation is stale: the `evaluation_queue`
  table, models.StaleFamily); `refresh_pending()` evaluates just those. Every change made
  through the ORM (a family or person added or edited on a page, a record of evidence, a
  claim) is marked stale by the flush listener below; the bulk writers that bypass the ORM's unit
  of work (the importer, casework.records.save_versioned) call mark_stale() themselves.
- `keep_current()` is what runs once the change has committed, at the end of every web
  request that marked a family stale (casework.evaluation.views): a few hundred families
  (EVALUATE_IN_REQUEST) are evaluated there and then; more are handed to the
  "refresh_figures" job (casework.jobs.kinds), so no request waits for them. A job that
  marked families stale (a large import) and `casework import` call refresh_pending() themselves:
  nobody is waiting on them.

Every row holds for the date in `evaluation_runs` (one per ruleset): a partial refresh uses
that date, so the table always describes one day. The refreshed families' search documents
(casework.search) are rewritten in a transaction of their own just before, while the rules
are worked out.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import logging
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator

from flask import current_app
from sqlalchemy import (
    DateTime,
    String,
    and_,
    bindparam,
    delete,
    event,
    func,
    literal,
    literal_column,
    select,
    true,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from sqlalchemy.types import NullType

from .. import cache_version, clock, search
from .. import models as m
from ..bulk import copies_in_background, insert_columns
from ..evidence.kinds import EVIDENCE
from ..extensions import db
from ..locking import lock_rows
from ..lookups import IntArray, one_of, one_of_chunks
from ..queue import start
from ..rules import CLAIMABLE_RESULTS, RESULTS, FamilyData, PriorClaim, Ruleset, get_ruleset
from ..rules.costs import stored_counts
from ..rules.engine import NOT_RELEVANT
from ..rules.evidence import OutcomeEvidence
from ..rules.nearly import nearly_there
from ..rules.ruleset import PROGRAMMES, OutcomeFrame
from ..workers import alongside, collector_paused, in_workers, map_in_workers
from .later import OutcomeFamilyEvaluation, council_plan, plan_errors, read_outcome_evidence
from .later import evaluated as outcome_evaluated
from .later import prior_claims as outcome_prior_claims
from .service import (
    BATCH,
    FamilyEvaluation,
    _evaluated,
    attempt,
    current_ruleset,
    family_ids,
    prior_claims,
    read_evidence,
    read_families,
    to_json,
)

Progress = Callable[[int, int], None]  # (families done, families in all)
WRITE_CHUNK = 5000
STALE_CHUNK = 50_000  # families queued by one statement


@dataclasses.dataclass(frozen=True)
class RefreshSummary:
    ruleset: str
    as_of: dt.date
    families: int
    full: bool
    seconds: float
    # programme -> what is wrong with its Outcome Plan in force (plan_errors): its families
    # were not evaluated under it and its stored rows are as they were.
    unreadable: dict[str, list[str]] = dataclasses.field(default_factory=dict)
    # "family_ref (programme)" -> the error its rules raised: not stored (a refresh of some
    # families keeps its row as it was), and marked stale to be tried again.
    failed: dict[str, str] = dataclasses.field(default_factory=dict)

    def line(self) -> str:
        what = "all families" if self.full else f"{self.families} changed families"
        return (f"stored evaluation ({self.ruleset}): {what} evaluated as of "
                f"{self.as_of.isoformat()} in {self.seconds:.1f} s" + self.problems())

    def problems(self) -> str:
        """What was left as stored, a line each (each line begins with a newline): the
        programmes whose Outcome Plan cannot be evaluated, the families whose rules raised."""
        return ("".join(f"\n{unreadable_words(p, errors)}" for p, errors in self.unreadable.items())
                + (f"\n{failed_words(self.failed)}" if self.failed else ""))


def failed_words(failed: dict[str, str],
                 left: str = "stored as before, to be tried again at the next refresh",
                 shown: int = 3) -> str:
    """The families whose rules raised an error and what became of them (`left`: a
    refresh keeps their rows as stored), in words (the first `shown`; the log has every
    one, with its traceback)."""
    listed = "; ".join(f"{family}: {error[:100]}"
                       for family, error in list(failed.items())[:shown])
    more = f"; and {len(failed) - shown:,} more (see the log)" if len(failed) > shown else ""
    return (f"{len(failed):,} famil{'y' if len(failed) == 1 else 'ies'} could not be evaluated "
            f"and {'is' if len(failed) == 1 else 'are'} {left}: {listed}{more}")


# What a claims build does with a family whose rules raise (failed_words).
LEFT_OUT_OF_BUILD = "left out of this build, to be claimed at a later build once put right"


def named_failures(failed: list[tuple[int, str, str]]) -> dict[str, str]:
    """{"family_ref (programme)": error} of (family id, programme, error) failures
    (service.failure), for failed_words."""
    ids = sorted({fid for fid, _, _ in failed})
    refs = {fid: ref for part in one_of_chunks(m.Family.id, ids)
            for fid, ref in db.session.execute(
                select(m.Family.id, m.Family.family_ref).where(part))}
    return {f"{refs.get(fid, fid)} ({programme})": error for fid, programme, error in failed}


def unreadable_words(programme: str, errors: list[str]) -> str:
    """A programme whose Outcome Plan could not be evaluated, and why, in words."""
    from ..rules.ruleset import PROGRAMME_LABELS

    return (f"{PROGRAMME_LABELS.get(programme, programme)}: the Outcome Plan in force cannot "
            "be evaluated, so its families' figures are as they were; load a corrected "
            "version. " + " ".join(errors))


def current_run(ruleset: str | None = None) -> m.EvaluationRun | None:
    """The date the stored evaluation holds for (None: never refreshed)."""
    return db.session.get(m.EvaluationRun, ruleset or current_ruleset().name)


def pending_count() -> int:
    return db.session.scalar(select(func.count()).select_from(m.StaleFamily)) or 0


# Marking families for re-evaluation ---------------------------------------------------------


STALE_MARKED = "casework_evaluation_queued"  # session.info: this session marked a family stale


def _upsert_stale(connection, ids: list[int], now: dt.datetime):
    """INSERT ... SELECT of these family ids, each one parameter (an array on PostgreSQL, a
    JSON array on SQLite), and the time of any already queued moved to now: one statement
    for 50,000 families, not one set of parameters each."""
    if connection.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert

        # The ids as the array's text, cast by the server (casework/lookups.py).
        listed = bindparam(None, IntArray("{" + ",".join(map(str, ids)) + "}"), type_=NullType())
        source = select(func.unnest(listed), literal(now, DateTime))
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert

        # WHERE true: SQLite would read "ON CONFLICT" after a FROM as a join's ON.
        source = (select(literal_column("value"), literal(now, DateTime))
                  .select_from(func.json_each(bindparam(None, json.dumps(ids), type_=String)))
                  .where(true()))
    statement = dialect_insert(m.StaleFamily.__table__).from_select(
        ["family_id", "queued_at"], source)
    connection.execute(statement.on_conflict_do_update(
        index_elements=["family_id"], set_={"queued_at": statement.excluded.queued_at}))


STALE_DEFERRED = "casework_stale_deferred"  # session.info: ids kept to be marked at once


@contextlib.contextmanager
def marking_deferred() -> Iterator[None]:
    """Within it, families marked stale in this session are kept and marked with one
    statement a STALE_CHUNK when it ends without an exception (in the same transaction):
    an import marks each family of each part of each file, the same families over and over.
    Nested, the outermost marks them."""
    session = db.session()
    if STALE_DEFERRED in session.info:
        yield
        return
    kept: set[int] = set()
    session.info[STALE_DEFERRED] = kept
    try:
        yield
    finally:
        session.info.pop(STALE_DEFERRED, None)
    mark_stale(kept)


def mark_stale(family_ids: Iterable[int], session: Session | None = None) -> None:
    """Mark these families for re-evaluation, in the caller's transaction (or at the end of
    marking_deferred, if it is open)."""
    session = session or db.session()
    kept = session.info.get(STALE_DEFERRED)
    if kept is not None:
        kept.update(family_ids)
        return
    ids = sorted(set(family_ids))
    if not ids:
        return
    connection = session.connection()
    now = m.utcnow()
    for i in range(0, len(ids), STALE_CHUNK):
        _upsert_stale(connection, ids[i : i + STALE_CHUNK], now)
    session.info[STALE_MARKED] = True


def marked_stale_here() -> bool:
    """Whether this request's session marked a family stale since it was last asked (asking
    forgets it)."""
    return db.session.info.pop(STALE_MARKED, False)


# The evidence the rules read (and the claims that decide what is still claimable): a change
# to any of these, through the ORM, marks its family stale. Every kind of evidence the rules
# read is read by the stored evaluation: the 2012 rules' kinds by the council's ruleset, the
# later programmes' (`Rules.later`: housing, child status, domestic abuse...) by each
# programme's own rules and Outcome Plan (casework.evaluation.later), so none is left out;
# each kind says whose it is (casework/evidence/kinds.py).
_EVALUATED = list(EVIDENCE)
# family_id; the episodes, allocations, contacts and selection decisions too, which no rule
# reads but the stored figures count (figures.store_parts counts again the families marked).
_OF_FAMILY = (m.Person, m.Claim, m.Episode, m.Allocation, m.Contact, m.SelectionDecision,
              m.Need)
_OF_PERSON = tuple(k.model for k in _EVALUATED if k.owner == "person")  # person_id
# person_id, or family_id for the family's own
_OF_EITHER = tuple(k.model for k in _EVALUATED if k.owner == "either")


@event.listens_for(Session, "after_flush")
def _mark_changed_families_stale(session: Session, _context) -> None:
    """Mark stale, in the flush that writes them, the families whose evidence the ORM changed."""
    families: set[int] = set()
    people: set[int] = set()
    needs: set[int] = set()  # a need's assessments and approved equivalent progress
    need_refs: set[str] = set()
    gone = {obj.id for obj in session.deleted if isinstance(obj, m.Family)}
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, m.Family):
            families.add(obj.id)
        elif isinstance(obj, _OF_FAMILY):
            families.add(obj.family_id)
        elif isinstance(obj, m.NeedDiscretion):
            needs.add(obj.need_id)
        elif isinstance(obj, m.Assessment):
            need_refs.add(obj.need_ref)
        elif isinstance(obj, _OF_PERSON):
            people.add(obj.person_id)
        elif isinstance(obj, _OF_EITHER):
            if obj.person_id is not None:
                people.add(obj.person_id)
            else:
                families.add(obj.family_id)
    people.discard(None)
    if people:
        P = m.Person.__table__.c
        connection = session.connection()
        ids = sorted(people)
        for i in range(0, len(ids), BATCH):
            families.update(connection.execute(
                select(P.family_id).where(P.id.in_(ids[i : i + BATCH]))).scalars())
    if needs or need_refs:
        N = m.Need.__table__.c
        families.update(session.connection().execute(select(N.family_id).where(
            N.id.in_(sorted(needs)) | N.need_ref.in_(sorted(need_refs)))).scalars())
    families.discard(None)
    mark_stale(families - gone, session)


# Changes the stored figures' parts cannot account for ---------------------------------------
#
# figures.store_parts counts again only the parts of the families a refresh evaluates and of
# those still marked stale. That holds only if every change to what the figures count since
# they were stored marked its family stale: a change to any other table the data version
# watches (a claim batch, a user's team, a team...), and a family deleted (merged), moves
# the WIDE version instead, and the figures are then counted whole. The tables below are
# written only with their families marked stale (through the ORM: the flush listener above;
# around it: the importer, casework.records, casework.episodes mark them themselves) or are
# the evaluation's own; the referrals are not counted by the stored figures (an episode
# begun adopts its family's referrals: casework.episodes). Any table not named here moves
# WIDE, so a figure stored from a new table is safe (counted whole) until it is named.

_ACCOUNTED = frozenset({
    "families", "people", "claims", "episodes", "allocations", "contacts",
    "selection_decisions", "stored_evaluations", "evaluation_runs", "referrals",
    *(k.model.__tablename__ for k in EVIDENCE),
})
_WIDE = "casework_figures_wide"  # connection.info: this transaction made a wide change


def wide_change(connection=None) -> None:
    """Say that this transaction changed the figures beyond the families it marked stale."""
    (connection or db.session.connection()).info[_WIDE] = True


def _watch_wide(conn, _cursor, statement, _parameters, _context, _executemany) -> None:
    found = cache_version._DML.match(statement)
    if not found:
        return
    table = found.group(1).lower()
    if table in cache_version.UNWATCHED_TABLES:
        return
    if table not in _ACCOUNTED or (table == "families"
                                   and statement.lstrip()[:6].upper() == "DELETE"):
        conn.info[_WIDE] = True


def _forget_wide(conn) -> None:
    if not conn.invalidated:
        conn.info.pop(_WIDE, None)


@event.listens_for(Session, "before_commit")
def _bump_wide(session: Session) -> None:
    if not session.in_transaction():
        return
    # Commit flushes after this hook (and casework.cache_version's may run before or after
    # it, in the order they were listened for): write what is pending first, so that its
    # statements are seen.
    session.flush()
    conn = session.connection()
    if conn.info.pop(_WIDE, False):
        from .figures import WIDE

        cache_version._upsert(conn, WIDE, 1, m.DataVersion.version + 1)


event.listen(Engine, "before_cursor_execute", _watch_wide)
event.listen(Engine, "rollback", _forget_wide)


# Evaluating -------------------------------------------------------------------------------


def _abuse_dates(ids: list[int]) -> dict[int, list[dt.date]]:
    D, P = m.DomesticAbuseIncident, m.Person
    found: dict[int, list[dt.date]] = defaultdict(list)
    for fid, date in db.session.execute(
        select(P.family_id, D.date).join(P, D.person_id == P.id).where(one_of(P.family_id, ids))
    ):
        found[fid].append(date)
    for fid, date in db.session.execute(
        select(D.family_id, D.date).where(D.person_id.is_(None), one_of(D.family_id, ids))
    ):
        found[fid].append(date)
    return found


def row(item: FamilyEvaluation, abuse_dates: list[dt.date], rules: Ruleset,
        evaluated_at: dt.datetime) -> dict:
    """The stored row of one family's evaluation under the 2012 rules."""
    e = item.evaluation
    ident = e.identification
    claimable = {c.result: c.amount for c in item.claimable}
    notes = nearly_there(e)
    out = {
        "family_id": item.family_id, "ruleset": rules.name, "as_of": e.as_of,
        "evaluated_at": evaluated_at, "identification_date": ident.date,
        "screening": ident.screening, "crime_asb": bool(ident.crime_asb.value),
        "education": bool(ident.education.value), "work": bool(ident.work.value),
        "local_discretion": bool(ident.local_discretion), "eligible": bool(ident.eligible),
        **{f"result_{r}": str(e.status(r)) for r in RESULTS},
        "result_family_outcome": None,
        **{f"claimable_{r}": claimable.get(r, 0) for r in CLAIMABLE_RESULTS},
        "claimable_total": sum(c.amount for c in item.would_build),  # what a build makes
        "nearly_there": "; ".join(notes) if notes else None,
    }
    return _with_costs(out, item.data, abuse_dates, e.as_of, rules)


def later_row(item: OutcomeFamilyEvaluation, abuse_dates: list[dt.date], rules: Ruleset,
              evaluated_at: dt.datetime) -> dict:
    """The stored row of one family's evaluation under a later programme's frame and the
    council's Outcome Plan (casework.evaluation.later): eligible by its needs' headline
    problems, its results the family outcome (every need met) and, where the frame has
    that route, continuous employment; the 2012 results are not the frame's
    ("not_relevant"). What is claimable is what a claims build makes: the first claimable
    result, one results claim a family."""
    e = item.evaluation
    problems = set(e.problems)
    claimable = {c.result: c.amount for c in item.claimable}
    employment = e.continuous_employment
    out = {
        "family_id": item.family_id, "ruleset": rules.name, "as_of": e.as_of,
        "evaluated_at": evaluated_at,
        "identification_date": item.data.identified_on or e.as_of, "screening": False,
        "crime_asb": bool(problems & {"crime_asb", "crime_prevention"}),
        "education": "education" in problems,
        "work": bool(problems & {"worklessness", "financial_stability"}),
        "local_discretion": any(r.discretion for r in e.needs), "eligible": bool(e.eligible),
        **{f"result_{r}": NOT_RELEVANT for r in RESULTS},
        "result_continuous_employment": str(employment.value) if employment else NOT_RELEVANT,
        "result_family_outcome": e.family_outcome,
        **{f"claimable_{r}": claimable.get(r, 0) for r in CLAIMABLE_RESULTS},
        "claimable_total": item.claimable[0].amount if item.claimable else 0,
        "nearly_there": None,
    }
    return _with_costs(out, item.data, abuse_dates, e.as_of, rules)


def _with_costs(out: dict, data, abuse_dates: list[dt.date], as_of: dt.date,
                rules: Ruleset) -> dict:
    """The row with the cost estimate's event counts (around the programme's attachment)."""
    costs = stored_counts(data, abuse_dates, as_of, rules)
    if costs is None:
        out["cost_status"] = None
        out.update(_NO_COSTS)
        return out
    out["cost_status"] = costs[0]
    out.update(zip(_BEFORE, costs[1]))
    out.update(zip(_AFTER, costs[2]))
    return out


_BEFORE = tuple(f"before_{key}" for key in m.COST_COUNTS)
_AFTER = tuple(f"after_{key}" for key in m.COST_COUNTS)
_NO_COSTS = dict.fromkeys(_BEFORE + _AFTER, 0)


@dataclasses.dataclass
class _Read:
    """What the refresh reads of a batch of families, once for every programme that
    evaluates them."""

    families: dict[int, FamilyData]  # attached under the council's ruleset
    claims: dict[int, list[PriorClaim]]  # the 2012 rules' claims
    abuse: dict[int, list[dt.date]]  # domestic abuse incidents' dates (the cost estimate)
    episodes: tuple[dict[int, tuple], dict[str, dict[int, tuple]]]  # episode_history
    outcome: dict[int, dict[str, tuple]]  # the later programmes' evidence of their families
    outcome_claims: dict[str, dict[int, list[PriorClaim]]]  # each later programme's claims


_ABUSE = next(k for k in EVIDENCE if k.model is m.DomesticAbuseIncident)


def read_batch(ids: list[int], theirs: dict[str, list[int]]) -> _Read:
    """Every row the refresh reads of these families (at most BATCH), each once: their
    evidence, episodes and claims, and for the families of a later programme (`theirs`:
    programme -> its families among these) the evidence the later programmes read. The
    families' records are the same under every programme; only the attachment differs
    (each programme's own episode), which the evaluation takes from the episodes read."""
    rules = current_ruleset()
    frames = {p: fids for p, fids in theirs.items() if isinstance(get_ruleset(p), OutcomeFrame)}
    raw = len(ids) > 200  # a few families (a web request's): SQLAlchemy's cached statements
    with collector_paused():
        families, member, episodes = read_families(ids, rules.name, raw)
        claims = prior_claims(ids)
        # Domestic abuse incidents, every family's: their dates for the cost estimate, their
        # records for the later programmes.
        abuse_records = read_evidence([_ABUSE], ids, member, raw)[_ABUSE.rules.field]
        abuse = {fid: [d.date for d in found] for fid, found in abuse_records.items()}
        wanted = {fid for fids in frames.values() for fid in fids}
        outcome = read_outcome_evidence(
            sorted(wanted), {pid: v for pid, v in member.items() if v[0] in wanted},
            raw=len(wanted) > 200, known={_ABUSE.rules.field: abuse_records}) if wanted else {}
        outcome_claims = {p: outcome_prior_claims(fids, p) for p, fids in frames.items() if fids}
    return _Read(families, claims, abuse, episodes, outcome, outcome_claims)


def _read_only(task: tuple) -> int:
    """The refresh's reads of one task's families and nothing else (bench/: the floor)."""
    read_batch(task[0], task[3])
    return len(task[0])


def _batch_rows(task: tuple) -> tuple[list[tuple[dict, dict | None]], dict[str, list[dict]]]:
    """Evaluate one batch from one read of its families: (stored row, the contract's JSON
    object or None) of each family under the council's ruleset, and each other programme's
    rows of its families among them (`theirs`) under that programme's own rules."""
    ids, as_of, with_json, theirs = task
    day = dt.date.fromisoformat(as_of)
    read = read_batch(ids, theirs)
    now = m.utcnow()
    rules = current_ruleset()
    no_dates: list[dt.date] = []
    failed: list[tuple[int, str, str]] = []

    def done(fid: int) -> tuple[dict, dict | None]:
        item = _evaluated(fid, read.families[fid], read.claims.get(fid, []), day, rules)
        return (row(item, read.abuse.get(fid, no_dates), rules, now),
                to_json(item) if with_json else None)

    with collector_paused():
        found = (attempt(failed, fid, rules.name, done, fid) for fid in ids)
        mine = [out for out in found if out is not None]
        others = {p: _programme_rows(p, fids, read, day, now, failed)
                  for p, fids in theirs.items()}
    return mine, others, failed


def _programme_rows(programme: str, ids: list[int], read: _Read, day: dt.date,
                    now: dt.datetime, failed: list[tuple[int, str, str]]) -> list[dict]:
    """The rows of these families under the programme's own rules, from what was read: each
    family's attachment (and closure) its episode's in the programme, else its latest
    episode's (evaluation.service.episode_dates). A family whose rules raise is added to
    `failed` instead."""
    rules = get_ruleset(programme)
    latest, mine = read.episodes
    episodes = {**latest, **mine.get(programme, {})}
    council = current_ruleset().name
    council_episodes = {**latest, **mine.get(council, {})}

    def data(fid: int) -> FamilyData:
        found = read.families[fid]
        signed_up = episodes.get(fid, (None, None))[0]
        if signed_up == council_episodes.get(fid, (None, None))[0]:
            return found
        return dataclasses.replace(found, attached_on=signed_up)

    no_dates: list[dt.date] = []
    if isinstance(rules, OutcomeFrame):
        plan = council_plan(programme)
        claims = read.outcome_claims.get(programme, {})

        def done(fid: int) -> dict:
            evidence = OutcomeEvidence(episodes.get(fid, (None, None))[1], **read.outcome[fid])
            item = outcome_evaluated(fid, data(fid), evidence, claims.get(fid, []), day, rules,
                                     plan)
            return later_row(item, read.abuse.get(fid, no_dates), rules, now)
    else:
        def done(fid: int) -> dict:
            return row(_evaluated(fid, data(fid), read.claims.get(fid, []), day, rules),
                       read.abuse.get(fid, no_dates), rules, now)

    found = (attempt(failed, fid, programme, done, fid) for fid in ids)
    return [out for out in found if out is not None]


def other_programmes() -> tuple[str, ...]:
    """The programmes stored beside the council's ruleset, each for its own families."""
    name = current_ruleset().name
    return tuple(p for p in PROGRAMMES if p != name)


def programme_family_ids(programme: str, among: Iterable[int] | None = None) -> list[int]:
    """The families (of `among`, if given) whose figures are the programme's
    (casework.evaluation.figures.in_programme): evaluated under its rules."""
    from .figures import in_programme  # figures.py reads this module

    F = m.Family
    query = select(F.id).where(in_programme(programme, F.id, F.identified_on))
    if among is None:
        return list(db.session.scalars(query.order_by(F.id)))
    ids, out = sorted(set(among)), []
    for i in range(0, len(ids), BATCH):
        out += db.session.scalars(query.where(one_of(F.id, ids[i : i + BATCH])))
    return sorted(out)


def refresh(family_ids: Iterable[int] | None = None, as_of: dt.date | None = None,
            progress: Progress | None = None,
            each_json: Callable[[dict], None] | None = None,
            figures: bool = True, parts_now: bool = True) -> RefreshSummary:
    """Evaluate and store every family (family_ids None) or the families named.

    A full refresh holds for `as_of` (default today) and moves the stored date there. A
    refresh of some families uses the stored date (as_of, if given, must be it), so every
    row describes the same day; with nothing stored yet it becomes a full refresh.
    `progress(done, total)` is told as batches finish; `each_json`, if given, receives the
    contract's JSON object of each family in family_ref order (`casework evaluate --store`).
    A refresh of some families moves the stored summaries' figures in its own transaction
    (figures.store_parts: their parts counted again, in milliseconds to a second); a full
    one, or one those cannot account for (wide_change), counts them whole after it commits
    (store_figures below) if `figures`, else leaves that to the job worker
    (figures.keep_stored). Not `parts_now` (a page's request: keep_current): the parts are
    only marked to be counted again by the job worker within a minute (figures.mark_due),
    so the request does not hold the write lock while it counts them.
    """
    started_clock = time.monotonic()
    started = m.utcnow()
    rules = current_ruleset()
    run = current_run(rules.name)
    full = family_ids is None or run is None
    if full:
        as_of = as_of or clock.today()
        chosen = [fid for fid, _ in _all_ids()]
    else:
        if as_of is not None and as_of != run.as_of:
            raise ValueError(f"the stored evaluation holds for {run.as_of.isoformat()}: "
                             "refresh some families only at that date, or all at a new one")
        as_of = run.as_of
        wanted = set(family_ids)
        chosen = [fid for fid, _ in _all_ids() if fid in wanted] if each_json else sorted(wanted)
    # A programme whose Outcome Plan in force cannot be evaluated is left as stored (its rows
    # neither replaced nor removed) and the refresh carries on for every other family; the
    # summary (the job's page) and the programme's pages say what is wrong with the plan.
    unreadable = {p: errors for p in other_programmes() if (errors := plan_errors(p))}
    theirs = _programmes_families(chosen, full, set(unreadable))
    documents = _documents_due(chosen, full, started)
    db.session.commit()  # end the read snapshot: workers and the writer see the same data
    tasks = refresh_tasks(chosen, theirs, as_of, each_json is not None)
    total = len(chosen) + sum(len(ids) for ids in theirs.values())
    rows: list[dict] = []
    other_rows: dict[str, list[dict]] = {p: [] for p in theirs}
    failed: list[tuple[int, str, str]] = []
    done = 0
    # The search documents first, committed apart: if the refresh stops before it writes,
    # its families are still marked stale, and their documents are written again next time.
    with _documents_written(documents, apart=in_workers(tasks)):
        for mine, others, failures in map_in_workers(_batch_rows, tasks):
            for stored, as_json in mine:
                rows.append(stored)
                if each_json is not None:
                    each_json(as_json)
            for p, found in others.items():
                other_rows[p] += found
            failed += failures
            done += len(mine) + sum(len(found) for found in others.values()) + len(failures)
            if progress:
                progress(done, total)
    kept: dict[str, set[int]] = {}
    for fid, programme, _ in failed:
        kept.setdefault(programme, set()).add(fid)
    stored = _write(rules.name, rows, chosen, as_of, full, started,
                    {p: (other_rows[p], ids) for p, ids in theirs.items()}, parts_now, kept)
    if failed:  # to be tried again, once their records (or the rules) are put right
        mark_stale({fid for fid, _, _ in failed})
        db.session.commit()
    if figures and not stored:
        try:
            store_figures()
        except Exception:  # the refresh is saved: the pages count live until stored again
            db.session.rollback()
            logging.getLogger(__name__).exception("the figures were not stored")
    return RefreshSummary(rules.name, as_of, len(rows), full, time.monotonic() - started_clock,
                          unreadable, named_failures(failed))


def _programmes_families(chosen: list[int], full: bool,
                         skipped: set[str] = frozenset()) -> dict[str, list[int]]:
    """Each other programme's families among `chosen` (but the `skipped` programmes'),
    evaluated under its own rules too (docs/figures.md): a full refresh all of them, else
    those of the families named."""
    theirs = {p: programme_family_ids(p, None if full else chosen) for p in other_programmes()
              if p not in skipped}
    if full:  # a family added since the ids were read is queued, and evaluated with it then
        everyone = set(chosen)
        theirs = {p: [fid for fid in ids if fid in everyone] for p, ids in theirs.items()}
    return theirs


def full_refresh_tasks(as_of: dt.date | None = None) -> list[tuple]:
    """The tasks a full refresh gives its workers (bench/: its reads alone are the floor)."""
    chosen = [fid for fid, _ in _all_ids()]
    skipped = {p for p in other_programmes() if plan_errors(p)}
    tasks = refresh_tasks(chosen, _programmes_families(chosen, True, skipped),
                          as_of or clock.today(), False)
    db.session.commit()
    return tasks


def refresh_tasks(chosen: list[int], theirs: dict[str, list[int]], as_of: dt.date,
                  with_json: bool) -> list[tuple]:
    """The refresh's work in batches of BATCH families: each batch read once and evaluated
    under the council's ruleset and under each other programme whose families it holds
    (`theirs`: programme -> its families, all of them among `chosen`)."""
    sets = {p: set(ids) for p, ids in theirs.items()}
    tasks = []
    for i in range(0, len(chosen), BATCH):
        part = chosen[i : i + BATCH]
        tasks.append((part, as_of.isoformat(), with_json,
                      {p: [fid for fid in part if fid in found] for p, found in sets.items()}))
    return tasks


def _all_ids() -> list[tuple[int, str]]:
    return family_ids()


def _documents_due(chosen: list[int], full: bool, started: dt.datetime) -> list[int] | None:
    """The families whose search documents a refresh writes again (None: all of them). Names
    and references change only with a family's records, which mark it stale: a full refresh
    writes the documents of the stale families (and of any family without one), not all
    120,000 every night; most families stale (a first load), all of them. A refresh of some
    families writes theirs."""
    if not full:
        return sorted(chosen)
    changed = set(db.session.scalars(select(m.StaleFamily.family_id)
                                     .where(m.StaleFamily.queued_at <= started)))
    changed.update(db.session.scalars(select(m.Family.id).where(
        m.Family.id.not_in(select(m.FamilySearch.family_id)))))
    return None if 2 * len(changed) > len(chosen) else sorted(changed)


def _rewrite_committed(family_ids: list[int] | None) -> None:
    search.rewrite(family_ids)
    db.session.commit()


@contextlib.contextmanager
def _documents_written(family_ids: list[int] | None, apart: bool) -> Iterator[None]:
    """Rewrite these families' search documents (all if None) in a transaction of their
    own, committed by the time the block ends: `apart`, on a thread with its own connection
    while the block runs (the refresh waiting on its workers: on PostgreSQL the index's work
    then shares the machine with theirs instead of following it), else before the block.
    The caller's transaction must be ended first."""
    if not apart:
        _rewrite_committed(family_ids)
        yield
        return
    with alongside(_rewrite_committed, family_ids):
        yield


def _write(ruleset: str, rows: list[dict], chosen: list[int], as_of: dt.date, full: bool,
           started: dt.datetime,
           others: dict[str, tuple[list[dict], list[int]]] | None = None,
           parts_now: bool = True, kept: dict[str, set[int]] | None = None) -> bool:
    """Replace the rows in one transaction; readers see the old rows until it commits.
    `others`: each other programme's rows, and the families of `chosen` that are its. True
    if the stored figures were moved with them (figures.store_parts); not `parts_now`, their
    parts are marked for the job worker instead (figures.mark_due). `kept`: programme ->
    the families whose rules raised, whose rows stay as they were."""
    kept = kept or {}

    def all_but_kept(programme: str):
        where = S.ruleset == programme
        if kept.get(programme):
            where = and_(where, S.family_id.not_in(sorted(kept[programme])))
        return delete(S).where(where)

    from .figures import mark_due, store_parts  # figures.py reads this module

    lock_rows()
    session = db.session
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(m.EvaluationRun).where(m.EvaluationRun.ruleset == ruleset)
                        .with_for_update()).all()
    S, Q = m.StoredEvaluation, m.StaleFamily
    if full:
        session.execute(all_but_kept(ruleset))
        session.execute(delete(Q).where(Q.queued_at <= started))
    else:
        rows = _differing(ruleset, rows)
        differ = [r["family_id"] for r in rows]
        for i in range(0, max(len(chosen), len(differ)), BATCH):
            # Bulk: loaded rows are not looked for in the session (they are replaced below).
            # Only the rows that differ: a family whose results came out the same keeps its
            # row (and the summaries, counted from these rows, are not counted again).
            if part := differ[i : i + BATCH]:
                session.execute(delete(S).where(S.ruleset == ruleset, one_of(S.family_id, part))
                                .execution_options(synchronize_session=False))
            if part := chosen[i : i + BATCH]:
                session.execute(delete(Q).where(one_of(Q.family_id, part),
                                                Q.queued_at <= started)
                                .execution_options(synchronize_session=False))
    written = rows
    for programme, (theirs, ids) in (others or {}).items():
        if full:
            session.execute(all_but_kept(programme))
        else:
            theirs = _differing(programme, theirs)
            # Their rows that differ, and those of the families no longer the programme's
            # (only rows there: a statement that deletes nothing still moves the version).
            gone = {r["family_id"] for r in theirs}
            leaving = sorted(set(chosen) - set(ids))
            for i in range(0, len(leaving), BATCH):
                gone.update(session.scalars(select(S.family_id).where(
                    S.ruleset == programme, one_of(S.family_id, leaving[i : i + BATCH]))))
            gone = sorted(gone)
            for i in range(0, len(gone), BATCH):
                session.execute(delete(S).where(S.ruleset == programme,
                                                one_of(S.family_id, gone[i : i + BATCH]))
                                .execution_options(synchronize_session=False))
        written = written + theirs
    # Through the driver (COPY on PostgreSQL, each part stored while the next is made
    # ready): the ORM's bulk insert of the rows as dictionaries took longer than evaluating
    # them.
    with copies_in_background():
        for i in range(0, len(written), WRITE_CHUNK):
            part = written[i : i + WRITE_CHUNK]
            insert_columns(S.__table__, {name: [r[name] for r in part] for name in part[0]})
    run = session.get(m.EvaluationRun, ruleset)
    if run is None:
        run = m.EvaluationRun(ruleset=ruleset)
        session.add(run)
    if full:
        run.as_of, run.refreshed_at = as_of, m.utcnow()
    run.families = session.scalar(select(func.count()).select_from(S).where(S.ruleset == ruleset))
    stored = False
    if full:
        wide_change()  # every row and the date rewritten: the figures are counted whole
    elif not parts_now:
        mark_due(set(chosen))  # counted by the job worker, not under this write lock
    else:
        try:
            with session.begin_nested():
                stored = store_parts(set(chosen))
        except Exception:  # the refresh is saved; the figures are counted whole later
            logging.getLogger(__name__).exception("the figures' parts were not stored")
            # The data version's bump (store_parts made it) went with the savepoint.
            cache_version.mark_changed(session.connection(), S.__tablename__)
        if not stored:
            wide_change()
    session.commit()
    return stored


# Every stored column but when the row was worked out: two rows alike in these are the same.
_COMPARED = [c.name for c in m.StoredEvaluation.__table__.columns if c.name != "evaluated_at"]


def _differing(ruleset: str, rows: list[dict]) -> list[dict]:
    """The rows that are not already stored as they are (new families' and changed ones'),
    found with one query a batch: evaluating again is most often to find nothing changed."""
    S = m.StoredEvaluation.__table__
    columns = [S.c[name] for name in _COMPARED]
    out = []
    for i in range(0, len(rows), BATCH):
        part = rows[i : i + BATCH]
        stored = {row.family_id: tuple(row) for row in db.session.execute(
            select(*columns).where(S.c.ruleset == ruleset,
                                   one_of(S.c.family_id, [r["family_id"] for r in part])))}
        out += [r for r in part
                if stored.get(r["family_id"]) != tuple(r[name] for name in _COMPARED)]
    return out


def refresh_pending(progress: Progress | None = None, figures: bool = True,
                    parts_now: bool = True) -> RefreshSummary | None:
    """Evaluate the families marked stale since they were last evaluated; None if there were
    none. `figures`, `parts_now`: as refresh()."""
    ids = list(db.session.scalars(select(m.StaleFamily.family_id)))
    if not ids:
        return None
    return refresh(ids, progress=progress, figures=figures, parts_now=parts_now)


def read_snapshot() -> None:
    """End the session's transaction and begin one that reads a single snapshot of the data
    until it ends (PostgreSQL's REPEATABLE READ; SQLite's deferred BEGIN)."""
    session = db.session
    session.commit()
    if session.get_bind().dialect.name == "postgresql":
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    else:
        session.connection().exec_driver_sql("BEGIN")


def store_figures() -> int | None:
    """Count the summaries' figures (evaluation.figures.count_for_storing) from one snapshot of
    the data, then store them with the data version that snapshot holds, in a short write of
    their own: the counting holds no lock. A page reads them only while the version has not
    moved since (figures.stored). Returns how many rows were stored (None: nothing stored
    yet to count)."""
    from .figures import count_for_storing, write_stored  # figures.py reads this module

    session = db.session
    read_snapshot()  # read the counts and the version from one
    try:
        counted = count_for_storing()
    finally:
        session.commit()
    if counted is None:
        return None
    lock_rows()
    written = write_stored(*counted)
    session.commit()
    return len(counted[3]) if written else 0


# Keeping the figures current ---------------------------------------------------------------

REFRESH_KIND = "refresh_figures"  # the job (casework.jobs.kinds)


def keep_current() -> RefreshSummary | m.Job | None:
    """Once a change has committed: evaluate the stale families now if there are at most
    EVALUATE_IN_REQUEST of them, else leave them to the refresh job (started unless one is
    already waiting to start). Returns what was done: the refresh, the job, or None."""
    pending = pending_count()
    if not pending:
        return None
    if pending <= current_app.config["EVALUATE_IN_REQUEST"]:
        # No page holds the write lock while it counts: the families' parts are marked
        # (figures.mark_due) and the job worker counts them within a minute
        # (figures.keep_stored), or the figures whole when needed (seconds at national
        # scale); until then the summaries say how far behind they are.
        return refresh_pending(figures=False, parts_now=False)
    return start_refresh(None, everything=False)


def start_refresh(user: m.User | None, everything: bool) -> m.Job:
    """Start the refresh job: every family for today (`everything`, a manager's "Refresh the
    figures") or the stale families. A job of the same sort still waiting to start is
    returned instead of a second one."""
    waiting = db.session.scalars(select(m.Job).where(
        m.Job.kind == REFRESH_KIND, m.Job.state == "queued").order_by(m.Job.id)).all()
    for job in waiting:
        if bool(job.params.get("everything")) == everything:
            return job
    title = ("Refresh of the figures: every family, for today" if everything
             else f"Refresh of the figures: {pending_count():,} families changed")
    return start(REFRESH_KIND, title, user, params={"everything": everything})
