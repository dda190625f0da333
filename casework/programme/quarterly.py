"""The programme's quarterly return: for each quarter (a financial-year quarter, Q1 April to
June) and programme, the families identified, eligible and signed up in it, held by a worker
at its end, whose episodes closed in it (by reason), and the claims made in it with how many
are validated and submitted now. Every family and claim figure is casework/evaluation/figures.py's own
(the dashboard's), taken at the quarter's last day less the day before its first; closures
are the episodes' (casework/returns/episodes.py). docs/returns.md maps each column."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from sqlalchemy import Select

from .. import clock
from .. import models as m
from ..evaluation import figures
from ..returns.episodes import programme_episodes
from ..rules.ruleset import PROGRAMMES
from .service import Quarter, quarters

REASONS = tuple(m.EPISODE_END_REASONS)
COLUMNS = (("programme", "quarter", "first_day", "last_day", "identified", "eligible",
            "signed_up", "with_worker_at_end", "closed")
           + tuple(f"closed_{r}" for r in REASONS)
           + ("claims_made", "claims_made_pounds",
              "claims_validated", "claims_submitted"))


def quarter_rows(families: Select, q: Quarter, today: dt.date | None = None) -> list[dict]:
    """The return's rows for one quarter, one a programme that had signed up any of these
    families by its end (and always the council's current one), for these families (a
    SELECT already scoped: a user's visible_families, or every family for the command line);
    a quarter still running: so far. Each programme's row is its own: its families
    identified and eligible under its own rules (the stored evaluation of each programme),
    its sign-ups and claims."""
    today = today or clock.today()
    last = min(q.last, today)
    episodes = programme_episodes(families, last)
    current = figures.scope(None, families=families, as_of=last).ruleset
    running = {e.programme for e in episodes} | {current}
    return [quarter_row(families, q, programme, episodes, today)
            for programme in PROGRAMMES if programme in running]


def quarter_row(families: Select, q: Quarter, programme: str, episodes, today: dt.date) -> dict:
    last = min(q.last, today)
    end = figures.scope(None, families=families, as_of=last, programme=programme)
    before = figures.scope(None, families=families, as_of=q.first - dt.timedelta(days=1),
                           programme=programme)
    wanted = ("identified", "eligible", "attached")
    now, then = figures.family_counts(end, wanted), figures.family_counts(before, wanted)
    claims_now, claims_then = figures.claim_totals(end), figures.claim_totals(before)
    closed = Counter(e.end_reason for e in episodes
                     if e.programme == programme and e.end is not None
                     and q.first <= e.end <= last)
    row = {"programme": programme, "quarter": q.key, "first_day": q.first.isoformat(),
           "last_day": last.isoformat(),
           "identified": now["identified"] - then["identified"],
           "eligible": now["eligible"] - then["eligible"],
           "signed_up": now["attached"] - then["attached"],
           "with_worker_at_end": figures.with_worker_count(end),
           "closed": sum(closed.values())}
    for reason in REASONS:
        row[f"closed_{reason}"] = closed.get(reason, 0)
    for state, column in (("claimed", "claims_made"), ("validated", "claims_validated"),
                          ("submitted", "claims_submitted")):
        row[column] = claims_now[state]["claims"] - claims_then[state]["claims"]
    row["claims_made_pounds"] = (claims_now["claimed"]["amount"]
                                 - claims_then["claimed"]["amount"])
    return row


def quarterly_return(families: Select, first: Quarter | None = None,
                     last: Quarter | None = None, today: dt.date | None = None) -> list[dict]:
    """The return's rows, oldest quarter first (and within one, the programmes in the order
    they ran), from `first` (default the programme's first quarter) to `last` (default
    today's)."""
    today = today or clock.today()
    chosen = [q for q in reversed(quarters(today))
              if (first is None or (q.year, q.number) >= (first.year, first.number))
              and (last is None or (q.year, q.number) <= (last.year, last.number))]
    return [row for q in chosen for row in quarter_rows(families, q, today)]
