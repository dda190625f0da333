"""Record-level scoping: the one place that decides which families a user may see."""

from __future__ import annotations

from flask import abort
from sqlalchemy import Select, false, select

from .. import models as m
from ..extensions import db

SEES_ALL = frozenset({"manager", "auditor", "admin"})


def visible_families(user: m.User) -> Select:
    """Return a SELECT of the families `user` may see; every family query starts here."""
    query = select(m.Family)
    if user.role in SEES_ALL:
        return query
    return query.where(false())


def get_family_or_404(user: m.User, family_ref: str) -> m.Family:
    """Return the family if it exists and the user may see it; 404 otherwise, alike."""
    family = db.session.scalar(
        visible_families(user).where(m.Family.family_ref == family_ref)
    )
    if family is None:
        abort(404)
    return family
