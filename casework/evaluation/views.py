"""Results for managers: every family's statuses, nearly there, CSV; and screening."""

from __future__ import annotations

import datetime as dt
import io

from flask import Blueprint, Response, render_template, request
from flask_login import current_user
from sqlalchemy import select

from .. import models as m
from ..audit import committed, record_event
from ..dates_input import picked_date
from ..extensions import db
from ..families.scope import visible_families
from ..families.service import Page, page_within, wards
from ..permissions import requires
from ..reports.exports import csv_writer
from ..rules import RESULTS, STATUSES
from ..rules.nearly import nearly_there
from .output import CSV_COLUMNS, csv_row
from .service import evaluate_families, to_json

bp = Blueprint("evaluation", __name__)
PER_PAGE = 50


def _filters():
    as_of, date_error = picked_date(request.args, "as_of", dt.date.today())
    ward = request.args.get("ward", "")
    result = request.args.get("result", "")
    status = request.args.get("status", "")
    if result not in RESULTS:
        result = ""
    if status not in STATUSES:
        status = ""
    return as_of, date_error, ward, result, status


def _scoped(ward: str):
    query = visible_families(current_user)
    if ward:
        query = query.where(m.Family.ward == ward)
    return query


@bp.route("/results")
@requires("view_results")
def results():
    as_of, date_error, ward, result, status = _filters()
    rows, nearly = [], []
    for item in evaluate_families(as_of, _scoped(ward)):
        e = item.evaluation
        if result and status and e.status(result) != status:
            continue
        rows.append(item)
        notes = nearly_there(e)
        if notes:
            nearly.append((item, notes))
    page_number = page_within(request.args.get("page", 1, type=int), len(rows), PER_PAGE)
    page = Page(rows[(page_number - 1) * PER_PAGE : page_number * PER_PAGE], page_number,
                PER_PAGE, len(rows))
    counts = {r: {} for r in RESULTS}
    for item in rows:
        for r in RESULTS:
            s = item.evaluation.status(r)
            counts[r][s] = counts[r].get(s, 0) + 1
    record_event("view_list", "results", None, detail=f"as_of={as_of} ward={ward}")
    return committed(render_template(
        "evaluation/results.html", page=page, nearly=nearly, counts=counts, as_of=as_of,
        date_error=date_error, ward=ward, result=result, status=status,
        wards=wards(current_user), results_names=RESULTS, statuses=STATUSES,
        claimable_total=sum(c.amount for item in rows for c in item.claimable),
    ))


@bp.route("/results.csv")
@requires("view_results")
def results_csv():
    as_of, _, ward, result, status = _filters()
    out = io.StringIO()
    writer = csv_writer(out)
    writer.writerow(CSV_COLUMNS + ["nearly_there"])
    count = 0
    for item in evaluate_families(as_of, _scoped(ward)):
        if result and status and item.evaluation.status(result) != status:
            continue
        writer.writerow(csv_row(to_json(item)) + ["; ".join(nearly_there(item.evaluation))])
        count += 1
    record_event("export", "results", None, detail=f"as_of={as_of} ward={ward} rows={count}")
    db.session.commit()
    return Response(out.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": f"attachment; filename=results-{as_of.isoformat()}.csv"})


@bp.route("/screening")
@requires("manage_claims")
def screening():
    as_of, date_error, ward, _, _ = _filters()
    not_identified, not_attached = [], []
    query = _scoped(ward).where(m.Family.attached_on.is_(None))
    for item in evaluate_families(as_of, query):
        if not item.evaluation.identification.eligible:
            continue
        if item.evaluation.identification.screening:
            not_identified.append(item)
        else:
            not_attached.append(item)
    record_event("view_list", "screening", None, detail=f"as_of={as_of}")
    return committed(render_template(
        "evaluation/screening.html", as_of=as_of, date_error=date_error, ward=ward,
        wards=wards(current_user), not_identified=not_identified, not_attached=not_attached,
        families={f.id: f for f in db.session.scalars(select(m.Family).where(
            m.Family.id.in_([i.family_id for i in not_identified + not_attached])))},
    ))
