"""job results removed after a while: housekeeping deletes a finished job's file (a subject
access PDF, a Board report) JOB_RESULT_DAYS after it was made, and says when

Revision ID: a91c3e5f7d20
Revises: e8b2c4d6f013
Create Date: 2026-12-02 02:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = 'a91c3e5f7d20'
down_revision = 'e8b2c4d6f013'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('jobs') as batch:
        batch.add_column(sa.Column('result_removed_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('jobs') as batch:
        batch.drop_column('result_removed_at')
