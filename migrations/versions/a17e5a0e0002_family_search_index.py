"""family search documents, indexed for substring search: FTS5 (trigram) on SQLite, pg_trgm
on PostgreSQL

Revision ID: a17e5a0e0002
Revises: a17e5a0e0001
Create Date: 2026-12-01 20:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a17e5a0e0002'
down_revision = 'a17e5a0e0001'
branch_labels = None
depends_on = None


def _documents(postgresql: bool) -> str:
    """Every family's document, as casework.families.search.document_select writes it."""
    aggregate = ("string_agg(p.given_name || ' ' || p.family_name || ' ' || p.person_ref, ' | ')"
                 if postgresql else
                 "group_concat(p.given_name || ' ' || p.family_name || ' ' || p.person_ref, ' | ')")
    return (
        "INSERT INTO family_search (family_id, document) SELECT f.id, lower(f.family_ref || ' | ' "
        "|| f.family_name || ' | ' || coalesce(f.postcode, '') || ' | ' "
        "|| replace(coalesce(f.postcode, ''), ' ', '') || ' | ' "
        f"|| coalesce((SELECT {aggregate} FROM people p WHERE p.family_id = f.id), '')) "
        "FROM families f"
    )


def upgrade():
    op.create_table(
        'family_search',
        sa.Column('family_id', sa.Integer(), nullable=False),
        sa.Column('document', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['family_id'], ['families.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('family_id'),
    )
    postgresql = op.get_bind().dialect.name == "postgresql"
    if postgresql:
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute("CREATE INDEX ix_family_search_trgm ON family_search "
                   "USING gin (document gin_trgm_ops)")
    else:
        op.execute("CREATE VIRTUAL TABLE family_search_fts USING fts5(document, "
                   "content='family_search', content_rowid='family_id', tokenize='trigram')")
        op.execute("CREATE TRIGGER family_search_ai AFTER INSERT ON family_search BEGIN "
                   "INSERT INTO family_search_fts(rowid, document) "
                   "VALUES (new.family_id, new.document); END")
        op.execute("CREATE TRIGGER family_search_ad AFTER DELETE ON family_search BEGIN "
                   "INSERT INTO family_search_fts(family_search_fts, rowid, document) "
                   "VALUES ('delete', old.family_id, old.document); END")
        op.execute("CREATE TRIGGER family_search_au AFTER UPDATE ON family_search BEGIN "
                   "INSERT INTO family_search_fts(family_search_fts, rowid, document) "
                   "VALUES ('delete', old.family_id, old.document); "
                   "INSERT INTO family_search_fts(rowid, document) "
                   "VALUES (new.family_id, new.document); END")
    op.execute(_documents(postgresql))


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_family_search_trgm")
    else:
        for trigger in ("family_search_ai", "family_search_ad", "family_search_au"):
            op.execute(f"DROP TRIGGER {trigger}")
        op.execute("DROP TABLE family_search_fts")
    op.drop_table('family_search')
