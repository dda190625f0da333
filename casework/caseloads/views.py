"""Caseload screens: a worker's families, the team lead's view, allocation and closure."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from .. import access
from .. import models as m
from ..audit import record_event
from ..casefile import service as casefile
from ..extensions import db
from ..permissions import requires
from ..security import safe_target
from ..transaction import transaction
from . import service
from .forms import AllocateForm, CloseForm

bp = Blueprint("caseloads", __name__)
NO_CONTACT_DAYS = service.NO_CONTACT_DAYS


def _last_contacts(family_ids: list[int]) -> dict[int, dt.datetime]:
    if not family_ids:
        return {}
    return dict(db.session.execute(
        select(m.Contact.family_id, func.max(m.Contact.contact_at))
        .where(m.Contact.family_id.in_(family_ids), m.Contact.status == "final")
        .group_by(m.Contact.family_id)
    ).all())


def _next_actions(family_ids: list[int]) -> dict[int, m.FollowUp]:
    actions: dict[int, m.FollowUp] = {}
    if not family_ids:
        return actions
    for action in db.session.scalars(
        select(m.FollowUp).where(m.FollowUp.family_id.in_(family_ids), m.FollowUp.done_on.is_(None))
        .order_by(m.FollowUp.due_on.is_(None), m.FollowUp.due_on, m.FollowUp.id)
    ):
        actions.setdefault(action.family_id, action)
    return actions


@bp.route("/my-families")
@requires("log_contact")
def my_families():
    rows = db.session.execute(access.allocated_to(current_user).add_columns(m.Allocation)).all()
    ids = [f.id for f, _ in rows]
    with transaction():
        record_event("view_list", "my_families", None)
        return render_template(
            "caseloads/my_families.html", rows=rows, last=_last_contacts(ids),
            actions=_next_actions(ids), load=service.caseload(current_user), now=dt.datetime.now(),
            drafts=casefile.drafts(current_user),
        )


@bp.route("/team")
@requires("view_caseloads")
def team():
    today = dt.date.today()
    workers = access.team_workers(current_user)
    loads = service.caseloads(workers, today)
    team_families = db.session.execute(
        access.visible_families(current_user).add_columns(m.Allocation)
        .join(m.Allocation, m.Allocation.family_id == m.Family.id)
        .where(m.Allocation.end_on.is_(None))
        .options(selectinload(m.Allocation.worker))  # one query for the workers' names
    ).all()
    last = _last_contacts([f.id for f, _ in team_families])
    now = dt.datetime.now()
    stale = []
    for family, allocation in team_families:
        seen = last.get(family.id)
        since = seen or dt.datetime.combine(allocation.start_on, dt.time())
        days = (now - since).days
        if days >= NO_CONTACT_DAYS[0]:
            stale.append((family, allocation, seen, days))
    stale.sort(key=lambda row: -row[3])
    with transaction():
        record_event("view_list", "team", None)
        return render_template(
            "caseloads/team.html", loads=loads, stale=stale, unallocated=service.eligible_unallocated(),
            workers=workers, thresholds=NO_CONTACT_DAYS, today=today,
        )


@bp.route("/families/<family_ref>/allocate", methods=["GET", "POST"])
@requires("allocate")
def allocate(family_ref: str):
    family = access.allocatable_family_or_404(current_user, family_ref)
    workers = access.team_workers(current_user)
    loads = {load.worker.id: load for load in service.caseloads(workers)}
    current = access.open_allocation(family)
    form = AllocateForm()
    if current is not None:
        form.as_transfer()
    form.worker.choices = [(0, "Select a worker")] + [
        (w.id, f"{w.name}: {loads[w.id].active} active, {loads[w.id].rolling} in 12 months")
        for w in workers if current is None or w.id != current.worker_id
    ]
    if request.method == "GET":
        form.on.data = dt.date.today()
        if request.args.get("worker", type=int):
            form.worker.data = request.args.get("worker", type=int)
    refusal = None
    if form.validate_on_submit():
        worker = db.session.get(m.User, form.worker.data)
        if worker is None or worker.id not in loads:
            form.worker.errors.append("Select a FIP worker")
        else:
            try:
                service.allocate(family, worker, form.on.data, current_user,
                                 form.override_reason.data, form.reason.data)
            except service.AllocationRefused as refused:
                refusal = str(refused)
            else:
                if current is not None:
                    flash(f"{family.family_ref} transferred from {current.worker.name} to "
                          f"{worker.name}.")
                    return redirect(url_for("families.show", family_ref=family.family_ref))
                flash(f"{family.family_ref} allocated to {worker.name}.")
                return redirect(safe_target(request.args.get("back"), url_for("caseloads.team")))
    with transaction():
        record_event("view", "allocate", family.family_ref)
        return render_template("caseloads/allocate.html", form=form, family=family,
                                         current=current, refusal=refusal)


@bp.route("/families/<family_ref>/close", methods=["GET", "POST"])
@requires("allocate")
def close(family_ref: str):
    family = access.allocatable_family_or_404(current_user, family_ref)
    current = access.open_allocation(family)
    if current is None:
        abort(404)
    form = CloseForm()
    if request.method == "GET":
        form.on.data = dt.date.today()
    refusal = None
    if form.validate_on_submit():
        try:
            service.close(family, form.on.data, current_user, form.reason.data, form.outcome.data)
        except service.AllocationRefused as refused:
            refusal = str(refused)
        else:
            flash(f"The case of {family.family_ref} is closed.")
            return redirect(url_for("caseloads.team"))
    with transaction():
        record_event("view", "close", family.family_ref)
        return render_template("caseloads/close.html", form=form, family=family,
                                         current=current, refusal=refusal)


