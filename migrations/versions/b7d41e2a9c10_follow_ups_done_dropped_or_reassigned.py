"""follow-ups can be done, dropped with a reason, or given to someone else

Revision ID: b7d41e2a9c10
Revises: b16a5c3e9d20
Create Date: 2026-12-01 20:10:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'b7d41e2a9c10'
down_revision = 'b16a5c3e9d20'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('follow_ups', schema=None) as batch_op:
        batch_op.add_column(sa.Column('outcome', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('reason', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('closed_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('assigned_to_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_follow_ups_closed_by_id_users'), 'users',
                                    ['closed_by_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_follow_ups_assigned_to_id_users'), 'users',
                                    ['assigned_to_id'], ['id'])


def downgrade():
    with op.batch_alter_table('follow_ups', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_follow_ups_assigned_to_id_users'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_follow_ups_closed_by_id_users'), type_='foreignkey')
        batch_op.drop_column('assigned_to_id')
        batch_op.drop_column('closed_by_id')
        batch_op.drop_column('reason')
        batch_op.drop_column('outcome')
