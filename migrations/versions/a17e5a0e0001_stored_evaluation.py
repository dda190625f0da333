"""stored evaluation: each family's evaluation for one date, the date, and the queue of
families whose evidence changed

Revision ID: a17e5a0e0001
Revises: c3f8a9d2e511
Create Date: 2026-12-01 20:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a17e5a0e0001'
down_revision = 'c3f8a9d2e511'
branch_labels = None
depends_on = None

RESULTS = ("asb", "offending", "education", "crime_asb_education", "progress_to_work",
           "continuous_employment")
CLAIMABLE = ("continuous_employment", "crime_asb_education", "progress_to_work")
COSTS = ("asb_incident", "youth_offence", "fixed_exclusion", "benefit_days",
         "domestic_abuse_incident")


def upgrade():
    op.create_table(
        'stored_evaluations',
        sa.Column('family_id', sa.Integer(), nullable=False),
        sa.Column('ruleset', sa.String(length=40), server_default='phase1', nullable=False),
        sa.Column('as_of', sa.Date(), nullable=False),
        sa.Column('evaluated_at', sa.DateTime(), nullable=False),
        sa.Column('identification_date', sa.Date(), nullable=False),
        sa.Column('screening', sa.Boolean(), nullable=False),
        sa.Column('crime_asb', sa.Boolean(), nullable=False),
        sa.Column('education', sa.Boolean(), nullable=False),
        sa.Column('work', sa.Boolean(), nullable=False),
        sa.Column('local_discretion', sa.Boolean(), nullable=False),
        sa.Column('eligible', sa.Boolean(), nullable=False),
        *[sa.Column(f'result_{r}', sa.String(length=20), nullable=False) for r in RESULTS],
        *[sa.Column(f'claimable_{r}', sa.Integer(), nullable=False) for r in CLAIMABLE],
        sa.Column('claimable_total', sa.Integer(), nullable=False),
        sa.Column('nearly_there', sa.Text(), nullable=True),
        sa.Column('cost_status', sa.String(length=10), nullable=True),
        *[sa.Column(f'{side}_{k}', sa.Integer(), nullable=False)
          for side in ("before", "after") for k in COSTS],
        sa.ForeignKeyConstraint(['family_id'], ['families.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('family_id', 'ruleset'),
    )
    with op.batch_alter_table('stored_evaluations', schema=None) as batch_op:
        batch_op.create_index('ix_stored_evaluations_ruleset_eligible', ['ruleset', 'eligible'],
                              unique=False)
    op.create_table(
        'evaluation_runs',
        sa.Column('ruleset', sa.String(length=40), nullable=False),
        sa.Column('as_of', sa.Date(), nullable=False),
        sa.Column('refreshed_at', sa.DateTime(), nullable=False),
        sa.Column('families', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('ruleset'),
    )
    op.create_table(
        'evaluation_queue',
        sa.Column('family_id', sa.Integer(), nullable=False),
        sa.Column('queued_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['family_id'], ['families.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('family_id'),
    )


def downgrade():
    op.drop_table('evaluation_queue')
    op.drop_table('evaluation_runs')
    with op.batch_alter_table('stored_evaluations', schema=None) as batch_op:
        batch_op.drop_index('ix_stored_evaluations_ruleset_eligible')
    op.drop_table('stored_evaluations')
