"""What 'now' and 'today' are for the people using casework: the time in England
(Europe/London, GMT in winter and BST in summer), whatever the server's own clock is set
to. A council's servers often run on UTC: in British Summer Time its midnight is 1 a.m. in
England, so a contact logged at 00:30 for 00:15 would have been refused as in the future,
and a date typed at 00:30 judged against yesterday. Every judgement of a user's date or
time asks here (a test refuses `date.today()` and `datetime.now()` elsewhere in casework/);
timestamps kept for the record (models.utcnow) stay in UTC.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from .rules.dates import govdatetime

TIMEZONE = ZoneInfo("Europe/London")


def now() -> dt.datetime:
    """The wall-clock time in England now, naive (as the forms' dates and times are)."""
    return dt.datetime.now(TIMEZONE).replace(tzinfo=None)


def today() -> dt.date:
    """The date in England now."""
    return now().date()


def england(stamp: dt.datetime | None) -> dt.datetime | None:
    """A timestamp kept for the record in UTC (naive, as models.utcnow keeps it) as the time
    in England at that moment, saying its offset: 13:30 UTC on 1 July is 14:30+01:00 (BST),
    on 1 December 14:30+00:00 (GMT). For a file a person reads that must say which time it
    gives (the subject access export)."""
    if stamp is None:
        return None
    aware = stamp if stamp.tzinfo is not None else stamp.replace(tzinfo=dt.UTC)
    return aware.astimezone(TIMEZONE)


def local(stamp: dt.datetime | None) -> dt.datetime | None:
    """A timestamp kept for the record in UTC (models.utcnow: a job's, a change's, an audit
    row's) as the wall-clock time in England at that moment, naive: 13:30 UTC on 1 July is
    14:30 BST, on 1 December 14:30 is 14:30 GMT. Every page, PDF, export and command that
    shows such a time to a user shows it through here (the `local_time` filter)."""
    if stamp is None:
        return None
    return england(stamp).replace(tzinfo=None)


def wall_clock(moment: dt.datetime | None) -> dt.datetime | None:
    """A time typed in England and kept as typed (a contact's date and time), with England's
    offset then: for the same files as `england`."""
    return moment.replace(tzinfo=TIMEZONE) if moment is not None and moment.tzinfo is None \
        else moment


def local_time(stamp: dt.datetime | None) -> str:
    """A timestamp kept in UTC as a user reads it, in England's time: "29 March 2026 at
    02:30" (BST) for 01:30 UTC that day; "" for none. The one helper every page and PDF
    uses (the `local_time` filter) for when a job was asked for, a record changed, the
    figures were counted or a claim was decided."""
    return govdatetime(local(stamp))


def utc_start(day: dt.date) -> dt.datetime:
    """England's midnight at the start of `day` as the naive UTC time the record keeps: a
    search of the timestamps of whole days in England (the audit log's from and to)."""
    return dt.datetime.combine(day, dt.time(), TIMEZONE).astimezone(dt.UTC).replace(tzinfo=None)
