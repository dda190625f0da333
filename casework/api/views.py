"""/api/v1/: JSON for the council's analysts and partner systems.

A call carries `Authorization: Bearer TOKEN`; the session cookie is never read here nor set
(casework.security keeps sessions off these addresses), so a page's cross-site request
cannot act through the API, and CSRF tokens, which protect cookie-authenticated forms, are
not asked of these routes. Each token acts with its user's role and scope (casework.access),
or a partner system's role; every call is counted against the token's limit and audited."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, g, jsonify, request

from .. import clock
from ..audit import record_event
from ..permissions import PERMISSIONS
from ..transaction import transaction
from . import service, tokens
from .openapi import api_document

bp = Blueprint("api", __name__, url_prefix="/api/v1")
OPEN = ("api.openapi",)  # the one address that needs no token


def error(code: int, name: str, message: str, **extra):
    response = jsonify({"error": name, "message": message, **extra})
    response.status_code = code
    if code == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="casework"'
    return response


def needs(permission: str):
    """Mark a route with the permission its token's role must have (checked before it runs);
    the session-based `requires` does not apply to token-authenticated routes."""
    if permission not in PERMISSIONS:
        raise KeyError(permission)

    def decorate(view):
        view.permission = None  # no session permission: the API checks the token's
        view.api_permission = permission
        return view

    return decorate


@bp.before_request
def _authenticate():
    if request.endpoint in OPEN:
        return None
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    found = tokens.caller(secret.strip()) if scheme.lower() == "bearer" else None
    if found is None:
        if not tokens.address_within_limit(request.remote_addr):
            return error(429, "too_many_calls", "Too many calls without a valid token")
        with transaction():
            record_event("api_refused", "api", f"{request.method} {request.path}"[:120],
                         user=tokens.NOBODY, detail="no valid token")
        return error(401, "unauthorized", "Give a valid token: Authorization: Bearer TOKEN "
                                          "(a token may have expired or been revoked)")
    token, who = found
    g.api_token, g.api_caller = token, who
    if not tokens.within_limit(token):
        response = error(429, "too_many_calls",
                         f"At most {tokens.CALLS_PER_MINUTE} calls a minute a token")
        response.headers["Retry-After"] = "60"
        return response
    permission = getattr(_view(), "api_permission", None)
    if permission is not None and who.role not in PERMISSIONS[permission]:
        return error(403, "forbidden", f"This token's role may not {permission.replace('_', ' ')}")
    return None


def _view():
    from flask import current_app

    return current_app.view_functions.get(request.endpoint)


@bp.after_request
def _audited(response):
    token = g.get("api_token")
    if token is not None:
        tokens.used(token, g.api_caller, request.method, request.full_path.rstrip("?"),
                    response.status_code)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.errorhandler(400)
@bp.errorhandler(403)
@bp.errorhandler(404)
@bp.errorhandler(405)
@bp.errorhandler(413)
def _json_error(e):
    names = {400: "bad_request", 403: "forbidden", 404: "not_found",
             405: "method_not_allowed", 413: "too_large"}
    messages = {404: "No such record, or not one this token may see"}
    return error(e.code, names[e.code], messages.get(e.code, e.description))


def _int_arg(name: str) -> int | None:
    value = request.args.get(name)
    if value is None:
        return None
    if not (value.isascii() and value.isdigit() and len(value) < 7):
        abort(400, f"{name} must be a whole number")
    return int(value)


@bp.route("/openapi.json")
def openapi():
    return jsonify(api_document())


openapi.permission = None  # type: ignore[attr-defined]  # open to anyone: no data


@bp.route("/families")
@needs("view_families")
def families():
    page = service.families(g.api_caller, _int_arg("page"), _int_arg("per_page"))
    return jsonify({"items": page.items, "page": page.page, "per_page": page.per_page,
                    "pages": page.pages, "total": page.total})


@bp.route("/families/<family_ref>")
@needs("view_families")
def family(family_ref: str):
    return jsonify(service.family(g.api_caller, family_ref))


@bp.route("/families/<family_ref>/members")
@needs("view_families")
def members(family_ref: str):
    return jsonify(service.members(g.api_caller, family_ref))


@bp.route("/families/<family_ref>/evaluation")
@needs("view_families")
def evaluation(family_ref: str):
    as_of = _date_arg("as_of")
    if as_of is None:
        return error(400, "bad_request", "as_of must be a date in the form YYYY-MM-DD")
    return jsonify(service.evaluation(g.api_caller, family_ref, as_of))


@bp.route("/families/<family_ref>/episodes")
@needs("view_families")
def episodes(family_ref: str):
    as_of = _date_arg("as_of")
    if as_of is None:
        return error(400, "bad_request", "as_of must be a date in the form YYYY-MM-DD")
    return jsonify(service.episodes(g.api_caller, family_ref, as_of))


def _date_arg(name: str) -> dt.date | None:
    """A YYYY-MM-DD argument (today when absent), or None when it is malformed."""
    text = request.args.get(name)
    try:
        return dt.date.fromisoformat(text) if text else clock.today()
    except ValueError:
        return None


@bp.route("/families/<family_ref>/claims")
@needs("view_claims")
def claims(family_ref: str):
    return jsonify(service.claims(g.api_caller, family_ref))


@bp.route("/figures")
@needs("view_programme")
def figures():
    return jsonify(service.programme_figures(g.api_caller))


@bp.route("/evidence/<kind>", methods=["POST"])
@needs("import_data")
def evidence(kind: str):
    body = request.get_json(silent=True)
    try:
        summary = service.post_evidence(g.api_caller, kind, body)
    except service.EvidenceRefused as refused:
        return error(400, "invalid_rows", "Nothing was imported", errors=refused.errors)
    return jsonify(summary)
