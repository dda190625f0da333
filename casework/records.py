"""Edit a family or a person without losing anyone's update: every save names the version it
was made from, and a save over a newer change is refused, showing both."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update

from . import models as m
from .audit import record_event
from .evaluation import store
from .extensions import db
from .history import write_history


class StaleEdit(Exception):
    """Someone saved a newer version; `current` holds what the record says now."""

    def __init__(self, current: dict[str, Any]):
        super().__init__("the record was changed by someone else since you opened it")
        self.current = current


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
        db.session.rollback()
        db.session.refresh(record)
        raise StaleEdit({k: getattr(record, k) for k in values})
    changed = write_history(record_type, ref, before, values, user, source, family_ref)
    record_event("update", record_type, ref, user=user, detail=", ".join(changed)[:500])
    family_id = record.id if model is m.Family else getattr(record, "family_id", None)
    if changed and family_id is not None:
        # In this transaction (an UPDATE the ORM's flush does not see): evaluated again once
        # the request is done (casework.evaluation.store.keep_current).
        store.queue([family_id])
    db.session.commit()
    db.session.refresh(record)
