"""sign-in counters shared by every app server, and users' session versions

Revision ID: 7d1e4c2a9b10
Revises: 2a77aa5b039b
Create Date: 2026-12-01 20:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7d1e4c2a9b10'
down_revision = '2a77aa5b039b'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'sign_in_counters',
        sa.Column('key', sa.String(length=300), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('window_start', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_sign_in_counters')),
    )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), server_default='0',
                                      nullable=False))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('session_version')
    op.drop_table('sign_in_counters')
