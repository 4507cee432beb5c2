"""One SQLAlchemy session per request, closed (and so rolled back unless committed) at teardown."""

from __future__ import annotations

from collections.abc import Callable
from typing import ParamSpec, TypeVar

import sqlalchemy as sa
from flask import Flask, current_app, g, has_request_context, request
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction, sessionmaker

from portal.services import lessons, training_status  # noqa: F401 - its session hooks
from portal.settings import Settings, session_info

P = ParamSpec("P")
R = TypeVar("R")


def init_db(app: Flask) -> None:
    """Create the engine and session factory; close the request session at teardown."""
    engine = create_engine(app.config["DATABASE_URL"], app.config["ENGINE_OPTIONS"])
    app.extensions["portal.engine"] = engine
    settings = Settings.from_config(app.config, app.url_map)
    app.extensions["portal.settings"] = settings
    info = {**session_info(settings), lessons.INFO_KEY: lessons.new_cache()}
    app.extensions["portal.sessionmaker"] = factory = sessionmaker(
        engine, expire_on_commit=False, info=info)
    sa.event.listen(factory, "do_orm_execute", _retry_on_a_dead_connection)
    sa.event.listen(factory, "after_transaction_end", _transaction_ended)
    sa.event.listen(factory, "before_flush", _no_writes)
    app.extensions["portal.reader"] = engine.execution_options(isolation_level="AUTOCOMMIT")
    app.teardown_appcontext(_close_session)


# Set on a session once its transaction has run a statement: only the first statement of a
# transaction may be run again, since nothing before it can have been lost with the connection.
_STATEMENT_RUN = "portal.statement_run"


def _retry_on_a_dead_connection(state: ORMExecuteState) -> sa.Result | None:
    """Run the first statement of a transaction again, once, if the pooled connection it was
    given had died (the database restarted, or a proxy dropped it while it sat in the pool).

    The failure has already made the pool discard its connections from before the failure
    (SQLAlchemy invalidates the pool on a disconnect), so the retry gets a new one. This
    replaces pre-ping, which paid a round trip on every checkout to find the same thing out."""
    session = state.session
    if session.info.get(_STATEMENT_RUN) or session.in_nested_transaction():
        return None
    session.info[_STATEMENT_RUN] = True
    try:
        return state.invoke_statement()
    except sa.exc.DBAPIError as error:
        if not error.connection_invalidated:
            raise
        session.rollback()  # ends the transaction on the dead connection
        session.info[_STATEMENT_RUN] = True
        return state.invoke_statement()


def _transaction_ended(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the outermost transaction, not a savepoint
        session.info.pop(_STATEMENT_RUN, None)


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
        factory = current_app.extensions["portal.sessionmaker"]
        if _request_reads_only():
            g.db_session = factory(bind=current_app.extensions["portal.reader"],
                                   info={_READS_ONLY: True})
        else:
            g.db_session = factory()
    return g.db_session


_READS_ONLY = "portal.reads_only"
_SAFE_METHODS = frozenset({"GET", "HEAD"})


def reads_only(view: Callable[P, R]) -> Callable[P, R]:
    """Mark a view whose GET requests only read (Your training and the learner's other pages).

    Their statements run outside a transaction, each on its own (autocommit): no BEGIN and no
    ROLLBACK round trip, two of the five a page of two queries used to cost. PostgreSQL's READ
    COMMITTED gives each statement its own snapshot either way, so the page sees the same.
    The request's session refuses to write (_no_writes); a refusal's audit event is written
    in a session of its own (permissions.record_refusal) and is unaffected."""
    setattr(view, _READS_ONLY, True)
    return view


def _request_reads_only() -> bool:
    if not has_request_context() or request.method not in _SAFE_METHODS:
        return False
    view = current_app.view_functions.get(request.endpoint or "")
    return getattr(view, _READS_ONLY, False)


def _no_writes(session: Session, _context: object, _instances: object) -> None:
    if session.info.get(_READS_ONLY):
        raise RuntimeError("a page marked reads_only tried to write through its session")


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
