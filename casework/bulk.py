"""Insert many rows, given a column at a time, straight through the driver in the caller's
transaction: COPY on PostgreSQL, one prepared executemany on SQLite. The ORM's bulk insert
spends more time building parameters than the database spends storing them. The importer
writes a file's new records this way, and the stored evaluation its rows."""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import json
import threading
from collections import Counter
from collections.abc import Iterator
from typing import Any

from sqlalchemy import JSON, Boolean, Date, DateTime, Table, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from . import cache_version
from .extensions import db


def insert_columns(table: Table, columns: dict[str, list[Any]]) -> None:
    """Insert the rows whose values `columns` holds (column name -> one value a row)."""
    size = len(next(iter(columns.values()), []))
    if not size:
        return
    loaded = _loaded.get()
    if loaded is not None:
        loaded[table.name] += size
    columns = dict(columns)
    # Columns not given that have a plain Python default (server defaults such as a record's
    # version need nothing from us).
    for column in table.columns:
        default = column.default
        if column.name not in columns and default is not None and default.is_scalar:
            columns[column.name] = [default.arg] * size
    names = list(columns)
    connection = db.session.connection()
    dbapi = connection.connection.dbapi_connection
    quoted = ", ".join(connection.dialect.identifier_preparer.quote(n) for n in names)
    # JSON values as the engine's own serializer writes them (SQLAlchemy's JSON type does
    # the same through the ORM): COPY and SQLite both take the text.
    serialize = getattr(connection.dialect, "_json_serializer", None) or json.dumps
    for name in names:
        if isinstance(table.columns[name].type, JSON):
            columns[name] = [None if v is None else serialize(v) for v in columns[name]]
    blocks = []
    if connection.dialect.name == "postgresql":
        # COPY's text format made here a column at a time: psycopg's write_row costs more in
        # Python, row by row, than the server takes to store the row. Made while a COPY
        # started before (copies_in_background) is still being stored.
        texts = [_copy_column(values) for values in columns.values()]
        blocks = ["".join([line + "\n" for line in map("\t".join, zip(
            *[t[i : i + COPY_ROWS] for t in texts]))]) for i in range(0, size, COPY_ROWS)]
        del texts
    settle(dbapi)  # a COPY still being stored first
    cache_version.mark_changed(connection, table.name)  # the driver's own writes are not watched
    cursor = dbapi.cursor()
    try:
        if connection.dialect.name == "postgresql":
            statement = f"COPY {table.name} ({quoted}) FROM STDIN"
            if _background.get() is not None:
                _start(dbapi, cursor, statement, blocks, table.name)
                cursor = None  # the thread closes it
            else:
                _copy(cursor, statement, blocks)
        else:
            # SQLite: dates and times as SQLAlchemy stores them, ISO text; flags as 0 and 1,
            # for the driver binds a bool (an int subclass) only after a failed search for
            # an adapter, which made inserting school terms take twice as long.
            for name in names:
                kind = table.columns[name].type
                if isinstance(kind, DateTime):
                    columns[name] = [_sqlite_datetime(v) for v in columns[name]]
                elif isinstance(kind, Date):
                    columns[name] = [d and d.isoformat() for d in columns[name]]
                elif isinstance(kind, Boolean):
                    columns[name] = list(map(_FLAG_NUMBER.get, columns[name], columns[name]))
            # Names from the model, quoted; every value is bound (bandit's B608 does not apply).
            sql = f"INSERT INTO {table.name} ({quoted}) VALUES ({', '.join('?' * len(names))})"  # nosec
            cursor.executemany(sql, zip(*columns.values()))
    except connection.dialect.dbapi.IntegrityError as error:
        raise IntegrityError(f"insert into {table.name}", None, error) from None
    finally:
        if cursor is not None:
            cursor.close()


# PostgreSQL plans its queries by each table's statistics, which autovacuum gathers up to a
# minute after a commit: a refresh started straight after a first large load planned its
# reads of 120,000 families' domestic abuse incidents without any (2.6 s a batch of
# 10,000, not milliseconds). A large load gathers them itself, in its own transaction.
ANALYZE_ROWS = 10_000  # rows given to one table in one load that send it to be analysed
# The rows insert_columns gave each table inside `analysed_after()`: name -> rows.
_loaded: contextvars.ContextVar[Counter | None] = contextvars.ContextVar(
    "bulk_loaded", default=None)


@contextlib.contextmanager
def analysed_after() -> Iterator[None]:
    """On PostgreSQL, ANALYZE (in the caller's transaction, so the statistics are there
    when it commits) each table that insert_columns gave ANALYZE_ROWS rows or more inside
    the block; nothing if the block raises, and nothing on SQLite, whose plans do not
    wait for statistics."""
    counts: Counter = Counter()
    token = _loaded.set(counts)
    try:
        yield
    finally:
        _loaded.reset(token)
    connection = db.session.connection()
    if connection.dialect.name != "postgresql":
        return
    quote = connection.dialect.identifier_preparer.quote
    for name in sorted(name for name, rows in counts.items() if rows >= ANALYZE_ROWS):
        connection.exec_driver_sql(f"ANALYZE {quote(name)}")  # nosec: a model's table name


def _copy(cursor, statement: str, blocks: list[str]) -> None:
    with cursor.copy(statement) as copy:
        for block in blocks:
            copy.write(block)


# PostgreSQL stores a COPY's rows (checking each row's foreign keys and unique keys) while
# the importer reads and checks the next part of the file, rather than after it: on the
# two cores of a small server the one waits for the other less. Only inside
# `copies_in_background()`; the connection is used for nothing else until the COPY is done:
# every statement, commit or rollback on it waits for it first (`settle`).
# The COPYs started in this context: id(DBAPI connection) -> (thread, its error if any).
_background: contextvars.ContextVar[dict[int, tuple[threading.Thread, list]] | None] = \
    contextvars.ContextVar("bulk_background", default=None)


@contextlib.contextmanager
def copies_in_background() -> Iterator[None]:
    """Let insert_columns return before PostgreSQL has stored a COPY's rows; each is waited
    for by the next use of the connection, and all of them on leaving (a COPY's error, such
    as a key another transaction committed meanwhile, is raised then, as IntegrityError)."""
    if _background.get() is not None:  # already inside one
        yield
        return
    pending: dict[int, tuple[threading.Thread, list]] = {}
    token = _background.set(pending)
    try:
        yield
    except BaseException:
        while pending:  # the error already on its way is the one to tell
            _finish(*pending.popitem()[1], raising=False)
        raise
    else:
        while pending:
            _finish(*pending.popitem()[1], raising=True)
    finally:
        _background.reset(token)


def _start(dbapi, cursor, statement: str, blocks: list[str], table: str) -> None:
    outcome: list = []

    def run() -> None:
        try:
            _copy(cursor, statement, blocks)
        except BaseException as error:  # handed to the thread that waits for it
            outcome.append(error)
        finally:
            cursor.close()

    thread = threading.Thread(target=run, name=f"copy {table}", daemon=True)
    _background.get()[id(dbapi)] = (thread, outcome)
    thread.start()


def settle(dbapi, raising: bool = True) -> None:
    """Wait for the COPY this context still has running on this DBAPI connection, if any;
    raise its error (`raising`), an IntegrityError for a key or reference it broke."""
    pending = _background.get()
    if pending:
        started = pending.pop(id(dbapi), None)
        if started is not None:
            _finish(*started, raising)


def _finish(thread: threading.Thread, outcome: list, raising: bool) -> None:
    thread.join()
    if outcome and raising:
        error = outcome[0]
        if _is_integrity(error):
            raise IntegrityError("COPY", None, error) from None
        raise error


def _is_integrity(error: BaseException) -> bool:
    try:
        import psycopg
    except ImportError:
        return False
    return isinstance(error, psycopg.IntegrityError)


@event.listens_for(Engine, "before_cursor_execute")
def _settle_before_statement(conn, _cursor, _statement, _parameters, _context,
                             _executemany) -> None:
    if _background.get():
        settle(conn.connection.dbapi_connection)


@event.listens_for(Engine, "commit")
def _settle_before_commit(conn) -> None:
    if _background.get():
        settle(conn.connection.dbapi_connection)


@event.listens_for(Engine, "rollback")
def _settle_before_rollback(conn) -> None:
    if _background.get():
        settle(conn.connection.dbapi_connection, raising=False)


COPY_ROWS = 10_000  # rows sent to COPY in one piece
_NULL = "\\N"
_FLAG_TEXT = {True: "t", False: "f", None: _NULL}
_SPECIAL = str.maketrans({"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"})


def _copy_value(value: Any) -> str:
    """One value in COPY's text format (the column's type reads it)."""
    if value is None:
        return _NULL
    if value is True or value is False:
        return "t" if value else "f"
    if isinstance(value, str):
        return value.translate(_SPECIAL)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value).translate(_SPECIAL)


def _copy_column(values: list[Any]) -> list[str]:
    """A column's values in COPY's text format: the usual cases (whole numbers, plain text)
    in one pass at C speed, anything else value by value."""
    kinds = set(map(type, values))
    nulls = type(None) in kinds
    kinds.discard(type(None))
    if kinds <= {bool}:  # flags: one look-up a value
        return list(map(_FLAG_TEXT.__getitem__, values))
    if kinds <= {int}:
        return [_NULL if v is None else str(v) for v in values] if nulls else list(
            map(str, values))
    if kinds == {dt.date}:
        return [_NULL if v is None else v.isoformat() for v in values] if nulls else list(
            map(dt.date.isoformat, values))
    if kinds == {str}:
        present = [v for v in values if v is not None] if nulls else values
        if not any(c in "".join(present) for c in "\\\n\r\t"):
            return [_NULL if v is None else v for v in values] if nulls else values
    return list(map(_copy_value, values))


_FLAG_NUMBER = {True: 1, False: 0, None: None}


def _sqlite_datetime(value: dt.datetime | None) -> str | None:
    """SQLAlchemy's own storage format for a DateTime on SQLite."""
    return None if value is None else value.strftime("%Y-%m-%d %H:%M:%S.%f")
