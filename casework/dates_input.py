"""Read a date the user picked with the GOV.UK date input (NAME-day, NAME-month, NAME-year)."""

from __future__ import annotations

import datetime as dt

from werkzeug.datastructures import MultiDict

from . import clock

# The dates casework works with: the rules count years on from a date, which past these
# would overflow Python's dates (9999-12-31 plus a year), so later ones are refused.
EARLIEST, LATEST = dt.date(1900, 1, 1), dt.date(2199, 12, 31)
RANGE = f"between {EARLIEST.isoformat()} and {LATEST.isoformat()}"


def in_range(value: dt.date) -> bool:
    return EARLIEST <= value <= LATEST


def date_example(days: int = -30, today: dt.date | None = None) -> str:
    """A hint for a date input, in the order its fields are in: the date `days` from today
    (a recent one for what has happened, a coming one for what is due)."""
    day = (today or clock.today()) + dt.timedelta(days=days)
    return f"For example, {day.day} {day.month} {day.year}"


def picked_date(args: MultiDict, name: str, default: dt.date) -> tuple[dt.date, str | None]:
    """Return (date, error): the default with no error when nothing was entered."""
    parts = [args.get(f"{name}-{p}", "").strip() for p in ("day", "month", "year")]
    if not any(parts):
        iso = args.get(name, "").strip()
        if not iso:
            return default, None
        try:
            value = dt.date.fromisoformat(iso)
        except ValueError:
            return default, "Enter a real date"
        return (value, None) if in_range(value) else (default, f"Enter a date {RANGE}")
    if not all(parts):
        return default, "Enter the day, month and year"
    try:
        day, month, year = (int(p) for p in parts)
        if not EARLIEST.year <= year <= LATEST.year:
            raise ValueError
        return dt.date(year, month, day), None
    except ValueError:
        return default, f"Enter a real date. {date_example()}"
