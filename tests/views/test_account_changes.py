"""Everyone can change their own name, and their e-mail address once the new one is confirmed."""

from __future__ import annotations

import re
from datetime import timedelta

import time_machine
from sqlalchemy import select

from portal import clock
from portal.models import AuditEvent, OutboxMessage, User
from tests.conftest import csrf_token, sign_in
from tests.factories import DEFAULT_PASSWORD, make_user


def latest_email(session, to: str) -> OutboxMessage:  # noqa: ANN001
    session.expire_all()
    return session.scalars(select(OutboxMessage).where(OutboxMessage.to_address == to)
                           .order_by(OutboxMessage.id.desc())).first()


def ask(client, email: str, password: str = DEFAULT_PASSWORD):  # noqa: ANN001, ANN201
    return client.post("/account/email", data={
        "csrf_token": csrf_token(client, "/account/email"), "email": email,
        "password": password})


def test_changing_your_name(signed_in, session) -> None:
    user = make_user(session, full_name="Old Name")
    client = signed_in(user)
    response = client.post("/account/name", data={
        "csrf_token": csrf_token(client, "/account/name"), "full_name": "New Name"},
        follow_redirects=True)
    assert "Your name has been changed" in response.get_data(as_text=True)
    session.refresh(user)
    assert user.full_name == "New Name"
    assert session.scalar(select(AuditEvent).where(AuditEvent.action == "account.name_changed"))


def test_the_same_name_changes_nothing(signed_in, session) -> None:
    user = make_user(session, full_name="Same Name")
    client = signed_in(user)
    response = client.post("/account/name", data={
        "csrf_token": csrf_token(client, "/account/name"), "full_name": "Same Name"},
        follow_redirects=True)
    assert "Nothing was changed" in response.get_data(as_text=True)


def test_a_new_address_changes_only_when_its_link_is_opened(signed_in, session, client,
                                                           app) -> None:
    user = make_user(session, email="before@example.org")
    owner = signed_in(user)
    assert ask(owner, "After@Example.org").status_code == 303
    session.refresh(user)
    assert user.email == "before@example.org" and user.pending_email == "after@example.org"
    message = latest_email(session, "after@example.org")
    path = re.search(r"https://portal\.test(/confirm-new-email/\S+)", message.body_text).group(1)
    assert "after@example.org" not in path  # the address is never in the link
    assert "after@example.org" in owner.get("/account").get_data(as_text=True)

    page = client.get(path)  # another device, not signed in: a mail scanner changes nothing
    assert page.status_code == 200 and "Confirm my new email address" in page.get_data(
        as_text=True)
    session.refresh(user)
    assert user.email == "before@example.org"
    client.post(path, data={"csrf_token": csrf_token(client, path)})
    session.refresh(user)
    assert user.email == "after@example.org" and user.pending_email is None
    assert "has been changed" in latest_email(session, "before@example.org").body_text
    assert client.post(path, data={"csrf_token": csrf_token(client, "/sign-in")}) \
        .status_code == 400  # used once
    assert sign_in(app.test_client(), "after@example.org").status_code == 303


def test_every_problem_is_reported_at_once(signed_in, session) -> None:
    user = make_user(session, email="me@example.org")
    response = ask(signed_in(user), "me@example.org", "wrong password entirely")
    html = response.get_data(as_text=True)
    assert "This is already your email address" in html and "Your password is not correct" in html
    session.refresh(user)
    assert user.pending_email is None


def test_an_address_in_use_is_refused_when_confirmed(signed_in, session, client) -> None:
    user = make_user(session)
    make_user(session, email="taken@example.org")
    ask(signed_in(user), "taken@example.org")
    message = latest_email(session, "taken@example.org")
    path = re.search(r"https://portal\.test(/confirm-new-email/\S+)", message.body_text).group(1)
    response = client.post(path, data={"csrf_token": csrf_token(client, path)})
    assert response.status_code == 409
    session.refresh(user)
    assert user.email != "taken@example.org"


def test_the_link_expires(signed_in, session, client) -> None:
    user = make_user(session)
    ask(signed_in(user), "later@example.org")
    message = latest_email(session, "later@example.org")
    path = re.search(r"https://portal\.test(/confirm-new-email/\S+)", message.body_text).group(1)
    with time_machine.travel(clock.now() + timedelta(days=4), tick=False):
        response = client.get(path)
    assert response.status_code == 400 and "expired" in response.get_data(as_text=True)
    assert session.scalar(select(User.email).where(User.id == user.id)) != "later@example.org"
