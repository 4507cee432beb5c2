"""@recent_authentication_required on a page of its own: where it sends people, and when."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from flask import Flask

from portal.models import utcnow
from portal.permissions import recent_authentication_required, sign_in_required
from tests.conftest import csrf_token, sign_in
from tests.factories import DEFAULT_PASSWORD, make_user


@pytest.fixture
def sensitive_app(app: Flask) -> Flask:
    @app.route("/sensitive-page")
    @sign_in_required
    @recent_authentication_required
    def sensitive_page() -> str:
        return "the sensitive page"

    return app


def confirm(client, next_url: str):  # noqa: ANN001, ANN201
    path = f"/confirm-password?next={next_url}"
    return client.post(path, data={"password": DEFAULT_PASSWORD,
                                   "csrf_token": csrf_token(client, path)})


def test_it_keeps_the_access_rule_of_the_decorator_above(sensitive_app: Flask) -> None:
    view = sensitive_app.view_functions["sensitive_page"]
    assert view.access_rule == "signed_in" and view.requires_recent_authentication


def test_anonymous_people_sign_in_first(sensitive_app: Flask) -> None:
    response = sensitive_app.test_client().get("/sensitive-page")
    assert response.status_code == 302 and response.headers["Location"].startswith("/sign-in")


def test_back_to_the_same_page_with_its_arguments_after_confirming(sensitive_app, session,
                                                                   signed_in) -> None:
    with time_machine.travel(utcnow(), tick=True) as clock:
        client = signed_in(make_user(session))
        response = client.get("/sensitive-page?x=1&y=2")
        assert response.status_code == 302
        assert response.headers["Location"] == \
            "/confirm-password?next=/sensitive-page?x%3D1%26y%3D2"
        confirmed = confirm(client, "/sensitive-page?x%3D1%26y%3D2")
        assert confirmed.headers["Location"] == "/sensitive-page?x=1&y=2"
        assert client.get("/sensitive-page").get_data(as_text=True) == "the sensitive page"
        clock.shift(timedelta(minutes=15, seconds=1))
        assert client.get("/sensitive-page").status_code == 302


def test_signing_in_again_does_not_carry_an_old_confirmation(sensitive_app, session,
                                                             signed_in) -> None:
    user = make_user(session)
    client = signed_in(user)
    confirm(client, "/sensitive-page")
    assert client.get("/sensitive-page").status_code == 200
    client.post("/sign-out", data={"csrf_token": csrf_token(client, "/dashboard")})
    assert sign_in(client, user.email).status_code == 303  # the same browser
    assert client.get("/sensitive-page").status_code == 302
