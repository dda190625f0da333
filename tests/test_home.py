"""Each role lands on its own home; workers and team leads on a task list whose items link to
where each thing is done."""

import datetime as dt
import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from casework import clock
from casework import models as m
from casework.casefile.service import save_contact
from casework.caseloads.service import allocate
from casework.extensions import db
from casework.home.service import tasks

from .conftest import login
from .factories import cover_wards, create_family, create_person, create_user
from .parsed import Page

D = dt.date
TODAY = D(2026, 6, 15)
NOW = dt.datetime(2026, 6, 15, 12, 0)


@pytest.fixture
def team(app):
    lead = create_user("team_lead", team="North", name="Priya Shah")
    worker = create_user("worker", team="North", name="Sam Patel")
    cover_wards("North", "Allington", "Fant", "High Street", "Shepway North")
    family = create_family("H1", family_name="Hill household", identified_on=D(2026, 1, 5))
    create_person(family, "HP1", born=D(1990, 1, 1))
    allocate(family, worker, D(2026, 1, 10), lead)
    return lead, worker, family


def _contact(family, worker, at, actions=(), finish=True):
    return save_contact(family, worker, {
        "contact_at": at, "kind": "home_visit", "duration_minutes": 30, "present": ["HP1"],
        "notes": "Visit", "actions": list(actions)}, finish)


@pytest.mark.parametrize("role, home", [("worker", "/"), ("team_lead", "/"), ("manager", "/programme"),
                                        ("auditor", "/claims/"), ("admin", "/admin/users")])
def test_each_role_lands_on_its_own_home(client, app, role, home):
    user = create_user(role, team="North" if role in ("worker", "team_lead") else None)
    assert login(client, user.email).headers["Location"] == "/"
    landing = client.get("/")
    if home == "/":
        assert landing.status_code == 200 and Page(landing.text).h1 == "Your tasks"
    else:
        assert landing.status_code == 302 and landing.headers["Location"] == home


@pytest.mark.parametrize("days_ago, listed", [(13, False), (14, True), (15, True)])
def test_a_family_is_listed_from_fourteen_days_without_contact(team, days_ago, listed):
    _, worker, family = team
    _contact(family, worker, NOW - dt.timedelta(days=days_ago))
    found = tasks(worker, TODAY, NOW)
    assert [(f.family_ref, days) for f, _, _, days in found.no_contact] == (
        [("H1", days_ago)] if listed else [])



def test_a_family_never_contacted_counts_from_its_allocation_and_says_so(client, team):
    _, worker, _ = team
    found = tasks(worker, TODAY, NOW)
    assert [(f.family_ref, seen, days) for f, _, seen, days in found.no_contact] == [
        ("H1", None, (TODAY - D(2026, 1, 10)).days)]
    login(client, worker.email)
    page = Page(client.get("/").text)
    assert "No contact for 14 days or more (1)" in page.headings
    assert _item(page, "/families/H1/contacts/new").startswith(
        "Log a contact with Hill household H1: no contact since allocation on 10 January 2026: ")


@pytest.mark.parametrize("due, where", [
    (TODAY - dt.timedelta(days=1), "overdue"), (TODAY, "due_soon"),
    (TODAY + dt.timedelta(days=7), "due_soon"), (TODAY + dt.timedelta(days=8), None)])
def test_follow_ups_are_overdue_the_day_after_they_were_due_and_listed_a_week_ahead(team, due, where):
    _, worker, family = team
    _contact(family, worker, NOW, [("Ring the school", due)])
    found = tasks(worker, TODAY, NOW)
    assert [a.action for a in found.overdue] == (["Ring the school"] if where == "overdue" else [])
    assert [a.action for a in found.due_soon] == (["Ring the school"] if where == "due_soon" else [])


def test_a_follow_up_given_to_the_team_lead_leaves_the_workers_list_for_the_leads(team):
    lead, worker, family = team
    contact = _contact(family, worker, NOW, [("Call the housing officer", TODAY)])
    contact.actions[0].assigned_to_id = lead.id
    db.session.commit()
    assert tasks(worker, TODAY, NOW).due_soon == []
    assert [a.action for a in tasks(lead, TODAY, NOW).due_soon] == ["Call the housing officer"]


def test_drafts_and_the_task_page_link_to_where_each_is_done(client, team):
    _, worker, family = team
    draft = _contact(family, worker, clock.now() - dt.timedelta(days=20), finish=False)
    done = _contact(family, worker, clock.now() - dt.timedelta(days=20),
                    [("Ring the school", clock.today())])
    login(client, worker.email)
    page = Page(client.get("/").text)
    assert page.links["Finish the home visit with Hill household"] == f"/families/H1/contacts/{draft.id}/edit"
    assert page.links["Ring the school"] == f"/families/H1/follow-ups/{done.actions[0].id}"
    assert _item(page, "/families/H1/contacts/new") == (
        "Log a contact with Hill household H1: no contact for 20 days")


def _item(page, href):
    """The text of the list item holding the link to href."""
    link = page.main.find("a", href=href)
    return next(node for node in link.ancestors() if node.tag == "li").text()


def test_the_team_lead_sees_the_longest_waiting_family_first_with_a_link_to_allocate(
        client, team, examples):
    examples()
    lead = team[0]
    login(client, lead.email)
    waiting = Page(client.get("/").text).section("Signed up, waiting for a FIP worker")
    paths = [urlsplit(a.attrs["href"]).path for a in waiting.find_all("a")]
    refs = [p.split("/")[2] for p in paths if re.fullmatch(r"/families/[^/]+/allocate", p)]
    signed_up = [db.session.scalar(db.select(m.Family.attached_on).where(m.Family.family_ref == r))
                 for r in refs]
    assert refs and signed_up == sorted(signed_up)  # the examples' signed-up families, no worker


def test_results_waiting_for_evidence_are_read_from_the_stored_evaluation(app, cli, monkeypatch):
    from casework.evaluation import store
    from casework.home import service

    from .conftest import EXAMPLES

    for kind in ("families", "people", "school-terms", "asb", "offences", "work"):
        assert cli("import", kind, EXAMPLES / f"{kind}.csv").exit_code == 0
    store.refresh(as_of=D(2013, 9, 30))  # E07's crime, ASB and education result waits
    lead = create_user("team_lead", team="North")
    worker = create_user("worker", team="North")
    families = {f.family_ref: f for f in db.session.scalars(select(m.Family))}
    for ref in ("E01", "E07"):
        allocate(families[ref], worker, D(2013, 9, 1), lead)
    store.refresh_pending()
    evaluated = []
    live = service.evaluate_batch
    monkeypatch.setattr(service, "evaluate_batch",
                        lambda ids, on: evaluated.extend(ids) or live(ids, on))
    found = tasks(worker, TODAY, NOW).waiting_evidence
    assert [(f.family_ref, reason.startswith("ASB")) for f, reason in found] == [("E07", True)]
    assert evaluated == [families["E07"].id]  # only the one the stored rows name
    row = db.session.get(m.StoredEvaluation, (families["E07"].id, "phase1"))
    row.result_crime_asb_education = "met"
    db.session.commit()
    assert tasks(worker, TODAY, NOW).waiting_evidence == []
