"""Referrals between agencies: to a partner organisation and perhaps one of its
practitioners, with the reason, what may be shared, a due date, the decision and the outcome

Revision ID: 05f30429078f
Revises: 1d1fa909d473
Create Date: 2026-12-06 21:48:33.877129

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '05f30429078f'
down_revision = '1d1fa909d473'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('organisation_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('practitioner_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('reason', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('may_share', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('due_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('decided_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('decline_reason', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('outcome', sa.Text(), nullable=True))
        batch_op.create_index(batch_op.f('ix_referrals_created_by_id'), ['created_by_id'], unique=False)
        batch_op.create_index('ix_referrals_organisation_status', ['organisation_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_referrals_practitioner_id'), ['practitioner_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_referrals_organisation_id_partner_organisations'), 'partner_organisations', ['organisation_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_referrals_practitioner_id_users'), 'users', ['practitioner_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_referrals_decided_by_id_users'), 'users', ['decided_by_id'], ['id'])



def downgrade():
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_referrals_decided_by_id_users'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_referrals_practitioner_id_users'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_referrals_organisation_id_partner_organisations'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_referrals_practitioner_id'))
        batch_op.drop_index('ix_referrals_organisation_status')
        batch_op.drop_index(batch_op.f('ix_referrals_created_by_id'))
        batch_op.drop_column('outcome')
        batch_op.drop_column('decline_reason')
        batch_op.drop_column('decided_by_id')
        batch_op.drop_column('due_on')
        batch_op.drop_column('may_share')
        batch_op.drop_column('reason')
        batch_op.drop_column('practitioner_id')
        batch_op.drop_column('organisation_id')

