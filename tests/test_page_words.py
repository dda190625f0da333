"""What the pages say and where, read from the parsed page: back links inside the landmarks,
a form's error beside its field with the value kept, and no words meant for programmers
(field names, Python lists, ISO dates, SQL) where users read."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from casework import models as m
from casework.casefile.service import save_contact, save_referral
from casework.caseloads.service import allocate, close
from casework.extensions import db
from casework.history import value_words
from casework.matching.wording import level_words
from casework.rules.dates import dates_in_text

from .conftest import PASSWORD, login, post_form
from .factories import create_user
from .matching_data import load_register
from .parsed import parse


def _page(client, path: str):
    response = client.get(path)
    assert response.status_code == 200, path
    return parse(response.text)


@pytest.mark.parametrize("path", ["/families/E01", "/families/E01/timeline", "/families/E01/plan",
                                  "/families/E01/edit", "/selection/agreed-numbers",
                                  "/selection/meetings/new"])
def test_a_back_link_is_the_first_thing_inside_main(client, examples, path):
    examples()
    login(client, create_user("manager").email, PASSWORD)
    page = _page(client, path)
    links = page.find_all("a", cls="govuk-back-link")
    assert len(links) == 1
    main = page.find("main")
    assert links[0].parent is main and main.children and next(
        c for c in main.children if not isinstance(c, str) or c.strip()) is links[0]
    assert "app-main--back" in main.classes


def test_a_page_without_a_back_link_keeps_the_main_wrappers_spacing(client, examples):
    examples()
    login(client, create_user("manager").email, PASSWORD)
    page = _page(client, "/families")
    assert page.find("a", cls="govuk-back-link") is None
    assert "app-main--back" not in page.find("main").classes


@pytest.fixture
def built(client, cli, examples):
    examples()
    cli("claims", "build", "--as-of", "2013-09-30")


@pytest.mark.parametrize("percent, problem", [
    ("150", "Enter a percentage from 1 to 100"), ("0", "Enter a percentage from 1 to 100"),
    ("", "Enter the percentage to sample"), ("ten", "Percentage of the claims shown must be a whole number")])
def test_a_sample_percentage_out_of_range_is_an_error_beside_its_field_with_the_value_kept(
        client, sign_in, built, percent, problem):
    sign_in("auditor")
    response = post_form(client, "/claims/samples?state=draft",
                         {"sample-percent": percent, "sample-seed": "77", "sample-draw": "1"},
                         page_url="/claims/")
    assert response.status_code == 400
    page = parse(response.text)
    assert page.find("title").text().startswith("Error: ")
    summary = page.find("div", cls="govuk-error-summary")
    assert [(a.text(), a.attrs["href"]) for a in summary.find_all("a")] == [(problem, "#sample-percent")]
    assert page.find("div", cls="govuk-notification-banner--success") is None
    field = page.by_id("sample-percent")
    assert "govuk-input--error" in field.classes and field.attrs.get("value") == percent
    group = next(a for a in field.ancestors() if "govuk-form-group" in a.classes)
    assert "govuk-form-group--error" in group.classes
    assert page.by_id("sample-percent-error").text() == f"Error: {problem}"
    assert page.by_id("sample-seed").attrs.get("value") == "77"
    assert db.session.scalar(select(m.ClaimSample)) is None
    # The queue it was drawn from is still the one shown (its filters kept in the form's address).
    form = next(f for f in page.find_all("form") if f.attrs.get("action", "").startswith("/claims/samples"))
    assert form.attrs["action"] == "/claims/samples?state=draft"


def test_a_percentage_of_1_and_of_100_are_drawn(client, sign_in, built):
    sign_in("auditor")
    for percent in ("1", "100"):
        response = post_form(client, "/claims/samples", {"sample-percent": percent, "sample-draw": "1"},
                             page_url="/claims/")
        assert response.status_code == 302
    assert [s.percent for s in db.session.scalars(select(m.ClaimSample).order_by(m.ClaimSample.id))] == [1, 100]


# Words meant for programmers ------------------------------------------------------------------

ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")


def test_a_change_to_a_contact_names_the_people_present_and_writes_dates_the_gov_uk_way(
        client, examples):
    examples()
    lead = create_user("team_lead", team="North")
    worker = create_user("worker", team="North", name="Sam Patel")
    family = db.session.scalar(select(m.Family).where(m.Family.family_ref == "E01"))
    allocate(family, worker, dt.date(2012, 7, 16), lead)
    person = family.people[0]
    contact = save_contact(family, worker, {
        "contact_at": dt.datetime(2013, 9, 2, 10, 30), "kind": "home_visit", "duration_minutes": 45,
        "present": [], "notes": "Visit", "actions": [("Call the school", dt.date(2013, 9, 9))]},
        finish=True)
    save_contact(family, worker, {
        "contact_at": dt.datetime(2013, 9, 3, 11, 0), "kind": "phone", "duration_minutes": 45,
        "present": [person.person_ref], "notes": "Visit", "actions": []}, finish=True,
        contact=contact)
    login(client, create_user("manager").email, PASSWORD)
    page = _page(client, "/families/E01")
    table = next(t for t in page.find_all("table") if t.find("caption").text() == "Changes to these records")
    rows = {r[1]: r[2] for r in table.table()[1:]}
    assert rows[f"Contact {contact.id}"] == (
        "Follow-up actions: Call the school (due 9 September 2013) → none "
        "Date and time: 2 September 2013 at 10:30 → 3 September 2013 at 11:00 "
        "Kind: Home visit → Phone call "
        f"People present: none → {person.full_name}")
    # The import that attached the family: its date as the GOV.UK writes it.
    assert rows["Family E01"].startswith("Attached on: none → 16 July 2012")
    assert not ISO_DATE.search(table.text()) and "[" not in table.text() and "_" not in table.text()


@pytest.mark.parametrize("value, field, said", [
    (None, "notes", "none"), ("", "notes", "none"), ([], "present", "none"),
    (True, "local_discretion", "yes"), (False, "local_discretion", "no"),
    ("2013-01-02", "attached_on", "2 January 2013"), ("2013-01-02T09:05", "contact_at", "2 January 2013 at 09:05"),
    (["P1", "P2"], "present", "Jade Smith, P2"), (12345, "pence", "£123"), ("2013-1-2", "notes", "2013-1-2")])
def test_a_value_in_history_in_words(value, field, said):
    assert value_words(value, "contact", field, {"P1": "Jade Smith"}) == said


def test_every_level_of_the_shipped_matching_model_is_in_words():
    model = json.loads((Path(__file__).resolve().parents[1] / "casework" / "matching" /
                        "starting_model.json").read_text())
    said = {level_words(c["output_column_name"], level["label_for_charts"])
            for c in model["model"]["comparisons"] for level in c["comparison_levels"]}
    assert "No postcode" in said and "Same postcode sector" in said
    assert "Date of birth within 1 month" in said and "Given name spelled very nearly the same" in said
    assert [s for s in said if re.search(r"NULL|Jaro|Abs |Exact match|_|>=|<=", s)] == []


def test_the_review_page_says_a_missing_postcode_in_words(client, sign_in, app, cli, tmp_path):
    load_register()
    path = tmp_path / "asb.csv"
    path.write_text("asb_ref,given_name,family_name,date_of_birth,postcode,sex,date,kind\n"
                    "A3,Jack,Taylor,2012-02-02,,m,2013-03-05,incident\n")
    assert "1 for review" in cli("import", "asb", path, "--match").output
    review = db.session.scalar(select(m.MatchReview))
    sign_in("manager")
    page = _page(client, f"/matching/reviews/{review.id}")
    weights = [row for t in page.find_all("table") if "Match weights" in t.find("caption").text()
               for row in t.table()[1:]]
    postcode = [row for row in weights if row[0] == "Postcode"]
    assert postcode and all(row[1] == "No postcode" for row in postcode)
    assert "NULL" not in page.text() and not [row for row in weights if "_" in row[0] + row[1]]
    born = [row for row in weights if row[0] == "Date of birth"]
    assert born and all(row[2:4] == ["2 February 2012", "2 February 2012"] for row in born)
    assert not ISO_DATE.search(page.find("main").text())


def test_the_outcome_plan_is_a_table_of_problems_indicators_and_thresholds(client, sign_in):
    sign_in("manager")
    page = _page(client, "/outcome-plans/phase2/example")
    assert page.find("pre") is None and "{" not in page.find("main").text()
    crime = page.by_id("problem-crime_asb")
    assert crime.find("caption").text() == (
        "Crime ASB Parents and children involved in crime or anti-social behaviour")
    assert crime.table() == [
        ["Indicator", "Kind", "Progress means", "Sustained for"],
        ["ASB incidents", "A count of records", "ASB records (incident) in 6 months down at least "
         "60% on the 6 months before the need was identified", "6 months"],
        ["Youth offending", "A count of records", "No offences in 6 months", "6 months"]]
    assert page.by_id("problem-education").table()[1] == [
        "Attendance", "School attendance",
        "Unauthorised absence at most 10% over the last 3 complete terms, no fixed exclusions",
        "6 months"]
    assert page.by_id("problem-health").table()[1] == [
        "Health improved", "A practitioner's assessment", "A practitioner's positive assessment: "
        "the health practitioner assesses the problem as managed", "6 months"]
    download = page.find("a", href="/outcome-plans/phase2/example/download")
    assert download.text() == "Download this plan (JSON)"
    assert json.loads(client.get(download.attrs["href"]).text)["ruleset"] == "phase2"
    assert "Effective from 1 April 2015" in page.find("dl").text()
    assert "phase2 Outcome Plan" not in page.text() and "supporting_families Outcome" not in page.text()


def _claims_cells(page) -> list[list[str]]:
    table = next(t for t in page.find_all("table") if t.find("caption").text() == "Claims")
    return table.table()[1:]


def test_a_closed_case_says_so_where_a_worker_would_be_named(client, built):
    lead = create_user("team_lead", team="North")
    worker = create_user("worker", team="North", name="Sam Patel")
    family = db.session.scalar(select(m.Family).where(m.Family.family_ref == "E03"))
    allocate(family, worker, dt.date(2012, 9, 17), lead)
    close(family, dt.date(2013, 10, 1), lead, "Outcomes met", "turned_around")
    login(client, create_user("auditor").email, PASSWORD)
    workers = {row[1]: row[3] for row in _claims_cells(_page(client, "/claims/"))}
    assert workers["E03 Smith household"] == "Case closed on 1 October 2013"
    assert workers["E07 Brown household"] == "Not allocated"
    assert "Not allocated" not in workers["E03 Smith household"]
    page = _page(client, "/families/E03")
    assert page.find("main").find("p").text() == "Case closed on 1 October 2013"


@pytest.mark.parametrize("day, shown", [(29, 3), (30, 3), (1, 0)])
def test_the_claim_date_filter_is_a_gov_uk_date_input(client, built, day, shown):
    """Claims dated 30 September 2013: from the 29th or the 30th they are shown, from
    1 October none."""
    login(client, create_user("auditor").email, PASSWORD)
    month = 10 if day == 1 else 9
    page = _page(client, f"/claims/?date_from-day={day}&date_from-month={month}&date_from-year=2013")
    assert _claims_cells(page) == [["No claims match."]] if shown == 0 else len(_claims_cells(page)) == shown
    assert page.find("input", type="date") is None
    inputs = page.by_id("date_from")
    group = next(a for a in inputs.ancestors() if "govuk-form-group" in a.classes)
    assert group.find("legend").text() == "Claim date from"
    assert [(i.attrs["name"], i.attrs.get("value")) for i in group.find_all("input")] == [
        ("date_from-day", str(day)), ("date_from-month", str(month)), ("date_from-year", "2013")]
    assert group.find("div", cls="govuk-hint").text().startswith("For example, ")
    # The pages and claims opened from the queue keep the date in their addresses.
    links = [a.attrs["href"] for a in page.find_all("a") if re.match(r"/claims/\d+\?", a.attrs.get("href", ""))]
    assert len(links) == shown
    assert all(f"date_from=2013-{month:02d}-{day:02d}" in h for h in links)


def test_a_claim_date_that_is_not_a_date_is_an_error_on_its_date_input(client, built):
    login(client, create_user("auditor").email, PASSWORD)
    page = _page(client, "/claims/?date_to-day=31&date_to-month=2&date_to-year=2013")
    summary = page.find("div", cls="govuk-error-summary")
    link = summary.find("a")
    assert link.attrs["href"] == "#date_to-day" and link.text().startswith("Claim date to: enter a real date")
    assert any("govuk-form-group--error" in a.classes for a in page.by_id("date_to").ancestors())
    assert page.by_id("date_to-day").attrs.get("value") == "31"
    assert len(_claims_cells(page)) == 3  # the filter is left out


@pytest.mark.parametrize("text, said", [
    ("as of 2013-09-30, page 1", "as of 30 September 2013, page 1"),
    ("2026-06-07 to 2026-12-06", "7 June 2026 to 6 December 2026"),
    ("2013-02-28", "28 February 2013"), ("2013-02-29", "2013-02-29"),  # not a date: left alone
    ("ref 12013-09-30", "ref 12013-09-30"), (None, "")])
def test_iso_dates_in_free_text_are_written_the_gov_uk_way(text, said):
    assert dates_in_text(text) == said


def test_the_audit_log_says_its_actions_and_dates_in_words(client, sign_in):
    from casework.audit import record_event

    record_event("view_list", "high_contact", None, detail="2026-06-07 to 2026-12-06")
    db.session.commit()
    sign_in("admin")
    page = _page(client, "/admin/audit?action=view_list")
    table = next(t for t in page.find_all("table") if t.find("caption").text() == "Audit entries")
    row = table.table()[1]
    assert row[2:5] == ["Viewed a list", "High-contact families", "7 June 2026 to 6 December 2026"]
    options = [o.text() for o in page.by_id("action").find_all("option")]
    assert "Viewed a list" in options and not [o for o in options if "_" in o]


def test_a_referral_for_one_member_names_them(client, examples):
    examples()
    lead = create_user("team_lead", team="North")
    worker = create_user("worker", team="North")
    family = db.session.scalar(select(m.Family).where(m.Family.family_ref == "E01"))
    allocate(family, worker, dt.date(2012, 7, 16), lead)
    person = family.people[0]
    for who in (person.person_ref, None):
        save_referral(family, worker, {"kind": "mental_health", "agency": "CMHT", "person_ref": who,
                                       "referred_on": dt.date(2013, 1, 2), "status": "made", "notes": None})
    login(client, worker.email, PASSWORD)
    table = next(t for t in _page(client, "/families/E01/plan").find_all("table")
                 if t.find("caption").text() == "Referrals")
    assert sorted(row[2] for row in table.table()[1:]) == sorted([person.full_name, "The whole family"])


def test_the_returns_page_sends_a_manager_to_someone_not_to_a_path_in_the_code(client):
    """A programme manager cannot open docs/returns.md: the page says who has the guide to
    the returns' columns, not a path in casework's source tree."""
    login(client, create_user("manager").email, PASSWORD)
    main = _page(client, "/programme/returns").find("main")
    intro = [p.text() for p in main.find_all("p") if p.text().startswith("Files others ask")]
    assert len(intro) == 1
    assert "Your system administrator has the guide to each return's columns" in intro[0]
    assert "docs/" not in main.text()
    assert main.find("code") is None
