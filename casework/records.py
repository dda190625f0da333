"""Edit a family or a person without losing anyone's update: every save names the version it
was made from, and a save over a newer change is refused, showing both."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update

from . import episodes
from . import models as m
from .audit import record_event
from .evaluation import store
from .extensions import db
from .history import write_history
from .transaction import transactional


class StaleEdit(Exception):
    """Someone saved a newer version; `current` is what the record says now, read once the
    refused save has rolled back."""

    def __init__(self, record, fields: list[str]):
        super().__init__("the record was changed by someone else since you opened it")
        self.record, self.fields = record, fields

    @property
    def current(self) -> dict[str, Any]:
        db.session.refresh(self.record)
        return {k: getattr(self.record, k) for k in self.fields}


@transactional
def save_versioned(record, version: int, values: dict[str, Any], user: m.User,
                   record_type: str, ref: str, family_ref: str, source: str = "edited") -> None:
    """Apply `values` if the record is still at `version`; keep the change in history,
    saying where it came from (`source`)."""
    model = type(record)
    before = {k: getattr(record, k) for k in values}
    result = db.session.execute(
        update(model).where(model.id == record.id, model.version == version)
        .values(**values, version=model.version + 1)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise StaleEdit(record, list(values))
    changed = write_history(record_type, ref, before, values, user, source, family_ref)
    record_event("update", record_type, ref, user=user, detail=", ".join(changed)[:500])
    if model is m.Family and {"attached_on", "closed_on"} & set(changed):
        episodes.follow_family_dates([record.id], source, user)  # the family's episodes too
    family_id = record.id if model is m.Family else getattr(record, "family_id", None)
    if changed and family_id is not None:
        # In this transaction (an UPDATE the ORM's flush does not see): evaluated again once
        # the request is done (casework.evaluation.store.keep_current).
        store.mark_stale([family_id])
    db.session.flush()
    db.session.expire(record)  # the UPDATE went round the ORM: read the record again
