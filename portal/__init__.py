"""The Workplace Champions portal: create_app and the register_* helpers."""

from __future__ import annotations

from flask import Flask
from jinja2 import ChoiceLoader, PackageLoader, PrefixLoader
from werkzeug.middleware.proxy_fix import ProxyFix

from config import Config, get_config


def create_app(config: Config | type[Config] | None = None) -> Flask:
    app = Flask(__name__)
    app.config.from_object(config() if isinstance(config, type) else config or get_config())
    register_converters(app)
    register_extensions(app)
    register_templates(app)
    register_blueprints(app)
    register_hooks(app)
    register_cli(app)
    if app.config["PROXY_FIX_HOPS"]:
        hops = app.config["PROXY_FIX_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    return app


def register_converters(app: Flask) -> None:
    """Before any route is added: `<int:...>` only matches ids the database can hold (PARAM-01)."""
    from portal.security import DatabaseIdConverter

    app.url_map.converters["int"] = DatabaseIdConverter


def register_extensions(app: Flask) -> None:
    from portal.compression import register_compression
    from portal.db import init_db
    from portal.extensions import csrf, limiter, login_manager
    from portal.services.accounts import Passwords

    init_db(app)
    csrf.init_app(app)
    limiter.init_app(app)
    if app.config["RATELIMIT_SINGLE_PROCESS"]:
        # Said at every start-up, so nobody scales out without noticing (config.py, AUTH-05).
        app.logger.warning("RATELIMIT_SINGLE_PROCESS is set: rate limits are counted by this "
                           "process alone (%s). Run exactly one process, or use Redis.",
                           app.config["RATELIMIT_STORAGE_URI"].split(":", 1)[0])
    login_manager.init_app(app)
    register_compression(app)
    app.extensions["portal.passwords"] = Passwords(app.config)


def register_templates(app: Flask) -> None:
    from portal.security import csp_nonce
    from portal.views.components import govuk_component
    from portal.views.formatting import register_filters
    from portal.views.helpers import template_globals

    app.jinja_loader = ChoiceLoader([
        app.jinja_loader,
        PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja"),
                      "govuk_frontend_wtf": PackageLoader("govuk_frontend_wtf")}),
    ])
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.jinja_env.globals["govuk_component"] = govuk_component
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    app.context_processor(template_globals)
    register_filters(app)


def register_blueprints(app: Flask) -> None:
    from portal.views import (
        auth,
        champions,
        coordinator,
        credentials,
        errors,
        health,
        invitations,
        joining,
        live_sessions,
        main,
        members,
        monitoring,
        organisations,
        people,
        policy,
        pulse,
        self_assessment,
        signposting,
        support,
        training,
        two_factor,
        workbench,
    )

    for module in (main, auth, two_factor, health, training, live_sessions, credentials, support,
                   coordinator, monitoring, members, joining, organisations, champions,
                   invitations, people, policy, signposting, workbench, pulse, self_assessment):
        app.register_blueprint(module.bp)
    errors.register_error_handlers(app)


def register_hooks(app: Flask) -> None:
    from portal.logs import configure_logging
    from portal.security import register_security
    from portal.views.auth import register_user_loader

    configure_logging(app)
    register_security(app)
    register_user_loader(app)


def register_cli(app: Flask) -> None:
    from portal.cli import register_commands

    register_commands(app)
