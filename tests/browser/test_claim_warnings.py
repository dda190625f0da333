"""Claims under the worked-example Outcome Plan in a real browser: the build page, the claim
page and the batch confirmation each warn, at desktop and phone widths, and fit the phone."""

from __future__ import annotations

from playwright.sync_api import expect
from sqlalchemy import select

from casework import models as m
from casework.extensions import db

from ..conftest import PASSWORD
from ..factories import create_user
from .conftest import sign_in
from .test_journeys import _no_serious_violations


def test_a_manager_is_warned_of_the_worked_example_plan_on_every_claims_page(
        app, cli, page, live_server, frame_examples, shot, axe):
    frame_examples("phase2")
    app.config["OUTCOME_RULESET"] = "phase2"
    app.config["COUNCIL_NAME"] = "Royal Borough of Kensington and Chelsea"
    cli("claims", "build", "--ruleset", "phase2", "--as-of", "2016-09-30")
    claim = db.session.scalars(select(m.Claim).order_by(m.Claim.id)).first()
    auditor = create_user("auditor")
    assert cli("claims", "validate", claim.id, "--by", auditor.email).exit_code == 0
    manager = create_user("manager")
    sign_in(page, live_server, manager.email, PASSWORD)
    pages = {"build": f"{live_server}/claims/", "claim": f"{live_server}/claims/{claim.id}",
             "confirm": f"{live_server}/claims/batches/new?window=October+2016"}
    for width in (1280, 375):
        page.set_viewport_size({"width": width, "height": 900})
        for name, url in pages.items():
            page.goto(url)
            warning = page.locator("[data-warning=example-plan]")
            expect(warning).to_have_count(1)
            expect(warning).to_contain_text("worked-example Outcome Plan" if name != "build"
                                            else "is the worked example shipped with casework")
            if name == "claim":
                page.get_by_text("The rules the claim was drafted under (Expanded "
                                 "programme 2015-20)").click()
                expect(page.get_by_text("Headline problems", exact=True)).to_be_visible()
            shot(f"{name}-{width}")
            assert page.evaluate("document.documentElement.scrollWidth") <= width, name
    _no_serious_violations(axe, page, list(pages.values()))
