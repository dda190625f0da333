"""The audit log: who viewed or changed which record, when, and from where."""

from __future__ import annotations

from flask import has_request_context, request
from flask_login import current_user
from sqlalchemy import event
from sqlalchemy.orm import Session

from . import models as m
from .extensions import db
from .transaction import transaction


def record_event(
    action: str,
    object_type: str | None = None,
    object_ref: str | None = None,
    *,
    user: m.User | None = None,
    detail: str | None = None,
) -> None:
    """Add an audit row to the current transaction (the caller commits)."""
    ip = None
    if has_request_context():
        ip = request.remote_addr
        if user is None and current_user.is_authenticated:
            user = current_user._get_current_object()
    db.session.add(
        m.AuditEvent(
            user_id=user.id if user else None,
            user_email=user.email if user else None,
            action=action,
            object_type=object_type,
            object_ref=object_ref,
            detail=detail[:500] if detail else None,
            ip=ip,
        )
    )


@event.listens_for(Session, "before_flush")
def _audit_rows_are_append_only(session, _context, _instances):
    """The audit log is written, never edited or deleted, through the app."""
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, m.AuditEvent) and (obj in session.deleted or session.is_modified(obj)):
            raise PermissionError("audit entries cannot be changed or deleted")



def shown(action: str, object_type: str | None = None, object_ref: str | None = None, *,
          page, user: m.User | None = None, detail: str | None = None):
    """Record that `page` was shown and return it. The page is rendered before this is
    called (every query of it done), so the audit row is written in a short transaction of
    its own: no page holds the database's write lock while it computes."""
    with transaction():
        record_event(action, object_type, object_ref, user=user, detail=detail)
    return page
