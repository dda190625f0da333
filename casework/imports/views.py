"""The web upload page: the same importer as the command line."""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, url_for
from flask_login import current_user

from ..permissions import requires
from .forms import KIND_LABELS, UploadForm
from .service import ImportRefused, import_csv

bp = Blueprint("imports", __name__, url_prefix="/imports")


@bp.route("/", methods=["GET", "POST"])
@requires("import_data")
def upload():
    form = UploadForm()
    summary, errors = None, []
    if form.validate_on_submit():
        upload = form.file.data
        name = upload.filename or "upload.csv"
        data = upload.read()
        if len(data) >= current_app.config["IMPORT_JOB_BYTES"]:
            # A large file is imported by the job worker; the job page shows how it goes.
            from ..jobs.service import start

            job = start("import", f"Import of {name} ({KIND_LABELS[form.kind.data]})",
                        current_user, params={"kind": form.kind.data, "filename": name},
                        input=data)
            return redirect(url_for("jobs.show", job_id=job.id))
        try:
            summary = import_csv(form.kind.data, data, name, user=current_user)
        except ImportRefused as refused:
            errors = refused.errors
    status = 400 if errors else 200
    return (
        render_template("imports/upload.html", form=form, summary=summary, errors=errors),
        status,
    )
