"""One transaction helper, one history writer, and the caseload limit as a pure rule."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError, OperationalError

from casework import models as m
from casework.extensions import db
from casework.history import write_history
from casework.rules import get_ruleset
from casework.rules.caseload import LimitPassed, limits_passed
from casework.transaction import PartlyFailed, after_commit, transaction, transactional

from .factories import create_user

RULES = get_ruleset("phase1")


def test_the_tenth_active_family_is_within_the_limit_and_the_eleventh_passes_it():
    assert limits_passed(9, set(), 1, RULES) == []
    assert limits_passed(10, set(), 1, RULES) == [LimitPassed("active", 10, 10)]


def test_the_rolling_limit_counts_distinct_families_with_the_new_one():
    twenty_nine, thirty = set(range(100, 129)), set(range(100, 130))
    assert limits_passed(0, twenty_nine, 1, RULES) == []
    assert limits_passed(0, thirty, 100, RULES) == []  # had this family already
    assert limits_passed(0, thirty, 1, RULES) == [LimitPassed("rolling", 30, 30)]
    assert limits_passed(10, thirty, 1, RULES) == [LimitPassed("active", 10, 10),
                                                   LimitPassed("rolling", 30, 30)]


def _teams() -> int:
    return db.session.scalar(select(func.count(m.Team.id)))


def test_a_transaction_commits_what_its_block_wrote(app):
    with transaction():
        db.session.add(m.Team(name="North"))
    db.session.rollback()  # nothing is left to roll back: it was committed
    assert _teams() == 1


def test_a_transaction_that_raises_rolls_back_everything_it_wrote(app):
    @transactional
    def add_then_fail():
        db.session.add(m.Team(name="South"))
        db.session.flush()
        raise ValueError("refused")

    with pytest.raises(ValueError, match="refused"):
        add_then_fail()
    assert _teams() == 0


def test_history_keeps_only_the_fields_that_changed_and_nothing_for_a_new_record(app):
    user = create_user("manager")
    assert write_history("goal", "1", None, {"goal": "School"}, user) == []
    assert write_history("goal", "1", {"goal": "School", "on": dt.date(2013, 1, 1)},
                         {"goal": "School", "on": dt.date(2013, 2, 1)}, user, "edited", "E01") \
        == ["on"]
    db.session.flush()
    row = db.session.scalars(select(m.RecordHistory)).one()
    assert (row.record_type, row.family_ref, row.changed_by_id, row.source) == (
        "goal", "E01", user.id, "edited")
    assert (row.before, row.after) == ({"on": "2013-01-01"}, {"on": "2013-02-01"})


def test_a_refused_agreed_number_change_writes_none_of_the_years_before_it(app):
    from casework.selection import service as selection

    manager = create_user("manager")
    with pytest.raises(selection.SelectionRefused, match="no programme year 4"):
        selection.set_agreed_numbers({1: 1082, 4: 10}, manager)
    db.session.commit()  # whatever a later step of the request commits
    assert selection.agreed_numbers() == {}
    assert db.session.scalars(select(m.RecordHistory)).all() == []


def test_a_transaction_inside_another_joins_it_and_only_the_outermost_commits(app):
    @transactional
    def add(name):
        db.session.add(m.Team(name=name))

    with pytest.raises(ValueError):
        with transaction():
            add("East")  # its own use case, but inside this one: not committed yet
            raise ValueError("the outer use case is refused")
    assert _teams() == 0
    with transaction():
        add("East")
        add("West")
    db.session.rollback()
    assert _teams() == 2


def test_what_waits_for_the_commit_runs_after_it_and_never_after_a_rollback(app):
    seen = []

    def count_teams_from_another_connection():
        with db.engine.connect() as other:
            seen.append(other.execute(select(func.count(m.Team.id))).scalar())

    with transaction():
        db.session.add(m.Team(name="North"))
        after_commit(count_teams_from_another_connection)
        assert seen == []
    assert seen == [1]  # it ran once the team was there for others to read
    with pytest.raises(ValueError):
        with transaction():
            after_commit(lambda: seen.append("ran"))
            raise ValueError("refused")
    assert seen == [1]
    after_commit(lambda: seen.append("at once"))  # no transaction open
    assert seen == [1, "at once"]


def test_a_transaction_that_swallowed_an_inner_failure_saves_nothing_rather_than_half(app):
    @transactional
    def add_then_refuse():
        db.session.add(m.Team(name="Half"))
        db.session.flush()
        raise ValueError("refused")

    with pytest.raises(PartlyFailed):
        with transaction():
            db.session.add(m.Team(name="Whole"))
            try:
                add_then_refuse()
            except ValueError:
                pass  # carried on as if the inner use case had not written half of itself
    assert _teams() == 0
    with transaction():  # the next transaction starts clean
        db.session.add(m.Team(name="Next"))
    assert _teams() == 1


def test_only_the_transaction_helper_and_the_machinery_below_use_cases_commit_or_roll_back():
    """Every use case ends its transaction through casework/transaction.py. The others here
    are the machinery around use cases: SQLite's write lock, the job runner (the work's
    outcome, and its runner lock on its own connection), the refresh's batch writer, the
    stored figures' count from a read snapshot and its short write (figures.store_marked),
    and the app's error page."""
    import ast
    from pathlib import Path

    import casework

    root = Path(casework.__file__).resolve().parent
    found = {}
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in ("commit", "rollback") and not node.args):
                name = path.relative_to(root).as_posix()
                found[name] = found.get(name, 0) + 1
    assert set(found) == {"transaction.py", "locking.py", "jobs/service.py",
                          "evaluation/store.py", "evaluation/figures.py", "__init__.py"}, found


def test_a_commit_that_fails_rolls_back_and_leaves_the_session_ready_for_the_next(app):
    db.session.add(m.Team(name="North"))
    db.session.commit()
    ran = []
    with pytest.raises(IntegrityError):
        with transaction():
            db.session.add(m.Team(name="North"))  # the unique name is found at the commit
            after_commit(lambda: ran.append("ran"))
    assert _teams() == 1  # no PendingRollbackError: the session was rolled back
    with transaction():
        db.session.add(m.Team(name="South"))
    assert (_teams(), ran) == (2, [])  # the failed transaction's callback never runs


def _locked_out(team_id: int) -> bool:
    """Whether another connection is kept out now: from writing at all (SQLite's one write
    lock) or from locking the team's row (PostgreSQL)."""
    with db.engine.connect() as other:
        try:
            if other.dialect.name == "sqlite":
                other.exec_driver_sql("PRAGMA busy_timeout=0")
                other.exec_driver_sql("BEGIN IMMEDIATE")
            else:
                other.execute(text("SELECT id FROM teams WHERE id = :id FOR UPDATE NOWAIT"),
                              {"id": team_id})
        except OperationalError:
            return True
        finally:
            other.rollback()
            other.invalidate()  # its busy timeout is not handed to the next user of the pool
        return False


class Later(Exception):
    """The use case fails after taking the lock."""


@pytest.mark.parametrize("written", ["nothing", "flushed", "not flushed"])
def test_any_use_case_may_take_the_lock_and_keeps_its_earlier_writes_in_its_transaction(
        app, written):
    """lock_rows serves a caller that has written already in its transaction (an audit row,
    a job) as it does one that has not: from the lock on no other writer can interleave, and
    what it wrote before is committed or rolled back with the rest, never on its own."""
    from casework.locking import lock_rows

    held = m.Team(name="Held")
    db.session.add(held)
    db.session.commit()
    team_id = held.id

    def use_case():
        if written != "nothing":
            db.session.add(m.Team(name="Early"))
            if written == "flushed":
                db.session.flush()  # on SQLite the write lock is this transaction's from here
        lock_rows((m.Team, [team_id]))
        assert _locked_out(team_id)
        db.session.add(m.Team(name="After the lock"))
        assert _teams() == (2 if written == "nothing" else 3)  # its own writes, seen in it

    with pytest.raises(Later):
        with transaction():
            use_case()
            raise Later
    assert _teams() == 1  # rolled back whole: the lock committed nothing on its own
    assert not _locked_out(team_id)
    with transaction():
        use_case()
    assert _teams() == (2 if written == "nothing" else 3)
    assert not _locked_out(team_id)
