"""Serialise competing writes inside the database transaction, on both databases.

Caseload limits and "no double claim" are checked and written in one transaction that holds
a lock first: on PostgreSQL a row lock (SELECT ... FOR UPDATE) on the rows the rule is about;
on SQLite, which has one writer at a time, an immediate transaction taken before any read.
"""

from __future__ import annotations

from sqlalchemy import select

from .extensions import db


def lock_rows(*targets: tuple[type, list[int]]) -> None:
    """Make the open transaction one that no competing writer can interleave with, locking
    the rows (model, ids) named on PostgreSQL; call it before reading what the rule depends
    on. With no targets it only takes SQLite's write lock (PostgreSQL callers then lock with
    SELECT ... FOR UPDATE themselves). Any caller may: one that has written already in its
    transaction keeps those writes in it, committed or rolled back with the rest."""
    session = db.session
    if session.get_bind().dialect.name == "sqlite":
        if has_written():
            # Its first write took SQLite's one write lock, held until the transaction ends
            # (the flush takes it now for writes not sent yet): nothing can interleave from
            # here. What was loaded before is read again, as the commit below would have it.
            session.flush()
            session.expire_all()
            return
        # End any read snapshot, then take SQLite's write lock before reading anything.
        session.commit()
        session.connection().exec_driver_sql("BEGIN IMMEDIATE")
        return
    for model, ids in targets:  # always in the same order, so two lockers cannot deadlock
        ordered = sorted(ids)
        for i in range(0, len(ordered), 5000):
            session.execute(
                select(model.id).where(model.id.in_(ordered[i : i + 5000])).order_by(model.id)
                .with_for_update()
            ).all()


def has_written() -> bool:
    """Whether this session's transaction holds changes: ones not flushed yet, or (SQLite)
    ones written already, which hold the database's one write lock until it ends."""
    session = db.session()
    if session.new or session.deleted or any(session.is_modified(o) for o in session.dirty):
        return True
    if session.get_bind().dialect.name != "sqlite" or not session.in_transaction():
        return False
    return bool(session.connection().connection.dbapi_connection.in_transaction)
