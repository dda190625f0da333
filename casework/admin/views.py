"""The administrator's pages: users, and a search of the audit log."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select

from .. import models as m
from ..audit import record_event
from ..dates_input import picked_date
from ..extensions import db
from ..paging import Page, page_within
from ..permissions import requires
from ..transaction import transaction
from . import service
from .forms import DeactivateForm, EditUserForm, ResetForm, TeamForm, UserForm, team_choices

bp = Blueprint("admin", __name__, url_prefix="/admin")
AUDIT_PER_PAGE = 50


@bp.route("/users", methods=["GET", "POST"])
@requires("manage_users")
def users():
    form = UserForm()
    form.team.choices = team_choices()
    error = None
    if form.validate_on_submit():
        try:
            user = service.add_user(form.email.data, form.name.data, form.role.data,
                                    form.password.data, form.team.data or None, current_user)
        except service.AdminRefused as refused:
            error = str(refused)
        else:
            flash(f"{user.email} can now sign in.")
            return redirect(url_for("admin.users"))
    everyone = db.session.scalars(select(m.User).order_by(m.User.active.desc(), m.User.name)).all()
    return render_template("admin/users.html", form=form, users=everyone, error=error)


def _user_or_404(user_id: int) -> m.User:
    user = db.session.get(m.User, user_id)
    if user is None:
        abort(404)
    return user


@bp.route("/users/<int:user_id>/active", methods=["POST"])
@requires("manage_users")
def set_active(user_id: int):
    """Reactivate a user; deactivating asks first where their families go."""
    user = _user_or_404(user_id)
    if request.form.get("active") != "1":
        return redirect(url_for("admin.deactivate", user_id=user.id))
    service.reactivate(user, current_user)
    flash(f"{user.email} can sign in again.")
    return redirect(url_for("admin.users"))


@bp.route("/users/<int:user_id>/deactivate", methods=["GET", "POST"])
@requires("manage_users")
def deactivate(user_id: int):
    user = _user_or_404(user_id)
    if not user.active:
        return redirect(url_for("admin.users"))
    families = service.active_families(user)
    form = DeactivateForm()
    workers = db.session.scalars(select(m.User).where(
        m.User.role == "worker", m.User.active.is_(True), m.User.id != user.id)
        .order_by(m.User.team_id != user.team_id, m.User.name)).all()
    form.to.choices = [(0, "Select a FIP worker")] + [
        (w.id, f"{w.name}" + (f" ({w.team.name})" if w.team else "")) for w in workers]
    error = None
    if form.validate_on_submit():
        to = db.session.get(m.User, form.to.data) if form.to.data else None
        try:
            moved = service.deactivate(user, current_user, to, form.reason.data or "")
        except service.AdminRefused as refused:
            error = str(refused)
        else:
            flash(f"{user.email} can no longer sign in."
                  + (f" {moved} {'family' if moved == 1 else 'families'} transferred to {to.name}."
                     if moved else ""))
            return redirect(url_for("admin.users"))
    # The page lists the families the user holds: personal data, so the view is audited.
    with transaction():
        record_event("view", "deactivate", user.email, detail=f"{len(families)} active families")
        return render_template("admin/deactivate.html", form=form, user=user,
                                         families=families, error=error)


@bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
@requires("manage_users")
def edit_user(user_id: int):
    user = _user_or_404(user_id)
    form = EditUserForm(obj=None if request.method == "POST" else user)
    form.team.choices = team_choices()
    if request.method == "GET":
        form.team.data = user.team_id or 0
    error = None
    if form.validate_on_submit():
        try:
            service.change_user(user, form.role.data, form.team.data or None, current_user)
        except service.AdminRefused as refused:
            error = str(refused)
        else:
            flash(f"{user.name}'s role and team saved.")
            return redirect(url_for("admin.users"))
    return render_template("admin/edit_user.html", form=form, user=user, error=error)


@bp.route("/teams", methods=["GET", "POST"])
@requires("manage_users")
def teams():
    form = TeamForm()
    error = None
    if form.validate_on_submit():
        try:
            team = service.add_team(form.name.data)
        except service.AdminRefused as refused:
            error = str(refused)
        else:
            flash(f"Team {team.name} added.")
            return redirect(url_for("admin.teams"))
    return render_template("admin/teams.html", form=form, teams=service.teams(), error=error)


@bp.route("/users/<int:user_id>/password", methods=["GET", "POST"])
@requires("manage_users")
def reset_password(user_id: int):
    user = _user_or_404(user_id)
    form = ResetForm()
    if form.validate_on_submit():
        try:
            service.reset_password(user, form.password.data, current_user)
        except service.AdminRefused as refused:
            form.password.errors.append(str(refused))
        else:
            flash(f"Password reset for {user.email}. Tell them over a separate channel.")
            return redirect(url_for("admin.users"))
    return render_template("admin/reset.html", form=form, user=user)


@bp.route("/audit")
@requires("view_audit")
def audit():
    who = request.args.get("who", "").strip()
    action = request.args.get("action", "").strip()
    ref = request.args.get("ref", "").strip()
    since, since_error = picked_date(request.args, "from", dt.date.today() - dt.timedelta(days=30))
    until, until_error = picked_date(request.args, "to", dt.date.today())
    query = select(m.AuditEvent).where(
        m.AuditEvent.at >= dt.datetime.combine(since, dt.time()),
        m.AuditEvent.at < dt.datetime.combine(until + dt.timedelta(days=1), dt.time()))
    if who:
        query = query.where(func.lower(m.AuditEvent.user_email).like(f"%{who.lower()}%"))
    if action:
        query = query.where(m.AuditEvent.action == action)
    if ref:
        query = query.where(m.AuditEvent.object_ref == ref)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    number = page_within(request.args.get("page", 1, type=int), total, AUDIT_PER_PAGE)
    events = db.session.scalars(query.order_by(m.AuditEvent.at.desc(), m.AuditEvent.id.desc())
                                .limit(AUDIT_PER_PAGE).offset((number - 1) * AUDIT_PER_PAGE)).all()
    actions = db.session.scalars(select(m.AuditEvent.action).distinct().order_by(m.AuditEvent.action)).all()
    with transaction():
        record_event("view_list", "audit", None, detail=f"who={who[:60]} action={action} ref={ref[:60]}")
        return render_template(
            "admin/audit.html", page=Page(list(events), number, AUDIT_PER_PAGE, total),
            who=who, action=action, ref=ref, since=since, until=until,
            since_error=since_error, until_error=until_error, actions=actions)
