"""Housing events: tenancy changes, rent arrears, notices seeking possession, evictions and
temporary accommodation (the partner file kind `housing`)

Revision ID: b3d8f1a6c2e9
Revises: a7c3e5f9b1d2
Create Date: 2026-12-06 21:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b3d8f1a6c2e9'
down_revision = 'a7c3e5f9b1d2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('housing_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('housing_ref', sa.String(length=32), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('family_id', sa.Integer(), nullable=True),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=True),
    sa.Column('arrears_pounds', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['family_id'], ['families.id'], name=op.f('fk_housing_events_family_id_families')),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_housing_events_person_id_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_housing_events')),
    sa.UniqueConstraint('housing_ref', name=op.f('uq_housing_events_housing_ref'))
    )
    with op.batch_alter_table('housing_events', schema=None) as batch_op:
        batch_op.create_index('ix_housing_events_family_person', ['family_id', 'person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_housing_events_person_id'), ['person_id'], unique=False)


def downgrade():
    with op.batch_alter_table('housing_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_housing_events_person_id'))
        batch_op.drop_index('ix_housing_events_family_person')
    op.drop_table('housing_events')
