"""The imports pages: the same importer as the command line, a page per kind with its columns
and an example file, and the history of what was imported, every problem downloadable."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, redirect, render_template, url_for
from flask_login import current_user

from ..audit import shown
from ..importer.kinds import KINDS
from ..permissions import requires
from ..queue import start
from . import guide
from .forms import KIND_LABELS, UploadForm

bp = Blueprint("imports", __name__, url_prefix="/imports")


def _import(form: UploadForm, kind: str):
    """Import the uploaded file: the one place the web runs the importer. A large file goes to
    the job worker (returns the redirect to its job page); otherwise returns the summary (None
    when refused), every problem, and the history row recorded."""
    upload = form.file.data
    name = upload.filename or "upload.csv"
    data = upload.read()
    rows = data.count(b"\n") + (0 if data.endswith(b"\n") else 1) - 1  # after the header
    if (len(data) >= current_app.config["IMPORT_JOB_BYTES"] or (
            form.match.data and rows > current_app.config["MATCH_IN_REQUEST_ROWS"])):
        # A large file is imported (and matched, if asked) by the job worker; the job page
        # shows how it goes.
        job = start("import", f"Import of {name} ({KIND_LABELS[kind]})", current_user,
                    params={"kind": kind, "filename": name, "match": bool(form.match.data)},
                    input=data)
        return redirect(url_for("jobs.show", job_id=job.id))
    # The families it changed are evaluated again once the request is done
    # (casework.evaluation.views.keep_figures_current).
    return guide.import_recorded(kind, data, name, current_user, match=form.match.data)


def _page(form: UploadForm, kind: str | None):
    summary, errors, run = None, [], None
    if form.validate_on_submit():
        done = _import(form, kind or form.kind.data)
        if not isinstance(done, tuple):
            return done
        summary, errors, run = done
    return render_template(
        "imports/upload.html", form=form, kind=kind, summary=summary, errors=errors, run=run,
        kinds=KINDS, labels=KIND_LABELS, runs=guide.history(kind), describe=guide.describe,
    ), 400 if errors else 200


@bp.route("/", methods=["GET", "POST"])
@requires("import_data")
def upload():
    return _page(UploadForm(), None)


@bp.route("/<kind>", methods=["GET", "POST"])
@requires("import_data")
def kind_page(kind: str):
    if kind not in KINDS:
        abort(404)
    form = UploadForm()
    form.kind.data = kind
    return _page(form, kind)


@bp.route("/<kind>/example.csv")
@requires("import_data")
def example(kind: str):
    if kind not in KINDS:
        abort(404)
    # Made-up rows only, but every download is audited alike so the log never has a gap.
    return shown("export", "import_example", kind, page=Response(
        guide.example_csv(kind), mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename=example-{kind}.csv"}))


@bp.route("/runs/<int:run_id>/errors.csv")
@requires("import_data")
def errors(run_id: int):
    run = guide.run_or_404(run_id)
    return shown("export", "import_errors", str(run.id), detail=run.file_name[-120:],
                 page=Response(guide.errors_csv(run), mimetype="text/csv", headers={
                     "Content-Disposition": f"attachment; filename=import-{run.id}-problems.csv"}))
