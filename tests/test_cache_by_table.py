"""Each list and summary counted once is counted again only when a table it reads changes
(casework/cache_version.py): a write it cannot be moved by (a contact logged on one family)
leaves it served from memory in every process, and a write that moves it is seen on the very
next request. Shown through the pages, as a manager and a team lead read them."""

import datetime as dt

import pytest

from casework import cache_version
from casework import models as m
from casework.caseloads.service import allocate
from casework.evaluation import store
from casework.extensions import db

from .conftest import login
from .factories import create_family
from .parsed import Page
from .test_figures import world  # noqa: F401  (the fixture)
from .test_programme import D, eligible_family

PAGES = {  # page -> the cached lists it reads (cache_version.cached keys' first part)
    "/families": {"families.count"},
    "/selection": {"selection.waiting"},
    "/results": {"results", "results.order", "results.nearly"},
    "/screening": {"screening", "screening.shown"},
    "/programme/costs": {"programme.cost_order"},
    "/claims/money": {"claims.money"},
}


@pytest.fixture
def counted(monkeypatch):
    """The cached values computed (not served from memory), by their key's name."""
    seen: list[str] = []
    cached = cache_version.cached

    def spy(key, compute, large=False, on=None):
        def computing():
            seen.append(key[0])
            return compute()
        return cached(key, computing, large, on)

    monkeypatch.setattr(cache_version, "cached", spy)
    cache_version.clear()
    return seen


def _read_all(client, counted) -> dict[str, set[str]]:
    out = {}
    for url, names in PAGES.items():
        counted.clear()
        assert client.get(url).status_code == 200, url
        out[url] = set(counted) & names
    return out


def _contact(family_id: int, author: m.User) -> None:
    db.session.add(m.Contact(family_id=family_id, author_id=author.id,
                             contact_at=dt.datetime(2013, 9, 2, 10), kind="home_visit",
                             duration_minutes=30, status="final"))
    db.session.commit()


def _waiting(client) -> str:
    return next(h for h in Page(client.get("/selection").text).headings
                if h.startswith("Signed up, waiting for a FIP worker"))


def _families_total(client) -> str:
    return Page(client.get("/families").text).main.text()


def test_a_contact_logged_recounts_no_list_and_no_summary(client, world, counted):  # noqa: F811
    manager = world["manager"]
    login(client, manager.email)
    family_id = db.session.scalar(db.select(m.Family.id).where(m.Family.family_ref == "F1"))
    _contact(family_id, manager)  # the stored figures no longer current: the list counts
    _read_all(client, counted)
    assert _read_all(client, counted) == {url: set() for url in PAGES}  # served from memory
    version = cache_version.current()
    _contact(family_id, manager)
    assert cache_version.current() == version + 1  # the figures' version moved...
    # ...but no list or summary reads a contact: every one is served from memory.
    assert _read_all(client, counted) == {url: set() for url in PAGES}


def _team_waiting(app, lead) -> str:
    other = app.test_client()  # the team lead, in a browser of their own
    login(other, lead.email)
    return next(h for h in Page(other.get("/team").text).headings
                if h.startswith("Signed up, waiting for a FIP worker"))


def test_an_allocation_moves_the_waiting_list_at_once_and_nothing_it_cannot_change(
        app, client, world, counted):  # noqa: F811
    manager, lead = world["manager"], world["lead"]
    login(client, manager.email)
    db.session.add(m.TeamWard(team_id=lead.team_id, ward="South"))  # F7's and F8's ward
    _contact(db.session.scalar(db.select(m.Family.id).limit(1)), manager)
    _read_all(client, counted)
    assert _waiting(client) == "Signed up, waiting for a FIP worker (2)"
    team_before = _team_waiting(app, lead)
    worker = db.session.scalar(db.select(m.User).where(m.User.role == "worker"))
    family = db.session.scalar(db.select(m.Family).where(m.Family.family_ref == "F7"))
    allocate(family, worker, D, lead)
    again = _read_all(client, counted)
    assert again["/selection"] == {"selection.waiting"}  # counted again, on the next request
    for url in ("/families", "/results", "/screening", "/programme/costs"):
        assert again[url] == set(), url  # they read no allocation
    assert _waiting(client) == "Signed up, waiting for a FIP worker (1)"
    # The team lead's view reads the same kind of list: one fewer there too, at once.
    assert team_before == "Signed up, waiting for a FIP worker (2)"
    assert _team_waiting(app, lead) == "Signed up, waiting for a FIP worker (1)"


def test_a_new_family_is_in_the_families_list_at_once(client, world, counted):  # noqa: F811
    login(client, world["manager"].email)
    _contact(db.session.scalar(db.select(m.Family.id).limit(1)), world["manager"])
    assert "of 9 families" in _families_total(client)
    _read_all(client, counted)
    create_family("F20", ward="North", identified_on=dt.date(2013, 9, 1))
    assert _read_all(client, counted)["/families"] == {"families.count"}
    assert "of 10 families" in _families_total(client)


def test_a_family_evaluated_again_recounts_the_results_and_screening(
        client, world, counted):  # noqa: F811
    login(client, world["manager"].email)
    _read_all(client, counted)
    eligible_family("F21", "North", dt.date(2013, 3, 1), None)  # eligible, not attached
    store.refresh_pending()
    again = _read_all(client, counted)
    assert again["/results"] == PAGES["/results"]
    assert again["/screening"] == PAGES["/screening"]
    screening = Page(client.get("/screening").text)
    assert "F21" in screening.main.text()


def test_a_write_by_another_process_is_seen_at_once(client, world, counted):  # noqa: F811
    """The versions live in the database: another gunicorn process's write (here another
    session, committing on its own connection) moves this process's cached list."""
    from sqlalchemy.orm import Session

    login(client, world["manager"].email)
    assert _waiting(client) == "Signed up, waiting for a FIP worker (2)"
    worker = db.session.scalar(db.select(m.User).where(m.User.role == "worker"))
    f7 = db.session.scalar(db.select(m.Family.id).where(m.Family.family_ref == "F7"))
    with Session(db.engine) as other:
        other.add(m.Allocation(family_id=f7, worker_id=worker.id, start_on=D))
        other.commit()
    counted.clear()
    assert _waiting(client) == "Signed up, waiting for a FIP worker (1)"
    # and the agreed-number table's attachment fees: a few families' summary is counted
    # live and exact while the stored figures are behind (below FIGURES_LIVE_BELOW)
    assert sorted(counted) == ["attachment_fees", "selection.waiting"]


def test_a_count_over_the_transactions_own_unsaved_writes_is_not_kept(app, world):  # noqa: F811
    calls = []

    def count():
        calls.append(1)
        return db.session.scalar(db.select(db.func.count(m.Contact.id)))

    before = cache_version.cached("test.contacts", count)
    db.session.add(m.Contact(family_id=db.session.scalar(db.select(m.Family.id).limit(1)),
                             author_id=world["manager"].id,
                             contact_at=dt.datetime(2013, 9, 2, 10), kind="home_visit",
                             duration_minutes=30, status="final"))
    assert cache_version.cached("test.contacts", count) == before + 1  # flushed, not committed
    db.session.rollback()
    assert cache_version.cached("test.contacts", count) == before  # not the unsaved count
    assert len(calls) == 2  # the first count, kept; the unsaved one counted, not kept


def test_a_large_summary_is_counted_again_when_the_figures_are_stored_not_on_each_change(
        app, client, world, counted):  # noqa: F811
    """The dashboard and money page of a scope that reads the stored figures (many families)
    are as current as those figures: a change is counted when the job worker stores them
    again (within a minute), once in each process, and the page says so meanwhile."""
    app.config["FIGURES_LIVE_BELOW"] = 0  # as for a council's many thousands of families
    manager, lead = world["manager"], world["lead"]
    login(client, manager.email)
    summaries = {"programme.figures", "programme.dashboard_extras", "claims.money"}

    def read() -> set[str]:
        counted.clear()
        for url in ("/programme", "/claims/money"):
            assert client.get(url).status_code == 200
        return set(counted) & summaries

    assert read() == summaries
    worker = db.session.scalar(db.select(m.User).where(m.User.role == "worker"))
    allocate(db.session.scalar(db.select(m.Family).where(m.Family.family_ref == "F7")),
             worker, D, lead)
    _contact(db.session.scalar(db.select(m.Family.id).limit(1)), manager)
    assert read() == set()  # served as counted with the stored figures
    note = Page(client.get("/programme").text).main.find(cls="app-figures-hold").text()
    assert "2 changes saved since then" in note
    from casework.evaluation.figures import keep_stored

    assert keep_stored() > 0
    assert read() == summaries  # counted again, once
    assert read() == set()
    note = Page(client.get("/programme").text).main.find(cls="app-figures-hold").text()
    assert "nothing they count has changed since" in note
