"""Access control that the joining sweep (tests/test_joining_access.py) does not reach:
training records, existence oracles, tenant filters in data-access helpers, and a guard that
every id in a URL is swept (AUTHZ-02, AUTHZ-06, AUTHZ-07, AUTHZ-09)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from urllib.parse import quote

import pytest
from flask import Flask, g
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from portal.models import Invitation, Membership, OrgRole, utcnow
from portal.services import champions as champion_service
from portal.services import invitations as invites
from portal.services.organisations import hr_leads, site_in
from portal.views.champions import current_champions
from tests.conftest import comparable_page
from tests.factories import make_member_organisation, make_site, make_user
from tests.security_world import (
    ARGUMENTS,
    ARGUMENTS_BY_ENDPOINT,
    LITERAL_ARGUMENTS,
    argument_value,
    build_security_world,
    clients_for,
    path_for,
)
from tests.test_joining_access import ID_ARGUMENTS

# Ids whose routes check ownership in the view rather than through the organisation: each with
# the test that sweeps it. Every other id argument must be in the joining sweep's ID_ARGUMENTS.
OWNER_CHECKED_ELSEWHERE = {
    "attempt_id": "test_training_records_are_only_their_owners",
    "certificate_id": "test_training_records_are_only_their_owners",
    "module_id": "tests/views/test_training.py::test_your_training_lists_courses_for_the_"
                 "persons_role (courses are per role, not per organisation)",
    "course_id": "courses are per role, not per organisation: nothing to separate",
    "service_id": "coordinator-only routes (test_role_by_endpoint_matrix, support tests)",
    "user_id": "coordinator-only routes (people.*; tests/views/test_people.py)",
    "message_id": "coordinator-only routes (the outbox; tests/views/test_workbench.py)",
    "live_session_id": "tests/views/test_live_sessions.py (sessions are per course and trainer, "
                       "not per organisation; bookings are the person's own)",
    "pulse_id": "tests/views/test_pulse.py::test_other_organisations_cannot_see_a_pulse "
                "(the view finds the pulse within the organisation)",
    "assessment_id": "tests/views/test_self_assessment.py::test_confidential_to_the_"
                     "organisations_own_hr_leads (found within the organisation)",
    "action_id": "tests/views/test_self_assessment.py::test_confidential_to_the_"
                 "organisations_own_hr_leads (found within the organisation)",
}


@pytest.fixture
def world(app: Flask, session):  # noqa: ANN201
    return build_security_world(app, session)


def test_every_id_in_a_url_is_swept_for_other_organisations(app: Flask) -> None:
    """AUTHZ-02: a new route with a new kind of id fails here until a sweep covers it."""
    names = {name for rule in app.url_map.iter_rules() for name in rule.arguments}
    known = set(ID_ARGUMENTS) | set(OWNER_CHECKED_ELSEWHERE) | set(LITERAL_ARGUMENTS) | {
        arg for _, arg in ARGUMENTS_BY_ENDPOINT} | {"filename"}
    assert names - known == set(), "Add the new id to a sweep (see OWNER_CHECKED_ELSEWHERE)"
    assert set(ARGUMENTS) >= set(ID_ARGUMENTS)


TRAINING_RECORDS = ["/training/attempts/{attempt}", "/training/attempts/{attempt}/result",
                    "/training/attempts/{attempt_in_progress}",
                    "/training/certificates/{certificate}",
                    "/training/certificates/{certificate}/pdf"]


def test_training_records_are_only_their_owners(app: Flask, session, world) -> None:
    """AUTHZ-06, QUIZ-10: champion A's attempts (submitted and in progress), result and
    certificate are 404 for their own HR lead, a coordinator and everyone else; only champion A
    sees them. HR leads see completion status only (PRIV-06)."""
    others = ("hr_a", "coordinator", "hr_b", "champion_b")
    clients = clients_for(app, world, roles=("champion_a", *others))
    for template in TRAINING_RECORDS:
        path = template.format(**world.ids)
        assert clients["champion_a"].get(path).status_code in (200, 303), path
        for role in others:
            response = clients[role].get(path)
            assert response.status_code == 404, (role, path)
            post = clients[role].post(path, data={"question-1": "a"})
            assert post.status_code in (400, 404, 405), (role, path)


def test_no_existence_oracle_for_anybody(app: Flask, world) -> None:
    """AUTHZ-07: for every route with an id, a real id and an unknown one get the same answer:
    the same redirect to sign in for anonymous people (only the `next` differs), the same 404
    for someone from another organisation."""
    clients = clients_for(app, world, roles=("anonymous", "hr_b"))
    anonymous, outsider = clients["anonymous"], clients["hr_b"]
    checked = 0
    for rule in app.url_map.iter_rules():
        typed = [n for n in rule.arguments if n.endswith("_id")]
        if not typed or "GET" not in rule.methods:
            continue
        real = path_for(world, rule)
        values = {n: argument_value(world, rule, n) for n in rule.arguments}
        for name in typed:
            values[name] = uuid.uuid4() if name == "attempt_id" else 987654
        unknown = rule.build(values, append_unknown=False)[1]
        first, second = anonymous.get(real), anonymous.get(unknown)
        assert first.status_code == second.status_code == 302, rule.rule
        assert first.headers["Location"].split("?")[0] == \
            second.headers["Location"].split("?")[0] == "/sign-in"
        assert comparable_page(first).replace(quote(real, safe=""), "PATH") == \
            comparable_page(second).replace(quote(unknown, safe=""), "PATH")
        if rule.arguments & {"org_id", "attempt_id", "certificate_id"}:
            first, second = outsider.get(real), outsider.get(unknown)
            assert first.status_code == second.status_code == 404, (rule.rule, first.status_code)
            assert comparable_page(first) == comparable_page(second), rule.rule
        checked += 1
    assert checked >= 15


def test_other_peoples_attempts_look_like_missing_ones(app: Flask, world) -> None:
    """AUTHZ-07 for the random ids of attempts: someone else's and a made-up one are the same
    404 page."""
    client = clients_for(app, world, roles=("champion_b",))["champion_b"]
    real = client.get(f"/training/attempts/{world.ids['attempt']}")
    made_up = client.get(f"/training/attempts/{uuid.uuid4()}")
    assert real.status_code == made_up.status_code == 404
    assert comparable_page(real) == comparable_page(made_up)


# --- AUTHZ-09 ---------------------------------------------------------------------------------

def org_helpers(session: Session, organisation, others: dict) -> list[tuple[str, list]]:  # noqa: ANN001
    """What each organisation-scoped data-access helper returns for `organisation`, including
    when asked for other organisations' ids."""
    results = [
        ("current_champions", current_champions(organisation)),
        ("invitations_for champion", invites.invitations_for(session, organisation,
                                                              OrgRole.CHAMPION)),
        ("invitations_for hr_lead", invites.invitations_for(session, organisation,
                                                             OrgRole.HR_LEAD)),
        ("invitation_in", [i for i in (invites.invitation_in(session, organisation, ident)
                                       for ident in others["invitations"]) if i]),
        ("site_in", [s for s in (site_in(session, organisation, ident)
                                 for ident in others["sites"]) if s]),
        ("champion_in", [m for m in (champion_service.champion_in(session, organisation, ident)
                                     for ident in others["memberships"]) if m]),
    ]
    member_emails = invites.current_member_emails(session, organisation)
    expected_emails = {m.user.email for m in organisation.memberships if m.is_current}
    assert member_emails == expected_emails
    open_emails = invites.open_invitation_emails(session, organisation)
    assert open_emails <= {i.email for i in session.query(Invitation).filter_by(
        organisation_id=organisation.id)}
    return results


@settings(max_examples=15, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(shape=st.lists(st.tuples(st.integers(0, 3), st.integers(0, 2), st.integers(0, 3),
                                st.integers(1, 3), st.booleans()), min_size=2, max_size=4))
def test_organisation_helpers_never_return_another_organisations_rows(app: Flask, session,
                                                                      shape: list) -> None:
    """AUTHZ-09: random organisations, each with random champions (some withdrawn), HR leads,
    invitations and sites; every helper asked about one organisation, even with every other
    organisation's ids, returns rows of that organisation only."""
    organisations = []
    for champions, leads, invitations, sites, withdraw_one in shape:
        organisation = make_member_organisation(session)
        for _ in range(sites - 1):
            make_site(session, organisation)
        for number in range(champions):
            make_user(session, organisation=organisation, role=OrgRole.CHAMPION)
            if withdraw_one and number == 0:
                organisation.memberships[-1].withdrawn_at = utcnow()
        for _ in range(leads):
            make_user(session, organisation=organisation, role=OrgRole.HR_LEAD)
        for number in range(invitations):
            session.add(Invitation(organisation=organisation,
                                   role=OrgRole.CHAMPION if number % 2 else OrgRole.HR_LEAD,
                                   email=f"{uuid.uuid4().hex}@example.org", full_name="X",
                                   token_hash=uuid.uuid4().hex,
                                   expires_at=utcnow() + timedelta(days=7)))
        session.flush()
        organisations.append(organisation)
    everything = {
        "invitations": [i.id for i in session.query(Invitation)],
        "sites": [s.id for o in organisations for s in o.sites],
        "memberships": [m.id for m in session.query(Membership)],
    }
    with app.test_request_context():
        g.db_session = session  # the views' helpers read the request's session
        try:
            for organisation in organisations:
                for name, rows in org_helpers(session, organisation, everything):
                    assert all(row.organisation_id == organisation.id for row in rows), name
                for lead in hr_leads(session, organisation):
                    assert lead.role_in(organisation) == OrgRole.HR_LEAD
        finally:
            g.pop("db_session")  # not closed by the request's teardown: the test owns it
            session.rollback()
