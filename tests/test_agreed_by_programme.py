"""The agreed numbers of families are the council's programme's (its ruleset's programme
years, 2012/13 to 2014/15 for the 2012-15 programme): the money page and the dashboard show
them against that programme only, never under a later programme's heading."""

import pytest

from .conftest import login
from .factories import create_user
from .parsed import Page


@pytest.mark.parametrize("url", ["/claims/money", "/programme"])
def test_the_agreed_numbers_show_under_the_councils_programme_only(client, app, url):
    login(client, create_user("manager").email)
    councils = Page(client.get(f"{url}?programme=phase1").text)
    table = councils.root.by_id("agreed-number")
    assert table is not None
    assert [row[0] for row in table.table()[1:]] == [
        "2014/15 (year 3)", "2013/14 (year 2)", "2012/13 (year 1)"]
    for later in ("phase2", "supporting_families"):
        page = Page(client.get(f"{url}?programme={later}").text)
        assert page.root.by_id("agreed-number") is None, later
        assert "2012/13" not in page.main.text()
