"""Jobs: long work run by the worker off the web request, with progress, clear failures,
visibility only to those allowed the result, and retries that never do anything twice."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import func, select

from casework import models as m
from casework.extensions import db
from casework.jobs import service
from casework.jobs.broker import init_queue
from casework.queue import finish, start

from .conftest import post_form
from .factories import create_user
from .parsed import Page
from .test_claims_pages import fingerprint

AS_OF = dt.date(2013, 9, 30)


def _claims() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(m.Claim))


def _build_job(user) -> m.Job:
    return start("claims_build", "Build draft claims", user,
                 params={"as_of": AS_OF.isoformat()})


def _events(action: str) -> list[m.AuditEvent]:
    return db.session.scalars(select(m.AuditEvent).where(m.AuditEvent.action == action)
                              .order_by(m.AuditEvent.id)).all()


def test_a_claims_build_job_runs_reports_progress_and_is_audited(client, sign_in, examples,
                                                                 run_jobs):
    examples()
    manager = sign_in("manager")
    response = post_form(client, "/claims/", {"build-as_of": ["30", "9", "2013"], "build-build": "1"})
    job_url = response.headers["Location"]
    waiting = Page(client.get(job_url).text)
    progress = waiting.main.find(cls="app-job-progress")
    assert progress.find(cls="govuk-tag").text() == "Waiting to start"
    assert progress.find("p", data_job_text="").text() == "Waiting for the job worker."
    # without JavaScript the page reloads itself every 5 seconds until the job has finished
    [refresh] = waiting.root.find_all("meta", http_equiv="refresh")
    assert refresh.attrs["content"] == "5" and refresh.inside("noscript") and refresh.inside("head")
    assert client.get(job_url + ".json").json["state"] == "queued"
    assert _claims() == 0  # nothing was built in the request

    assert run_jobs() == 1
    job = db.session.scalars(select(m.Job)).one()
    assert job.state == "done" and job.attempts == 1
    assert job.progress_done == job.progress_total == 7  # the seven example families
    assert job.progress_label == "families evaluated"
    status = client.get(job_url + ".json").json
    assert status["finished"] and status["progress"] == {"done": 7, "total": 7,
                                                         "label": "families evaluated"}
    html = client.get(job_url).text
    assert "http-equiv=\"refresh\"" not in html  # finished: the page stops reloading itself
    page = Page(html)
    assert page.headings[1] == "Done" and page.summary["Started by"] == manager.name
    assert page.banners[0].startswith("3 draft claims created for results claimable on ")
    assert page.links["See the draft claims"] == "/claims/?state=draft"
    assert _claims() == 3
    assert [e.user_id for e in _events("start_job")] == [manager.id]
    assert [e.detail for e in _events("job_done")] == [
        "claims_build: 3 draft claims created for results claimable on 30 September 2013."]
    assert len([e for e in _events("create") if e.object_type == "claim"]) == 3
    assert {e.user_id for e in _events("create") if e.object_type == "claim"} == {manager.id}


def test_progress_is_seen_by_the_page_while_the_work_is_still_going(client, sign_in):
    manager = sign_in("manager")
    job = _build_job(manager)
    service.Progress(job.id)(1200, 5000, "families evaluated")
    assert client.get(f"/jobs/{job.id}.json").json["progress"] == {
        "done": 1200, "total": 5000, "label": "families evaluated"}
    db.session.expire_all()
    db.session.get(m.Job, job.id).state = "running"
    db.session.commit()
    running = Page(client.get(f"/jobs/{job.id}").text).main.find(cls="app-job-progress")
    assert running.find(cls="govuk-tag").text() == "Running"
    assert running.find("p", data_job_text="").text() == "1,200 of 5,000 families evaluated."


def test_a_job_that_is_refused_says_why_and_builds_nothing(client, sign_in, examples, run_jobs):
    examples()
    manager = sign_in("manager")
    job = _build_job(manager)
    manager.role = "auditor"  # between asking and running, the manager's role changed
    db.session.commit()
    run_jobs()
    job = db.session.get(m.Job, job.id)
    assert job.state == "failed" and job.error == "Only programme managers build claims"
    assert _claims() == 0
    assert [e.detail for e in _events("job_failed")] == [
        "claims_build: Only programme managers build claims"]
    manager.role = "manager"
    db.session.commit()
    page = Page(client.get(f"/jobs/{job.id}").text)
    assert page.headings[1] == "The job failed"
    assert page.errors == ["Only programme managers build claims"]
    # The error summary holds the problem alone: where to go next is after it, not in it.
    summary = page.root.find(cls="govuk-error-summary")
    assert summary.find_all("a") == []
    assert page.links["See the draft claims"] == "/claims/?state=draft"
    see = page.main.find("a", href="/claims/?state=draft")
    assert not any("govuk-error-summary" in a.classes for a in see.ancestors())


def test_an_unexpected_error_is_named_with_where_to_look(sign_in, run_jobs):
    manager = sign_in("manager")
    job = start("claims_build", "Build", manager, params={"as_of": "30/09/2013"})
    run_jobs()
    job = db.session.get(m.Job, job.id)
    assert job.state == "failed"
    assert job.error == ("The job stopped with an unexpected error (ValueError). Nothing from "
                         f"it was saved. Tell an administrator: the job worker's log has the "
                         f"details under job {job.id}.")


class Killed(BaseException):
    """The worker's process dying: nothing after it runs, no exception handler catches it."""


def test_a_retry_after_the_work_was_saved_builds_nothing_twice_and_says_what_the_job_did(
        app, sign_in, examples, run_jobs, monkeypatch):
    examples()
    manager = sign_in("manager")
    job = _build_job(manager)

    def killed(*args, **kwargs):
        raise Killed

    # The first run saved its claims and was killed before it could record the job done.
    monkeypatch.setattr(service, "finish", killed)
    try:
        run_jobs()
    except Killed:
        pass
    monkeypatch.undo()
    db.session.rollback()
    assert _claims() == 3 and _job_state(job.id) == "running"
    assert service.recover() == 1
    run_jobs()
    job = db.session.get(m.Job, job.id)
    assert job.state == "done" and job.attempts == 2
    # The summary is the job's as a whole: the retry built none, the first run three.
    assert job.summary == ("3 draft claims created for results claimable on 30 September "
                           "2013 (3 of them saved by an earlier run of this job that was "
                           "stopped before it finished).")
    assert _claims() == 3


def test_a_build_that_saved_nothing_before_it_was_stopped_says_only_what_the_retry_did(
        app, sign_in, examples, run_jobs):
    examples()
    manager = sign_in("manager")
    job = _build_job(manager)
    db.session.get(m.Job, job.id).state, db.session.get(m.Job, job.id).attempts = "running", 1
    db.session.commit()
    run_jobs()
    job = db.session.get(m.Job, job.id)
    assert job.summary == "3 draft claims created for results claimable on 30 September 2013."


def test_a_job_interrupted_three_times_is_failed_not_run_again(sign_in, run_jobs):
    manager = sign_in("manager")
    job = _build_job(manager)
    job.state, job.attempts = "running", service.MAX_ATTEMPTS
    db.session.commit()
    run_jobs()
    job = db.session.get(m.Job, job.id)
    assert job.state == "failed" and "stopped part way 3 times" in job.error


def test_a_job_its_runner_still_holds_is_neither_recovered_nor_run_twice(app, sign_in, run_jobs):
    manager = sign_in("manager")
    job = _build_job(manager)
    job.state = "running"
    db.session.commit()
    with service._runner_lock(job.id) as mine:
        assert mine
        assert service.recover() == 0
        run_jobs()  # the message delivered again
        with app.app_context():
            with service._runner_lock(job.id) as again:
                assert not again
    db.session.expire_all()
    assert db.session.get(m.Job, job.id).state == "running"
    assert db.session.get(m.Job, job.id).attempts == 0


def test_a_job_is_seen_only_by_people_allowed_to_see_its_result(app, client, sign_in):
    manager = create_user("manager")
    job = _build_job(manager)
    sign_in("admin")  # may see jobs, but not claims
    assert client.get(f"/jobs/{job.id}").status_code == 404
    assert client.get(f"/jobs/{job.id}.json").status_code == 404
    assert Page(client.get("/jobs/").text).table("Jobs").column("Job") == ["No jobs yet."]
    other = app.test_client()
    from .conftest import login

    login(other, create_user("worker").email)
    assert other.get(f"/jobs/{job.id}").status_code == 403


def test_the_job_list_shows_a_managers_jobs(client, sign_in):
    manager = sign_in("manager")
    _build_job(manager)
    page = Page(client.get("/jobs/").text)
    assert page.table("Jobs").row("Build draft claims")["State"] == "Waiting to start"


# The real worker process -----------------------------------------------------------------------

STALL = """
import os, sys, time
from casework.claims import service
real = service.record_event
def stall(*args, **kwargs):  # claims written, not yet committed: wait to be killed
    open(os.environ["STALLED"], "w").close()
    time.sleep(600)
service.record_event = stall
from casework.cli import main
sys.argv = ["casework", "worker", "--threads", "1"]
main()
"""


def _worker(tmp_path: Path, queue_url: str, name: str, stall: bool = False) -> subprocess.Popen:
    env = {**os.environ, "CASEWORK_ENV": "test", "DATABASE_URL": db.engine.url.render_as_string(
        hide_password=False), "CASEWORK_JOBS_QUEUE_URL": queue_url,
        "STALLED": str(tmp_path / "stalled")}
    command = ([sys.executable, "-c", STALL] if stall else
               [str(Path(sys.executable).parent / "casework"), "worker", "--threads", "1"])
    log = open(tmp_path / f"{name}.log", "w")
    return subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)


def _wait(condition, seconds: float = 30, what: str = "") -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def _job_state(job_id: int) -> str:
    db.session.expire_all()
    state = db.session.get(m.Job, job_id).state
    db.session.commit()
    return state


def test_the_worker_process_runs_a_queued_job_and_retries_it_after_being_killed(
        app, examples, tmp_path):
    examples()
    queue_url = f"sqlite:///{tmp_path / 'queue.db'}"
    app.config["JOBS_QUEUE_URL"] = queue_url
    init_queue(app)
    manager = create_user("manager")
    job = _build_job(manager)  # queued with no worker running: it waits in the queue file

    first = _worker(tmp_path, queue_url, "first", stall=True)
    try:
        _wait(lambda: (tmp_path / "stalled").exists(), what="the worker to write the claims")
        assert _job_state(job.id) == "running"
        os.killpg(first.pid, signal.SIGKILL)  # killed mid-way: claims written, not committed
        first.wait(10)
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
    assert _claims() == 0 and _job_state(job.id) == "running"

    second = _worker(tmp_path, queue_url, "second")
    try:
        _wait(lambda: _job_state(job.id) in ("done", "failed"), what="the retried job")
    finally:
        second.send_signal(signal.SIGINT)  # a graceful stop
        second.wait(20)
    job = db.session.get(m.Job, job.id)
    assert job.state == "done", (tmp_path / "second.log").read_text()
    assert job.attempts == 2 and job.summary.startswith("3 draft claims created")
    assert _claims() == 3
    assert second.returncode == 0


# The claim batch PDF: made once at submission --------------------------------------------------


def _submitted_batch(client, cli, sign_in) -> int:
    cli("claims", "build", "--as-of", "2013-09-30")
    auditor = create_user("auditor")
    for claim in db.session.scalars(select(m.Claim)):
        cli("claims", "validate", claim.id, "--by", auditor.email)
    sign_in("manager")
    response = post_form(client, "/claims/", {"batch-window": "October 2013",
                                              "batch-submit_batch": "1"})
    confirm = response.headers["Location"]  # the batch is shown, then confirmed
    response = post_form(client, confirm, {"window": "October 2013", "confirm": "1",
                                           "fingerprint": fingerprint(client.get(confirm).text)})
    return int(response.headers["Location"].rsplit("/", 1)[1])


def test_a_batch_pdf_is_made_once_at_submission_and_every_download_is_those_bytes(
        client, cli, sign_in, examples, run_jobs, tmp_path):
    examples()
    batch_id = _submitted_batch(client, cli, sign_in)
    waiting = Page(client.get(f"/claims/batches/{batch_id}").text)
    assert waiting.paragraphs("The claim PDF")[0].startswith(
        "The PDF is being made. It can be downloaded here when it is ready (job ")
    assert "Download the claim (PDF)" not in waiting.links
    early = client.get(f"/claims/batches/{batch_id}.pdf")
    assert early.status_code == 302
    assert early.headers["Location"].endswith(f"/claims/batches/{batch_id}#claim-pdf")

    assert run_jobs() == 1
    pdf = db.session.get(m.ClaimBatchPdf, batch_id)
    import hashlib

    assert pdf.sha256 == hashlib.sha256(pdf.pdf).hexdigest() and pdf.pdf[:4] == b"%PDF"
    page = Page(client.get(f"/claims/batches/{batch_id}").text)
    made, sha = page.paragraphs("The claim PDF")[:2]
    assert made.endswith(f"every download is the same file, {len(pdf.pdf):,} bytes, with this "
                         "SHA-256:") and sha == pdf.sha256
    assert page.links["Download the claim (PDF)"] == f"/claims/batches/{batch_id}.pdf"
    first, second = (client.get(f"/claims/batches/{batch_id}.pdf").data for _ in range(2))
    assert first == second == pdf.pdf
    # A claim in the batch links to it (the link itself, not its HTML written out as text).
    batch = db.session.get(m.ClaimBatch, batch_id)
    claim = db.session.scalars(select(m.Claim).where(m.Claim.batch_id == batch_id)).first()
    shown = Page(client.get(f"/claims/{claim.id}").text)
    assert shown.summary["Batch"] == f"Batch {batch_id}: {batch.window}"
    assert shown.links[f"Batch {batch_id}: {batch.window}"] == f"/claims/batches/{batch_id}"
    out = tmp_path / "batch.pdf"
    result = cli("claims", "pdf", batch_id, "-o", out)
    assert result.exit_code == 0 and "the stored PDF" in result.output
    assert out.read_bytes() == pdf.pdf
    made = [e for e in _events("create") if e.object_type == "claim_batch_pdf"]
    assert len(made) == 1 and made[0].detail.startswith(f"SHA-256 {pdf.sha256}")


def test_a_batch_pdf_job_retried_after_storing_keeps_the_first_pdf(client, cli, sign_in,
                                                                   examples, run_jobs):
    examples()
    batch_id = _submitted_batch(client, cli, sign_in)
    run_jobs()
    stored = db.session.get(m.ClaimBatchPdf, batch_id).sha256
    job = db.session.scalars(select(m.Job).where(m.Job.kind == "claim_batch_pdf")).one()
    job.state = "running"  # as if killed after storing, before it was recorded done
    db.session.commit()
    service.recover()
    run_jobs()
    job = db.session.get(m.Job, job.id)
    assert job.state == "done" and "already made" in job.summary
    assert db.session.scalar(select(func.count()).select_from(m.ClaimBatchPdf)) == 1
    assert db.session.get(m.ClaimBatchPdf, batch_id).sha256 == stored


def test_two_makers_of_a_batch_pdf_at_once_store_one_and_the_second_returns_it(
        client, cli, sign_in, examples, monkeypatch):
    from casework.claims import documents

    examples()
    batch_id = _submitted_batch(client, cli, sign_in)
    laid_out = documents.layout

    def layout_while_another_maker_stores_first(batch):
        body = laid_out(batch)
        with db.engine.begin() as other:  # the other maker commits while this one lays out
            other.execute(m.ClaimBatchPdf.__table__.insert().values(
                batch_id=batch_id, pdf=b"%PDF-first", sha256="f" * 64, size=10))
        return body

    monkeypatch.setattr(documents, "layout", layout_while_another_maker_stores_first)
    row, made = documents.make(batch_id, None)
    assert (made, row.sha256) == (False, "f" * 64)
    assert db.session.scalar(select(func.count()).select_from(m.ClaimBatchPdf)) == 1


def test_a_failed_batch_pdf_can_be_made_again_from_the_batch_page(client, cli, sign_in,
                                                                  examples, run_jobs):
    examples()
    batch_id = _submitted_batch(client, cli, sign_in)
    job = db.session.scalars(select(m.Job).where(m.Job.kind == "claim_batch_pdf")).one()
    app_queue = client.application.extensions["casework_queue"]
    app_queue.flush()
    finish(job.id, error="The job stopped with an unexpected error (OSError).")
    page = Page(client.get(f"/claims/batches/{batch_id}").text)
    warning = page.main.find(cls="govuk-warning-text").text()
    assert warning.endswith(
        "Warning Making the PDF failed: The job stopped with an unexpected error (OSError).")
    assert "Download the claim (PDF)" not in page.links
    post_form(client, f"/claims/batches/{batch_id}/pdf", {}, page_url=f"/claims/batches/{batch_id}")
    assert run_jobs() == 1
    assert db.session.get(m.ClaimBatchPdf, batch_id) is not None


def test_a_subject_access_job_is_for_managers_only_and_audited_as_the_export(
        app, client, sign_in, examples, run_jobs):
    examples()
    manager = sign_in("manager")
    started = post_form(client, "/people/P00002/subject-access-pdf", {}, page_url="/families/E01")
    job_url = started.headers["Location"]
    run_jobs()
    job = db.session.scalars(select(m.Job)).one()
    assert job.state == "done" and job.result_name == "subject-access-P00002.pdf"
    assert job.family_id == db.session.scalar(select(m.Family.id).where(m.Family.family_ref == "E01"))
    exported = [e for e in _events("export") if e.object_type == "person"]
    assert [(e.user_id, e.detail) for e in exported] == [(manager.id, "subject access (pdf)")]
    admin = app.test_client()
    from .conftest import login

    login(admin, create_user("admin").email)
    assert admin.get(job_url).status_code == 404
    assert admin.get(job_url + "/result").status_code == 404
    assert client.get(job_url + "/result").data[:4] == b"%PDF"
    downloads = [e for e in _events("export") if e.object_type == "job"]
    assert [e.detail for e in downloads] == ["subject_access_pdf: subject-access-P00002.pdf"]


# Imports of large files ------------------------------------------------------------------------


def _upload(client, body: bytes, name: str = "families.csv"):
    import io

    return post_form(client, "/imports/", {"kind": "families", "file": (io.BytesIO(body), name)},
                     content_type="multipart/form-data")


def _families_csv(rows: int) -> bytes:
    lines = ["family_ref,family_name"] + [f"F{i:05d},Family {i}" for i in range(rows)]
    return ("\n".join(lines) + "\n").encode()


def test_a_large_upload_is_imported_by_a_job_once(app, client, sign_in, run_jobs):
    app.config["IMPORT_JOB_BYTES"] = 1000
    manager = sign_in("manager")
    response = _upload(client, _families_csv(300))
    assert response.status_code == 302 and "/jobs/" in response.headers["Location"]
    assert db.session.scalar(select(func.count()).select_from(m.Family)) == 0
    assert run_jobs() == 1
    job = db.session.scalars(select(m.Job)).one()
    assert job.state == "done" and job.summary == "families: 300 created, 0 updated, 0 unchanged"
    assert job.progress_done == job.progress_total == 300 and job.input is None
    assert db.session.scalar(select(func.count()).select_from(m.Family)) == 300
    imports = _events("import")
    assert [(e.user_id, e.detail) for e in imports] == [
        (manager.id, "families: 300 created, 0 updated, 0 unchanged")]
    # The job was recorded done in the import's own transaction: the message delivered again
    # (a worker killed just after the import) applies nothing.
    from casework.queue import enqueue

    enqueue(job.id)
    run_jobs()
    assert len(_events("import")) == 1 and len(_events("job_done")) == 1
    page = Page(client.get(response.headers["Location"]).text)
    assert page.banners[0].startswith("families: 300 created, 0 updated, 0 unchanged")
    # Its history row, written once in the same transaction, like an upload in the request.
    run = db.session.scalars(select(m.ImportRun)).one()
    assert (run.kind, run.file_name, run.user_id, run.status, run.created, run.updated,
            run.unchanged, run.errors) == ("families", "families.csv", manager.id, "imported",
                                           300, 0, 0, [])
    assert page.links["See the files imported"] == "/imports/families#history"
    history = Page(client.get("/imports/families").text)
    latest = history.table("The latest files imported")
    assert latest.row("families.csv")["What it did"] == "300 created, 0 updated, 0 unchanged"


def test_a_large_upload_with_bad_rows_fails_naming_them_and_imports_nothing(app, client, sign_in,
                                                                         run_jobs):
    app.config["IMPORT_JOB_BYTES"] = 1000
    manager = sign_in("manager")
    body = _families_csv(300) + b"F99999,\n" + b"".join(f"G{i},\n".encode() for i in range(60))
    response = _upload(client, body, "big.csv")
    run_jobs()
    job = db.session.scalars(select(m.Job)).one()
    assert job.state == "failed" and "big.csv:302: family_name: is required" in job.error
    assert job.error.startswith("The file was not imported: nothing from it was saved.")
    assert job.error.endswith("... and 11 more: download them all below")
    assert db.session.scalar(select(func.count()).select_from(m.Family)) == 0
    page = Page(client.get(response.headers["Location"]).text)
    assert page.headings[1] == "The job failed"
    # Each problem its own item of the error summary, naming file, line and field; what
    # happened before them, how many more after them.
    assert page.errors[:2] == ["big.csv:302: family_name: is required",
                               "big.csv:303: family_name: is required"]
    assert len(page.errors) == 50
    assert page.root.by_id("failure-description").text() == (
        "The file was not imported: nothing from it was saved. Fix these rows and upload it "
        "again.")
    assert page.root.by_id("failure-note").text() == "... and 11 more: download them all below"
    assert page.root.find(cls="govuk-error-summary").find_all("a") == []
    # The refusal is in the import history with every problem, downloadable from the job page.
    run = db.session.scalars(select(m.ImportRun)).one()
    assert (run.file_name, run.user_id, run.status, run.created, len(run.errors)) == (
        "big.csv", manager.id, "refused", 0, 61)
    assert page.links["Download every problem (CSV)"] == f"/imports/runs/{run.id}/errors.csv"
    rows = client.get(f"/imports/runs/{run.id}/errors.csv").text.splitlines()
    assert len(rows) == 62 and rows[1] == "big.csv,302,family_name,is required"
    assert rows[-1] == "big.csv,362,family_name,is required"
    history = Page(client.get("/imports/families").text).table("The latest files imported")
    assert history.column("File") == ["big.csv"]
    from casework.queue import enqueue

    enqueue(job.id)  # delivered again: nothing is recorded twice
    run_jobs()
    assert db.session.scalar(select(func.count()).select_from(m.ImportRun)) == 1


def test_a_small_upload_is_still_imported_in_the_request(client, sign_in):
    sign_in("manager")
    response = _upload(client, _families_csv(3))
    assert response.status_code == 200
    assert Page(response.text).banners == ["families: 3 created, 0 updated, 0 unchanged"]


# Housekeeping ---------------------------------------------------------------------------------


def test_a_jobs_file_is_deleted_thirty_days_after_it_finished_and_not_a_second_before(
        app, client, sign_in, examples, run_jobs):
    examples()
    sign_in("manager")
    job_url = post_form(client, "/people/P00002/subject-access-pdf", {},
                        page_url="/families/E01").headers["Location"]
    run_jobs()
    job = db.session.scalars(select(m.Job)).one()
    finished, sha = job.finished_at, job.result_sha256
    day_before = finished + dt.timedelta(days=30) - dt.timedelta(seconds=1)
    assert service.remove_old_results(now=day_before) == 0
    assert client.get(job_url + "/result").data[:4] == b"%PDF"
    assert service.remove_old_results(now=finished + dt.timedelta(days=30)) == 1
    db.session.expire_all()
    job = db.session.get(m.Job, job.id)
    assert (job.result, job.result_name, job.result_sha256) == (None, None, sha)
    assert job.state == "done" and job.summary  # the record of what was made stays
    assert client.get(job_url + "/result").status_code == 404
    page = Page(client.get(job_url).text)
    assert not [text for text in page.links if text.startswith("Download")]
    assert not [b for b in page.main.find_all(cls="govuk-button") if "Download" in b.text()]
    deleted = finished + dt.timedelta(days=30)
    assert page.banners == [
        f"The file this job made was deleted on {deleted.day} {deleted:%B %Y}, so that personal"
        " data is not kept longer than it is needed: job files are kept for 30 days after the"
        " job finishes. Start the job again for a new one."]
    assert page.paragraph("SHA-256 of the file") == f"SHA-256 of the file it made: {sha}"
    assert [e.detail for e in _events("remove_results")] == [
        "1 job files more than 30 days old deleted"]
    assert service.remove_old_results(now=finished + dt.timedelta(days=31)) == 0  # once


def test_sign_in_counts_whose_window_has_passed_are_cleared(app):
    from casework.auth.service import LOCKOUT_MINUTES, prune_sign_in_counters

    now = dt.datetime(2026, 12, 2, 3, 17)
    window = dt.timedelta(minutes=LOCKOUT_MINUTES)
    for key, started in (("account:old@example.org", now - window),
                         ("account:recent@example.org", now - window + dt.timedelta(seconds=1))):
        db.session.add(m.SignInCounter(key=key, attempts=3, window_start=started))
    db.session.commit()
    assert prune_sign_in_counters(now) == 1
    assert db.session.scalars(select(m.SignInCounter.key)).all() == ["account:recent@example.org"]


def test_the_worker_does_the_housekeeping_every_night_and_the_command_does_it_too(app, cli):
    huey = app.extensions["casework_queue"]

    def due(at: dt.datetime) -> list[str]:
        return sorted(task.name for task in huey.read_periodic(at))

    # Every minute: recover jobs, and store the summaries' figures again if the data moved.
    every_minute = ["keep_figures_stored", "recover_jobs"]
    assert due(dt.datetime(2026, 12, 2, 3, 16)) == every_minute
    assert due(dt.datetime(2026, 12, 2, 3, 17)) == sorted(["housekeeping", *every_minute])
    assert due(dt.datetime(2026, 12, 2, 3, 18)) == every_minute
    nightly = next(t for t in huey.read_periodic(dt.datetime(2026, 12, 2, 3, 17))
                   if t.name == "housekeeping")
    db.session.add(m.SignInCounter(key="address:10.0.0.1", attempts=1,
                                   window_start=dt.datetime(2020, 1, 1)))
    db.session.commit()
    huey.execute(nightly)
    db.session.expire_all()
    assert db.session.scalars(select(m.SignInCounter)).all() == []
    result = cli("housekeeping")
    assert result.exit_code == 0, result.output
    assert result.output.strip() == ("housekeeping: 0 old job files deleted, 0 abandoned jobs "
                                     "stopped, 0 sign-in counts cleared")


def test_a_job_that_never_ran_is_stopped_after_thirty_days_and_its_upload_deleted(app, sign_in):
    manager = sign_in("manager")
    now = dt.datetime(2026, 12, 2, 3, 17)
    for title, asked in (("old", now - dt.timedelta(days=30)),
                         ("recent", now - dt.timedelta(days=30) + dt.timedelta(seconds=1))):
        db.session.add(m.Job(kind="import", title=title, state="queued", input=b"family_ref\n",
                             params={"kind": "families", "filename": f"{title}.csv"},
                             started_by_id=manager.id, created_at=asked))
    db.session.commit()
    assert service.fail_abandoned(now=now) == 1
    db.session.expire_all()
    jobs = {j.title: j for j in db.session.scalars(select(m.Job))}
    assert (jobs["old"].state, jobs["old"].input) == ("failed", None)
    assert jobs["old"].error.startswith("The job never finished")
    assert (jobs["recent"].state, jobs["recent"].input) == ("queued", b"family_ref\n")
    assert [e.detail.split(":")[0] for e in _events("job_failed")] == ["import"]


def test_a_job_stopped_by_a_full_database_disk_says_so_in_words():
    import psycopg
    from sqlalchemy.exc import OperationalError

    full = OperationalError("INSERT INTO families ...", {},
                            psycopg.errors.DiskFull('could not extend file "base/1/2"'))
    assert service._unexpected(full, 7) == (
        "The database ran out of disk space, so nothing from the job was saved. Tell an "
        "administrator to free space on the database server, then start the job again.")
    other = service._unexpected(ValueError("x"), 7)
    assert other.startswith("The job stopped with an unexpected error (ValueError)")


def test_asking_for_a_batch_pdf_not_made_shows_the_jobs_state_when_read_not_a_stale_flash(
        client, cli, sign_in, examples, run_jobs):
    """The batch page says what the PDF's job is doing when it is read: asking for the PDF
    while it was being made left no "still being made" message for after it was made, or
    after its job failed."""
    examples()
    batch_id = _submitted_batch(client, cli, sign_in)
    batch = f"/claims/batches/{batch_id}"
    assert Page(client.get(batch).text).banners == [f"Batch {batch_id} submitted with 3 claims."]
    assert client.get(batch + ".pdf").status_code == 302  # asked for while being made
    job = db.session.scalars(select(m.Job).where(m.Job.kind == "claim_batch_pdf")).one()
    client.application.extensions["casework_queue"].flush()
    finish(job.id, error="The job stopped with an unexpected error (OSError).")
    failed = Page(client.get(batch).text)
    assert failed.banners == []
    assert "being made" not in failed.main.text()
    assert failed.main.find(cls="govuk-warning-text").text().endswith(
        "Making the PDF failed: The job stopped with an unexpected error (OSError).")
    # Made again, asked for before it is ready, then read once it is made.
    post_form(client, batch + "/pdf", {}, page_url=batch)
    assert client.get(batch + ".pdf").status_code == 302
    assert run_jobs() == 1
    made = Page(client.get(batch).text)
    assert made.banners == [] and "being made" not in made.main.text()
    assert made.links["Download the claim (PDF)"] == batch + ".pdf"
