"""The administrator's pages: users, and a search of the audit log."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_login import current_user

from .. import clock
from ..api import tokens as api_tokens
from ..audit import shown
from ..dates_input import picked_date
from ..flashes import flash
from ..paging import requested_page
from ..permissions import requires
from . import service
from .forms import (
    ApiTokenForm,
    DeactivateForm,
    EditUserForm,
    ResetForm,
    TeamForm,
    UserForm,
    team_choices,
)

bp = Blueprint("admin", __name__, url_prefix="/admin")


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
    return render_template("admin/users.html", form=form, users=service.users(), error=error)


@bp.route("/users/<int:user_id>/active", methods=["POST"])
@requires("manage_users")
def set_active(user_id: int):
    """Reactivate a user; deactivating asks first where their families go."""
    user = service.user_or_404(user_id)
    if request.form.get("active") != "1":
        return redirect(url_for("admin.deactivate", user_id=user.id))
    service.reactivate(user, current_user)
    flash(f"{user.email} can sign in again.")
    return redirect(url_for("admin.users"))


@bp.route("/users/<int:user_id>/deactivate", methods=["GET", "POST"])
@requires("manage_users")
def deactivate(user_id: int):
    user = service.user_or_404(user_id)
    if not user.active:
        return redirect(url_for("admin.users"))
    families = service.active_families(user)
    form = DeactivateForm()
    workers = service.successors(user)
    form.to.choices = [(0, "Select a FIP worker")] + [
        (w.id, f"{w.name}" + (f" ({w.team.name})" if w.team else "")) for w in workers]
    error = None
    if form.validate_on_submit():
        to = next((w for w in workers if w.id == form.to.data), None)
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
    return shown("view", "deactivate", user.email, detail=f"{len(families)} active families", page=render_template("admin/deactivate.html", form=form, user=user,
                                     families=families, error=error))


@bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
@requires("manage_users")
def edit_user(user_id: int):
    user = service.user_or_404(user_id)
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
    user = service.user_or_404(user_id)
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
    since, since_error = picked_date(request.args, "from", clock.today() - dt.timedelta(days=30))
    until, until_error = picked_date(request.args, "to", clock.today())
    page = service.audit_events(since, until, who, action, ref,
                                requested_page(request.args))
    return shown("view_list", "audit", None, detail=f"who={who[:60]} action={action} ref={ref[:60]}", page=render_template(
        "admin/audit.html", page=page, names=service.people_named(page.items),
        detail_in_words=service.detail_in_words,
        who=who, action=action, ref=ref, since=since, until=until,
        since_error=since_error, until_error=until_error, actions=service.audit_actions()))


# The read API's tokens --------------------------------------------------------------------------


@bp.route("/api-tokens", methods=["GET", "POST"])
@requires("manage_api_tokens")
def tokens():
    """Make a token (shown on this page once, never again) and see or revoke the others."""
    form = ApiTokenForm()
    error = secret = made = None
    if form.validate_on_submit():
        for_user = form.holder.data == "user"
        try:
            made, secret = api_tokens.create_token(
                current_user, user_email=form.user_email.data if for_user else None,
                system_name=None if for_user else form.system_name.data,
                system_role=None if for_user else form.system_role.data,
                days=int(form.days.data), how="admin page")
        except api_tokens.TokenRefused as refused:
            error = str(refused)
    return render_template("admin/api_tokens.html", form=form, error=error, secret=secret,
                           made=made, tokens=api_tokens.tokens(), status=api_tokens.status)


@bp.route("/api-tokens/<int:token_id>/revoke", methods=["POST"])
@requires("manage_api_tokens")
def revoke_token(token_id: int):
    try:
        token = api_tokens.revoke_token(token_id, current_user, how="admin page")
    except api_tokens.TokenRefused:
        abort(404)
    flash(f"Token {token.id} for {token.holder} revoked: its next call is refused.")
    return redirect(url_for("admin.tokens"))
