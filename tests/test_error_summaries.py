"""Every page that shows an error shows it the GOV.UK way: an error summary at the top linking
to the field, the field's own message, and "Error: " before the page's title (so a screen
reader hears it first). Pages whose only inputs are date pickers, pages that refuse with a
service's reason, and a contact naming someone no longer in the family."""

import datetime as dt

from casework.caseloads.service import allocate

from .conftest import login, post_form
from .factories import create_family, create_person, create_user
from .parsed import Page
from .test_casefile import case, contact_data  # noqa: F401 (the fixture)

D = dt.date


def _error_link(page: Page) -> str:
    summary = page.root.find(cls="govuk-error-summary")
    return summary.find("a").attrs["href"]


def test_a_family_page_asked_for_an_impossible_date_says_so_in_a_summary(client, case):  # noqa: F811
    login(client, case[0].email)
    page = Page(client.get("/families/C1?as_of-day=31&as_of-month=2&as_of-year=2013").text)
    assert page.title.startswith("Error: ")
    assert len(page.errors) == 1 and page.errors[0].startswith("Enter a real date")
    assert _error_link(page) == "#as_of-day"
    assert page.field_errors["as_of"].startswith("Enter a real date")
    fine = Page(client.get("/families/C1?as_of-day=28&as_of-month=2&as_of-year=2013").text)
    assert fine.errors == [] and not fine.title.startswith("Error")


def test_the_audit_log_and_high_contact_pages_summarise_each_wrong_date(client, app):
    login(client, create_user("admin").email)
    audit = Page(client.get("/admin/audit?from-day=1&from-month=13&from-year=2013"
                            "&to-day=1&to-month=&to-year=2013").text)
    assert audit.title.startswith("Error: ")
    assert [a.attrs["href"] for a in audit.root.find(cls="govuk-error-summary").find_all("a")] == [
        "#from-day", "#to-day"]
    assert audit.errors[1] == "Enter the day, month and year"
    manager = app.test_client()
    login(manager, create_user("manager").email)
    high = Page(manager.get("/high-contact?to-day=40&to-month=1&to-year=2013").text)
    assert high.title.startswith("Error: ") and _error_link(high) == "#to-day"


def test_a_refusal_puts_error_before_the_title(client, case):  # noqa: F811
    lead, worker, _, _, _ = case
    for i in range(9):
        allocate(create_family(f"L{i}"), worker, D(2013, 2, 1), lead)
    create_family("LAST", ward="High Street")
    login(client, lead.email)
    refused = Page(post_form(client, "/families/LAST/allocate", {
        "worker": str(worker.id), "on": ["1", "3", "2013"], "consent": "y",
        "consent_by": "Casey Last"}).text)
    assert refused.errors and refused.title.startswith("Error: ")
    assert not Page(client.get("/families/LAST/allocate").text).title.startswith("Error")


def test_a_contact_naming_someone_no_longer_in_the_family_says_so_in_words(client, case):  # noqa: F811
    _, worker, _, family, _ = case
    create_person(family, "CP2", born=D(2007, 1, 1), given_name="Lee")
    login(client, worker.email)
    page = Page(post_form(client, "/families/C1/contacts/new",
                          contact_data(present=["CP1", "ZZ9"])).text)
    assert page.title.startswith("Error: ")
    assert page.errors == ["ZZ9 is not in this family any more: select who was there again"]
    assert "valid choice" not in page.text


def test_the_family_plan_puts_error_before_its_title_whichever_of_its_forms_failed(client, case):  # noqa: F811
    """The plan page holds three forms, none called `form`: a goal without its words still
    puts "Error: " first in the title, as every page with an error summary does."""
    _, worker, _, _, _ = case
    login(client, worker.email)
    page = Page(post_form(client, "/families/C1/plan", {
        "goal-problem": "education", "goal-goal": "", "goal-status": "open",
        "goal-save_goal": "Add goal"}).text)
    assert page.errors == ["Enter the goal"]
    assert page.title.startswith("Error: Family plan - C1")
    assert not Page(client.get("/families/C1/plan").text).title.startswith("Error")


def test_a_refused_sign_in_puts_error_before_the_title(client):
    """A wrong password is shown in an error summary (the view's `error`): the title says
    "Error: " too."""
    create_user("worker", email="kim@council.test")
    page = Page(login(client, "kim@council.test", "not-the-password").text)
    assert page.errors and page.title.startswith("Error: ")
    assert not Page(client.get("/login").text).title.startswith("Error")
