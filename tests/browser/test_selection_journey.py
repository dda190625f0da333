"""The way in, in a real browser: a team lead's selection meeting, a worker's first contact
and sign-up, and the funnel on the programme dashboard."""

from __future__ import annotations

import datetime as dt

from playwright.sync_api import expect

from casework import clock
from casework.selection import service

from ..conftest import PASSWORD
from ..factories import create_user
from ..test_selection import eligible_family, supporting_families_needs
from .conftest import sign_in


def _funnel(page, base: str) -> dict[str, int]:
    page.goto(f"{base}/programme")
    rows = page.locator("#way-in-funnel tbody tr")
    found = {}
    for i in range(rows.count()):
        stage = rows.nth(i).locator("th").inner_text().split("\n")[0]
        found[stage] = int(rows.nth(i).locator("td").inner_text().replace(",", ""))
    return found


def test_a_meeting_selects_three_and_defers_one_and_a_worker_signs_a_family_up(
        page, live_server, shot, axe):
    lead = create_user("team_lead", team="North", name="Priya Shah")
    worker = create_user("worker", team="North", name="Sam Patel")
    manager = create_user("manager", name="Mo Manager")
    service.set_agreed_numbers({1: 1082, 2: 900, 3: 578}, manager)
    for ref, name in (("J1", "Jones household"), ("J2", "Hall household"),
                      ("J3", "Wood household"), ("J4", "Hill household")):
        # Eligible by the 2012 criteria (the meeting's list) and under Supporting Families'
        # own rules too: a family signed up today joins that programme and is counted there
        # as signed up (attached) only when eligible under its rules (needs under three of
        # its headline problems; a need is the programme of the family's episode's).
        supporting_families_needs(eligible_family(ref, family_name=name))

    sign_in(page, live_server, manager.email, PASSWORD)
    before = _funnel(page, live_server)
    page.context.clear_cookies()

    # The team lead runs the meeting.
    sign_in(page, live_server, lead.email, PASSWORD)
    page.get_by_role("link", name="Selection").click()
    page.get_by_role("button", name="Record a selection meeting").click()
    page.get_by_label("Police").check()
    page.get_by_label("Schools").check()
    page.get_by_label("Other agencies present (optional)").fill("Health visitor")
    page.get_by_role("button", name="Start the meeting").click()
    page.get_by_text("Schools, Police, Health visitor").wait_for()
    shot("meeting")
    for ref, name in (("J1", "Jones household"), ("J2", "Hall household"), ("J3", "Wood household")):
        page.get_by_role("link", name=f"Decide on {ref} {name}").click()
        page.get_by_label("Selected").check()
        page.get_by_label("Lead person: a FIP worker").select_option(label="Sam Patel")
        page.get_by_role("button", name="Record the decision").click()
        page.get_by_text(f"{ref} {name}: selected.").wait_for()
    page.get_by_role("link", name="Decide on J4 Hill household").click()
    page.set_viewport_size({"width": 375, "height": 812})
    page.get_by_label("Not now").check()
    review = clock.today() + dt.timedelta(days=90)
    when = page.get_by_role("group", name="Discuss again on")
    when.get_by_label("Day").fill(str(review.day))
    when.get_by_label("Month").fill(str(review.month))
    when.get_by_label("Year").fill(str(review.year))
    page.get_by_label("Reason").fill("Wait for the outcome of the housing case")
    shot("defer-375")
    page.get_by_role("button", name="Record the decision").click()
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_text(f"Discuss again on {review.day} {review:%B %Y}").wait_for()
    page.get_by_role("heading", name="Decisions (4)").wait_for()
    page.get_by_text("No family to discuss.").wait_for()
    meeting_url = page.url
    shot("decided")
    _no_violations(axe, page, [f"{live_server}/selection", meeting_url,
                               f"{live_server}/selection/meetings/new"])
    page.context.clear_cookies()

    # The lead worker logs two attempts and the sign-up with consent.
    sign_in(page, live_server, worker.email, PASSWORD)
    page.get_by_role("link", name="Families", exact=True).click()
    page.get_by_role("link", name="Jones household").first.click()  # the list links each family by name
    page.get_by_role("link", name="First contact and sign-up").click()
    for method, outcome in (("Phone call", "No answer or no one in"),
                            ("Home visit", "A visit was agreed")):
        page.get_by_label(method).check()
        page.get_by_label(outcome).check()
        page.get_by_role("button", name="Save the attempt").click()
        page.get_by_text("Contact attempt saved.").wait_for()
    page.get_by_role("heading", name="Contact attempts (2)").wait_for()
    page.get_by_role("button", name="Record the family's answer").click()
    page.get_by_label("Signed up to the programme").check()
    page.get_by_label("The information-sharing agreement is signed").check()
    page.get_by_label("The family gave consent to work with the programme").check()
    page.get_by_label("Consent given by").fill("Casey Roberts")
    shot("sign-up")
    page.get_by_role("button", name="Save the answer").click()
    page.get_by_text("Jones household signed up").wait_for()
    page.get_by_text("waiting for a FIP worker", exact=False).first.wait_for()
    shot("signed-up")
    _no_violations(axe, page, [f"{live_server}/families/J1/first-contact",
                               f"{live_server}/families/J1/sign-up",
                               f"{live_server}/families/J1/timeline"])
    page.goto(f"{live_server}/families/J1/timeline")
    page.get_by_text("Signed up: information-sharing agreement and consent given by "
                            "Casey Roberts").wait_for()
    page.context.clear_cookies()

    # The team lead sees it attached and waiting; the funnel moved by one.
    sign_in(page, live_server, lead.email, PASSWORD)
    page.get_by_role("link", name="Selection").click()
    page.get_by_role("heading", name="Signed up, waiting for a FIP worker (1)").wait_for()
    expect(page.get_by_role("link", name="J1 Jones household")).to_have_count(1)
    page.context.clear_cookies()
    sign_in(page, live_server, manager.email, PASSWORD)
    after = _funnel(page, live_server)
    shot("dashboard")
    assert {k: after[k] - before[k] for k in after} == {
        "Identified": 0, "Discussed": 4, "Selected": 3, "Contacted": 1,
        "Signed up (attached)": 1, "Allocated": 0, "Results met": 0, "Claimed": 0}
    _no_violations(axe, page, [f"{live_server}/programme", f"{live_server}/selection/agreed-numbers"])


def _no_violations(axe, page, urls):
    state = page.context.storage_state()
    problems = {url: axe(url, state) for url in urls}
    assert {u: v for u, v in problems.items() if v} == {}
