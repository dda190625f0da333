"""Training for initial contact organisations, and match funding."""

from __future__ import annotations

import datetime as dt
import subprocess

import pytest
from sqlalchemy import select

from casework import clock
from casework import models as m
from casework.evaluation import figures
from casework.extensions import db
from casework.rules import training

from .conftest import login, post_form
from .factories import create_user
from .htmltables import table
from .parsed import Page, parse
from .test_selection import eligible_family, meeting_on

TODAY = clock.today()


def _date(d: dt.date) -> list[str]:
    return [str(d.day), str(d.month), str(d.year)]


# The expiry rule: the day before, on, after -----------------------------------------------------


def test_a_completion_expires_its_valid_months_later_clamped_to_the_months_end():
    assert training.expires_on(dt.date(2013, 1, 31), 1) == dt.date(2013, 2, 28)
    assert training.expires_on(dt.date(2013, 3, 15), 12) == dt.date(2014, 3, 15)


@pytest.mark.parametrize("on, current", [
    (dt.date(2013, 3, 14), False),  # the day before it was completed
    (dt.date(2013, 3, 15), True),   # the day completed
    (dt.date(2014, 3, 14), True),   # the day before it expires
    (dt.date(2014, 3, 15), False),  # the day it expires
    (dt.date(2014, 3, 16), False),  # after
])
def test_a_completion_counts_from_its_day_until_the_day_it_expires(on, current):
    assert training.current_on(dt.date(2013, 3, 15), 12, on) is current


def test_the_status_names_the_course_that_counts_or_says_why_none_does():
    done = [training.Completion("First contact", dt.date(2013, 3, 15), 12)]
    assert training.status("Sam", done, dt.date(2014, 3, 14)).trained
    expired = training.status("Sam", done, dt.date(2014, 3, 15))
    assert not expired.trained
    assert expired.message == "Sam's first contact training (First contact) expired on 15 March 2014"
    assert training.status("Sam", [], dt.date(2014, 3, 15)).message == (
        "Sam has no record of first contact training")
    renewed = done + [training.Completion("Refresher", dt.date(2014, 3, 10), 6)]
    assert training.status("Sam", renewed, dt.date(2014, 3, 20)).trained


# The training pages ----------------------------------------------------------------------------


def test_a_manager_adds_a_course_and_records_who_completed_it(client, app):
    manager = create_user("manager")
    worker = create_user("worker", name="Sam Patel")
    login(client, manager.email)
    bad = post_form(client, "/partnership/training/courses", {"name": "", "valid_months": "0"})
    summary = parse(bad.text).find_all(cls="govuk-error-summary")[0].text()
    assert "Enter the course's name" in summary and "1 to 120" in summary
    assert db.session.scalar(select(m.TrainingCourse.id)) is None
    added = post_form(client, "/partnership/training/courses",
                      {"name": "First contact with families", "valid_months": "12"})
    assert added.status_code == 302
    course = db.session.scalar(select(m.TrainingCourse))
    # A person must be named one way: both at once, or neither, is refused, naming each problem.
    both = post_form(client, "/partnership/training", {
        "course": str(course.id), "user": str(worker.id), "person_name": "Jo Bloggs",
        "organisation": "Fant Primary", "completed_on": _date(TODAY)})
    assert Page(both.text).errors == ["Choose a user or enter a person's name, not both"]
    assert db.session.scalar(select(m.TrainingCompletion.id)) is None
    for data in ({"user": str(worker.id)},
                 {"user": "0", "person_name": "Jo Bloggs", "organisation": "Fant Primary"}):
        done = post_form(client, "/partnership/training", {
            "course": str(course.id), "completed_on": _date(TODAY - dt.timedelta(days=400)),
            **data})
        assert done.status_code == 302, done.text
    rows = table(client.get("/partnership/training").text, id="completions")
    expiry = training.expires_on(TODAY - dt.timedelta(days=400), 12)
    assert {(r["Who"], r["Organisation"], r["Status"]) for r in rows} == {
        ("Sam Patel", "casework user", "Expired" if expiry <= TODAY else "Current"),
        ("Jo Bloggs", "Fant Primary", "Expired" if expiry <= TODAY else "Current")}
    actions = db.session.scalars(select(m.AuditEvent.object_type).where(
        m.AuditEvent.action == "create")).all()
    assert actions.count("training_completion") == 2 and "training_course" in actions


def test_training_is_for_managers_and_administrators(client, app):
    for role, status in (("worker", 403), ("team_lead", 403), ("auditor", 403), ("admin", 200)):
        fresh = app.test_client()
        login(fresh, create_user(role).email)
        assert fresh.get("/partnership/training").status_code == status, role


# Naming an untrained lead person warns -------------------------------------------------------


def _trained(user=None, *, on, months=12, name=None, organisation=None):
    course = db.session.scalar(select(m.TrainingCourse)) or m.TrainingCourse(
        name="First contact", valid_months=months)
    db.session.add(course)
    db.session.flush()
    db.session.add(m.TrainingCompletion(course_id=course.id, user_id=user.id if user else None,
                                        person_name=name, organisation=organisation,
                                        completed_on=on))
    db.session.commit()


def _banner(html: str) -> str:
    [banner] = Page(html).banners
    return banner


def _warned(html: str, ref: str) -> bool:
    """Whether the one banner after a selection says the lead person is not trained: the
    banner is the decision ('P1 Family 3: selected.'), and a warning after it if any."""
    [banner] = Page(html).banners
    decided, _, warning = banner.partition(": selected.")
    assert decided.startswith(f"{ref} ") and _ == ": selected.", banner
    assert warning in ("", " ") or warning.startswith(
        " Warning: the lead person is not trained for first contact. "), banner
    return bool(warning.strip())


def test_naming_an_untrained_worker_as_lead_warns_but_records_the_decision(client, app, lead,
                                                                         worker):
    eligible_family("P1")
    meeting = meeting_on(lead)
    login(client, lead.email)
    decide = f"/selection/meetings/{meeting.id}/families/P1"
    page = parse(client.get(decide).text)
    warning = page.find_all(cls="govuk-warning-text")[0].text()
    assert "Sam Patel has no record of first contact training" in warning
    done = post_form(client, decide, {"decision": "selected", "lead_worker": str(worker.id)})
    assert done.status_code == 302
    banner = _banner(client.get(done.headers["Location"]).text)
    assert "Warning: the lead person is not trained for first contact" in banner
    assert db.session.scalar(select(m.SelectionDecision.lead_worker_id)) == worker.id
    first = parse(client.get("/families/P1/first-contact").text)
    assert "Sam Patel has no record" in first.find_all(id="training-warning")[0].text()


@pytest.mark.parametrize("completed, warned", [
    (TODAY - dt.timedelta(days=1), False),  # completed the day before the meeting
    (TODAY, False),                          # on the day
    (TODAY + dt.timedelta(days=1), True),    # not yet: completed after it
])
def test_a_lead_trained_by_the_meeting_day_is_not_warned(client, app, lead, worker, completed,
                                                         warned):
    eligible_family("P1")
    meeting = meeting_on(lead)
    _trained(worker, on=completed)
    login(client, lead.email)
    decide = f"/selection/meetings/{meeting.id}/families/P1"
    assert bool(parse(client.get(decide).text).find_all(cls="govuk-warning-text")) is warned
    done = post_form(client, decide, {"decision": "selected", "lead_worker": str(worker.id)})
    assert _warned(client.get(done.headers["Location"]).text, "P1") is warned


@pytest.mark.parametrize("months_ago, warned", [(11, False), (12, True), (13, True)])
def test_training_that_expired_by_the_meeting_warns(client, app, lead, worker, months_ago,
                                                    warned):
    from casework.rules.dates import months_before

    eligible_family("P1")
    meeting = meeting_on(lead)
    _trained(worker, on=months_before(TODAY, months_ago))  # a 12-month course
    login(client, lead.email)
    done = post_form(client, f"/selection/meetings/{meeting.id}/families/P1",
                     {"decision": "selected", "lead_worker": str(worker.id)})
    banner = _banner(client.get(done.headers["Location"]).text)
    assert ("expired on" in banner) is warned


def test_a_partner_contact_is_matched_by_name_and_organisation(client, app, lead):
    eligible_family("P1")
    eligible_family("P2")
    meeting = meeting_on(lead)
    _trained(on=TODAY, name="Jo Bloggs", organisation="Fant Primary School")
    login(client, lead.email)
    for ref, agency, warned in (("P1", "fant primary  school", False), ("P2", "YOS", True)):
        done = post_form(client, f"/selection/meetings/{meeting.id}/families/{ref}", {
            "decision": "selected", "lead_worker": "0", "lead_contact": "Jo Bloggs",
            "lead_agency": agency})
        assert done.status_code == 302
        assert _warned(client.get(done.headers["Location"]).text, ref) is warned


# Match funding --------------------------------------------------------------------------------


def test_a_manager_records_a_pledge_and_what_was_received_with_history(client, app):
    manager = create_user("manager")
    login(client, manager.email)
    bad = post_form(client, "/partnership/match-funding?programme=phase1", {
        "pledge_programme": "phase1", "source_name": "", "financial_year": "2013/15",
        "pledged": "12.345", "pledged_on": ["31", "2", "2013"]})
    errors = parse(bad.text).find_all(cls="govuk-error-summary")[0].text()
    for words in ("Choose where the money comes from", "Enter the name of the school",
                  "like 2013/14", "nearest penny", "Date pledged must be a real date"):
        assert words in errors
    assert db.session.scalar(select(m.MatchContribution.id)) is None
    done = post_form(client, "/partnership/match-funding?programme=phase1", {
        "pledge_programme": "phase1", "source_kind": "business", "source_name": "Kent Bakers",
        "financial_year": "2013/14", "pledged": "£5,000.50", "pledged_on": ["1", "5", "2013"]})
    assert done.status_code == 302
    row = db.session.scalar(select(m.MatchContribution))
    assert (row.pledged_pence, row.financial_year, row.received_pence) == (500050, 2013, 0)
    early = post_form(client, f"/partnership/match-funding/{row.id}",
                      {"received": "2500", "received_on": ["30", "4", "2013"]})
    assert Page(early.text).errors == [
        "The date received must be on or after the pledge, 1 May 2013"]
    saved = post_form(client, f"/partnership/match-funding/{row.id}",
                      {"received": "2500", "received_on": ["1", "6", "2013"]})
    assert saved.status_code == 302
    listed = table(client.get("/partnership/match-funding?programme=phase1").text,
                   id="contributions")
    assert listed == [{"Financial year": "2013/14", "From": "Kent Bakers", "Kind": "Local business",
                       "Pledged on": "1 May 2013", "Pledged": "£5,000.50",
                       "Received": "£2,500.00", "Latest received": "1 June 2013"}]
    history = db.session.scalar(select(m.RecordHistory).where(
        m.RecordHistory.record_type == "match_contribution"))
    assert history.before == {"received_pence": 0, "received_on": None}
    assert history.after == {"received_pence": 250000, "received_on": "2013-06-01"}


def test_only_programme_managers_record_match_funding(client, app):
    for role in ("worker", "team_lead", "auditor", "admin"):
        fresh = app.test_client()
        login(fresh, create_user(role).email)
        assert fresh.get("/partnership/match-funding").status_code == 403, role


def _pledge(programme="phase1", kind="school", year=2013, pledged=100000, received=0,
            on=dt.date(2013, 5, 1)):
    db.session.add(m.MatchContribution(programme=programme, source_kind=kind,
                                       source_name=f"{kind} {year}", financial_year=year,
                                       pledged_pence=pledged, received_pence=received,
                                       pledged_on=on))
    db.session.commit()


def test_the_match_funding_figure_counts_the_programmes_pledges_by_year_and_kind(app):
    manager = create_user("manager")
    _pledge(kind="school", year=2013, pledged=100000, received=40000)
    _pledge(kind="business", year=2013, pledged=50050, received=50050)
    _pledge(kind="grant", year=2014, pledged=300000)
    _pledge(programme="phase2", kind="grant", year=2015, pledged=999)
    sc = figures.for_programme(figures.scope(manager, as_of=dt.date(2014, 3, 31)), "phase1")
    _pledge(kind="partner", year=2014, pledged=7, on=dt.date(2014, 4, 1))  # after the date
    got = figures.match_funding(sc)
    assert got["years"] == {2013: {"pledged": 150050, "received": 90050},
                            2014: {"pledged": 300000, "received": 0}}
    assert got["kinds"]["grant"] == {"pledged": 300000, "received": 0}
    assert (got["pledged"], got["received"]) == (450050, 90050)


def test_the_money_page_shows_match_funding_beside_the_governments(client, app):
    manager = create_user("manager")
    _pledge(kind="school", year=2013, pledged=100000, received=40000, on=dt.date(2013, 5, 1))
    login(client, manager.email)
    html = client.get("/claims/money?programme=phase1").text
    rows = table(html, id="match-funding")
    assert rows[0] == {"Financial year": "2013/14", "Pledged": "£1,000.00",
                       "Received": "£400.00"}
    assert rows[-1]["Financial year"] == "Total"
    # The attachment fees (the government's money) are on the same page.
    assert any(t.caption.startswith("Attachment fees of the families attached")
               for t in Page(html).tables)


def test_the_board_report_shows_match_funding(app, tmp_path):
    from casework.programme.board import board_report_pdf

    manager = create_user("manager")
    # A 2013 quarter's report is the programme that took families then: 2012-15's.
    _pledge(programme="phase1", kind="grant", year=2013, pledged=1234500, received=1000000,
            on=dt.date(2013, 5, 1))
    with app.test_request_context():
        _name, pdf = board_report_pdf(manager, "2013-Q2")
    path = tmp_path / "board.pdf"
    path.write_bytes(pdf)
    text = " ".join(subprocess.run(["pdftotext", str(path), "-"], capture_output=True,
                                   text=True, check=True).stdout.split())
    assert "Match funding" in text
    assert "2013/14 £12,345.00 £10,000.00" in text
