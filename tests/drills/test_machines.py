"""Beyond one machine: two app servers and two job workers sharing one real Redis (the job
queue) and one PostgreSQL. A job started on one server is run by one of the workers, once,
and seen on both servers."""

from __future__ import annotations

import pytest

from ..conftest import PASSWORD
from ..parsed import Page
from .harness import AppServer, Client, Process, Worker, casework_env, job_path, wait_for

pytestmark = pytest.mark.drill

BUILD = {"build-as_of": ["30", "9", "2013"], "build-build": "1"}


def start_all(*processes: Process) -> None:
    for process in processes:
        Process.start(process)
    for process in processes:
        if isinstance(process, AppServer):
            process.ready()


def finished(client: Client, path: str) -> dict | None:
    status = client.json(path + ".json")
    return status if status["finished"] else None


def test_a_job_started_on_one_server_is_run_once_by_either_worker_and_seen_on_both(
        site, redis, folder):
    site.examples()
    manager = site.user("manager")
    env = casework_env(site.primary.url, redis.url)
    a, b = AppServer("app-a", env, folder), AppServer("app-b", env, folder)
    workers = [Worker("worker-1", env, folder), Worker("worker-2", env, folder)]
    try:
        start_all(a, b, *workers)
        on_a = Client(a.base)
        on_a.sign_in(manager.email, PASSWORD)
        on_b = Client(b.base, jar=on_a.jar)  # one session, good on either server

        status, headers, _ = on_a.post_form("/claims/", BUILD)
        assert status == 302, headers
        job = job_path(headers)
        job_id = int(job.rsplit("/", 1)[1])
        done_a = wait_for(lambda: finished(on_a, job), 120, "the job, seen on server A")
        done_b = finished(on_b, job)
        assert done_a == done_b and done_a["state"] == "done", (done_a, done_b)
        assert done_a["summary"] == ("3 draft claims created for results claimable on "
                                     "30 September 2013.")
        # Its page on the other server says the same.
        page = Page(on_b.get(job)[2])
        assert page.main.find(cls="govuk-notification-banner__title").text() == "Done"
        assert page.banners[0].startswith(done_a["summary"])
        # Run once, by one of the two workers.
        assert sorted(w.runs(job_id) for w in workers) == [0, 1], [w.output() for w in workers]
        assert site.scalar("SELECT count(*) FROM claims") == 3

        # A second build started on server B: seen on A, and it builds nothing twice.
        status, headers, _ = on_b.post_form("/claims/", BUILD)
        again = job_path(headers)
        done = wait_for(lambda: finished(on_a, again), 120, "the second job, seen on server A")
        assert done["state"] == "done" and done["summary"].startswith("0 draft claims created")
        assert finished(on_b, again) == done
        assert sum(w.runs(int(again.rsplit("/", 1)[1])) for w in workers) == 1
        assert site.scalar("SELECT count(*) FROM claims") == 3
        # Both jobs went through Redis (nothing of casework's queue is left in SQLite files).
        assert redis.queued() == 0
        assert site.scalar("SELECT count(*) FROM jobs WHERE state = 'done'") == 2
    finally:
        for process in (*workers, a, b):
            process.stop()
    for worker in workers:
        assert "Traceback" not in worker.output(), worker.output()
