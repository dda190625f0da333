"""Fault drills, on real processes: kill -9 a worker in the middle of a claims build, a PDF
and a large import; stop PostgreSQL in the middle of an import and of a page; restart Redis
with jobs queued. After each: nothing half-written, nothing done twice, every job finishes
or says why, and the pages answer again within seconds. (The full disk: test_disk.py.)"""

from __future__ import annotations

import sys
import threading
import time

import pytest

from casework import create_app
from casework import models as m
from casework.extensions import db
from casework.queue import start

from ..conftest import PASSWORD
from .harness import AppServer, Client, Worker, casework_env, wait_for

pytestmark = pytest.mark.drill

CLAIMS = "SELECT count(*) FROM claims"
SECONDS_TO_ANSWER = 10  # the pages answer again within this after a fault is over


class Stack:
    """One app server and the workers of a drill, on the drill's PostgreSQL and Redis."""

    def __init__(self, site, redis, folder):
        self.site, self.redis, self.folder = site, redis, folder
        self.env = casework_env(site.primary.url, redis.url)
        self.processes = []
        self.manager = site.user("manager")

    def app_server(self) -> Client:
        server = AppServer("app", self.env, self.folder)
        self.processes.append(server)
        server.start()
        client = Client(server.base)
        client.sign_in(self.manager.email, PASSWORD)
        return client

    def worker(self, name: str, stall: str | None = None) -> Worker:
        if stall:
            env = {**self.env, "CASEWORK_DRILL_STALL": stall,
                   "CASEWORK_DRILL_STALLED": str(self.folder / f"{name}.stalled")}
            worker = Worker(name, env, self.folder, command=[
                sys.executable, "-m", "tests.drills.stall", "worker", "--threads", "1"])
        else:
            worker = Worker(name, self.env, self.folder)
        self.processes.append(worker)
        worker.start()
        return worker

    def stalled(self, name: str) -> None:
        wait_for(lambda: (self.folder / f"{name}.stalled").exists(), 120,
                 f"{name} to reach the point where it is killed")

    def start(self, kind: str, title: str, **options) -> int:
        """Start a job as a page does, on the drill's Redis queue; its id."""
        app = create_app("test", SQLALCHEMY_DATABASE_URI=self.site.primary.url,
                         JOBS_QUEUE_URL=self.redis.url)
        with app.app_context():
            job = start(kind, title, db.session.get(m.User, self.manager.id), **options)
            job_id = job.id
            db.engine.dispose()
        return job_id

    def job(self, job_id: int) -> dict:
        db.session.rollback()
        job = db.session.get(m.Job, job_id)
        db.session.refresh(job)
        values = {"state": job.state, "summary": job.summary, "error": job.error,
                  "attempts": job.attempts, "done": job.progress_done,
                  "result": job.result_sha256}
        db.session.rollback()
        return values

    def finished(self, job_id: int, seconds: float = 150) -> dict:
        return wait_for(lambda: (j := self.job(job_id))["state"] in ("done", "failed") and j,
                        seconds, f"job {job_id} to finish")

    def runs(self, job_id: int) -> int:
        return sum(p.runs(job_id) for p in self.processes if isinstance(p, Worker))

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.stop()


@pytest.fixture
def stack(site, redis, folder):
    stack = Stack(site, redis, folder)
    yield stack
    stack.stop()


def answers_within(client: Client, path: str, seconds: float = SECONDS_TO_ANSWER) -> float:
    """How long until `path` answers 200 (failing after `seconds`)."""
    began = time.monotonic()
    wait_for(lambda: client.get(path, timeout=seconds)[0] == 200, seconds,
             f"{path} to answer", every=0.25)
    return time.monotonic() - began


def _big_families_csv(rows: int) -> bytes:
    lines = ["family_ref,family_name,address,postcode,ward,identified_on,attached_on,"
             "local_discretion,local_discretion_reason"]
    lines += [f"D{n:06d},Drill household {n},{n} Drill Road,ME15 6JQ,Shepway North,"
              "2012-07-02,2012-07-16,n," for n in range(rows)]
    return ("\n".join(lines) + "\n").encode()


# kill -9 a worker ----------------------------------------------------------------------------


def test_kill_9_in_the_middle_of_a_claims_build_builds_each_claim_once_and_says_so(
        site, stack):
    site.examples()
    client = stack.app_server()

    # Killed with the claims written but not committed: none is saved, the retry builds them.
    doomed = stack.worker("doomed", stall="casework.claims.service:record_event")
    first = stack.start("claims_build", "Build draft claims", params={"as_of": "2013-09-30"})
    stack.stalled("doomed")
    doomed.kill9()
    assert site.scalar(CLAIMS) == 0 and stack.job(first)["state"] == "running"

    # Killed after the claims were committed, before the job was recorded done (the
    # issue's case): the retry builds none again, and its summary tells what the job did.
    late = stack.worker("late", stall="casework.jobs.service:finish")
    stack.stalled("late")  # the first job, taken up again and run to its last step
    late.kill9()
    assert site.scalar(CLAIMS) == 3 and stack.job(first)["state"] == "running"

    stack.worker("worker")
    job = stack.finished(first)
    assert job["state"] == "done" and job["attempts"] == 3, job
    assert job["summary"] == ("3 draft claims created for results claimable on 30 September "
                              "2013 (3 of them saved by an earlier run of this job that was "
                              "stopped before it finished).")
    assert site.scalar(CLAIMS) == 3
    assert site.scalar("SELECT count(*) FROM audit_events WHERE action = 'create' "
                       "AND object_type = 'claim'") == 3
    assert site.scalar("SELECT count(*) FROM audit_events WHERE action = 'job_done'") == 1
    assert answers_within(client, "/claims/") < SECONDS_TO_ANSWER


def test_kill_9_in_the_middle_of_a_pdf_makes_it_once_on_the_retry(site, stack):
    site.examples()
    client = stack.app_server()
    doomed = stack.worker("doomed", stall="casework.families.subject_access:render_pdf")
    job_id = stack.start("subject_access_pdf", "Subject access PDF for E01",
                         params={"family_ref": "E01"})
    stack.stalled("doomed")
    doomed.kill9()
    assert stack.job(job_id)["result"] is None

    stack.worker("worker")
    job = stack.finished(job_id)
    assert job["state"] == "done" and job["attempts"] == 2 and job["result"], job
    assert stack.runs(job_id) == 2  # the killed run and the retry, no more
    assert site.scalar("SELECT count(*) FROM audit_events WHERE action = 'job_done'") == 1
    status, headers, body = client.get(f"/jobs/{job_id}")
    assert status == 200 and "ready to download" in body


def _import_job(stack, rows: int) -> int:
    return stack.start("import", "Import of families.csv (families)",
                       params={"kind": "families", "filename": "families.csv", "match": False},
                       input=_big_families_csv(rows))


def _mid_import(stack, job_id: int) -> None:
    wait_for(lambda: (j := stack.job(job_id))["state"] == "running" and (j["done"] or 0) > 0,
             120, "the import to be part way")


def test_kill_9_in_the_middle_of_a_large_import_imports_every_row_once(site, stack):
    rows = 20_000
    client = stack.app_server()
    doomed = stack.worker("doomed")
    job_id = _import_job(stack, rows)
    _mid_import(stack, job_id)
    doomed.kill9()
    assert site.scalar("SELECT count(*) FROM families") in (0, rows)  # never part of it

    stack.worker("worker")
    job = stack.finished(job_id)
    assert job["state"] == "done", job
    assert job["summary"].startswith(f"families: {rows} created, 0 updated"), job
    assert site.scalar("SELECT count(*) FROM families") == rows
    assert site.scalar("SELECT count(*) FROM import_runs") == 1
    assert answers_within(client, "/families/D000001") < SECONDS_TO_ANSWER


# PostgreSQL stopped ------------------------------------------------------------------------


def test_postgresql_stopped_in_the_middle_of_an_import_the_import_finishes_once_after(
        site, stack):
    rows = 20_000
    client = stack.app_server()
    stack.worker("worker")
    job_id = _import_job(stack, rows)
    _mid_import(stack, job_id)
    db.session.remove()
    db.engine.dispose()
    site.primary.stop_server("fast")  # every connection cut, what was open rolled back
    time.sleep(2)
    site.primary.start_server()
    assert answers_within(client, "/jobs/") < SECONDS_TO_ANSWER
    # The interrupted run is found by the worker's recovery (every minute) and run again.
    job = stack.finished(job_id, seconds=240)
    assert job["state"] == "done", job
    assert site.scalar("SELECT count(*) FROM families") == rows
    assert site.scalar("SELECT count(*) FROM import_runs") == 1


def test_postgresql_stopped_in_the_middle_of_a_page_shows_no_data_unaudited_and_comes_back(
        site, stack):
    site.examples()
    client = stack.app_server()
    assert client.get("/families/E01")[0] == 200
    # Hold the page in its middle: it has read the family and waits to write its audit row.
    import psycopg

    blocker = psycopg.connect(f"host=127.0.0.1 port={site.primary.port} user=postgres "
                              "dbname=casework_test")
    try:
        # SHARE: reading audit_events goes on, adding a row waits.
        blocker.execute("LOCK TABLE audit_events IN SHARE MODE")
        answer: dict = {}
        page = threading.Thread(target=lambda: answer.update(
            zip(("status", "headers", "body"), client.get("/families/E01", timeout=60))))
        page.start()
        wait_for(lambda: site.scalar(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
            "AND query LIKE '%INSERT INTO audit_events%'"), 30,
            "the page to wait on its audit row")
        assert page.is_alive()
        db.session.remove()
        db.engine.dispose()
        site.primary.stop_server("fast")
        page.join(60)
    finally:
        try:
            blocker.close()
        except Exception:
            pass
    # The page failed: the family's details were not sent without their audit row.
    assert answer["status"] == 500, answer.get("status")
    assert "Taylor household" not in answer["body"]
    site.primary.start_server()
    assert answers_within(client, "/families/E01") < SECONDS_TO_ANSWER
    assert site.scalar("SELECT count(*) FROM audit_events WHERE action = 'view' "
                       "AND object_type = 'family' AND object_ref = 'E01'") >= 2


# Redis restarted ----------------------------------------------------------------------------


def test_redis_restarted_with_jobs_queued_runs_each_once_and_a_job_asked_while_down_says_why(
        site, stack, redis):
    site.examples()
    client = stack.app_server()
    queued = [stack.start("subject_access_pdf", f"Subject access PDF for {ref}",
                          params={"family_ref": ref}) for ref in ("E01", "E02", "E03")]
    assert redis.queued() == 3  # no worker yet: they wait in Redis
    redis.kill9()  # no clean shutdown: its append-only file, synced on every write, holds them
    # A job asked for while the queue is down says so on its page; the page still answers.
    status, headers, _ = client.post_form("/families/E04/subject-access-pdf", {},
                                          page="/families/E04")
    assert status == 302, status
    down = headers["Location"].rsplit("/", 1)[1]
    failed = stack.job(int(down))
    assert failed["state"] == "failed" and "job queue could not be reached" in failed["error"]
    redis.start()
    assert redis.queued() == 3
    stack.worker("worker")
    for job_id in queued:
        job = stack.finished(job_id)
        assert job["state"] == "done" and job["attempts"] == 1, job
        assert stack.runs(job_id) == 1
    assert answers_within(client, "/jobs/") < SECONDS_TO_ANSWER
