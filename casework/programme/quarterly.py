"""The programme's quarterly return: for each quarter (a financial-year quarter, Q1 April to
June) and programme, the families identified, eligible and signed up in it, held by a worker
at its end, closed in it (by reason), and the claims made in it with how many are validated
and submitted now. Every family and claim figure is casework/evaluation/figures.py's own
(the dashboard's), taken at the quarter's last day less the day before its first; closures
are the episodes' (casework/returns/episodes.py). docs/returns.md maps each column."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from sqlalchemy import Select

from ..evaluation import figures
from ..returns.episodes import programme_episodes
from ..returns.ssd import CLOSURE_LABELS
from .service import Quarter, quarters

REASONS = tuple(CLOSURE_LABELS)
COLUMNS = (("programme", "quarter", "first_day", "last_day", "identified", "eligible",
            "signed_up", "with_worker_at_end", "closed")
           + tuple(f"closed_{r}" for r in REASONS)
           + ("closed_reason_not_recorded", "claims_made", "claims_made_pounds",
              "claims_validated", "claims_submitted"))


def quarter_row(families: Select, q: Quarter, today: dt.date | None = None) -> dict:
    """The return's row for one quarter, for these families (a SELECT already scoped: a
    user's visible_families, or every family for the command line); a quarter still running:
    so far."""
    today = today or dt.date.today()
    last = min(q.last, today)
    end = figures.scope(None, families=families, as_of=last)
    before = figures.scope(None, families=families, as_of=q.first - dt.timedelta(days=1))
    wanted = ("identified", "eligible", "attached")
    now, then = figures.family_counts(end, wanted), figures.family_counts(before, wanted)
    claims_now, claims_then = figures.claim_totals(end), figures.claim_totals(before)
    closed = Counter(e.end_reason for e in programme_episodes(families, last)
                     if e.end is not None and q.first <= e.end <= last)
    row = {"programme": end.ruleset, "quarter": q.key, "first_day": q.first.isoformat(),
           "last_day": last.isoformat(),
           "identified": now["identified"] - then["identified"],
           "eligible": now["eligible"] - then["eligible"],
           "signed_up": now["attached"] - then["attached"],
           "with_worker_at_end": figures.with_worker_count(end),
           "closed": sum(closed.values())}
    for reason in REASONS:
        row[f"closed_{reason}"] = closed.get(reason, 0)
    row["closed_reason_not_recorded"] = closed.get(None, 0)
    for state, column in (("claimed", "claims_made"), ("validated", "claims_validated"),
                          ("submitted", "claims_submitted")):
        row[column] = claims_now[state]["claims"] - claims_then[state]["claims"]
    row["claims_made_pounds"] = (claims_now["claimed"]["amount"]
                                 - claims_then["claimed"]["amount"])
    return row


def quarterly_return(families: Select, first: Quarter | None = None,
                     last: Quarter | None = None, today: dt.date | None = None) -> list[dict]:
    """The return's rows, oldest quarter first, from `first` (default the programme's first
    quarter) to `last` (default today's)."""
    today = today or dt.date.today()
    chosen = [q for q in reversed(quarters(today))
              if (first is None or (q.year, q.number) >= (first.year, first.number))
              and (last is None or (q.year, q.number) <= (last.year, last.number))]
    return [quarter_row(families, q, today) for q in chosen]
