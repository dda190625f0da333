"""Jobs by name: the jobs table and the queue, below every area.

A service or a page starts a job here by its kind's name (`start("claims_build", ...)`);
the kinds themselves, what each runs and where its result lives, are registered by
casework/jobs/kinds.py, which imports the services it runs, so that no service imports the
jobs. The worker (casework/jobs/service.py `run`) records a job finished here too. The
queue carries only job ids: the Huey instance the app makes (casework/jobs/broker.py), one
per app, under `app.extensions["casework_queue"]`.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import logging
from collections.abc import Callable
from typing import Any

from flask import current_app
from huey import Huey

from . import models as m
from .audit import record_event
from .extensions import db
from .permissions import can
from .transaction import after_commit, transactional

log = logging.getLogger(__name__)


class JobFailed(Exception):
    """The work refused or could not be done; the message says why, for the person who
    started it."""


@dataclasses.dataclass(frozen=True)
class Outcome:
    summary: str
    name: str | None = None  # a file to download: its name, type and bytes
    mimetype: str | None = None
    body: bytes | None = None


@dataclasses.dataclass
class Work:
    """What a kind's function is given: the job's own values and a way to report progress."""

    job_id: int
    params: dict[str, Any]
    input: bytes | None
    user: m.User | None
    attempt: int
    progress: Callable[..., None]


@dataclasses.dataclass(frozen=True)
class Kind:
    name: str
    label: str
    permission: str  # who may start the job and see it and its result
    run: Callable[[Work], Outcome]
    # Where the result of a finished job lives in the app, if it is not (only) the file:
    # (link text, url).
    link: Callable[[m.Job], tuple[str, str] | None] = lambda job: None
    # Where to go back to from the job page: (link text, url).
    back: Callable[[m.Job], tuple[str, str] | None] = lambda job: None
    # The result is the starter's own (an export of the families they may see): only the
    # user who started the job sees it, not everyone with the permission.
    own: bool = False


KINDS: dict[str, Kind] = {}


def register(kind: Kind) -> Kind:
    KINDS[kind.name] = kind
    return kind


# Starting and finishing ----------------------------------------------------------------------


@transactional
def start(kind_name: str, title: str, user: m.User | None, *, params: dict | None = None,
          input: bytes | None = None, family_id: int | None = None,
          subject: str | None = None) -> m.Job:
    """Record a job, audit that `user` (None: the command line) asked for it, and queue it
    for the worker once the transaction that records it has committed."""
    kind = KINDS[kind_name]
    if user is not None and not can(user, kind.permission):
        raise PermissionError(f"{user.email} may not start a job of kind {kind.name}")
    job = m.Job(kind=kind_name, title=title[:200], state="queued", params=params or {},
                input=input, family_id=family_id, subject=subject,
                started_by_id=user.id if user else None)
    db.session.add(job)
    db.session.flush()
    record_event("start_job", "job", str(job.id), user=user, detail=f"{kind_name}: {title}")
    after_commit(functools.partial(_queue, job.id))
    return job


def reusable(kind_name: str, user: m.User, params: dict) -> m.Job | None:
    """The latest job of this kind that `user` started with exactly these params and that
    is queued, running, or done with its file still kept: to be waited for or served again
    rather than started twice."""
    from sqlalchemy import select

    for job in db.session.scalars(
        select(m.Job).where(m.Job.kind == kind_name, m.Job.started_by_id == user.id,
                            m.Job.state != "failed").order_by(m.Job.id.desc()).limit(20)
    ):
        if job.params == params and job.result_removed_at is None:
            return job
    return None


def _queue(job_id: int) -> None:
    """Run once the job's row has committed: the change that asked for it is saved whatever
    happens here, so nothing here may fail the request."""
    try:
        enqueue(job_id)
    except Exception:  # the queue is down: say so on the job, rather than leave it waiting
        log.exception("could not queue job %s", job_id)
        try:
            finish(job_id, error="The job queue could not be reached, so the job was not "
                   "started. Try again; if it happens again, tell an administrator that the "
                   "job worker's queue is not running.")
        except Exception:  # the database too: housekeeping fails the job in time
            log.exception("could not record job %s as not started", job_id)


@transactional
def finish(job_id: int, *, outcome: Outcome | None = None, error: str | None = None) -> None:
    record_finish(job_id, outcome=outcome, error=error)


def record_finish(job_id: int, *, outcome: Outcome | None = None,
                  error: str | None = None) -> None:
    """Record the job done (or failed) in the current transaction, once. Work that commits
    its own changes calls this before it commits, so that the job is recorded done in the
    same transaction as the work: a message delivered again then finds it done."""
    job = db.session.get(m.Job, job_id)
    if job.state in ("done", "failed"):
        return
    job.finished_at = m.utcnow()
    job.input = None  # an uploaded file is kept only as long as the job needs it
    if outcome is not None:
        job.state, job.summary = "done", outcome.summary[:500]
        if job.progress_total:
            job.progress_done = job.progress_total
        if outcome.body is not None:
            job.result, job.result_name = outcome.body, outcome.name
            job.result_mimetype = outcome.mimetype
            job.result_sha256 = hashlib.sha256(outcome.body).hexdigest()
        record_event("job_done", "job", str(job.id), user=job.started_by,
                     detail=f"{job.kind}: {job.summary}")
    else:
        job.state, job.error = "failed", error
        record_event("job_failed", "job", str(job.id), user=job.started_by,
                     detail=f"{job.kind}: {error}")


def queue() -> Huey:
    return current_app.extensions["casework_queue"]


def enqueue(job_id: int) -> None:
    queue().casework_run_job(job_id)
