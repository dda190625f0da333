"""`column` is one of many values, as one bound parameter: an array on PostgreSQL, a JSON
array read by json_each on SQLite. Compiling and parsing an IN list of thousands of
placeholders costs more than running it (and SQLite limits how many a statement may have),
so every query over a batch of ids or references says it this way."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence

from sqlalchemy import String, any_, bindparam, func, literal_column, select
from sqlalchemy.dialects.postgresql import ARRAY

from .extensions import db


def one_of(column, values: Sequence):
    """A WHERE clause: `column` is one of `values` (a list of ints or strings)."""
    if db.session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))
    listed = func.json_each(bindparam(None, json.dumps(list(values)), type_=String))
    return column.in_(select(literal_column("value")).select_from(listed))


CHUNK = 50_000  # values looked up in one query


def one_of_chunks(column, values: Sequence, size: int = CHUNK) -> Iterator:
    """one_of for `size` values at a time (each clause one query's worth)."""
    for i in range(0, len(values), size):
        yield one_of(column, values[i : i + size])
