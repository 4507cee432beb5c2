"""Friendly error pages for every status we send; never a traceback."""

from __future__ import annotations

import logging
import traceback

from flask import Flask, current_app, g, render_template, request
from flask.globals import request_ctx
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from werkzeug.exceptions import HTTPException, InternalServerError

from portal.db import is_unavailable

log = logging.getLogger(__name__)

PAGES = {400: "errors/400.html", 403: "errors/403.html", 404: "errors/404.html",
         405: "errors/405.html", 413: "errors/413.html", 429: "errors/429.html",
         500: "errors/500.html", 503: "errors/503.html"}


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(DBAPIError, _database_error)
    app.register_error_handler(PoolTimeoutError, _database_unavailable)
    app.register_error_handler(Exception, _unexpected_error)


def _csrf_error(error: CSRFError) -> ResponseReturnValue:
    log.warning("security.csrf_failure", extra={"path": request.path, "reason": error.description})
    _load_person_if_possible()
    return render_template("errors/csrf.html"), 400


def _http_error(error: HTTPException) -> ResponseReturnValue:
    code = error.code or 500
    if request_ctx.url_adapter is None:
        # The Host header is not one of ours (TRUSTED_HOSTS): no page can be built for it.
        return "Bad request", 400, {"Content-Type": "text/plain; charset=utf-8"}
    if code == 429:
        log.warning("security.rate_limited", extra={"path": request.path})
    page = PAGES.get(code)
    if page is None:
        return error
    _load_person_if_possible()
    return render_template(page, error=error), code


def _database_error(error: DBAPIError) -> ResponseReturnValue:
    """Unreachable, restarting or overloaded database: 503; any other database error is a bug."""
    if is_unavailable(error):
        return _database_unavailable(error)
    return _unexpected_error(error)


def _database_unavailable(error: Exception) -> ResponseReturnValue:
    """The friendly 503 page (REL-08), rendered without touching the database again."""
    log.error("database.unavailable", extra={"error": type(error).__name__})
    _treat_as_signed_out()
    return render_template("errors/503.html"), 503


def _treat_as_signed_out() -> None:
    """Render an error page as for a signed-out visitor.

    Flask-Login loads the signed-in person for every template (`current_user`). When that load is
    what failed (the database is down) it would fail again inside the error handler and turn a
    503 into a 500, so the page is shown with the signed-out navigation. The session cookie is
    untouched: the person is still signed in once the database is back.
    """
    g._login_user = current_app.login_manager.anonymous_user()


def _load_person_if_possible() -> None:
    """Load the signed-in person for an error page's navigation, or show it as signed out when
    the database cannot say who they are (it is down, or this request's transaction failed)."""
    if "_login_user" in g:
        return
    try:
        current_user.is_authenticated  # noqa: B018 - the attribute access loads the person
    except SQLAlchemyError:
        _treat_as_signed_out()


def _unexpected_error(error: Exception) -> ResponseReturnValue:
    if isinstance(error, DBAPIError):
        # The database's own message can quote the row (PostgreSQL: "Key (email)=(...) already
        # exists"), so log where and what kind of failure, never the message (LOG-03).
        log.error("request.failed", extra={
            "path": request.path, "error": type(error.orig).__name__,
            "sqlstate": getattr(error.orig, "sqlstate", None), "statement": error.statement,
            "traceback": "".join(traceback.format_tb(error.__traceback__))})
    else:
        log.exception("request.failed", extra={"path": request.path})
    _load_person_if_possible()
    return render_template("errors/500.html", request_id=g.get("request_id")), \
        InternalServerError.code
