"""outcome plan versions: the council's Outcome Plans as loaded, with who and when

Revision ID: c22d0e5a1f01
Revises: a17e5a0e0002
Create Date: 2026-12-01 23:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c22d0e5a1f01'
down_revision = 'a17e5a0e0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'outcome_plan_versions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('ruleset', sa.String(length=40), nullable=False),
        sa.Column('version', sa.String(length=100), nullable=False),
        sa.Column('title', sa.String(length=300), nullable=False),
        sa.Column('effective_from', sa.Date(), nullable=False),
        sa.Column('content', sa.Text(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('file_name', sa.String(length=255), nullable=False),
        sa.Column('loaded_by_id', sa.Integer(), nullable=False),
        sa.Column('loaded_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['loaded_by_id'], ['users.id'],
                                name=op.f('fk_outcome_plan_versions_loaded_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_outcome_plan_versions')),
        sa.UniqueConstraint('ruleset', 'version',
                            name=op.f('uq_outcome_plan_versions_ruleset_version')),
    )
    with op.batch_alter_table('outcome_plan_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outcome_plan_versions_ruleset'), ['ruleset'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('outcome_plan_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outcome_plan_versions_ruleset'))
    op.drop_table('outcome_plan_versions')
