"""Issue 31's journey, in a real browser: a FIP worker refers a child to the school and a
teenager to the youth offending service; each partner signs in on a 375 px screen, sees
only their own organisation's referral, accepts it and records its outcome; another
organisation's referral is the same 404 as one that does not exist; the whole history is
on the family's timeline and in the audit log."""

from __future__ import annotations

import datetime as dt

from playwright.sync_api import expect
from sqlalchemy import select

from casework import models as m
from casework.caseloads.service import allocate
from casework.extensions import db

from ..conftest import PASSWORD
from ..factories import create_family, create_organisation, create_person, create_user
from .conftest import sign_in

PHONE = {"width": 375, "height": 812}
TODAY = dt.date.today()


def _family():
    lead = create_user("team_lead", team="North", name="Priya Shah")
    worker = create_user("worker", team="North", name="Sam Patel")
    family = create_family("R1", family_name="Roberts household",
                           attached_on=TODAY - dt.timedelta(days=60))
    create_person(family, "R1-C", born=TODAY.replace(year=TODAY.year - 9), given_name="Casey",
                  family_name="Roberts")
    create_person(family, "R1-T", born=TODAY.replace(year=TODAY.year - 15), given_name="Taylor",
                  family_name="Roberts")
    db.session.commit()
    allocate(family, worker, TODAY - dt.timedelta(days=60), lead)
    school = create_organisation("Fant Primary School", "school")
    yos = create_organisation("Kent Youth Offending Service", "youth_offending")
    teacher = create_user("partner", organisation=school, name="Jo Teacher")
    officer = create_user("partner", organisation=yos, name="Yas Officer")
    return worker, teacher, officer


def _refer(page, base, organisation, person, need, reason):
    page.goto(f"{base}/families/R1")
    page.get_by_role("button", name="Refer to a partner organisation").click()
    page.get_by_label("Organisation").select_option(label=organisation)
    page.get_by_label("Who is referred").select_option(label=person)
    page.get_by_label("The need it answers").select_option(label=need)
    page.get_by_label("Reason for the referral").fill(reason)
    page.get_by_label("What may be shared").fill("Names, dates of birth, the reason")
    due = TODAY + dt.timedelta(days=14)
    page.get_by_label("Day").fill(str(due.day))
    page.get_by_label("Month").fill(str(due.month))
    page.get_by_label("Year").fill(str(due.year))
    page.get_by_role("button", name="Send the referral").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        f"Referral sent to {organisation.split(' (')[0]}.")


def _answer(browser, base, partner, own_need, other_id, shot, name):
    context = browser.new_context(viewport=PHONE)
    phone = context.new_page()
    sign_in(phone, base, partner.email, PASSWORD)
    phone.goto(f"{base}/referrals")
    rows = phone.locator("#referrals tbody tr")
    expect(rows).to_have_count(1)  # only their organisation's
    expect(rows.first).to_contain_text(own_need)
    rows.first.get_by_role("link").click()
    phone.get_by_role("button", name="Accept the referral").click()
    expect(phone.locator(".govuk-notification-banner")).to_contain_text("accepted")
    phone.get_by_label("Outcome").fill(f"{own_need}: plan agreed with the family")
    phone.get_by_role("button", name="Record the outcome").click()
    expect(phone.locator(".govuk-summary-list")).to_contain_text("Completed")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{name}'s page is {width} px wide"
    shot(name, phone)
    # The other organisation's referral: the same page as for none at all.
    missing = phone.goto(f"{base}/referrals/999999")
    missing_text = phone.locator("main").inner_text()
    guessed = phone.goto(f"{base}/referrals/{other_id}")
    assert missing.status == guessed.status == 404
    assert phone.locator("main").inner_text() == missing_text
    assert phone.goto(f"{base}/families/R1").status == 404
    context.close()


def test_a_worker_refers_two_children_and_each_partner_answers_on_a_phone(
        page, browser, live_server, shot):
    worker, teacher, officer = _family()
    sign_in(page, live_server, worker.email, PASSWORD)
    _refer(page, live_server, "Fant Primary School (School)", "Casey Roberts (R1-C)",
           "School attendance and education", "Attendance below 80% this term")
    _refer(page, live_server, "Kent Youth Offending Service (Youth offending service)",
           "Taylor Roberts (R1-T)", "Substance misuse", "Cannabis use and two ASB incidents")
    shot("family-page")
    ids = dict(db.session.execute(select(m.Referral.agency, m.Referral.id)).all())
    school_id, yos_id = ids["Fant Primary School"], ids["Kent Youth Offending Service"]

    _answer(browser, live_server, teacher, "School attendance and education", yos_id, shot,
            "teacher")
    _answer(browser, live_server, officer, "Substance misuse", school_id, shot, "officer")

    page.goto(f"{live_server}/families/R1/timeline")
    timeline = page.locator("main").inner_text()
    for words in ("Referred to Fant Primary School (school attendance and education)",
                  "Referred to Kent Youth Offending Service (substance misuse)",
                  "Referral to Fant Primary School accepted by Jo Teacher",
                  "Referral to Kent Youth Offending Service accepted by Yas Officer",
                  "Referral to Fant Primary School completed: School attendance and education: "
                  "plan agreed", "Referral to Kent Youth Offending Service completed"):
        assert words in timeline, words
    shot("timeline")

    page.context.clear_cookies()
    admin = create_user("admin")
    sign_in(page, live_server, admin.email, PASSWORD)
    page.goto(f"{live_server}/admin/audit?ref=R1/{school_id}")
    log = page.locator("main").inner_text()
    assert log.count(f"R1/{school_id}") >= 3  # sent, accepted, outcome, and each view
    assert worker.email in log and teacher.email in log and officer.email not in log
