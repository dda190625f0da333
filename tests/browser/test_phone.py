"""Every main page of each role at 375 px: nothing wider than the viewport, and axe (WCAG 2.2
AA rules) finds no serious or critical violation."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from casework import models as m
from casework.casefile.service import save_contact
from casework.caseloads.service import allocate
from casework.extensions import db

from ..conftest import PASSWORD
from ..factories import create_user
from .conftest import sign_in

PHONE = {"width": 375, "height": 812}
PAGES = {
    "worker": ["/", "/my-families", "/families", "/families/E01/follow-ups/{action}", "/families/E01", "/families/E01/timeline",
               "/families/E01/plan", "/families/E01/contacts/new"],
    "team_lead": ["/", "/team", "/families", "/families/E01", "/families/E01/allocate",
                  "/families/E01/close", "/results?as_of=2013-09-30", "/high-contact"],
    "manager": ["/families", "/families/E01", "/families/E01/edit", "/programme?as_of=2013-09-30",
                "/programme/costs?as_of=2013-09-30", "/programme/board-report", "/claims/",
                "/claims/money", "/screening", "/results?as_of=2013-09-30", "/imports/",
                "/imports/school-terms", "/selection", "/selection/agreed-numbers", "/jobs/",
                "/matching/reviews", "/team",
                "/high-contact"],
    "auditor": ["/claims/", "/results?as_of=2013-09-30"],
    "admin": ["/admin/users", "/admin/users/{worker}/edit", "/admin/users/{worker}/deactivate",
              "/admin/teams", "/admin/audit", "/admin/unit-costs", "/imports/"],
}


@pytest.fixture
def people(examples, cli):
    examples()
    cli("claims", "build", "--as-of", "2013-09-30")
    lead = create_user("team_lead", team="North", name="Priya Shah")
    worker = create_user("worker", team="North", name="Sam Patel")
    family = db.session.scalar(select(m.Family).where(m.Family.family_ref == "E01"))
    allocate(family, worker, dt.date(2012, 7, 16), lead)
    members = [p.person_ref for p in family.people]
    save_contact(family, worker, {
        "contact_at": dt.datetime(2013, 9, 2, 10, 30), "kind": "home_visit", "duration_minutes": 45,
        "present": members[:2], "notes": "A long note about the visit " * 20,
        "actions": [("Call the school about attendance this week", dt.date(2013, 9, 9))]},
        finish=True)
    return {"worker": worker, "team_lead": lead, "manager": create_user("manager"),
            "auditor": create_user("auditor"), "admin": create_user("admin")}


def _overflow(page) -> dict:
    return page.evaluate("""() => {
        const wide = [];
        const width = document.documentElement.clientWidth;
        for (const e of document.querySelectorAll('body *')) {
            const r = e.getBoundingClientRect();
            if (r.right > width + 1 && getComputedStyle(e).position !== 'fixed') {
                let inside = false;
                for (let p = e.parentElement; p && p !== document.body; p = p.parentElement) {
                    const s = getComputedStyle(p);
                    if (s.overflowX === 'auto' || s.overflowX === 'scroll') { inside = true; break; }
                }
                if (!inside) wide.push(e.tagName + '.' + e.className + ' ' + Math.round(r.right));
            }
        }
        return {page: document.documentElement.scrollWidth, width, wide: wide.slice(0, 5)};
    }""")


@pytest.mark.parametrize("role", list(PAGES))
def test_every_main_page_fits_a_phone_without_serious_accessibility_problems(
        role, page, live_server, people, shot, axe):
    page.set_viewport_size(PHONE)
    sign_in(page, live_server, people[role].email, PASSWORD)
    too_wide, problems = {}, {}
    ids = {"worker": people["worker"].id,
           "action": db.session.scalar(select(m.FollowUp.id).order_by(m.FollowUp.id))}
    for path in (p.format(**ids) for p in PAGES[role]):
        response = page.goto(f"{live_server}{path}")
        assert response.status == 200, path
        measured = _overflow(page)
        if measured["page"] > measured["width"]:
            too_wide[path] = measured
        shot(path.strip("/").replace("/", "-").split("?")[0] or "home")
        found = axe(f"{live_server}{path}", page.context.storage_state(), PHONE)
        if found:
            problems[path] = found
    assert too_wide == {}
    assert problems == {}
