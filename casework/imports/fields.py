"""Parsers for the contract's CSV values. Each returns a value or raises ValueError(message)."""

from __future__ import annotations

import datetime as dt
import re

from ..rules.dates import parse_academic_year

REF_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,32}")
DATE_PATTERN = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
COUNT_PATTERN = re.compile(r"[+-]?[0-9]+")
FLAGS = {"y": True, "yes": True, "n": False, "no": False}


def ref(value: str) -> str:
    if not REF_PATTERN.fullmatch(value):
        raise ValueError(
            f"{value!r} is not a reference: use 1 to 32 letters, digits, '-' or '_'"
        )
    return value


def text(limit: int):
    def parse(value: str) -> str:
        if len(value) > limit:
            raise ValueError(f"is {len(value)} characters long; at most {limit} are allowed")
        return value

    return parse


def date(value: str) -> dt.date:
    if not DATE_PATTERN.fullmatch(value):
        raise ValueError(f"{value!r} is not a date in the form YYYY-MM-DD")
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a real date") from None


def flag(value: str) -> bool:
    try:
        return FLAGS[value.lower()]
    except KeyError:
        raise ValueError(f"{value!r} is not a flag: use y or n") from None


def count(value: str) -> int:
    if value.isdigit() and value.isascii():  # the usual case, without a regular expression
        return int(value)
    if not COUNT_PATTERN.fullmatch(value):
        raise ValueError(f"{value!r} is not a whole number")
    number = int(value)
    if number < 0:
        raise ValueError(f"{value} is negative; it must be 0 or more")
    return number


def choice(options: tuple[str, ...], *, upper: bool = False):
    def parse(value: str) -> str:
        normal = value.upper() if upper else value.lower()
        if normal not in options:
            raise ValueError(f"{value!r} is not one of {', '.join(options)}")
        return normal

    return parse


def academic_year(value: str) -> str:
    if parse_academic_year(value) is None:
        raise ValueError(f"{value!r} is not an academic year such as 2012/13")
    return value
