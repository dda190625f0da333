"""Health check and the GOV.UK Frontend assets."""

from __future__ import annotations

from flask import Blueprint, current_app, send_from_directory
from sqlalchemy import text

from .config import PROJECT_ROOT
from .extensions import csrf, db
from .permissions import public

bp = Blueprint("system", __name__)
ASSETS_DIR = PROJECT_ROOT / "static" / "govuk" / "assets"


@bp.route("/healthz")
@csrf.exempt
@public
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # any database failure means "not healthy"
        current_app.logger.exception("health check failed")
        return "database unavailable", 503, {"Content-Type": "text/plain"}
    return "ok", 200, {"Content-Type": "text/plain"}


@bp.route("/assets/<path:filename>")
@public
def assets(filename: str):
    # The compiled GOV.UK Frontend CSS refers to /assets/images and /assets/fonts.
    return send_from_directory(ASSETS_DIR, filename, max_age=3600)
