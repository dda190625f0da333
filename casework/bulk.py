"""Insert many rows, given a column at a time, straight through the driver in the caller's
transaction: COPY on PostgreSQL, one prepared executemany on SQLite. The ORM's bulk insert
spends more time building parameters than the database spends storing them. The importer
writes a file's new records this way, and the stored evaluation its rows."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Boolean, Date, DateTime, Table
from sqlalchemy.exc import IntegrityError

from . import cache_version
from .extensions import db


def insert_columns(table: Table, columns: dict[str, list[Any]]) -> None:
    """Insert the rows whose values `columns` holds (column name -> one value a row)."""
    size = len(next(iter(columns.values()), []))
    if not size:
        return
    columns = dict(columns)
    # Columns not given that have a plain Python default (server defaults such as a record's
    # version need nothing from us).
    for column in table.columns:
        default = column.default
        if column.name not in columns and default is not None and default.is_scalar:
            columns[column.name] = [default.arg] * size
    names = list(columns)
    connection = db.session.connection()
    cache_version.mark_changed(connection, table.name)  # the driver's own writes are not watched
    cursor = connection.connection.dbapi_connection.cursor()
    quoted = ", ".join(connection.dialect.identifier_preparer.quote(n) for n in names)
    try:
        if connection.dialect.name == "postgresql":
            with cursor.copy(f"COPY {table.name} ({quoted}) FROM STDIN") as copy:
                for row in zip(*columns.values()):
                    copy.write_row(row)
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
                    columns[name] = [None if v is None else int(v) for v in columns[name]]
            # Names from the model, quoted; every value is bound (bandit's B608 does not apply).
            sql = f"INSERT INTO {table.name} ({quoted}) VALUES ({', '.join('?' * len(names))})"  # nosec
            cursor.executemany(sql, zip(*columns.values()))
    except connection.dialect.dbapi.IntegrityError as error:
        raise IntegrityError(f"insert into {table.name}", None, error) from None
    finally:
        cursor.close()


def _sqlite_datetime(value: dt.datetime | None) -> str | None:
    """SQLAlchemy's own storage format for a DateTime on SQLite."""
    return None if value is None else value.strftime("%Y-%m-%d %H:%M:%S.%f")
