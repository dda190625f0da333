"""The worker's and team lead's daily pages: contacts, drafts, plan, timeline, team view."""

import datetime as dt

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from casework import clock
from casework import models as m
from casework.caseloads.service import allocate
from casework.extensions import db

from .conftest import csrf_token, login, post_form
from .factories import cover_wards, create_family, create_person, create_user
from .parsed import Page

D = dt.date


@pytest.fixture
def case(app):
    lead = create_user("team_lead", team="North")
    worker = create_user("worker", team="North", name="Sam Patel")
    other = create_user("worker", team="South")
    cover_wards("North", "High Street")
    family = create_family("C1", identified_on=D(2013, 1, 1), attached_on=D(2013, 1, 15))
    child = create_person(family, "CP1", born=D(2005, 1, 1), given_name="Kim")
    allocate(family, worker, D(2013, 1, 15), lead)
    return lead, worker, other, family, child


def contact_data(**kw):
    """A contact at midnight today: never in the future, whatever time the suite runs."""
    today = clock.today()
    data = {"contact_on": [str(today.day), str(today.month), str(today.year)],
            "contact_time": "00:00", "kind": "home_visit", "duration": "45",
            "present": ["CP1"], "notes": "Talked about school", "action_1": "Ring the school",
            "due_1": [str(today.day), str(today.month), str(today.year)], "save": "Save contact"}
    data.update(kw)
    return data


def test_the_allocated_worker_logs_a_contact_and_sees_it_on_the_timeline(client, case):
    _, worker, _, family, _ = case
    login(client, worker.email)
    response = post_form(client, "/families/C1/contacts/new", contact_data())
    assert response.status_code == 302
    contact = db.session.scalars(select(m.Contact)).one()
    assert contact.status == "final" and contact.present == ["CP1"] and contact.duration_minutes == 45
    assert [a.action for a in contact.actions] == ["Ring the school"]
    timeline = Page(client.get("/families/C1/timeline").text)
    journey = timeline.table("The family's journey").rows
    assert [(r["What"], r["Details"]) for r in journey if r["What"] == "Contact"] == [
        ("Contact", "Home visit by Sam Patel, 45 minutes")]
    assert timeline.summary_list(0)["By"] == "Sam Patel, 45 minutes"
    assert timeline.summary_list(0)["Follow-up"].startswith("Ring the school")


def test_a_draft_can_be_saved_incomplete_of_notes_and_finished_later(client, case):
    _, worker, _, _, _ = case
    login(client, worker.email)
    data = contact_data(notes="", save="", save_draft="Save as draft")
    data.pop("save")
    response = post_form(client, "/families/C1/contacts/new", data)
    contact = db.session.scalars(select(m.Contact)).one()
    assert contact.status == "draft"
    assert f"/contacts/{contact.id}/edit" in response.headers["Location"]
    drafts = Page(client.get("/families/C1/timeline").text).section("Drafts to finish")
    assert [a.attrs["href"] for a in drafts.find_all("a")] == [
        f"/families/C1/contacts/{contact.id}/edit"]
    post_form(client, f"/families/C1/contacts/{contact.id}/edit", contact_data(notes="Done"))
    db.session.expire_all()
    assert db.session.get(m.Contact, contact.id).status == "final"


def test_contact_form_errors_are_shown_in_an_error_summary(client, case):
    _, worker, _, _, _ = case
    login(client, worker.email)
    response = post_form(client, "/families/C1/contacts/new", contact_data(contact_time="25:99", kind=""))
    errors = Page(response.text).errors
    assert "Select the type of contact" in errors
    assert [e for e in errors if e.startswith("Enter a time in the 24-hour clock")]
    assert db.session.scalars(select(m.Contact)).all() == []


def test_only_the_allocated_worker_and_their_team_lead_can_add_contacts(client, case, app):
    lead, worker, other, _, _ = case
    login(client, other.email)
    assert client.get("/families/C1/contacts/new").status_code == 404  # not in their scope
    manager = create_user("manager")
    c2 = app.test_client()
    login(c2, manager.email)
    assert c2.get("/families/C1/contacts/new").status_code == 403
    c3 = app.test_client()
    login(c3, lead.email)
    assert c3.get("/families/C1/contacts/new").status_code == 200


def test_editing_a_contact_after_24_hours_is_kept_in_history(client, case):
    lead, worker, _, _, _ = case
    with freeze_time("2026-11-01 09:00"):
        login(client, worker.email)
        post_form(client, "/families/C1/contacts/new", contact_data(contact_on=["1", "11", "2026"],
                                                                    contact_time="08:30"))
    contact = db.session.scalars(select(m.Contact)).one()
    with freeze_time("2026-11-03 09:00"):
        login(client, lead.email)
        response = post_form(client, f"/families/C1/contacts/{contact.id}/edit",
                             contact_data(contact_on=["1", "11", "2026"], contact_time="08:30",
                                          notes="Corrected by lead"))
        assert response.status_code == 302
    history = db.session.scalars(select(m.RecordHistory).where(m.RecordHistory.record_type == "contact")).one()
    assert history.source == "edited more than 24 hours after it was logged"
    assert history.before["notes"] == "Talked about school" and history.after["notes"] == "Corrected by lead"
    assert history.changed_by_id == lead.id


def test_another_worker_cannot_edit_a_contact(client, case, app):
    lead, worker, other, family, _ = case
    login(client, worker.email)
    post_form(client, "/families/C1/contacts/new", contact_data())
    contact = db.session.scalars(select(m.Contact)).one()
    allocate(family, other, D(2013, 6, 1), lead)  # transferred: the new worker sees the family
    c2 = app.test_client()
    login(c2, other.email)
    assert c2.get(f"/families/C1/contacts/{contact.id}/edit").status_code == 403


def test_the_family_plan_shows_the_lead_professional_and_records_goals_and_referrals(client, case):
    _, worker, _, _, _ = case
    login(client, worker.email)
    post_form(client, "/families/C1/plan", {"goal-problem": "education", "goal-goal": "Kim at school every day",
              "goal-status": "open", "goal-save_goal": "1"})
    post_form(client, "/families/C1/plan", {"referral-kind": "substance_misuse", "referral-agency": "CGL Kent",
              "referral-person_ref": "", "referral-referred_on": ["2", "2", "2013"], "referral-status": "made",
              "referral-save_referral": "1"})
    page = Page(client.get("/families/C1/plan").text)
    assert page.h1 == "Family plan"
    # The lead professional comes from its one source (the Team Around the Family's periods,
    # else the episode's worker), not typed on the plan.
    assert page.main.by_id("lead-professional").text() == "Sam Patel (FIP worker), the family's worker."
    [goal] = page.table("Goals").rows
    assert (goal["Problem"], goal["Goal"]) == ("Education", "Kim at school every day")
    [referral_row] = page.table("Referrals").rows
    assert (referral_row["Referred"], referral_row["To"]) == (
        "2 February 2013", "CGL Kent (substance misuse)")
    referral = db.session.scalars(select(m.Referral)).one()
    post_form(client, f"/families/C1/plan/referrals/{referral.id}", {"status": "accepted", "save_status": "1"},
              page_url="/families/C1/plan")
    db.session.expire_all()
    assert db.session.get(m.Referral, referral.id).status == "accepted"
    journey = Page(client.get("/families/C1/timeline").text).table("The family's journey")
    assert [r["Details"] for r in journey.rows if r["What"] == "Referral"] == [  # latest first
        "Referral to CGL Kent accepted by Sam Patel", "Referred to CGL Kent (substance misuse)"]


def test_plan_is_read_only_for_a_manager(client, case, app):
    manager = create_user("manager")
    login(client, manager.email)
    assert client.get("/families/C1/plan").status_code == 200
    page = client.get("/families/C1/plan")
    response = client.post("/families/C1/plan", data={"csrf_token": csrf_token(page.text),
                           "lead-lead_professional": "X", "lead-lead_agency": "Y", "lead-save_lead": "1"})
    assert response.status_code == 403


def test_my_families_shows_next_action_and_days_since_contact(client, case):
    _, worker, _, _, _ = case
    login(client, worker.email)
    post_form(client, "/families/C1/contacts/new", contact_data())
    page = Page(client.get("/my-families").text)
    assert page.table("My families").column("Next action")[0].startswith("Ring the school due ")
    assert page.paragraph("Your caseload:") == (
        "Your caseload: 1 active family (limit 10); 0 families allocated to you in the last "
        "12 months (limit 30).")


def test_my_families_counts_a_family_never_contacted_from_its_allocation(client, case):
    _, worker, _, _, _ = case
    login(client, worker.email)
    families = Page(client.get("/my-families").text).table("My families")
    days = (clock.today() - D(2013, 1, 15)).days
    assert families.column("Last contact") == ["None since allocation on 15 January 2013"]
    assert families.column("Days since") == [f"{days:,} days"]
    assert [tag.text() for tag in families.node.find_all("strong")] == [f"{days:,} days"]  # red: past 30 days


def test_team_view_flags_families_without_contact_and_lists_eligible_unallocated(client, case, cli, tmp_path):
    lead, worker, _, _, _ = case
    (tmp_path / "f.csv").write_text("family_ref,family_name,ward,identified_on,attached_on,local_discretion,"
                                    "local_discretion_reason\nU1,Waiting,High Street,2013-06-01,2013-06-15,y,"
                                    "High cost\n")
    (tmp_path / "p.csv").write_text("person_ref,family_ref,given_name,family_name,date_of_birth\n"
                                    "UP1,U1,A,B,1980-01-01\nUP2,U1,C,B,1997-01-01\n")
    (tmp_path / "o.csv").write_text("offence_ref,person_ref,offence_date,proven\nUO1,UP2,2013-05-01,y\n")
    (tmp_path / "w.csv").write_text("work_ref,person_ref,kind,benefit,start_date\nUW1,UP1,benefit,JSA,2012-01-01\n")
    for kind, name in (("families", "f"), ("people", "p"), ("offences", "o"), ("work", "w")):
        assert cli("import", kind, tmp_path / f"{name}.csv").exit_code == 0
    login(client, lead.email)
    html = client.get("/team").text
    page = Page(html)
    assert page.table("Workers").row("Sam Patel")["Capacity"] == "Spare capacity"
    assert "No contact for 14 days or more (1)" in page.headings  # C1 allocated in 2013, never contacted
    assert page.table("Families with no recent contact").column("Family")[0].startswith("C1 ")
    assert _waiting(page) == ["/families/U1/allocate"]
    today = clock.today()
    response = client.post("/families/U1/allocate?back=/team", data={
        "csrf_token": csrf_token(html), "worker": str(worker.id),
        "on": [str(today.day), str(today.month), str(today.year)]})
    assert response.status_code == 302
    assert db.session.scalar(select(m.Allocation).where(m.Allocation.family_id != case[3].id)).worker_id == worker.id


def _import_eligible(cli, tmp_path, ref, attached_on="2013-06-15"):
    """Import a family that identification finds eligible (local discretion, a proven
    offence by a child, an adult on out-of-work benefit), signed up on `attached_on`."""
    files = {
        "families": "family_ref,family_name,ward,identified_on,attached_on,local_discretion,"
                    "local_discretion_reason\n"
                    f"{ref},Waiting,High Street,2013-06-01,{attached_on or ''},y,High cost\n",
        "people": "person_ref,family_ref,given_name,family_name,date_of_birth\n"
                  f"{ref}A,{ref},A,B,1980-01-01\n{ref}C,{ref},C,B,1997-01-01\n",
        "offences": f"offence_ref,person_ref,offence_date,proven\n{ref}O,{ref}C,2013-05-01,y\n",
        "work": f"work_ref,person_ref,kind,benefit,start_date\n{ref}W,{ref}A,benefit,JSA,2012-01-01\n",
    }
    for kind, text in files.items():
        (tmp_path / f"{ref}-{kind}.csv").write_text(text)
        assert cli("import", kind, tmp_path / f"{ref}-{kind}.csv").exit_code == 0


def test_team_view_lists_eligible_waiting_families_from_the_stored_evaluation_at_once(
        client, case, cli, tmp_path):
    lead, worker, _, _, _ = case
    _import_eligible(cli, tmp_path, "U1")
    _import_eligible(cli, tmp_path, "U2")
    login(client, lead.email)
    page = client.get("/team").text
    assert _waiting(Page(page)) == ["/families/U1/allocate", "/families/U2/allocate"]
    today = clock.today()
    allocated = client.post("/families/U1/allocate?back=/team", data={
        "csrf_token": csrf_token(page), "worker": str(worker.id),
        "on": [str(today.day), str(today.month), str(today.year)]})
    assert allocated.status_code == 302
    assert _waiting(Page(client.get("/team").text)) == ["/families/U2/allocate"]  # at once
    _import_eligible(cli, tmp_path, "U3")  # evaluated as the import commits
    assert _waiting(Page(client.get("/team").text)) == ["/families/U2/allocate", "/families/U3/allocate"]


def _waiting(page):
    """Where each allocate form of the waiting families' table posts to, in the table's order."""
    table = page.table("Signed-up families waiting for a FIP worker")
    return [form.attrs["action"].split("?")[0] for form in table.node.find_all("form")]


def test_web_allocation_past_the_limit_asks_for_an_override_reason(client, case):
    lead, worker, _, _, _ = case
    for i in range(9):
        allocate(create_family(f"L{i}"), worker, D(2013, 2, 1), lead)
    create_family("LAST", ward="High Street")
    login(client, lead.email)
    data = {"worker": str(worker.id), "on": ["1", "3", "2013"], "consent": "y",
            "consent_by": "Casey Last"}  # not signed up: signed up in the same step
    refused = post_form(client, "/families/LAST/allocate", data)
    page = Page(refused.text)
    assert [e for e in page.errors if "Sam Patel already has 10 active families (limit 10)" in e]
    ok = post_form(client, "/families/LAST/allocate", {**data, "override_reason": "Sibling group"})
    assert ok.status_code == 302
    allocation = db.session.scalar(select(m.Allocation).join(m.Family).where(m.Family.family_ref == "LAST"))
    assert allocation.override_reason == "Sibling group"


def test_workers_cannot_reach_allocation_pages(client, case):
    _, worker, _, _, _ = case
    login(client, worker.email)
    assert client.get("/families/C1/allocate").status_code == 403
    assert client.get("/team").status_code == 403


def test_closing_a_case_from_the_web(client, case):
    lead, _, _, _, _ = case
    response = _send(client, lead, "/families/C1/close", CLOSE)
    assert response.status_code == 302
    allocation = db.session.scalars(select(m.Allocation)).one()
    assert allocation.end_kind == "closure" and allocation.outcome == "turned_around"


def test_high_contact_families_by_contacts_and_hours(client, case, app):
    lead, worker, _, _, _ = case
    login(client, worker.email)
    for minutes in ("60", "90"):
        post_form(client, "/families/C1/contacts/new", contact_data(duration=minutes))
    c = app.test_client()
    login(c, lead.email)
    high = Page(c.get("/high-contact").text).table("High-contact families")
    assert [(row["Contacts"], row["Hours"]) for row in high.rows] == [("2", "2.5")]
    assert high.column("Family")[0].startswith("C1 ")


def test_a_goal_status_change_is_saved_and_kept_in_history(client, case):
    _, worker, _, _, _ = case
    login(client, worker.email)
    post_form(client, "/families/C1/plan", {"goal-problem": "work", "goal-goal": "Mum into work",
              "goal-status": "open", "goal-save_goal": "1"})
    goal = db.session.scalars(select(m.PlanGoal)).one()
    post_form(client, f"/families/C1/plan/goals/{goal.id}", {"status": "achieved", "save_status": "1"},
              page_url="/families/C1/plan")
    db.session.expire_all()
    assert db.session.get(m.PlanGoal, goal.id).status == "achieved"
    history = db.session.scalars(select(m.RecordHistory).where(m.RecordHistory.record_type == "goal")).one()
    assert (history.before["status"], history.after["status"]) == ("open", "achieved")


# Allocating, transferring and closing from the family page return to it -------------------------


def _link(page: Page, text: str) -> str:
    found = [a.attrs["href"] for a in page.main.find_all("a") if a.text().startswith(text)]
    assert len(found) == 1, f"{len(found)} links {text!r} in <main>"
    return found[0]


# The close and transfer forms, filled in for 1 September 2013.
CLOSE = {"outcome": "turned_around", "on": ["1", "9", "2013"], "reason": "Results met"}


def _send(client, user, url: str, form: dict):
    """Sign in as `user` and send `form` to `url` (a close or allocate page)."""
    login(client, user.email)
    return post_form(client, url, form)


def _from_family_page(client, user, link: str, form: dict):
    """Sign in as `user`, follow C1's family page link `link` ("Close the case", "Transfer")
    and send `form` there: (the link's address, the response)."""
    login(client, user.email)
    url = _link(Page(client.get("/families/C1").text), link)
    return url, post_form(client, url, form)


def _lands_on(client, response, address: str, banner: str | None = None) -> None:
    """The response sends the user to `address`, which answers, showing `banner` if given."""
    assert response.status_code == 302 and response.location == address
    page = client.get(address)
    assert page.status_code == 200
    if banner:
        assert banner in Page(page.text).banners


def test_closing_the_case_from_the_family_page_returns_to_the_family_page(client, case):
    manager = create_user("manager")  # who still sees the family once its case is closed
    login(client, manager.email)
    close_url = _link(Page(client.get("/families/C1").text), "Close the case")
    back = Page(client.get(close_url).text).main.find(cls="govuk-back-link")
    assert (back.text(), back.attrs["href"]) == ("Back to the family", "/families/C1")
    _lands_on(client, post_form(client, close_url, CLOSE), "/families/C1",
              "The case of C1 is closed.")


def test_a_team_lead_who_no_longer_sees_the_closed_family_goes_to_the_team_view(client, case):
    """Closing ends the team's allocation, so the family leaves a team lead's sight: the
    family page they came from would be "Page not found"."""
    lead, _, _, _, _ = case
    _, response = _from_family_page(client, lead, "Close the case", CLOSE)
    _lands_on(client, response, "/team", "The case of C1 is closed.")
    assert client.get("/families/C1").status_code == 404


def test_transferring_from_the_family_page_returns_to_the_family_page(client, case):
    lead, _, _, _, _ = case
    other = create_user("worker", team="North", name="Jo Clarke")
    _, response = _from_family_page(client, lead, "Transfer", {
        "worker": str(other.id), "on": ["1", "9", "2013"], "reason": "Nearer the school"})
    _lands_on(client, response, "/families/C1")


@pytest.mark.parametrize("back", ["https://evil.example/steal", "//evil.example/x",
                                  "/\\evil.example"])
def test_a_return_address_off_the_site_is_never_followed(client, case, back):
    lead, _, _, _, _ = case
    _lands_on(client, _send(client, lead, f"/families/C1/close?back={back}", CLOSE), "/team")
