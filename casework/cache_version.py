"""The cache versions: numbers for the data the programme's figures and lists are counted
from, so that a summary or list counted once can be served again until something it reads
changes. (Not the versions of records: an edit refused over a newer one is
casework/records.py.)

Every statement casework runs is watched. An INSERT, UPDATE or DELETE on a table notes the
table on the connection, and the transaction that made it moves, just before it commits and
in the same transaction (so a version's row is locked only for that moment, not for a long
import):

- the table's own version, `data_versions` row `t:TABLE`, for every table but the NOISY
  ones (what reading a page or signing in writes: audit rows, sign-in counters, jobs,
  messages);
- `data_versions.figures`, the version of everything the programme's figures may count:
  moved by a write to any table but those of UNWATCHED_TABLES (the noisy ones, and those
  written beside the watched ones: search documents, the families marked stale, matching's
  work, import history, and the stored figures themselves, whose version is their own).

`cached(key, compute)` serves a value counted once while every table compute read is
unchanged: it notes the tables of every statement compute runs (a SELECT names them) and
keeps their versions with the value, so a contact logged on one family does not reorder the
waiting list (which reads no contact), while an allocation does. A table that has no
version of its own (a noisy one, the search documents) stands for `figures`: a value that
read one is counted again after any watched write. The versions live in the database, so
every process (each gunicorn worker) sees a write at once. Reading them is one query of a
small table.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
import hmac
import pickle  # nosec B403: only casework's own summaries, written by its own job worker
import re
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from pathlib import Path
from typing import Any

from flask import current_app, g
from sqlalchemy import event, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from . import models as m
from .extensions import db

FIGURES = "figures"
# How many times the figures were stored since the job worker last counted their summaries
# for every process (0: it has counted those of the figures stored now).
SHARING = "sharing"
EPOCH = "epoch"  # a random number written by a database's first watched write, never moved
TABLE = "t:"  # prefix of a table's own version
# What reading a page or signing in writes: these never move a version, and a value that
# read one of them stands on `figures` instead.
NOISY_TABLES = frozenset({
    "audit_events", "sign_in_counters", "jobs", "claim_batch_pdfs", "flash_messages",
    "data_versions", "shared_summaries",
})
# Every table moves `figures` but these, which no figure counts: the noisy ones, the record
# history (written beside the records themselves), search documents, the families marked
# stale (to evaluate again), matching's work, import history and the stored figures.
UNWATCHED_TABLES = NOISY_TABLES | frozenset({
    "record_history", "family_search", "evaluation_queue", "match_models", "match_reviews",
    "match_links", "import_runs", "claim_samples",
    "api_tokens",  # every API call notes its token's last use: a call is not a change
    "stored_figures",  # counted from the others: their own version is below (stored_as)
})
_DML = re.compile(r'\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)', re.I)
_WORD = re.compile(r"[a-z_][a-z0-9_]*")
_CHANGED = "casework_tables_changed"
CACHE_SIZE = 512  # summaries kept in each process


def mark_changed(conn, table: str) -> None:
    """Say that `table` was written on this connection by means the engine does not see
    (the driver's COPY or executemany)."""
    if table not in NOISY_TABLES:
        conn.info.setdefault(_CHANGED, set()).add(table)


class _Reading(threading.local):
    def __init__(self) -> None:
        self.stack: list[set[str]] = []  # the tables read by each cached() computing now


_reading = _Reading()
_tables: frozenset[str] | None = None


def _known_tables() -> frozenset[str]:
    global _tables
    if _tables is None:
        _tables = frozenset(db.metadata.tables)
    return _tables


def _watch(conn, _cursor, statement, _parameters, _context, _executemany) -> None:
    match = _DML.match(statement)
    if match:
        mark_changed(conn, match.group(1).lower())
    if _reading.stack:
        read = _known_tables().intersection(_WORD.findall(statement.lower()))
        for tables in _reading.stack:
            tables |= read


def _forget(conn) -> None:
    if conn.invalidated:  # its server went away: nothing to forget, and no info to read
        return
    conn.info.pop(_CHANGED, None)


def _insert(conn, model=m.DataVersion):
    return (postgresql if conn.dialect.name == "postgresql" else sqlite).insert(model)


def _upsert(conn, name: str, version, set_) -> None:
    V = m.DataVersion
    statement = _insert(conn).values(name=name, version=version)
    conn.execute(statement.on_conflict_do_update(index_elements=[V.name], set_={"version": set_}))


def _bump(session: Session) -> None:
    if not session.in_transaction():
        return
    session.flush()  # commit flushes after this hook: write what is pending first
    conn = session.connection()
    tables = conn.info.pop(_CHANGED, None)
    if not tables:
        return
    # One upsert: the first write of a table (or of a new or emptied database) starts its
    # count at a random number, so a process's cached values of another database never
    # match it.
    names = sorted(TABLE + t for t in tables if t not in UNWATCHED_TABLES or t == "stored_figures")
    if not tables <= UNWATCHED_TABLES:
        names.append(FIGURES)
    if names:
        V = m.DataVersion
        statement = _insert(conn).values(
            [{"name": name, "version": secrets.randbits(62)} for name in names])
        conn.execute(statement.on_conflict_do_update(index_elements=[V.name],
                                                     set_={"version": V.version + 1}))
        conn.execute(_insert(conn).values(name=EPOCH, version=secrets.randbits(62))
                     .on_conflict_do_nothing(index_elements=[V.name]))


def record(session: Session, name: str, version: int) -> None:
    """Record under `name` the version something was counted at (the stored figures')."""
    _upsert(session.connection(), name, version, version)


def versions(names: list[str]) -> dict[str, int]:
    """The versions recorded under these names (FIGURES: the data's now)."""
    V = m.DataVersion
    return dict(db.session.execute(select(V.name, V.version).where(V.name.in_(names))).all())


def _every_version() -> dict[str, int]:
    V = m.DataVersion
    return dict(db.session.execute(select(V.name, V.version).where(
        (V.name.in_((FIGURES, EPOCH, SHARING))) | V.name.startswith(TABLE))).all())


def init_watch() -> None:
    """Listen once per process (every engine and session of casework)."""
    if not event.contains(Engine, "before_cursor_execute", _watch):
        event.listen(Engine, "before_cursor_execute", _watch)
        event.listen(Engine, "rollback", _forget)
        event.listen(Session, "before_commit", _bump)


def current() -> int | None:
    """The figures' data version now (None before any write has recorded one)."""
    return db.session.scalar(select(m.DataVersion.version).where(m.DataVersion.name == FIGURES))


def depends_on(tables: set[str]) -> tuple[str, ...]:
    """The version names a value read from `tables` stands on: each table's own, or
    `figures` for a table without one; and the database's epoch."""
    names = {EPOCH}
    for table in tables:
        if table in NOISY_TABLES or (table in UNWATCHED_TABLES and table != "stored_figures"):
            if table != "data_versions":
                names.add(FIGURES)
        else:
            names.add(TABLE + table)
    return tuple(sorted(names))


_cache: OrderedDict[Hashable, tuple[tuple[str, ...], tuple, Any]] = OrderedDict()
_lock = threading.Lock()


_large: OrderedDict[Hashable, tuple[tuple[str, ...], tuple, Any]] = OrderedDict()
LARGE_CACHE_SIZE = 8  # orderings of every family (about 1 MB each at 120,000 families)


def _writing() -> bool:
    """Whether this session's transaction has written something not yet committed: a value
    counted over it is not what other requests see, and is not kept."""
    return bool(db.session.connection().info.get(_CHANGED))


def cached(key: Hashable, compute: Callable[[], Any], large: bool = False,
           on: tuple[str, ...] | None = None) -> Any:
    """compute(), or what it gave for `key` while no table it read has changed since (or,
    given `on`, while none of those versions has moved: a summary drawn from the stored
    figures is counted again when they are, not on every change; and what the job worker
    counted for it at those versions, sharing(), is read instead of counting it). The value
    must be plain data (no database objects: it outlives the session). `large` values (a
    list of every family's id) are kept a few at a time."""
    now = _every_version()  # read before compute: a write during it is counted next time
    if FIGURES not in now or _writing():
        return compute()
    cache, size = (_large, LARGE_CACHE_SIZE) if large else (_cache, CACHE_SIZE)
    with _lock:
        hit = cache.get(key)
    stamp = None
    if on is not None:  # a summary: the job worker counts it once for every process
        names = tuple(sorted({EPOCH, *on}))
        stamp = (names, tuple(now.get(name) for name in names))
        if _sharing.on or hit is None or hit[1] != stamp[1]:
            shared, counted_at = _read_shared(key, stamp, now)
            if counted_at is not None:  # counted at an earlier store, and allowed here
                _note_behind(counted_at)
                return shared  # not kept: the next request reads the worker's new count
            hit = None if shared is _NONE else (*stamp, shared)
            if hit is not None:
                with _lock:
                    cache[key] = hit
    if hit is not None and hit[1] == tuple(now.get(name) for name in hit[0]):
        with _lock:
            cache.move_to_end(key)
            while len(cache) > size:
                cache.popitem(last=False)
        for tables in _reading.stack:  # a value cached inside another's compute
            tables |= {name[len(TABLE):] for name in hit[0] if name.startswith(TABLE)}
            if FIGURES in hit[0]:
                tables.add("audit_events")  # stands for `figures`
        return hit[2]
    read: set[str] = set()
    _reading.stack.append(read)
    try:
        value = compute()
    finally:
        _reading.stack.pop()
    for tables in _reading.stack:
        tables |= read
    if _writing():  # compute's first query flushed the session's own unsaved writes
        return value
    names = (tuple(sorted({EPOCH, *on})) if on is not None
             else depends_on(read) if read else (EPOCH, FIGURES))
    with _lock:
        cache[key] = (names, tuple(now.get(name) for name in names), value)
        cache.move_to_end(key)
        while len(cache) > size:
            cache.popitem(last=False)
    if _sharing.on and stamp is not None:
        _write_shared(key, stamp, value)
    return value


# Summaries shared between processes -----------------------------------------------------------
#
# A summary cached `on` the stored figures (the dashboard's, the money page's) is counted
# again by each web process once the figures are stored again: at 120,000 families, seconds
# of a request, every minute of a busy day, in every process. The job worker counts them
# once, after storing the figures (sharing()), and writes them to shared_summaries; a web
# process reads one row there before counting a summary itself.

_NONE = object()


class _Sharing(threading.local):
    on = False


_sharing = _Sharing()


@contextlib.contextmanager
def sharing() -> Iterator[None]:
    """Within it, every summary cached `on` versions is written to shared_summaries for
    every process: counted, unless a row counted at the same versions (by the same code)
    is there already."""
    _sharing.on = True
    try:
        yield
    finally:
        _sharing.on = False


_fingerprint: str | None = None


def _code() -> str:
    """A fingerprint of this casework's code: a summary is read only by the code that
    counted it (in a deploy, a worker not yet restarted may count for new web processes,
    or the other way round, and a summary's fields may have changed)."""
    global _fingerprint
    if _fingerprint is None:
        digest = hashlib.sha256()
        root = Path(__file__).parent
        for path in sorted(root.rglob("*.py")):
            digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
        _fingerprint = digest.hexdigest()[:16]
    return _fingerprint


def _shared_key(key: Hashable) -> str:
    return hashlib.sha256(repr(key).encode()).hexdigest()


def _signature(key: str, stamp: str, payload: bytes) -> bytes:
    """The row's HMAC under the app's secret key: only a casework process (which has it)
    can write a value another will unpickle."""
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(secret, f"{key} {stamp} ".encode() + payload, hashlib.sha256).digest()


def _read_shared(key: Hashable, stamp: tuple,
                 now: dict[str, int]) -> tuple[Any, dt.datetime | None]:
    """The value the job worker counted for `key` at these versions, with None; or the
    one it counted at earlier versions (by the same code), with when it counted it, where
    _behind_allowed; or (_NONE, None). Nothing is unpickled that is not then used."""
    saved, _reading.stack = _reading.stack, []  # not a table the summary itself reads
    digest, code = _shared_key(key), _code()
    try:
        S = m.SharedSummary
        row = db.session.execute(select(S.stamp, S.value, S.counted_at)
                                 .where(S.key == digest)).first()
    finally:
        _reading.stack = saved
    if row is None or not row.stamp.startswith(code + " "):
        return _NONE, None
    earlier = row.stamp != f"{code} {stamp!r}"
    if earlier and not _behind_allowed(now, row.counted_at):
        return _NONE, None
    signature, payload = row.value[:32], row.value[32:]
    if not hmac.compare_digest(signature, _signature(digest, row.stamp, payload)):
        return _NONE, None
    # Signed with the app's secret key by the job worker's own count, checked just above:
    # no one else's bytes are ever unpickled.
    return pickle.loads(payload), (row.counted_at if earlier else None)  # nosec B301


BEHIND_AT_MOST = dt.timedelta(minutes=10)


def _behind_allowed(now: dict[str, int], counted_at: dt.datetime) -> bool:
    """Whether a request may show the summary the job worker counted at an earlier store of
    the figures: only while the worker has yet to count those stored now (SHARING, moved
    with every store: within its minute, while every process would otherwise count them at
    once, seconds each at 120,000 families), not inside another summary's count (which
    would keep it), and not one counted over BEHIND_AT_MOST ago (a worker stopped); and
    only for a page that says so (shows_older_counts), never for an export, the API, a
    report or a job."""
    return (bool(now.get(SHARING)) and g.get("older_counts_shown", False) and not _reading.stack
            and m.utcnow() - counted_at <= BEHIND_AT_MOST)


def _note_behind(counted_at: dt.datetime) -> None:
    """Note for the page (counted_behind()) that a summary it shows was counted then."""
    behind = g.get("summaries_behind")
    g.summaries_behind = counted_at if behind is None else min(behind, counted_at)


def shows_older_counts(view):
    """Mark a page's view that says, through _figures_hold.html (counted_behind()), when a
    summary it shows was counted at an earlier store of the figures: only such a page is
    given one (_behind_allowed)."""

    @functools.wraps(view)
    def showing(*args, **kwargs):
        g.older_counts_shown = True
        return view(*args, **kwargs)

    return showing


def counted_behind() -> dt.datetime | None:
    """When the oldest summary this request showed from an earlier store of the figures was
    counted (None: every summary it showed is as current as the stored figures)."""
    return g.get("summaries_behind")


def stored_again(session: Session) -> None:
    """Record, in the transaction that stores the figures, that their summaries are yet to
    be counted by the job worker."""
    _upsert(session.connection(), SHARING, 1, m.DataVersion.version + 1)


def to_share() -> int:
    """How many stores of the figures wait for the job worker to count their summaries:
    read before it counts them, and given to shared() after."""
    return versions([SHARING]).get(SHARING, 0)


def shared(session: Session, waiting: int) -> None:
    """Record that the summaries are counted for the stores to_share() saw, unless the
    figures were stored again meanwhile (the worker's next minute counts those)."""
    if not waiting:
        return
    V = m.DataVersion
    session.execute(V.__table__.update().where(V.name == SHARING, V.version == waiting)
                    .values(version=0))


def _write_shared(key: Hashable, stamp: tuple, value: Any) -> None:
    S = m.SharedSummary
    digest, stamped, payload = _shared_key(key), f"{_code()} {stamp!r}", pickle.dumps(value)
    row = {"key": digest, "stamp": stamped,
           "value": _signature(digest, stamped, payload) + payload, "counted_at": m.utcnow()}
    with db.engine.begin() as conn:
        statement = _insert(conn, S).values(row)
        conn.execute(statement.on_conflict_do_update(
            index_elements=[S.key], set_={k: row[k] for k in ("stamp", "value", "counted_at")}))


def forget_shared() -> None:
    """Remove every shared summary (a new casework may count them differently): the job
    worker's start."""
    with db.engine.begin() as conn:
        conn.execute(m.SharedSummary.__table__.delete())


def clear() -> None:
    with _lock:
        _cache.clear()
        _large.clear()
