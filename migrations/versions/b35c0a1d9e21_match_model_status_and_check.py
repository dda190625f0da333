"""Matching model versions: in use or refused, and the check against the version in use

Revision ID: b35c0a1d9e21
Revises: c4a9e2f17b63
Create Date: 2026-12-06 18:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b35c0a1d9e21'
down_revision = 'c4a9e2f17b63'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('match_models', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', sa.String(length=10), server_default='in use',
                                      nullable=False))
        batch_op.add_column(sa.Column('check', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('match_models', schema=None) as batch_op:
        batch_op.drop_column('check')
        batch_op.drop_column('status')
