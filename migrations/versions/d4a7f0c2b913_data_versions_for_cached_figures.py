"""data_versions: a number every change to what the figures count bumps, so summaries
counted once are served until the data changes

Revision ID: d4a7f0c2b913
Revises: c22d0e5a1f01
Create Date: 2026-12-01 23:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = 'd4a7f0c2b913'
down_revision = 'c22d0e5a1f01'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'data_versions',
        sa.Column('name', sa.String(length=40), nullable=False),
        sa.Column('version', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_data_versions')),
    )


def downgrade():
    op.drop_table('data_versions')
