"""Where each role lands: workers and team leads on their task list, others on their own page."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user

from .. import clock
from ..audit import shown
from ..permissions import requires
from ..referrals import service as referrals
from ..selection.service import waiting_count, waiting_for_allocation
from . import service

bp = Blueprint("home", __name__)

# The page each role starts from; workers and team leads have the task list.
HOMES = {"manager": "programme.dashboard", "auditor": "claims.index", "admin": "admin.users",
         "partner": "partners.home"}


def home_url(user) -> str:
    return url_for(HOMES.get(user.role, "home.index"))


@bp.route("/")
@requires("view_families")
def index():
    if current_user.role in HOMES:
        return redirect(home_url(current_user))
    today = clock.today()
    found = service.tasks(current_user, today)
    lead = current_user.role == "team_lead"  # the longest waiting five, and how many wait
    waiting = waiting_for_allocation(current_user, limit=5) if lead else []
    return shown("view_list", "tasks", None, page=render_template(
        "home/tasks.html", tasks=found, waiting=waiting, today=today,
        waiting_total=waiting_count(current_user) if lead else 0,
        referrals_overdue=referrals.overdue(current_user, today)))
