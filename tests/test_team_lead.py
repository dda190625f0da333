"""A team lead allocates with no worker chosen for them, and transfers with a reason."""

import datetime as dt

import pytest
from sqlalchemy import select

from casework import clock
from casework import models as m
from casework.caseloads.service import allocate
from casework.extensions import db

from .conftest import login, post_form
from .factories import cover_wards, create_family, create_user
from .parsed import Page
from .test_casefile import _import_eligible
from .waiting import waiting_list

D = dt.date


@pytest.fixture
def team(app):
    lead = create_user("team_lead", team="North", name="Priya Shah")
    sam = create_user("worker", team="North", name="Sam Patel")
    jo = create_user("worker", team="North", name="Jo Clarke")
    cover_wards("North", "High Street")
    family = create_family("T1", family_name="Turner household", identified_on=D(2013, 1, 1))
    allocate(family, sam, D(2013, 1, 15), lead)
    return lead, sam, jo, family


def test_a_transfer_is_called_a_transfer_and_offers_only_other_workers(client, team):
    lead, sam, jo, _ = team
    login(client, lead.email)
    page = client.get("/families/T1/allocate").text
    read = Page(page)
    assert read.h1 == "Transfer the family"
    assert read.main.find("button", name="submit").text() == "Transfer family"
    assert read.main.find("label", **{"for": "reason"}).text() == "Reason for the transfer"
    assert "Allocate family" not in page
    # Only the other workers are offered, and none is chosen for the lead.
    options = read.field("worker").find_all("option")
    assert [o.text() for o in options] == ["Select a worker", "Jo Clarke: 0 active, 0 in 12 months"]
    assert "Sam Patel: 1 active" not in page
    assert not [o for o in options if "selected" in o.attrs]


def test_a_transfer_needs_a_reason_and_keeps_it_in_the_history(client, team):
    lead, sam, jo, family = team
    login(client, lead.email)
    data = {"worker": str(jo.id), "on": ["1", "3", "2013"], "reason": ""}
    refused = post_form(client, "/families/T1/allocate", data)
    assert Page(refused.text).errors == ["Enter the reason for the transfer"]
    assert db.session.scalar(select(m.Allocation).where(m.Allocation.worker_id == jo.id)) is None
    done = post_form(client, "/families/T1/allocate", {**data, "reason": "Sam moves to the South team"})
    assert done.status_code == 302 and done.headers["Location"] == "/families/T1"
    page = Page(client.get("/families/T1").text)
    assert page.banners == ["T1 transferred from Sam Patel to Jo Clarke."]
    assert page.table("Allocation history").cell("Jo Clarke", "Notes") == (
        "Sam moves to the South team")
    assert db.session.scalar(select(m.Allocation).where(m.Allocation.worker_id == jo.id)).reason == (
        "Sam moves to the South team")


def test_a_first_allocation_needs_no_reason_and_says_allocated(client, team):
    lead, _, jo, _ = team
    create_family("NEW1", ward="High Street")
    login(client, lead.email)
    page = client.get("/families/NEW1/allocate").text
    assert Page(page).h1 == "Allocate the family"
    assert "Reason for the transfer" not in page
    data = {"worker": str(jo.id), "on": ["1", "3", "2013"]}
    unsigned = post_form(client, "/families/NEW1/allocate", data)
    assert "Enter who gave consent" in Page(unsigned.text).errors  # NEW1 is not signed up yet
    done = post_form(client, "/families/NEW1/allocate",
                     {**data, "consent": "y", "consent_by": "Alex New"})
    assert done.headers["Location"] == "/team"
    episode = db.session.scalar(select(m.Episode).join(m.Family).where(m.Family.family_ref == "NEW1"))
    assert (episode.signed_up_on, episode.consent_by, episode.lead_id) == (D(2013, 3, 1), "Alex New", jo.id)


def test_waiting_families_have_no_worker_preselected_and_a_slip_allocates_nobody(
        client, team, cli, tmp_path):
    lead = team[0]
    _import_eligible(cli, tmp_path, "U1")
    login(client, lead.email)
    page = client.get("/team").text
    form = page.split("/families/U1/allocate")[1].split("</form>")[0]
    assert '<option value="0">Select a worker</option>' in form and "selected" not in form
    assert "/families/U1" in Page(page).links.values()  # each waiting family is a link
    today = clock.today()
    slip = post_form(client, "/families/U1/allocate?back=/team", {
        "worker": "0", "on": [str(today.day), str(today.month), str(today.year)]}, page_url="/team")
    assert "Select a FIP worker" in Page(slip.text).errors
    # The slip came from the team's caseloads: the page goes back there, not to the family.
    back = Page(slip.text).main.find("a", cls="govuk-back-link")
    assert (back.text(), back.attrs["href"]) == ("Back to the team's caseloads", "/team")
    assert db.session.scalar(select(m.Allocation).join(m.Family).where(m.Family.family_ref == "U1")) is None
    from_family = Page(client.get("/families/U1/allocate").text).main.find("a", cls="govuk-back-link")
    assert (from_family.text(), from_family.attrs["href"]) == ("Back to the family", "/families/U1")
    elsewhere = client.get("/families/U1/allocate?back=//evil.example/team").text
    assert Page(elsewhere).main.find("a", cls="govuk-back-link").attrs["href"] == "/families/U1"


def test_waiting_families_are_listed_longest_waiting_first(client, team, cli, tmp_path):
    lead = team[0]
    for ref, signed_up in (("UA", "2013-08-01"), ("UB", "2013-06-01"), ("UC", "2013-07-01")):
        _import_eligible(cli, tmp_path, ref, attached_on=signed_up)
    login(client, lead.email)
    page = client.get("/team").text
    assert page.index("/families/UB/allocate") < page.index("/families/UC/allocate") < page.index(
        "/families/UA/allocate")


@pytest.mark.parametrize("address", ["/selection", "/team"])
def test_families_waiting_for_a_worker_are_listed_a_page_at_a_time(
        client, team, cli, tmp_path, monkeypatch, address):
    """17,800 families wait at national scale: the selection page and team view list them a
    page at a time (GOV.UK pagination), the longest waiting first, with how many in all."""
    from casework.selection import service as selection

    monkeypatch.setattr(selection, "WAITING_PER_PAGE", 2)
    lead = team[0]
    for ref, signed_up in (("UA", "2013-08-01"), ("UB", "2013-06-01"), ("UC", "2013-07-01")):
        _import_eligible(cli, tmp_path, ref, attached_on=signed_up)
    login(client, lead.email)

    def read(url):
        listed = waiting_list(client, url)
        nav = listed.page.main.find("nav", cls="govuk-pagination")
        return listed.page, listed.heading, listed.table.caption, listed.refs, nav

    page, heading, caption, refs, nav = read(address)
    assert heading == "Signed up, waiting for a FIP worker (3)"
    assert caption.endswith("(page 1 of 2)")
    assert refs == ["UB", "UC"]
    assert nav is not None
    links = {a.text(): a.attrs["href"] for a in nav.find_all("a")}
    anchor = "#unallocated" if address == "/team" else "#waiting"  # back to the list itself
    assert links["Next page"] == f"{address}?page=2{anchor}"
    assert links["2"] == f"{address}?page=2{anchor}"
    assert page.main.by_id(anchor[1:]).text().startswith("Signed up, waiting for a FIP worker")
    page, heading, caption, refs, nav = read(f"{address}?page=2")
    assert (heading, refs) == ("Signed up, waiting for a FIP worker (3)", ["UA"])
    assert caption.endswith("(page 2 of 2)")
    assert "Previous page" in {a.text() for a in nav.find_all("a")}
    # a page past the end is the last page; not a number is the first
    assert read(f"{address}?page=99")[3] == ["UA"]
    assert read(f"{address}?page=x")[3] == ["UB", "UC"]


def test_the_selection_lists_return_address_carries_only_its_page(client, team, cli, tmp_path,
                                                                    monkeypatch):
    """An Allocate link on the selection page comes back to the list's own page (and the list
    itself), never with whatever else the address held: a name or search typed into it would
    travel on in the allocate page's address, into logs and browser history. Allocating
    returns there."""
    from urllib.parse import parse_qs, urlsplit

    from casework.selection import service as selection

    monkeypatch.setattr(selection, "WAITING_PER_PAGE", 2)
    lead, sam = team[0], team[1]
    for ref, signed_up in (("UA", "2013-08-01"), ("UB", "2013-06-01"), ("UC", "2013-07-01")):
        _import_eligible(cli, tmp_path, ref, attached_on=signed_up)
    login(client, lead.email)
    listed = waiting_list(client, "/selection?page=2&q=Jade+Smith&postcode=TN1+2AB")
    assert listed.refs == ["UA"]
    [link] = [a.attrs["href"] for a in listed.table.node.find_all("a")
              if a.text().startswith("Allocate")]
    address = urlsplit(link)
    assert address.path == "/families/UA/allocate"
    assert parse_qs(address.query) == {"back": ["/selection?page=2#waiting"]}
    assert "Jade" not in link and "TN1" not in link
    first = waiting_list(client, "/selection?q=Smith")
    links = [a.attrs["href"] for a in first.table.node.find_all("a")
             if a.text().startswith("Allocate")]
    assert [parse_qs(urlsplit(u).query) for u in links] == [{"back": ["/selection#waiting"]}] * 2
    done = post_form(client, link, {"worker": str(sam.id), "on": ["1", "9", "2013"],
                                    "reason": "Nearest"})
    assert done.status_code == 302 and done.location == "/selection?page=2#waiting"
