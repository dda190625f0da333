"""Sign-in and sign-out."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from ..extensions import csrf
from ..flashes import flash
from ..permissions import public, requires
from ..security import safe_target
from . import service
from .forms import LoginForm

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
# The form checks its own CSRF token inside the view, after the per-address limit has
# counted the attempt; the app-wide check would refuse a flood before it was counted.
@csrf.exempt
@public
def login():
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    if request.method == "POST" and not service.address_allowed(request.remote_addr):
        abort(429)
    form = LoginForm()
    error = None
    status = 200
    if form.validate_on_submit():
        user = service.find_user(form.email.data)
        outcome = service.sign_in(user, form.email.data, form.password.data)
        if outcome is service.SignIn.OK:
            session.clear()
            login_user(user)
            session[service.SESSION_VERSION] = user.session_version
            session["started_at"] = dt.datetime.now(dt.UTC).timestamp()
            return redirect(safe_target(request.args.get("next"), url_for("home.index")))
        if outcome is service.SignIn.LOCKED:
            return render_template("auth/locked.html", minutes=service.LOCKOUT_MINUTES), 429
        error = "Enter a correct email address and password"
        status = 200
    elif request.method == "POST":
        status = 400 if form.csrf_token.errors else 200
    return render_template("auth/login.html", form=form, error=error), status


@bp.route("/logout", methods=["POST"])
@requires("view_families")
def logout():
    service.sign_out(current_user)
    logout_user()
    session.clear()
    flash("You have signed out.")
    return redirect(url_for("auth.login"))
