"""stored evaluation of every programme: a later programme's family outcome (every need met)
beside the 2012 results, so each programme's families are stored under its own rules

Revision ID: a9c4e2f7b1d6
Revises: d7f3a2b9c1e5
Create Date: 2026-12-07 06:50:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'a9c4e2f7b1d6'
down_revision = 'd7f3a2b9c1e5'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('stored_evaluations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('result_family_outcome', sa.String(length=20),
                                      nullable=True))


def downgrade():
    with op.batch_alter_table('stored_evaluations', schema=None) as batch_op:
        batch_op.drop_column('result_family_outcome')
