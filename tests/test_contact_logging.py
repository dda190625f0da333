"""Contact logging a worker can trust: what a finished contact must say, names with ages,
GOV.UK error wording, drafts on My families, and follow-ups done, given on or dropped."""

import datetime as dt

import pytest
from sqlalchemy import select

from casework import clock
from casework import models as m
from casework.caseloads.service import allocate
from casework.extensions import db

from .conftest import login, post_form
from .factories import create_family, create_person, create_user
from .parsed import Page
from .test_casefile import contact_data

D = dt.date


@pytest.fixture
def case(app):
    lead = create_user("team_lead", team="North", name="Priya Shah")
    worker = create_user("worker", team="North", name="Sam Patel")
    family = create_family("C1", family_name="Brown household", identified_on=D(2013, 1, 1))
    today = clock.today()
    create_person(family, "RB1", born=D(today.year - 36, 1, 1), given_name="Riley", family_name="Brown")
    create_person(family, "RB2", born=D(today.year - 16, 1, 1), given_name="Riley", family_name="Brown")
    allocate(family, worker, D(2013, 1, 15), lead)
    return lead, worker, family


def test_an_untouched_contact_form_is_refused_and_saves_nothing(client, case):
    login(client, case[1].email)
    kinds = Page(client.get("/families/C1/contacts/new").text).main.find_all("input", name="kind")
    assert kinds and not [k for k in kinds if "checked" in k.attrs]  # how it happened: a real choice
    response = post_form(client, "/families/C1/contacts/new", {
        "contact_on": ["1", "9", "2013"], "contact_time": "10:30", "save": "Save contact"})
    assert Page(response.text).errors == [
        "Select the type of contact", "Select who was there",
        "Enter notes of what happened, or the outcome of the contact"]
    assert db.session.scalars(select(m.Contact)).all() == []


def test_a_no_access_visit_needs_no_one_present_but_still_a_note(client, case):
    login(client, case[1].email)
    response = post_form(client, "/families/C1/contacts/new",
                         contact_data(kind="no_access", present=[], notes="Nobody answered"))
    assert response.status_code == 302
    assert db.session.scalars(select(m.Contact)).one().present == []


def test_members_with_one_name_are_told_apart_by_age_on_the_form_and_the_timeline(client, case):
    login(client, case[1].email)
    page = Page(client.get("/families/C1/contacts/new").text)
    present = {box.attrs["value"]: box.parent.text() for box in page.main.find_all("input", name="present")}
    assert present == {"RB1": "Riley Brown (age 36)", "RB2": "Riley Brown (age 16)"}
    post_form(client, "/families/C1/contacts/new", contact_data(present=["RB2"]))
    timeline = Page(client.get("/families/C1/timeline").text)
    assert timeline.summary_list(0)["Present"] == "Riley Brown (age 16)"  # not RB2
    latest = Page(client.get("/families/C1").text).section("Latest contacts")
    [contact] = latest.find_all("li")
    assert contact.text().endswith(", with Riley Brown (age 16)")


def test_date_errors_name_their_field_in_gov_uk_words(client, case):
    login(client, case[1].email)
    response = post_form(client, "/families/C1/contacts/new", contact_data(
        contact_on=["31", "2", "2013"], due_1=["1", "", "2013"]))
    page = Page(response.text)
    assert page.errors[0] == "Date of contact must be a real date"
    assert "Due date for action 1 must include a day, month and year" in page.errors
    assert "Not a valid date value" not in page.text
    assert "30 9 2013" not in response.text


def test_a_draft_is_listed_on_my_families_and_resumes_where_it_was_left(client, case):
    login(client, case[1].email)
    data = contact_data(notes="Half written", present=[], save_draft="Save as draft")
    data.pop("save")
    post_form(client, "/families/C1/contacts/new", data)
    contact = db.session.scalars(select(m.Contact)).one()
    page = Page(client.get("/my-families").text)
    assert "Drafts to finish (1)" in page.headings
    resume = [text for text, href in page.links.items()
              if href == f"/families/C1/contacts/{contact.id}/edit"]
    assert len(resume) == 1 and resume[0].startswith("Brown household: home visit on"), page.links
    resumed = Page(client.get(f"/families/C1/contacts/{contact.id}/edit").text)
    assert resumed.field("notes").text() == "Half written"
    post_form(client, f"/families/C1/contacts/{contact.id}/edit", contact_data(notes="Finished", present=["RB1"]))
    assert not [h for h in Page(client.get("/my-families").text).headings
                if h.startswith("Drafts to finish")]


def _logged_follow_up(client) -> m.FollowUp:
    post_form(client, "/families/C1/contacts/new", contact_data(action_1="Ring the school", present=["RB1"]))
    return db.session.scalars(select(m.FollowUp)).one()


def test_a_follow_up_is_marked_done_and_leaves_the_next_actions(client, case):
    login(client, case[1].email)
    action = _logged_follow_up(client)
    [open_action] = Page(client.get("/families/C1").text).section("Next actions").find_all("li")
    assert open_action.text().startswith("Ring the school")
    response = post_form(client, f"/families/C1/follow-ups/{action.id}",
                         {"outcome": "done", "reason": "", "assign_to": "0"})
    assert response.status_code == 302
    db.session.expire_all()
    action = db.session.get(m.FollowUp, action.id)
    assert action.outcome == "done" and action.done_on == clock.today()
    next_actions = Page(client.get("/families/C1").text).section("Next actions")
    assert next_actions.find_all("li") == [] and next_actions.find("p").text() == (
        "No follow-up actions open.")
    assert db.session.scalars(select(m.RecordHistory).where(
        m.RecordHistory.record_type == "follow-up")).one().after["outcome"] == "done"


def test_dropping_a_follow_up_needs_a_reason(client, case):
    login(client, case[1].email)
    action = _logged_follow_up(client)
    refused = post_form(client, f"/families/C1/follow-ups/{action.id}",
                        {"outcome": "dropped", "reason": " ", "assign_to": "0"})
    assert [e for e in Page(refused.text).errors if e.startswith("Enter the reason")]
    db.session.expire_all()
    assert db.session.get(m.FollowUp, action.id).done_on is None
    post_form(client, f"/families/C1/follow-ups/{action.id}",
              {"outcome": "dropped", "reason": "School rang us first", "assign_to": "0"})
    db.session.expire_all()
    dropped = db.session.get(m.FollowUp, action.id)
    assert dropped.outcome == "dropped" and dropped.reason == "School rang us first"


def test_a_follow_up_is_given_to_the_team_lead_with_a_reason_and_stays_open(client, case):
    lead, worker, _ = case
    login(client, worker.email)
    action = _logged_follow_up(client)
    options = Page(client.get(f"/families/C1/follow-ups/{action.id}").text).field(
        "assign_to").find_all("option")
    assert options[0].text() == "Select a person" and str(lead.id) in [
        o.attrs["value"] for o in options]
    assert not [o for o in options if "selected" in o.attrs]  # nobody preset
    post_form(client, f"/families/C1/follow-ups/{action.id}",
              {"outcome": "reassign", "assign_to": str(lead.id), "reason": "Needs a manager's call"})
    db.session.expire_all()
    given = db.session.get(m.FollowUp, action.id)
    assert given.assigned_to_id == lead.id and given.done_on is None
    [given_action] = Page(client.get("/families/C1").text).section("Next actions").find_all("li")
    assert "with Priya Shah" in [s.text() for s in given_action.find_all("span")]


def test_editing_a_contact_keeps_its_done_follow_ups_done(client, case):
    login(client, case[1].email)
    action = _logged_follow_up(client)
    post_form(client, f"/families/C1/follow-ups/{action.id}", {"outcome": "done", "assign_to": "0"})
    contact = db.session.scalars(select(m.Contact)).one()
    post_form(client, f"/families/C1/contacts/{contact.id}/edit",
              contact_data(notes="Corrected note", action_1="", present=["RB1"]))
    db.session.expire_all()
    actions = db.session.scalars(select(m.FollowUp)).all()
    assert [(a.action, a.outcome) for a in actions] == [("Ring the school", "done")]


def test_someone_outside_the_family_cannot_change_its_follow_ups(client, case, app):
    login(client, case[1].email)
    action = _logged_follow_up(client)
    other = create_user("worker", team="South")
    client2 = app.test_client()
    login(client2, other.email)
    assert client2.get(f"/families/C1/follow-ups/{action.id}").status_code == 404
