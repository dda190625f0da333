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


# What partner files write for a name they do not have: missing, not a name that differs.
MISSING = frozenset(("unknown", "notknown", "nk", "na", "none", "null", "tbc", "tba", "x",
                     "xx", "xxx", "baby", "unnamed"))


@_remembered
def given_name(text: str | None) -> str | None:
    """The first given name (a middle name or the second half of 'Mary-Jane' is often left
    off by one agency and not another); None for a placeholder such as 'Unknown'."""
    if not text:
        return None
    for part in _SPLIT.split(text.strip()):
        letters = _letters(part)
        if letters:
            return None if letters in MISSING else letters
    return None


@_remembered
def whole_name(text: str | None) -> str | None:
    """Every part of a given name run together ('Ja xson' -> jaxson, 'Mary-Jane' ->
    maryjane): a space typed in, or a double name written as one."""
    letters = _letters(text) if text else ""
    return None if not letters or letters in MISSING else letters


@_remembered
def family_name(text: str | None) -> str | None:
    """The whole family name as letters: 'O'Brien' and 'OBrien', 'Smith-Jones' and
    'Smith Jones' are the same; None for a placeholder such as 'Unknown' or 'N/K'."""
    letters = _letters(text) if text else ""
    return None if not letters or letters in MISSING else letters


@_remembered
def family_parts(text: str | None) -> tuple[str, ...] | None:
    """Each part of a family name, as letters ('Smith-Jones' -> smith, jones): a
    double-barrelled name given as one half is compared with each."""
    if family_name(text) is None:
        return None
    return tuple(p for p in map(_letters, _SPLIT.split(text.strip())) if p)


_SOUNDEX = {c: str(d) for d, letters in enumerate(
    ("aeiouyhw", "bfpv", "cgjkqsxz", "dt", "l", "mn", "r")) for c in letters}


@_remembered
def soundex(letters: str | None) -> str | None:
    """American Soundex of a normalised name ('smith' and 'smyth' -> s530): a phonetic
    key for blocking, so a family name with a typo still meets its person."""
    if not letters:
        return None
    out, last = letters[0], _SOUNDEX.get(letters[0], "")
    for c in letters[1:]:
        code = _SOUNDEX.get(c, "")
        if code and code != "0" and code != last:
            out += code
        if c not in "hw":
            last = code
    return (out + "000")[:4]


@_remembered
def postcode(text: str | None) -> str | None:
    """A UK postcode as 'ME15 7AB', or None when it is not one."""
    if not text:
        return None
    compact = re.sub(r"\s+", "", text.upper())
    found = _POSTCODE.match(compact)
    return f"{found.group(1)} {found.group(2)}" if found else None


_NOT_ALNUM = re.compile(r"[^A-Z0-9]")


@_remembered
def postcode_text(text: str | None) -> str | None:
    """A UK postcode as 'ME15 7AB'; any other postcode (a foreign one: '4223', '75011') as
    its letters and digits in capitals, when it has a digit and three to ten characters;
    otherwise None ('N/A', '-', '0000'). A UK postcode always holds a space here and any
    other never does, so the two kinds are told apart."""
    if not text:
        return None
    uk = postcode(text)
    if uk:
        return uk
    compact = _NOT_ALNUM.sub("", text.upper())
    if not 3 <= len(compact) <= 10 or not any(c.isdigit() for c in compact) \
            or len(set(compact)) == 1:
        return None
    return compact


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
