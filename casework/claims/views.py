"""Claims for programme managers and internal auditors, and the programme's money."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for
from flask_login import current_user

from .. import clock
from .. import models as m
from ..audit import shown
from ..cache_version import shows_older_counts
from ..flashes import flash
from ..outcomes.service import claim_rulesets
from ..paging import requested_page
from ..permissions import can, requires
from ..queue import start
from ..reports.claim_evidence import labelled_parameters, programme_label
from ..reports.exports import batch_csv, batch_xlsx
from ..rules.dates import govdate
from ..rules.ruleset import PROGRAMME_LABELS
from ..rules.wording import plural
from ..selection.figures import agreed_progress_of
from . import documents, outcome_plans, service
from .forms import BatchForm, BuildForm, ConfirmBatchForm, DecisionForm, SampleForm

bp = Blueprint("claims", __name__, url_prefix="/claims")


@bp.route("/", methods=["GET", "POST"])
@requires("view_claims")
def index():
    build_form, batch_form = _manager_forms(fresh=request.method == "GET")
    if request.method == "POST":
        if not can(current_user, "manage_claims"):
            abort(403)
        try:
            if build_form.build.data and build_form.validate():
                as_of = build_form.as_of.data
                ruleset = build_form.ruleset.data if "ruleset" in build_form else "phase1"
                under = "" if ruleset == "phase1" else f" under {ruleset}"
                job = start("claims_build", f"Build draft claims for {govdate(as_of)}{under}",
                            current_user, params={"as_of": as_of.isoformat(), "ruleset": ruleset})
                return redirect(url_for("jobs.show", job_id=job.id))
            if batch_form.submit_batch.data and batch_form.validate():
                return redirect(url_for("claims.confirm_batch", window=batch_form.window.data))
        except service.ClaimRefused as refused:
            return _index(build_form, batch_form, str(refused)), 200
    return _index(build_form, batch_form, None)


def _manager_forms(fresh: bool):
    """The forms to build claims and submit a batch; `fresh`: filled in as the page first
    shows them (today's date, the council's rules)."""
    build_form, batch_form = BuildForm(prefix="build"), BatchForm(prefix="batch")
    build_form.ruleset.choices = claim_rulesets()
    if len(build_form.ruleset.choices) == 1:
        del build_form.ruleset  # the 2012 results only: nothing to choose
    if fresh:
        build_form.as_of.data = clock.today()
        if "ruleset" in build_form:
            build_form.ruleset.data = build_form.ruleset.choices[-1][0]  # the council's choice
    return build_form, batch_form


def _index(build_form, batch_form, error, sample_form=None, sample_error=None):
    filters, filter_errors = service.WorklistFilters.from_args(request.args)
    page = requested_page(request.args)
    pages, totals = service.worklist_page(filters, page)
    sample = service.sample(filters.sample) if filters.sample else None
    return shown("view_list", "claims", None,
                 detail=" ".join(f"{k}={v}" for k, v in filters.args().items())[:300] + f" page={page}", page=render_template(
        "claims/index.html", rows=pages.items, pages=pages, totals=totals, filters=filters,
        filter_args=filters.args(),
        filter_errors=[{"text": message, "href": f"#{field}-day" if field.startswith("date_")
                        else f"#{field}"} for field, message in filter_errors],
        filter_errors_by_field=filter_errors,
        choices=service.worklist_choices(),
        sample=sample, sample_form=sample_form or SampleForm(prefix="sample", formdata=None),
        sample_error=sample_error, batches=service.batches(),
        build_form=build_form, batch_form=batch_form, error=error, states=m.CLAIM_STATES,
        example_warnings=outcome_plans.example_warnings(
            name for name, _ in claim_rulesets()) if can(current_user, "manage_claims") else []))


@bp.route("/samples", methods=["POST"])
@requires("audit_claims")
def draw_sample():
    """Draw N% of the claims the worklist's filters select; the sample opens as the worklist."""
    filters, _ = service.WorklistFilters.from_args(request.args)
    filters.sample = None
    form = SampleForm(prefix="sample")
    if not form.validate():  # the worklist again, the form's errors beside its fields, values kept
        return _index(*_manager_forms(fresh=True), None, sample_form=form), 400
    try:
        sample = service.draw_sample(filters, form.percent.data, form.seed.data, current_user)
    except service.ClaimRefused as refused:
        return _index(*_manager_forms(fresh=True), None, sample_form=form,
                      sample_error=f"{refused}."), 400
    flash(f"Sample {sample.id}: {len(sample.claim_ids)} of {plural(sample.population, 'claim')} "
          f"({sample.percent}%), seed {sample.seed}.")
    return redirect(url_for("claims.index", sample=sample.id))


@bp.route("/batches/new", methods=["GET", "POST"])
@requires("manage_claims")
def confirm_batch():
    """What submitting a batch now would send, and the button that sends it: a submitted
    claim can never change."""
    form = ConfirmBatchForm()
    error = None
    if request.method == "POST" and form.validate():
        try:
            batch = service.submit_batch(form.window.data, clock.today(), current_user,
                                         expected=form.fingerprint.data)
            flash(f"Batch {batch.id} submitted with {plural(len(batch.claims), 'claim')}.")
            return redirect(url_for("claims.batch", batch_id=batch.id))
        except service.ClaimRefused as refused:
            error = str(refused)
    window = (form.window.data if request.method == "POST" else request.args.get("window", ""))
    window = (window or "").strip()[:60]
    if not window:
        return redirect(url_for("claims.index"))
    waiting = service.waiting_batch()
    form.window.data, form.fingerprint.data = window, waiting["fingerprint"]
    return shown("view", "claim_batch", None, detail=f"confirm {window}: {waiting['count']} claims", page=render_template("claims/confirm_batch.html", form=form, window=window,
                           waiting=waiting, error=error, today=clock.today(),
                           example_warning=outcome_plans.waiting_example_warning()))


@bp.route("/<int:claim_id>", methods=["GET", "POST"])
@requires("view_claims")
def show(claim_id: int):
    claim = service.claim_or_404(claim_id)
    filters, _ = service.WorklistFilters.from_args(request.args)
    form = DecisionForm()
    error = None
    if request.method == "POST":
        if not can(current_user, "audit_claims"):
            abort(403)
        if form.validate():
            try:
                if form.validate_claim.data:
                    service.validate(claim.id, current_user)
                    done = f"Claim {claim.id} validated."
                elif form.reject_claim.data:
                    service.reject(claim.id, current_user, form.reason.data)
                    done = f"Claim {claim.id} rejected."
                else:
                    abort(400)
                following = service.next_in_worklist(filters, claim.id)
                if following is None:
                    flash(f"{done} No more draft claims in this worklist.")
                    return redirect(url_for("claims.index", **filters.args()))
                flash(f"{done} This is the next draft claim in the worklist.")
                return redirect(url_for("claims.show", claim_id=following, **filters.args()))
            except service.ClaimRefused as refused:
                error = str(refused)
        claim = service.claim_or_404(claim_id)
    today, differences, status_now = service.compare_with_today(claim)
    return shown("view", "claim", str(claim.id), detail=claim.family.family_ref, page=render_template(
        "claims/show.html", claim=claim, today=today, differences=differences,
        status_now=status_now, form=form, error=error, filter_args=filters.args(),
        example_warning=outcome_plans.example_claims_warning([claim], one=True),
        parameters=labelled_parameters(claim.snapshot["ruleset"]),
        programme=programme_label(claim.ruleset),
        attached_on=attached_on(claim), attached_year=claim.programme_year))


def attached_on(claim: m.Claim) -> dt.date | None:
    """The family's attachment the claim was made on, as frozen with it (the family may have
    been attached again since, under a later programme)."""
    frozen = (claim.snapshot or {}).get("family", {}).get("attached_on")
    return dt.date.fromisoformat(frozen) if frozen else claim.family.attached_on


@bp.route("/batches/<int:batch_id>")
@requires("view_claims")
def batch(batch_id: int):
    batch = service.batch_or_404(batch_id)
    return shown("view", "claim_batch", str(batch.id), page=render_template(
        "claims/batch.html", batch=batch, summary=service.batch_summary(batch),
        pdf=documents.stored(batch.id), pdf_job=documents.latest_job(batch.id)))


@bp.route("/batches/<int:batch_id>/pdf", methods=["POST"])
@requires("manage_claims")
def make_batch_pdf(batch_id: int):
    """Make the batch's PDF again after its job failed (it is made once, at submission)."""
    batch = service.batch_or_404(batch_id)
    job = documents.latest_job(batch.id)
    if documents.stored(batch.id) is None and (job is None or job.state == "failed"):
        start("claim_batch_pdf", f"Claim PDF for batch {batch.id} ({batch.window})",
              current_user, params={"batch_id": batch.id}, subject=documents.subject(batch.id))
    return redirect(url_for("claims.batch", batch_id=batch_id))


@bp.route("/batches/<int:batch_id>.<fmt>")
@requires("view_claims")
def batch_file(batch_id: int, fmt: str):
    batch = service.batch_or_404(batch_id)
    name = f"claim-batch-{batch.id}"
    if fmt == "pdf":  # the bytes stored when the batch was submitted, every time
        pdf = documents.stored(batch.id)
        if pdf is None:
            # Not made yet, or its job failed: the batch page's PDF section says which, as it
            # is when the page is read (a flash would say "still being made" after the job
            # had finished or failed).
            return redirect(url_for("claims.batch", batch_id=batch.id, _anchor="claim-pdf"))
        body, mimetype = pdf.pdf, "application/pdf"
    elif fmt == "csv":
        body, mimetype = batch_csv(batch), "text/csv"
    elif fmt == "xlsx":
        body = batch_xlsx(batch)
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        abort(404)
    return shown("export", "claim_batch", str(batch.id), detail=fmt, page=Response(
        body, mimetype=mimetype,
        headers={"Content-Disposition": f"attachment; filename={name}.{fmt}"}))


@bp.route("/money")
@requires("manage_claims")
@shows_older_counts
def money():
    chosen = request.args.get("programme", "")
    figures = service.money(current_user, chosen if chosen in PROGRAMME_LABELS else None)
    return shown("view", "money", None, page=render_template(
        "claims/money.html", figures=figures,
        can_manage_match=can(current_user, "manage_match_funding"),
        progress=agreed_progress_of(current_user, figures["programme"])))
