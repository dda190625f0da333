"""episodes: a family's time in a programme (sign-up with consent to closure with a reason);
allocations and claims belong to one; a family may sign up again after closure

Carries an existing database over: every attached family gets one episode in the programme
whose attachment dates hold its attachment date (before 2012-04-01: the first programme),
closed when the family's case was closed (families.closed_on, or else its last allocation
ended by a closure), with that closure's outcome as its reason; its sign-up, allocations and
claims are linked to it. Nothing is deleted.

Revision ID: b7e1d2c3a4f5
Revises: b35c0a1d9e21
Create Date: 2026-12-06 18:40:00
"""

import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = 'b7e1d2c3a4f5'
down_revision = 'b35c0a1d9e21'
branch_labels = None
depends_on = None

# The programmes' attachment dates as they stood when this migration was written (a migration
# keeps its own copy: the application's may change later).
PROGRAMMES = (("phase1", dt.date(2012, 4, 1), dt.date(2015, 3, 31)),
              ("phase2", dt.date(2015, 4, 1), dt.date(2022, 9, 30)),
              ("supporting_families", dt.date(2022, 10, 1), None))
REASONS = ("turned_around", "stepped_down", "stepped_up", "moved_away", "disengaged", "other")


def _programme(d):
    for name, first, last in PROGRAMMES:
        if first <= d and (last is None or d <= last):
            return name
    return "phase1"


def _date(value):
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def upgrade():
    op.create_table(
        'episodes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('family_id', sa.Integer(), nullable=False),
        sa.Column('programme', sa.String(length=30), nullable=False),
        sa.Column('outcome_plan_id', sa.Integer(), nullable=True),
        sa.Column('signed_up_on', sa.Date(), nullable=False),
        sa.Column('sign_up_id', sa.Integer(), nullable=True),
        sa.Column('consent_by', sa.String(length=200), nullable=True),
        sa.Column('lead_id', sa.Integer(), nullable=True),
        sa.Column('closed_on', sa.Date(), nullable=True),
        sa.Column('end_reason', sa.String(length=20), nullable=True),
        sa.Column('end_note', sa.Text(), nullable=True),
        sa.Column('opened_by_id', sa.Integer(), nullable=True),
        sa.Column('opened_at', sa.DateTime(), nullable=False),
        sa.Column('closed_by_id', sa.Integer(), nullable=True),
        sa.Column('source', sa.String(length=300), nullable=False),
        sa.CheckConstraint("programme IN ('phase1', 'phase2', 'supporting_families')",
                           name=op.f('ck_episodes_programme')),
        sa.CheckConstraint('closed_on IS NULL OR closed_on >= signed_up_on',
                           name=op.f('ck_episodes_dates')),
        sa.CheckConstraint('closed_on IS NULL OR end_reason IS NOT NULL',
                           name=op.f('ck_episodes_end_reason')),
        sa.ForeignKeyConstraint(['family_id'], ['families.id'],
                                name=op.f('fk_episodes_family_id_families')),
        sa.ForeignKeyConstraint(['outcome_plan_id'], ['outcome_plan_versions.id'],
                                name=op.f('fk_episodes_outcome_plan_id_outcome_plan_versions')),
        sa.ForeignKeyConstraint(['sign_up_id'], ['sign_ups.id'],
                                name=op.f('fk_episodes_sign_up_id_sign_ups')),
        sa.ForeignKeyConstraint(['lead_id'], ['users.id'], name=op.f('fk_episodes_lead_id_users')),
        sa.ForeignKeyConstraint(['opened_by_id'], ['users.id'],
                                name=op.f('fk_episodes_opened_by_id_users')),
        sa.ForeignKeyConstraint(['closed_by_id'], ['users.id'],
                                name=op.f('fk_episodes_closed_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_episodes')),
    )
    with op.batch_alter_table('episodes') as batch:
        batch.create_index('uq_episodes_one_open_per_family', ['family_id'], unique=True,
                           sqlite_where=sa.text('closed_on IS NULL'),
                           postgresql_where=sa.text('closed_on IS NULL'))
        batch.create_index('ix_episodes_family_signed_up', ['family_id', 'signed_up_on'])
        batch.create_index('ix_episodes_programme_signed_up', ['programme', 'signed_up_on'])
        batch.create_index(batch.f('ix_episodes_lead_id'), ['lead_id'])
    with op.batch_alter_table('allocations') as batch:
        batch.add_column(sa.Column('episode_id', sa.Integer(), nullable=True))
        batch.create_index(batch.f('ix_allocations_episode_id'), ['episode_id'])
        batch.create_foreign_key(batch.f('fk_allocations_episode_id_episodes'), 'episodes',
                                 ['episode_id'], ['id'])
    with op.batch_alter_table('claims') as batch:
        batch.add_column(sa.Column('episode_id', sa.Integer(), nullable=True))
        batch.create_index(batch.f('ix_claims_episode_id'), ['episode_id'])
        batch.create_foreign_key(batch.f('fk_claims_episode_id_episodes'), 'episodes',
                                 ['episode_id'], ['id'])
    with op.batch_alter_table('sign_ups') as batch:
        batch.drop_constraint('uq_sign_ups_family_id', type_='unique')
        batch.create_index(batch.f('ix_sign_ups_family_id'), ['family_id'])
    _carry_over()


def _carry_over():
    bind = op.get_bind()
    families = bind.execute(sa.text(
        "SELECT id, attached_on, closed_on FROM families WHERE attached_on IS NOT NULL")).all()
    if not families:
        return
    sign_ups = {fid: (sid, by, who) for sid, fid, by, who in bind.execute(sa.text(
        "SELECT id, family_id, recorded_by_id, consent_by FROM sign_ups "
        "WHERE outcome = 'signed_up'"))}
    closures, open_workers = {}, {}
    for fid, worker, end_on, kind, outcome, ended_by, reason in bind.execute(sa.text(
            "SELECT family_id, worker_id, end_on, end_kind, outcome, ended_by_id, end_reason "
            "FROM allocations ORDER BY start_on, id")):
        if end_on is None:
            open_workers[fid] = worker
        elif kind == 'closure':
            closures[fid] = (_date(end_on), outcome, ended_by, reason)
    leads = dict(bind.execute(sa.text(
        "SELECT family_id, lead_worker_id FROM selection_decisions "
        "WHERE decision = 'selected' AND lead_worker_id IS NOT NULL ORDER BY id")).all())
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    episodes = sa.table(
        'episodes', *[sa.column(c) for c in (
            'family_id', 'programme', 'signed_up_on', 'sign_up_id', 'consent_by', 'lead_id',
            'closed_on', 'end_reason', 'end_note', 'opened_by_id', 'opened_at', 'closed_by_id',
            'source')])
    rows = []
    for fid, attached_on, closed_on in families:
        attached_on, closed_on = _date(attached_on), _date(closed_on)
        sign_up = sign_ups.get(fid, (None, None, None))
        closure = closures.get(fid)
        reason, by, note = None, None, None
        if closure is not None and fid not in open_workers:
            closed_on = closed_on or closure[0]
            reason = closure[1] if closure[1] in REASONS else 'other'
            by, note = closure[2], closure[3]
        if closed_on is not None:
            closed_on = max(closed_on, attached_on)
            reason = reason or 'other'
        rows.append({
            'family_id': fid, 'programme': _programme(attached_on), 'signed_up_on': attached_on,
            'sign_up_id': sign_up[0], 'consent_by': sign_up[2],
            'lead_id': open_workers.get(fid) or leads.get(fid), 'closed_on': closed_on,
            'end_reason': reason, 'end_note': note, 'opened_by_id': sign_up[1],
            'opened_at': now, 'closed_by_id': by, 'source': 'carried over from the family record',
        })
    for i in range(0, len(rows), 5000):
        op.bulk_insert(episodes, rows[i:i + 5000])
    # Every allocation and claim of an attached family belongs to its one episode.
    for table in ('allocations', 'claims'):
        bind.execute(sa.text(
            f"UPDATE {table} SET episode_id = (SELECT e.id FROM episodes e "  # nosec B608: fixed names
            f"WHERE e.family_id = {table}.family_id) WHERE episode_id IS NULL"))
    # Families closed_on repeats the episode's (a closure found on an allocation included).
    bind.execute(sa.text(
        "UPDATE families SET closed_on = (SELECT e.closed_on FROM episodes e "
        "WHERE e.family_id = families.id) "
        "WHERE id IN (SELECT family_id FROM episodes)"))


def downgrade():
    with op.batch_alter_table('sign_ups') as batch:
        batch.drop_index(batch.f('ix_sign_ups_family_id'))
        batch.create_unique_constraint('uq_sign_ups_family_id', ['family_id'])
    with op.batch_alter_table('claims') as batch:
        batch.drop_constraint(batch.f('fk_claims_episode_id_episodes'), type_='foreignkey')
        batch.drop_index(batch.f('ix_claims_episode_id'))
        batch.drop_column('episode_id')
    with op.batch_alter_table('allocations') as batch:
        batch.drop_constraint(batch.f('fk_allocations_episode_id_episodes'), type_='foreignkey')
        batch.drop_index(batch.f('ix_allocations_episode_id'))
        batch.drop_column('episode_id')
    op.drop_table('episodes')
