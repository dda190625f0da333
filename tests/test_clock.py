"""'Now' and 'today' are England's (Europe/London) whatever the server's clock: boundary tests
around midnight in British Summer Time and around both clock changes. freezegun freezes the
UTC instant, as a server on UTC would see it."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from casework import clock
from casework import models as m
from casework.caseloads.service import allocate
from casework.extensions import db
from casework.referrals import service as referrals

from .conftest import login, post_form
from .factories import create_family, create_organisation, create_person, create_user
from .parsed import Page

D, T = dt.date, dt.datetime


@pytest.mark.parametrize("utc, london", [
    # Summer (BST, UTC+1): England's midnight is 23:00 UTC the day before.
    ("2026-06-30 22:59:59", T(2026, 6, 30, 23, 59, 59)),
    ("2026-06-30 23:00:00", T(2026, 7, 1, 0, 0)),
    ("2026-06-30 23:30:00", T(2026, 7, 1, 0, 30)),
    # Winter (GMT): England's time is UTC.
    ("2026-12-06 23:59:59", T(2026, 12, 6, 23, 59, 59)),
    ("2026-12-07 00:00:00", T(2026, 12, 7, 0, 0)),
    # Clocks go forward at 01:00 UTC on the last Sunday of March (01:00 GMT -> 02:00 BST).
    ("2027-03-28 00:59:59", T(2027, 3, 28, 0, 59, 59)),
    ("2027-03-28 01:00:00", T(2027, 3, 28, 2, 0)),
    # Clocks go back at 01:00 UTC on the last Sunday of October (02:00 BST -> 01:00 GMT).
    ("2026-10-24 22:59:59", T(2026, 10, 24, 23, 59, 59)),
    ("2026-10-24 23:00:00", T(2026, 10, 25, 0, 0)),
    ("2026-10-25 00:59:59", T(2026, 10, 25, 1, 59, 59)),
    ("2026-10-25 01:00:00", T(2026, 10, 25, 1, 0)),
])
def test_now_and_today_are_englands(utc, london):
    with freeze_time(utc):
        assert clock.now() == london
        assert clock.today() == london.date()


def test_nothing_else_in_casework_asks_the_servers_local_clock():
    """date.today() and a naive datetime.now() are the machine's local time: every user's
    date and time is judged by casework.clock instead."""
    root = Path(__file__).resolve().parent.parent / "casework"
    local = re.compile(r"date\.today\(\)|datetime\.now\(\)")
    found = [f"{path.relative_to(root)}:{n}" for path in sorted(root.rglob("*.py"))
             if path.name != "clock.py"
             for n, line in enumerate(path.read_text().splitlines(), 1) if local.search(line)]
    assert found == []


@pytest.fixture
def family(app):
    lead = create_user("team_lead", team="North")
    worker = create_user("worker", team="North")
    family = create_family("K1", family_name="Kent household", identified_on=D(2013, 1, 1))
    create_person(family, "K1-A", born=D(1980, 1, 1), given_name="Alex", family_name="Kent")
    allocate(family, worker, D(2013, 1, 15), lead)
    return worker


def _contact(on: D, time: str) -> dict:
    return {"contact_on": [str(on.day), str(on.month), str(on.year)], "contact_time": time,
            "kind": "home_visit", "duration": "30", "present": ["K1-A"],
            "notes": "Late visit", "save": "Save contact"}


@pytest.mark.parametrize("time, saved", [("00:15", True), ("00:30", True), ("00:31", False)])
def test_a_contact_logged_just_after_midnight_in_summer_time_is_not_in_the_future(
        client, family, time, saved):
    """00:30 BST on 1 July is 23:30 UTC on 30 June: a server on UTC refused a contact at 00:15
    on 1 July as in the future."""
    with freeze_time("2026-06-30 23:30:00"):
        login(client, family.email)
        response = post_form(client, "/families/K1/contacts/new",
                             _contact(D(2026, 7, 1), time))
        if saved:
            assert response.status_code == 302
            contact = db.session.scalars(select(m.Contact)).one()
            assert contact.contact_at == T(2026, 7, 1, *map(int, time.split(":")))
        else:
            assert Page(response.text).errors == [
                "The time of the contact must be now or earlier: it is 00:30 now"]


def test_the_new_contact_form_offers_englands_date_and_time(client, family):
    with freeze_time("2026-06-30 23:30:00"):
        login(client, family.email)
        page = Page(client.get("/families/K1/contacts/new").text)
        day = page.root.find("input", name="contact_on", id="contact_on-day")
        assert day.attrs["value"] in ("1", "01")
        assert page.root.find("input", name="contact_time").attrs["value"] == "00:30"


@pytest.mark.parametrize("due, refused", [(D(2026, 6, 30), True), (D(2026, 7, 1), False)])
def test_today_or_later_is_englands_today_just_after_midnight_in_summer(app, due, refused):
    """A referral due 'today or later' at 00:30 BST on 1 July (23:30 UTC on 30 June):
    30 June is yesterday."""
    from casework import episodes

    lead = create_user("team_lead", team="North")
    worker = create_user("worker", team="North")
    family = create_family("K2", family_name="Kent household")
    db.session.commit()
    with freeze_time("2026-06-30 23:30:00"):
        episodes.sign_up(family, D(2026, 6, 1), lead, "test", consent_by="Parent")
        db.session.commit()
        allocate(family, worker, D(2026, 6, 1), lead)
        school = create_organisation("Fant Primary School", "school")

        def send():
            return referrals.send(family, worker, organisation_id=school.id,
                                  practitioner_id=None, person_ref=None, kind="education",
                                  reason="Attendance", may_share="Name", due_on=due)

        if refused:
            with pytest.raises(referrals.ReferralRefused) as problems:
                send()
            assert problems.value.problems == [("due_on", "The due date must be today or later")]
        else:
            assert send().referred_on == D(2026, 7, 1)
