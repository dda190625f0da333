"""The page reader the page tests use (tests/parsed.py `Page` and conftest's `client_request`):
it reads what a user reads, where they read it."""

from __future__ import annotations

import pytest

from .parsed import Page

HTML = """<!doctype html><html><head><title>Error: Families - Troubled Families casework
  - Maidstone Borough Council</title><script>var x = "Sam Patel";</script></head><body>
<header><a href="/">Maidstone Borough Council</a></header>
<main id="main-content">
<div class="govuk-error-summary"><h2 class="govuk-error-summary__title">There is a problem</h2>
 <div class="govuk-error-summary__body"><ul class="govuk-error-summary__list">
 <li><a href="#date">Enter the date of the contact</a></li>
 <li><a href="#kind">Select how the contact was made</a></li></ul></div></div>
<div class="govuk-notification-banner govuk-notification-banner--success">
 <div class="govuk-notification-banner__header"><h2 class="govuk-notification-banner__title">Success</h2></div>
 <div class="govuk-notification-banner__content"><p class="govuk-notification-banner__heading">Contact saved.</p></div></div>
<h1 class="govuk-heading-l">Families</h1>
<h2>Members</h2>
<dl class="govuk-summary-list">
 <div class="govuk-summary-list__row"><dt class="govuk-summary-list__key">Ward</dt>
  <dd class="govuk-summary-list__value">Park</dd></div>
 <div class="govuk-summary-list__row"><dt class="govuk-summary-list__key">Worker</dt>
  <dd class="govuk-summary-list__value">Sam <strong>Patel</strong></dd></div></dl>
<table class="govuk-table"><caption>Families allocated (2)</caption>
 <thead><tr><th>Reference</th><th>Name</th><th>Days since contact</th></tr></thead>
 <tbody><tr><th>E01</th><td>Roberts household</td><td>12 days</td></tr>
 <tr><th>E02</th><td>Jones household</td><td><strong class="govuk-tag">40 days</strong></td></tr></tbody>
</table>
<p class="govuk-error-message" id="date-error"><span class="govuk-visually-hidden">Error:</span> Enter the date of the contact</p>
<input type="hidden" name="note" value="Smith household">
<a class="govuk-link" href="/families/E01">Roberts household</a>
</main><footer>Every view and change is recorded.</footer></body></html>"""


def test_the_page_reads_title_headings_errors_banners_lists_and_tables():
    page = Page(HTML)
    assert page.title == ("Error: Families - Troubled Families casework - Maidstone Borough "
                          "Council")
    assert page.h1 == "Families" and page.headings[-2:] == ["Families", "Members"]
    assert page.errors == ["Enter the date of the contact", "Select how the contact was made"]
    assert page.field_errors == {"date": "Enter the date of the contact"}
    assert page.banners == ["Contact saved."]
    assert page.summary == {"Ward": "Park", "Worker": "Sam Patel"}
    table = page.table("Families allocated")
    assert table.headers == ["Reference", "Name", "Days since contact"]
    assert table.cell("E02", "Days since contact") == "40 days"
    assert table.column("Name") == ["Roberts household", "Jones household"]
    assert table.rows[0] == {"Reference": "E01", "Name": "Roberts household",
                             "Days since contact": "12 days"}
    assert page.links["Roberts household"] == "/families/E01"
    assert page.field("note").attrs["value"] == "Smith household"


def test_what_a_user_does_not_read_is_not_in_the_page_text():
    """A substring anywhere in the HTML would find these; the page's text does not: a script,
    a hidden field's value, the header and the footer."""
    page = Page(HTML)
    assert "Sam Patel" in HTML and "Smith household" in HTML
    assert "Smith household" not in page.text
    assert 'var x' not in page.text and "Every view and change" not in page.text
    assert "Maidstone Borough Council" not in page.text


def test_a_missing_row_or_column_fails_saying_what_the_table_has():
    table = Page(HTML).table()
    with pytest.raises(AssertionError, match="first cells"):
        table.row("E09")
    with pytest.raises(AssertionError, match="no column 'Ward'"):
        table.cell("E01", "Ward")


def test_a_real_form_error_is_read_from_the_summary_and_the_field(client_request, sign_in):
    sign_in("admin")
    page = client_request.post("/admin/teams", {"name": ""}, expected_status=200)
    assert page.title.startswith("Error: ")
    assert len(page.errors) == 1 and page.errors[0] in page.field_errors.values()


def test_a_real_page_is_read_by_its_heading_and_table(client_request, sign_in):
    sign_in("admin", name="Ruth Okafor")
    page = client_request.get("/admin/users")
    assert page.h1 == "Users"
    assert any(row.get("Name") == "Ruth Okafor" for row in page.tables[0].rows)
    client_request.get("/programme", expected_status=403)  # a manager's page


SECTIONED = """<main><h1>Family</h1><p>Lead: Sam</p>
<h2>Next actions</h2><ul><li>Ring the school<br>due 1 May</li><li>Visit</li></ul>
<p>Two open.</p><div><h3>Done</h3><p>None yet.</p></div>
<h2>Money</h2><p>Still claimable on 30 September 2013: <strong>£700</strong>.</p>
<table><tr><td>Year 1</td><td>£700</td></tr></table>
<svg role="img" aria-labelledby="t d"><title id="t">Families</title><desc id="d">Identified: 8.</desc>
<rect><title>a tooltip</title></rect></svg></main>"""


def test_blocks_read_apart_and_inline_text_runs_on():
    """A paragraph, list item, cell or line break ends a word; <strong> inside a sentence
    does not ("Ring the school<br>due" was read "Ring the schooldue")."""
    page = Page(SECTIONED)
    item = page.main.find("li")
    assert item.text() == "Ring the school due 1 May"
    assert page.main.find("ul").text() == "Ring the school due 1 May Visit"
    assert page.main.find("table").text() == "Year 1 £700"
    assert page.paragraph("Still claimable") == "Still claimable on 30 September 2013: £700."


def test_a_section_is_what_sits_under_its_heading():
    page = Page(SECTIONED)
    actions = page.section("Next actions")
    assert [li.text() for li in actions.find_all("li")] == ["Ring the school due 1 May", "Visit"]
    # a lower heading stays inside; the next heading of the same level ends it
    assert page.paragraphs("Next actions") == ["Two open.", "None yet."]
    assert page.paragraphs("Done") == ["None yet."]
    assert page.paragraph("Still", heading="Money").endswith("£700.")
    with pytest.raises(AssertionError, match="headings"):
        page.section("Contacts")
    with pytest.raises(AssertionError, match="paragraphs start with"):
        page.paragraph("Nobody")


def test_a_drawn_image_is_read_by_its_title_and_description():
    assert Page(SECTIONED).images == {"Families": "Identified: 8."}
