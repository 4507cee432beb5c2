"""The request session (portal/db.py): pages marked reads_only read outside a transaction and
cannot write; every other request, and every POST, gets an ordinary transaction."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask

from portal.db import get_session, reads_only
from portal.models import AuditEvent
from portal.views import training
from tests.conftest import make_app


def _probe_app(database_url: str) -> Flask:
    app = make_app(database_url)

    @app.route("/probe/read", methods=["GET", "POST"])
    @reads_only
    def read() -> str:
        session = get_session()
        session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))
        return str(session.connection().get_execution_options().get("isolation_level"))

    @app.get("/probe/write")
    @reads_only
    def write() -> str:
        get_session().add(AuditEvent(action="probe", outcome="ok"))
        get_session().commit()
        return "written"

    @app.get("/probe/ordinary")
    def ordinary() -> str:
        return str(get_session().connection().get_execution_options().get("isolation_level"))

    return app


def test_reads_only_pages_read_without_a_transaction_and_cannot_write(database_url) -> None:
    app = _probe_app(database_url)
    client = app.test_client()
    assert client.get("/probe/read").get_data(as_text=True) == "AUTOCOMMIT"
    assert client.get("/probe/ordinary").get_data(as_text=True) == "None"
    app.config["WTF_CSRF_ENABLED"] = False
    assert client.post("/probe/read").get_data(as_text=True) == "None"  # a POST: a transaction
    assert client.get("/probe/write").status_code == 500  # the flush raised (logged)
    with app.extensions["portal.sessionmaker"]() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)
                              .where(AuditEvent.action == "probe")) == 0
    app.extensions["portal.engine"].dispose()


def test_the_learner_pages_that_only_read_are_marked() -> None:
    for view in (training.index, training.course, training.module, training.quiz,
                 training.result, training.certificate):
        assert getattr(view, "portal.reads_only", False), view.__name__
    assert not getattr(training.start_quiz, "portal.reads_only", False)
