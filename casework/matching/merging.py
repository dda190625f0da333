"""Merging duplicates inside casework, one way for people and families alike: the search job's
newest result, the pairs said to be different, the merge record (the other as it was, every
row re-pointed), the alias later files import through, history and audit, and what undoing
a merge checks and puts back. What differs between a person and a family is declared once,
in a `Subject` (duplicates.PEOPLE, families.FAMILIES); what only one of them does (the
refusals, a family's plan and the members merged with it, the locks) stays in its module."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
from typing import Any

from sqlalchemy import Date, DateTime, delete, select, update

from .. import models as m
from ..audit import record_event
from ..extensions import db
from ..history import write_history
from ..permissions import can
from ..queue import start
from ..rules.dates import govdate
from ..transaction import transactional

CHUNK = 5_000  # ids a statement names at most
SHOWN = 200  # likely duplicates listed at most, the likeliest first


class MergeRefused(Exception):
    """The merge (or its undoing) cannot be done: `problems` says why, each in words."""

    def __init__(self, problems: list[str] | str):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("; ".join(self.problems))


@dataclasses.dataclass(frozen=True)
class Subject:
    """What is merged, and the words and tables that differ between a person and a family."""

    noun: str  # "person", "family": the audit's object type and the refusals' words
    plural: str  # "people", "families"
    model: type  # m.Person, m.Family
    ref: str  # its reference column: person_ref, family_ref
    record: type  # its merge record: m.PersonMerge, m.FamilyMerge
    alias: type  # its alias (alias_ref, the id column, merge_id)
    alias_column: str  # person_id, family_id
    dismissed: type  # the pairs said to be different: m.NotDuplicate, m.NotDuplicateFamily
    permission: str  # merge_people, merge_families
    history_type: str  # record_history's record_type: "person", "families"
    source: str  # "merge", "family merge": the history's source and the audit's words
    search_kind: str  # the job that finds likely duplicates (casework/jobs/kinds.py)
    search_title: str
    different: str  # "are not the same person", "are different households"
    taken: str  # an undo refused because the id is taken ({taken}: its ref; {merged})


def check(subject: Subject, user: m.User) -> None:
    if not can(user, subject.permission):
        raise MergeRefused(f"Only a programme manager may merge {subject.plural}")


# The search for likely duplicates (a job whose result the pages read) ---------------------------


@transactional
def start_search(subject: Subject, user: m.User) -> m.Job:
    """Start a search for duplicates, or the one already waiting or running."""
    check(subject, user)
    running = db.session.scalar(
        select(m.Job).where(m.Job.kind == subject.search_kind,
                            m.Job.state.in_(("queued", "running")))
        .order_by(m.Job.id.desc()).limit(1))
    return running or start(subject.search_kind, subject.search_title, user)


def latest(subject: Subject) -> tuple[m.Job | None, dict | None]:
    """The newest search and what the newest finished one found, with that job (its result
    read and parsed once a process, not on every page view: a finished job's result never
    changes; the key includes its SHA-256), and `by_pair`: each pair by (low id, high id)."""
    job = db.session.scalar(select(m.Job).where(m.Job.kind == subject.search_kind)
                            .order_by(m.Job.id.desc()).limit(1))
    done = db.session.scalar(
        select(m.Job).where(m.Job.kind == subject.search_kind, m.Job.state == "done",
                            m.Job.result.is_not(None)).order_by(m.Job.id.desc()).limit(1))
    if done is None:
        return job, None
    parsed = (_result(done.id, done.result_sha256) if done.result_sha256
              else _result.__wrapped__(done.id, None))
    return job, parsed | {"job": done}


@functools.lru_cache(maxsize=8)
def _result(job_id: int, sha256: str | None) -> dict:
    result = json.loads(db.session.scalar(select(m.Job.result).where(m.Job.id == job_id)))
    result["by_pair"] = {(p[0], p[1]): p for p in result["pairs"]}
    return result


@dataclasses.dataclass(frozen=True)
class Search:
    """The newest search for duplicates (None: nobody has searched yet) and, once one has
    finished with its result kept, the pairs it found that the user may see."""

    job: m.Job | None
    pairs: list
    found_by: m.Job | None = None  # the newest search that finished with its result kept
    compared: int | None = None  # how many people (or families) it compared
    model_version: int | None = None  # people: the matching model's (None: the starting one)


def likely(subject: Subject, user: m.User, visible, pair, compared: str) -> Search:
    """What the newest finished search found (the likeliest SHOWN pairs), leaving out pairs
    said to be different since and records merged or not visible to the user since (`visible`:
    user -> the SELECT of the records they may see). No search is done here: the job does
    that. `pair(first, second, found)` makes a pair of the page from the search's row."""
    job, result = latest(subject)
    if result is None:
        return Search(job, [])
    said = dismissed(subject)
    found = [p for p in result["pairs"] if (p[0], p[1]) not in said]
    records: dict[int, Any] = {}
    pairs: list = []
    # The likeliest first, a thousand pairs' records at a time, until SHOWN are found.
    for chunk in range(0, len(found), 1_000):
        some = found[chunk:chunk + 1_000]
        ids = sorted({i for p in some for i in p[:2]} - set(records))
        if ids:
            records.update((r.id, r) for r in db.session.scalars(
                visible(user).where(subject.model.id.in_(ids))))
        pairs += [pair(records[p[0]], records[p[1]], p) for p in some
                  if p[0] in records and p[1] in records]
        if len(pairs) >= SHOWN:
            break
    return Search(job, pairs[:SHOWN], result["job"], result[compared],
                  result.get("model_version"))


def found(subject: Subject, first, second) -> tuple[list | None, m.Job | None]:
    """What the newest finished search said of the two (its row of the pair), and that
    search (None, None: no search has finished; None, job: it did not find them)."""
    _job, result = latest(subject)
    if result is None:
        return None, None
    return result["by_pair"].get(tuple(sorted((first.id, second.id)))), result["job"]


def dismissed(subject: Subject) -> set[tuple[int, int]]:
    """The pairs (low id, high id) said to be different."""
    pair = subject.dismissed
    return set(db.session.execute(select(pair.low_id, pair.high_id)))


@transactional
def not_the_same(subject: Subject, first, second, user: m.User) -> None:
    """Two are not one (twins, namesakes; two households): not shown as likely duplicates
    again."""
    check(subject, user)
    pair = subject.dismissed
    low, high = sorted((first.id, second.id))
    if not db.session.scalar(select(pair.id).where(pair.low_id == low, pair.high_id == high)):
        db.session.add(pair(low_id=low, high_id=high, decided_by_id=user.id))
    first_ref, second_ref = getattr(first, subject.ref), getattr(second, subject.ref)
    record_event("not_duplicate", subject.noun, first_ref, user=user,
                 detail=f"{first_ref} and {second_ref} {subject.different}")


# A row as it was, to put back -------------------------------------------------------------------


def snapshot(row, model) -> dict[str, Any]:
    """The row's columns as JSON, dates and times marked as such."""
    out = {}
    for column in model.__table__.columns:
        value = getattr(row, column.key)
        if isinstance(value, dt.datetime):
            value = {"datetime": value.isoformat()}
        elif isinstance(value, dt.date):
            value = {"date": value.isoformat()}
        out[column.key] = value
    return out


def restore(saved: dict[str, Any], model):
    """The row `snapshot` kept (or, for a person merged before dates were marked, a date
    column's value as a plain ISO string)."""
    values = {}
    for column in model.__table__.columns:
        value = saved.get(column.key)
        if isinstance(value, dict) and "datetime" in value:
            value = dt.datetime.fromisoformat(value["datetime"])
        elif isinstance(value, dict) and "date" in value:
            value = dt.date.fromisoformat(value["date"])
        elif isinstance(value, str) and isinstance(column.type, DateTime):
            value = dt.datetime.fromisoformat(value)
        elif isinstance(value, str) and isinstance(column.type, Date):
            value = dt.date.fromisoformat(value)
        values[column.key] = value
    return model(**values)


# Merging ---------------------------------------------------------------------------------------


def set_aside_dismissed(subject: Subject, merged: dict[str, Any], other_id: int) -> None:
    """Remove the pairs said to be different that involve the one merged away, keeping them
    in the merge record (`merged`, as "not_duplicates") for undo to put back."""
    pair = subject.dismissed
    involved = (pair.low_id == other_id) | (pair.high_id == other_id)
    said = [snapshot(row, pair) for row in db.session.scalars(
        select(pair).where(involved).order_by(pair.id))]
    if said:
        merged["not_duplicates"] = said
    db.session.execute(delete(pair).where(involved),
                       execution_options={"synchronize_session": False})


def repoint(pointing, from_id: int, to_id: int) -> dict[str, list[int]]:
    """Re-point every row of each (model, column) from one record to another; returns the ids
    moved by "table.column", as a merge record keeps them."""
    moved: dict[str, list[int]] = {}
    for model, column in pointing:
        ids = list(db.session.scalars(select(model.id).where(getattr(model, column) == from_id)
                                      .order_by(model.id)))
        if ids:
            for i in range(0, len(ids), CHUNK):
                db.session.execute(update(model).where(model.id.in_(ids[i:i + CHUNK]))
                                   .values({column: to_id}),
                                   execution_options={"synchronize_session": False})
            moved[f"{model.__tablename__}.{column}"] = ids
    return moved


def keep_alias(subject: Subject, kept, other, merged: dict[str, Any],
               moved: dict[str, list[int]], user: m.User):
    """The merge record (the other as it was, what moved) and the other's reference kept as
    an alias of the record kept."""
    other_ref = getattr(other, subject.ref)
    record = subject.record(kept_id=kept.id, merged_ref=other_ref, merged=merged, moved=moved,
                            merged_by_id=user.id)
    db.session.add(record)
    db.session.flush()
    db.session.add(subject.alias(alias_ref=other_ref, merge_id=record.id,
                                 **{subject.alias_column: kept.id}))
    return record


def record_merged(subject: Subject, record, kept_ref: str, user: m.User,
                  kept_family_ref: str, other_family_ref: str, also: str = "") -> None:
    """The history of both (merged_into, also_known_as) and the audit row of a merge."""
    other_ref, source = record.merged_ref, f"{subject.source} {record.id}"
    write_history(subject.history_type, other_ref, {"merged_into": None},
                  {"merged_into": kept_ref}, user, source=source, family_ref=other_family_ref)
    write_history(subject.history_type, kept_ref, {"also_known_as": None},
                  {"also_known_as": other_ref}, user, source=source, family_ref=kept_family_ref)
    count = sum(len(ids) for ids in record.moved.values())
    record_event("merge", subject.noun, kept_ref, user=user,
                 detail=f"{other_ref} merged into {kept_ref} ({source}): {count} "
                        f"record{'s' if count != 1 else ''} re-pointed{also}")


def merge_or_404(subject: Subject, merge_id: int):
    return db.get_or_404(subject.record, merge_id)


def moved_counts(record, labels: dict[str, str]) -> list[tuple[str, int]]:
    """What a merge re-pointed, by kind, in words (labels by "table.column" or table)."""
    return [(labels.get(key, labels.get(key.split(".")[0], key)), len(ids))
            for key, ids in record.moved.items()]


# Undoing ---------------------------------------------------------------------------------------


def refuse_undone(record) -> None:
    if record.undone_at is not None:
        raise MergeRefused(f"This merge was already undone on {govdate(record.undone_at.date())}")


def refuse_taken(subject: Subject, record) -> None:
    """Refused when the reference, or the record number, of the one merged away is held by
    another since."""
    model, ref = subject.model, getattr(subject.model, subject.ref)
    if db.session.scalar(select(model.id).where(ref == record.merged_ref)):
        raise MergeRefused(f"A {subject.noun} with reference {record.merged_ref} exists again")
    taken = db.session.get(model, record.merged["id"])
    if taken is not None:  # only a database made before ids were never reused (SQLite)
        raise MergeRefused(subject.taken.format(taken=getattr(taken, subject.ref),
                                                merged=record.merged_ref))


def put_back(subject: Subject, record, pointing, kept_id: int, saved: dict[str, Any],
             user: m.User):
    """Remove the alias, put the one merged away back as it was (`saved`, its columns), and
    take back every row the merge moved that is still with the one kept (a row moved on
    since stays where it is). Returns the record put back."""
    db.session.execute(delete(subject.alias).where(subject.alias.merge_id == record.id),
                       execution_options={"synchronize_session": False})
    back = restore(saved, subject.model)
    db.session.add(back)
    db.session.flush()
    by_key = {f"{model.__tablename__}.{column}": (model, column) for model, column in pointing}
    for key, ids in record.moved.items():
        model, column = by_key[key]
        for i in range(0, len(ids), CHUNK):
            db.session.execute(update(model).where(model.id.in_(ids[i:i + CHUNK]),
                                                   getattr(model, column) == kept_id)
                               .values({column: back.id}),
                               execution_options={"synchronize_session": False})
    record.undone_at, record.undone_by_id = m.utcnow(), user.id
    return back


def put_back_dismissed(subject: Subject, record) -> None:
    """Put back the pairs the merge set aside as decided, unless the other of a pair has gone
    since (merged itself) or the pair was said again meanwhile."""
    pair, model = subject.dismissed, subject.model
    for said in record.merged.get("not_duplicates", []):
        ids = (said["low_id"], said["high_id"])
        if (len(set(db.session.scalars(select(model.id).where(model.id.in_(ids))))) == 2
                and not db.session.scalar(select(pair.id).where(pair.low_id == ids[0],
                                                                pair.high_id == ids[1]))):
            db.session.add(restore({**said, "id": None}, pair))


def record_undone(subject: Subject, record, kept_ref: str, back_ref: str, user: m.User,
                  kept_family_ref: str, back_family_ref: str) -> None:
    """The history of both and the audit row of an undone merge."""
    source = f"{subject.source} {record.id} undone"
    write_history(subject.history_type, back_ref, {"merged_into": kept_ref},
                  {"merged_into": None}, user, source=source, family_ref=back_family_ref)
    write_history(subject.history_type, kept_ref, {"also_known_as": back_ref},
                  {"also_known_as": None}, user, source=source, family_ref=kept_family_ref)
    record_event("unmerge", subject.noun, back_ref, user=user,
                 detail=f"{subject.source} {record.id} undone: {back_ref} is again apart "
                        f"from {kept_ref}")
