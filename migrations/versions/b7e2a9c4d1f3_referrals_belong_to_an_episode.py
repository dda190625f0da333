"""Referrals belong to an episode: a family that signs up again starts its new episode with
no referrals of the last one on its lists (they stay on the episode history)

Revision ID: b7e2a9c4d1f3
Revises: f4a1c7e2b9d3
Create Date: 2026-12-07 00:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7e2a9c4d1f3'
down_revision = 'f4a1c7e2b9d3'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('episode_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_referrals_episode_id'), ['episode_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_referrals_episode_id_episodes'), 'episodes',
                                    ['episode_id'], ['id'])
    # Each referral made so far: the family's episode open on the day it was made (the
    # latest signed up by then, not closed before it); made while none was open, the next
    # one the family signed up for (casework.episodes.sign_up adopts such referrals too).
    conn = op.get_bind()
    episodes: dict[int, list] = {}
    for row in conn.execute(sa.text(
            "SELECT id, family_id, signed_up_on, closed_on FROM episodes "
            "ORDER BY family_id, signed_up_on, id")):
        episodes.setdefault(row.family_id, []).append(row)
    for ref in conn.execute(sa.text(
            "SELECT id, family_id, referred_on FROM referrals")).fetchall():
        made = _date(ref.referred_on)
        theirs = episodes.get(ref.family_id, [])
        during = [e for e in theirs if _date(e.signed_up_on) <= made
                  and (e.closed_on is None or made <= _date(e.closed_on))]
        after = [e for e in theirs if _date(e.signed_up_on) > made]
        chosen = during[-1] if during else (after[0] if after else None)
        if chosen is not None:
            conn.execute(sa.text("UPDATE referrals SET episode_id = :e WHERE id = :r"),
                         {"e": chosen.id, "r": ref.id})


def _date(value):
    import datetime as dt

    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def downgrade():
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_referrals_episode_id_episodes'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_referrals_episode_id'))
        batch_op.drop_column('episode_id')
