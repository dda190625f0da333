"""The programme manager's dashboard, cost analysis and Partnership Board report; the
administrator's unit costs."""

from __future__ import annotations

from flask import (
    Blueprint,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from .. import clock
from ..audit import shown
from ..cache_version import shows_older_counts
from ..evaluation.figures import HIGH_CONTACT_CONTACTS
from ..evaluation.later import plan_errors
from ..flashes import flash
from ..paging import Page, requested_page
from ..permissions import requires
from ..queue import start
from ..reports.exports import export_response
from ..rules.dates import govdate
from ..rules.ruleset import PROGRAMMES
from ..selection.figures import WAY_IN
from . import charts, service
from .forms import ReturnsForm, pence, unit_cost_form

bp = Blueprint("programme", __name__)
PER_PAGE = 50


@bp.route("/programme")
@requires("view_programme")
@shows_older_counts
def dashboard():
    programme = request.args.get("programme", "")
    f = service.figures(current_user, programme=programme if programme in PROGRAMMES else None)
    extras = service.dashboard_extras(current_user, f)
    return shown("view", "programme_dashboard", None,
                 detail=f"as of {f.as_of.isoformat()}, {f.programme}", page=render_template(
        "programme/dashboard.html", f=f, charts=charts.dashboard(f), funnel=f.stages,
        way_in=extras.way_in, stages=WAY_IN, needs=extras.needs,
        claim_months=extras.claim_months, plan_errors=plan_errors(f.programme)))


@bp.route("/programme/costs")
@requires("view_programme")
def costs():
    f = service.figures(current_user)
    pence = {row.key: row.pence for row in f.unit_costs}
    total, page, rows = service.cost_rows(current_user, pence,
                                          requested_page(request.args), PER_PAGE)
    listed = Page(rows, page, PER_PAGE, total)
    return shown("view", "cost_analysis", None,
                 detail=f"as of {f.as_of.isoformat()}, page {page}: "
                        + ", ".join(e.family_ref for e, *_ in listed.items)[:400],
                 page=render_template("programme/costs.html", f=f, page=listed,
                                      chart=charts.costs(f),
                                      high_contact_contacts=HIGH_CONTACT_CONTACTS))


@bp.route("/programme/costs.csv")
@requires("view_programme")
def costs_csv():
    """The cost analysis as CSV: made here, or by a job when large (see results_csv)."""
    made = service.costs_export(current_user)
    return export_response(made, lambda name, page: shown(
        "export", "cost_analysis", None, page=page,
        detail=name + (f" made by job {made.job.id}" if made.job else "")))


@bp.route("/programme/board-report", methods=["GET", "POST"])
@requires("view_programme")
def board_report():
    """Choose a quarter; the PDF is made by a job (the job page has the download)."""
    choices = service.quarters(clock.today())
    if request.method == "GET":
        return render_template("programme/report.html", quarters=choices, error=None)
    quarter = service.Quarter.parse(request.form.get("quarter", ""))
    if quarter is None or quarter not in choices:
        return render_template("programme/report.html", quarters=choices,
                               error="Select a quarter from the list"), 400
    job = start("board_report", f"Partnership Board report, {quarter.label}", current_user,
                params={"quarter": quarter.key})
    return redirect(url_for("jobs.show", job_id=job.id))


RETURN_TITLES = {"ssd": "Standard Safeguarding Dataset (early help)",
                 "annex_a_list_2": "Ofsted's early help list (Annex A list 2)",
                 "quarterly_return": "Quarterly return"}


@bp.route("/programme/returns", methods=["GET", "POST"])
@requires("view_programme")
def returns():
    """Choose a return and its date; a job makes the file (the job page has the download)."""
    form = ReturnsForm()
    if form.validate_on_submit():
        as_of = form.as_of.data
        job = start(form.kind.data, f"{RETURN_TITLES[form.kind.data]} on {govdate(as_of)}",
                    current_user, params={"as_of": as_of.isoformat()})
        return redirect(url_for("jobs.show", job_id=job.id))
    return render_template("programme/returns.html", form=form)


@bp.route("/admin/unit-costs", methods=["GET", "POST"])
@requires("manage_unit_costs")
def unit_costs():
    rows = service.unit_costs()
    form = unit_cost_form(rows)
    if form.validate_on_submit():
        values = {row.key: (pence(getattr(form, f"{row.key}_amount").data),
                            getattr(form, f"{row.key}_source").data.strip()) for row in rows}
        changed = service.save_unit_costs(values, current_user)
        flash(f"{changed} unit cost{'s' if changed != 1 else ''} changed." if changed
              else "No unit costs changed.")
        return redirect(url_for("programme.unit_costs"))
    return render_template("programme/unit_costs.html", form=form, rows=rows)
