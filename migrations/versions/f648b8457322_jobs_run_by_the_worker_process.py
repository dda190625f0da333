"""jobs run by the worker process: state, progress, who started it, the result or error

Revision ID: f648b8457322
Revises: 2520613137b5
Create Date: 2026-12-01 19:48:18.897487

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f648b8457322'
down_revision = '2520613137b5'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('jobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('subject', sa.String(length=120), nullable=True),
    sa.Column('input', sa.LargeBinary(), nullable=True),
    sa.Column('family_id', sa.Integer(), nullable=True),
    sa.Column('progress_done', sa.Integer(), nullable=False),
    sa.Column('progress_total', sa.Integer(), nullable=True),
    sa.Column('progress_label', sa.String(length=100), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('started_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=True),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('summary', sa.String(length=500), nullable=True),
    sa.Column('result_name', sa.String(length=200), nullable=True),
    sa.Column('result_mimetype', sa.String(length=100), nullable=True),
    sa.Column('result', sa.LargeBinary(), nullable=True),
    sa.Column('result_sha256', sa.String(length=64), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.CheckConstraint("state IN ('queued', 'running', 'done', 'failed')", name=op.f('ck_jobs_state')),
    sa.ForeignKeyConstraint(['family_id'], ['families.id'], name=op.f('fk_jobs_family_id_families')),
    sa.ForeignKeyConstraint(['started_by_id'], ['users.id'], name=op.f('fk_jobs_started_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_jobs'))
    )
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_jobs_family_id'), ['family_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_jobs_started_by_id'), ['started_by_id'], unique=False)
        batch_op.create_index('ix_jobs_state', ['state'], unique=False)
        batch_op.create_index(batch_op.f('ix_jobs_subject'), ['subject'], unique=False)



def downgrade():
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_jobs_subject'))
        batch_op.drop_index('ix_jobs_state')
        batch_op.drop_index(batch_op.f('ix_jobs_started_by_id'))
        batch_op.drop_index(batch_op.f('ix_jobs_family_id'))

    op.drop_table('jobs')
