"""One seeded world for the route sweeps of the security matrix (SECURITY.md B.0).

Organisations A and B with their people (from tests/test_joining_access.py), plus training (a
certificate, a submitted and an in-progress attempt for champion A), a support service and valid
tokens for every link-style route. `paths(app, world)` turns each URL rule into a real path using
organisation A's objects, so a sweep reaches every route the app has; a new route with an
argument the sweeps do not know fails loudly instead of being skipped.
"""

from __future__ import annotations

import io
import logging
import random
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.routing import Rule

from portal import clock
from portal.logs import JsonFormatter
from portal.models import (
    Base,
    Certificate,
    LiveSession,
    Module,
    Organisation,
    OrgRole,
    OutboxMessage,
    OutboxStatus,
    PlanAction,
    PolicyDocument,
    QuizAttempt,
    SessionMode,
    User,
    utcnow,
)
from portal.services import action_plan, self_assessment, training
from portal.services.accounts import ask_to_change_email, make_reset_token
from portal.services.joining import make_confirmation_token
from portal.services.pulse import open_pulse
from portal.services.uploads import FileStore
from tests.conftest import csrf_token, empty_postgres, sign_in
from tests.factories import make_support_service, make_user, sync_courses
from tests.test_joining_access import TOKEN, World, build_world

TRAINING = Path(__file__).resolve().parent / "fixtures" / "training"
# Every person a sweep acts as; "anonymous" is a client that has not signed in.
SWEEP_ROLES = ("anonymous", "champion_a", "hr_a", "coordinator")
# Pages that end the session (or leave the site) are swept separately, last.
NOT_SWEPT = {"main.exit_page", "static"}


@dataclass
class SecurityWorld:
    base: World
    people: dict[str, User]
    ids: dict[str, object] = field(default_factory=dict)
    secret_words: list[str] = field(default_factory=list)  # names and e-mails of the people


def answers_for(attempt: QuizAttempt, *, right: bool = True) -> dict[str, list[str]]:
    """{question id: [answer keys]} answering every drawn question, all right or all wrong."""
    questions = {q["id"]: q for q in attempt.module_version.questions}
    chosen = {}
    for item in attempt.drawn:
        keys = [a["key"] for a in questions[item["question"]]["answers"] if a["correct"] == right]
        chosen[item["question"]] = keys if right else keys[:1]
    return chosen


def pass_module(session: Session, user: User, module: Module) -> QuizAttempt:
    attempt = training.start_attempt(session, user, module, rng=random.Random(1))
    assert training.submit_attempt(session, attempt, answers_for(attempt))
    session.flush()
    return attempt


def build_security_world(app: Flask, session: Session) -> SecurityWorld:
    base = build_world(session)
    people = dict(base.people)
    sync_courses(session, TRAINING)
    modules = {m.key: m for m in session.scalars(select(Module))}
    champion = session.merge(people["champion_a"])
    submitted = pass_module(session, champion, modules["first-module"])
    pass_module(session, champion, modules["second-module"])
    in_progress = training.start_attempt(session, champion, modules["first-module"],
                                         rng=random.Random(2))
    certificate = session.scalar(select(Certificate).where(Certificate.user_id == champion.id))
    service = make_support_service(session, name="Sweep Helpline")
    failed_email = OutboxMessage(kind="invitation", to_address="failed@example.org",
                                 subject="Sweep", body_text="Sweep text",
                                 status=OutboxStatus.FAILED, last_error="550 no such mailbox")
    session.add(failed_email)
    starts = utcnow() + timedelta(days=7)
    live_session = LiveSession(course_id=modules["first-module"].course_id,
                               mode=SessionMode.IN_PERSON, venue="Sweep Hall", capacity=2,
                               starts_at=starts, ends_at=starts + timedelta(hours=2))
    session.add(live_session)
    unconfirmed = make_user(session, email_verified_at=None)
    forgetful = make_user(session)  # the reset link's owner: resetting signs nobody else out
    # The person a coordinator looks up, exports and may erase: nobody the sweeps sign in as.
    person = make_user(session, organisation=session.get(Organisation, base.ids["org"]),
                       role=OrgRole.CHAMPION)
    store = FileStore(app.config["UPLOAD_DIR"])
    for document in session.scalars(select(PolicyDocument)):  # the evidence files' bytes
        document.storage_key = store.write(b"%PDF-1.7\n%%EOF\n")
    session.commit()
    secret = app.config["SECRET_KEY"]
    email_change = ask_to_change_email(make_user(session), "changed.address@example.org", secret)
    org_a, hr_a = session.get_one(Organisation, base.ids["org"]), session.merge(people["hr_a"])
    pulse = open_pulse(session, org_a, None, closes_on=clock.today() + timedelta(days=7),
                       actor=hr_a, today=clock.today())
    assessment = self_assessment.start(session, org_a, actor=hr_a, now=utcnow())
    assessment.answers = {q.key: "no" for q in self_assessment.question_set().questions}
    self_assessment.submit(session, org_a, assessment, actor=hr_a, now=utcnow())
    action_plan.add_recommendations(session, org_a, assessment, ["written_policy"],
                                    due_on=clock.today(), actor=hr_a, now=utcnow())
    self_assessment.start(session, org_a, actor=hr_a, now=utcnow())  # a draft, for its pages
    session.commit()
    ids: dict[str, object] = {
        **base.ids,
        "module": modules["first-module"].id,
        "course": modules["first-module"].course_id,
        "attempt": submitted.public_id,
        "attempt_in_progress": in_progress.public_id,
        "certificate": certificate.id,
        "service": service.id,
        "message": failed_email.id,
        "person": person.id,
        "certificate_code": certificate.code,
        "live_session": live_session.id,
        "invitation_token": TOKEN,
        "reset_token": make_reset_token(secret, forgetful),
        "confirmation_token": make_confirmation_token(secret, unconfirmed),
        "email_change_token": email_change,
        "pulse": pulse.id,
        "assessment": assessment.id,
        "action": session.scalar(select(PlanAction.id)),
        "pulse_token": pulse.token,
    }
    secret_words = [w for u in session.scalars(select(User)) for w in (u.email, u.full_name)]
    return SecurityWorld(base=base, people=people, ids=ids, secret_words=secret_words)


# URL arguments: by (endpoint, argument) first, then by argument name alone.
ARGUMENTS_BY_ENDPOINT = {
    ("invitations.accept", "token"): "invitation_token",
    ("auth.reset_password", "token"): "reset_token",
    ("joining.confirm_email", "token"): "confirmation_token",
    ("auth.confirm_new_email", "token"): "email_change_token",
    ("champions.withdrawn", "membership_id"): "withdrawn",
    ("training.verify_certificate", "code"): "certificate_code",  # public, by its secret code
    ("credentials.credential", "code"): "certificate_code",
    ("credentials.credential_jwt", "code"): "certificate_code",
    ("credentials.credential_status", "code"): "certificate_code",
    ("credentials.revoke", "code"): "certificate_code",  # coordinators only
    ("pulse.answer", "token"): "pulse_token",  # public, by the link's secret part
    ("pulse.thanks", "token"): "pulse_token",
}
ARGUMENTS = {
    "org_id": "org", "site_id": "site", "invitation_id": "invitation",
    "membership_id": "champion", "module_id": "module", "course_id": "course",
    "attempt_id": "attempt", "certificate_id": "certificate", "service_id": "service",
    "document_id": "document", "user_id": "person", "assignment_id": "assignment",
    "message_id": "message",
    "live_session_id": "live_session",
    "pulse_id": "pulse", "assessment_id": "assessment", "action_id": "action",
}
# /join/sites/<int:number>/remove: the first site of a draft; a policy element's page.
LITERAL_ARGUMENTS = {"number": 1, "slug": "written-policy", "key": "policy"}


def argument_value(world: SecurityWorld, rule: Rule, name: str) -> object:
    key = ARGUMENTS_BY_ENDPOINT.get((rule.endpoint, name)) or ARGUMENTS.get(name)
    if key is not None:
        return world.ids[key]
    if name in LITERAL_ARGUMENTS:
        return LITERAL_ARGUMENTS[name]
    raise AssertionError(
        f"{rule.rule} ({rule.endpoint}) takes <{name}>, which the security sweeps cannot fill: "
        "add it to ARGUMENTS or ARGUMENTS_BY_ENDPOINT in tests/security_world.py")


def path_for(world: SecurityWorld, rule: Rule) -> str:
    values = {name: argument_value(world, rule, name) for name in rule.arguments}
    return rule.build(values, append_unknown=False)[1]


def swept_rules(app: Flask, method: str) -> list[Rule]:
    return sorted((rule for rule in app.url_map.iter_rules()
                   if method in rule.methods and rule.endpoint not in NOT_SWEPT),
                  key=lambda rule: rule.rule)


def get_paths(app: Flask, world: SecurityWorld) -> list[str]:
    """Every GET page, filled with organisation A's objects, plus the in-progress quiz page."""
    paths = [path_for(world, rule) for rule in swept_rules(app, "GET")]
    paths.append(f"/training/attempts/{world.ids['attempt_in_progress']}")
    paths.append(f"/verify?code={world.ids['certificate_code']}")
    return paths


# Anonymous answers to a staff awareness pulse carry no CSRF token, by decision (views/pulse.py:
# an answer is in nobody's name); tests/views/test_pulse.py covers that form instead.
CSRF_EXEMPT = {"pulse.answer"}


def post_rules(app: Flask, *, csrf_exempt: bool = True) -> list[Rule]:
    """Every POST route; without the CSRF-exempt ones when `csrf_exempt` is False."""
    return [rule for rule in swept_rules(app, "POST")
            if csrf_exempt or rule.endpoint not in CSRF_EXEMPT]


def owner_of(app: Flask, rule: Rule) -> str:
    """The person in the world who may use this route (so a sweep reaches the view itself)."""
    access = getattr(app.view_functions[rule.endpoint], "access_rule", None)
    if access == "public":
        return "anonymous"
    if access == "coordinator":
        return "coordinator"
    if isinstance(access, tuple):
        return "hr_a"
    return "champion_a"


def clients_for(app: Flask, world: SecurityWorld, roles: tuple[str, ...] = SWEEP_ROLES
                ) -> dict[str, FlaskClient]:
    """A client per role, signed in through the real form (as the `signed_in` fixture does)."""
    clients = {}
    for role in roles:
        client = app.test_client()
        if role != "anonymous":
            response = sign_in(client, world.people[role].email)
            assert response.status_code == 303, (role, response.status_code)
        clients[role] = client
    return clients


def form_token(client: FlaskClient, *, anonymous: bool) -> str:
    return csrf_token(client, "/sign-in" if anonymous else "/dashboard")


def snapshot(engine: sa.Engine, *, skip: tuple[str, ...] = ()) -> dict[str, list]:
    """Every row of every table (except `skip`), for "the database did not change" checks."""
    with engine.connect() as connection:
        return {table.name: [tuple(row) for row in connection.execute(
            table.select().order_by(*table.primary_key.columns))]
            for table in Base.metadata.sorted_tables if table.name not in skip}


def walk(clients: dict[str, FlaskClient], paths: list[str]) -> Iterator[tuple[str, str, object]]:
    """(role, path, response) for every page as every person."""
    for role, client in clients.items():
        for path in paths:
            yield role, path, client.get(path)


def module_database(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
                    sqlite_template: Path) -> str:
    """A fresh migrated database for a module-scoped sweep (request.param: the backend)."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("sweep") / "portal.db"
        shutil.copyfile(sqlite_template, path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("pg_database_url")
    empty_postgres(url)
    return url


@contextmanager
def json_logs() -> Iterator[io.StringIO]:
    """Everything logged meanwhile, in the production format (one JSON object per line)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
