"""Calendar arithmetic: months, windows, ages, terms and years (docs/rules.md, "Dates and
windows"). Pure functions."""

from __future__ import annotations

import datetime as dt
import functools
import re

from dateutil.relativedelta import relativedelta

TERM_ORDER = ("autumn", "spring", "summer")  # the school terms, in a year's order


@functools.lru_cache(maxsize=65536)
def shift_months(d: dt.date, months: int) -> dt.date:
    """Return d moved by whole calendar months, the day clamped to the month's end."""
    return d + relativedelta(months=months)


def months_before(d: dt.date, months: int) -> dt.date:
    return shift_months(d, -months)


def months_after(d: dt.date, months: int) -> dt.date:
    return shift_months(d, months)


def age_on(date_of_birth: dt.date, on: dt.date) -> int:
    """Return whole years from date_of_birth to on (a 29 Feb birthday counts on 1 Mar)."""
    years = on.year - date_of_birth.year
    if (on.month, on.day) < (date_of_birth.month, date_of_birth.day):
        years -= 1
    return years


def term_starts(term_ends: tuple[tuple[str, int, int, int], ...]) -> dict[str, tuple[int, int, int]]:
    """Each term's first day as (month, day, years after the academic year's first calendar
    year), from the calendar's end dates (Ruleset.term_ends, in a year's order): the day
    after the term before it ends (the first term's: after the year before's last term).
    With the default ends: autumn 1 August, spring 1 January, summer 1 April."""
    starts = {}
    for i, (name, *_rest) in enumerate(term_ends):
        _, month, day, years_after = term_ends[i - 1]
        if i == 0:
            years_after -= 1
        after = dt.date(2001 + years_after, month, day) + dt.timedelta(days=1)
        starts[name] = (after.month, after.day, after.year - 2001)
    return starts


# The one date formatter: pages and PDFs (govdate, govdatetime, the `govdate` filter) and the
# rules' evidence text (fmt, the short form) all write dates the GOV.UK way through it.
_MONTHS = ("", "January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")


def govdate(value: dt.date | None, empty: str = "", *, short: bool = False) -> str:
    """Format a date the GOV.UK way: 5 January 2013 (short: 5 Jan 2013)."""
    if not value:
        return empty
    month = _MONTHS[value.month]
    return f"{value.day} {month[:3] if short else month} {value.year}"


def govdatetime(value: dt.datetime | None) -> str:
    """5 January 2013 at 14:05."""
    return f"{govdate(value)} at {value:%H:%M}" if value else ""


def dates_in_text(text: str | None) -> str:
    """Free text with each ISO date in it ("as of 2013-09-30") written the GOV.UK way
    ("as of 30 September 2013"); anything that is not a real date is left as it is."""

    def one(match) -> str:
        try:
            return govdate(dt.date.fromisoformat(match.group(0)))
        except ValueError:
            return match.group(0)

    return _ISO_IN_TEXT.sub(one, text or "")


_ISO_IN_TEXT = re.compile(r"(?<![\d-])\d{4}-\d{2}-\d{2}(?![\d-])")


@functools.lru_cache(maxsize=65536)  # the rules write the same few dates over and over
def fmt(d: dt.date | None) -> str:
    """The rules' and claim PDFs' evidence dates: 5 Jan 2013, or 'none'."""
    return govdate(d, "none", short=True)


@functools.lru_cache(maxsize=1024)
def parse_academic_year(label: str) -> int | None:
    """Return the start year of '2012/13', or None when the label is not of that form."""
    if len(label) != 7 or label[4] != "/" or not (label[:4] + label[5:]).isdigit():
        return None
    start = int(label[:4])
    if int(label[5:]) != (start + 1) % 100:
        return None
    return start


def financial_year_start(d: dt.date) -> int:
    """Return the calendar year in which d's financial year (1 April - 31 March) starts."""
    return d.year if d.month >= 4 else d.year - 1
