"""The later programmes in a real browser: a manager reads a family's needs on a phone."""

from __future__ import annotations

from playwright.sync_api import expect

from ..conftest import PASSWORD
from ..factories import create_user
from .conftest import sign_in
from .test_journeys import _no_serious_violations


def test_a_manager_reads_a_familys_needs_and_when_they_are_claimable_at_375_px(
        app, page, live_server, frame_examples, shot, axe):
    frame_examples("phase2")
    app.config["OUTCOME_RULESET"] = "phase2"
    manager = create_user("manager")
    sign_in(page, live_server, manager.email, PASSWORD)
    page.set_viewport_size({"width": 375, "height": 812})
    page.goto(f"{live_server}/families/P02?as_of=2016-09-30")
    expect(page.get_by_role("heading", name="Needs under the expanded programme, 2015-20")).to_be_visible()
    expect(page.get_by_text("Claimable from 1 December 2016").first).to_be_visible()
    shot("needs-375")
    # The needs section fits the phone's width (the members table beside it is the page's own).
    widest = page.evaluate("""() => Math.max(...[...document.querySelectorAll(
        '#later-programme, #later-programme *')].map(e => e.getBoundingClientRect().right))""")
    assert widest <= 375
    _no_serious_violations(axe, page, [f"{live_server}/families/P02?as_of=2016-09-30",
                                       f"{live_server}/programme"])
