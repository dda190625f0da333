"""GOV.UK style in what the pages say: messages in sentence case, counts that agree with
their nouns, dates as "1 December 2026", and date hints that fit each field."""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

import pytest

from casework import clock
from casework.caseloads.service import AllocationRefused, allocate, close
from casework.templating import plural

from .conftest import post_form
from .factories import create_family, create_user
from .parsed import Page

CASEWORK = Path(__file__).resolve().parents[1] / "casework"
# The modules whose refusals reach the pages (the importer's FILE:LINE: COLUMN: message is the
# contract's own form, so it is not here).
SHOWN = ["auth", "admin", "caseloads", "casefile", "claims", "families", "home", "selection"]


def _raised_messages(path: Path):
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) and node.exc.args:
            first = node.exc.args[0]
            if isinstance(first, ast.JoinedStr) and first.values:
                first = first.values[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                yield node.lineno, first.value


@pytest.mark.parametrize("area", SHOWN)
def test_every_refusal_a_page_can_show_starts_with_a_capital_letter(area):
    lowercase = [f"{path.name}:{line}: {text[:50]}"
                 for path in sorted((CASEWORK / area).glob("*.py"))
                 for line, text in _raised_messages(path) if text[:1].islower()]
    assert lowercase == []


def test_a_count_agrees_with_its_noun():
    assert [plural(n, "family", "families") for n in (0, 1, 2, 1200)] == [
        "0 families", "1 family", "2 families", "1,200 families"]


def test_the_users_command_refuses_in_sentence_case(cli):
    bad = cli("users", "create", "not-an-email", "--name", "Sam", "--role", "worker",
              "--password-stdin", input="a long enough pass phrase\n")
    assert bad.exit_code == 1 and bad.output.startswith("Enter an email address like name@example.com, not 'not-an-email'")
    nameless = cli("users", "create", "sam@example.com", "--name", " ", "--role", "worker",
                   "--password-stdin", input="a long enough pass phrase\n")
    assert nameless.output.startswith("Enter the user's name")


def test_a_refusal_writes_its_date_the_gov_uk_way(app):
    lead = create_user("team_lead", team="North")
    worker = create_user("worker", team="North")
    family = create_family("W1")
    allocate(family, worker, dt.date(2013, 1, 2), lead)
    with pytest.raises(AllocationRefused, match="allocated on 2 January 2013$"):
        close(family, dt.date(2013, 1, 1), lead, "Moved", "moved_away")  # the day before
    assert close(family, dt.date(2013, 1, 2), lead, "Moved", "moved_away")  # the same day


def test_a_date_hint_is_a_recent_date_for_what_happened_and_a_coming_one_for_what_is_due(
        client, sign_in):
    from casework.caseloads.service import allocate as give

    worker = sign_in("worker", team="North")
    give(create_family("W1"), worker, dt.date(2013, 1, 1), create_user("team_lead", team="North"))
    page = client.get("/families/W1/contacts/new").text
    today = clock.today()

    def example(days: int) -> str:
        day = today + dt.timedelta(days=days)
        return f"For example, {day.day} {day.month} {day.year}"

    contact = page.split('id="contact_on-hint"')[1][:100]
    due = page.split('id="due_1-hint"')[1][:100]
    assert example(-2) in contact and example(7) in due


def test_a_number_that_is_not_one_is_refused_in_words_naming_the_field(client, sign_in):
    from casework.caseloads.service import allocate as give

    worker = sign_in("worker", team="North")
    give(create_family("W1"), worker, dt.date(2013, 1, 1), create_user("team_lead", team="North"))
    today = clock.today()
    page = post_form(client, "/families/W1/contacts/new", {
        "contact_on": [str(today.day), str(today.month), str(today.year)], "contact_time": "00:00",
        "kind": "phone", "duration": "ten", "notes": "Called", "save": "1"})
    assert "Duration in minutes must be a whole number" in Page(page.text).errors
    assert "Not a valid integer value" not in page.text


def test_the_timeline_names_a_results_change_in_words(client, sign_in, examples):
    examples()
    sign_in("manager")
    page = client.get("/families/E01/timeline").text
    journey = Page(page).table("The family's journey, latest first")
    assert "Crime, ASB and education changed from too early to met" in journey.column("Details")
    assert "crime asb education" not in page.lower()


def test_a_share_is_said_in_words():
    from fractions import Fraction

    from casework.rules.wording import share

    assert share(Fraction(5, 6)) == "5 of every 6"
    assert share(Fraction(3, 4)) == "3 of every 4"
    assert share(Fraction(10, 12)) == "5 of every 6"  # in its lowest terms
    assert share(1) == "all of it" and share(0) == "none of it"
