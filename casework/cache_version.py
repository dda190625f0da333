"""The cache version: a number for the data the programme's figures are counted from, so
that a summary counted once can be served again until something it counts changes. (Not the
versions of records: an edit refused over a newer one is casework/records.py.)

Every statement casework runs is watched: an INSERT, UPDATE or DELETE on any table the
figures may read (families and their evidence, the stored evaluation, claims, allocations,
contacts, users...: every table but those listed below) marks the connection, and the transaction that made it bumps
`data_versions.figures` just before it commits, in the same transaction (so the version's
row is locked only for that moment, not for a long import). Reading the version is
one primary-key lookup; any process that sees the new number counts afresh. Audit rows,
sign-in counters, jobs and the like are not watched: reading a page (which writes its audit
row) does not make every page count again.
"""

from __future__ import annotations

import re
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from . import models as m
from .extensions import db

FIGURES = "figures"
# Every table is watched but these, which no figure counts: what reading a page writes (its
# audit row), the sign-in counters, jobs and their files, search documents, the families
# marked stale (to evaluate again), matching's work, import history and this table itself.
UNWATCHED_TABLES = frozenset({
    "audit_events", "record_history", "sign_in_counters", "jobs", "claim_batch_pdfs",
    "family_search", "evaluation_queue", "data_versions", "match_models", "match_reviews",
    "match_links", "import_runs", "claim_samples", "flash_messages",
    "stored_figures",  # counted from the others: their own version is below (stored_as)
})
_DML = re.compile(r'\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)', re.I)
_CHANGED = "casework_figures_changed"
CACHE_SIZE = 512  # summaries kept in each process


def mark_changed(conn, table: str) -> None:
    """Say that `table` was written on this connection by means the engine does not see
    (the driver's COPY or executemany)."""
    if table not in UNWATCHED_TABLES:
        conn.info[_CHANGED] = True


def _watch(conn, _cursor, statement, _parameters, _context, _executemany) -> None:
    match = _DML.match(statement)
    if match:
        mark_changed(conn, match.group(1).lower())


def _forget(conn) -> None:
    if conn.invalidated:  # its server went away: nothing to forget, and no info to read
        return
    conn.info.pop(_CHANGED, None)


def _upsert(conn, name: str, version, set_) -> None:
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    V = m.DataVersion
    statement = dialect.insert(V).values(name=name, version=version)
    conn.execute(statement.on_conflict_do_update(index_elements=[V.name], set_={"version": set_}))


def _bump(session: Session) -> None:
    if not session.in_transaction():
        return
    session.flush()  # commit flushes after this hook: write what is pending first
    conn = session.connection()
    if conn.info.pop(_CHANGED, False):
        # One upsert: the first write of a new (or emptied) database starts the count at a
        # random number, so a process's cached figures of another database never match it.
        _upsert(conn, FIGURES, secrets.randbits(62), m.DataVersion.version + 1)


def record(session: Session, name: str, version: int) -> None:
    """Record under `name` the version something was counted at (the stored figures')."""
    _upsert(session.connection(), name, version, version)


def versions(names: list[str]) -> dict[str, int]:
    """The versions recorded under these names (FIGURES: the data's now)."""
    V = m.DataVersion
    return dict(db.session.execute(select(V.name, V.version).where(V.name.in_(names))).all())


def init_watch() -> None:
    """Listen once per process (every engine and session of casework)."""
    if not event.contains(Engine, "before_cursor_execute", _watch):
        event.listen(Engine, "before_cursor_execute", _watch)
        event.listen(Engine, "rollback", _forget)
        event.listen(Session, "before_commit", _bump)


def current() -> int | None:
    """The figures' data version now (None before any write has recorded one)."""
    return db.session.scalar(select(m.DataVersion.version).where(m.DataVersion.name == FIGURES))


_cache: OrderedDict[Hashable, tuple[int, Any]] = OrderedDict()
_lock = threading.Lock()


_large: OrderedDict[Hashable, tuple[int, Any]] = OrderedDict()
LARGE_CACHE_SIZE = 8  # orderings of every family (about 1 MB each at 120,000 families)


def cached(key: Hashable, compute: Callable[[], Any], large: bool = False) -> Any:
    """compute(), or what it gave for `key` at the data version that holds now. The value
    must be plain data (no database objects: it outlives the session). `large` values (a
    list of every family's id) are kept a few at a time."""
    version = current()
    if version is None:
        return compute()
    cache, size = (_large, LARGE_CACHE_SIZE) if large else (_cache, CACHE_SIZE)
    with _lock:
        hit = cache.get(key)
        if hit is not None and hit[0] == version:
            cache.move_to_end(key)
            return hit[1]
    value = compute()
    with _lock:
        cache[key] = (version, value)
        cache.move_to_end(key)
        while len(cache) > size:
            cache.popitem(last=False)
    return value


def clear() -> None:
    with _lock:
        _cache.clear()
        _large.clear()
