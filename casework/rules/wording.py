"""Counts in words, for the rules' messages and the pages alike. Pure."""

from __future__ import annotations

import re
from fractions import Fraction

# Short words a key spells in lower case that users read in capitals.
ACRONYMS = {"asb": "ASB", "nhs": "NHS", "upn": "UPN", "fip": "FIP", "sha": "SHA", "id": "ID"}


def plural(count: int, one: str, many: str | None = None) -> str:
    """'1 family', '2 families': the count with the word that agrees with it."""
    return f"{count:,} {one if count == 1 else (many or one + 's')}"


def share(fraction) -> str:
    """A share of the whole in words, as a heading says it: Fraction(5, 6) -> '5 of every 6',
    1 -> 'all of it', 0 -> 'none of it'."""
    fraction = Fraction(fraction)
    if fraction >= 1:
        return "all of it"
    if fraction <= 0:
        return "none of it"
    return f"{fraction.numerator:,} of every {fraction.denominator:,}"


def words(key, capital: bool = True) -> str:
    """A programme's key in words for a page: 'children_need_help' -> 'Children need help',
    'asb_incidents' -> 'ASB incidents', 'domestic-abuse' -> 'Domestic abuse'."""
    parts = [ACRONYMS.get(p.lower(), p) for p in re.split(r"[_\-\s]+", str(key).strip()) if p]
    text = " ".join(parts)
    return text[:1].upper() + text[1:] if capital else text
