"""Friendly error pages for every status we send; never a traceback."""

from __future__ import annotations

import logging

from flask import Flask, g, render_template, request
from flask.globals import request_ctx
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError

log = logging.getLogger(__name__)

PAGES = {400: "errors/400.html", 403: "errors/403.html", 404: "errors/404.html",
         405: "errors/405.html", 413: "errors/413.html", 429: "errors/429.html",
         500: "errors/500.html", 503: "errors/503.html"}


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(OperationalError, _database_unavailable)
    app.register_error_handler(Exception, _unexpected_error)


def _csrf_error(error: CSRFError) -> ResponseReturnValue:
    log.warning("security.csrf_failure", extra={"path": request.path, "reason": error.description})
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
    return render_template(page, error=error), code


def _database_unavailable(error: Exception) -> ResponseReturnValue:
    log.error("database.unavailable", extra={"error": type(error).__name__})
    return render_template("errors/503.html"), 503


def _unexpected_error(error: Exception) -> ResponseReturnValue:
    log.exception("request.failed", extra={"path": request.path})
    return render_template("errors/500.html", request_id=g.get("request_id")), \
        InternalServerError.code
