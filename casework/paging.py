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


def page_within(number: int | None, total: int, per_page: int) -> int:
    """The page asked for, between the first and the last (a page past the end, however
    large its number, is the last)."""
    return min(max(1, number or 1), max(1, math.ceil(total / per_page)))
