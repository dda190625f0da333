"""claim batch PDFs made once and stored

Revision ID: 2a77aa5b039b
Revises: 177c3452496e
Create Date: 2026-12-01 20:14:18.772567

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '2a77aa5b039b'
down_revision = '177c3452496e'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('claim_batch_pdfs',
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('pdf', sa.LargeBinary(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('made_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['claim_batches.id'], name=op.f('fk_claim_batch_pdfs_batch_id_claim_batches')),
    sa.PrimaryKeyConstraint('batch_id', name=op.f('pk_claim_batch_pdfs'))
    )


def downgrade():
    op.drop_table('claim_batch_pdfs')
