"""Counts in words, for the rules' messages and the pages alike. Pure."""

from __future__ import annotations


def plural(count: int, one: str, many: str | None = None) -> str:
    """'1 family', '2 families': the count with the word that agrees with it."""
    return f"{count:,} {one if count == 1 else (many or one + 's')}"
