"""Application factory."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, render_template, request
from flask_babel import lazy_gettext
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException, SecurityError
from werkzeug.middleware.proxy_fix import ProxyFix

from eventsapp import (
    access_log,
    locales,
    models,  # noqa: F401  (registers the models with SQLAlchemy)
    monitoring,
    odd_input,
    request_limits,
    security_headers,
    transactions,
    uktime,
)
from eventsapp import config as app_config
from eventsapp.api import bp as api_bp
from eventsapp.api import views as api_views
from eventsapp.cli import register_cli
from eventsapp.cookie_sessions import CookieSessionInterface
from eventsapp.embed import bp as embed_bp
from eventsapp.extensions import csrf, db, limiter, login_manager, mail
from eventsapp.organiser import bp as organiser_bp
from eventsapp.public import bp as public_bp
from eventsapp.services.accounts import load_session_user
from eventsapp.texts.inbound import bp as texts_bp

log = logging.getLogger(__name__)

_ERROR_TITLES = {  # lazy: in the language of the page asked for (eventsapp/locales.py)
    400: lazy_gettext("There is a problem with your request"),
    404: lazy_gettext("Page not found"),
    405: lazy_gettext("Page not found"),
    409: lazy_gettext("This cannot be done now"),
    413: lazy_gettext("What you sent is too large"),
    503: lazy_gettext("The service is briefly unavailable"),
    429: lazy_gettext("Too many attempts"),
    500: lazy_gettext("Sorry, there is a problem with the service"),
}


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    app = Flask(
        __name__,
        template_folder=str(app_config.PROJECT_ROOT / "templates"),
        static_folder=str(app_config.PROJECT_ROOT / "static"),
    )
    app.config.update(app_config.load())
    if overrides:
        app.config.update(overrides)
    app.config.setdefault("RATELIMIT_ENABLED", app.config["APP_ENV"] != "testing")
    app.session_interface = CookieSessionInterface()
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )

    access_log.quiet_development_server()
    db.init_app(app)
    mail.init_app(app)
    request_limits.init_app(app)  # before CSRFProtect: it reads the form
    odd_input.init_app(app)  # before CSRFProtect and the blueprints' routes
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "organiser.login"
    login_manager.login_message = "Sign in to continue."
    login_manager.session_protection = "strong"
    login_manager.user_loader(load_session_user)
    with app.app_context():
        transactions.init_app(app, db.engine)

    _register_template_helpers(app)
    locales.init_app(app)  # Welsh under /cy, Flask-Babel, language-aware date filters
    security_headers.init_app(app)
    _register_error_handlers(app)

    app.register_blueprint(public_bp)
    app.register_blueprint(embed_bp)
    app.register_blueprint(organiser_bp)
    app.register_blueprint(monitoring.bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(texts_bp)
    _trust_proxies(app)
    register_cli(app)
    return app


def _trust_proxies(app: Flask) -> None:
    """Behind PROXY_HOPS reverse proxies, take the client's address, scheme and host from
    their X-Forwarded-* headers (rate limits key on the address; HSTS and secure cookies
    need the scheme). Never set it higher than the real number of proxies: a client could
    then choose its own address."""
    hops = app.config["PROXY_HOPS"]
    if hops:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops
        )


def _register_template_helpers(app: Flask) -> None:
    app.jinja_env.filters.update(
        uk_datetime=uktime.format_datetime,
        uk_date=uktime.format_date,
        uk_time=uktime.format_time,
        uk_when=lambda webinar: uktime.format_when(webinar.starts_at, webinar.ends_at),
        duration=uktime.format_duration,
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True


def _error_page(
    code: int, message: object | None = None, exc: HTTPException | None = None
) -> tuple[str, int] | Response:
    if api_views.is_api_request():  # the JSON API answers in RFC 9457 problem documents
        return api_views.problem(code, exc)
    title = str(_ERROR_TITLES.get(code, lazy_gettext("Error")))
    if request.url_rule is None and code == 400 and _host_refused():
        # An untrusted Host header: no URLs can be built for it, so a page without links.
        return f"<!doctype html><title>{title}</title><h1>{title}</h1>", code
    return render_template("errors/error.html", code=code, title=title, message=message), code


def _host_refused() -> bool:
    try:
        request.host  # noqa: B018 (raises SecurityError for a host not in TRUSTED_HOSTS)
    except SecurityError:
        return True
    return False


def _register_error_handlers(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(_exc: CSRFError) -> tuple[str, int] | Response:
        db.session.rollback()
        return _error_page(
            400,
            lazy_gettext(
                "We could not accept the form because your session had changed or the page "
                "came from somewhere else. Go back, reload the page and send the form again; "
                "nothing was saved."
            ),
        )

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> tuple[str, int] | Response:
        db.session.rollback()
        return _error_page(exc.code or 500, exc=exc)

    @app.errorhandler(OperationalError)
    def _database_unavailable(exc: OperationalError) -> tuple[str, int] | Response:
        # The database went away (a restart, a failover): not a bug in this request.
        db.session.rollback()
        log.warning("database unavailable on %s %s", request.method, request.endpoint)
        return _error_page(
            503,
            lazy_gettext(
                "The service is briefly unavailable. Nothing was saved: please try again in a "
                "minute."
            ),
        )

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> tuple[str, int] | Response:
        db.session.rollback()
        log.exception("unhandled error on %s %s", request.method, request.endpoint)
        return _error_page(500)
