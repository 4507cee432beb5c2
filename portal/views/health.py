"""Health checks for the load balancer: is the process up, and can it reach its database?"""

from __future__ import annotations

from alembic.runtime.migration import MigrationContext
from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy.exc import SQLAlchemyError

from portal.db import get_engine
from portal.migrations import head_revision
from portal.permissions import public

bp = Blueprint("health", __name__)


@bp.route("/healthz")
@public
def live() -> ResponseReturnValue:
    return jsonify(status="ok")


@bp.route("/readyz")
@public
def ready() -> ResponseReturnValue:
    """Ready when the database answers and its schema is the one this code expects (REL-11)."""
    try:
        with get_engine().connect() as connection:
            current = MigrationContext.configure(connection).get_current_revision()
    except SQLAlchemyError:
        return jsonify(status="unavailable"), 503
    if current != head_revision():
        return jsonify(status="unavailable"), 503
    return jsonify(status="ok")
