"""The pages that list a few of tens of thousands of families (the team view and selection
page's waiting list, screening, the cost analysis) read the families they show, not every
family on every request: each list is ordered by the database once per data change
(casework.cache_version) and a page is a slice of it. What they show stays the same, and
follows every change at once. And a page showing a message reads each record once."""

import datetime as dt
import re

import pytest
from sqlalchemy import event, select

from casework import models as m
from casework.caseloads.service import allocate
from casework.evaluation import listing, store
from casework.extensions import db
from casework.programme import service as programme
from casework.rules.costs import STORED_COUNTS
from casework.selection import service as selection

from .conftest import login
from .factories import cover_wards, create_family, create_user
from .parsed import Page
from .test_casefile import _import_eligible
from .waiting import waiting_list

D = dt.date


class Statements:
    """The SQL statements run while the block runs."""

    def __enter__(self):
        self.seen: list[str] = []
        event.listen(db.engine, "before_cursor_execute", self._one)
        return self

    def _one(self, _conn, _cursor, statement, *_):
        self.seen.append(" ".join(statement.split()))

    def __exit__(self, *_):
        event.remove(db.engine, "before_cursor_execute", self._one)


def _loads_by_key(statements: list[str]) -> list[str]:
    """Statements that load one record by its primary key (SQLAlchemy reading an expired
    record again), of the tables the team view lists."""
    key = re.compile(r"WHERE (families|episodes|allocations)\.id = ")
    return [s for s in statements if s.startswith("SELECT") and key.search(s)]


@pytest.fixture
def waiting(app):
    """A team lead of a team covering High Street, two workers, and five families there
    signed up on different days, waiting for a worker."""
    lead = create_user("team_lead", team="North", name="Priya Shah")
    sam = create_user("worker", team="North", name="Sam Patel")
    create_user("worker", team="North", name="Jo Clarke")
    cover_wards("North", "High Street")
    for ref, day in (("W3", 3), ("W1", 1), ("W5", 5), ("W2", 2), ("W4", 4)):
        create_family(ref, ward="High Street", identified_on=D(2013, 1, 1),
                      attached_on=D(2013, 2, day))
    return lead, sam


def _team(client) -> tuple[str, list[str]]:
    page = Page(client.get("/team").text)
    heading = next(h for h in page.headings if h.startswith("Signed up, waiting"))
    table = page.table("Signed-up families waiting")
    return heading, [row["Family"].split()[-1] for row in table.rows]


def test_a_page_showing_a_message_reads_each_record_once(client, waiting):
    """The messages are read and deleted halfway through the page (base.html): deleting
    them no longer expires the records the page has read, which made each family, episode
    and worker on the team view load again one query at a time."""
    lead, sam = waiting
    allocate(db.session.scalar(select(m.Family).where(m.Family.family_ref == "W1")), sam,
             D(2013, 3, 1), lead)
    login(client, lead.email)
    client.get("/team")
    with Statements() as plain:
        client.get("/team")
    db.session.add(m.FlashMessage(user_id=lead.id, message="W9 allocated to Sam Patel."))
    db.session.commit()
    with Statements() as flashed:
        shown = Page(client.get("/team").text)
    assert shown.banners == ["W9 allocated to Sam Patel."]
    assert _loads_by_key(plain.seen) == []
    assert _loads_by_key(flashed.seen) == []  # it was 8 here: each family, episode, allocation
    # the same statements but the message's delete
    assert len(flashed.seen) == len(plain.seen) + 1
    assert [s for s in flashed.seen if s.startswith("DELETE")] == [
        s for s in flashed.seen if s.startswith("DELETE FROM flash_messages")]
    assert Page(client.get("/team").text).banners == []  # shown once
    assert db.session.scalar(select(m.FlashMessage)) is None


@pytest.mark.parametrize("address", ["/team", "/selection"])
def test_the_waiting_list_is_ordered_once_and_follows_each_allocation(
        client, waiting, monkeypatch, address):
    lead, sam = waiting
    monkeypatch.setattr(selection, "WAITING_PER_PAGE", 2)
    login(client, lead.email)

    def read(url):
        listed = waiting_list(client, url)
        return listed.heading, listed.refs

    assert read(address) == ("Signed up, waiting for a FIP worker (5)", ["W1", "W2"])
    with Statements() as again:
        assert read(f"{address}?page=2") == ("Signed up, waiting for a FIP worker (5)",
                                             ["W3", "W4"])
    # Ordered once: a later request names the families it reads; none counts or sorts the
    # whole list again.
    listing_reads = [s for s in again.seen if "JOIN episodes" in s]
    assert listing_reads and all("json_each" in s or "ANY (" in s for s in listing_reads)
    assert not [s for s in again.seen if "count(" in s.lower() and "episodes" in s]
    assert read(f"{address}?page=3")[1] == ["W5"]

    # An allocation changes the data: the list is ordered again at once.
    allocate(db.session.scalar(select(m.Family).where(m.Family.family_ref == "W2")), sam,
             D(2013, 3, 1), lead)
    assert read(address) == ("Signed up, waiting for a FIP worker (4)", ["W1", "W3"])
    assert read(f"{address}?page=2")[1] == ["W4", "W5"]
    create_family("W0", ward="High Street", identified_on=D(2013, 1, 1),
                  attached_on=D(2013, 1, 31))  # signed up earliest: waits longest
    assert read(address) == ("Signed up, waiting for a FIP worker (5)", ["W0", "W1"])
    # The team lead's home: the first five and how many.
    assert [f.family_ref for f, _ in selection.waiting_for_allocation(lead, limit=3)] == [
        "W0", "W1", "W3"]
    assert selection.waiting_count(lead) == 5


def test_a_team_lead_and_a_manager_each_have_their_own_waiting_list(client, waiting):
    lead, _ = waiting
    create_family("E1", ward="East", identified_on=D(2013, 1, 1), attached_on=D(2013, 1, 2))
    manager = create_user("manager")
    assert [f.family_ref for f, _ in selection.waiting_for_allocation(lead, limit=10)] == [
        "W1", "W2", "W3", "W4", "W5"]  # East is no ward of the team's
    assert [f.family_ref for f, _ in selection.waiting_for_allocation(manager, limit=10)] == [
        "E1", "W1", "W2", "W3", "W4", "W5"]
    assert (selection.waiting_count(lead), selection.waiting_count(manager)) == (5, 6)


def _screening(client) -> dict[str, tuple[str, list[str]]]:
    page = Page(client.get("/screening").text)
    return {key: (page.table(caption).caption,
                  [f.split()[0] for f in page.table(caption).column("Family")])
            for key, caption in (("not_identified", "Meet the criteria, not yet identified"),
                                 ("not_attached", "Identified and eligible, not yet attached"))}


def test_screening_lists_the_first_families_in_reference_order_and_follows_changes(
        client, sign_in, cli, tmp_path, monkeypatch):
    monkeypatch.setattr(listing, "SCREENING_SHOWN", 2)
    for ref in ("S4", "S2", "S3", "S1"):
        _import_eligible(cli, tmp_path, ref, attached_on=None)
    store.refresh(as_of=D(2013, 9, 30))
    sign_in("manager")
    assert _screening(client)["not_attached"] == (
        "Identified and eligible, not yet attached (4)", ["S1", "S2"])
    with Statements() as again:
        assert _screening(client)["not_attached"][1] == ["S1", "S2"]
    listed = [s for s in again.seen if "stored_evaluations" in s and "family_ref" in s]
    assert listed and all("json_each" in s or "ANY (" in s for s in listed)
    # S1 signs up: it leaves the list at once, and S3 is shown.
    family = db.session.scalar(select(m.Family).where(m.Family.family_ref == "S1"))
    family.attached_on = D(2013, 9, 1)
    db.session.commit()
    assert _screening(client)["not_attached"] == (
        "Identified and eligible, not yet attached (3)", ["S2", "S3"])


def _costs(user, pence, per_page):
    total, _, rows = programme.cost_rows(user, pence)
    pages = []
    for number in range(1, -(-total // per_page) + 1):
        _, shown, found = programme.cost_rows(user, pence, number, per_page)
        assert shown == number
        pages.append([e.family_ref for e, _, _ in found])
    return [e.family_ref for e, _, _ in rows], pages


def test_the_cost_analysis_pages_are_slices_of_its_order_and_follow_the_unit_costs(app):
    from .test_costs_priced_in_sql import _world

    _world(23)
    manager = create_user("manager")
    pence = {r.key: r.pence for r in programme.unit_costs()}
    order, pages = _costs(manager, pence, 5)
    assert len(order) == 23 and [len(p) for p in pages] == [5, 5, 5, 5, 3]
    assert sum(pages, []) == order
    assert programme.cost_rows(manager, pence, 99, 5)[1:] == programme.cost_rows(
        manager, pence, 5, 5)[1:]  # a page past the end is the last
    # Other unit costs order the families otherwise, and each page follows.
    dearer = {**pence, "benefit_week": pence["benefit_week"] * 40}
    reordered, pages = _costs(manager, dearer, 5)
    assert reordered != order and sum(pages, []) == reordered
    # A changed stored evaluation moves its family at once.
    last = db.session.scalar(select(m.StoredEvaluation).join(m.Family).where(
        m.Family.family_ref == order[-1]))
    for key in STORED_COUNTS:
        setattr(last, f"before_{key}", 5000)  # more than C000's 2,000 offences
        setattr(last, f"after_{key}", 0)
    last.cost_status = "estimated"
    db.session.commit()
    moved, pages = _costs(manager, pence, 5)
    assert moved[0] == order[-1] and pages[0][0] == order[-1] and sum(pages, []) == moved


def test_the_cost_analysis_page_shows_the_families_of_its_slice(client, monkeypatch):
    from casework.programme import views

    from .test_costs_priced_in_sql import _world

    _world(12)
    manager = create_user("manager")
    monkeypatch.setattr(views, "PER_PAGE", 5)
    pence = {r.key: r.pence for r in programme.unit_costs()}
    order = [e.family_ref for e, _, _ in programme.cost_rows(manager, pence)[2]]
    login(client, manager.email)
    for number, refs in ((1, order[:5]), (2, order[5:10]), (3, order[10:])):
        page = Page(client.get(f"/programme/costs?page={number}").text)
        table = page.table("12 attached families, largest reduction first")
        assert [re.search(r"\bC\d{3}\b", row["Family"])[0] for row in table.rows] == refs


def test_family_links_are_the_addresses_url_for_builds(app):
    from flask import url_for

    from casework.templating import family_links

    with app.test_request_context():
        for ref in ("DF000123", "a-b_C9", "x y/z?&", "CASEWORKFAMILYREF"):
            for endpoint, args in (("families.show", {"as_of": "2013-09-30"}),
                                   ("caseloads.allocate", {"back": "/team"}),
                                   ("families.show", {})):
                assert family_links(endpoint, **args)(ref) == url_for(
                    endpoint, family_ref=ref, **args), (ref, endpoint)


def test_the_team_view_links_each_waiting_family_and_its_allocation(client, waiting):
    lead, _ = waiting
    login(client, lead.email)
    page = Page(client.get("/team").text)
    assert [h for h in page.links.values() if h.startswith("/families/W")][:2] == [
        "/families/W1", "/families/W2"]  # by family name, the longest waiting first
    forms = page.main.find_all("form", cls="app-allocate")
    assert forms[0].attrs["action"] == "/families/W1/allocate?back=/team"


def test_screening_links_each_family_at_the_figures_date(client, sign_in, cli, tmp_path):
    _import_eligible(cli, tmp_path, "S1", attached_on=None)
    store.refresh(as_of=D(2013, 9, 30))
    sign_in("manager")
    assert Page(client.get("/screening").text).links["S1"] == "/families/S1?as_of=2013-09-30"
