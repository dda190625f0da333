"""Every main page of each role at 375 px, 320 px and at 200% zoom: nothing wider than the viewport,
axe (WCAG 2.2 AA rules) finds no serious or critical violation, and no focused control is
hidden behind fixed or sticky content (2.4.11 Focus not obscured)."""

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
NARROWEST = {"width": 320, "height": 640}  # WCAG's reflow width (1280 px at 400%)
# A 1280 x 720 window zoomed to 200% lays pages out in 640 x 360 CSS pixels.
ZOOMED = {"width": 640, "height": 360}
TAB_STOPS = 60  # focus stops walked on each page
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


def _hidden_focus(page, limit: int = TAB_STOPS) -> list[str]:
    """Tab through the page; return each focus stop that is out of the viewport or entirely
    behind fixed or sticky content (a header, an action bar) once the browser has scrolled to
    it."""
    hidden, seen = [], []
    page.evaluate("() => { document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0); }")
    for _ in range(limit):
        page.keyboard.press("Tab")
        found = page.evaluate("""() => {
            const e = document.activeElement;
            if (!e || e === document.body) return null;
            const name = e.tagName + (e.id ? '#' + e.id : '') + ' ' + (e.textContent || e.name || '').trim().slice(0, 40);
            const r = e.getBoundingClientRect();
            const left = Math.max(r.left, 0), right = Math.min(r.right, document.documentElement.clientWidth);
            const top = Math.max(r.top, 0), bottom = Math.min(r.bottom, window.innerHeight);
            if (right - left < 1 || bottom - top < 1) return {name, hidden: 'out of the viewport'};
            const pinned = el => {
                for (let p = el; p; p = p.parentElement) {
                    const position = getComputedStyle(p).position;
                    if (position === 'fixed' || position === 'sticky') return p;
                }
                return null;
            };
            let covered = 0, points = 0;
            for (const fx of [0.1, 0.5, 0.9]) for (const fy of [0.1, 0.5, 0.9]) {
                points++;
                const over = document.elementFromPoint(left + (right - left) * fx, top + (bottom - top) * fy);
                const cover = over && pinned(over);
                if (cover && !cover.contains(e)) covered++;
            }
            return {name, hidden: covered === points ? 'behind fixed or sticky content' : null};
        }""")
        if found is None or found["name"] in seen[:1]:
            break  # back to the start: every stop seen
        seen.append(found["name"])
        if found["hidden"]:
            hidden.append(f"{found['name']}: {found['hidden']}")
    return hidden


def test_the_focus_check_finds_a_control_behind_a_sticky_action_bar(page):
    page.set_viewport_size(ZOOMED)
    page.set_content("""<main>""" + "".join(f'<p style="height:40px"><a href="#{i}">Link {i}</a></p>' for i in range(30))
                     + """</main><div style="position:fixed;bottom:0;left:0;right:0;height:120px;background:#fff">
                     <button>Save</button></div>""")
    hidden = _hidden_focus(page)
    assert hidden and all("behind fixed or sticky content" in h for h in hidden)
    page.set_content("".join(f'<p style="height:40px"><a href="#{i}">Link {i}</a></p>' for i in range(30)))
    assert _hidden_focus(page) == []


@pytest.mark.parametrize("role", list(PAGES))
def test_every_main_page_fits_320_px_and_200_percent_zoom_and_keeps_the_focused_control_in_sight(
        role, page, browser, live_server, people, shot):
    sign_in(page, live_server, people[role].email, PASSWORD)
    zoomed = browser.new_context(viewport=ZOOMED, device_scale_factor=2,
                                 storage_state=page.context.storage_state()).new_page()
    too_wide, obscured = {}, {}
    ids = {"worker": people["worker"].id,
           "action": db.session.scalar(select(m.FollowUp.id).order_by(m.FollowUp.id))}
    for path in (p.format(**ids) for p in PAGES[role]):
        assert zoomed.goto(f"{live_server}{path}").status == 200, path
        measured = _overflow(zoomed)
        if measured["page"] > measured["width"]:
            too_wide[path] = measured
        shot(path.strip("/").replace("/", "-").split("?")[0] or "home", zoomed)
        hidden = _hidden_focus(zoomed)
        page.set_viewport_size(NARROWEST)
        page.goto(f"{live_server}{path}")
        measured = _overflow(page)
        if measured["page"] > measured["width"]:
            too_wide[f"{path} at 320 px"] = measured
        page.set_viewport_size(PHONE)
        hidden += [f"at 375 px: {h}" for h in _hidden_focus(page)]
        if hidden:
            obscured[path] = hidden
    zoomed.context.close()
    assert too_wide == {}
    assert obscured == {}
