"""The refresh's set-based path (every family's evidence in a few queries a batch, read raw
from the driver; the rows written through casework/bulk.py, COPY on PostgreSQL) stores
exactly what evaluating each family on its own, through SQLAlchemy, gives: on a varied
world (the worked examples and 300 generated families with every kind of evidence), on
both databases (CASEWORK_TEST_DB=postgresql)."""

import datetime as dt

from sqlalchemy import select

from casework import models as m
from casework.demo import demo_csv
from casework.evaluation import store
from casework.evaluation.service import current_ruleset, evaluate_family
from casework.extensions import db

D = dt.date(2013, 9, 30)


def _world(cli, examples, tmp_path) -> None:
    examples()
    args = ["import"]
    for kind, data in demo_csv(300, seed=7, today=D):
        if data.count(b"\n") > 1:
            path = tmp_path / f"{kind}.csv"
            path.write_bytes(data)
            args += [kind, str(path)] if len(args) == 1 else ["--also", kind, str(path)]
    result = cli(*args, "--refresh-later")
    assert result.exit_code == 0, result.output


def _one_at_a_time(as_of: dt.date) -> dict[int, dict]:
    """Each family evaluated alone, as its own page does (SQLAlchemy's results, no batch),
    and made into the stored row."""
    rules = current_ruleset()
    now = m.utcnow()
    rows = {}
    for family in db.session.scalars(select(m.Family)):
        item = evaluate_family(family, as_of)
        abuse = store._abuse_dates([family.id]).get(family.id, [])
        rows[family.id] = store.row(item, abuse, rules, now)
    return rows


def _stored() -> dict[int, dict]:
    table = m.StoredEvaluation.__table__
    return {row["family_id"]: dict(row) for row in db.session.execute(
        select(table).where(table.c.ruleset == "phase1")).mappings()}  # the council's ruleset


def test_the_set_based_refresh_stores_what_each_family_alone_gives(cli, examples, tmp_path):
    _world(cli, examples, tmp_path)
    store.refresh(as_of=D)
    db.session.expire_all()
    stored = _stored()
    expected = _one_at_a_time(D)
    assert len(stored) == len(expected) > 300
    # The world is varied: eligible and not, attached and not, results of every kind.
    assert {r["eligible"] for r in stored.values()} == {True, False}
    assert {r["cost_status"] for r in stored.values()} >= {None, "estimated"}
    assert len({r["result_asb"] for r in stored.values()}) >= 3
    assert any(r["nearly_there"] for r in stored.values())
    assert any(r["claimable_total"] for r in stored.values())
    for family_id, want in expected.items():
        got = {k: v for k, v in stored[family_id].items() if k not in ("id", "evaluated_at")}
        assert got == {k: v for k, v in want.items() if k != "evaluated_at"}, family_id


def test_a_refresh_of_the_changed_families_gives_the_same_rows_as_a_full_one(
        cli, examples, tmp_path):
    """The job after an import (the families queued, rows compared and only the differing
    ones written) and a full refresh at the same date store the same rows."""
    _world(cli, examples, tmp_path)
    store.refresh(as_of=D)  # every family, and the stored date
    first = _stored()
    queued = sorted(first)[::3]
    store.mark_stale(queued)
    db.session.commit()
    store.refresh_pending()
    again = _stored()
    assert again.keys() == first.keys()
    for family_id, row in first.items():
        assert {k: v for k, v in again[family_id].items() if k not in ("evaluated_at",)} == {
            k: v for k, v in row.items() if k not in ("evaluated_at",)}
