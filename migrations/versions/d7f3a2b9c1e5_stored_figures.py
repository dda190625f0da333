"""stored figures: the programme's figures summed by scope, ward, programme and month, written
by the refresh that stores the evaluation, so summary pages read a few hundred rows

Revision ID: d7f3a2b9c1e5
Revises: c5d8e1f2a7b4
Create Date: 2026-12-07 03:15:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'd7f3a2b9c1e5'
down_revision = 'c5d8e1f2a7b4'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'stored_figures',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('ruleset', sa.String(length=40), nullable=False),
        sa.Column('programme', sa.String(length=40), nullable=False),
        sa.Column('scope', sa.String(length=40), nullable=False),
        sa.Column('ward', sa.String(length=100), nullable=True),
        sa.Column('month', sa.Date(), nullable=True),
        sa.Column('figure', sa.String(length=80), nullable=False),
        sa.Column('value', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_stored_figures')),
    )
    with op.batch_alter_table('stored_figures', schema=None) as batch_op:
        batch_op.create_index('ix_stored_figures_scope', ['ruleset', 'programme', 'scope'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('stored_figures', schema=None) as batch_op:
        batch_op.drop_index('ix_stored_figures_scope')
    op.drop_table('stored_figures')
