"""Record history: the one way a change to a record is kept, so "what did it say before, who
changed it and how" is a query (record_history), never an archaeology project."""

from __future__ import annotations

import datetime as dt
from typing import Any

from . import models as m
from .extensions import db


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def write_history(record_type: str, record_ref: str, before: dict[str, Any] | None,
                  after: dict[str, Any], by: m.User | None, source: str = "edited",
                  family_ref: str | None = None) -> list[str]:
    """Keep the fields of `after` that differ from `before` (dates as ISO text), who changed
    them (`by`) and how (`source`), in the caller's transaction. A new record (`before` None)
    or one left as it was keeps nothing. Returns the names of the changed fields."""
    if before is None:
        return []
    changed = sorted(k for k in after if before.get(k) != after[k])
    if changed:
        db.session.add(m.RecordHistory(
            record_type=record_type, record_ref=record_ref, family_ref=family_ref,
            changed_by_id=by.id if by else None, source=source,
            before={k: _plain(before.get(k)) for k in changed},
            after={k: _plain(after[k]) for k in changed}))
    return changed
