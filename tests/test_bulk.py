"""casework/bulk.py and casework/lookups.py with awkward values, on both databases
(CASEWORK_TEST_DB=postgresql): COPY's text format is made by casework itself, and an array
of ids or references is sent as one typed text parameter, so every character that either
format treats specially must come back as it went in."""

import datetime as dt

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from casework import models as m
from casework.bulk import copies_in_background, insert_columns
from casework.extensions import db
from casework.lookups import one_of, one_of_chunks

AWKWARD = ["tab\there", "line\nbreak", "carriage\rreturn", "back\\slash", "\\N", "NULL",
           'quote "inside"', "comma, brace {x}", "  spaces  ", "", "ünïcødé £", "a\\tb"]


def test_insert_columns_stores_every_value_as_given(app):
    when = dt.datetime(2013, 9, 30, 14, 5, 6, 789000)
    n = len(AWKWARD)
    insert_columns(m.RecordHistory.__table__, {
        "record_type": ["asb"] * n,
        "record_ref": AWKWARD,
        "family_ref": [None if i % 3 == 0 else f"F{i}" for i in range(n)],
        "changed_at": [when] * n,
        "changed_by_id": [None] * n,
        "source": [f"import of {v}" for v in AWKWARD],
        "before": [None if i % 2 else {"date": "2013-01-02", "kind": v} for i, v in
                   enumerate(AWKWARD)],
        "after": [{"kind": v, "n": i, "list": [v, None, True]} for i, v in enumerate(AWKWARD)],
    })
    db.session.commit()
    rows = db.session.scalars(select(m.RecordHistory).order_by(m.RecordHistory.id)).all()
    assert [r.record_ref for r in rows] == AWKWARD
    assert [r.source for r in rows] == [f"import of {v}" for v in AWKWARD]
    assert [r.family_ref for r in rows] == [None if i % 3 == 0 else f"F{i}" for i in range(n)]
    assert {r.changed_at for r in rows} == {when}
    assert [r.before for r in rows] == [None if i % 2 else {"date": "2013-01-02", "kind": v}
                                        for i, v in enumerate(AWKWARD)]
    assert [r.after for r in rows] == [{"kind": v, "n": i, "list": [v, None, True]}
                                       for i, v in enumerate(AWKWARD)]


def test_insert_columns_stores_dates_flags_and_missing_values(app):
    family = m.Family(family_ref="F1", family_name="Smith")
    db.session.add(family)
    db.session.flush()
    person = m.Person(family_id=family.id, person_ref="P1", given_name="Jo", family_name="Smith")
    db.session.add(person)
    db.session.flush()
    insert_columns(m.SchoolTerm.__table__, {
        "person_id": [person.id] * 3, "academic_year": ["2012/13"] * 3,
        "term": ["autumn", "spring", "summer"], "sessions_possible": [100, 0, 90],
        "sessions_unauthorised": [0, 0, 45], "fixed_exclusions": [0, 2, 0],
        "permanent_exclusion": [False, False, True], "alternative_provision": [True, False,
                                                                             False],
        "on_roll": [True, False, True],
    })
    insert_columns(m.AsbRecord.__table__, {
        "asb_ref": ["A1", "A2"], "person_id": [person.id, None],
        "family_id": [None, family.id], "date": [dt.date(2013, 2, 28), dt.date(2012, 12, 31)],
        "kind": ["incident", "asbo"],
    })
    db.session.commit()
    terms = db.session.scalars(select(m.SchoolTerm).order_by(m.SchoolTerm.id)).all()
    assert [(t.term, t.sessions_possible, t.sessions_unauthorised, t.fixed_exclusions,
             t.permanent_exclusion, t.alternative_provision, t.on_roll) for t in terms] == [
        ("autumn", 100, 0, 0, False, True, True), ("spring", 0, 0, 2, False, False, False),
        ("summer", 90, 45, 0, True, False, True)]
    asb = db.session.scalars(select(m.AsbRecord).order_by(m.AsbRecord.asb_ref)).all()
    assert [(a.asb_ref, a.person_id, a.family_id, a.date, a.kind) for a in asb] == [
        ("A1", person.id, None, dt.date(2013, 2, 28), "incident"),
        ("A2", None, family.id, dt.date(2012, 12, 31), "asbo")]


def test_one_of_finds_exactly_the_references_named(app):
    families = [m.Family(family_ref=ref, family_name="Smith") for ref in AWKWARD[:-3] + ["F1", "F2", "F3"]]
    db.session.add_all(families)
    db.session.commit()
    F = m.Family
    for wanted in (AWKWARD, ["F1", "F3", "nobody"], [], ["\\N"], ["NULL"], [""]):
        found = set(db.session.scalars(select(F.family_ref).where(one_of(F.family_ref, wanted))))
        assert found == {f.family_ref for f in families} & set(wanted), wanted
    ids = [f.id for f in families]
    assert set(db.session.scalars(select(F.id).where(one_of(F.id, ids[::2])))) == set(ids[::2])
    assert not list(db.session.scalars(select(F.id).where(one_of(F.id, [0, -1]))))
    found = [ref for where in one_of_chunks(F.family_ref, ["F1", "F2", "F3", "x"], size=2)
             for ref in db.session.scalars(select(F.family_ref).where(where))]
    assert sorted(found) == ["F1", "F2", "F3"]


def test_insert_columns_stores_text_and_dates_beside_missing_values(app):
    """A column with some values missing takes the quick path when the rest are plain
    (text with no character COPY treats specially, dates) and the careful one otherwise."""
    n = len(AWKWARD)
    plain = [None if i % 2 else f"Street {i}" for i in range(n)]
    awkward = [None if i % 3 == 0 else v for i, v in enumerate(AWKWARD)]
    dates = [None if i % 4 == 0 else dt.date(2012, 1, 1) + dt.timedelta(days=i)
             for i in range(n)]
    insert_columns(m.Family.__table__, {
        "family_ref": [f"F{i:02d}" for i in range(n)], "family_name": AWKWARD,
        "address": plain, "ward": awkward, "attached_on": dates,
        "postcode": [None] * n, "local_discretion": [i % 2 == 0 for i in range(n)],
    })
    db.session.commit()
    rows = db.session.scalars(select(m.Family).order_by(m.Family.family_ref)).all()
    assert [r.family_name for r in rows] == AWKWARD
    assert [r.address for r in rows] == plain
    assert [r.ward for r in rows] == awkward
    assert [r.attached_on for r in rows] == dates
    assert [r.postcode for r in rows] == [None] * n
    assert [r.local_discretion for r in rows] == [i % 2 == 0 for i in range(n)]


def _families(refs):
    return {"family_ref": list(refs), "family_name": ["Smith"] * len(refs)}


def test_a_copy_in_the_background_is_stored_before_the_next_statement(app):
    """Inside copies_in_background insert_columns may return before PostgreSQL has stored
    the rows (SQLite stores them at once); the next statement on the connection, a second
    insert and the end of the block each wait for it."""
    with copies_in_background():
        insert_columns(m.Family.__table__, _families([f"F{i}" for i in range(500)]))
        assert db.session.scalar(select(func.count()).select_from(m.Family)) == 500
        insert_columns(m.Family.__table__, _families([f"G{i}" for i in range(500)]))
        insert_columns(m.Family.__table__, _families([f"H{i}" for i in range(500)]))
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(m.Family)) == 1500


def test_a_background_copy_that_breaks_a_key_raises_integrity_error(app):
    insert_columns(m.Family.__table__, _families(["F1"]))
    db.session.commit()
    with pytest.raises(IntegrityError):
        with copies_in_background():
            insert_columns(m.Family.__table__, _families(["F2", "F1"]))
    db.session.rollback()
    assert db.session.scalars(select(m.Family.family_ref)).all() == ["F1"]


def test_an_error_on_its_way_out_is_the_one_raised_and_the_copy_is_waited_for(app):
    insert_columns(m.Family.__table__, _families(["F1"]))
    db.session.commit()
    with pytest.raises(ValueError, match="the caller's own"):
        with copies_in_background():
            try:
                insert_columns(m.Family.__table__, _families(["F2", "F1"]))
            except IntegrityError:  # SQLite: at once
                pass
            raise ValueError("the caller's own")
    db.session.rollback()  # the connection is free again
    assert db.session.scalars(select(m.Family.family_ref)).all() == ["F1"]
