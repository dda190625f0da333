"""Caseload screens: a worker's families, the team lead's view, allocation and closure."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_login import current_user

from .. import access, clock, episodes
from ..audit import shown
from ..casefile import service as casefile
from ..flashes import flash
from ..paging import requested_page
from ..permissions import requires
from ..security import safe_target
from ..selection import service as selection
from . import service
from .forms import AllocateForm, CloseForm

bp = Blueprint("caseloads", __name__)
NO_CONTACT_DAYS = service.NO_CONTACT_DAYS


@bp.route("/my-families")
@requires("log_contact")
def my_families():
    rows = service.held_by(current_user)
    ids = [f.id for f, _ in rows]
    return shown("view_list", "my_families", None, page=render_template(
        "caseloads/my_families.html", rows=rows, last=service.last_contacts(ids),
        actions=service.next_actions(ids), load=service.caseload(current_user), now=clock.now(),
        drafts=casefile.drafts(current_user),
        first_contacts=selection.first_contacts_led(current_user),
    ))


@bp.route("/team")
@requires("view_caseloads")
def team():
    today = clock.today()
    workers = access.team_workers(current_user)
    loads = service.caseloads(workers, today)
    stale = service.without_contact(service.allocated_seen_by(current_user), clock.now())
    return shown("view_list", "team", None, page=render_template(
        "caseloads/team.html", loads=loads, stale=stale,
        waiting=selection.waiting_page(current_user, requested_page(request.args)),
        workers=workers, thresholds=NO_CONTACT_DAYS, today=today,
    ))


@bp.route("/families/<family_ref>/allocate", methods=["GET", "POST"])
@requires("allocate")
def allocate(family_ref: str):
    family = access.allocatable_family_or_404(current_user, family_ref)
    workers = access.team_workers(current_user)
    loads = {load.worker.id: load for load in service.caseloads(workers)}
    current = access.open_allocation(family)
    form = AllocateForm()
    episode = episodes.open_episode_of(family.id)
    if current is not None:
        form.as_transfer()
    elif episode is None:
        form.as_sign_up()
    form.worker.choices = [(0, "Select a worker")] + [
        (w.id, f"{w.name}: {loads[w.id].active} active, {loads[w.id].rolling} in 12 months")
        for w in workers if current is None or w.id != current.worker_id
    ]
    if request.method == "GET":
        form.on.data = clock.today()
        if request.args.get("worker", type=int):
            form.worker.data = request.args.get("worker", type=int)
    refusal = None
    if form.validate_on_submit():
        worker = next((w for w in workers if w.id == form.worker.data), None)
        if worker is None:
            form.worker.errors.append("Select a FIP worker")
        else:
            try:
                service.allocate(family, worker, form.on.data, current_user,
                                 form.override_reason.data, form.reason.data,
                                 signing_up=form.signing_up,
                                 consent_by=(form.consent_by.data or "").strip() or None)
            except service.AllocationRefused as refused:
                refusal = str(refused)
            else:
                # Back where the user came from (`back`, through safe_target: an address on
                # this site), else the family page after a transfer, the team's after an
                # allocation.
                if current is not None:
                    flash(f"{family.family_ref} transferred from {current.worker.name} to "
                          f"{worker.name}.")
                    return redirect(safe_target(request.args.get("back"), url_for(
                        "families.show", family_ref=family.family_ref)))
                flash(f"{family.family_ref} allocated to {worker.name}.")
                return redirect(safe_target(request.args.get("back"), url_for("caseloads.team")))
    return shown("view", "allocate", family.family_ref, page=render_template("caseloads/allocate.html", form=form, family=family,
                           current=current, episode=episode, refusal=refusal,
                           back=safe_target(request.args.get("back"), "")))


@bp.route("/families/<family_ref>/close", methods=["GET", "POST"])
@requires("allocate")
def close(family_ref: str):
    family = access.allocatable_family_or_404(current_user, family_ref)
    current = access.open_allocation(family)
    if current is None and episodes.open_episode_of(family.id) is None:
        abort(404)
    form = CloseForm()
    if request.method == "GET":
        form.on.data = clock.today()
    refusal = None
    if form.validate_on_submit():
        try:
            service.close(family, form.on.data, current_user, form.reason.data, form.outcome.data)
        except service.AllocationRefused as refused:
            refusal = str(refused)
        else:
            flash(f"The case of {family.family_ref} is closed.")
            # Back where the user came from (the family page, the team's), on this site only;
            # not to the family's pages once closing has taken it out of the user's sight.
            team = url_for("caseloads.team")
            back = safe_target(request.args.get("back"), team)
            family_page = url_for("families.show", family_ref=family.family_ref)
            if (back == family_page or back.startswith(family_page + "/")) and \
                    not access.sees_family(current_user, family):
                back = team
            return redirect(back)
    return shown("view", "close", family.family_ref, page=render_template("caseloads/close.html", form=form, family=family,
                                     current=current, refusal=refusal,
                                     back=safe_target(request.args.get("back"), "")))


