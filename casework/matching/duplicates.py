"""The same person recorded twice inside casework: likely duplicates found with the matching
model (person against person) by a job whose result the pages read, a pair side by side with
the records each holds, merging one into the other (every record re-pointed, the other's
reference kept as an alias), and undoing a merge."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from typing import Any

from flask import abort
from sqlalchemy import func, select, update

from .. import models as m
from ..access import visible_families
from ..audit import record_event
from ..evaluation import store
from ..evidence.kinds import EVIDENCE
from ..extensions import db
from ..history import write_history
from ..permissions import can
from ..queue import start
from ..rules.dates import govdate
from ..transaction import transactional
from . import engine, service


class MergeRefused(Exception):
    """The merge (or its undoing) cannot be done: the message says why."""


# Every (model, column) that points at a person: what a merge re-points to the person kept.
POINTING = (
    *[(kind.model, "person_id") for kind in EVIDENCE],  # every kind of evidence, as declared
    (m.Need, "person_id"), (m.MatchLink, "person_id"),
    (m.MatchReview, "person_id"), (m.PersonAlias, "person_id"), (m.PersonMerge, "kept_id"),
)
# What the pair page lists for each person: label, model.
HELD = (*[(kind.shown.heading, kind.model) for kind in EVIDENCE], ("Needs", m.Need),
        ("Partner records linked by matching", m.MatchLink))
SHOWN = 200  # likely duplicates listed at most, the likeliest first


@dataclasses.dataclass(frozen=True)
class Pair:
    first: m.Person
    second: m.Person
    match_probability: float


def _visible_people(user: m.User):
    return select(m.Person.id).where(
        m.Person.family_id.in_(visible_families(user).with_only_columns(m.Family.id)))


SEARCH_KIND = "find_duplicates"  # the job that finds them (casework/jobs/kinds.py)


@dataclasses.dataclass(frozen=True)
class Search:
    """The newest search for duplicates (None: nobody has searched yet) and, once it has
    finished with its result kept, the pairs it found that the user may see."""

    job: m.Job | None
    pairs: list[Pair]
    found_by: m.Job | None = None  # the newest search that finished with its result kept
    people: int | None = None  # how many people it compared
    model_version: int | None = None  # None: the starting model, not yet stored


def find(progress=None) -> tuple[str, bytes]:
    """The job's work: every pair of people the matching model in use says may be one
    person (at the review threshold or above), person against person over the whole
    register, with its match probability. Returns the job's summary and its result (JSON:
    the pairs by person id, the likeliest first), which the pages read; nothing else is
    written, so running it again is safe."""
    if progress:
        progress(0, 2, "people compared")
    register, _refs = service._register()
    _link, review_above = service.thresholds()
    version = service.model_for_use(store=False)
    found = (engine.duplicates(register, version.model, review_above)
             if len(register["unique_id"]) >= 2 else [])
    pairs = sorted(((min(c.incoming_id, c.register_id), max(c.incoming_id, c.register_id),
                     round(c.match_probability, 6)) for c in found),
                   key=lambda p: (-p[2], p[0], p[1]))
    people = len(register["unique_id"])
    if progress:
        progress(2, 2, "people compared")
    body = json.dumps({"people": people, "model_version": version.id,
                       "review_above": review_above, "pairs": pairs}).encode()
    return (f"{len(pairs):,} likely duplicate pair{'s' if len(pairs) != 1 else ''} found "
            f"among {people:,} people."), body


@transactional
def start_search(user: m.User) -> m.Job:
    """Start a search for duplicates, or the one already waiting or running."""
    _check(user)
    running = db.session.scalar(
        select(m.Job).where(m.Job.kind == SEARCH_KIND, m.Job.state.in_(("queued", "running")))
        .order_by(m.Job.id.desc()).limit(1))
    return running or start(SEARCH_KIND, "Likely duplicate people", user)


def _latest() -> tuple[m.Job | None, dict | None]:
    """The newest search, and the result of the newest one that finished with it kept."""
    job = db.session.scalar(select(m.Job).where(m.Job.kind == SEARCH_KIND)
                            .order_by(m.Job.id.desc()).limit(1))
    done = db.session.scalar(
        select(m.Job).where(m.Job.kind == SEARCH_KIND, m.Job.state == "done",
                            m.Job.result.is_not(None)).order_by(m.Job.id.desc()).limit(1))
    return job, (json.loads(done.result) | {"job": done} if done is not None else None)


def likely_duplicates(user: m.User) -> Search:
    """What the newest finished search found (at most the likeliest 200 pairs), leaving out
    pairs someone has since said are not one person, and people merged or not visible to
    the user since. No search is done here: the job does that."""
    job, result = _latest()
    if result is None:
        return Search(job, [])
    dismissed = set(db.session.execute(select(m.NotDuplicate.low_id, m.NotDuplicate.high_id)))
    found = [p for p in result["pairs"] if (p[0], p[1]) not in dismissed]
    ids = {i for p in found for i in p[:2]}
    people: dict[int, m.Person] = {}
    for chunk in range(0, len(ids), 5_000):
        part = sorted(ids)[chunk:chunk + 5_000]
        people.update((p.id, p) for p in db.session.scalars(
            select(m.Person).where(m.Person.id.in_(part),
                                   m.Person.id.in_(_visible_people(user)))))
    pairs = [Pair(people[low], people[high], probability) for low, high, probability in found
             if low in people and high in people][:SHOWN]
    return Search(job, pairs, result["job"], result["people"], result["model_version"])


def person_or_404(user: m.User, person_id: int) -> m.Person:
    """A person the user may see, or 404 whether they do not exist or are not visible."""
    person = db.session.scalar(select(m.Person).where(
        m.Person.id == person_id, m.Person.id.in_(_visible_people(user))))
    if person is None:
        abort(404)
    return person


def held(person: m.Person) -> list[tuple[str, int]]:
    """How many records of each kind the person holds."""
    return [(label, db.session.scalar(select(func.count()).select_from(model)
                                      .where(model.person_id == person.id)))
            for label, model in HELD]


def pair_probability(first: m.Person, second: m.Person) -> tuple[float | None, m.Job | None]:
    """The match probability the newest finished search gave the two, and that search
    (None, None: no search has finished; None, job: it did not find them)."""
    _job, result = _latest()
    if result is None:
        return None, None
    low, high = sorted((first.id, second.id))
    found = next((p for p in result["pairs"] if p[0] == low and p[1] == high), None)
    return (found[2] if found else None), result["job"]


def _snapshot(person: m.Person) -> dict[str, Any]:
    out = {}
    for column in m.Person.__table__.columns:
        value = getattr(person, column.key)
        out[column.key] = value.isoformat() if isinstance(value, dt.date) else value
    return out


def _restore(snapshot: dict[str, Any]) -> m.Person:
    values = {}
    for column in m.Person.__table__.columns:
        value = snapshot.get(column.key)
        if value is not None and column.key in ("date_of_birth", "expected_date_of_birth",
                                                "date_of_death"):
            value = dt.date.fromisoformat(value)
        values[column.key] = value
    return m.Person(**values)


def _check(user: m.User) -> None:
    if not can(user, "merge_people"):
        raise MergeRefused("Only a programme manager may merge people")


@transactional
def merge(kept: m.Person, other: m.Person, user: m.User) -> m.PersonMerge:
    """Merge `other` into `kept`: every record of other's re-pointed to kept, other's
    person_ref kept as an alias of kept (a later file naming it imports to kept), other
    removed; with history, an audit row and the families marked stale for re-evaluation. Undone
    by `undo`."""
    _check(user)
    if kept.id == other.id:
        raise MergeRefused("Choose two different people")
    terms = db.session.execute(
        select(m.SchoolTerm.academic_year, m.SchoolTerm.term)
        .where(m.SchoolTerm.person_id == kept.id)
        .intersect(select(m.SchoolTerm.academic_year, m.SchoolTerm.term)
                   .where(m.SchoolTerm.person_id == other.id))).all()
    if terms:
        raise MergeRefused(
            f"Both {kept.person_ref} and {other.person_ref} have school attendance for "
            + ", ".join(f"{year} term {term}" for year, term in sorted(terms))
            + ": correct one of them first, so that no term is counted twice")
    moved: dict[str, list[int]] = {}
    for model, column in POINTING:
        col = getattr(model, column)
        ids = list(db.session.scalars(select(model.id).where(col == other.id).order_by(model.id)))
        if ids:
            db.session.execute(update(model).where(model.id.in_(ids)).values({column: kept.id}),
                               execution_options={"synchronize_session": False})
            moved[f"{model.__tablename__}.{column}"] = ids
    db.session.execute(m.NotDuplicate.__table__.delete().where(
        (m.NotDuplicate.low_id == other.id) | (m.NotDuplicate.high_id == other.id)))
    snapshot = _snapshot(other)
    record = m.PersonMerge(kept_id=kept.id, merged_ref=other.person_ref, merged=snapshot,
                           moved=moved, merged_by_id=user.id)
    db.session.add(record)
    db.session.flush()
    db.session.add(m.PersonAlias(alias_ref=other.person_ref, person_id=kept.id,
                                 merge_id=record.id))
    families = {kept.family_id, other.family_id}
    other_family_ref = other.family.family_ref
    db.session.delete(other)
    db.session.flush()
    count = sum(len(ids) for ids in moved.values())
    write_history("person", other.person_ref, {"merged_into": None},
                  {"merged_into": kept.person_ref}, user, source=f"merge {record.id}",
                  family_ref=other_family_ref)
    write_history("person", kept.person_ref, {"also_known_as": None},
                  {"also_known_as": other.person_ref}, user, source=f"merge {record.id}",
                  family_ref=kept.family.family_ref)
    store.mark_stale(families)
    record_event("merge", "person", kept.person_ref, user=user,
                 detail=f"{other.person_ref} merged into {kept.person_ref} (merge {record.id}): "
                        f"{count} record{'s' if count != 1 else ''} re-pointed")
    return record


def merge_or_404(merge_id: int) -> m.PersonMerge:
    return db.get_or_404(m.PersonMerge, merge_id)


def moved_counts(record: m.PersonMerge) -> list[tuple[str, int]]:
    """What a merge re-pointed, by kind, in words."""
    labels = {model.__tablename__: label for label, model in HELD}
    labels.update({"match_reviews": "Reviews of partner rows", "person_aliases": "Aliases",
                   "person_merges": "Earlier merges into them"})
    return [(labels.get(key.split(".")[0], key), len(ids)) for key, ids in record.moved.items()]


@transactional
def undo(record: m.PersonMerge, user: m.User) -> m.Person:
    """Put a merged person back as they were, with the records the merge moved (records
    imported to the person kept since, through the alias, stay with them)."""
    _check(user)
    if record.undone_at is not None:
        raise MergeRefused(f"This merge was already undone on {govdate(record.undone_at.date())}")
    if db.session.get(m.Person, record.kept_id) is None:
        raise MergeRefused("The person kept has since been merged into someone else: undo "
                           "that merge first")
    if db.session.scalar(select(m.Person.id).where(m.Person.person_ref == record.merged_ref)):
        raise MergeRefused(f"A person with reference {record.merged_ref} exists again")
    taken = db.session.get(m.Person, record.merged["id"])
    if taken is not None:  # only a database made before ids were never reused
        raise MergeRefused(f"The merged person's record number is now {taken.person_ref}'s: "
                           "they cannot be put back as they were")
    if not db.session.scalar(select(m.Family.id).where(
            m.Family.id == record.merged["family_id"])):
        raise MergeRefused("The merged person's family no longer exists")
    db.session.execute(m.PersonAlias.__table__.delete().where(
        m.PersonAlias.merge_id == record.id))
    person = _restore(record.merged)
    db.session.add(person)
    db.session.flush()
    by_table = {model.__tablename__: model for model, _ in POINTING}
    for key, ids in record.moved.items():
        table, column = key.split(".")
        model = by_table[table]
        db.session.execute(update(model).where(model.id.in_(ids)).values({column: person.id}),
                           execution_options={"synchronize_session": False})
    record.undone_at, record.undone_by_id = m.utcnow(), user.id
    kept = db.session.get(m.Person, record.kept_id)
    write_history("person", person.person_ref, {"merged_into": kept.person_ref},
                  {"merged_into": None}, user, source=f"merge {record.id} undone",
                  family_ref=person.family.family_ref)
    write_history("person", kept.person_ref, {"also_known_as": person.person_ref},
                  {"also_known_as": None}, user, source=f"merge {record.id} undone",
                  family_ref=kept.family.family_ref)
    store.mark_stale({kept.family_id, person.family_id})
    record_event("unmerge", "person", person.person_ref, user=user,
                 detail=f"merge {record.id} undone: {person.person_ref} is again apart from "
                        f"{kept.person_ref}")
    db.session.flush()  # expire_all would otherwise drop undone_at if nothing flushed it yet
    db.session.expire_all()
    return person


@transactional
def not_the_same(first: m.Person, second: m.Person, user: m.User) -> None:
    """Two people are not one (twins, namesakes): not shown as likely duplicates again."""
    _check(user)
    low, high = sorted((first.id, second.id))
    if not db.session.scalar(select(m.NotDuplicate.id).where(
            m.NotDuplicate.low_id == low, m.NotDuplicate.high_id == high)):
        db.session.add(m.NotDuplicate(low_id=low, high_id=high, decided_by_id=user.id))
    record_event("not_duplicate", "person", first.person_ref, user=user,
                 detail=f"{first.person_ref} and {second.person_ref} are not the same person")
