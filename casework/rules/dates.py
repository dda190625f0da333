"""Calendar arithmetic of the domain reference, section 2. Pure functions."""

from __future__ import annotations

import calendar
import datetime as dt
import functools

TERM_ORDER = ("autumn", "spring", "summer")


@functools.lru_cache(maxsize=65536)
def shift_months(d: dt.date, months: int) -> dt.date:
    """Return d moved by whole calendar months, the day clamped to the month's end."""
    index = d.year * 12 + (d.month - 1) + months
    year, month0 = divmod(index, 12)
    last_day = calendar.monthrange(year, month0 + 1)[1]
    return dt.date(year, month0 + 1, min(d.day, last_day))


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


_MONTHS = ("", "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def fmt(d: dt.date | None) -> str:
    """Format a date the GOV.UK way: 5 Jan 2013."""
    return f"{d.day} {_MONTHS[d.month]} {d.year}" if d else "none"


def academic_year_label(start_year: int) -> str:
    return f"{start_year}/{(start_year + 1) % 100:02d}"


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
