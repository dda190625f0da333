"""`column` is one of many values, as one bound parameter: an array on PostgreSQL, a JSON
array read by json_each on SQLite. Compiling and parsing an IN list of thousands of
placeholders costs more than running it (and SQLite limits how many a statement may have),
so every query over a batch of ids or references says it this way."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence

from sqlalchemy import Integer, String, any_, bindparam, event, func, literal_column, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Engine
from sqlalchemy.types import NullType

from .extensions import db


def one_of(column, values: Sequence):
    """A WHERE clause: `column` is one of `values` (a list of ints or strings)."""
    if db.session.get_bind().dialect.name == "postgresql":
        values = list(values)
        literal = _array_literal(column.type, values)
        if literal is None:
            return column == any_(bindparam(None, values, type_=ARRAY(column.type)))
        # The array in PostgreSQL's own text form, typed by its oid: psycopg turns a list
        # into an array one element at a time in Python, which cost more than the query for
        # the importer's and the refresh's tens of thousands of ids.
        return column == any_(bindparam(None, literal, type_=NullType()))
    listed = func.json_each(bindparam(None, json.dumps(list(values)), type_=String))
    return column.in_(select(literal_column("value")).select_from(listed))


class IntArray(str):
    """An array of integers in PostgreSQL's text form, sent as a bigint[] parameter."""


class TextArray(str):
    """An array of strings in PostgreSQL's text form, sent as a text[] parameter."""


def _array_literal(kind, values: list) -> str | None:
    """`values` as a PostgreSQL array parameter ('{1,2,3}', '{"a","b\\"c"}'), for a column of
    whole numbers or of text (`kind`) and values all ints or all strings (None stands for
    NULL); None for anything else. The server
    reads the text once, as the parameter's value (typed by its oid, so the planner sees a
    constant array), where a cast in the statement would be worked out row by row."""
    present = [v for v in values if v is not None]
    if isinstance(kind, Integer) and all(type(v) is int for v in present):
        return IntArray("{" + ",".join(["NULL" if v is None else str(v) for v in values]) + "}")
    if isinstance(kind, String) and all(type(v) is str for v in present):
        return TextArray("{" + ",".join(
            ["NULL" if v is None else '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
             for v in values]) + "}")
    return None


def _dumpers() -> list[tuple[type, type]]:
    """psycopg's dumpers of IntArray and TextArray (none without psycopg)."""
    try:
        import psycopg
        from psycopg.adapt import Dumper
    except ImportError:  # SQLite only
        return []

    class _IntArrayDumper(Dumper):
        oid = psycopg.postgres.types["int8"].array_oid

        def dump(self, obj):
            return obj.encode()

    class _TextArrayDumper(Dumper):
        oid = psycopg.postgres.types["text"].array_oid

        def dump(self, obj):
            return obj.encode()

    return [(IntArray, _IntArrayDumper), (TextArray, _TextArrayDumper)]


_DUMPERS = _dumpers()


@event.listens_for(Engine, "connect")
def _register_dumpers(dbapi_connection, _record) -> None:
    """Every psycopg connection dumps IntArray and TextArray as typed arrays (SQLAlchemy
    gives its connections an adapters map of their own, copied when the engine is made)."""
    adapters = getattr(dbapi_connection, "adapters", None)
    if adapters is not None and hasattr(adapters, "register_dumper"):
        for cls, dumper in _DUMPERS:
            adapters.register_dumper(cls, dumper)



CHUNK = 50_000  # values looked up in one query


def one_of_chunks(column, values: Sequence, size: int = CHUNK) -> Iterator:
    """one_of for `size` values at a time (each clause one query's worth)."""
    for i in range(0, len(values), size):
        yield one_of(column, values[i : i + size])
