"""team wards: the wards each team covers, so that only that team's lead (or a manager)
allocates a family there that nobody holds

Revision ID: b7e3c1a9d5f2
Revises: b7e31d0c5a92
Create Date: 2026-12-06 18:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = 'b7e3c1a9d5f2'
down_revision = 'b7e31d0c5a92'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'team_wards',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('team_id', sa.Integer(), nullable=False),
        sa.Column('ward', sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_team_wards_team_id_teams')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_team_wards')),
        sa.UniqueConstraint('ward', name=op.f('uq_team_wards_ward')),
    )
    with op.batch_alter_table('team_wards', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_team_wards_team_id'), ['team_id'], unique=False)


def downgrade():
    with op.batch_alter_table('team_wards', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_team_wards_team_id'))
    op.drop_table('team_wards')
