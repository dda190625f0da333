"""Reports read from a real PostgreSQL streaming replica (pg_basebackup -R from the drills'
primary) when DATABASE_REPLICA_URL names one; every other read, and every write, from the
primary; the primary again when the replica is behind or down."""

from __future__ import annotations

import contextlib
import re

import pytest
from sqlalchemy import text

from casework import create_app
from casework import models as m
from casework.extensions import db
from casework.queue import start

from ..conftest import login, run_queued
from .harness import wait_for

pytestmark = pytest.mark.drill

AS_OF = "2013-09-30"


def _replica_sql(replica, sql: str):
    import psycopg

    with psycopg.connect(f"host=127.0.0.1 port={replica.port} user=postgres "
                         "dbname=casework_test", autocommit=True) as connection:
        return connection.execute(sql).fetchone()[0]


def _caught_up(site, replica) -> bool:
    primary_lsn = site.scalar("SELECT pg_current_wal_lsn()::text")
    return _replica_sql(replica, "SELECT pg_last_wal_replay_lsn() >= "
                                 f"'{primary_lsn}'::pg_lsn")


def _replay(site, replica) -> None:
    """The replica replays again, and catches up with the primary."""
    _replica_sql(replica, "SELECT pg_wal_replay_resume()::text")
    wait_for(lambda: _caught_up(site, replica), 30, "the replica to catch up")


@contextlib.contextmanager
def _paused_replica(site):
    """(an app reading a streaming replica of the primary, the replica): caught up, then
    stopped replaying, so what is written next reaches only the primary until _replay. The
    app uses the replica however far behind it falls (REPLICA_MAX_LAG_SECONDS)."""
    replica = site.primary.replica()
    try:
        app = create_app("test", SQLALCHEMY_DATABASE_URI=site.primary.url,
                         DATABASE_REPLICA_URL=replica.url)
        app.config["REPLICA_MAX_LAG_SECONDS"] = 3600
        wait_for(lambda: _caught_up(site, replica), 30, "the replica to catch up")
        _replica_sql(replica, "SELECT pg_wal_replay_pause()::text")
        yield app, replica
        with app.app_context():
            for engine in db.engines.values():
                engine.dispose()
    finally:
        replica.stop()


def _ssd_rows(app, user) -> int:
    """Run an SSD return job here, as the worker would; the number of person rows it made."""
    with app.app_context():
        job = start("ssd", "SSD early help tables", db.session.get(m.User, user.id),
                    params={"as_of": AS_OF})
        run_queued(app)
        job = db.session.get(m.Job, job.id)
        assert job.state == "done", job.error
        return int(re.search(r"ssd_person ([\d,]+)", job.summary).group(1).replace(",", ""))


def test_returns_read_the_replica_and_what_must_see_a_write_reads_the_primary(site, caplog):
    manager = site.user("manager")
    # Lag is measured below; at first the replica is used however far behind it falls.
    with _paused_replica(site) as (app, replica):
        # The replica is not replaying: the families imported now reach only the primary.
        site.examples()
        people = site.scalar("SELECT count(*) FROM people")
        assert people > 0
        assert _replica_sql(replica, "SELECT count(*) FROM people") == 0

        # The return is read from the replica (it has no families yet) ...
        assert _ssd_rows(app, manager) == 0
        # ... its audit row and the job's record were written to the primary ...
        assert site.scalar("SELECT count(*) FROM audit_events WHERE action = 'export' "
                           "AND object_type = 'ssd'") == 1
        # ... and a page that must see what was just imported reads the primary.
        client = app.test_client()
        with app.app_context():
            assert login(client, manager.email).status_code == 302
            page = client.get("/families/E01")
        assert page.status_code == 200 and "Taylor household" in page.text

        # Too far behind (here: any lag at all), the replica is passed over.
        app.config["REPLICA_MAX_LAG_SECONDS"] = 0
        with caplog.at_level("WARNING", logger="casework.replica"):
            full = _ssd_rows(app, manager)
        assert full > 0 and "behind the primary, reading the primary" in caplog.text
        app.config["REPLICA_MAX_LAG_SECONDS"] = 3600

        # Replaying again, the replica serves the same return the primary would.
        _replay(site, replica)
        assert _ssd_rows(app, manager) == full

        # The replica down: the return still comes, from the primary, and says nothing odd.
        replica.stop_server("immediate")
        caplog.clear()
        with caplog.at_level("WARNING", logger="casework.replica"):
            assert _ssd_rows(app, manager) == full
        assert "cannot be reached, reading the primary" in caplog.text


def test_without_a_replica_everything_reads_the_primary(site):
    from casework import replica

    with site.app.app_context():
        assert not replica.configured()
        with replica.reads() as from_replica:
            assert from_replica is False
            assert db.session.execute(text("SELECT 1")).scalar() == 1


def test_csv_exports_read_the_replica_in_the_request_and_in_their_job(site, monkeypatch):
    """/results.csv and /programme/costs.csv read the replica, made in the request or (when
    large) by their job; a file made from a replica behind the primary is not served as the
    primary's data once the replica has caught up."""
    from casework.reports import exports

    manager = site.user("manager")
    with _paused_replica(site) as (app, replica):
        site.examples()  # on the primary only
        assert site.scalar("SELECT count(*) FROM stored_evaluations") > 0
        client = app.test_client()

        def lines(address: str) -> int:
            with app.app_context():
                response = client.get(address)
                if response.status_code == 303:  # made by a job: run it, ask again
                    run_queued(app)
                    response = client.get(address)
                assert response.status_code == 200 and response.mimetype == "text/csv"
                return len(response.text.splitlines())

        with app.app_context():
            assert login(client, manager.email).status_code == 302
        # made in the request, from the replica (it has no families yet): the header only
        assert lines("/results.csv") == 1
        assert lines("/programme/costs.csv") == 1
        # made by a job, from the replica too (the job's page offers its file) ...
        monkeypatch.setattr(exports, "EXPORT_IN_REQUEST", -1)
        with app.app_context():
            job_page = client.get("/results.csv").headers["Location"]
            run_queued(app)
            made = client.get(f"{job_page}/result")
            assert made.status_code == 200 and len(made.text.splitlines()) == 1
            # ... but the address does not serve it as the data as it is now: the replica
            # made it from older data than the primary's
            assert client.get("/results.csv").headers["Location"] != job_page
            run_queued(app)
        # caught up, the address gives the file made from the data as it is
        _replay(site, replica)
        families = site.scalar("SELECT count(*) FROM stored_evaluations")
        assert lines("/results.csv") == 1 + families
