"""Partner organisations and their practitioners: the partner role on users

Revision ID: a7c3e5f9b1d2
Revises: d9f1b2c3a4e5
Create Date: 2026-12-06 21:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a7c3e5f9b1d2'
down_revision = 'd9f1b2c3a4e5'
branch_labels = None
depends_on = None

STAFF = "role IN ('worker', 'team_lead', 'manager', 'auditor', 'admin')"
WITH_PARTNER = "role IN ('worker', 'team_lead', 'manager', 'auditor', 'admin', 'partner')"


def _foreign_keys_off():
    """On SQLite, batch mode recreates the users table (a CHECK constraint changes), and
    dropping the old one with foreign keys on fails when other rows refer to users. They are
    off for this migration (it runs in its own transaction: the pragma is read before any
    write); migrations/env.py turns them on again after the run."""
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        bind.exec_driver_sql("PRAGMA foreign_keys=OFF")


def upgrade():
    _foreign_keys_off()
    op.create_table('partner_organisations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('sharing_level', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("kind IN ('school', 'police', 'youth_offending', 'probation', "
                       "'jobcentre_plus', 'health', 'housing', 'voluntary', 'other')",
                       name=op.f('ck_partner_organisations_kind')),
    sa.CheckConstraint("sharing_level IN ('education', 'justice', 'work', 'plan')",
                       name=op.f('ck_partner_organisations_sharing_level')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_partner_organisations')),
    sa.UniqueConstraint('name', name=op.f('uq_partner_organisations_name'))
    )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('organisation_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_users_organisation_id'), ['organisation_id'],
                              unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_users_organisation_id_partner_organisations'),
                                    'partner_organisations', ['organisation_id'], ['id'])
        batch_op.drop_constraint(batch_op.f('ck_users_role'), type_='check')
        batch_op.create_check_constraint('role', WITH_PARTNER)
        batch_op.create_check_constraint('partner_organisation',
                                         "(role = 'partner') = (organisation_id IS NOT NULL)")


def downgrade():
    _foreign_keys_off()
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_users_partner_organisation'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_users_role'), type_='check')
        batch_op.create_check_constraint('role', STAFF)
        batch_op.drop_constraint(batch_op.f('fk_users_organisation_id_partner_organisations'),
                                 type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_users_organisation_id'))
        batch_op.drop_column('organisation_id')
    op.drop_table('partner_organisations')
