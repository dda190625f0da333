"""Results for managers: every family's statuses, nearly there, CSV; and screening. All read
the stored evaluation (casework.evaluation.store) with set-based queries. Also: the manager's
"Refresh the figures", and keeping the stored evaluation current after every request that
changed a family's evidence."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import logging
from array import array

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput
from sqlalchemy import case, func
from wtforms import SubmitField

from .. import models as m
from ..access import wards
from ..audit import record_event
from ..extensions import db
from ..lookups import one_of
from ..paging import Page, page_within
from ..permissions import requires
from ..reports.exports import csv_writer
from ..rules import CLAIMABLE_RESULTS, RESULTS, STATUSES
from ..transaction import transaction
from . import figures as fig
from . import store
from .output import CSV_COLUMNS

bp = Blueprint("evaluation", __name__)
log = logging.getLogger(__name__)
PER_PAGE = 50
SCREENING_SHOWN = 200  # families listed under each heading; the count says how many in all


def _filters():
    ward = request.args.get("ward", "")
    result = request.args.get("result", "")
    status = request.args.get("status", "")
    if result not in RESULTS:
        result = ""
    if status not in STATUSES:
        status = ""
    return ward, result, status


@dataclasses.dataclass(frozen=True)
class Row:
    """One family's stored evaluation, as the results and screening pages show it."""

    family_ref: str
    family_name: str
    ward: str | None
    identified_on: dt.date | None
    attached_on: dt.date | None
    stored: m.StoredEvaluation

    def status(self, result: str) -> str:
        return getattr(self.stored, f"result_{result}")

    @property
    def claimable(self) -> list[tuple[str, int]]:
        return [(r, amount) for r in CLAIMABLE_RESULTS
                if (amount := getattr(self.stored, f"claimable_{r}"))]

    @property
    def why(self) -> list[str]:
        s = self.stored
        return [label for flag, label in ((s.crime_asb, "crime or ASB"), (s.education, "education"),
                                          (s.work, "out of work"),
                                          (s.local_discretion, "local discretion")) if flag]


def _rows(query) -> list[Row]:
    return [Row(*values) for values in db.session.execute(query)]


def _listed(sc: fig.Scope, *where):
    """The scope's families with a stored evaluation, in family_ref order."""
    f = sc.f.c
    return (sc.select(f.family_ref, f.family_name, f.ward, f.identified_on, f.attached_on, sc.s)
            .where(sc.s.family_id.is_not(None), *where).order_by(f.family_ref))


def _status_filter(sc: fig.Scope, result: str, status: str) -> list:
    return [getattr(sc.s, f"result_{result}") == status] if result and status else []


def _result_totals(sc: fig.Scope, chosen: list) -> dict:
    """The results page's counts (for the filter chosen): families, nearly there, each
    result's statuses and the pounds claimable, in four queries."""
    total = db.session.scalar(sc.select(func.count()).where(
        sc.s.family_id.is_not(None), *chosen)) or 0
    nearly = db.session.scalar(sc.select(func.count()).where(
        sc.s.nearly_there.is_not(None), *chosen)) or 0
    pairs = [(r, s) for r in RESULTS for s in STATUSES]
    found = db.session.execute(sc.select(*[
        func.count(case((getattr(sc.s, f"result_{r}") == s, 1))) for r, s in pairs
    ]).where(*chosen)).one()
    counts = {r: {} for r in RESULTS}
    for (r, s), n in zip(pairs, found, strict=True):
        if n:
            counts[r][s] = n
    claimable = db.session.scalar(sc.select(
        func.coalesce(func.sum(sc.s.claimable_total), 0)).where(*chosen)) or 0
    return {"total": total, "nearly": nearly, "counts": counts, "claimable": claimable}


@bp.route("/results")
@requires("view_results")
def results():
    ward, result, status = _filters()
    sc = fig.scope(current_user, ward)
    chosen = _status_filter(sc, result, status)
    totals = fig.memo(sc, "results", lambda: _result_totals(sc, chosen), result, status)
    # The listed families' ids in order, kept like the counts: a deep page is a slice, not
    # an OFFSET that reads every row before it.
    order = fig.memo(sc, "results.order", lambda: array("q", db.session.scalars(
        _listed(sc, *chosen).with_only_columns(sc.f.c.id))), result, status, large=True)
    nearly_ids = fig.memo(sc, "results.nearly", lambda: list(db.session.scalars(
        _listed(sc, sc.s.nearly_there.is_not(None), *chosen).with_only_columns(sc.f.c.id)
        .limit(PER_PAGE))), result, status)
    page_number = page_within(request.args.get("page", 1, type=int), len(order), PER_PAGE)
    start = (page_number - 1) * PER_PAGE
    page = Page(_rows(_listed(sc, one_of(sc.f.c.id, list(order[start:start + PER_PAGE])))),
                page_number, PER_PAGE, len(order))
    nearly = _rows(_listed(sc, one_of(sc.f.c.id, nearly_ids)))
    with transaction():
        record_event("view_list", "results", None, detail=f"as_of={sc.as_of} ward={ward}")
        return render_template(
            "evaluation/results.html", page=page, nearly=nearly,
            nearly_total=totals["nearly"], counts=totals["counts"], as_of=sc.as_of,
            refreshed_at=sc.refreshed_at, ward=ward, result=result, status=status, wards=wards(current_user), results_names=RESULTS, statuses=STATUSES,
            claimable_total=totals["claimable"],
        )


@bp.route("/results.csv")
@requires("view_results")
def results_csv():
    ward, result, status = _filters()
    sc = fig.scope(current_user, ward)
    out = io.StringIO()
    writer = csv_writer(out)
    writer.writerow(CSV_COLUMNS + ["nearly_there"])
    S, f = sc.s, sc.f.c
    # Plain columns, not records: 120,000 rows of values are written in a second or two.
    query = sc.select(
        f.family_ref, S.as_of, S.identification_date, S.crime_asb, S.education, S.work,
        S.local_discretion, S.eligible, f.attached_on,
        *[getattr(S, f"result_{r}") for r in RESULTS],
        *[getattr(S, f"claimable_{r}") for r in CLAIMABLE_RESULTS], S.nearly_there,
    ).where(S.family_id.is_not(None), *_status_filter(sc, result, status)).order_by(f.family_ref)
    flags, statuses = slice(3, 8), slice(9, 9 + len(RESULTS))
    amounts = slice(9 + len(RESULTS), 9 + len(RESULTS) + len(CLAIMABLE_RESULTS))
    count = 0
    for row in db.session.execute(query):
        writer.writerow(
            [row[0], row[1].isoformat(), row[2].isoformat()]
            + ["y" if flag else "n" for flag in row[flags]]
            + [row[8].isoformat() if row[8] else ""]
            + list(row[statuses])
            + [";".join(f"{r}:{amount}" for r, amount
                        in zip(CLAIMABLE_RESULTS, row[amounts], strict=True) if amount)]
            + [row[-1] or ""])
        count += 1
    with transaction():
        record_event("export", "results", None, detail=f"as_of={sc.as_of} ward={ward} rows={count}")
    return Response(out.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": f"attachment; filename=results-{sc.as_of.isoformat()}.csv"})


@bp.route("/screening")
@requires("manage_claims")
def screening():
    ward, _, _ = _filters()
    sc = fig.scope(current_user, ward)
    f = sc.f.c
    waiting = [sc.s.eligible.is_(True), f.attached_on.is_(None)]
    kinds = (("not_identified", f.identified_on.is_(None)),
             ("not_attached", f.identified_on.is_not(None)))
    totals = fig.memo(sc, "screening", lambda: {
        key: db.session.scalar(sc.select(func.count()).where(*waiting, where)) or 0
        for key, where in kinds})
    lists = {key: (totals[key], _rows(_listed(sc, *waiting, where).limit(SCREENING_SHOWN)))
             for key, where in kinds}
    with transaction():
        record_event("view_list", "screening", None, detail=f"as_of={sc.as_of}")
        return render_template(
            "evaluation/screening.html", as_of=sc.as_of, refreshed_at=sc.refreshed_at, ward=ward,
            wards=wards(current_user), lists=lists, shown=SCREENING_SHOWN)


# Keeping the figures current -------------------------------------------------------------------


@bp.after_app_request
def keep_figures_current(response):
    """After any request that queued a family (an import, an edit, a sign-up, a match
    accepted, a claim rejected: casework.evaluation.store), evaluate it again before the next
    page is read, or start the refresh job when the change touched many families. A failure
    here does not undo the change that was saved: the families stay queued."""
    if db.session.info.pop(store.QUEUED, False):
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
    """Templates' stored_run(): the date the stored evaluation holds for (_figures_hold.html)."""
    return {"stored_run": store.current_run}


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
                           today=dt.date.today(), pending=store.pending_count())
