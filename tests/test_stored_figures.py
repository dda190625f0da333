"""The stored figures (casework.evaluation.store.store_figures): the summaries' counts kept
by scope, ward, programme and month, equal figure by figure to counting live, for a manager,
a team lead and a ward; read by the pages; never read once the data has moved on."""

import dataclasses
import datetime as dt
import io

import pytest
import sqlalchemy
from pypdf import PdfReader
from sqlalchemy import update

from casework import cache_version
from casework import models as m
from casework.caseloads.service import allocate, close
from casework.evaluation import figures, store
from casework.extensions import db
from casework.matching.families import merge
from casework.programme import service as programme
from casework.rules.ruleset import PROGRAMMES

from .conftest import login, post_form
from .factories import create_family
from .parsed import Page
from .test_figures import EXPECTED, D, world  # noqa: F401  (the fixture)
from .test_programme import eligible_family


def _live(sc: figures.Scope) -> figures.Scope:
    return dataclasses.replace(sc, stored_as=None)


QUARTERS = [(dt.date(2013, 1, 1), dt.date(2013, 3, 31)), (dt.date(2013, 4, 1), dt.date(2013, 6, 30)),
            (dt.date(2013, 7, 1), dt.date(2013, 9, 30)), (dt.date(2013, 10, 1), dt.date(2013, 12, 31))]
EACH = {
    "family_counts": figures.family_counts,
    "list_totals": figures.list_totals,
    "claimable_pounds": figures.claimable_pounds,
    "attachment_fees": figures.attachment_fees,
    "statuses": figures.statuses,
    "statuses_attached": lambda sc: figures.statuses(sc, "attached"),
    "costs": lambda sc: figures.values(sc, figures.cost_columns(sc)),
    "costs_high_contact": lambda sc: figures.values(sc, figures.cost_columns(sc, "high_contact")),
    "abuse": lambda sc: figures.values(sc, figures.abuse_columns(sc)),
    "by_ward": lambda sc: figures.by_ward(sc, figures.FAMILY_FIGURES),
    "months": lambda sc: figures.activity(sc, figures.month_periods(sc.as_of, 30)),
    "quarters": lambda sc: figures.activity(sc, QUARTERS),
    "money": figures.money,
}


def assert_stored_equals_live(user, ward=None):
    """Every stored figure of `user`'s families (of `ward`), for every programme, equals the
    same figure counted live; and the whole dashboard does too."""
    for programme_name in PROGRAMMES:
        sc = figures.for_programme(figures.scope(user, ward), programme_name)
        assert figures.stored(sc) is not None, (user.role, ward, programme_name)
        live = _live(sc)
        assert figures.stored(live) is None
        for name, figure in EACH.items():
            assert figure(sc) == figure(live), (user.role, ward, programme_name, name)
        assert programme._figures(user, sc, None) == programme._figures(user, live, None)


def everyone(world):  # noqa: F811
    return [(world["manager"], None), (world["manager"], "North"), (world["manager"], "South"),
            (world["lead"], None), (world["lead"], "North")]


def test_the_refresh_stores_the_figures_and_they_equal_counting_live(world):  # noqa: F811
    assert figures.stored_current()
    sc = figures.scope(world["manager"])
    assert figures.family_counts(sc) == EXPECTED
    for user, ward in everyone(world):
        assert_stored_equals_live(user, ward)
    # A worker's few families are counted live: no stored scope holds them.
    worker = db.session.scalar(db.select(m.User).where(m.User.role == "worker"))
    assert figures.stored(figures.scope(worker)) is None
    # Another date than the stored evaluation's is counted live too.
    assert figures.stored(figures.scope(world["manager"], as_of=D - dt.timedelta(days=1))) is None


def test_after_every_kind_of_change_the_figures_say_they_are_behind_until_stored_again(
        app, world):  # noqa: F811
    app.config["FIGURES_LIVE_BELOW"] = 0  # as for a council's many thousands of families
    manager, lead = world["manager"], world["lead"]
    worker = db.session.scalar(db.select(m.User).where(m.User.role == "worker"))
    families = {f.family_ref: f for f in db.session.scalars(db.select(m.Family))}

    def changed_then_stored():
        # Anything the figures count moved the version: the stored figures are still read
        # (never every family counted in a request), and say they are behind.
        assert not figures.stored_current()
        assert figures.stored(figures.scope(manager)) is not None
        assert figures.freshness(manager).changes >= 1
        assert figures.stored_exactly(figures.scope(manager)) is None
        store.refresh_pending(figures=False)
        store.store_figures()
        assert figures.stored_current()
        assert figures.freshness(manager).changes == 0
        for user, ward in everyone(world):
            assert_stored_equals_live(user, ward)

    # An allocation (F7 was waiting for a worker).
    allocate(families["F7"], worker, D, lead)
    changed_then_stored()
    # Claims through audit and submission: F7's draft validated, F6's submitted in a batch.
    claims = {c.family_id: c for c in db.session.scalars(db.select(m.Claim))}
    claims[families["F7"].id].state = "validated"
    batch = m.ClaimBatch(window="October 2013", as_of=D)
    db.session.add(batch)
    db.session.flush()
    claims[families["F6"].id].state = "submitted"
    claims[families["F6"].id].batch_id = batch.id
    db.session.commit()
    changed_then_stored()
    # A closure, and a family signed up and another added (an import's rows).
    close(families["F1"], D, lead, "Work done", next(iter(m.CLOSURE_OUTCOMES)))
    eligible_family("F11", "North", dt.date(2013, 6, 1), dt.date(2013, 7, 1))
    create_family("F12", ward="West", identified_on=dt.date(2013, 9, 1))
    db.session.commit()
    changed_then_stored()
    # Contacts (high-contact) and an edit moving a family to another ward.
    for i in range(figures.HIGH_CONTACT_CONTACTS):
        db.session.add(m.Contact(family_id=families["F8"].id, author_id=worker.id,
                                 contact_at=dt.datetime(2013, 9, 1 + i, 10), kind="home_visit",
                                 duration_minutes=30, status="final"))
    families["F8"].ward = "West"
    db.session.commit()
    changed_then_stored()
    # A family merge: F4 into F9.
    merge(families["F9"], families["F4"], manager)
    db.session.commit()
    changed_then_stored()
    assert figures.family_counts(figures.scope(manager))["identified"] == EXPECTED["identified"] + 1


def test_the_pages_read_the_stored_figures(app, client, world):  # noqa: F811
    """Shown as a user reads them: a stored figure changed by hand (which moves no version)
    is what the dashboard, the money page, the results page and the families list show."""
    app.config["FIGURES_LIVE_BELOW"] = 0  # as for a council's many thousands of families
    manager = world["manager"]
    assert figures.stored_current()
    F = m.StoredFigure
    for figure, ward in (("identified", "North"), ("families", "North"),
                         ("claimable_pounds", "South")):  # F8, claimable, is in South
        changed = db.session.execute(update(F).where(F.figure == figure, F.scope == "all",
                                                     F.programme == "phase1",
                                                     F.ward == ward, F.month.is_(None))
                                     .values(value=F.value + 1000))
        assert changed.rowcount == 1
    db.session.commit()
    cache_version.clear()
    assert figures.stored_current()
    login(client, manager.email)
    dashboard = Page(client.get("/programme").text)
    headline = [n.text() for n in dashboard.main.find_all(cls="app-figure")]
    assert headline[0] == "1,008 families identified"
    money = Page(client.get("/claims/money").text)
    assert money.paragraph("Still claimable") == (
        "Still claimable on 30 September 2013 (programme year 2): £1,700.")
    results = Page(client.get("/results").text)
    assert any(t.caption.endswith("; claimable now: £1,700") for t in results.tables)
    families = Page(client.get("/families").text)
    assert "of 1,009 families" in families.main.text()  # 9 in the world, 1,000 made up

    note = dashboard.main.find(cls="app-figures-hold").text()
    assert "nothing they count has changed since" in note

    # Once the data moves, the summaries still read the stored totals and say how many
    # changes they do not show yet; the families list, whose total must match the rows it
    # pages through, counts live. Once stored again, the made-up thousand is gone.
    db.session.add(m.Contact(family_id=db.session.scalar(db.select(m.Family.id).limit(1)),
                             author_id=manager.id, contact_at=dt.datetime(2013, 9, 2, 10),
                             kind="home_visit", duration_minutes=30, status="final"))
    db.session.commit()
    assert not figures.stored_current()
    dashboard = Page(client.get("/programme").text)
    headline = [n.text() for n in dashboard.main.find_all(cls="app-figure")]
    assert headline[0] == "1,008 families identified"
    note = dashboard.main.find(cls="app-figures-hold").text()
    assert ": 1 change saved since then (a contact, an allocation, an edit: yours too) is not in " \
           "them yet, and will be when they are counted again, about a minute after a change." \
           in note
    money = Page(client.get("/claims/money").text)
    assert "1 change saved since then" in money.main.find(cls="app-figures-hold").text()
    assert "of 9 families" in Page(client.get("/families").text).main.text()
    assert figures.keep_stored() > 0
    assert "nothing they count has changed since" in Page(client.get("/programme").text).main.find(
        cls="app-figures-hold").text()
    # The worker may count only the changed family's part and move the totals by its
    # difference (when the families' ids span several parts, as a council's do), which
    # keeps a total changed by hand; a whole count, as the nightly refresh's, puts it right.
    store.store_figures()
    dashboard = Page(client.get("/programme").text)
    headline = [n.text() for n in dashboard.main.find_all(cls="app-figure")]
    assert headline[0] == "8 families identified"


@pytest.mark.parametrize("seen", [True])
def test_the_worker_stores_the_figures_again_only_when_the_data_moved(world, seen):  # noqa: F811
    assert figures.keep_stored() is None  # current: nothing to do
    db.session.add(m.Contact(family_id=db.session.scalar(db.select(m.Family.id).limit(1)),
                             author_id=world["manager"].id,
                             contact_at=dt.datetime(2013, 9, 2, 10), kind="home_visit",
                             duration_minutes=30, status="final"))
    db.session.commit()
    assert figures.keep_stored() > 0
    assert figures.stored_current()
    assert_stored_equals_live(world["manager"])


def test_a_few_families_are_counted_live_and_exact_while_the_stored_figures_are_behind(
        app, client, world):  # noqa: F811
    """Below FIGURES_LIVE_BELOW families a summary counts live once anything has changed
    (well under 100 ms), and says nothing about stored totals: a team lead's allocation is
    on the dashboard at once."""
    manager, lead = world["manager"], world["lead"]
    assert app.config["FIGURES_LIVE_BELOW"] == 2000
    login(client, manager.email)
    assert client.get("/programme").status_code == 200  # counted while current
    before = figures.family_counts(figures.scope(manager))["waiting"]
    worker = db.session.scalar(db.select(m.User).where(m.User.role == "worker"))
    f7 = db.session.scalar(db.select(m.Family).where(m.Family.family_ref == "F7"))
    allocate(f7, worker, D, lead)
    assert not figures.stored_current()
    assert figures.stored(figures.scope(manager)) is None
    assert figures.freshness(manager) is None
    assert figures.family_counts(figures.scope(manager))["waiting"] == before - 1
    note = Page(client.get("/programme").text).main.find(cls="app-figures-hold").text()
    assert "The totals were counted" not in note
    # The dashboard, counted once while the figures were current, is counted live again.
    identified = programme.figures(manager).funnel["identified"]
    eligible_family("F30", "North", dt.date(2013, 6, 1), dt.date(2013, 7, 1))
    store.refresh_pending(figures=False)  # as a page's request does
    assert programme.figures(manager).funnel["identified"] == identified + 1
    figures.keep_stored()  # current again: read, and said so
    assert figures.freshness(manager).changes == 0
    note = Page(client.get("/programme").text).main.find(cls="app-figures-hold").text()
    assert "nothing they count has changed since" in note


def test_a_refresh_of_a_few_families_moves_the_stored_figures_with_it(
        world, monkeypatch):  # noqa: F811
    """store.refresh of the changed families (as a web request runs it, figures=False) counts
    again only their parts and leaves the figures current and equal to counting live; a
    change no family's part accounts for (a claim batch, a user's team, a merge) leaves
    them to be counted whole (wide), and the refresh never claims they are current."""
    monkeypatch.setattr(figures, "PART_SIZE", 2)  # the world's few families in several parts
    store.store_figures()
    assert figures.stored_current()
    manager, lead = world["manager"], world["lead"]
    worker = db.session.scalar(db.select(m.User).where(m.User.role == "worker"))
    families = {f.family_ref: f for f in db.session.scalars(db.select(m.Family))}
    F = m.StoredFigure
    counts = []

    def refreshed(incremental: bool):
        assert not figures.stored_current()
        assert store.pending_count() > 0
        before = db.session.scalar(db.select(db.func.count()).select_from(F))
        store.refresh_pending(figures=False)
        assert figures.stored_current() is incremental
        if not incremental:
            assert db.session.scalar(db.select(db.func.count()).select_from(F)) == before
            store.store_figures()
            assert figures.stored_current()
        for user, ward in everyone(world):
            assert_stored_equals_live(user, ward)
        counts.append(figures.family_counts(figures.scope(manager)))

    allocate(families["F7"], worker, D, lead)  # waiting no more
    refreshed(incremental=True)
    claims = {c.family_id: c for c in db.session.scalars(db.select(m.Claim))}
    claims[families["F7"].id].state = "validated"
    db.session.commit()
    refreshed(incremental=True)
    claims = {c.family_id: c for c in db.session.scalars(db.select(m.Claim))}
    batch = m.ClaimBatch(window="October 2013", as_of=D)  # a batch: wide
    db.session.add(batch)
    db.session.flush()
    claims[families["F6"].id].state = "submitted"
    claims[families["F6"].id].batch_id = batch.id
    db.session.commit()
    refreshed(incremental=False)
    close(families["F1"], D, lead, "Work done", next(iter(m.CLOSURE_OUTCOMES)))
    refreshed(incremental=True)
    eligible_family("F11", "North", dt.date(2013, 6, 1), dt.date(2013, 7, 1))
    create_family("F12", ward="West", identified_on=dt.date(2013, 9, 1))
    db.session.commit()
    refreshed(incremental=True)
    for i in range(figures.HIGH_CONTACT_CONTACTS):
        db.session.add(m.Contact(family_id=families["F8"].id, author_id=worker.id,
                                 contact_at=dt.datetime(2013, 9, 1 + i, 10), kind="home_visit",
                                 duration_minutes=30, status="final"))
    families["F8"].ward = "West"  # to a ward of its own: its old ward's rows move too
    db.session.commit()
    refreshed(incremental=True)
    families["F2"].identified_on = None  # identified no more
    db.session.commit()
    refreshed(incremental=True)
    merge(families["F9"], families["F4"], manager)  # a family deleted: wide
    db.session.commit()
    refreshed(incremental=False)
    db.session.delete(db.session.get(m.Allocation, db.session.scalar(
        db.select(m.Allocation.id).where(m.Allocation.family_id == families["F7"].id))))
    db.session.commit()
    refreshed(incremental=True)
    worker.team_id = None  # the team's families change (the worker's allocations): wide
    db.session.commit()
    db.session.execute(update(m.Family).where(m.Family.id == families["F3"].id)
                       .values(ward="East"))  # around the ORM, marked by hand
    store.mark_stale([families["F3"].id])
    db.session.commit()
    refreshed(incremental=False)
    assert len({tuple(sorted(c.items())) for c in counts}) > 3  # the figures did move


def test_a_full_refresh_counts_the_figures_whole(world, monkeypatch):  # noqa: F811
    monkeypatch.setattr(figures, "PART_SIZE", 2)
    store.store_figures()
    store.refresh(figures=False)  # every family: the parts are not trusted until counted
    assert not figures.stored_current()
    families = db.session.scalars(db.select(m.Family.id)).all()
    store.mark_stale(families[:1])
    db.session.commit()
    store.refresh_pending(figures=False)
    assert not figures.stored_current()
    store.store_figures()
    assert figures.stored_current()
    assert_stored_equals_live(world["manager"])


def _stored_rows() -> set[tuple]:
    SF = m.StoredFigure
    return set(db.session.execute(db.select(SF.programme, SF.scope, SF.ward, SF.month, SF.figure,
                                            SF.value)).all())


def test_figures_counted_side_by_side_are_of_one_moment_even_when_a_change_lands_meanwhile(
        world, monkeypatch):  # noqa: F811
    """Each scope and programme is counted on a thread with a snapshot of its own; a change
    committed after the counting began (here: F1 moved from North to South, by another
    session, just as the threads start) must not be mixed into counts stamped with the
    version read before it: they are counted again in that first snapshot."""
    store.store_figures()
    before = _stored_rows()
    stamped = cache_version.versions([cache_version.FIGURES])[cache_version.FIGURES]
    units = figures._units

    def moved_meanwhile():
        with sqlalchemy.orm.Session(db.engine) as other:
            other.execute(update(m.Family).where(m.Family.family_ref == "F1")
                          .values(ward="South"))
            other.commit()
        return units()

    monkeypatch.setattr(figures, "_units", moved_meanwhile)
    store.store_figures()
    monkeypatch.setattr(figures, "_units", units)
    assert _stored_rows() == before  # every count from before the move
    assert cache_version.versions([figures.stored_name("phase1")]) == {
        figures.stored_name("phase1"): stamped}
    assert not figures.stored_current()  # and they say they are behind it
    store.store_figures()
    assert figures.stored_current()
    assert _stored_rows() != before
    assert_stored_equals_live(world["manager"], "North")
    assert_stored_equals_live(world["manager"], "South")


def test_the_agreed_number_tables_read_the_stored_figures_and_say_when_counted(
        app, client, world):  # noqa: F811
    """The selection page and the money page count the families attached each programme
    year from the stored figures (their attachment fees), as the dashboard does: a day of
    contacts and allocations does not count every family again in each process. Behind the
    data they say so; once stored again they show the change."""
    app.config["FIGURES_LIVE_BELOW"] = 0  # as for a council's many thousands of families
    manager = world["manager"]
    store.store_figures()
    F = m.StoredFigure

    def attached(url):
        page = Page(client.get(url).text)
        rows = page.root.by_id("agreed-number").table()[1:]
        return {row[0]: row[1] for row in rows}, page.main.find(cls="app-figures-hold").text()

    login(client, manager.email)
    counted, _ = attached("/selection")
    assert attached("/claims/money")[0] == counted
    changed = db.session.execute(update(F).where(
        F.figure == "attached_year:1", F.scope == "all", F.programme == "phase1",
        F.ward == "North", F.month.is_(None)).values(value=F.value + 1000))
    assert changed.rowcount == 1  # a stored figure changed by hand moves no version
    db.session.commit()
    cache_version.clear()
    year_1 = "2012/13 (year 1)"
    made_up = {**counted, year_1: f"{int(counted[year_1].replace(',', '')) + 1000:,}"}
    for url in ("/selection", "/claims/money"):
        assert attached(url)[0] == made_up, url

    db.session.add(m.Contact(family_id=db.session.scalar(db.select(m.Family.id).limit(1)),
                             author_id=manager.id, contact_at=dt.datetime(2013, 9, 2, 10),
                             kind="home_visit", duration_minutes=30, status="final"))
    db.session.commit()
    shown, note = attached("/selection")
    assert shown == made_up  # read from the stored figures, not counted again
    assert ": 1 change saved since then (a contact, an allocation, an edit: yours too) is not " \
           "in them yet" in note
    assert figures.keep_stored() > 0
    assert "nothing they count has changed since" in attached("/selection")[1]
    store.store_figures()  # a whole count (see test_the_pages_read_the_stored_figures)
    shown, note = attached("/selection")
    assert shown == counted
    assert "nothing they count has changed since" in note


def test_a_pages_change_leaves_its_part_to_the_worker_and_says_the_figures_are_behind(
        app, client, world, monkeypatch):  # noqa: F811
    """No page holds the write lock while it counts: a change made on a page evaluates its
    family again in the request, but only marks the family's part (figures.mark_due); the
    stored figures stay as they were, the dashboard says they do not show the change yet,
    and the job worker (keep_stored) counts the marked part, after which every stored
    figure equals counting live again."""
    app.config["FIGURES_LIVE_BELOW"] = 0  # as for a council's many thousands of families
    monkeypatch.setattr(figures, "PART_SIZE", 2)  # the world's few families in several parts
    store.store_figures()
    assert figures.stored_current()
    manager = world["manager"]
    worker = db.session.scalar(db.select(m.User).where(m.User.role == "worker"))
    f7 = db.session.scalar(db.select(m.Family).where(m.Family.family_ref == "F7"))
    F = m.StoredFigure
    columns = (F.ruleset, F.programme, F.scope, F.ward, F.month, F.figure, F.value)

    def stored_rows():
        return sorted(db.session.execute(db.select(*columns)).all(), key=repr)

    before = stored_rows()
    waiting = figures.family_counts(figures.scope(manager))["waiting"]
    login(client, manager.email)
    counted = []  # the part count's statements (its temporary table of flagged families)

    def watch(_conn, _cursor, statement, *_):
        if "casework_flagged" in statement:
            counted.append(statement)

    sqlalchemy.event.listen(db.engine, "before_cursor_execute", watch)
    try:
        allocated = post_form(client, f"/families/{f7.family_ref}/allocate", {
            "worker": str(worker.id), "on": [str(D.day), str(D.month), str(D.year)]})
    finally:
        sqlalchemy.event.remove(db.engine, "before_cursor_execute", watch)
    assert allocated.status_code == 302, allocated.text[:500]
    db.session.rollback()
    assert counted == []  # the request counted no part
    assert store.pending_count() == 0  # F7 was evaluated again in the request
    assert stored_rows() == before  # the stored figures are as they were
    assert not figures.stored_current()
    marked = cache_version.versions([f"{figures.DUE}{f7.id // 2}"])
    assert marked == {f"{figures.DUE}{f7.id // 2}": cache_version.current()}
    dashboard = Page(client.get("/programme").text)
    note = dashboard.main.find(cls="app-figures-hold").text()
    assert ": 1 change saved since then (a contact, an allocation, an edit: yours too) is not " \
           "in them yet, and will be when they are counted again, about a minute after a " \
           "change." in note

    # The job worker counts the marked part (not every family), and the marks are gone.
    assert 0 < figures.keep_stored() < len(before)
    assert figures.stored_current()
    assert db.session.scalar(db.select(db.func.count()).select_from(m.DataVersion).where(
        m.DataVersion.name.startswith(figures.DUE))) == 0
    assert stored_rows() != before
    assert figures.family_counts(figures.scope(manager))["waiting"] == waiting - 1
    for user, ward in everyone(world):
        assert_stored_equals_live(user, ward)
    note = Page(client.get("/programme").text).main.find(cls="app-figures-hold").text()
    assert "nothing they count has changed since" in note


def test_parts_marked_by_pages_are_counted_by_the_worker_exactly(world, monkeypatch):  # noqa: F811
    """Changes of every kind evaluated as a page's request does (keep_current): each leaves
    the stored figures behind and its part marked; the worker's count (parts, or whole
    after a change no part accounts for) makes them equal counting live; a whole count
    forgets the marks it counted, and a mark made after it stays for the next."""
    monkeypatch.setattr(figures, "PART_SIZE", 2)
    store.store_figures()
    manager, lead = world["manager"], world["lead"]
    worker = db.session.scalar(db.select(m.User).where(m.User.role == "worker"))
    families = {f.family_ref: f for f in db.session.scalars(db.select(m.Family))}
    V = m.DataVersion

    def marks():
        return db.session.scalar(db.select(db.func.count()).select_from(V).where(
            V.name.startswith(figures.DUE)))

    def in_request_then_worker():
        assert store.pending_count() > 0
        store.keep_current()
        db.session.commit()
        assert store.pending_count() == 0
        assert not figures.stored_current()
        assert marks() > 0
        assert figures.keep_stored() > 0
        assert figures.stored_current() and marks() == 0
        for user, ward in everyone(world):
            assert_stored_equals_live(user, ward)

    allocate(families["F7"], worker, D, lead)
    in_request_then_worker()
    close(families["F1"], D, lead, "Work done", next(iter(m.CLOSURE_OUTCOMES)))
    in_request_then_worker()
    eligible_family("F11", "North", dt.date(2013, 6, 1), dt.date(2013, 7, 1))
    create_family("F12", ward="West", identified_on=dt.date(2013, 9, 1))
    db.session.commit()
    in_request_then_worker()
    for i in range(figures.HIGH_CONTACT_CONTACTS):
        db.session.add(m.Contact(family_id=families["F8"].id, author_id=worker.id,
                                 contact_at=dt.datetime(2013, 9, 1 + i, 10), kind="home_visit",
                                 duration_minutes=30, status="final"))
    families["F8"].ward = "West"
    db.session.commit()
    in_request_then_worker()
    merge(families["F9"], families["F4"], manager)  # a family deleted: counted whole
    db.session.commit()
    in_request_then_worker()

    # A whole count forgets the marks of the changes it counted, not one made after it.
    families["F2"].identified_on = None
    db.session.commit()
    store.keep_current()
    db.session.commit()
    counted = figures.count_for_storing()
    db.session.commit()
    # a family of another part than F2's (the ids, and so the parts, are the database's)
    other = next(f for ref, f in sorted(families.items()) if ref not in ("F2", "F9")
                 and f.id // figures.PART_SIZE != families["F2"].id // figures.PART_SIZE)
    other.ward = "East"
    db.session.commit()
    store.keep_current()
    db.session.commit()
    assert marks() == 2
    assert figures.write_stored(*counted)
    db.session.commit()
    assert marks() == 1 and not figures.stored_current()
    assert figures.keep_stored() > 0
    assert figures.stored_current() and marks() == 0
    for user, ward in everyone(world):
        assert_stored_equals_live(user, ward)


def test_a_ward_counted_live_while_the_figures_are_behind_says_nothing_of_them(
        app, client, world):  # noqa: F811
    """The results page of one ward reads the stored totals only as stored() decides for
    that ward: a ward too small to wait for them, while they are behind, is counted live and
    exact, and its page does not say the totals miss changes; the whole page still does."""
    manager = world["manager"]
    north = db.session.scalar(sqlalchemy.select(sqlalchemy.func.count()).select_from(m.Family)
                              .where(m.Family.ward == "North"))
    everyone_count = db.session.scalar(sqlalchemy.select(sqlalchemy.func.count())
                                       .select_from(m.Family))
    assert north < everyone_count
    app.config["FIGURES_LIVE_BELOW"] = north + 1  # North counts live once behind; all do not
    db.session.add(m.Contact(family_id=db.session.scalar(sqlalchemy.select(m.Family.id).limit(1)),
                             author_id=manager.id, contact_at=dt.datetime(2013, 9, 2, 10),
                             kind="home_visit", duration_minutes=30, status="final"))
    db.session.commit()
    assert not figures.stored_current()
    login(client, manager.email)

    def note(url):
        return Page(client.get(url).text).main.find(cls="app-figures-hold").text()

    assert "1 change saved since then" in note("/results")
    assert "The totals were counted" not in note("/results?ward=North")
    assert figures.stored(figures.scope(manager, "North")) is None  # counted live, as it says


def _board_report(client, run_jobs) -> str:
    """The Board report for 2013-Q2 as the signed-in user downloads it, as text."""
    started = post_form(client, "/programme/board-report", {"quarter": "2013-Q2"})
    assert run_jobs() == 1
    pdf = client.get(started.headers["Location"] + "/result")
    return " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
                    .split())


def test_the_board_report_counts_every_change_saved_before_it(app, client, world, run_jobs):  # noqa: F811
    """The dashboard may read the stored totals a minute behind, and says so; the Board
    report, a PDF with no such note, is made by a job that first stores them again."""
    app.config["FIGURES_LIVE_BELOW"] = 0  # as for a council's many thousands of families
    assert figures.stored_current()
    create_family("F12", ward="West", identified_on=dt.date(2013, 9, 1))
    login(client, world["manager"].email)
    dashboard = Page(client.get("/programme").text)
    assert dashboard.main.find_all(cls="app-figure")[0].text() == "8 families identified"
    board = _board_report(client, run_jobs)
    assert "9 families identified" in board or "9families identified" in board


def test_the_board_report_says_what_its_totals_do_not_count(app, client, world, run_jobs,  # noqa: F811
                                                             monkeypatch):
    """Read from a replica still behind the totals the job stored (here: stored by nobody),
    the report says how many changes its totals do not count."""
    app.config["FIGURES_LIVE_BELOW"] = 0
    monkeypatch.setattr(figures, "keep_stored", lambda: None)
    create_family("F12", ward="West", identified_on=dt.date(2013, 9, 1))
    login(client, world["manager"].email)
    board = _board_report(client, run_jobs)
    assert "8 families identified" in board or "8families identified" in board
    assert "1 change saved while it was made is not in these totals" in board
