"""The production-like run: two gunicorn instances (PORTAL_ENV=production) and a worker against
PostgreSQL, Redis and an SMTP sink on loopback. The checks themselves are in bench/prodlike, which
`make prodlike` also runs; see bench/prodlike/stack.py for what is set for the run and why.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bench.prodlike import scenarios
from bench.prodlike.load import run_load
from bench.prodlike.stack import Stack

pytestmark = [pytest.mark.slow, pytest.mark.pg]


def check(stack: Stack, scenario: Callable[[Stack], dict]) -> dict:
    """Run one check; on failure, show the end of every process's log as well."""
    try:
        facts = scenario(stack)
    except AssertionError as error:
        raise AssertionError(f"{error}\n{stack.all_logs_tail()}") from error
    assert stack.logged_failures() == [], "a request failed with an unexpected error"
    return facts


def test_sess_10_a_session_from_one_instance_is_valid_on_the_other(stack) -> None:
    """SESS-10, SESS-01, SESS-02 across instances: signed in on instance 1, the `__Host-`
    Secure cookie works on instance 2; signing out on instance 2 ends it on instance 1."""
    check(stack, scenarios.sessions_shared)


def test_auth_03_sign_in_throttling_is_shared_across_instances(stack) -> None:
    """AUTH-03 (and AUTH-01): failures alternating between the instances reach the limit at the
    same total as on one; then the right password is refused too, on both."""
    check(stack, scenarios.throttling_shared)


def test_rel_06_a_worker_killed_mid_batch_loses_no_email_and_sends_none_twice(stack) -> None:
    """REL-06 crash case: SIGKILL while the slow SMTP sink takes a message; a new worker sends
    the rest, and the dead worker's claims after MAIL_CLAIM_TIMEOUT, each exactly once."""
    facts = check(stack, scenarios.worker_killed_mid_batch)
    assert facts["stuck"] > 0


def test_rel_08_postgresql_going_away_gives_503s_and_everything_recovers(stack) -> None:
    """REL-08: /readyz 503 and the friendly 503 page (never a 500) while PostgreSQL is cut off;
    afterwards the same session carries on, no committed data is lost, the worker sends."""
    check(stack, scenarios.database_outage)


def test_rel_16_load_100_users_for_60_seconds(stack) -> None:
    """REL-16: 100 simulated champions for 60 s on both instances (sign-in, Your training,
    modules, quizzes): no 5xx at all, and the database holds exactly the attempts, completions
    and certificates the load generator was shown."""
    result = run_load(stack, users=100, seconds=60)
    summary = result.summary()
    print(summary)  # shown with -s, or in the report of a failure
    assert result.requests > 0 and result.ledger.sign_ins >= 100, summary
    assert result.ledger.server_errors == [], summary
    assert not [code for code in result.server_statuses if code >= 500], summary
    assert result.ledger.problems == [], summary
    assert len(result.ledger.submitted) >= 100, summary  # everyone took a quiz to the end
    assert result.mismatches == [], summary
    assert stack.logged_failures() == []
