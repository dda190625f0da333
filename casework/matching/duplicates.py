"""The same person recorded twice inside casework: likely duplicates found with the matching
model (person against person) by a job whose result the pages read, a pair side by side with
the records each holds, merging one into the other (every record re-pointed, the other's
reference kept as an alias), and undoing a merge."""

from __future__ import annotations

import dataclasses
import functools
import json

from flask import abort
from sqlalchemy import func, select

from .. import models as m
from ..access import visible_families
from ..evaluation import store
from ..evidence.kinds import EVIDENCE
from ..extensions import db
from ..transaction import transactional
from . import engine, merging, service

# Every (model, column) that points at a person: what a merge re-points to the person kept.
POINTING = (
    *[(kind.model, "person_id") for kind in EVIDENCE],  # every kind of evidence, as declared
    (m.Need, "person_id"), (m.MatchLink, "person_id"),
    (m.MatchReview, "person_id"), (m.PersonAlias, "person_id"), (m.PersonMerge, "kept_id"),
)
# What the pair page lists for each person: label, model.
HELD = (*[(kind.shown.heading, kind.model) for kind in EVIDENCE], ("Needs", m.Need),
        ("Partner records linked by matching", m.MatchLink))


@dataclasses.dataclass(frozen=True)
class Pair:
    first: m.Person
    second: m.Person
    match_probability: float


def _visible_people(user: m.User):
    return select(m.Person.id).where(
        m.Person.family_id.in_(visible_families(user).with_only_columns(m.Family.id)))


PEOPLE = merging.Subject(
    noun="person", plural="people", model=m.Person, ref="person_ref", record=m.PersonMerge,
    alias=m.PersonAlias, alias_column="person_id", dismissed=m.NotDuplicate,
    permission="merge_people", history_type="person", source="merge",
    search_kind="find_duplicates", search_title="Likely duplicate people",
    different="are not the same person",
    taken="The merged person's record number is now {taken}'s: they cannot be put back as "
          "they were")


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


start_search = functools.partial(merging.start_search, PEOPLE)
not_the_same = functools.partial(merging.not_the_same, PEOPLE)
merge_or_404 = functools.partial(merging.merge_or_404, PEOPLE)


def likely_duplicates(user: m.User) -> merging.Search:
    """What the newest finished search found that the user may see (merging.likely)."""
    return merging.likely(
        PEOPLE, user, lambda user: select(m.Person).where(m.Person.id.in_(_visible_people(user))),
        lambda first, second, found: Pair(first, second, found[2]), "people")


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
    found, job = merging.found(PEOPLE, first, second)
    return (found[2] if found else None), job


@transactional
def merge(kept: m.Person, other: m.Person, user: m.User) -> m.PersonMerge:
    """Merge `other` into `kept`: every record of other's re-pointed to kept, other's
    person_ref kept as an alias of kept (a later file naming it imports to kept), other
    removed; with history, an audit row and the families marked stale for re-evaluation. Undone
    by `undo`."""
    merging.check(PEOPLE, user)
    if kept.id == other.id:
        raise merging.MergeRefused("Choose two different people")
    terms = db.session.execute(
        select(m.SchoolTerm.academic_year, m.SchoolTerm.term)
        .where(m.SchoolTerm.person_id == kept.id)
        .intersect(select(m.SchoolTerm.academic_year, m.SchoolTerm.term)
                   .where(m.SchoolTerm.person_id == other.id))).all()
    if terms:
        raise merging.MergeRefused(
            f"Both {kept.person_ref} and {other.person_ref} have school attendance for "
            + ", ".join(f"{year} term {term}" for year, term in sorted(terms))
            + ": correct one of them first, so that no term is counted twice")
    moved = merging.repoint(POINTING, other.id, kept.id)
    snapshot = merging.snapshot(other, m.Person)
    merging.set_aside_dismissed(PEOPLE, snapshot, other.id)
    record = merging.keep_alias(PEOPLE, kept, other, snapshot, moved, user)
    families = {kept.family_id, other.family_id}
    other_family_ref = other.family.family_ref
    db.session.delete(other)
    db.session.flush()
    merging.record_merged(PEOPLE, record, kept.person_ref, user,
                          kept_family_ref=kept.family.family_ref,
                          other_family_ref=other_family_ref)
    store.mark_stale(families)
    return record


def moved_counts(record: m.PersonMerge) -> list[tuple[str, int]]:
    """What a merge re-pointed, by kind, in words."""
    labels = {model.__tablename__: label for label, model in HELD}
    labels.update({"match_reviews": "Reviews of partner rows", "person_aliases": "Aliases",
                   "person_merges": "Earlier merges into them"})
    return merging.moved_counts(record, labels)


@transactional
def undo(record: m.PersonMerge, user: m.User) -> m.Person:
    """Put a merged person back as they were, with the records the merge moved (records
    imported to the person kept since, through the alias, stay with them)."""
    merging.check(PEOPLE, user)
    merging.refuse_undone(record)
    if db.session.get(m.Person, record.kept_id) is None:
        raise merging.MergeRefused("The person kept has since been merged into someone else: "
                                   "undo that merge first")
    merging.refuse_taken(PEOPLE, record)
    if not db.session.scalar(select(m.Family.id).where(
            m.Family.id == record.merged["family_id"])):
        raise merging.MergeRefused("The merged person's family no longer exists")
    person = merging.put_back(PEOPLE, record, POINTING, record.kept_id, record.merged, user)
    merging.put_back_dismissed(PEOPLE, record)
    kept = db.session.get(m.Person, record.kept_id)
    merging.record_undone(PEOPLE, record, kept.person_ref, person.person_ref, user,
                          kept_family_ref=kept.family.family_ref,
                          back_family_ref=person.family.family_ref)
    store.mark_stale({kept.family_id, person.family_id})
    db.session.flush()  # expire_all would otherwise drop undone_at if nothing flushed it yet
    db.session.expire_all()
    return person
