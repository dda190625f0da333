"""What the pages say and where, read from the parsed page: back links inside the landmarks,
a form's error beside its field with the value kept, and no words meant for programmers
(field names, Python lists, ISO dates, SQL) where users read."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from casework import models as m
from casework.extensions import db

from .conftest import PASSWORD, login, post_form
from .factories import create_user
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
