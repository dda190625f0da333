"""Record history: the one way a change to a record is kept, so "what did it say before, who
changed it and how" is a query (record_history), never an archaeology project.

`change` makes the row for one change; `write_history` keeps one change in the session (an
edit), `write_changes` many at once, set-based (an import of 100,000 rows)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import insert

from . import models as m
from .extensions import db

CHUNK = 5000  # rows an INSERT


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def change(record_type: str, record_ref: str, before: dict[str, Any] | None,
           after: dict[str, Any], by: m.User | None, source: str = "edited",
           family_ref: str | None = None) -> dict[str, Any] | None:
    """The history row for the fields of `after` that differ from `before` (dates as ISO
    text), who changed them (`by`) and how (`source`); None for a new record (`before`
    None) or one left as it was."""
    if before is None:
        return None
    changed = sorted(k for k in after if before.get(k) != after[k])
    if not changed:
        return None
    return {"record_type": record_type, "record_ref": record_ref, "family_ref": family_ref,
            "changed_at": m.utcnow(), "changed_by_id": by.id if by else None,
            "source": source[:300],
            "before": {k: _plain(before.get(k)) for k in changed},
            "after": {k: _plain(after[k]) for k in changed}}


def write_history(record_type: str, record_ref: str, before: dict[str, Any] | None,
                  after: dict[str, Any], by: m.User | None, source: str = "edited",
                  family_ref: str | None = None) -> list[str]:
    """Keep one change (see `change`) in the caller's transaction; return the names of the
    fields that changed."""
    row = change(record_type, record_ref, before, after, by, source, family_ref)
    if row is None:
        return []
    db.session.add(m.RecordHistory(**row))
    return sorted(row["after"])


def write_changes(rows: Iterable[dict[str, Any] | None]) -> None:
    """Keep many changes made by `change` (None: nothing changed) in the caller's
    transaction, a few thousand an INSERT."""
    kept = [row for row in rows if row is not None]
    for i in range(0, len(kept), CHUNK):
        db.session.execute(insert(m.RecordHistory), kept[i : i + CHUNK])
