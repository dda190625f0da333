"""Running and recovering jobs, and who sees them (a job is started by casework/queue.py).

A job runs at most once at a time: its runner holds a lock that the operating system or the
database lets go of when the runner's process dies (a PostgreSQL advisory lock on its own
connection; on SQLite, which lives on one machine, a file lock beside the database). A job
left "running" whose lock nobody holds was interrupted; recover() queues it again and run()
takes it up. Every kind of work is idempotent, so a retry after an interruption creates
nothing twice: its database work is one transaction (all of it or none is saved), and what a
retry finds already done (claims built, a PDF stored, an import's rows) it does not do again.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import fcntl
import logging
import os
import time
from collections.abc import Iterator
from pathlib import Path

from flask import abort, current_app
from sqlalchemy import select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from .. import cache_version
from .. import models as m
from ..access import SEES_ALL, STORED_ALL, stored_scope
from ..audit import record_event
from ..auth.service import prune_sign_in_counters
from ..claims.service import money
from ..evaluation import listing, store
from ..evaluation.figures import keep_stored
from ..evaluation.figures import scope as scope_of
from ..extensions import db
from ..locking import has_written
from ..permissions import can
from ..programme.service import dashboard_extras, figures
from ..queue import KINDS, JobFailed, Work, enqueue, finish, record_finish
from ..selection.figures import agreed_progress_of
from ..transaction import transaction, transactional

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3  # runs interrupted part way before a job is given up as failed
PROGRESS_SECONDS = 0.5  # at most one progress write this often
ADVISORY_LOCK_CLASS = 1818  # the first key of casework's PostgreSQL advisory locks on jobs


def can_see(user, job: m.Job) -> bool:
    """Only those who may see a job's result see the job."""
    if job.kind not in KINDS or not can(user, KINDS[job.kind].permission):
        return False
    if KINDS[job.kind].own and job.started_by_id != user.id:
        return False
    if job.family_id is not None:
        from ..access import visible_families

        return db.session.scalar(
            visible_families(user).where(m.Family.id == job.family_id)) is not None
    return True


def job_or_404(user, job_id: int) -> m.Job:
    """The job, if `user` may see it; 404 otherwise: a job one may not see is not said to
    exist."""
    job = db.session.get(m.Job, job_id)
    if job is None or not can_see(user, job):
        abort(404)
    return job


def visible_jobs(user, limit: int = 50) -> list[m.Job]:
    kinds = [k.name for k in KINDS.values() if can(user, k.permission)]
    jobs = db.session.scalars(select(m.Job).where(m.Job.kind.in_(kinds))
                              .order_by(m.Job.id.desc()).limit(limit)).all()
    return [job for job in jobs if (job.family_id is None and not KINDS[job.kind].own)
            or can_see(user, job)]


@dataclasses.dataclass(frozen=True)
class Failure:
    """A failed job's error as its page shows it: what happened (a sentence before the
    problems, if any), each problem its own item of the error summary (an import's name file,
    line and field), and a note after them ("... and 11 more")."""
    description: str
    problems: list[str]
    note: str = ""


def failure(job: m.Job) -> Failure | None:
    """The job's error read as a Failure: a one-line error is one problem; a longer one is
    its first line (what happened) and a problem a line after it, but a last line saying how
    many more there were."""
    if job.state != "failed" or not job.error:
        return None
    lines = [x.strip() for x in job.error.splitlines() if x.strip()]
    if len(lines) == 1:
        return Failure("", lines)
    note = lines.pop() if lines[-1].startswith("... and ") else ""
    return Failure(lines[0], lines[1:], note)


def as_json(job: m.Job) -> dict:
    return {"id": job.id, "kind": job.kind, "state": job.state,
            "progress": {"done": job.progress_done, "total": job.progress_total,
                         "label": job.progress_label},
            "summary": job.summary, "error": job.error,
            "finished": job.state in ("done", "failed")}


# Running ---------------------------------------------------------------------------------------


def run(job_id: int) -> None:
    """Run a queued job, or take up one whose runner died; do nothing if it is finished or
    another runner has it (a message delivered twice)."""
    with _runner_lock(job_id) as mine:
        if not mine:
            return
        job = db.session.get(m.Job, job_id)
        if job is None or job.state not in ("queued", "running"):
            db.session.rollback()
            return
        if job.attempts >= MAX_ATTEMPTS:
            db.session.rollback()
            finish(job_id, error=(
                f"The job was stopped part way {MAX_ATTEMPTS} times (its worker was stopped "
                "or ran out of memory), so it has not been tried again. Nothing it did was "
                "saved twice. Start it again, or ask an administrator to look at the job "
                "worker's log."))
            return
        kind = KINDS[job.kind]
        # Recorded running, and the read ended, before the work starts: its progress is
        # written on another connection, and SQLite refuses a write from a transaction whose
        # snapshot is older than that.
        with transaction():
            job.state, job.attempts = "running", job.attempts + 1
            job.started_at = job.started_at or m.utcnow()
            work = Work(job.id, dict(job.params or {}), job.input, job.started_by,
                        job.attempts, Progress(job.id))
        # Which worker ran a job, and which run it was, is in that worker's log.
        log.info("job %s (%s): run %s started", job_id, kind.name, work.attempt)
        # The work commits what it does itself (each use case in it is @transactional);
        # what it leaves uncommitted is committed with the job's finish, or discarded here
        # if it fails.
        try:
            outcome = kind.run(work)
        except JobFailed as failed:
            db.session.rollback()
            finish(job_id, error=str(failed))
        except Exception as error:
            db.session.rollback()
            log.exception("job %s (%s) failed", job_id, kind.name)
            finish(job_id, error=_unexpected(error, job_id))
        else:
            finish(job_id, outcome=outcome)
            _keep_figures_current()


DISK_FULL = "53100"  # PostgreSQL's SQLSTATE for a full disk


def _unexpected(error: Exception, job_id: int) -> str:
    """Why a job stopped with an error nobody refused, for the person who started it."""
    orig = getattr(error, "orig", None)
    if getattr(orig, "sqlstate", None) == DISK_FULL or "No space left on device" in str(error):
        return ("The database ran out of disk space, so nothing from the job was saved. Tell "
                "an administrator to free space on the database server, then start the job "
                "again.")
    return (f"The job stopped with an unexpected error ({type(error).__name__}). Nothing "
            f"from it was saved. Tell an administrator: the job worker's log has the "
            f"details under job {job_id}.")


def _keep_figures_current() -> None:
    """Evaluate again the families the job changed (an import's), here in the worker, where
    nobody waits; if that fails they stay queued for the next refresh."""
    if store.marked_stale_here():
        try:
            with transaction():
                store.refresh_pending()
        except Exception:
            log.exception("the families changed by a job were not evaluated again")


class Progress:
    """Report how far a job has got: progress(done, total, label). Written straight away on
    its own connection (so the job page sees it while the work's transaction is open), at
    most every PROGRESS_SECONDS, and never failing the work. On SQLite, while the work's
    own transaction holds the one write lock, the report waits for the next one: writing it
    would only wait for the lock the work itself holds."""

    def __init__(self, job_id: int):
        self.job_id = job_id
        self._last = 0.0
        self._sqlite = db.engine.dialect.name == "sqlite"

    def __call__(self, done: int, total: int | None = None, label: str | None = None) -> None:
        now = time.monotonic()
        if now - self._last < PROGRESS_SECONDS and (total is None or done < total):
            return
        if self._sqlite and has_written():
            return
        self._last = now
        try:
            with db.engine.begin() as connection:
                connection.execute(update(m.Job).where(m.Job.id == self.job_id).values(
                    progress_done=done, progress_total=total, progress_label=label))
        except OperationalError:
            log.warning("job %s: progress not recorded (the database was busy)", self.job_id)


# Housekeeping ------------------------------------------------------------------------------


@transactional
def remove_old_results(now: dt.datetime | None = None, days: int | None = None) -> int:
    """Delete the files of jobs that finished more than `days` (JOB_RESULT_DAYS) ago: a
    subject access PDF or a Board report is downloaded when it is made, not kept in the
    database for ever. The job's record, summary and the file's SHA-256 stay. Returns how
    many files were deleted."""
    now = now or m.utcnow()
    days = current_app.config["JOB_RESULT_DAYS"] if days is None else days
    removed = db.session.execute(
        update(m.Job).where(m.Job.result_name.is_not(None),
                            m.Job.finished_at <= now - dt.timedelta(days=days))
        .values(result=None, result_name=None, result_mimetype=None, result_removed_at=now)
    ).rowcount
    if removed:
        record_event("remove_results", "job", None,
                     detail=f"{removed} job files more than {days} days old deleted")
    return removed


@transactional
def fail_abandoned(now: dt.datetime | None = None, days: int | None = None) -> int:
    """Fail the jobs asked for more than `days` (JOB_RESULT_DAYS) ago that never finished
    (their queue message was lost), deleting the file uploaded for them: a partner's file
    is kept only while a job may still need it. Returns how many."""
    now = now or m.utcnow()
    days = current_app.config["JOB_RESULT_DAYS"] if days is None else days
    abandoned = db.session.scalars(select(m.Job).where(
        m.Job.state.in_(("queued", "running")),
        m.Job.created_at <= now - dt.timedelta(days=days))).all()
    for job in abandoned:
        record_finish(job.id, error=(
            f"The job never finished: it was still waiting {days} days after it was asked "
            "for, so it was stopped and any file uploaded for it deleted. Start it again."))
    return len(abandoned)


def housekeeping() -> str:
    """The worker's daily tidy-up (also `casework housekeeping`): old job files, jobs that
    never finished, and sign-in counts whose window has passed."""
    files, abandoned = remove_old_results(), fail_abandoned()
    counters = prune_sign_in_counters()
    return (f"housekeeping: {files} old job files deleted, {abandoned} abandoned jobs "
            f"stopped, {counters} sign-in counts cleared")


def keep_figures_stored() -> int:
    """The worker's minute: store the figures again if the data moved (figures.keep_stored),
    then count the summary pages' summaries once for every web process to read
    (cache_version.sharing), of the programme they open on: for every family's scope (a
    manager's, an auditor's) the dashboard's, the money page's, the results page's (its
    counts and its families' order) and the selection page's agreed numbers; for each
    team's (its team lead's) the selection page's, the one summary page a team lead opens
    that counts many families. A summary already counted at the stored figures' version is
    not counted again; a scope that fails is logged and the others are still counted. Until
    the worker has counted them, a page shows those it counted at an earlier store, saying
    so (cache_version.counted_behind), rather than every process counting them too. Returns
    how many scopes were shared."""
    keep_stored()
    db.session.commit()
    waiting = cache_version.to_share()
    users: dict[str, m.User] = {}  # one user who reads each stored scope's summaries
    for user in db.session.scalars(select(m.User).where(
            m.User.active.is_(True), m.User.role.in_(SEES_ALL | {"team_lead"}))
            .order_by(m.User.id)):
        users.setdefault(stored_scope(user), user)
    users.pop(None, None)
    shared = 0
    with cache_version.sharing():
        for scope, user in users.items():
            try:
                if scope == STORED_ALL:
                    dashboard_extras(user, figures(user))
                    money(user)
                    listing.results(scope_of(user), "", "", 1)
                agreed_progress_of(user)
            except Exception:
                db.session.rollback()
                log.exception("the summaries of %s's scope were not shared", user.email)
            else:
                shared += 1
    cache_version.shared(db.session, waiting)
    db.session.commit()
    return shared


def recover() -> int:
    """Queue again every job left running by a runner that has stopped; return how many."""
    running = db.session.scalars(select(m.Job.id).where(m.Job.state == "running")).all()
    db.session.commit()
    queued = 0
    for job_id in running:
        with _runner_lock(job_id) as free:
            if free:
                log.warning("job %s was interrupted part way: queued again", job_id)
                enqueue(job_id)
                queued += 1
    return queued


@contextlib.contextmanager
def _runner_lock(job_id: int) -> Iterator[bool]:
    """Hold the job's runner lock if nobody else does; yield whether we hold it."""
    engine = db.engine
    if engine.dialect.name == "postgresql":
        connection = engine.connect()
        held = False
        try:
            held = bool(connection.execute(text("SELECT pg_try_advisory_lock(:c, :j)"),
                                           {"c": ADVISORY_LOCK_CLASS, "j": job_id}).scalar())
            connection.commit()
            yield held
        finally:
            if held:
                try:
                    connection.execute(text("SELECT pg_advisory_unlock(:c, :j)"),
                                       {"c": ADVISORY_LOCK_CLASS, "j": job_id})
                    connection.commit()
                except Exception:
                    connection.invalidate()  # a closed session holds no lock
            connection.close()
        return
    folder = _lock_folder()
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder / f"job-{job_id}.lock", os.O_CREAT | os.O_RDWR, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
        else:
            yield True
    finally:
        os.close(fd)  # closing lets go of the lock, as the process's death would


def _lock_folder() -> Path:
    database = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"]).database
    if not database or database == ":memory:":
        return Path(current_app.instance_path) / "job-locks"
    path = Path(database).resolve()
    return path.parent / f"{path.name}-job-locks"
