"""Summaries counted once are served until what they count changes (casework/cache_version.py):
every write to a watched table moves the data version in its own transaction, reading pages
does not, and a page counts afresh as soon as the data changes."""

import datetime as dt

from casework import cache_version
from casework import models as m
from casework.caseloads.service import allocate
from casework.claims.service import money
from casework.evaluation import figures, store
from casework.extensions import db
from casework.importer.service import import_csv
from casework.programme import service as programme

from .conftest import login
from .factories import create_family, create_user
from .test_programme import eligible_family

D = dt.date(2013, 9, 30)


def test_a_watched_write_moves_the_version_in_its_own_transaction(app):
    create_family("F1")  # commits: the first write starts the count
    first = cache_version.current()
    assert first is not None
    family = db.session.get(m.Family, db.session.query(m.Family.id).scalar())
    family.ward = "North"
    db.session.commit()
    assert cache_version.current() == first + 1


def test_a_rolled_back_write_leaves_the_version_as_it_was(app):
    create_family("F1")
    before = cache_version.current()
    db.session.add(m.Family(family_ref="F2", family_name="Two"))
    db.session.flush()
    db.session.rollback()
    db.session.commit()
    assert cache_version.current() == before


def test_writing_an_audit_row_does_not_move_the_version(app, client):
    create_family("F1")
    manager = create_user("manager", email="m@example.test")
    login(client, manager.email)
    before = cache_version.current()
    assert client.get("/programme").status_code == 200  # writes its audit row
    assert client.get("/families/F1").status_code == 200
    assert db.session.query(m.AuditEvent).count() > 0
    assert cache_version.current() == before


def test_a_summary_is_counted_once_until_the_data_changes(app):
    manager = create_user("manager")
    eligible_family("F1", "North", dt.date(2012, 9, 1), dt.date(2012, 10, 1))
    store.refresh(as_of=D)
    calls = []

    def count():
        calls.append(1)
        return figures.family_counts(figures.scope(manager))["attached"]

    sc = figures.scope(manager)
    assert figures.memo(sc, "test.attached", count) == 1
    assert figures.memo(sc, "test.attached", count) == 1
    assert len(calls) == 1
    eligible_family("F2", "North", dt.date(2012, 9, 1), dt.date(2012, 10, 1))
    store.refresh(as_of=D)
    assert figures.memo(figures.scope(manager), "test.attached", count) == 2
    assert len(calls) == 2


def test_each_scope_has_its_own_figures(app):
    manager = create_user("manager")
    lead = create_user("team_lead", team="East")
    worker = create_user("worker", team="East")
    f1, _ = eligible_family("F1", "North", dt.date(2012, 9, 1), dt.date(2012, 10, 1))
    eligible_family("F2", "South", dt.date(2012, 9, 1), dt.date(2012, 10, 1))
    allocate(f1, worker, f1.attached_on, lead)
    store.refresh(as_of=D)
    every = figures.memo(figures.scope(manager), "test.counts",
                         lambda: figures.family_counts(figures.scope(manager)))
    own = figures.memo(figures.scope(worker), "test.counts",
                       lambda: figures.family_counts(figures.scope(worker)))
    north = figures.memo(figures.scope(manager, "North"), "test.counts",
                         lambda: figures.family_counts(figures.scope(manager, "North")))
    assert (every["attached"], own["attached"], north["attached"]) == (2, 1, 1)


def test_the_dashboard_and_money_page_count_again_after_an_import(app, client):
    manager = create_user("manager", email="m@example.test")
    eligible_family("F1", "North", dt.date(2012, 9, 1), dt.date(2012, 10, 1))
    store.refresh(as_of=D)
    login(client, manager.email)
    assert client.get("/programme").status_code == 200
    assert programme.figures(manager).funnel["identified"] == 1
    assert money(manager)["fees"][1]["families"] == 1
    rows = ("family_ref,family_name,identified_on,attached_on\n"
            "F9,Nine,2012-09-01,2012-10-01\n")
    import_csv("families", rows.encode(), "families.csv")
    store.refresh_pending()
    assert programme.figures(manager).funnel["identified"] == 2
    assert client.get("/programme").status_code == 200
    # F9 meets no criterion: identified, not eligible, so not attached for the money page
    assert money(manager)["fees"][1]["families"] == 1
    eligible_family("F3", "North", dt.date(2012, 9, 1), dt.date(2012, 10, 1))
    store.refresh(as_of=D)
    assert money(manager)["fees"][1]["families"] == 2


def test_with_no_version_recorded_nothing_is_served_from_memory(app):
    db.session.query(m.DataVersion).delete()
    db.session.commit()
    db.session.query(m.DataVersion).delete()  # the delete itself wrote nothing watched
    db.session.commit()
    assert cache_version.current() is None
    calls = []
    cache_version.cached("k", lambda: calls.append(1))
    cache_version.cached("k", lambda: calls.append(1))
    assert len(calls) == 2
