"""The checks run against the production-like stack. Each raises AssertionError on failure and
returns a few facts for the report. Each makes its own people, so any can run alone.
"""

from __future__ import annotations

import time
from datetime import timedelta
from urllib.parse import urlsplit

import redis
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bench.prodlike.browser import Browser, csrf_token
from bench.prodlike.people import PASSWORD, add_champions
from bench.prodlike.quiz import ATTEMPT_PATH, PASSED, RESULT_PATH, AnswerKey, module_ids
from bench.prodlike.stack import PROJECT_ROOT, Stack
from config import Config
from portal.mail import CLAIM_BATCH
from portal.models import Base, OutboxMessage, OutboxStatus, QuizAttempt, utcnow

SESSION_COOKIE = "__Host-session"
SIGN_IN_ERROR = "Enter a correct email address and password"
UNAVAILABLE = "Sorry, the service is unavailable"


def wait_for(condition, timeout: float, what: str, interval: float = 0.2) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def path_of(location: str) -> str:
    return urlsplit(location).path


# -- (a) one session, both instances ---------------------------------------------------------

def sessions_shared(stack: Stack) -> dict:
    """SESS-10, SESS-01, SESS-02: a cookie from instance 1 is accepted by instance 2; signing out
    on instance 2 ends it on instance 1 too."""
    email = add_champions(stack, 1, "session")[0]
    browser = stack.browser("127.0.1.10")
    try:
        response = browser.sign_in(email, PASSWORD, instance=0)
        assert response.status_code == 303, response.status_code
        cookie = next(c for c in reversed(browser.state.set_cookies) if c.name == SESSION_COOKIE)
        attributes = cookie.attributes
        assert attributes.get("secure") and attributes.get("httponly"), attributes
        assert attributes.get("path") == "/" and "domain" not in attributes, attributes
        assert attributes.get("samesite") == "Lax", attributes
        copied = dict(browser.state.cookies)

        page = browser.get("/account", instance=1)
        assert page.status_code == 200 and email in page.text, page.status_code
        assert browser.get("/training", instance=1).status_code == 200

        stranger = stack.browser("127.0.1.11")  # no cookie: the cookie is what signs you in
        assert stranger.get("/account", instance=1).status_code == 302

        signed_out = browser.submit("/account", {}, action="/sign-out", instance=1)
        assert signed_out.status_code == 303, signed_out.status_code
        replay = stack.browser("127.0.1.10")
        replay.state.cookies = copied  # the cookie as it was before signing out
        response = replay.get("/account", instance=0)
        assert response.status_code == 302, response.status_code
        assert path_of(response.headers["Location"]) == "/sign-in"
    finally:
        browser.close()
    return {"cookie": SESSION_COOKIE, "attributes": sorted(attributes)}


# -- (b) sign-in throttling shared through Redis ---------------------------------------------

def limit_count(limit: str) -> int:
    return int(limit.split()[0])


def throttling_shared(stack: Stack) -> dict:
    """AUTH-03 (and AUTH-01): failed sign-ins for one account, alternating between the two
    instances and coming from different addresses, hit the per-account limit at the same total
    as on one instance; then even the right password is refused, on both instances. With
    per-process `memory://` counters each instance would have seen only half the failures."""
    email, other = add_champions(stack, 2, "throttle")
    limit = limit_count(Config.SIGN_IN_LIMIT_PER_ACCOUNT)
    for attempt in range(limit):
        browser = stack.browser(f"127.0.2.{attempt + 1}")
        response = browser.sign_in(email, "not the password at all", instance=attempt % 2)
        assert response.status_code == 200 and SIGN_IN_ERROR in response.text, (
            attempt, response.status_code)
        browser.close()
    for instance in range(len(stack.urls)):
        browser = stack.browser("127.0.2.100")
        refused = browser.sign_in(email, PASSWORD, instance=instance)
        assert refused.status_code == 429, (instance, refused.status_code)
        assert "You have tried too many times" in refused.text
        browser.close()
    browser = stack.browser("127.0.2.101")
    assert browser.sign_in(other, PASSWORD, instance=1).status_code == 303  # others unaffected
    browser.close()
    with redis.Redis.from_url(stack.settings.redis_url) as store:
        keys = list(store.scan_iter(match=f"*{stack.key_prefix}*"))
    assert keys, "no rate-limit counters in Redis under this run's prefix"
    return {"limit": limit, "redis_keys": len(keys)}


# -- (c) a worker killed mid-batch -----------------------------------------------------------

def outbox_statuses(stack: Stack, addresses: list[str]) -> dict[str, OutboxStatus]:
    with Session(stack.engine) as session:
        rows = session.execute(select(OutboxMessage.to_address, OutboxMessage.status)
                               .where(OutboxMessage.to_address.in_(addresses)))
        return dict(rows.all())


def outbox_idle(stack: Stack) -> bool:
    with Session(stack.engine) as session:
        return not session.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING])))


def worker_killed_mid_batch(stack: Stack, *, messages: int = 30, sent_before_kill: int = 3,
                            smtp_delay: float = 1.0) -> dict:
    """REL-06 crash case: SIGKILL the worker while the slow SMTP server is taking a message;
    after a new worker starts, every message arrives exactly once.

    The kill lands while message `sent_before_kill + 1` is being handed over, before the SMTP
    server said 250: that message and the rest of the dead worker's batch stay claimed
    (`sending`), are left alone while the claim is younger than MAIL_CLAIM_TIMEOUT, then go
    back to pending and are sent once. A kill after the 250 but before the worker marks the
    row sent would send that one message twice: the documented at-least-once window (REL-06),
    a few milliseconds wide; this check aims the kill outside it on purpose. The sink takes
    `smtp_delay` seconds over each message until the kill, so even a slow machine kills the
    worker well before the sink would have accepted the message in flight.
    """
    wait_for(lambda: outbox_idle(stack), 30, "earlier e-mail to be sent")
    try:
        return _kill_and_recover(stack, messages, sent_before_kill, smtp_delay)
    finally:
        stack.sink.delay = 0
        if stack.worker is None:
            stack.start_worker()  # the checks after this one need a worker


def _kill_and_recover(stack: Stack, messages: int, sent_before_kill: int,
                      smtp_delay: float) -> dict:
    addresses = [f"outbox-{stack.run_id}-{n}@example.org" for n in range(1, messages + 1)]
    stack.sink.delay = smtp_delay
    in_flight = stack.sink.when_started(stack.sink.started + sent_before_kill + 1)
    with Session(stack.engine) as session, session.begin():
        session.add_all(OutboxMessage(kind="prodlike", to_address=address,
                                      subject="A message – Workplace Champions",
                                      body_text=f"Message for {address}.")
                        for address in addresses)
    assert in_flight.wait(60), "the worker never started sending"
    stack.kill_worker()

    statuses = outbox_statuses(stack, addresses)
    delivered = stack.sink.recipients()
    claimed = min(CLAIM_BATCH, messages)
    stuck = [a for a in addresses if statuses[a] == OutboxStatus.SENDING]
    assert sum(delivered[a] for a in addresses) == sent_before_kill, delivered
    assert list(statuses.values()).count(OutboxStatus.SENT) == sent_before_kill
    assert len(stuck) == claimed - sent_before_kill, statuses
    killed_at = utcnow()

    stack.sink.delay = 0.05
    stack.start_worker()
    pending = [a for a in addresses if statuses[a] == OutboxStatus.PENDING]
    wait_for(lambda: all(stack.sink.recipients()[a] == 1 for a in pending), 60,
             "the new worker to send the unclaimed messages")
    with Session(stack.engine) as session:
        oldest_claim = session.scalar(select(func.min(OutboxMessage.claimed_at)).where(
            OutboxMessage.to_address.in_(stuck), OutboxMessage.status == OutboxStatus.SENDING))
    timeout = timedelta(seconds=stack.settings.claim_timeout_seconds)
    stuck_held = oldest_claim is not None and utcnow() < oldest_claim + timeout - timedelta(
        seconds=1)
    if stuck_held:  # the dead worker's claims are not re-sent before their timeout
        assert not any(stack.sink.recipients()[a] for a in stuck)

    wait_for(lambda: set(outbox_statuses(stack, addresses).values()) == {OutboxStatus.SENT},
             90, "every message to be marked sent")
    delivered = stack.sink.recipients()
    assert {a: delivered[a] for a in addresses} == dict.fromkeys(addresses, 1), delivered
    with Session(stack.engine) as session:
        attempts = set(session.scalars(select(OutboxMessage.attempts).where(
            OutboxMessage.to_address.in_(addresses))))
    assert attempts == {1}, attempts
    return {"messages": messages, "sent_before_kill": sent_before_kill, "stuck": len(stuck),
            "held_until_timeout_checked": stuck_held,
            "recovered_after_seconds": round((utcnow() - killed_at).total_seconds(), 1)}


# -- (d) PostgreSQL goes away and comes back -------------------------------------------------

def table_counts(stack: Stack) -> dict[str, int]:
    with Session(stack.engine) as session:
        return {table.name: session.scalar(select(func.count()).select_from(table))
                for table in Base.metadata.sorted_tables}


def take_quiz(browser: Browser, answers: AnswerKey, module_id: int, *, instance: int) -> str:
    """Start and pass one module's quiz; the attempt's public id."""
    started = browser.submit(f"/training/modules/{module_id}", {},
                             action=f"/training/modules/{module_id}/quiz", instance=instance)
    assert started.status_code == 303, started.status_code
    quiz_path = path_of(started.headers["Location"])
    attempt = ATTEMPT_PATH.match(quiz_path).group(1)
    page = browser.get(quiz_path, instance=instance)
    submitted = browser.submit(quiz_path, answers.form(page.text, right=True), instance=instance)
    assert submitted.status_code == 303 and RESULT_PATH.match(
        path_of(submitted.headers["Location"])), submitted.status_code
    return attempt


def assert_unavailable_page(response, what: str) -> None:  # noqa: ANN001 - an httpx response
    assert response.status_code == 503, (what, response.status_code)
    assert UNAVAILABLE in response.text and "Traceback" not in response.text, what


def database_outage(stack: Stack) -> dict:
    """REL-08: with PostgreSQL unreachable, /readyz says 503 and pages show the friendly 503
    page (never a 500), a form posted meanwhile changes nothing, and once PostgreSQL is back
    the same signed-in session carries on, no committed data is lost and the worker sends
    again. PostgreSQL "stops" by cutting the proxy between the portal and the server (all
    connections reset, new ones refused); the machine's PostgreSQL service is left alone."""
    email = add_champions(stack, 1, "outage")[0]
    answers = AnswerKey(PROJECT_ROOT / "courses")
    browser = stack.browser("127.0.3.1")
    assert browser.sign_in(email, PASSWORD, instance=0).status_code == 303
    module_id = module_ids(browser.get("/training", instance=1).text)[0]
    attempt = take_quiz(browser, answers, module_id, instance=1)
    assert browser.submit("/forgot-password", {"email": email}).status_code == 303
    wait_for(lambda: stack.sink.recipients()[email] == 1, 30, "the reset e-mail")
    wait_for(lambda: outbox_idle(stack), 30, "the outbox to be idle")
    token_page = browser.get(f"/training/modules/{module_id}", instance=0)
    before = table_counts(stack)

    stack.proxy.stop()
    try:
        cut = time.monotonic()
        ready = stack.ready_statuses()
        ready_seconds = time.monotonic() - cut
        assert ready == [503] * len(stack.urls), ready
        assert ready_seconds < 5, ready_seconds  # connect_timeout is 3 s; refused is instant
        for instance in range(len(stack.urls)):
            for _ in range(4):  # reach each gunicorn worker's pool of now-dead connections
                assert_unavailable_page(browser.get("/training", instance=instance), "training")
            assert_unavailable_page(browser.get(f"/training/attempts/{attempt}/result",
                                                instance=instance), "result")
        token = csrf_token(token_page.text)
        posted = browser.post(f"/training/modules/{module_id}/quiz", {"csrf_token": token},
                              instance=1)
        assert_unavailable_page(posted, "starting a quiz")
        newcomer = stack.browser("127.0.3.2")
        sign_in_page = newcomer.get("/sign-in", instance=0)
        assert sign_in_page.status_code == 200  # the form itself needs no database
        assert_unavailable_page(newcomer.sign_in(email, PASSWORD, instance=0), "signing in")
        worker_survived = stack.worker is not None and stack.worker.alive()
    finally:
        stack.proxy.resume()

    restored = time.monotonic()
    stack.wait_until_ready(timeout=30)
    recovery_seconds = time.monotonic() - restored
    assert table_counts(stack) == before  # nothing lost, and nothing half-done by failed posts
    for instance in range(len(stack.urls)):
        for _ in range(4):
            assert browser.get("/training", instance=instance).status_code == 200
        result = browser.get(f"/training/attempts/{attempt}/result", instance=instance)
        assert result.status_code == 200 and PASSED in result.text
    with Session(stack.engine) as session:
        assert session.scalar(select(func.count()).select_from(QuizAttempt).where(
            QuizAttempt.public_id == attempt)) == 1
    assert worker_survived and stack.worker.alive(), "the worker exited during the outage"
    assert browser.submit("/forgot-password", {"email": email}).status_code == 303
    wait_for(lambda: stack.sink.recipients()[email] == 2, 30, "e-mail after the outage")
    errors = [s for s in browser.state.statuses + newcomer.state.statuses if s[2] >= 500
              and s[2] != 503]
    assert not errors, errors
    browser.close()
    return {"ready_503_seconds": round(ready_seconds, 2),
            "recovered_seconds": round(recovery_seconds, 2)}
