"""shared summaries: the dashboard's and the money page's summaries counted once by the job
worker after the figures are stored, read by every web process instead of each counting
them again

Revision ID: b3d5f7a9c2e4
Revises: a9c4e2f7b1d6
Create Date: 2026-12-07 15:05:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'b3d5f7a9c2e4'
down_revision = 'a9c4e2f7b1d6'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'shared_summaries',
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('stamp', sa.String(length=400), nullable=False),
        sa.Column('value', sa.LargeBinary(), nullable=False),
        sa.Column('counted_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_shared_summaries')),
    )


def downgrade():
    op.drop_table('shared_summaries')
