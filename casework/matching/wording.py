"""The matching model's comparison levels in words for the review page. Splink names a level
for charts ("postcode is NULL", "Jaro-Winkler distance of given_name >= 0.92"); a reviewer
reads "No postcode", "Given name spelled very nearly the same". Stored waterfalls keep
Splink's labels; they are put into words when shown."""

from __future__ import annotations

import datetime as dt
import re

from ..rules.dates import govdate

COLUMN_WORDS = {"given_name": "given name", "family_name": "family name",
                "date_of_birth": "date of birth", "postcode": "postcode", "sex": "sex"}
POSTCODE_PARTS = {"full postcode": "Same postcode", "sector": "Same postcode sector",
                  "district": "Same postcode district", "area": "Same postcode area"}


def _column(name: str) -> str:
    return COLUMN_WORDS.get(name, name.replace("_", " "))


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def level_words(column: str, label: str) -> str:
    """One comparison level's label, as the model's trainer wrote it, in words."""
    what = _column(column)
    if m := re.fullmatch(r"(\w+) is NULL", label):
        return f"No {_column(m.group(1))}"
    if m := re.fullmatch(r"Exact match on (.+)", label):
        part = m.group(1)
        if column == "postcode" and part in POSTCODE_PARTS:
            return POSTCODE_PARTS[part]
        return f"Same {_column(part)}"
    if m := re.fullmatch(r"Jaro-Winkler distance of (\w+) >= ([0-9.]+)", label):
        near = "very nearly" if float(m.group(2)) >= 0.9 else "nearly"
        return _capital(f"{_column(m.group(1))} spelled {near} the same")
    if m := re.fullmatch(r"Abs difference of '(?:transformed )?(\w+) <= (\d+) (\w+?)s?'", label):
        unit = m.group(3) if m.group(2) == "1" else m.group(3) + "s"
        return _capital(f"{_column(m.group(1))} within {m.group(2)} {unit}")
    if label == "All other comparisons":
        return _capital(f"{what} different")
    return label


def column_words(column: str) -> str:
    """A waterfall step's column: 'given_name' -> 'Given name', 'tf_postcode' -> 'How common:
    postcode'."""
    if column.startswith("tf_"):
        return f"How common: {_column(column[3:])}"
    return _capital(_column(column))


def shown_value(value):
    """A value the model compared, as the page shows it: a date of birth "2 February 2012"."""
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            return govdate(dt.date.fromisoformat(value))
        except ValueError:
            return value
    return value
