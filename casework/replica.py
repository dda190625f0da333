"""Reads that may come from the PostgreSQL read replica (DATABASE_REPLICA_URL).

A report, a return or an export reads a great deal and writes nothing but its audit row, and
a second behind the primary is no loss to it: `with reads():` sends its SELECTs to the
replica, so a council can take that load off the primary. Nothing else reads there. A read
that must see the user's own write (a page after a change, a claims build's check of the
claims already made, anything under a lock) stays on the primary: it simply does not ask.

The primary is read instead, and the report is no different, when no replica is configured,
when this transaction has already written (its own change would be missing from the
replica), when the replica cannot be reached, or when it is more than
REPLICA_MAX_LAG_SECONDS behind (it has stopped replaying, or lost its primary).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

from flask import current_app
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, PendingRollbackError

from .extensions import REPLICA, WROTE, db, reading_replica

log = logging.getLogger(__name__)

# Seconds the replica is behind: 0 when it has replayed all it has received (or is not a
# standby at all), otherwise since the last transaction it replayed.
LAG = text("""
    SELECT CASE
      WHEN NOT pg_is_in_recovery() THEN 0
      WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
      ELSE EXTRACT(EPOCH FROM now() - COALESCE(pg_last_xact_replay_timestamp(),
                                               pg_postmaster_start_time()))
    END
""")


def configured() -> bool:
    return REPLICA in db.engines


def lag_seconds() -> float | None:
    """How far behind the replica is, or None when it cannot be reached."""
    engine = db.engines[REPLICA]
    try:
        with engine.connect() as connection:
            if engine.dialect.name != "postgresql":
                return 0.0
            return float(connection.execute(LAG).scalar() or 0)
    except (DBAPIError, PendingRollbackError) as error:
        log.warning("the read replica cannot be reached, reading the primary: %s",
                    str(error).splitlines()[0])
        engine.dispose()  # its pooled connections are dead: the next read connects afresh
        return None


def usable() -> bool:
    """Whether a read here may go to the replica (see the module's docstring)."""
    if not configured():
        return False
    session = db.session()
    if session.info.get(WROTE) or session.new or session.dirty or session.deleted:
        return False
    lag = lag_seconds()
    if lag is None:
        return False
    if lag > current_app.config["REPLICA_MAX_LAG_SECONDS"]:
        log.warning("the read replica is %.0f s behind the primary, reading the primary", lag)
        return False
    return True


@contextlib.contextmanager
def reads() -> Iterator[bool]:
    """Send this block's reads to the replica when it may serve them; yield whether it
    does. Writing inside the block fails (the replica is read-only): write after it."""
    if not usable():
        yield False
        return
    token = reading_replica.set(True)
    try:
        yield True
    finally:
        reading_replica.reset(token)
