"""One SQLAlchemy session per request, closed (and so rolled back unless committed) at teardown."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask, current_app, g
from sqlalchemy.orm import Session, sessionmaker

from portal.services import lessons, training_status  # noqa: F401 - its session hooks
from portal.settings import Settings, session_info


def init_db(app: Flask) -> None:
    """Create the engine and session factory; close the request session at teardown."""
    engine = create_engine(app.config["DATABASE_URL"], app.config["ENGINE_OPTIONS"])
    app.extensions["portal.engine"] = engine
    settings = Settings.from_config(app.config, app.url_map)
    app.extensions["portal.settings"] = settings
    info = {**session_info(settings), lessons.INFO_KEY: lessons.new_cache()}
    app.extensions["portal.sessionmaker"] = sessionmaker(engine, expire_on_commit=False,
                                                         info=info)
    app.teardown_appcontext(_close_session)


def create_engine(url: str, options: dict) -> sa.Engine:
    """An engine with the settings each database needs to fail fast instead of hanging."""
    options = dict(options)
    if url.startswith("sqlite"):
        options.setdefault("connect_args", {"check_same_thread": False, "timeout": 5})
        if url in ("sqlite://", "sqlite:///:memory:"):
            options["poolclass"] = sa.pool.StaticPool
        engine = sa.create_engine(url, **options)
        sa.event.listen(engine, "connect", _configure_sqlite)
        return engine
    # Fail fast when PostgreSQL is unreachable or a lock is held, rather than hang (REL-08/09).
    timeouts = "-c lock_timeout=5000 -c statement_timeout=30000"
    options.setdefault("connect_args", {"connect_timeout": 3, "options": timeouts})
    return sa.create_engine(url, **options)


def _configure_sqlite(dbapi_connection, _record) -> None:  # noqa: ANN001 - DB-API objects
    # WAL lets readers carry on while one writer writes; busy_timeout waits instead of failing.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def is_unavailable(error: BaseException) -> bool:
    """Whether a database error means "unreachable or restarting, try again later" (REL-08),
    as opposed to a bug such as a constraint violation."""
    if isinstance(error, sa.exc.TimeoutError):  # no pooled connection came free in time
        return True
    return isinstance(error, sa.exc.OperationalError | sa.exc.InterfaceError) or (
        isinstance(error, sa.exc.DBAPIError) and error.connection_invalidated)


def get_session() -> Session:
    if "db_session" not in g:
        g.db_session = current_app.extensions["portal.sessionmaker"]()
    return g.db_session


def new_session() -> Session:
    """A session of its own (the CLI's and the worker's), carrying the app's settings."""
    return Session(get_engine(), info=session_info(get_settings()))


def get_settings() -> Settings:
    return current_app.extensions["portal.settings"]


def get_engine() -> sa.Engine:
    return current_app.extensions["portal.engine"]


def _close_session(exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()  # anything not committed by the view is rolled back
