"""Duplicate people: merges (undoable), the merged person's reference kept as an alias, and
pairs said not to be the same

Revision ID: d9f1b2c3a4e5
Revises: c5d1e9f3a7b4
Create Date: 2026-12-06 19:05:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd9f1b2c3a4e5'
down_revision = 'c5d1e9f3a7b4'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('person_merges',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kept_id', sa.Integer(), nullable=False),
    sa.Column('merged_ref', sa.String(length=32), nullable=False),
    sa.Column('merged', sa.JSON(), nullable=False),
    sa.Column('moved', sa.JSON(), nullable=False),
    sa.Column('merged_at', sa.DateTime(), nullable=False),
    sa.Column('merged_by_id', sa.Integer(), nullable=True),
    sa.Column('undone_at', sa.DateTime(), nullable=True),
    sa.Column('undone_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['kept_id'], ['people.id'], name=op.f('fk_person_merges_kept_id_people')),
    sa.ForeignKeyConstraint(['merged_by_id'], ['users.id'], name=op.f('fk_person_merges_merged_by_id_users')),
    sa.ForeignKeyConstraint(['undone_by_id'], ['users.id'], name=op.f('fk_person_merges_undone_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_person_merges'))
    )
    with op.batch_alter_table('person_merges', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_person_merges_kept_id'), ['kept_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_person_merges_merged_ref'), ['merged_ref'], unique=False)
    op.create_table('person_aliases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('alias_ref', sa.String(length=32), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('merge_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['merge_id'], ['person_merges.id'], name=op.f('fk_person_aliases_merge_id_person_merges')),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_person_aliases_person_id_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_person_aliases')),
    sa.UniqueConstraint('alias_ref', name=op.f('uq_person_aliases_alias_ref'))
    )
    with op.batch_alter_table('person_aliases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_person_aliases_person_id'), ['person_id'], unique=False)
    op.create_table('not_duplicates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('low_id', sa.Integer(), nullable=False),
    sa.Column('high_id', sa.Integer(), nullable=False),
    sa.Column('decided_at', sa.DateTime(), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_not_duplicates_decided_by_id_users')),
    sa.ForeignKeyConstraint(['high_id'], ['people.id'], name=op.f('fk_not_duplicates_high_id_people')),
    sa.ForeignKeyConstraint(['low_id'], ['people.id'], name=op.f('fk_not_duplicates_low_id_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_not_duplicates')),
    sa.UniqueConstraint('low_id', 'high_id', name=op.f('uq_not_duplicates_low_id_high_id'))
    )


def downgrade():
    op.drop_table('not_duplicates')
    with op.batch_alter_table('person_aliases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_person_aliases_person_id'))
    op.drop_table('person_aliases')
    with op.batch_alter_table('person_merges', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_person_merges_merged_ref'))
        batch_op.drop_index(batch_op.f('ix_person_merges_kept_id'))
    op.drop_table('person_merges')
