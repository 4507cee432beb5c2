"""Reliability: partial failures, races, locks, slow mail, migrations, backups, limits and
clocks (REL-01, REL-04, REL-07, REL-09, REL-10, REL-13, REL-14, REL-17, REL-18)."""

from __future__ import annotations

import ast
import re
import shutil
import socket
import sqlite3
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
import time_machine
from sqlalchemy import func, select

from portal.models import (
    AuditEvent,
    Base,
    Certificate,
    Invitation,
    Module,
    ModuleCompletion,
    OrgRole,
    OutboxMessage,
    OutboxStatus,
    QuizAttempt,
)
from tests.conftest import csrf_token, make_app, sign_in
from tests.factories import make_member_organisation, make_organisation, make_user, sync_courses
from tests.security_world import TRAINING, answers_for, pass_module
from tests.test_mail import queue, run_worker

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations" / "versions"


def counts(session, *models) -> tuple[int, ...]:  # noqa: ANN001
    session.expire_all()
    return tuple(session.scalar(select(func.count()).select_from(m)) for m in models)


# --- REL-01, REL-07 ---------------------------------------------------------------------------

def test_a_quiz_submission_failing_at_the_certificate_leaves_nothing_half_done(
        signed_in, session, monkeypatch) -> None:
    """REL-01, REL-07: the last step of submit (attempt, completion, certificate) fails; the
    attempt is still in progress, with no completion, certificate or e-mail, and a 500 page."""
    sync_courses(session, TRAINING)
    modules = {m.key: m for m in session.scalars(select(Module))}
    champion = make_user(session, organisation=make_organisation(session),
                         role=OrgRole.CHAMPION)
    pass_module(session, champion, modules["first-module"])
    session.commit()
    client = signed_in(champion)
    module = modules["second-module"]
    location = client.post(f"/training/modules/{module.id}/quiz", data={
        "csrf_token": csrf_token(client, f"/training/modules/{module.id}")}).headers["Location"]
    attempt = session.scalars(select(QuizAttempt).order_by(QuizAttempt.id.desc())).first()
    before = counts(session, ModuleCompletion, Certificate, OutboxMessage)

    def disk_full(*args: object, **kwargs: object) -> None:
        raise OSError("no space left on device")

    monkeypatch.setattr("portal.services.training.issue_certificate", disk_full)
    form = {f"question-{n}": keys for n, keys in enumerate(answers_for(attempt).values(), 1)}
    response = client.post(location, data=form | {"csrf_token": csrf_token(client, location)})
    assert response.status_code == 500
    assert "Anything you had already saved has not been lost" in response.get_data(as_text=True)
    assert counts(session, ModuleCompletion, Certificate, OutboxMessage) == before
    assert session.get(QuizAttempt, attempt.id).status == "in_progress"
    monkeypatch.undo()
    assert client.post(location, data=form | {
        "csrf_token": csrf_token(client, location)}).status_code == 303  # it can be retried


def test_a_bulk_invitation_failing_part_way_invites_nobody(signed_in, session,
                                                           monkeypatch) -> None:
    """REL-01, REL-07: the second of three invitation e-mails fails to queue: no invitation,
    no e-mail and no audit event are left from the first."""
    organisation = make_member_organisation(session)
    hr = signed_in(make_user(session, organisation=organisation, role=OrgRole.HR_LEAD))
    before = counts(session, Invitation, OutboxMessage, AuditEvent)
    real = __import__("portal.services.emails", fromlist=["send_invitation"]).send_invitation
    calls = []

    def fail_second(*args: object, **kwargs: object) -> None:
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("mail queue unavailable")
        real(*args, **kwargs)

    monkeypatch.setattr("portal.views.champions.emails.send_invitation", fail_second)
    site = organisation.sites[0].name
    csv = ("Full name,Work email,Site,Job title\r\n" + "".join(
        f"Person {n},p{n}@example.org,{site},\r\n" for n in range(3))).encode()
    body = (b'--b\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n'
            + csrf_token(hr, "/dashboard").encode() + b"\r\n--b\r\nContent-Disposition: "
            b'form-data; name="file"; filename="c.csv"\r\nContent-Type: text/csv\r\n\r\n'
            + csv + b"\r\n--b--\r\n")
    response = hr.post(f"/organisations/{organisation.id}/champions/upload", data=body,
                       content_type="multipart/form-data; boundary=b")
    assert response.status_code == 500 and len(calls) == 2
    assert counts(session, Invitation, OutboxMessage, AuditEvent) == before


# --- REL-04 -----------------------------------------------------------------------------------

@pytest.mark.pg
def test_simultaneous_invitations_of_one_person_make_one(pg_url) -> None:
    """REL-04: six HR-lead clients invite the same address at the same instant; one invitation
    and one e-mail, the others told it was already sent; no 500."""
    app = make_app(pg_url)
    with app.extensions["portal.sessionmaker"]() as session:
        organisation = make_member_organisation(session)
        hr_user = make_user(session, organisation=organisation, role=OrgRole.HR_LEAD)
        session.commit()
        path = f"/organisations/{organisation.id}/champions/invite"
        site = str(organisation.sites[0].id)
    clients = []
    for _ in range(6):
        client = app.test_client()
        assert sign_in(client, hr_user.email).status_code == 303
        clients.append((client, csrf_token(client, path)))
    barrier, codes = threading.Barrier(len(clients)), []

    def invite(client, token: str) -> None:  # noqa: ANN001
        barrier.wait()
        codes.append(client.post(path, data={"csrf_token": token, "full_name": "Sam Patel",
                                             "email": "sam@example.org",
                                             "site": site}).status_code)

    threads = [threading.Thread(target=invite, args=pair) for pair in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(codes).count(303) == 1 and set(codes) <= {200, 303}, codes
    with app.extensions["portal.sessionmaker"]() as session:
        assert counts(session, Invitation, OutboxMessage) == (1, 1)
    app.extensions["portal.engine"].dispose()


# --- REL-09 -----------------------------------------------------------------------------------

@pytest.mark.pg
def test_a_held_row_lock_gives_a_quick_503_not_a_hang(pg_url) -> None:
    """REL-09: another connection holds the organisation's row; saving its details waits at
    most the configured lock_timeout (5 s), then shows the friendly 503 page."""
    app = make_app(pg_url)
    with app.extensions["portal.sessionmaker"]() as session:
        organisation = make_member_organisation(session, name="Locked Ltd")
        hr_user = make_user(session, organisation=organisation, role=OrgRole.HR_LEAD)
        session.commit()
        org_id = organisation.id
    client = app.test_client()
    sign_in(client, hr_user.email)
    token = csrf_token(client, f"/organisations/{org_id}/edit")
    blocker = sa.create_engine(pg_url)
    with blocker.connect() as connection:
        connection.execute(sa.text("SELECT id FROM organisation WHERE id = :id FOR UPDATE"),
                           {"id": org_id})
        started = time.monotonic()
        response = client.post(f"/organisations/{org_id}/edit", data={
            "csrf_token": token, "name": "Renamed Ltd", "registered_number": "",
            "sector": "private", "listed_publicly": "yes"})
        waited = time.monotonic() - started
        connection.rollback()
    blocker.dispose()
    assert response.status_code == 503 and waited < 15, (response.status_code, waited)
    assert "Sorry, the service is unavailable" in response.get_data(as_text=True)
    with app.extensions["portal.sessionmaker"]() as session:
        assert session.scalar(sa.text("SELECT name FROM organisation WHERE id = :id"),
                              {"id": org_id}) == "Locked Ltd"
    app.extensions["portal.engine"].dispose()


@pytest.mark.pg
def test_pooled_connections_that_died_are_replaced_without_an_error_page(pg_url) -> None:
    """REL-08 without pre-ping: the database drops every pooled connection (a restart, a proxy
    timing out); the next requests, GET and POST, still succeed. Each request's first statement
    is run again on a new connection (portal/db.py), and nothing is pinged on checkout."""
    app = make_app(pg_url)
    assert not app.extensions["portal.engine"].pool._pre_ping
    with app.extensions["portal.sessionmaker"]() as session:
        organisation = make_member_organisation(session, name="Restarted Ltd")
        hr_user = make_user(session, organisation=organisation, role=OrgRole.HR_LEAD)
        session.commit()
        org_id = organisation.id
    client = app.test_client()
    sign_in(client, hr_user.email)
    token = csrf_token(client, f"/organisations/{org_id}/edit")
    disconnects = []
    sa.event.listen(app.extensions["portal.engine"], "handle_error",
                    lambda context: disconnects.append(context.is_disconnect))
    admin = sa.create_engine(pg_url)

    def drop_every_connection() -> None:
        with admin.connect() as connection:
            dropped = connection.execute(sa.text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()")).scalar()
        assert dropped >= 1

    drop_every_connection()
    assert client.get(f"/organisations/{org_id}").status_code == 200
    drop_every_connection()
    response = client.post(f"/organisations/{org_id}/edit", data={
        "csrf_token": token, "name": "Renamed Ltd", "registered_number": "",
        "sector": "private", "listed_publicly": "yes"})
    assert response.status_code == 303
    admin.dispose()
    assert disconnects == [True, True]  # each request met a dead connection, and recovered
    with app.extensions["portal.sessionmaker"]() as session:
        assert session.scalar(sa.text("SELECT name FROM organisation WHERE id = :id"),
                              {"id": org_id}) == "Renamed Ltd"
    app.extensions["portal.engine"].dispose()


def test_sqlite_waits_for_writers_instead_of_failing(tmp_path: Path, sqlite_template) -> None:
    """REL-09 on SQLite: WAL, a busy timeout and foreign keys on every connection; two threads
    writing at once both succeed."""
    path = tmp_path / "portal.db"
    shutil.copyfile(sqlite_template, path)
    app = make_app(f"sqlite:///{path}")
    engine = app.extensions["portal.engine"]
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    errors: list[BaseException] = []

    def write(number: int) -> None:
        try:
            with app.extensions["portal.sessionmaker"]() as session:
                for _ in range(20):
                    make_organisation(session)
                    session.commit()
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    engine.dispose()


# --- REL-10 -----------------------------------------------------------------------------------

def test_no_request_talks_to_the_mail_server(signed_in, client, session, monkeypatch) -> None:
    """REL-10: requests that send e-mail only queue it; not one opens an SMTP connection."""
    def no_smtp(*args: object, **kwargs: object) -> None:
        raise AssertionError("SMTP opened during a request")

    monkeypatch.setattr("smtplib.SMTP", no_smtp)
    person = make_user(session)
    organisation = make_member_organisation(session)
    hr = signed_in(make_user(session, organisation=organisation, role=OrgRole.HR_LEAD))
    assert client.post("/forgot-password", data={
        "csrf_token": csrf_token(client, "/forgot-password"),
        "email": person.email}).status_code == 303
    assert hr.post(f"/organisations/{organisation.id}/champions/invite", data={
        "csrf_token": csrf_token(hr, "/dashboard"), "full_name": "Sam Patel",
        "email": "sam@example.org", "site": str(organisation.sites[0].id)}).status_code == 303
    assert counts(session, OutboxMessage) == (2,)


def silent_server() -> tuple[socket.socket, int]:
    """A mail server that accepts connections and never says a word."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(5)
    return server, server.getsockname()[1]


def test_a_mail_server_that_hangs_delays_only_the_worker_and_loses_nothing(app_factory) -> None:
    """REL-10: the worker gives up on a silent server after MAIL_TIMEOUT_SECONDS and keeps the
    message for a later try; pages meanwhile are unaffected."""
    server, port = silent_server()
    try:
        app = app_factory(MAIL_PORT=port, MAIL_TIMEOUT_SECONDS=1)
        queue(app)
        started = time.monotonic()
        assert run_worker(app) == 0
        assert time.monotonic() - started < 10
        with app.extensions["portal.sessionmaker"]() as session:
            message = session.scalar(select(OutboxMessage))
            assert message.status == OutboxStatus.PENDING and message.attempts == 1
        assert app.test_client().get("/").status_code == 200
    finally:
        server.close()


# --- REL-13 -----------------------------------------------------------------------------------

def upgrade_calls(path: Path) -> list[ast.Call]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    upgrade = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "upgrade")
    return [n for n in ast.walk(upgrade) if isinstance(n, ast.Call)]


def keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


def test_migrations_can_run_under_the_live_application() -> None:
    """REL-13 (lint): in upgrade(), a column added to an existing table is nullable or has a
    server default, and nothing is dropped or renamed (that is a later "contract" release, once
    no running instance uses it). Every revision can be downgraded."""
    problems = []
    for path in sorted(MIGRATIONS.glob("[0-9][0-9][0-9][0-9]_*.py")):
        source = path.read_text(encoding="utf-8")
        assert "def downgrade()" in source, path.name
        for call in upgrade_calls(path):
            name = getattr(call.func, "attr", "")
            if name == "add_column":
                column = next((a for a in call.args if isinstance(a, ast.Call)), None)
                nullable = keyword(column, "nullable") if column else None
                not_null = isinstance(nullable, ast.Constant) and nullable.value is False
                if not_null and keyword(column, "server_default") is None:
                    problems.append(f"{path.name}:{call.lineno} NOT NULL without a default")
            if name in ("drop_column", "drop_table", "drop_constraint") or keyword(
                    call, "new_column_name") is not None:
                problems.append(f"{path.name}:{call.lineno} {name} in upgrade()")
    assert problems == []


# --- REL-14 -----------------------------------------------------------------------------------

def table_fingerprint(connection: sa.Connection) -> dict[str, tuple[int, int]]:
    """Row count and a checksum of every row's text, per table."""
    result = {}
    for table in Base.metadata.sorted_tables:
        rows = connection.execute(table.select().order_by(*table.primary_key.columns)).all()
        result[table.name] = (len(rows), hash(tuple(str(tuple(row)) for row in rows)))
    return result


def seed_for_backup(session) -> None:  # noqa: ANN001
    sync_courses(session, TRAINING)
    champion = make_user(session, organisation=make_member_organisation(session),
                         role=OrgRole.CHAMPION)
    for module in session.scalars(select(Module)):
        pass_module(session, champion, module)
    session.commit()


def test_an_online_sqlite_backup_taken_during_writes_restores_whole(tmp_path: Path,
                                                                   sqlite_template) -> None:
    """REL-14 (SQLite): sqlite3's online backup while another thread writes; the copy passes
    PRAGMA integrity_check and holds exactly what the database held when it finished."""
    path, copy = tmp_path / "portal.db", tmp_path / "backup.db"
    shutil.copyfile(sqlite_template, path)
    app = make_app(f"sqlite:///{path}")
    with app.extensions["portal.sessionmaker"]() as session:
        seed_for_backup(session)
    stop, errors = threading.Event(), []

    def keep_writing() -> None:
        try:
            with app.extensions["portal.sessionmaker"]() as session:
                while not stop.is_set():
                    make_organisation(session)
                    session.commit()
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    writer = threading.Thread(target=keep_writing)
    writer.start()
    time.sleep(0.2)
    source, target = sqlite3.connect(path, timeout=10), sqlite3.connect(copy)
    with target:
        source.backup(target)  # one step: a consistent snapshot while the writer carries on
    stop.set()
    writer.join()
    source.close()
    assert target.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    target.close()
    assert errors == []
    restored = sa.create_engine(f"sqlite:///{copy}")
    with restored.connect() as connection:
        backed_up = table_fingerprint(connection)
    assert backed_up["module_completion"][0] == 2 and backed_up["certificate"][0] == 1
    assert backed_up["organisation"][0] >= 1
    restored.dispose()
    app.extensions["portal.engine"].dispose()


# --- REL-17 -----------------------------------------------------------------------------------

def test_oversized_forms_are_refused_before_anything_runs(client) -> None:
    """REL-17: a multipart text field over MAX_FORM_MEMORY_SIZE (500 kB), and more than
    MAX_FORM_PARTS (1000) parts, are 413 with the friendly page, although within the 6 MB body
    limit (a url-encoded body is held to MAX_CONTENT_LENGTH: test_main.py's 413 test; Werkzeug
    reads it whole, and the forms' length limits then refuse long values)."""
    field = (b'--b\r\nContent-Disposition: form-data; name="email"\r\n\r\n' + b"x" * 600_000
             + b"\r\n--b--\r\n")
    big_field = client.post("/sign-in", data=field,
                            content_type="multipart/form-data; boundary=b")
    assert big_field.status_code == 413
    parts = b"".join(f'--b\r\nContent-Disposition: form-data; name="f{n}"\r\n\r\nx\r\n'.encode()
                     for n in range(1500)) + b"--b--\r\n"
    many = client.post("/sign-in", data=parts, content_type="multipart/form-data; boundary=b")
    assert many.status_code == 413
    assert "too large" in many.get_data(as_text=True)


# --- REL-18 -----------------------------------------------------------------------------------

@pytest.fixture
def london(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run with the process in UK time, so any naive local-time arithmetic would show."""
    monkeypatch.setenv("TZ", "Europe/London")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_reset_links_last_one_hour_across_the_clocks_going_forward(client, session,
                                                                   london) -> None:
    """REL-18: a reset link issued at 00:30 UTC on 29 March 2026 (the clocks go forward at
    01:00 UTC) works at 01:29 UTC and has expired at 01:31 UTC: an hour is an hour."""
    user = make_user(session)
    session.commit()
    issued = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)
    with time_machine.travel(issued, tick=False):
        client.post("/forgot-password", data={
            "csrf_token": csrf_token(client, "/forgot-password"), "email": user.email})
    body = session.scalar(select(OutboxMessage.body_text))
    link = re.search(r"https://portal\.test(/reset-password/\S+)", body).group(1)
    with time_machine.travel(issued + timedelta(minutes=59), tick=False):
        assert client.get(link).status_code == 200
    with time_machine.travel(issued + timedelta(minutes=61), tick=False):
        assert "This link has expired" in client.get(link).get_data(as_text=True)


def test_sessions_and_invitations_across_the_clocks_going_back(signed_in, session,
                                                               london) -> None:
    """REL-18: idle limits and a 7-day invitation spanning 25 October 2026 (clocks go back at
    01:00 UTC) count real elapsed time, not wall-clock time."""
    start = datetime(2026, 10, 25, 0, 45, tzinfo=UTC)
    with time_machine.travel(start, tick=False) as clock:
        organisation = make_member_organisation(session)
        lead = make_user(session, organisation=organisation, role=OrgRole.HR_LEAD)
        hr = signed_in(lead)
        clock.shift(timedelta(minutes=29))  # 01:14 UTC, after the change
        assert hr.get("/dashboard").status_code == 200
        clock.shift(timedelta(minutes=31))
        assert hr.get("/dashboard").status_code == 302  # 31 idle minutes, whatever the clock
    with time_machine.travel(start, tick=False):
        hr = signed_in(lead)
        hr.post(f"/organisations/{organisation.id}/champions/invite", data={
            "csrf_token": csrf_token(hr, "/dashboard"), "full_name": "Sam Patel",
            "email": "sam@example.org", "site": str(organisation.sites[0].id)})
        invitation = session.scalar(select(Invitation))
        assert invitation.expires_at - invitation.created_at == timedelta(days=7)
        assert invitation.expires_at.utcoffset() == timedelta(0)


def test_stored_times_are_utc_whatever_the_process_time_zone(session, london) -> None:
    """REL-18: timestamps written and read back are timezone-aware UTC."""
    with time_machine.travel(datetime(2026, 7, 1, 12, 0, tzinfo=UTC), tick=False):
        user = make_user(session)
        session.commit()
    session.expire_all()
    created = session.get(type(user), user.id).created_at
    assert created.tzinfo is not None and created.utcoffset() == timedelta(0)
    assert created.hour == 12
    assert time.localtime(created.timestamp()).tm_isdst == 1  # the process really is in BST
