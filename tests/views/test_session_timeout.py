"""Staying signed in from the timeout warning, and the page shown when time runs out."""

from __future__ import annotations

from datetime import timedelta

import time_machine

from portal import clock
from tests.conftest import csrf_token
from tests.factories import make_user


def test_the_warning_knows_the_time_left(signed_in, session) -> None:
    client = signed_in(make_user(session))
    html = client.get("/dashboard").get_data(as_text=True)
    assert 'id="timeout-warning"' in html and 'data-warn-before="120"' in html
    seconds = int(html.split('data-seconds-left="', 1)[1].split('"', 1)[0])
    assert 1800 - 60 <= seconds <= 1800


def test_signed_out_pages_have_no_warning(client) -> None:
    assert 'id="timeout-warning"' not in client.get("/").get_data(as_text=True)


def test_staying_signed_in_restarts_the_idle_clock(signed_in, session) -> None:
    client = signed_in(make_user(session))
    token = csrf_token(client, "/dashboard")
    with time_machine.travel(clock.now() + timedelta(minutes=25), tick=False):
        response = client.post("/session/keep", data={"csrf_token": token},
                               headers={"Accept": "application/json"})
        assert response.status_code == 200 and response.json["secondsLeft"] == 1800
    with time_machine.travel(clock.now() + timedelta(minutes=50), tick=False):
        assert client.get("/dashboard").status_code == 200  # 25 minutes after staying


def test_staying_signed_in_needs_the_csrf_token(signed_in, session) -> None:
    client = signed_in(make_user(session))
    response = client.post("/session/keep", headers={"Accept": "application/json"})
    assert response.status_code == 400


def test_without_staying_the_session_ends_at_the_idle_limit(signed_in, session) -> None:
    client = signed_in(make_user(session))
    with time_machine.travel(clock.now() + timedelta(minutes=31), tick=False):
        response = client.get("/session/ended?next=/training")
        html = response.get_data(as_text=True)
        assert response.status_code == 200 and "You have been signed out" in html
        assert 'href="/sign-in?next=/training"' in html
        assert client.get("/dashboard").status_code == 302


def test_the_ended_page_keeps_only_an_on_site_destination(client) -> None:
    html = client.get("/session/ended?next=//evil.example").get_data(as_text=True)
    assert "evil.example" not in html


def test_a_session_kept_alive_elsewhere_goes_back_to_its_page(signed_in, session) -> None:
    client = signed_in(make_user(session))
    response = client.get("/session/ended?next=/training")
    assert response.status_code == 303 and response.headers["Location"] == "/training"
