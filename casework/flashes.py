"""Messages shown once on the next page, kept in the database, never in the session cookie.

Flask's `flash` keeps its messages in the session, a cookie that is signed but not
encrypted: anyone holding it reads "Jones household signed up". Here a signed-in user's
messages are rows of `flash_messages`, read and deleted by the page that shows them; a
signed-out visitor's (only "You have signed out.", which names no one) stay in the cookie.
Every view flashes with `casework.flashes.flash`; a test refuses Flask's own in casework/.
"""

from __future__ import annotations

import flask
from flask import g
from flask_login import current_user
from sqlalchemy import delete, select

from . import models as m
from .extensions import db
from .transaction import transaction

MAX_MESSAGE = 2000


def flash(message: str) -> None:
    """Show `message` on the user's next page."""
    if current_user.is_authenticated:
        with transaction():
            db.session.add(m.FlashMessage(user_id=current_user.id, message=message[:MAX_MESSAGE]))
    else:
        flask.flash(message)  # nosec: signed out, nothing personal (see the module's note)


def get_flashed_messages() -> list[str]:
    """The messages waiting for this page, once: read and deleted (the template's)."""
    if "casework_flashes" in g:
        return g.casework_flashes
    messages = list(flask.get_flashed_messages())
    if current_user.is_authenticated:
        rows = db.session.execute(select(m.FlashMessage.id, m.FlashMessage.message).where(
            m.FlashMessage.user_id == current_user.id).order_by(m.FlashMessage.id)).all()
        if rows:
            _delete_shown([row.id for row in rows])
        messages += [row.message for row in rows]
    g.casework_flashes = messages
    return messages


def _delete_shown(ids: list[int]) -> None:
    """Delete the messages being shown, committed now, without expiring the records the page
    has already read: the template is half rendered, and an expired record is read again
    from the database one row at a time (hundreds of queries on a page of families). A page
    with no message commits nothing."""
    session = db.session()
    keep, session.expire_on_commit = session.expire_on_commit, False
    try:
        with transaction():
            db.session.execute(delete(m.FlashMessage).where(m.FlashMessage.id.in_(ids)))
    finally:
        session.expire_on_commit = keep
