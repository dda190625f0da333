"""Set-based evaluation: evidence for many families in a few queries, then the pure rules."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

from flask import current_app
from sqlalchemy import Select, select

from .. import models as m
from ..evidence.kinds import EVIDENCE
from ..evidence.kinds import day as _date
from ..extensions import db
from ..lookups import one_of
from ..rules import (
    Claimable,
    Evaluation,
    FamilyData,
    PersonData,
    PriorClaim,
    Ruleset,
    build_order,
    claimable,
    evaluate,
    get_ruleset,
)
from ..rules.claims import attachment_bars
from ..workers import collector_paused

T = TypeVar("T")

BATCH = 10_000  # families per round of queries (each query one parameter: casework/lookups.py)


def current_ruleset() -> Ruleset:
    return get_ruleset(current_app.config["RULESET"], current_app.config["RULESET_OVERRIDES"])


def attachment_bar(attached_on: dt.date | None, as_of: dt.date,
                   rules: Ruleset | None = None) -> str | None:
    """Why nothing is claimable at as_of for an attached family, whatever its results: not
    attached by then, or attached outside the programme's attachment dates (None when the
    attachment allows a claim, or the family is not attached at all)."""
    if attached_on is None:
        return None
    return attachment_bars(rules or current_ruleset(), attached_on, as_of)


@dataclasses.dataclass(frozen=True)
class FamilyEvaluation:
    family_id: int
    evaluation: Evaluation
    claimable: list[Claimable]
    data: FamilyData
    # What `claims build` would make for it now (both turn-around results may be claimable,
    # but a build takes the first): the "still claimable" pounds.
    would_build: list[Claimable] = dataclasses.field(default_factory=list)


def family_ids(families: Select | None = None, refs: Iterable[str] | None = None) -> list[tuple[int, str]]:
    """Return (id, family_ref) of the chosen families, in family_ref order.

    The order is the references' code-point order, the same on every database (a
    PostgreSQL collation could otherwise sort 'F-10' and 'F_2' differently from SQLite).
    """
    query = families if families is not None else select(m.Family)
    sub = query.subquery()
    ids_query = select(sub.c.id, sub.c.family_ref)
    if refs is not None:
        wanted = sorted(set(refs))
        found: list[tuple[int, str]] = []
        for i in range(0, len(wanted), BATCH):
            found.extend(tuple(row) for row in db.session.execute(
                ids_query.where(sub.c.family_ref.in_(wanted[i : i + BATCH]))))
    else:
        found = [tuple(row) for row in db.session.execute(ids_query)]
    return sorted(found, key=lambda row: row[1])


def _rows(statement, raw: bool = True) -> list[tuple]:
    """Run a Core SELECT straight on the driver's cursor: for hundreds of thousands of rows
    SQLAlchemy's result processing costs more than the query (values come back raw). For a
    few families (`raw` false: one family's page) SQLAlchemy's cached compilation is the
    cheaper part, so it runs as usual."""
    if not raw:
        return [tuple(row) for row in db.session.execute(statement)]
    connection = db.session.connection()
    compiled = statement.compile(
        dialect=connection.dialect, compile_kwargs={"render_postcompile": True}
    )
    params = compiled.params
    if compiled.positiontup is not None:
        params = tuple(params[name] for name in compiled.positiontup)
    dbapi = connection.connection.dbapi_connection
    # PostgreSQL sends the rows in its binary format: less for the server to write out and
    # for the driver to parse than text (dates, integers and flags are most of the columns).
    cursor = dbapi.cursor(binary=True) if connection.dialect.name == "postgresql" else dbapi.cursor()
    try:
        cursor.execute(compiled.string, params)
        return cursor.fetchall()
    finally:
        cursor.close()


def episode_history(ids: list[int], raw: bool = True
                    ) -> tuple[dict[int, tuple], dict[str, dict[int, tuple]]]:
    """Each family's latest episode's (signed up, closed), and, by programme, its latest
    episode's there: every programme's attachment from one query (episode_dates)."""
    E = m.Episode
    latest: dict[int, tuple] = {}
    mine: dict[str, dict[int, tuple]] = defaultdict(dict)
    for fid, prog, on, closed in _rows(
        select(E.family_id, E.programme, E.signed_up_on, E.closed_on)
        .where(one_of(E.family_id, ids)).order_by(E.signed_up_on, E.id), raw=raw
    ):
        dates = (_date(on), _date(closed))
        latest[fid] = dates
        mine[prog][fid] = dates
    return latest, mine


def episode_dates(ids: list[int], programme: str,
                  raw: bool = True) -> dict[int, tuple[dt.date, dt.date | None]]:
    """(signed up, closed) of each family's episode in `programme` (its latest there), or,
    for a family with none there, of its latest episode in another programme (whose rules
    pay nothing under this one); families never signed up are left out."""
    latest, mine = episode_history(ids, raw)
    return {**latest, **mine.get(programme, {})}


def read_evidence(kinds, ids: list[int], member: dict[int, tuple[int, str]],
                  raw: bool = True) -> dict[str, dict[int, list]]:
    """The rules' plain data of each kind of evidence of these families, as each kind's
    declaration reads it (casework/evidence/kinds.py): the rules' field -> family id ->
    records. A person's records by their person id (each table's own person index, no
    join; `member`: person id -> (family id, person_ref)), a family's own by its id."""
    rows = functools.partial(_rows, raw=raw)
    pids = list(member)
    out: dict[str, dict[int, list]] = {}
    for kind in kinds:
        M, r = kind.model, kind.rules
        columns = [getattr(M, c) for c in r.columns]
        found: dict[int, list] = defaultdict(list)
        for pid, *values in rows(select(M.person_id, *columns).where(one_of(M.person_id, pids))):
            fid, pref = member[pid]
            found[fid].append(r.make(values, pref))
        if kind.owner == "either":  # and the family's own, recorded for no one person
            for fid, *values in rows(select(M.family_id, *columns)
                                     .where(M.person_id.is_(None), one_of(M.family_id, ids))):
                found[fid].append(r.make(values, None))
        out[r.field] = found
    return out


def members(ids: list[int], raw: bool = True) -> tuple[dict[int, tuple[int, str]],
                                                       dict[int, list[PersonData]]]:
    """Person id -> (family id, person_ref) of these families' people, and each family's
    people as the rules take them (an unborn child is not yet one of the family for them)."""
    P = m.Person
    member: dict[int, tuple[int, str]] = {}
    people: dict[int, list[PersonData]] = defaultdict(list)
    for pid, fid, ref, dob in _rows(
        select(P.id, P.family_id, P.person_ref, P.date_of_birth).where(one_of(P.family_id, ids)),
        raw=raw,
    ):
        member[pid] = (fid, ref)
        if dob is not None:
            people[fid].append(PersonData(ref, _date(dob)))
    return member, people


def load_families(ids: list[int], programme: str = "phase1") -> dict[int, FamilyData]:
    """Load the evidence of these families in a few queries: the people first, then each
    kind of evidence the 2012 rules read (casework/evidence/kinds.py), and the family's
    episode in `programme` (its attachment date there)."""
    return read_families(ids, programme, len(ids) > 200)[0]


def read_families(ids: list[int], programme: str, raw: bool = True
                  ) -> tuple[dict[int, FamilyData], dict[int, tuple[int, str]],
                             tuple[dict[int, tuple], dict[str, dict[int, tuple]]]]:
    """load_families, with what it read on the way that other programmes' evaluations of
    the same families need: the members (person id -> (family id, person_ref)) and the
    episode history (episode_history: every programme's attachment)."""
    member, people = members(ids, raw)
    evidence = read_evidence([k for k in EVIDENCE if not k.rules.later], ids, member, raw)
    F = m.Family
    latest, mine = episode_history(ids, raw)
    episodes = {**latest, **mine.get(programme, {})}
    out = {}
    for fid, ref, identified, discretion in _rows(
        select(F.id, F.family_ref, F.identified_on, F.local_discretion)
        .where(one_of(F.id, ids)), raw=raw
    ):
        out[fid] = FamilyData(
            ref, _date(identified), episodes.get(fid, (None, None))[0], bool(discretion),
            tuple(people[fid]),
            **{field: tuple(found.get(fid, ())) for field, found in evidence.items()},
        )
    return out, member, (latest, mine)


def prior_claims(ids: list[int]) -> dict[int, list[PriorClaim]]:
    claims: dict[int, list[PriorClaim]] = defaultdict(list)
    for fid, result, amount in db.session.execute(
        select(m.Claim.family_id, m.Claim.result, m.Claim.amount)
        .where(one_of(m.Claim.family_id, ids), m.Claim.state != "rejected",
               m.Claim.claim_kind.in_(m.PHASE1_CLAIM_KINDS))
        .order_by(m.Claim.id)
    ):
        claims[fid].append(PriorClaim(result, amount))
    return claims


def evaluate_families(
    as_of: dt.date,
    families: Select | None = None,
    refs: Iterable[str] | None = None,
    rules: Ruleset | None = None,
    failed: list[tuple[int, str, str]] | None = None,
) -> Iterator[FamilyEvaluation]:
    """Yield an evaluation per family in family_ref order, loading BATCH families at a time
    (`failed`: as evaluate_batch)."""
    rules = rules or current_ruleset()
    chosen = family_ids(families, refs)
    for i in range(0, len(chosen), BATCH):
        yield from evaluate_batch([fid for fid, _ in chosen[i : i + BATCH]], as_of, rules,
                                  failed)


def evaluate_batch(
    ids: list[int], as_of: dt.date, rules: Ruleset | None = None,
    failed: list[tuple[int, str, str]] | None = None,
) -> Iterator[FamilyEvaluation]:
    """Evaluate up to BATCH families, in the order given. With `failed`, a family whose
    rules raise is left out and added to it (failure()) instead of stopping the rest."""
    rules = rules or current_ruleset()
    with collector_paused():
        data = load_families(ids, rules.name)
        claims = prior_claims(ids)
    for fid in ids:
        item = attempt(failed, fid, rules.name, _evaluated, fid, data[fid],
                       claims.get(fid, []), as_of, rules)
        if item is not None:
            yield item


def each_json(items: Iterable, to_json: Callable, programme: str,
              failed: list[tuple[int, str, str]]) -> Iterator[dict]:
    """to_json of each evaluated family; one whose JSON cannot be made is left out and added
    to `failed` (failure()), as evaluate_batch leaves out one whose rules raise."""
    for item in items:
        found = attempt(failed, item.family_id, programme, to_json, item)
        if found is not None:
            yield found


def attempt(failed: list[tuple[int, str, str]] | None, fid: int, programme: str,
            work: Callable[..., T], *args: Any) -> T | None:
    """work(*args) for one family. With `failed`, if it raises, None: the family is added
    to `failed` (failure()) and the caller goes on to the next, for one family's records
    must not stop everyone's. Without, its error is raised."""
    if failed is None:
        return work(*args)
    try:
        return work(*args)
    except Exception as error:  # one family's records must not stop everyone's
        failed.append(failure(fid, programme, error))
        return None


def failure(fid: int, programme: str, error: Exception) -> tuple[int, str, str]:
    """(family id, programme, the error in words) of a family whose rules raised, logged
    with its traceback."""
    logging.getLogger(__name__).exception("family %s could not be evaluated under %s",
                                          fid, programme)
    return fid, programme, f"{type(error).__name__}: {error}"[:300]


def _evaluated(fid: int, data: FamilyData, claims: list[PriorClaim], as_of: dt.date,
               rules: Ruleset) -> FamilyEvaluation:
    evaluation = evaluate(data, as_of, rules)
    found = claimable(evaluation, claims, rules)
    return FamilyEvaluation(fid, evaluation, found, data,
                            build_order(evaluation, claims, rules) if found else [])


def evaluate_family(family: m.Family, as_of: dt.date,
                    data: FamilyData | None = None) -> FamilyEvaluation:
    """Evaluate one family; `data`, if given, is its evidence already read (the family page
    has just loaded every record to show them)."""
    if data is None:
        return next(evaluate_families(as_of, select(m.Family).where(m.Family.id == family.id)))
    rules = current_ruleset()  # the page's records, with the family's episode in the programme
    signed_up = episode_dates([family.id], rules.name, raw=False).get(family.id, (None, None))[0]
    data = dataclasses.replace(data, attached_on=signed_up)
    return _evaluated(family.id, data, prior_claims([family.id]).get(family.id, []), as_of, rules)


def to_json(item: FamilyEvaluation) -> dict:
    """The contract's JSON object for one family."""
    e = item.evaluation
    ident = e.identification
    return {
        "family_ref": e.family_ref,
        "as_of": e.as_of.isoformat(),
        "identification": {
            "date": ident.date.isoformat(),
            "crime_asb": ident.crime_asb.value,
            "education": ident.education.value,
            "work": ident.work.value,
            "local_discretion": ident.local_discretion,
            "eligible": ident.eligible,
        },
        "attached_on": e.attached_on.isoformat() if e.attached_on else None,
        "results": {name: finding.value for name, finding in e.results.items()},
        "claimable": [{"result": c.result, "amount": c.amount} for c in item.claimable],
    }
