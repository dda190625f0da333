"""The council's Outcome Plans: each later programme's versions, who loaded them and when,
each version's content, and loading a new one (administrators)."""

from __future__ import annotations

import re

from flask import Blueprint, Response, abort, redirect, render_template, url_for
from flask_login import current_user

from ..audit import shown
from ..flashes import flash
from ..permissions import can, requires
from ..rules.plan import PlanError
from .forms import PlanUploadForm
from .service import (
    EXAMPLES,
    OUTCOME_RULESETS,
    example_text,
    frame_label,
    load_plan_version,
    plan_contents,
    plan_version_or_404,
    plan_versions,
)

bp = Blueprint("outcomes", __name__, url_prefix="/outcome-plans")


def _frame_or_404(ruleset: str) -> str:
    if ruleset not in OUTCOME_RULESETS:
        abort(404)
    return ruleset


@bp.route("/")
@requires("view_outcome_plans")
def index():
    frames = [{"ruleset": name, "label": frame_label(name), "phrase": frame_label(name, False),
               "versions": plan_versions(name)}
              for name in OUTCOME_RULESETS]
    return shown("view_list", "outcome_plan", None, page=render_template("outcomes/index.html", frames=frames))


@bp.route("/<ruleset>", methods=["GET", "POST"])
@requires("view_outcome_plans")
def history(ruleset: str):
    _frame_or_404(ruleset)
    form = PlanUploadForm()
    errors: list[str] = []
    if form.is_submitted():
        if not can(current_user, "manage_outcome_plans"):
            abort(403)
        if form.validate():
            upload = form.file.data
            try:
                row = load_plan_version(ruleset, upload.read(), upload.filename or "",
                                        current_user)
            except PlanError as refused:
                errors = refused.errors
            else:
                flash(f"Version {row.version} of the Outcome Plan is loaded and now in force.")
                return redirect(url_for("outcomes.history", ruleset=ruleset))
    versions = plan_versions(ruleset)
    return shown("view_list", "outcome_plan", ruleset, page=render_template(
        "outcomes/history.html", ruleset=ruleset, label=frame_label(ruleset),
        phrase=frame_label(ruleset, False),
        versions=versions, form=form, errors=errors,
        errors_list=[{"text": e, "href": f"#{form.file.id}"} for e in errors],
        example=(EXAMPLES / f"{ruleset}.json").name))


@bp.route("/<ruleset>/<int:version_id>")
@requires("view_outcome_plans")
def show(ruleset: str, version_id: int):
    row = plan_version_or_404(_frame_or_404(ruleset), version_id)
    newest = plan_versions(ruleset)[0]
    return shown("view", "outcome_plan", f"{ruleset} {row.version}", page=render_template(
        "outcomes/show.html", ruleset=ruleset, label=frame_label(ruleset),
        phrase=frame_label(ruleset, False), row=row,
        contents=plan_contents(ruleset, row.content, row.file_name), in_force=newest.id == row.id,
        download=url_for("outcomes.download", ruleset=ruleset, version_id=row.id)))


@bp.route("/<ruleset>/example")
@requires("view_outcome_plans")
def example(ruleset: str):
    _frame_or_404(ruleset)
    return shown("view", "outcome_plan", f"{ruleset} example", page=render_template(
        "outcomes/show.html", ruleset=ruleset, label=frame_label(ruleset),
        phrase=frame_label(ruleset, False), row=None,
        contents=plan_contents(ruleset, example_text(ruleset), f"{ruleset}.json"),
        in_force=not plan_versions(ruleset),
        download=url_for("outcomes.download_example", ruleset=ruleset)))


def _attachment(text: str, name: str) -> Response:
    return Response(text, mimetype="application/json", headers={
        "Content-Disposition": f"attachment; filename={name}"})


@bp.route("/<ruleset>/<int:version_id>/download")
@requires("view_outcome_plans")
def download(ruleset: str, version_id: int):
    row = plan_version_or_404(_frame_or_404(ruleset), version_id)
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", row.version)
    return shown("export", "outcome_plan", f"{ruleset} {row.version}",
                 page=_attachment(row.content, f"outcome-plan-{ruleset}-{safe}.json"))


@bp.route("/<ruleset>/example/download")
@requires("view_outcome_plans")
def download_example(ruleset: str):
    _frame_or_404(ruleset)
    return shown("export", "outcome_plan", f"{ruleset} example",
                 page=_attachment(example_text(ruleset), f"outcome-plan-{ruleset}-example.json"))
