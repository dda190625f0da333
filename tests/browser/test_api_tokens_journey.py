"""An administrator makes an API token in the browser and sees it once; the family page's
members' other details; both at 1280 px and 375 px, with no serious axe violation."""

from __future__ import annotations

import datetime as dt

from casework.extensions import db

from ..conftest import PASSWORD
from ..factories import create_family, create_person, create_user
from .conftest import sign_in

PHONE = {"width": 375, "height": 812}


def test_an_admin_makes_a_token_and_sees_it_once(page, live_server, shot, axe, app):
    admin = create_user("admin")
    sign_in(page, live_server, admin.email, PASSWORD)
    page.goto(f"{live_server}/admin/api-tokens")
    page.select_option("#holder", "system")
    page.fill("#system_name", "Council BI warehouse")
    page.select_option("#system_role", "manager")
    page.click("text=Make token")
    secret = page.inner_text("#token-secret")
    assert secret.startswith("cw_")
    shot("made-1280")
    page.set_viewport_size(PHONE)
    shot("made-375")
    page.goto(f"{live_server}/admin/api-tokens")
    assert secret not in page.content()
    assert "Council BI warehouse" in page.inner_text("#tokens")
    state = page.context.storage_state()
    assert axe(f"{live_server}/admin/api-tokens", state) == []
    assert axe(f"{live_server}/admin/api-tokens", state, PHONE) == []


def test_the_family_page_shows_members_other_details(page, live_server, shot, axe):
    family = create_family("V1", family_name="Ash household")
    create_person(family, "VP1", born=dt.date(2005, 3, 1), given_name="Amy", gender="02",
                  ethnicity="MWBC", nhs_number="9434765919", upn="B801200005001")
    create_person(family, "VP2", born=None, given_name="Baby",
                  expected_date_of_birth=dt.date(2027, 2, 1))
    db.session.commit()
    manager = create_user("manager")
    sign_in(page, live_server, manager.email, PASSWORD)
    page.goto(f"{live_server}/families/V1")
    assert "943 476 5919" in page.inner_text("#member-details")
    page.locator("#members").scroll_into_view_if_needed()
    shot("family-1280")
    page.set_viewport_size(PHONE)
    shot("family-375")
    page.goto(f"{live_server}/people/VP1/edit")
    shot("edit-375")
    state = page.context.storage_state()
    assert axe(f"{live_server}/families/V1", state, PHONE) == []
    assert axe(f"{live_server}/people/VP1/edit", state) == []


def test_a_programme_manager_makes_a_return(page, live_server, shot, axe):
    manager = create_user("manager")
    sign_in(page, live_server, manager.email, PASSWORD)
    page.goto(f"{live_server}/programme/returns")
    shot("returns-1280")
    page.check("input[value=annex_a_list_2]")
    page.fill("#as_of-day", "30")
    page.fill("#as_of-month", "9")
    page.fill("#as_of-year", "2013")
    page.click("text=Make the return")
    page.wait_for_selector("text=ready to download", timeout=20000)
    shot("returns-job-1280")
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server}/programme/returns")
    shot("returns-375")
    state = page.context.storage_state()
    assert axe(f"{live_server}/programme/returns", state) == []
    assert axe(f"{live_server}/programme/returns", state, PHONE) == []
