"""A page of a long list: its items, which page it is and how many there are."""

from __future__ import annotations

import dataclasses
import math


@dataclasses.dataclass
class Page:
    items: list
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))


# A page number beyond this is taken as this one (then as the last page there is).
LARGEST_PAGE = 100_000


def requested_page(args, name: str = "page") -> int:
    """The `page` query argument (or `name`, for a page's second list): a whole number from
    1 to LARGEST_PAGE (1 if missing or not a number, LARGEST_PAGE if larger), never a number
    too large for the database."""
    try:
        number = int(str(args.get(name, "1")).strip())
    except ValueError:
        return 1
    return min(max(1, number), LARGEST_PAGE)


def page_within(number: int | None, total: int, per_page: int) -> int:
    """The page asked for, between the first and the last (a page past the end, however
    large its number, is the last)."""
    return min(max(1, number or 1), max(1, math.ceil(total / per_page)))
