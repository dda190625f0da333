"""people: the Standard Safeguarding Dataset's fields casework lacked (gender, ethnicity,
NHS number, unique pupil number, expected date of birth, date of death); a date of birth
may be absent for an unborn child

Revision ID: b7e31d0c5a92
Revises: a91c3e5f7d20
Create Date: 2026-12-06 18:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'b7e31d0c5a92'
down_revision = 'a91c3e5f7d20'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.add_column(sa.Column('gender', sa.String(length=2), nullable=True))
        batch_op.add_column(sa.Column('ethnicity', sa.String(length=4), nullable=True))
        batch_op.add_column(sa.Column('nhs_number', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('upn', sa.String(length=13), nullable=True))
        batch_op.add_column(sa.Column('expected_date_of_birth', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('date_of_death', sa.Date(), nullable=True))
        batch_op.alter_column('date_of_birth', existing_type=sa.Date(), nullable=True)


def downgrade():
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.alter_column('date_of_birth', existing_type=sa.Date(), nullable=False)
        batch_op.drop_column('date_of_death')
        batch_op.drop_column('expected_date_of_birth')
        batch_op.drop_column('upn')
        batch_op.drop_column('nhs_number')
        batch_op.drop_column('ethnicity')
        batch_op.drop_column('gender')
