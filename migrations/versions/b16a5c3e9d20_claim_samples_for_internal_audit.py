"""claim samples for internal audit

Revision ID: b16a5c3e9d20
Revises: 7d1e4c2a9b10
Create Date: 2026-12-01 20:50:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'b16a5c3e9d20'
down_revision = '7d1e4c2a9b10'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('claim_samples',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('percent', sa.Integer(), nullable=False),
    sa.Column('seed', sa.Integer(), nullable=False),
    sa.Column('filters', sa.JSON(), nullable=False),
    sa.Column('population', sa.Integer(), nullable=False),
    sa.Column('claim_ids', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_claim_samples_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_claim_samples'))
    )


def downgrade():
    op.drop_table('claim_samples')
