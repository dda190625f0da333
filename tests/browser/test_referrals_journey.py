"""A referral's journey, in a real browser: a FIP worker refers a child to the school and a
teenager to the youth offending service; each partner signs in on a 375 px screen, sees
only their own organisation's referral, accepts it (joining the Team Around the Family),
completes the action given to them, records the referral's outcome and sees nothing outside
their organisation's sharing level; another organisation's referral is the same 404 as one
that does not exist; consent is withdrawn and both lose the family and its referrals on
their next request; the whole history is on the family's timeline and in the audit log."""

from __future__ import annotations

import datetime as dt

from playwright.sync_api import expect
from sqlalchemy import select

from casework import clock, episodes
from casework import models as m
from casework.caseloads.service import allocate
from casework.extensions import db
from casework.partners import service as taf

from ..conftest import PASSWORD
from ..factories import create_family, create_organisation, create_person, create_user
from .conftest import sign_in

PHONE = {"width": 375, "height": 812}
TODAY = clock.today()


def _family():
    lead = create_user("team_lead", team="North", name="Priya Shah")
    worker = create_user("worker", team="North", name="Sam Patel")
    family = create_family("R1", family_name="Roberts household")
    create_person(family, "R1-C", born=TODAY.replace(year=TODAY.year - 9), given_name="Casey",
                  family_name="Roberts")
    create_person(family, "R1-T", born=TODAY.replace(year=TODAY.year - 15), given_name="Taylor",
                  family_name="Roberts")
    episodes.sign_up(family, TODAY - dt.timedelta(days=60), lead, "test", consent_by="Parent")
    db.session.commit()
    allocate(family, worker, TODAY - dt.timedelta(days=60), lead)
    taf.record_consent(family, TODAY - dt.timedelta(days=60), "Ann Roberts (mother)", worker)
    school_term = m.SchoolTerm(person_id=family.people[0].id, academic_year="2025/26",
                               term="autumn", sessions_possible=100, sessions_unauthorised=20)
    offence = m.Offence(offence_ref="R1-T-O1", person_id=family.people[1].id,
                        offence_date=TODAY - dt.timedelta(days=100), proven=True)
    db.session.add_all([school_term, offence])
    db.session.commit()
    school = create_organisation("Fant Primary School", "school")
    yos = create_organisation("Kent Youth Offending Service", "youth_offending")
    teacher = create_user("partner", organisation=school, name="Jo Teacher")
    officer = create_user("partner", organisation=yos, name="Yas Officer")
    return worker, teacher, officer, family


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


def _phone(browser, base, partner):
    context = browser.new_context(viewport=PHONE)
    phone = context.new_page()
    sign_in(phone, base, partner.email, PASSWORD)
    return phone


def _narrow(phone, name):
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{name}'s page is {width} px wide"


def _accept(phone, base, own_need, other_id, name):
    phone.goto(f"{base}/referrals")
    rows = phone.locator("#referrals tbody tr")
    expect(rows).to_have_count(1)  # only their organisation's
    expect(rows.first).to_contain_text(own_need)
    rows.first.get_by_role("link").click()
    phone.get_by_role("button", name="Accept the referral").click()
    expect(phone.locator(".govuk-notification-banner")).to_contain_text("accepted")
    _narrow(phone, name)
    # The other organisation's referral: the same page as for none at all.
    missing = phone.goto(f"{base}/referrals/999999")
    missing_text = phone.locator("main").inner_text()
    guessed = phone.goto(f"{base}/referrals/{other_id}")
    assert missing.status == guessed.status == 404
    assert phone.locator("main").inner_text() == missing_text


def _act(phone, base, action_text, own_need, referral_id, shown, hidden, shot, name):
    phone.goto(f"{base}/partner")
    phone.get_by_role("link", name=action_text).click()
    phone.get_by_label("What was done").fill("Done with the family")
    phone.get_by_role("button", name="Mark as done").click()
    expect(phone.locator(".govuk-notification-banner")).to_contain_text(f"Done: {action_text}")
    response = phone.goto(f"{base}/families/R1")
    assert response.status == 200
    main = phone.locator("main")
    expect(main.locator(f"#{shown}")).to_have_count(1)
    expect(main.locator(f"#{hidden}")).to_have_count(0)
    assert "R1-T-O1" not in main.inner_text()  # offences: no sharing level shows them
    _narrow(phone, name)
    shot(f"{name}-family", phone)
    phone.goto(f"{base}/referrals/{referral_id}")
    phone.get_by_label("Outcome").fill(f"{own_need}: plan agreed with the family")
    phone.get_by_role("button", name="Record the outcome").click()
    expect(phone.locator(".govuk-summary-list")).to_contain_text("Completed")
    shot(name, phone)


def test_a_worker_refers_two_children_and_each_partner_answers_on_a_phone(
        page, browser, live_server, shot):
    worker, teacher, officer, family = _family()
    sign_in(page, live_server, worker.email, PASSWORD)
    _refer(page, live_server, "Fant Primary School (School)", "Casey Roberts (R1-C)",
           "School attendance and education", "Attendance below 80% this term")
    _refer(page, live_server, "Kent Youth Offending Service (Youth offending service)",
           "Taylor Roberts (R1-T)", "Substance misuse", "Cannabis use and two ASB incidents")
    shot("family-page")
    ids = dict(db.session.execute(select(m.Referral.agency, m.Referral.id)).all())
    school_id, yos_id = ids["Fant Primary School"], ids["Kent Youth Offending Service"]

    school_phone = _phone(browser, live_server, teacher)
    yos_phone = _phone(browser, live_server, officer)
    _accept(school_phone, live_server, "School attendance and education", yos_id, "teacher")
    _accept(yos_phone, live_server, "Substance misuse", school_id, "officer")

    # Accepting put each in the family's Team Around the Family; the worker gives each an
    # action (the team's page is the partners engineer's, tested in its own journey).
    db.session.expire_all()
    members = {mb.user_id: mb.id for mb in taf.team(family).members}
    assert set(members) == {teacher.id, officer.id}
    due = TODAY + dt.timedelta(days=7)
    taf.add_action(family, "Attendance meeting with Casey", members[teacher.id], due, worker)
    taf.add_action(family, "Book Taylor's first session", members[officer.id], due, worker)

    # The school sees the children's education, not the plan or offences; the YOS the plan,
    # not school terms.
    _act(school_phone, live_server, "Attendance meeting with Casey",
         "School attendance and education", school_id, "education", "plan", shot, "teacher")
    _act(yos_phone, live_server, "Book Taylor's first session", "Substance misuse", yos_id,
         "plan", "education", shot, "officer")

    # The family withdraws its consent: both lose the family, and its referrals, at once.
    page.goto(f"{live_server}/families/R1/team")
    page.get_by_text("Withdraw consent", exact=True).first.click()
    page.locator("#withdrawn_on-day").fill(str(TODAY.day))
    page.locator("#withdrawn_on-month").fill(str(TODAY.month))
    page.locator("#withdrawn_on-year").fill(str(TODAY.year))
    page.get_by_role("button", name="Withdraw consent").click()
    expect(page.locator(".govuk-notification-banner")).to_be_visible()
    for phone, referral_id in ((school_phone, school_id), (yos_phone, yos_id)):
        assert phone.goto(f"{live_server}/families/R1").status == 404
        assert phone.goto(f"{live_server}/referrals/{referral_id}").status == 404
        phone.goto(f"{live_server}/referrals")
        expect(phone.locator("main")).to_contain_text("No referrals.")
        phone.context.close()

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
    page.goto(f"{live_server}/admin/audit?ref=R1")
    log = page.locator("main").inner_text()
    for ref in (f"R1/{school_id}", f"R1/{yos_id}"):
        assert log.count(ref) >= 3, ref  # sent, accepted, outcome, and each view
    for email in (worker.email, teacher.email, officer.email):
        assert email in log
    assert "sharing_consent" in log or "consent" in log.lower()
