"""flash messages: the messages shown once on a user's next page, kept in the database
instead of the signed (readable) session cookie, as they name families and people

Revision ID: c5d1e9f3a7b4
Revises: b7e1d2c3a4f5
Create Date: 2026-12-06 18:50:00
"""

import sqlalchemy as sa
from alembic import op

revision = 'c5d1e9f3a7b4'
down_revision = 'b7e1d2c3a4f5'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'flash_messages',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('message', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_flash_messages_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_flash_messages')),
    )
    with op.batch_alter_table('flash_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_flash_messages_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('flash_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_flash_messages_user_id'))
    op.drop_table('flash_messages')
