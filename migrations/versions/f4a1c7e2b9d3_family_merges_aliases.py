"""Duplicate families: merges (undoable), the merged family's reference kept as an alias,
and pairs said to be different households

Revision ID: f4a1c7e2b9d3
Revises: 9d7e44413fb0
Create Date: 2026-12-07 00:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f4a1c7e2b9d3'
down_revision = '9d7e44413fb0'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('family_merges',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kept_id', sa.Integer(), nullable=False),
    sa.Column('merged_ref', sa.String(length=32), nullable=False),
    sa.Column('merged', sa.JSON(), nullable=False),
    sa.Column('moved', sa.JSON(), nullable=False),
    sa.Column('merged_at', sa.DateTime(), nullable=False),
    sa.Column('merged_by_id', sa.Integer(), nullable=True),
    sa.Column('undone_at', sa.DateTime(), nullable=True),
    sa.Column('undone_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['kept_id'], ['families.id'], name=op.f('fk_family_merges_kept_id_families')),
    sa.ForeignKeyConstraint(['merged_by_id'], ['users.id'], name=op.f('fk_family_merges_merged_by_id_users')),
    sa.ForeignKeyConstraint(['undone_by_id'], ['users.id'], name=op.f('fk_family_merges_undone_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_family_merges'))
    )
    with op.batch_alter_table('family_merges', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_family_merges_kept_id'), ['kept_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_family_merges_merged_ref'), ['merged_ref'], unique=False)
    op.create_table('family_aliases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('alias_ref', sa.String(length=32), nullable=False),
    sa.Column('family_id', sa.Integer(), nullable=False),
    sa.Column('merge_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['family_id'], ['families.id'], name=op.f('fk_family_aliases_family_id_families')),
    sa.ForeignKeyConstraint(['merge_id'], ['family_merges.id'], name=op.f('fk_family_aliases_merge_id_family_merges')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_family_aliases')),
    sa.UniqueConstraint('alias_ref', name=op.f('uq_family_aliases_alias_ref'))
    )
    with op.batch_alter_table('family_aliases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_family_aliases_family_id'), ['family_id'], unique=False)
    op.create_table('not_duplicate_families',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('low_id', sa.Integer(), nullable=False),
    sa.Column('high_id', sa.Integer(), nullable=False),
    sa.Column('decided_at', sa.DateTime(), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_not_duplicate_families_decided_by_id_users')),
    sa.ForeignKeyConstraint(['high_id'], ['families.id'], name=op.f('fk_not_duplicate_families_high_id_families')),
    sa.ForeignKeyConstraint(['low_id'], ['families.id'], name=op.f('fk_not_duplicate_families_low_id_families')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_not_duplicate_families')),
    sa.UniqueConstraint('low_id', 'high_id', name=op.f('uq_not_duplicate_families_low_id_high_id'))
    )


def downgrade():
    op.drop_table('not_duplicate_families')
    with op.batch_alter_table('family_aliases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_family_aliases_family_id'))
    op.drop_table('family_aliases')
    with op.batch_alter_table('family_merges', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_family_merges_merged_ref'))
        batch_op.drop_index(batch_op.f('ix_family_merges_kept_id'))
    op.drop_table('family_merges')
