"""casework: case management for a council's Troubled Families programme."""

from __future__ import annotations

import secrets
from pathlib import Path

from flask import Flask, g, jsonify, render_template, request
from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader, PrefixLoader

from .config import (
    DEVELOPMENT_KEY,
    PROJECT_ROOT,
    ConfigurationError,
    config_for,
    secret_key_problem,
)
from .security import API_PREFIX


def create_app(env: str | None = None, **overrides) -> Flask:
    """Build the app with the configuration chosen by CASEWORK_ENV (or `env`)."""
    app = Flask(
        __name__,
        instance_path=str(PROJECT_ROOT / "instance"),
        instance_relative_config=True,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
        static_url_path="/static",
    )
    from .security import DatabaseIdConverter

    app.url_map.converters["int"] = DatabaseIdConverter  # a huge id is 404, never a 500
    config = config_for(env)
    app.config.from_object(config)
    app.config.from_pyfile("casework.cfg", silent=True)
    app.config.update(overrides)
    if config.__name__ == "ProductionConfig" and not app.config.get("SECRET_KEY"):
        raise ConfigurationError(
            "CASEWORK_SECRET_KEY must be set to run casework in production: a long random "
            "string, kept secret and the same on every app server")
    if config.__name__ == "ProductionConfig" and (
            problem := secret_key_problem(app.config["SECRET_KEY"])):
        raise ConfigurationError(problem)
    _loopback_only_with_the_development_key(app)
    _trust_proxies(app)
    # Batch workers build their own app with it (casework/workers.py), importing nothing above.
    app.extensions["casework.app_factory"] = create_app
    Path(app.instance_path).mkdir(exist_ok=True)

    app.jinja_loader = ChoiceLoader(
        [
            FileSystemLoader(str(PROJECT_ROOT / "templates")),
            PrefixLoader(
                {
                    "govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja"),
                    "govuk_frontend_wtf": PackageLoader("govuk_frontend_wtf"),
                }
            ),
        ]
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    _init_extensions(app)
    from .templating import init_templating

    init_templating(app)
    _register_blueprints(app)
    _register_security(app)
    _register_errors(app)

    from .cli import register

    register(app)
    return app


LOOPBACK_ONLY = ("casework runs with development settings (CASEWORK_ENV is not set) and the "
                 "development secret key, which is published: anyone could forge a session. "
                 "It answers only this machine (127.0.0.1 and ::1). To serve others set "
                 "CASEWORK_ENV=production and CASEWORK_SECRET_KEY (docs/security.md).")


def _serving() -> bool:
    """Whether this process is a web server starting (`casework run`, gunicorn), not another
    command, whose output stays its own."""
    import os
    import sys

    return ("gunicorn" in os.path.basename(sys.argv[0] if sys.argv else "")
            or sys.argv[1:2] == ["run"])


def _loopback_only_with_the_development_key(app: Flask) -> None:
    """With the published development key, say so at start-up and refuse every request that
    does not come from this machine, whatever address the server listens on."""
    if app.config.get("SECRET_KEY") != DEVELOPMENT_KEY:
        return
    import ipaddress

    from flask import Response, request

    if _serving():
        app.logger.warning(LOOPBACK_ONLY)

    @app.before_request
    def _loopback_only():
        try:
            loopback = ipaddress.ip_address(request.remote_addr or "").is_loopback
        except ValueError:
            loopback = False
        if not loopback:
            return Response(LOOPBACK_ONLY + "\n", 403, mimetype="text/plain")
        return None


def _trust_proxies(app: Flask) -> None:
    """Behind PROXIES proxies, take the client's address and scheme from the headers those
    proxies add (the last PROXIES values, which a client cannot forge), so that audit rows
    and sign-in limits name the client, not the proxy."""
    proxies = str(app.config.get("PROXIES") or "0").strip()
    if not proxies.isdigit():
        raise ConfigurationError(
            f"CASEWORK_PROXIES={proxies!r} must be the number of proxies in front of casework")
    if int(proxies):
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=int(proxies), x_proto=int(proxies))


def _init_extensions(app: Flask) -> None:
    # Order matters: the database first, then what stores in it, then what guards requests.
    from govuk_frontend_wtf.main import WTFormsHelpers

    from .extensions import REPLICA, csrf, db, login_manager, migrate

    if app.config.get("DATABASE_REPLICA_URL"):  # reports, returns and exports read there
        app.config["SQLALCHEMY_BINDS"] = {**app.config.get("SQLALCHEMY_BINDS", {}),
                                          REPLICA: app.config["DATABASE_REPLICA_URL"]}
    db.init_app(app)
    from .extensions import init_engine_events

    init_engine_events(app)
    from .cache_version import init_watch

    init_watch()
    migrate.init_app(app, db, render_as_batch=True, directory=str(PROJECT_ROOT / "migrations"))
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Sign in to see this page."
    login_manager.session_protection = "strong"
    csrf.init_app(app)
    WTFormsHelpers(app)
    from .jobs.broker import init_queue

    init_queue(app)

    from flask import session

    from . import models
    from .auth.service import SESSION_VERSION, session_is_current

    @login_manager.user_loader
    def load_user(user_id: str):
        """The session's user, on every request, if it may still sign in and the session
        has not been revoked since it began."""
        user = db.session.get(models.User, int(user_id))
        if user is None or not user.active:
            return None
        return user if session_is_current(user, session.get(SESSION_VERSION)) else None


def _register_blueprints(app: Flask) -> None:
    from .admin.views import bp as admin_bp
    from .api.views import bp as api_bp
    from .auth.views import bp as auth_bp
    from .casefile.views import bp as casefile_bp
    from .caseloads.views import bp as caseloads_bp
    from .claims.views import bp as claims_bp
    from .evaluation.views import bp as evaluation_bp
    from .families.views import bp as families_bp
    from .home.views import bp as home_bp
    from .imports.views import bp as imports_bp
    from .jobs.views import bp as jobs_bp
    from .matching.views import bp as matching_bp
    from .outcomes.views import bp as outcomes_bp
    from .partners.views import bp as partners_bp
    from .partnership.views import bp as partnership_bp
    from .programme.views import bp as programme_bp
    from .referrals.views import bp as referrals_bp
    from .selection.views import bp as selection_bp
    from .system import bp as system_bp

    for bp in (admin_bp, auth_bp, caseloads_bp, casefile_bp, claims_bp, families_bp, evaluation_bp, imports_bp,
               programme_bp, selection_bp, home_bp,
               system_bp, jobs_bp, matching_bp, outcomes_bp, partners_bp, partnership_bp,
               referrals_bp, api_bp):
        app.register_blueprint(bp)
    from .extensions import csrf

    # Token-authenticated only: the API never reads the session cookie (casework/security.py),
    # so a cross-site request has nothing to ride on.
    csrf.exempt(api_bp)


def _register_security(app: Flask) -> None:
    from .security import init_security

    init_security(app)

    @app.before_request
    def _nonce():
        g.csp_nonce = secrets.token_urlsafe(16)

    @app.context_processor
    def _template_globals():
        from flask_login import current_user

        from .permissions import can

        return {
            "cspNonce": g.get("csp_nonce"),
            "service_name": app.config["SERVICE_NAME"],
            "council_name": app.config["COUNCIL_NAME"],
            "can": lambda permission: can(current_user, permission),
        }


def _register_errors(app: Flask) -> None:
    messages = {
        400: ("Bad request", "The form could not be sent. Go back, reload the page and try again."),
        403: ("You do not have permission to see this page", "Your role does not include this page."),
        404: ("Page not found", "If you typed the web address, check it is correct."),
        413: ("The file is too large", "Files must be smaller than 10 MB."),
        429: ("Too many attempts", "Wait a few minutes and try again."),
        500: ("Sorry, there is a problem with the service", "Try again later."),
    }

    def handler(error):
        code = getattr(error, "code", 500) or 500
        title, body = messages.get(code, messages[500])
        if code == 500:
            from .extensions import db

            db.session.rollback()
        if request.path.startswith(API_PREFIX):  # JSON for the API's clients, never a page
            return jsonify({"error": title.lower().replace(" ", "_"), "message": body}), code
        return render_template("error.html", title=title, body=body, code=code), code

    for code in messages:
        app.register_error_handler(code, handler)
