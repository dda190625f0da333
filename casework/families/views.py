"""The families list and a family's page."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, render_template, request
from flask_login import current_user

from ..audit import record_event
from ..casefile.service import can_write
from ..caseloads.service import allocation_history, open_allocation
from ..dates_input import picked_date
from ..evaluation.service import evaluate_family
from ..extensions import db
from ..permissions import requires
from ..rules.dates import age_on
from ..rules.nearly import nearly_there
from . import service
from .scope import get_family_or_404

bp = Blueprint("families", __name__)


@bp.route("/")
@bp.route("/families")
@requires("view_families")
def index():
    q = request.args.get("q", "")
    ward = request.args.get("ward", "")
    page = request.args.get("page", 1, type=int) or 1
    result = service.search_families(current_user, q, ward, page)
    record_event("view_list", "families", None, detail=f"q={q[:80]} ward={ward[:80]} page={page}")
    db.session.commit()
    return render_template(
        "families/index.html",
        result=result,
        q=q,
        ward=ward,
        wards=service.wards(current_user),
    )


@bp.route("/families/<family_ref>")
@requires("view_families")
def show(family_ref: str):
    family = get_family_or_404(current_user, family_ref)
    records = service.family_records(family)
    today = dt.date.today()
    as_of, date_error = picked_date(request.args, "as_of", today)
    evaluated = evaluate_family(family, as_of)
    record_event("view", "family", family.family_ref)
    db.session.commit()
    return render_template(
        "families/show.html",
        family=family,
        records=records,
        ages={p.id: age_on(p.date_of_birth, today) for p in records.people},
        people_by_id={p.id: p for p in records.people},
        today=today,
        as_of=as_of,
        date_error=date_error,
        evaluation=evaluated.evaluation,
        nearly=nearly_there(evaluated.evaluation),
        allocation=open_allocation(family),
        allocations=allocation_history(family),
        can_write=can_write(current_user, family),
        claimable=[
            {"label": f"{c.result.replace('_', ' ')} £{c.amount:,}"} for c in evaluated.claimable
        ],
    )
