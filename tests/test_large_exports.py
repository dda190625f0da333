"""Large CSV exports are made by a job, not in the request (no web request does
long work), while their addresses keep giving the CSV: the first request for a large export
starts the job and leads to its page; once made, the same address gives the file, until the
data changes. Each such job is its starter's own."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import func, select

from casework import models as m
from casework.evaluation import store
from casework.extensions import db
from casework.reports import exports

from .conftest import login
from .factories import create_user
from .parsed import Page
from .races import at_once
from .test_rules import D

ADDRESSES = {"/results.csv": "results_csv", "/programme/costs.csv": "costs_csv"}


def _jobs(kind: str) -> int:
    return db.session.scalar(select(func.count()).select_from(m.Job).where(m.Job.kind == kind))


@pytest.fixture
def families(examples):
    examples()
    store.refresh(as_of=D(2013, 9, 30))


@pytest.mark.parametrize("address", ADDRESSES)
def test_a_large_export_is_made_by_a_job_and_the_address_then_gives_the_file(
        app, client, sign_in, families, run_jobs, monkeypatch, address):
    manager = sign_in("manager")
    made_here = client.get(address)  # small: made in the request, as before
    assert made_here.status_code == 200 and made_here.mimetype == "text/csv"
    assert _jobs(ADDRESSES[address]) == 0

    monkeypatch.setattr(exports, "EXPORT_IN_REQUEST", 3)  # the examples' 7 families are "large"
    first = client.get(address)
    assert first.status_code == 303
    job_page = first.headers["Location"]
    assert job_page.startswith("/jobs/")
    job_id = int(job_page.removeprefix("/jobs/"))
    # asked again while the job waits: the same job, not a second
    assert client.get(address).headers["Location"] == job_page
    assert _jobs(ADDRESSES[address]) == 1
    assert run_jobs() == 1
    page = Page(client.get(job_page).text)
    assert page.banners[0].startswith("The ")
    assert page.links[f"Download {made_here.headers['Content-Disposition'].split('=')[1]}"] == (
        f"{job_page}/result")
    # the address now gives the file the job made, byte for byte what the request made
    again = client.get(address)
    assert again.status_code == 200 and again.mimetype == "text/csv"
    assert again.data == made_here.data
    assert again.headers["Content-Disposition"] == made_here.headers["Content-Disposition"]
    assert _jobs(ADDRESSES[address]) == 1
    exported = db.session.scalars(select(m.AuditEvent.detail).where(
        m.AuditEvent.action == "export", m.AuditEvent.user_id == manager.id)
        .order_by(m.AuditEvent.id)).all()
    assert exported[-1].endswith(f"made by job {job_id}")

    # another manager sees neither the job nor its file, and gets their own
    other = create_user("manager", email="other.manager@example.test")
    client = app.test_client()
    login(client, other.email)
    assert client.get(job_page).status_code == 404
    assert client.get(f"{job_page}/result").status_code == 404
    assert job_page not in Page(client.get("/jobs/").text).links.values()
    assert client.get(address).status_code == 303
    assert _jobs(ADDRESSES[address]) == 2


def test_a_change_to_the_data_makes_the_export_again(client, sign_in, families, run_jobs,
                                                     monkeypatch, cli, tmp_path):
    sign_in("manager")
    monkeypatch.setattr(exports, "EXPORT_IN_REQUEST", 3)
    assert client.get("/results.csv").status_code == 303
    assert run_jobs() == 1
    before = list(csv.DictReader(io.StringIO(client.get("/results.csv").text)))
    assert len(before) == 7
    (tmp_path / "families.csv").write_text(
        "family_ref,family_name,ward,identified_on\nE99,Newcomer household,Fant,2013-06-01\n")
    assert cli("import", "families", tmp_path / "families.csv").exit_code == 0
    again = client.get("/results.csv")
    assert again.status_code == 303 and _jobs("results_csv") == 2
    assert run_jobs() == 1
    after = list(csv.DictReader(io.StringIO(client.get("/results.csv").text)))
    assert [r["family_ref"] for r in after] == [r["family_ref"] for r in before] + ["E99"]


def test_who_may_not_see_jobs_gets_a_large_export_in_the_request(client, sign_in, families,
                                                                 monkeypatch):
    sign_in("team_lead")  # may see results, not jobs: their families are few
    monkeypatch.setattr(exports, "EXPORT_IN_REQUEST", 0)
    response = client.get("/results.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert _jobs("results_csv") == 0


def test_two_requests_at_the_same_instant_start_one_job(app, families, monkeypatch):
    """Each request reads whether a job already makes its export, then starts one: two
    at the same instant must not both read "none" and start two."""
    import threading

    from casework import queue

    manager_id = create_user("manager", email="racing.manager@example.test").id
    monkeypatch.setattr(exports, "EXPORT_IN_REQUEST", 3)
    barrier = threading.Barrier(2)
    real = queue.reusable

    def slow_reusable(*args):
        found = real(*args)
        try:  # hold the window open until the other request has read too (if it can)
            barrier.wait(timeout=2)
        except threading.BrokenBarrierError:
            pass
        return found

    monkeypatch.setattr(exports, "reusable", slow_reusable)

    def ask() -> int:
        made = exports.csv_export("results_csv", "Results CSV", db.session.get(m.User, manager_id),
                                  {}, 10, lambda: ("x.csv", b""))
        return made.job.id

    jobs = at_once(app, ask, ask)
    assert len(jobs) == 2 and jobs[0] == jobs[1]
    assert _jobs("results_csv") == 1


def test_a_use_case_that_has_written_may_ask_for_a_large_export(app, families, monkeypatch):
    """The export takes its lock in whatever transaction it is called in: a caller that
    wrote first (an audit row here) gets the job, committed with its own write, and asking
    again in another such transaction finds that job rather than starting a second."""
    from casework.audit import record_event
    from casework.transaction import transaction

    manager = create_user("manager", email="writing.manager@example.test")
    monkeypatch.setattr(exports, "EXPORT_IN_REQUEST", 3)

    def ask() -> int:
        with transaction():
            record_event("view", "report", "results", user=manager)
            made = exports.csv_export("results_csv", "Results CSV", manager, {}, 10,
                                      lambda: ("x.csv", b""))
            return made.job.id

    first = ask()
    assert ask() == first
    assert _jobs("results_csv") == 1
    assert db.session.scalar(select(func.count()).select_from(m.AuditEvent).where(
        m.AuditEvent.action == "view", m.AuditEvent.user_id == manager.id)) == 2
