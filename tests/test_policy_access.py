"""Who may use each policy adoption page (AUTHZ-01, FILE-05); the cross-organisation sweep in
test_joining_access.py covers these routes' ids too."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select

from portal.models import PolicyDocument
from portal.services.uploads import FileStore
from tests.test_joining_access import (
    COORDINATOR_ACTION,
    COORDINATOR_PAGE,
    HR_PAGE,
    ROLES,
    World,
    build_world,
    request_as,
)

MATRIX: dict[str, tuple[str, str, tuple[int, ...]]] = {
    "policy.index": ("GET", "/organisations/{org}/policy", HR_PAGE),
    "policy.element": ("GET", "/organisations/{org}/policy/written-policy", HR_PAGE),
    "policy.document": ("GET", "/organisations/{org}/policy/documents/{document}", HR_PAGE),
    "policy.model_policy": ("GET", "/organisations/{org}/model-policy", HR_PAGE),
    "policy.model_policy_download": ("GET", "/organisations/{org}/model-policy/download",
                                     HR_PAGE),
    "policy.queue": ("GET", "/coordinator/policy", COORDINATOR_PAGE),
    "policy.reviews_overdue": ("GET", "/coordinator/policy/reviews-overdue", COORDINATOR_PAGE),
    # Nothing selected: the queue again, with the error.
    "policy.verify_selected": ("POST", "/coordinator/policy/verify-selected", COORDINATOR_PAGE),
    "policy.review": ("GET", "/coordinator/organisations/{org}/policy/written-policy",
                      COORDINATOR_PAGE),
    "policy.verify": ("POST", "/coordinator/organisations/{org}/policy/written-policy/verify",
                      COORDINATOR_ACTION),
    "policy.return_element": ("POST",
                              "/coordinator/organisations/{org}/policy/written-policy/return",
                              COORDINATOR_ACTION),
}


@pytest.fixture
def app(app_factory, tmp_path) -> Flask:  # noqa: ANN001
    return app_factory(UPLOAD_DIR=tmp_path)


@pytest.fixture
def world(app: Flask, session, tmp_path) -> World:  # noqa: ANN001
    world = build_world(session)
    for document in session.scalars(select(PolicyDocument)):  # give each document its bytes
        document.storage_key = FileStore(tmp_path).write(b"%PDF-1.7\n%%EOF\n")
    session.commit()
    return world


@pytest.fixture
def clients(app: Flask, world: World, signed_in) -> dict:
    clients = {"anonymous": app.test_client()}
    for role in ROLES[1:]:
        clients[role] = signed_in(world.people[role])
    return clients


def test_the_matrix_covers_every_policy_endpoint(app: Flask) -> None:
    endpoints = {endpoint for endpoint in app.view_functions if endpoint.startswith("policy.")}
    assert endpoints == set(MATRIX), "Add new endpoints to MATRIX with who may use them"


@pytest.mark.parametrize("endpoint", sorted(MATRIX))
def test_role_by_endpoint_matrix(endpoint: str, world: World, clients) -> None:
    method, template, expected = MATRIX[endpoint]
    path = template.format(**world.ids)
    actual = tuple(request_as(clients[role], method, path, anonymous=role == "anonymous")
                   .status_code for role in ROLES)
    assert actual == expected, f"{method} {path}: {dict(zip(ROLES, actual, strict=True))}"
