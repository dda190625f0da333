"""The administrator's pages: users, and a search of the audit log."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from .. import models as m
from ..audit import committed, record_event
from ..auth.service import UserRefused, create_user, password_problem
from ..dates_input import picked_date
from ..extensions import db
from ..families.service import Page, page_within
from ..permissions import requires
from .forms import ResetForm, UserForm

bp = Blueprint("admin", __name__, url_prefix="/admin")
AUDIT_PER_PAGE = 50


@bp.route("/users", methods=["GET", "POST"])
@requires("manage_users")
def users():
    form = UserForm()
    error = None
    if form.validate_on_submit():
        try:
            user = create_user(form.email.data, form.name.data, form.role.data, form.password.data,
                               team=(form.team.data or "").strip() or None)
        except UserRefused as refused:
            error = str(refused)
            db.session.rollback()
        else:
            record_event("create", "user", user.email, detail=f"role={user.role}")
            db.session.commit()
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
    user = _user_or_404(user_id)
    if user.id == current_user.id:
        flash("You cannot deactivate yourself.")
        return redirect(url_for("admin.users"))
    user.active = request.form.get("active") == "1"
    record_event("activate" if user.active else "deactivate", "user", user.email)
    db.session.commit()
    flash(f"{user.email} {'can sign in again' if user.active else 'can no longer sign in'}.")
    return redirect(url_for("admin.users"))


@bp.route("/users/<int:user_id>/password", methods=["GET", "POST"])
@requires("manage_users")
def reset_password(user_id: int):
    user = _user_or_404(user_id)
    form = ResetForm()
    if form.validate_on_submit():
        problem = password_problem(form.password.data)
        if problem:
            form.password.errors.append(problem)
        else:
            user.password_hash = generate_password_hash(form.password.data)
            record_event("reset_password", "user", user.email)
            db.session.commit()
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
    record_event("view_list", "audit", None, detail=f"who={who[:60]} action={action} ref={ref[:60]}")
    return committed(render_template(
        "admin/audit.html", page=Page(list(events), number, AUDIT_PER_PAGE, total),
        who=who, action=action, ref=ref, since=since, until=until,
        since_error=since_error, until_error=until_error, actions=actions))
