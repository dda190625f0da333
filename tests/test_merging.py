"""The one merge of duplicates (casework/matching/merging.py) that people and families share:
what only it decides, beyond tests/test_duplicates.py and tests/test_family_merge.py."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from casework import models as m
from casework.extensions import db
from casework.matching import duplicates

from .factories import create_family, create_person, create_user


def test_a_person_merged_before_dates_were_marked_still_undoes(app):
    """Person merges made before the merge was shared kept a date as a plain ISO string
    ("2012-01-01"), not {"date": ...}: undoing one puts the dates back as dates."""
    home = create_family("F-A", family_name="Smith")
    born = dt.date(2012, 1, 1)
    kept, other = (create_person(home, ref, given_name="Amy", family_name="Smith", born=born)
                   for ref in ("P-1", "P-2"))
    other_id, manager = other.id, create_user("manager")
    record = duplicates.merge(kept, other, manager)
    assert record.merged["date_of_birth"] == {"date": "2012-01-01"}
    record.merged = {**record.merged, "date_of_birth": "2012-01-01"}  # as kept before
    db.session.commit()
    duplicates.undo(db.session.get(m.PersonMerge, record.id), manager)
    db.session.expire_all()
    back = db.session.scalar(select(m.Person).where(m.Person.person_ref == "P-2"))
    assert (back.id, back.date_of_birth) == (other_id, born)


def test_undoing_a_person_merge_puts_back_the_pairs_said_to_be_different(app):
    """As a family merge's undo does: the merged person's 'not the same person' pairs are set
    aside in the merge record and put back as decided (they were deleted, so an undone merge
    proposed the dismissed pair again)."""
    home = create_family("F-A", family_name="Smith")
    born = dt.date(2012, 1, 1)
    kept, other, twin = (create_person(home, ref, given_name=name, family_name="Smith",
                                       born=born)
                         for ref, name in (("P-1", "Amy"), ("P-2", "Amy"), ("P-3", "Ava")))
    manager = create_user("manager")
    duplicates.not_the_same(other, twin, manager)
    said = db.session.scalar(select(m.NotDuplicate))
    decided = (said.low_id, said.high_id, said.decided_at, said.decided_by_id)
    record = duplicates.merge(kept, other, manager)
    assert db.session.scalar(select(m.NotDuplicate)) is None
    duplicates.undo(db.session.get(m.PersonMerge, record.id), manager)
    db.session.expire_all()
    back = db.session.scalar(select(m.NotDuplicate))
    assert (back.low_id, back.high_id, back.decided_at, back.decided_by_id) == decided
