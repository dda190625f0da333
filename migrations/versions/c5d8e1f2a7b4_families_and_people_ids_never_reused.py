"""Families' and people's ids are never reused on SQLite (AUTOINCREMENT): a merge removes
the merged family or person and its undo puts them back with the same id, which a new row
could meanwhile have taken; stored duplicate searches and "not the same" rows name them by id

Revision ID: c5d8e1f2a7b4
Revises: b7e2a9c4d1f3
Create Date: 2026-12-07 01:20:00

"""
import json

from alembic import op

# revision identifiers, used by Alembic.
revision = 'c5d8e1f2a7b4'
down_revision = 'b7e2a9c4d1f3'
branch_labels = None
depends_on = None

# table -> the merge table whose snapshots hold the ids of rows it removed
TABLES = {"families": "family_merges", "people": "person_merges"}


def _recreate(autoincrement: bool) -> None:
    """SQLite only (PostgreSQL's sequences never hand an id out twice): batch mode recreates
    each table with or without AUTOINCREMENT. Foreign keys are off for this migration, as in
    a7c3e5f9b1d2: dropping the old table with them on fails when other rows refer to it;
    migrations/env.py turns them on again after the run."""
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    bind.exec_driver_sql("PRAGMA foreign_keys=OFF")
    for table in TABLES:
        with op.batch_alter_table(table, recreate="always",
                                  table_kwargs={"sqlite_autoincrement": autoincrement}):
            pass
    if not autoincrement:
        return
    # The next id is past every id a merge removed (still recorded in its snapshot), not
    # only past the highest left in the table.
    for table, merges in TABLES.items():
        highest = bind.exec_driver_sql(f"SELECT MAX(id) FROM {table}").scalar() or 0
        for (merged,) in bind.exec_driver_sql(f"SELECT merged FROM {merges}"):
            snapshot = json.loads(merged) if isinstance(merged, str) else merged
            highest = max(highest, int((snapshot or {}).get("id") or 0))
        bind.exec_driver_sql("DELETE FROM sqlite_sequence WHERE name = ?", (table,))
        if highest:
            bind.exec_driver_sql("INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)",
                                 (table, highest))


def upgrade():
    _recreate(True)


def downgrade():
    _recreate(False)
