"""The jobs pages: a job's state and progress, its result to download or its error."""

from __future__ import annotations

from flask import Blueprint, Response, abort, jsonify, render_template
from flask_login import current_user

from ..audit import shown
from ..permissions import requires
from ..queue import KINDS
from . import kinds as _kinds  # noqa: F401  (registers the kinds of job)
from .service import as_json, failure, job_or_404, visible_jobs

bp = Blueprint("jobs", __name__, url_prefix="/jobs")


@bp.route("/")
@requires("view_jobs")
def index():
    jobs = visible_jobs(current_user)
    return shown("view_list", "jobs", None, page=render_template("jobs/index.html", jobs=jobs, kinds=KINDS))


@bp.route("/<int:job_id>")
@requires("view_jobs")
def show(job_id: int):
    job = job_or_404(current_user, job_id)
    kind = KINDS[job.kind]
    return shown("view", "job", str(job.id), detail=job.kind, page=render_template(
        "jobs/show.html", job=job, kind=kind, back=kind.back(job), failure=failure(job),
        link=kind.link(job) if job.state in ("done", "failed") else None))


@bp.route("/<int:job_id>.json")
@requires("view_jobs")
def status(job_id: int):
    """What the job page polls while the job runs (not audited: it shows no personal data)."""
    return jsonify(as_json(job_or_404(current_user, job_id)))


@bp.route("/<int:job_id>/result")
@requires("view_jobs")
def result(job_id: int):
    job = job_or_404(current_user, job_id)
    if job.state != "done" or job.result_name is None:
        abort(404)
    body = job.result
    return shown("export", "job", str(job.id), detail=f"{job.kind}: {job.result_name}",
                 page=Response(body, mimetype=job.result_mimetype, headers={
                     "Content-Disposition": f"attachment; filename={job.result_name}"}))
