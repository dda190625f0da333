"""A family's time in the programme, as the returns (the SSD's early help episodes, Ofsted's
list 2, the quarterly return) read it: ONE function, `programme_episodes`, so that the
returns read episodes from one place.

Until casework keeps episodes of its own (a family's sign-up to closure with a reason, one
open at a time), an episode is read from the family's attachment: it starts on
families.attached_on and ends on families.closed_on, with the outcome and worker of the
allocation that closed it. When the `episodes` table exists, only this function changes:
one row per Episode (its id, programme, signed_up_on, closed_on, end_reason, lead)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict

from sqlalchemy import Select, select

from .. import models as m
from ..evaluation.service import current_ruleset
from ..extensions import db
from ..lookups import one_of_chunks


@dataclasses.dataclass(frozen=True)
class EpisodeRow:
    episode_id: str  # unique, letters and digits
    family_id: int
    family_ref: str
    programme: str
    start: dt.date
    end: dt.date | None  # None while open on the date read
    end_reason: str | None  # a closure outcome's code; None when open or not recorded
    worker_id: int | None  # the worker holding the family at the end (or on the date)


def programme_episodes(families: Select, as_of: dt.date) -> list[EpisodeRow]:
    """The episodes of these families (a SELECT of m.Family, already scoped) that started on
    or before `as_of`, as they stood on `as_of` (an end after it is not yet an end)."""
    F = m.Family
    scoped = families.subquery()
    rows = db.session.execute(
        select(F.id, F.family_ref, F.attached_on, F.closed_on)
        .where(F.id.in_(select(scoped.c.id)), F.attached_on.is_not(None),
               F.attached_on <= as_of).order_by(F.family_ref)).all()
    allocations: dict[int, list[m.Allocation]] = defaultdict(list)
    for where in one_of_chunks(m.Allocation.family_id, [r.id for r in rows]):
        for a in db.session.scalars(select(m.Allocation).where(where)
                                    .order_by(m.Allocation.start_on, m.Allocation.id)):
            allocations[a.family_id].append(a)
    programme = current_ruleset().name
    out = []
    for fid, ref, start, closed in rows:
        end = closed if closed is not None and start <= closed <= as_of else None
        held = [a for a in allocations[fid] if a.start_on <= (end or as_of)
                and (a.end_on is None or a.end_on >= (end or as_of))]
        closing = next((a for a in reversed(allocations[fid])
                        if end is not None and a.end_kind == "closure" and a.end_on == end), None)
        worker = closing or (held[-1] if held else None)
        out.append(EpisodeRow(f"{fid}", fid, ref, programme, start, end,
                              closing.outcome if closing else None,
                              worker.worker_id if worker else None))
    return out
