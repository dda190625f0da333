"""Results for managers: every family's statuses, nearly there, CSV; and screening, read
from the stored evaluation by casework.evaluation.listing. Also: the manager's
"Refresh the figures", and keeping the stored evaluation current after every request that
changed a family's evidence."""

from __future__ import annotations

import logging

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput
from wtforms import SubmitField

from .. import cache_version, clock
from .. import models as m
from ..access import wards
from ..audit import shown
from ..cache_version import shows_older_counts
from ..flashes import flash
from ..paging import requested_page
from ..permissions import requires
from ..reports.exports import export_response
from ..rules import RESULTS, STATUSES
from ..transaction import transaction
from . import figures as fig
from . import listing, store

bp = Blueprint("evaluation", __name__)
log = logging.getLogger(__name__)


def _filters():
    ward = request.args.get("ward", "")
    result = request.args.get("result", "")
    status = request.args.get("status", "")
    if result not in RESULTS:
        result = ""
    if status not in STATUSES:
        status = ""
    return ward, result, status


@bp.route("/results")
@requires("view_results")
@shows_older_counts
def results():
    ward, result, status = _filters()
    sc = fig.scope(current_user, ward)
    found = listing.results(sc, result, status, requested_page(request.args))
    return shown("view_list", "results", None, detail=f"as_of={sc.as_of} ward={ward}", page=render_template(
        "evaluation/results.html", page=found.page, nearly=found.nearly,
        nearly_total=found.totals["nearly"], counts=found.totals["counts"], as_of=sc.as_of,
        refreshed_at=sc.refreshed_at, ward=ward, result=result, status=status, wards=wards(current_user), results_names=RESULTS, statuses=STATUSES,
        claimable_total=found.totals["claimable"],
    ))


@bp.route("/results.csv")
@requires("view_results")
def results_csv():
    """The results as CSV: made here, or by a job when large (the address then leads to
    the job's page, and gives the file once the job has made it)."""
    ward, result, status = _filters()
    made = listing.results_export(current_user, ward, result, status)
    return export_response(made, lambda name, page: shown(
        "export", "results", None, page=page,
        detail=f"{name} ward={ward} result={result} status={status}"
               + (f" made by job {made.job.id}" if made.job else "")))


@bp.route("/screening")
@requires("manage_claims")
def screening():
    ward, _, _ = _filters()
    sc = fig.scope(current_user, ward)
    lists = listing.screening(sc)
    return shown("view_list", "screening", None, detail=f"as_of={sc.as_of}", page=render_template(
        "evaluation/screening.html", as_of=sc.as_of, refreshed_at=sc.refreshed_at, ward=ward,
        wards=wards(current_user), lists=lists, shown=listing.SCREENING_SHOWN))


# Keeping the figures current -------------------------------------------------------------------


@bp.after_app_request
def keep_figures_current(response):
    """After any request that marked a family stale (an import, an edit, a sign-up, a match
    accepted, a claim rejected: casework.evaluation.store), evaluate it again before the next
    page is read, or start the refresh job when the change touched many families. A failure
    here does not undo the change that was saved: the families stay stale."""
    if store.marked_stale_here():
        try:
            with transaction():
                done = store.keep_current()
        except Exception:
            log.exception("the families changed by %s were not evaluated again", request.path)
        else:
            if isinstance(done, m.Job):
                flash(f"The figures are being worked out again for the families changed: "
                      f"job {done.id} shows how far it has got.")
    return response


@bp.app_context_processor
def _stored_run():
    """Templates' stored_run(): the date the stored evaluation holds for, and
    figures_waiting(): how many changed families wait to be evaluated again, and
    figures_counted(): when the summaries' stored totals were counted and how many changes
    since they do not show yet, and summaries_behind(): when the oldest of the page's
    summaries counted at an earlier store of the figures was counted (_figures_hold.html)."""
    return {"stored_run": store.current_run, "figures_waiting": store.pending_count,
            "figures_counted": lambda ward=None: fig.freshness(current_user, ward),
            "summaries_behind": cache_version.counted_behind}


class RefreshForm(FlaskForm):
    refresh = SubmitField("Refresh the figures", widget=GovSubmitInput())


@bp.route("/figures/refresh", methods=["GET", "POST"])
@requires("view_programme")
def refresh():
    """Evaluate every family again for today, as the nightly refresh does, by a job."""
    form = RefreshForm()
    if form.validate_on_submit():
        job = store.start_refresh(current_user, everything=True)
        return redirect(url_for("jobs.show", job_id=job.id))
    return render_template("evaluation/refresh.html", form=form, run=store.current_run(),
                           today=clock.today(), pending=store.pending_count())
