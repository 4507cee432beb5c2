"""Who may use each page of joining the scheme, and nobody reaches another organisation's data.

The role × endpoint matrix is the executable specification of access (AUTHZ-01, AUTHZ-04); the
sweep tries every route that takes an organisation, site, invitation or membership id with
organisation A's ids as organisation B's people, and checks the database is untouched (AUTHZ-02).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from portal.models import (
    Assignment,
    AssignmentSource,
    AuditEvent,
    AwarenessPulse,
    Base,
    Course,
    Invitation,
    LiveSession,
    Membership,
    OrgRole,
    OwnerRole,
    PlanAction,
    PolicyDocument,
    SelfAssessment,
    SessionMode,
    utcnow,
)
from portal.services.invitations import hash_token
from tests.conftest import csrf_token
from tests.factories import make_application, make_member_organisation, make_site, make_user

ROLES = ("anonymous", "champion_a", "hr_a", "hr_b", "coordinator")
TOKEN = "a-known-invitation-token-for-the-access-tests-000000"
BLUEPRINTS = ("coordinator", "joining", "organisations", "champions", "invitations")

COORDINATOR_PAGE = (302, 404, 404, 404, 200)
COORDINATOR_ACTION = (302, 404, 404, 404, 303)
HR_PAGE = (302, 403, 200, 404, 200)
HR_ACTION = (302, 403, 303, 404, 303)
PUBLIC_PAGE = (200, 200, 200, 200, 200)
NEEDS_ACCOUNT_FIRST = (303, 200, 200, 200, 200)  # anonymous people start with their account

# endpoint: (method, path, expected status for anonymous, champion A, HR lead A, HR lead B,
# coordinator). {org} is organisation A; {app} an application waiting for a decision.
MATRIX: dict[str, tuple[str, str, tuple[int, ...]]] = {
    "coordinator.applications": ("GET", "/coordinator/applications", COORDINATOR_PAGE),
    "coordinator.organisations": ("GET", "/coordinator/organisations", COORDINATOR_PAGE),
    "coordinator.organisation": ("GET", "/coordinator/organisations/{app}", COORDINATOR_PAGE),
    "coordinator.approve": ("POST", "/coordinator/organisations/{app}/approve",
                            COORDINATOR_ACTION),
    "coordinator.decline": ("GET", "/coordinator/organisations/{app}/decline", COORDINATOR_PAGE),
    "coordinator.suspend": ("GET", "/coordinator/organisations/{org}/suspend", COORDINATOR_PAGE),
    "coordinator.withdraw": ("GET", "/coordinator/organisations/{org}/withdraw",
                             COORDINATOR_PAGE),
    "coordinator.reinstate": ("POST", "/coordinator/organisations/{org}/reinstate",
                              COORDINATOR_ACTION),
    "coordinator.audit": ("GET", "/coordinator/organisations/{org}/audit", COORDINATOR_PAGE),
    "coordinator.audit_log": ("GET", "/coordinator/audit", COORDINATOR_PAGE),
    "coordinator.sign_out_everywhere": (
        "GET", "/coordinator/organisations/{org}/people/{hr}/sign-out-everywhere",
        COORDINATOR_PAGE),
    "joining.start": ("GET", "/join", PUBLIC_PAGE),
    "joining.account": ("GET", "/join/account", (200, 303, 303, 303, 303)),
    "joining.organisation": ("GET", "/join/organisation", NEEDS_ACCOUNT_FIRST),
    "joining.sites": ("GET", "/join/sites", (303, 303, 303, 303, 303)),
    "joining.add_site": ("GET", "/join/sites/add", NEEDS_ACCOUNT_FIRST),
    "joining.remove_site": ("POST", "/join/sites/1/remove", (303, 303, 303, 303, 303)),
    "joining.commitment": ("GET", "/join/commitment", NEEDS_ACCOUNT_FIRST),
    "joining.check_answers": ("GET", "/join/check-answers", (303, 303, 303, 303, 303)),
    "joining.sent": ("GET", "/join/sent", PUBLIC_PAGE),
    "joining.confirm_email": ("GET", "/confirm-email/not-a-token", (400, 400, 400, 400, 400)),
    "joining.resend_confirmation": ("POST", "/account/confirm-email", (302, 303, 303, 303, 303)),
    "organisations.overview": ("GET", "/organisations/{org}", HR_PAGE),
    "organisations.edit": ("GET", "/organisations/{org}/edit", HR_PAGE),
    "organisations.add_site": ("GET", "/organisations/{org}/sites/add", HR_PAGE),
    "organisations.edit_site": ("GET", "/organisations/{org}/sites/{site}/edit", HR_PAGE),
    "organisations.remove_site": ("GET", "/organisations/{org}/sites/{site}/remove", HR_PAGE),
    "organisations.renew": ("GET", "/organisations/{org}/renew", HR_PAGE),
    "organisations.invite_hr_lead": ("GET", "/organisations/{org}/hr-leads/invite", HR_PAGE),
    "champions.index": ("GET", "/organisations/{org}/champions", HR_PAGE),
    "champions.invite": ("GET", "/organisations/{org}/champions/invite", HR_PAGE),
    "champions.upload": ("GET", "/organisations/{org}/champions/upload", HR_PAGE),
    "champions.upload_template": ("GET", "/organisations/{org}/champions/upload/template.csv",
                                  HR_PAGE),
    "champions.withdraw": ("GET", "/organisations/{org}/champions/{champion}/withdraw",
                           HR_PAGE),
    "champions.withdrawn": ("GET", "/organisations/{org}/champions/{withdrawn}/withdrawn",
                            HR_PAGE),
    "champions.resend": ("POST", "/organisations/{org}/invitations/{invitation}/resend",
                         HR_ACTION),
    "champions.revoke": ("POST", "/organisations/{org}/invitations/{invitation}/revoke",
                         HR_ACTION),
    "champions.resend_many": ("POST", "/organisations/{org}/champions/invitations/resend",
                              HR_ACTION),
    "champions.status_download": (
        "GET", "/organisations/{org}/champions/training-status.csv", HR_PAGE),
    "invitations.accept": ("GET", "/accept-invitation/" + TOKEN, (200, 403, 403, 403, 403)),
    "organisations.assignments": ("GET", "/organisations/{org}/assignments", HR_PAGE),
    "organisations.assign": ("GET", "/organisations/{org}/assignments/new", HR_PAGE),
    "organisations.cancel_assignment": (
        "GET", "/organisations/{org}/assignments/{assignment}/cancel", HR_PAGE),
}


@dataclass
class World:
    ids: dict[str, int]
    b_ids: dict[str, int]
    people: dict[str, object]


def build_world(session) -> World:  # noqa: ANN001
    """Organisations A and B, each with an HR lead, a champion, a site, an invitation and an
    assignment."""
    a, b = make_member_organisation(session), make_member_organisation(session)
    course = Course(key="access-course", title="Access course", audience="champion")
    session.add(course)
    people = {"coordinator": make_user(session, is_coordinator=True)}
    ids: dict[str, dict[str, int]] = {}
    for label, org in (("a", a), ("b", b)):
        people[f"hr_{label}"] = make_user(session, organisation=org, role=OrgRole.HR_LEAD)
        people[f"champion_{label}"] = make_user(session, organisation=org, role=OrgRole.CHAMPION)
        leaver = make_user(session, organisation=org, role=OrgRole.CHAMPION)
        make_site(session, org, name="Second site")
        invitation = Invitation(organisation=org, role=OrgRole.CHAMPION,
                                email=f"invitee-{label}@example.org", full_name="Invitee",
                                token_hash=hash_token(TOKEN if label == "a" else TOKEN + "b"),
                                expires_at=utcnow() + timedelta(days=7))
        session.add(invitation)
        assignment = Assignment(organisation=org, user=people[f"champion_{label}"], course=course,
                                source=AssignmentSource.HR_LEAD,
                                due_on=utcnow().date() + timedelta(days=9))
        session.add(assignment)
        session.flush()
        document = PolicyDocument(organisation_id=org.id, element_key="written_policy",
                                  storage_key=f"{org.id:064x}", filename="policy.pdf",
                                  content_type="application/pdf", size_bytes=10, sha256="0" * 64)
        session.add(document)
        session.flush()
        membership = {m.user_id: m for m in session.scalars(select(Membership).where(
            Membership.organisation_id == org.id))}
        membership[leaver.id].withdrawn_at = utcnow()
        pulse = AwarenessPulse(organisation_id=org.id, token=f"access-pulse-{label}",
                               opens_on=utcnow().date(),
                               closes_on=utcnow().date() + timedelta(days=14))
        assessment = SelfAssessment(organisation_id=org.id, question_set_version=1, answers={})
        action = PlanAction(organisation_id=org.id, title="Tell staff about the policy",
                            owner_role=OwnerRole.HR_LEAD,
                            due_on=utcnow().date() + timedelta(days=30))
        session.add_all([pulse, assessment, action])
        session.flush()
        ids[label] = {"org": org.id, "site": org.sites[0].id, "invitation": invitation.id,
                      "pulse": pulse.id, "assessment": assessment.id, "action": action.id,
                      "champion": membership[people[f"champion_{label}"].id].id,
                      "withdrawn": membership[leaver.id].id, "document": document.id,
                      "assignment": assignment.id,
                      "hr": people[f"hr_{label}"].id}
    # Live sessions belong to no organisation: both see the same one, through their own.
    starts = utcnow() + timedelta(days=7)
    live = LiveSession(course=course, mode=SessionMode.IN_PERSON, venue="Access Hall",
                       capacity=2, starts_at=starts, ends_at=starts + timedelta(hours=2))
    session.add(live)
    session.flush()
    for label in ids:
        ids[label]["live_session"] = live.id
    application, _ = make_application(session)
    ids["a"]["app"] = application.id
    session.commit()
    return World(ids["a"], ids["b"], people)


@pytest.fixture
def world(session) -> World:
    return build_world(session)


@pytest.fixture
def clients(app: Flask, world: World, signed_in) -> dict[str, FlaskClient]:
    clients = {"anonymous": app.test_client()}
    for role in (*ROLES[1:], "champion_b"):
        clients[role] = signed_in(world.people[role])
    return clients


def request_as(client: FlaskClient, method: str, path: str, *, anonymous: bool):  # noqa: ANN201
    if method == "GET":
        return client.get(path)
    token = csrf_token(client, "/sign-in" if anonymous else "/dashboard")
    return client.post(path, data={"csrf_token": token})


def test_the_matrix_covers_every_endpoint_of_joining(app: Flask) -> None:
    endpoints = {endpoint for endpoint in app.view_functions
                 if endpoint.split(".")[0] in BLUEPRINTS}
    assert endpoints == set(MATRIX), "Add new endpoints to MATRIX with who may use them"


@pytest.mark.parametrize("endpoint", sorted(MATRIX))
def test_role_by_endpoint_matrix(endpoint: str, world: World, clients) -> None:
    method, template, expected = MATRIX[endpoint]
    path = template.format(**world.ids)
    actual = tuple(request_as(clients[role], method, path, anonymous=role == "anonymous")
                   .status_code for role in ROLES)
    assert actual == expected, f"{method} {path}: {dict(zip(ROLES, actual, strict=True))}"


def test_anonymous_people_are_sent_to_sign_in(world: World, clients) -> None:
    response = clients["anonymous"].get(f"/organisations/{world.ids['org']}")
    assert response.headers["Location"].startswith("/sign-in?next=")


# The sweep.

ID_ARGUMENTS = {"org_id": "org", "site_id": "site", "invitation_id": "invitation",
                "membership_id": "champion", "document_id": "document",
                "assignment_id": "assignment", "user_id": "hr",
                "live_session_id": "live_session", "pulse_id": "pulse",
                "assessment_id": "assessment", "action_id": "action"}
# Not ids: the same for every organisation (a policy element, a self-assessment section).
OTHER_ARGUMENTS = {"slug": "written-policy", "key": "policy"}
# Ids of what belongs to no organisation: swept only where an organisation's id comes with them.
SHARED_IDS = {"live_session_id"}


def id_rules(app: Flask) -> list:
    return [rule for rule in app.url_map.iter_rules()
            if set(rule.arguments) & (set(ID_ARGUMENTS) - SHARED_IDS)]


def build(rule, ids: dict[str, int]) -> str:  # noqa: ANN001
    return rule.build({name: ids[ID_ARGUMENTS[name]] if name in ID_ARGUMENTS
                       else OTHER_ARGUMENTS[name] for name in rule.arguments},
                      append_unknown=False)[1]


def snapshot(engine: sa.Engine) -> dict[str, list]:
    """Every table's rows, except the audit trail, where refusals are recorded (AUTHZ-10)."""
    with engine.connect() as connection:
        return {table.name: [tuple(row) for row in connection.execute(
            table.select().order_by(*table.primary_key.columns))]
            for table in Base.metadata.sorted_tables if table.name != "audit_event"}


def attempts(app: Flask, ids: dict[str, int]) -> list[tuple[str, str]]:
    return [(method, build(rule, ids)) for rule in id_rules(app)
            for method in ("GET", "POST") if method in rule.methods]


def test_the_sweep_reaches_every_kind_of_id(app: Flask) -> None:
    arguments = {name for rule in id_rules(app) for name in rule.arguments}
    assert set(ID_ARGUMENTS) <= arguments
    with_ids = {endpoint for endpoint, (_, path, _) in MATRIX.items() if "{" in path}
    assert with_ids <= {rule.endpoint for rule in id_rules(app)}


@pytest.mark.parametrize("attacker", ["hr_b", "champion_b"])
def test_people_of_b_get_404_for_every_id_of_a(app: Flask, world: World, clients,
                                                attacker: str) -> None:
    """AUTHZ-02: GET and POST with a valid CSRF token; the database does not change.

    AUTHZ-10: each refused endpoint leaves an `access.denied` audit event naming the attacker.
    """
    client = clients[attacker]
    engine = app.extensions["portal.engine"]
    before = snapshot(engine)
    for method, path in attempts(app, world.ids):
        status = request_as(client, method, path, anonymous=False).status_code
        assert status == 404, f"{attacker} {method} {path}: {status}"
    assert snapshot(engine) == before
    with engine.connect() as connection:
        audited = {row.details["endpoint"] for row in connection.execute(
            sa.select(AuditEvent).where(AuditEvent.action == "access.denied",
                                        AuditEvent.actor_id == world.people[attacker].id))}
    assert audited == {rule.endpoint for rule in id_rules(app)}


@pytest.mark.parametrize(("attacker", "expected"), [("hr_b", 404), ("champion_b", 403)])
def test_own_organisation_with_a_child_id_of_a_finds_nothing(app: Flask, world: World, clients,
                                                             attacker: str,
                                                             expected: int) -> None:
    """B's own organisation id with A's site, invitation and membership ids.

    HR lead B gets 404 (queried through B, A's ids are not there); champion B gets 403 as for
    any HR-lead page of their own organisation, so nothing about A's ids is revealed either.
    """
    client = clients[attacker]
    engine = app.extensions["portal.engine"]
    before = snapshot(engine)
    mixed = {**world.ids, "org": world.b_ids["org"]}
    for rule in id_rules(app):
        # A live session is no organisation's: with B's own id it is B's to book (tested in
        # tests/views/test_live_sessions.py), so only ids that belong to A are mixed in here.
        if set(rule.arguments) & set(ID_ARGUMENTS) - SHARED_IDS == {"org_id"} \
                or rule.rule.startswith("/coordinator"):
            continue
        for method in ("GET", "POST"):
            if method in rule.methods:
                path = build(rule, mixed)
                status = request_as(client, method, path, anonymous=False).status_code
                assert status == expected, f"{attacker} {method} {path}: {status}"
    assert snapshot(engine) == before


def test_unknown_ids_look_the_same_as_other_organisations_ids(world: World, clients) -> None:
    """AUTHZ-07: no existence oracle."""
    client = clients["hr_b"]
    assert client.get("/organisations/999999").status_code == 404
    assert client.get(f"/organisations/{world.ids['org']}").status_code == 404
    own = world.b_ids["org"]
    assert client.get(f"/organisations/{own}/sites/999999/edit").status_code == 404
    assert client.get(f"/organisations/{own}/sites/{world.ids['site']}/edit").status_code == 404

