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

TIMEZONE = ZoneInfo("Europe/London")


def now() -> dt.datetime:
    """The wall-clock time in England now, naive (as the forms' dates and times are)."""
    return dt.datetime.now(TIMEZONE).replace(tzinfo=None)


def today() -> dt.date:
    """The date in England now."""
    return now().date()
