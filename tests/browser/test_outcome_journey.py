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


def test_an_administrator_loads_a_new_outcome_plan_on_a_phone_and_sees_it_in_force(
        page, live_server, shot, axe, tmp_path):
    import json
    from pathlib import Path

    from casework import models as m

    admin = create_user("admin", name="Ada Admin")
    plan = json.loads((Path(m.__file__).parent / "outcomes" / "plans" / "phase2.json")
                      .read_text())
    plan["version"] = "2017.2"
    ours = tmp_path / "our-plan.json"
    ours.write_text(json.dumps(plan, indent=2))
    bad = tmp_path / "bad-plan.json"
    bad.write_text(json.dumps({**plan, "version": "2017.3", "problems": {"pets": {}}},
                              indent=2))
    sign_in(page, live_server, admin.email, PASSWORD)
    page.set_viewport_size({"width": 375, "height": 812})
    page.goto(f"{live_server}/outcome-plans/")
    page.get_by_role("link", name="Versions of the Outcome Plan for the expanded programme, 2015-20, and loading a new one").click()
    page.get_by_label("Upload a new version of the Outcome Plan").set_input_files(str(bad))
    page.get_by_role("button", name="Check and load the plan").click()
    line = bad.read_text().splitlines().index('    "pets": {}') + 1
    expect(page.get_by_text(f"bad-plan.json:{line}: problems.pets: is not a headline problem")).to_be_visible()
    shot("refused-375")
    page.get_by_label("Upload a new version of the Outcome Plan").set_input_files(str(ours))
    page.get_by_role("button", name="Check and load the plan").click()
    expect(page.get_by_text("Version 2017.2 of the Outcome Plan is loaded and now in force.")).to_be_visible()
    expect(page.get_by_role("link", name="Version 2017.2")).to_be_visible()
    shot("loaded-375")
    page.get_by_role("link", name="Version 2017.2").click()
    expect(page.get_by_role("heading", name="Version 2017.2")).to_be_visible()
    expect(page.get_by_role("table", name="Education")).to_be_visible()  # the plan as a table
    shot("version-375")
    _no_serious_violations(axe, page, [f"{live_server}/outcome-plans/",
                                       f"{live_server}/outcome-plans/phase2",
                                       page.url])
