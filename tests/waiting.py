"""The families waiting for a FIP worker as the team view (/team) and the selection page
(/selection) list them, read from the page."""

from __future__ import annotations

from typing import NamedTuple
from urllib.parse import urlsplit

from .parsed import Page, Table


class Waiting(NamedTuple):
    heading: str  # "Signed up, waiting for a FIP worker (N)"
    refs: list[str]  # the families' references, in the order listed
    table: Table
    page: Page


def waiting_list(client, url: str) -> Waiting:
    """The waiting list on the page at `url` (/team or /selection, with any ?page=)."""
    team = urlsplit(url).path == "/team"
    page = Page(client.get(url).text)
    heading = next(h for h in page.headings if h.startswith("Signed up, waiting"))
    table = page.table("Signed-up families waiting" if team else "Attached families waiting")
    # the team view names a family "Name REF", the selection page "REF Name"
    refs = [row["Family"].split()[-1 if team else 0] for row in table.rows]
    return Waiting(heading, refs, table, page)
