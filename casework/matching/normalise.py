"""Names, dates of birth and postcodes in the one form the matcher compares them in."""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from pathlib import Path

_NOT_LETTER = re.compile(r"[^a-z]")
_SPLIT = re.compile(r"[\s\-]+")
_POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)([0-9][A-Z]{2})$")
# A register repeats names, postcodes and birthdays many times over: each is worked out once.
_remembered = functools.lru_cache(maxsize=200_000)


def _letters(text: str) -> str:
    """Lower case ASCII letters only: accents dropped, punctuation and spaces removed."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return _NOT_LETTER.sub("", plain.lower())


@_remembered
def given_name(text: str | None) -> str | None:
    """The first given name (a middle name or the second half of 'Mary-Jane' is often left
    off by one agency and not another)."""
    if not text:
        return None
    for part in _SPLIT.split(text.strip()):
        letters = _letters(part)
        if letters:
            return letters
    return None


@_remembered
def family_name(text: str | None) -> str | None:
    """The whole family name as letters: 'O'Brien' and 'OBrien', 'Smith-Jones' and
    'Smith Jones' are the same."""
    return _letters(text) or None if text else None


@_remembered
def postcode(text: str | None) -> str | None:
    """A UK postcode as 'ME15 7AB', or None when it is not one."""
    if not text:
        return None
    compact = re.sub(r"\s+", "", text.upper())
    found = _POSTCODE.match(compact)
    return f"{found.group(1)} {found.group(2)}" if found else None


@_remembered
def swapped(born: dt.date) -> str | None:
    """The date with day and month swapped (a US-style entry of 03/04 as 04/03), when that is
    a different real date."""
    if born.day > 12 or born.day == born.month:
        return None
    return dt.date(born.year, born.day, born.month).isoformat()


def _nicknames() -> dict[str, str]:
    """Each known given name and nickname -> the first name of its group."""
    canonical: dict[str, str] = {}
    text = (Path(__file__).parent / "nicknames.txt").read_text(encoding="utf-8")
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        names = [_letters(n) for n in line.split(",")]
        for name in names:
            canonical.setdefault(name, names[0])
    return canonical


NICKNAMES = _nicknames()


def name_group(given: str | None) -> str | None:
    """The group a normalised given name belongs to ('bill' -> 'william'), or the name."""
    return NICKNAMES.get(given, given) if given else None
