"""A partner practitioner on a phone: a school's attendance officer, in a family's Team Around
the Family under its consent, sees the children's education and their own action (not the
offences), completes the action, and loses the family on the next request once the FIP
worker records the family's withdrawal of consent."""

from __future__ import annotations

import datetime as dt

from playwright.sync_api import expect
from sqlalchemy import select

from casework import clock
from casework import models as m
from casework.caseloads.service import allocate
from casework.extensions import db
from casework.partners import service as taf

from ..conftest import PASSWORD
from ..factories import create_organisation, create_user
from .conftest import sign_in

PHONE = {"width": 375, "height": 812}


def _fits(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_a_school_partner_on_a_phone_sees_the_family_under_consent_and_loses_it_on_withdrawal(
        browser, live_server, shot, axe, examples):
    examples()
    lead = create_user("team_lead", team="North", name="Priya Shah")
    worker = create_user("worker", team="North", name="Sam Patel")
    e01 = db.session.scalar(select(m.Family).where(m.Family.family_ref == "E01"))
    allocate(e01, worker, dt.date(2012, 7, 16), lead)
    school = create_organisation("Fant Primary School", "school")
    teacher = create_user("partner", organisation=school, name="Dana Price")
    start = dt.date(2012, 8, 1)
    member = taf.add_member(e01, teacher.id, start, "Attendance officer", worker)
    taf.record_consent(e01, start, "Jo Taylor", worker)
    mine = taf.add_action(e01, "Weekly attendance check", member.id, dt.date(2030, 1, 6), worker)
    db.session.commit()

    phone = browser.new_context(viewport=PHONE)
    page = phone.new_page()
    sign_in(page, live_server, teacher.email, PASSWORD)
    expect(page.locator("h1")).to_have_text("Your families and actions")
    _fits(page)
    shot("home", page)
    page.get_by_role("link", name="Taylor household").click()
    expect(page.locator("h1")).to_have_text("Taylor household")
    expect(page.locator("#education")).to_be_visible()
    expect(page.locator("#school-terms")).to_be_visible()
    # Kim Jones's six terms of 2011/12 and 2012/13, when she was ten: an adult today, they
    # are a child's terms still (judged at each term's start, not by her age today).
    expect(page.locator("#school-terms tbody tr")).to_have_count(6)
    assert page.locator("#offences, #work-spells, #plan").count() == 0
    _fits(page)
    shot("family", page)
    family_url = page.url
    state = phone.storage_state()
    for url in (f"{live_server}/partner", family_url, f"{live_server}/taf/actions/{mine.id}"):
        assert axe(url, state, PHONE) == [], url

    page.get_by_role("link", name="Weekly attendance check").click()
    _fits(page)
    page.get_by_label("What was done").fill("Rang the family: full attendance this week")
    shot("action", page)
    page.get_by_role("button", name="Mark as done").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Done: Weekly attendance check")
    expect(page.get_by_text("You have no open actions.")).to_be_visible()

    # The FIP worker records the family's withdrawal of consent, on a desktop.
    desk = browser.new_context(viewport={"width": 1280, "height": 800})
    staff = desk.new_page()
    sign_in(staff, live_server, worker.email, PASSWORD)
    staff.goto(f"{live_server}/families/E01/team")
    staff.locator("summary", has_text="Withdraw consent").click()
    today = clock.today()
    staff.locator("#withdrawn_on-day").fill(str(today.day))
    staff.locator("#withdrawn_on-month").fill(str(today.month))
    staff.locator("#withdrawn_on-year").fill(str(today.year))
    staff.get_by_role("button", name="Withdraw consent").click()
    expect(staff.get_by_text("Consent withdrawn")).to_be_visible()
    shot("withdrawn", staff)

    # The partner's very next request: the family is gone, the same 404 as any other.
    response = page.goto(family_url)
    assert response.status == 404
    page.goto(f"{live_server}/partner")
    expect(page.get_by_text("You see no family now")).to_be_visible()
    shot("after", page)
    desk.close()
    phone.close()
