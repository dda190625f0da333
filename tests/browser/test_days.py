"""A worker's whole day and a team lead's, in a real browser: the worker on a phone."""

from __future__ import annotations

import datetime as dt

from playwright.sync_api import expect
from sqlalchemy import select

from casework import clock
from casework import models as m
from casework.casefile.service import save_contact
from casework.caseloads.service import allocate
from casework.extensions import db

from ..conftest import PASSWORD
from ..factories import cover_wards, create_user
from .conftest import sign_in
from .test_phone import PHONE, _overflow


def _fits(page):
    measured = _overflow(page)
    assert measured["page"] <= measured["width"], measured


def test_a_workers_day_task_list_visit_log_a_contact_on_a_phone_and_do_a_follow_up(
        page, live_server, examples, shot, axe):
    examples()
    lead = create_user("team_lead", team="North")
    worker = create_user("worker", team="North", name="Sam Patel")
    family = db.session.scalar(select(m.Family).where(m.Family.family_ref == "E01"))
    allocate(family, worker, dt.date(2012, 7, 16), lead)
    yesterday = clock.today() - dt.timedelta(days=1)
    save_contact(family, worker, {
        "contact_at": clock.now() - dt.timedelta(days=20), "kind": "phone",
        "duration_minutes": 10, "present": ["P00001"], "notes": "Agreed a school meeting",
        "actions": [("Book the school meeting", yesterday)]}, True)

    page.set_viewport_size(PHONE)
    sign_in(page, live_server, worker.email, PASSWORD)
    page.wait_for_url(f"{live_server}/")
    expect(page.get_by_role("heading", name="Follow-ups overdue (1)")).to_be_visible()
    expect(page.get_by_text("no contact for 20 days")).to_be_visible()
    _fits(page)
    shot("1-task-list")

    page.get_by_role("link", name="Log a contact with Taylor household").click()
    page.get_by_role("button", name="Save contact").click()  # untouched: refused, nothing saved
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Select the type of contact")
    expect(summary).to_contain_text("Select who was there")
    _fits(page)
    shot("2-refused")
    page.get_by_label("Home visit").check()
    page.get_by_label("Duration in minutes").fill("40")
    page.get_by_label("Casey Roberts (age").check()
    page.get_by_label("Notes").fill("Casey went to school every day this week.")
    page.get_by_label("Follow-up action 1").fill("Ring the school on Friday")
    _fits(page)
    shot("3-contact-form")
    page.get_by_role("button", name="Save contact").click()
    page.wait_for_url("**/timeline")
    expect(page.get_by_text("Home visit by Sam Patel, 40 minutes")).to_be_visible()
    _fits(page)
    shot("4-timeline")

    page.get_by_role("link", name="Back to the family").click()
    page.locator("#latest-contacts + ul").get_by_text("Casey Roberts (age", exact=False).wait_for()
    _fits(page)
    shot("5-family")
    page.get_by_role("link", name="Done, reassign or drop follow-up: Book the school meeting").click()
    page.get_by_label("Done").check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Follow-up done.")).to_be_visible()
    page.goto(f"{live_server}/")
    expect(page.get_by_role("heading", name="Follow-ups overdue (0)")).to_be_visible()
    expect(page.get_by_text("no contact for 20 days")).to_have_count(0)
    shot("6-task-list-after")
    state = page.context.storage_state()
    assert axe(f"{live_server}/", state, PHONE) == []
    action = db.session.scalar(select(m.FollowUp.id).where(m.FollowUp.done_on.is_(None)))
    assert axe(f"{live_server}/families/E01/follow-ups/{action}", state, PHONE) == []


def test_a_team_leads_day_allocate_the_longest_waiting_family_and_transfer_one_with_a_reason(
        page, live_server, examples, shot, axe):
    examples()
    lead = create_user("team_lead", team="North", name="Priya Shah")
    sam = create_user("worker", team="North", name="Sam Patel")
    create_user("worker", team="North", name="Jo Clarke")
    cover_wards("North", *{f.ward for f in db.session.scalars(select(m.Family)) if f.ward})
    for family in db.session.scalars(select(m.Family).where(m.Family.family_ref.in_(["E01", "E02"]))):
        allocate(family, sam, dt.date(2012, 7, 16), lead)
    waiting = db.session.scalars(select(m.Family)).all()

    sign_in(page, live_server, lead.email, PASSWORD)
    page.wait_for_url(f"{live_server}/")
    shot("1-task-list")
    # The list after the heading (the date the stored figures hold for may come between).
    waiting_list = page.locator("#waiting ~ ul").first
    listed = [a.get_attribute("href").split("/")[2] for a in waiting_list.locator("a").all()]
    signed_up = {f.family_ref: f.attached_on for f in waiting}  # signed up, no worker yet
    assert listed and [signed_up[r] for r in listed] == sorted(signed_up[r] for r in listed)
    waiting_list.locator("a").first.click()  # the family that has waited longest
    expect(page.get_by_role("heading", name="Allocate the family")).to_be_visible()
    ref = listed[0]
    page.get_by_label("FIP worker").select_option(label="Jo Clarke: 0 active, 0 in 12 months")
    page.get_by_role("button", name="Allocate family").click()
    page.wait_for_url(f"{live_server}/")  # back to the task list the family was chosen from
    expect(page.get_by_text(f"{ref} allocated to Jo Clarke.")).to_be_visible()
    assert ref not in [a.get_attribute("href").split("/")[2]
                       for a in page.locator("#waiting ~ ul").first.locator("a").all()]
    shot("2-allocated")

    page.goto(f"{live_server}/families/E02")
    page.get_by_role("link", name="Transfer this family").click()
    expect(page.get_by_role("heading", name="Transfer the family")).to_be_visible()
    page.get_by_label("Transfer to").select_option(label="Jo Clarke: 1 active, 1 in 12 months")
    page.get_by_role("button", name="Transfer family").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter the reason for the transfer")
    page.get_by_label("Reason for the transfer").fill("Jo knows the school; Sam's caseload is full")
    page.get_by_role("button", name="Transfer family").click()
    page.wait_for_url("**/families/E02")
    expect(page.get_by_text("E02 transferred from Sam Patel to Jo Clarke.")).to_be_visible()
    expect(page.get_by_role("cell", name="Jo knows the school; Sam's caseload is full", exact=True)).to_be_visible()
    shot("3-transferred")
    state = page.context.storage_state()
    for url in (f"{live_server}/", f"{live_server}/families/E02/allocate", f"{live_server}/team"):
        assert axe(url, state) == [], url
