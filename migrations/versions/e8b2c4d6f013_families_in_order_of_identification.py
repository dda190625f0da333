"""families in order of identification: the team page's longest-waiting families read in
order from an index instead of sorting every eligible family

Revision ID: e8b2c4d6f013
Revises: d4a7f0c2b913
Create Date: 2026-12-02 00:05:00
"""

from alembic import op

revision = 'e8b2c4d6f013'
down_revision = 'd4a7f0c2b913'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_families_identified_ref', 'families', ['identified_on', 'family_ref'])


def downgrade():
    op.drop_index('ix_families_identified_ref', table_name='families')
