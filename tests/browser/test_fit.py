"""Pages with wide tables and forms in their rows, at 375 px: a selection meeting with families
to decide on and a family plan with goals and referrals fit the window (a wide table scrolls
inside its own box, never the page), and every back link sits inside a landmark."""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

import pytest
from sqlalchemy import select

from casework import clock
from casework import models as m
from casework.casefile.service import save_goal, save_referral
from casework.caseloads.service import allocate
from casework.extensions import db
from casework.selection import service as selection

from ..conftest import PASSWORD
from ..factories import create_user
from ..test_selection import eligible_family
from .conftest import sign_in
from .test_phone import PHONE, _overflow

DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def world(app):
    lead = create_user("team_lead", team="North", name="Priya Shah")
    worker = create_user("worker", team="North", name="Sam Patel")
    for ref, name in (("J1", "Jones household"), ("J2", "Hall-Montgomery-Featherstonehaugh household"),
                      ("J3", "Wood household")):
        eligible_family(ref, family_name=name, asb=3)
    meeting = selection.record_meeting(lead, clock.today(), ["police", "schools", "health"])
    family = db.session.scalar(select(m.Family).where(m.Family.family_ref == "J1"))
    allocate(family, worker, clock.today() - dt.timedelta(days=30), lead)
    for problem in ("crime_asb", "substance_misuse"):
        save_goal(family, worker, {"problem": problem, "goal": "Fewer call-outs to the house " * 3,
                                   "status": "open", "target_on": clock.today() + dt.timedelta(days=60)})
    save_referral(family, worker, {"kind": "mental_health", "agency": "Community mental health team",
                                   "person_ref": None, "referred_on": clock.today(),
                                   "status": "made", "notes": None})
    return {"lead": lead, "worker": worker, "meeting": meeting}


def _fits(page, base: str, paths: list[str], shot) -> dict:
    too_wide = {}
    for path in paths:
        for name, size in (("375", PHONE), ("1280", DESKTOP)):
            page.set_viewport_size(size)
            assert page.goto(f"{base}{path}").status == 200, path
            measured = _overflow(page)
            if measured["page"] > measured["width"] or measured["wide"]:
                too_wide[f"{path} at {name} px"] = measured
            # A table's box that scrolls can be scrolled with the keyboard (app.js marks it);
            # one that does not scroll is not wider than itself by a stray pixel.
            unreachable = page.evaluate("""() => [...document.querySelectorAll('.app-table-scroll, .app-scroll')]
                .filter(b => b.scrollWidth > b.clientWidth && b.getAttribute('tabindex') !== '0')
                .map(b => (b.querySelector('caption') || b).textContent.trim().slice(0, 40) + ' ' + b.scrollWidth + '/' + b.clientWidth)""")
            if unreachable:
                too_wide[f"{path} at {name} px: scrolls without keyboard access"] = unreachable
            shot(f"{path.split('?')[0].strip('/').replace('/', '-')}-{name}")
    return too_wide


def test_a_selection_meeting_and_a_family_plan_fit_a_phone(page, live_server, world, shot):
    sign_in(page, live_server, world["lead"].email, PASSWORD)
    paths = [f"/selection/meetings/{world['meeting'].id}", "/families/J1/plan"]
    assert _fits(page, live_server, paths, shot) == {}
    # The link to decide on each family, and each goal's status select and button, are whole
    # in sight at 375 px without scrolling a table sideways.
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server}{paths[0]}")
    assert _cut_off(page.get_by_role("link", name="Decide on J2 Hall-Montgomery-Featherstonehaugh household")) is None
    page.goto(f"{live_server}{paths[1]}")
    for control in (page.get_by_label("Status of goal 1"), page.get_by_role("button", name="Update goal 1"),
                    page.get_by_label("Status of referral to Community mental health team")):
        assert _cut_off(control) is None


def _cut_off(locator) -> str | None:
    """Where the control is cut off at its left or right edge, by the window or a box that
    clips it (a table's scroll box at its starting position); None when it is whole in sight."""
    return locator.evaluate("""e => {
        const r = e.getBoundingClientRect();
        if (r.left < 0 || r.right > document.documentElement.clientWidth + 1) return 'window ' + Math.round(r.right);
        for (let p = e.parentElement; p && p !== document.body; p = p.parentElement) {
            if (getComputedStyle(p).overflowX === 'visible') continue;
            const b = p.getBoundingClientRect();
            if (r.left < b.left - 1 || r.right > b.right + 1) return p.className + ' ' + Math.round(r.right) + ' > ' + Math.round(b.right);
        }
        return null;
    }""")


def test_axe_finds_no_content_outside_the_landmarks(page, live_server, world, axe):
    """"region" is a moderate rule to axe; the fixture fails a page on it all the same."""
    sign_in(page, live_server, world["lead"].email, PASSWORD)
    state = page.context.storage_state()
    paths = [f"/selection/meetings/{world['meeting'].id}", "/families/J1/plan", "/families/J1",
             "/families/J1/timeline", "/families/J1/allocate", "/selection/meetings/new"]
    for viewport in (DESKTOP, PHONE):
        found = {path: axe(f"{live_server}{path}", state, viewport) for path in paths}
        assert {path: v for path, v in found.items() if v} == {}


def test_the_axe_check_fails_a_back_link_outside_the_landmarks(axe):
    """The check itself: a page whose back link is before <main> fails on "region"; the same
    page with the link inside <main> passes."""
    page = ('<!DOCTYPE html><html lang="en"><head><title>Page</title></head><body>{}<main>{}'
            '<h1>Title</h1><p>Text</p></main></body></html>')
    link = '<a href="#">Back</a>'
    outside = axe("data:text/html," + quote(page.format(link, "")), {"cookies": [], "origins": []})
    assert [v["id"] for v in outside] == ["region"]
    assert axe("data:text/html," + quote(page.format("", link)), {"cookies": [], "origins": []}) == []


def test_an_auditors_sample_of_150_percent_is_an_error_on_its_field_at_375_px(
        page, live_server, examples, cli, shot):
    examples()
    cli("claims", "build", "--as-of", "2013-09-30")
    auditor = create_user("auditor")
    page.set_viewport_size(PHONE)
    sign_in(page, live_server, auditor.email, PASSWORD)
    page.goto(f"{live_server}/claims/")
    page.get_by_label("Percentage of the claims shown").fill("150")
    page.get_by_role("button", name="Draw a sample").click()
    summary = page.locator(".govuk-error-summary")
    summary.get_by_role("link", name="Enter a percentage from 1 to 100").wait_for()
    assert page.locator(".govuk-notification-banner--success").count() == 0
    assert page.get_by_label("Percentage of the claims shown").input_value() == "150"
    shot("sample-error-375")
    assert _overflow(page)["page"] <= PHONE["width"]
    summary.get_by_role("link", name="Enter a percentage from 1 to 100").click()
    assert page.evaluate("document.activeElement.id") == "sample-percent"
    page.set_viewport_size(DESKTOP)
    shot("sample-error-1280")


def test_the_claims_queue_an_outcome_plan_a_family_and_a_match_review_fit_a_phone(
        page, live_server, examples, cli, tmp_path, shot):
    from ..matching_data import load_register

    examples()
    cli("claims", "build", "--as-of", "2013-09-30")
    load_register()
    path = tmp_path / "asb.csv"
    path.write_text("asb_ref,given_name,family_name,date_of_birth,postcode,sex,date,kind\n"
                    "A3,Jack,Taylor,2012-02-02,,m,2013-03-05,incident\n")
    assert "1 for review" in cli("import", "asb", path, "--match").output
    review = db.session.scalar(select(m.MatchReview))
    manager = create_user("manager")
    sign_in(page, live_server, manager.email, PASSWORD)
    paths = ["/claims/?date_from-day=30&date_from-month=9&date_from-year=2013",
             "/outcome-plans/phase2/example", "/outcome-plans/supporting_families/example",
             "/families/E01", f"/matching/reviews/{review.id}"]
    assert _fits(page, live_server, paths, shot) == {}


def test_a_later_programmes_claim_and_a_claim_whose_evidence_changed_fit_a_phone(
        page, live_server, examples, frame_examples, cli, tmp_path, shot):
    examples()
    cli("claims", "build", "--as-of", "2013-09-30")
    (tmp_path / "a.csv").write_text("asb_ref,person_ref,family_ref,date,kind\nAX1,P00002,,2013-09-01,incident\n")
    cli("import", "asb", tmp_path / "a.csv")
    frame_examples("phase2")
    manager = create_user("manager", name="Pat Manager")
    assert cli("needs", "discretion", "N-201", "--by", manager.email, "--reason", "Stepped down",
               "--on", "2016-09-01").exit_code == 0
    cli("claims", "build", "--ruleset", "phase2", "--as-of", "2016-09-30")
    claims = {c.family.family_ref: c.id for c in db.session.scalars(select(m.Claim))}
    sign_in(page, live_server, create_user("auditor").email, PASSWORD)
    assert _fits(page, live_server, [f"/claims/{claims['E01']}", f"/claims/{claims['P02']}"], shot) == {}


def test_the_audit_log_fits_a_phone(page, live_server, app, shot):
    from casework.audit import record_event

    record_event("view_list", "high_contact", None, detail="2026-06-07 to 2026-12-06")
    db.session.commit()
    sign_in(page, live_server, create_user("admin").email, PASSWORD)
    assert _fits(page, live_server, ["/admin/audit"], shot) == {}
