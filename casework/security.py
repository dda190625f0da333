"""Response headers, server-side session lifetimes, safe return addresses, and logs that
carry no personal data."""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Mapping
from urllib.parse import urlsplit

from flask import Flask, g, redirect, request, session, url_for
from flask.sessions import SecureCookieSessionInterface
from flask_login import current_user, logout_user
from werkzeug.routing import IntegerConverter

from .config import SESSION_ABSOLUTE_HOURS, SESSION_IDLE_MINUTES

HSTS_SECONDS = 365 * 24 * 3600
API_PREFIX = "/api/"  # token-authenticated: no session is read or written under it


class NoSessionForTheApi(SecureCookieSessionInterface):
    """The signed-cookie session, except under API_PREFIX, where a request's cookie is never
    read (a browser sends it to a cross-site request; the API answers only to its bearer
    token) and no cookie is ever set."""

    def open_session(self, app, request):
        if request.path.startswith(API_PREFIX):
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app, session, response):
        if request.path.startswith(API_PREFIX):
            return None
        return super().save_session(app, session, response)


# The largest id the database holds (PostgreSQL's integer; SQLite's is larger): an address
# with a larger number names nothing, and is 404 before any query is made.
LARGEST_ID = 2**31 - 1


class DatabaseIdConverter(IntegerConverter):
    """Every `<int:...>` in an address: a whole number from 0 to LARGEST_ID, or no match (404)."""

    def __init__(self, map, fixed_digits=0, min=None, max=None, signed=False):
        super().__init__(map, fixed_digits, min, LARGEST_ID if max is None else max, signed)


# Query arguments that url_for reads itself: a link never takes them from a request.
URL_FOR_OWN = ("_anchor", "_method", "_scheme", "_external")


def link_args(args: Mapping, endpoint: str) -> dict:
    """The request's query arguments to carry onto a link to `endpoint` (filters kept when
    moving between pages): never url_for's own (`_anchor`...), nor a part of the address
    itself (`meeting_id`, `family_ref`), nor the page number."""
    from flask import current_app

    own = {a for rule in current_app.url_map.iter_rules(endpoint) for a in rule.arguments}
    many = args.to_dict(flat=False) if hasattr(args, "to_dict") else dict(args)
    return {k: v for k, v in many.items()
            if not k.startswith("_") and k not in own and k != "page"}


def safe_target(target: str | None, default: str) -> str:
    """A return address taken from a request (`next=`, `back=`), if it is a path on this
    site; `default` otherwise. Every redirect to a requested address goes through here."""
    if (target and target.startswith("/") and not target.startswith("//")
            and "\\" not in target and target.isprintable() and not urlsplit(target).netloc):
        return target
    return default


# Query strings carry search terms (names, postcodes, references): never log them.
QUERY_STRING = re.compile(r"\?[^\s\"']*")
REQUEST_LOGGERS = ("werkzeug", "gunicorn.access")  # the development server's, gunicorn's


def _without_query(value):
    return QUERY_STRING.sub("?…", value) if isinstance(value, str) else value


class NoQueryStrings(logging.Filter):
    """Remove query strings from the request lines the web servers log."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = _without_query(record.msg)
        if isinstance(record.args, Mapping):  # gunicorn's access log atoms
            record.args = {k: "" if k == "q" else _without_query(v)
                           for k, v in record.args.items()}
        elif isinstance(record.args, tuple):
            record.args = tuple(map(_without_query, record.args))
        return True


def _filter_request_logs() -> None:
    for name in REQUEST_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, NoQueryStrings) for f in logger.filters):
            logger.addFilter(NoQueryStrings())


def _now() -> float:
    return dt.datetime.now(dt.UTC).timestamp()


def init_security(app: Flask) -> None:
    app.session_interface = NoSessionForTheApi()
    app.permanent_session_lifetime = dt.timedelta(hours=SESSION_ABSOLUTE_HOURS)
    _filter_request_logs()

    @app.before_request
    def _expire_session():
        if request.endpoint in ("static", "system.assets", "system.healthz"):
            return None
        if not current_user.is_authenticated:
            return None
        now = _now()
        started = session.get("started_at", 0)
        last_seen = session.get("last_seen", now)
        idle = now - last_seen > SESSION_IDLE_MINUTES * 60
        too_old = now - started > SESSION_ABSOLUTE_HOURS * 3600
        if idle or too_old:
            logout_user()
            session.clear()
            return redirect(url_for("auth.login", expired=1))
        session["last_seen"] = now
        session.permanent = True
        return None

    @app.after_request
    def _headers(response):
        nonce = g.get("csp_nonce", "")
        response.headers["Content-Security-Policy"] = (
            "default-src 'self'; "
            f"script-src 'self' 'nonce-{nonce}'; "
            "style-src 'self'; img-src 'self' data:; font-src 'self'; "
            "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
        )
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
        if request.endpoint not in ("static", "system.assets"):
            # Pages may carry personal data: never keep them in a shared or browser cache.
            response.headers["Cache-Control"] = "no-store"
        if app.config.get("SESSION_COOKIE_SECURE"):
            response.headers["Strict-Transport-Security"] = f"max-age={HSTS_SECONDS}; includeSubDomains"
        return response
