"""Parsers for the contract's CSV values.

Each field parses one cell, `field(text)`, returning its value or raising ValueError with a
message naming the problem; and a whole column of non-empty cells at once, `field.column(cells)`,
which does the same checks in a few passes of C code (joined regular expressions, `map`) and
raises ValueError without a message at the first problem: a file with any problem is read again
cell by cell to name them all.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from ..rules import identifiers
from ..rules.dates import parse_academic_year

FLAGS = {"y": True, "yes": True, "n": False, "no": False}


def _joined(pattern: str) -> re.Pattern:
    """A pattern matching cells joined by newlines, each matching `pattern`."""
    return re.compile(f"{pattern}(?:\n{pattern})*")


def _each_matches(joined: re.Pattern, cells: list[str]) -> bool:
    text = "\n".join(cells)
    # A quoted cell may itself hold a newline: the count makes sure none did.
    return text.count("\n") == len(cells) - 1 and joined.fullmatch(text) is not None


class Field:
    """A kind of CSV value: each subclass parses one cell and a column of cells."""

    def __call__(self, value: str) -> Any:
        raise NotImplementedError

    def column(self, cells: list[str]) -> list[Any]:
        raise NotImplementedError


class Ref(Field):
    PATTERN = r"[A-Za-z0-9_-]{1,32}"
    ONE, MANY = re.compile(PATTERN), _joined(PATTERN)

    def __call__(self, value: str) -> str:
        if not self.ONE.fullmatch(value):
            raise ValueError(
                f"{value!r} is not a reference: use 1 to 32 letters, digits, '-' or '_'"
            )
        return value

    def column(self, cells: list[str]) -> list[str]:
        if not _each_matches(self.MANY, cells):
            raise ValueError
        return cells


class Text(Field):
    def __init__(self, limit: int):
        self.limit = limit

    def __call__(self, value: str) -> str:
        if len(value) > self.limit:
            raise ValueError(f"is {len(value)} characters long; at most {self.limit} are allowed")
        return value

    def column(self, cells: list[str]) -> list[str]:
        if max(map(len, cells), default=0) > self.limit:
            raise ValueError
        return cells


class Date(Field):
    PATTERN = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
    ONE, MANY = re.compile(PATTERN), _joined(PATTERN)

    def __call__(self, value: str) -> dt.date:
        if not self.ONE.fullmatch(value):
            raise ValueError(f"{value!r} is not a date in the form YYYY-MM-DD")
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{value!r} is not a real date") from None

    def column(self, cells: list[str]) -> list[dt.date]:
        if not _each_matches(self.MANY, cells):
            raise ValueError
        return list(map(dt.date.fromisoformat, cells))  # ValueError for 2013-02-30


class Flag(Field):
    def __call__(self, value: str) -> bool:
        try:
            return FLAGS[value.lower()]
        except KeyError:
            raise ValueError(f"{value!r} is not a flag: use y or n") from None

    def column(self, cells: list[str]) -> list[bool]:
        try:
            return list(map(FLAGS.__getitem__, map(str.lower, cells)))
        except KeyError:
            raise ValueError from None


class Count(Field):
    PATTERN = re.compile(r"[+-]?[0-9]+")

    def __call__(self, value: str) -> int:
        if not self.PATTERN.fullmatch(value):
            raise ValueError(f"{value!r} is not a whole number")
        number = int(value)
        if number < 0:
            raise ValueError(f"{value} is negative; it must be 0 or more")
        return number

    def column(self, cells: list[str]) -> list[int]:
        digits = "".join(cells)  # every cell is non-empty, so all digits means each is
        if not (digits.isascii() and digits.isdigit()):
            raise ValueError
        return list(map(int, cells))


class Choice(Field):
    def __init__(self, options: tuple[str, ...], *, upper: bool = False):
        self.options, self.upper = options, upper

    def __call__(self, value: str) -> str:
        normal = value.upper() if self.upper else value.lower()
        if normal not in self.options:
            raise ValueError(f"{value!r} is not one of {', '.join(self.options)}")
        return normal

    def column(self, cells: list[str]) -> list[str]:
        normal = list(map(str.upper if self.upper else str.lower, cells))
        if not set(normal) <= set(self.options):
            raise ValueError
        return normal


class AcademicYear(Field):
    def __call__(self, value: str) -> str:
        if parse_academic_year(value) is None:
            raise ValueError(f"{value!r} is not an academic year such as 2012/13")
        return value

    def column(self, cells: list[str]) -> list[str]:
        for value in set(cells):  # a file names a handful of years
            self(value)
        return cells


class Checked(Field):
    """A value checked (and made canonical) by a pure rule that raises ValueError."""

    def __init__(self, check, column=None):
        self.check = check
        self._column = column  # the same check for a whole column, quicker

    def __call__(self, value: str) -> str:
        return self.check(value)

    def column(self, cells: list[str]) -> list[str]:
        if self._column is not None:
            return self._column(cells)
        return list(map(self.check, cells))


ref, date, flag, count, academic_year = Ref(), Date(), Flag(), Count(), AcademicYear()
nhs_number = Checked(identifiers.nhs_number, identifiers.nhs_numbers)
upn = Checked(identifiers.upn, identifiers.upns)
