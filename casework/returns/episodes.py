"""A family's time in a programme, as the returns (the SSD's early help episodes, Ofsted's
list 2, the quarterly return) and the API read it: ONE function, `programme_episodes`, over
the episodes table (casework/episodes.py keeps it: a family's sign-up with consent to its
closure with a reason, one open at a time), as each stood on the date read."""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy import Select, select

from .. import models as m
from ..extensions import db


@dataclasses.dataclass(frozen=True)
class EpisodeRow:
    episode_id: str  # unique, letters and digits
    family_id: int
    family_ref: str
    programme: str
    start: dt.date
    end: dt.date | None  # None while open on the date read
    end_reason: str | None  # m.EPISODE_END_REASONS' code; None while open on the date
    worker_id: int | None  # the episode's lead professional (its FIP worker once allocated)


def programme_episodes(families: Select, as_of: dt.date) -> list[EpisodeRow]:
    """The episodes of these families (a SELECT of m.Family, already scoped) that started on
    or before `as_of`, as they stood on `as_of` (an end after it is not yet an end)."""
    E, F = m.Episode, m.Family
    scoped = families.subquery()
    rows = db.session.execute(
        select(E, F.family_ref).join(F, E.family_id == F.id)
        .where(E.family_id.in_(select(scoped.c.id)), E.signed_up_on <= as_of)
        .order_by(F.family_ref, E.signed_up_on, E.id)).all()
    out = []
    for e, ref in rows:
        ended = e.closed_on is not None and e.closed_on <= as_of
        out.append(EpisodeRow(str(e.id), e.family_id, ref, e.programme, e.signed_up_on,
                              e.closed_on if ended else None, e.end_reason if ended else None,
                              e.lead_id))
    return out
