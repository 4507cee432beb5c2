"""The portal's one clock: nothing in portal/ reads the wall clock, and moving the clock moves
every reading of "now" and "today" (services, views, the session limits)."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from portal import clock
from portal.models import utcnow
from tests.factories import make_user

ROOT = Path(__file__).resolve().parent.parent
WALL_CLOCK_READS = """\
import time
from datetime import date, datetime
a = datetime.now()
b = date.today()
c = time.time()
d = datetime.utcnow()
"""


def ruff_clock_findings(*paths: Path) -> list[str]:
    """The wall-clock reads ruff's banned-api rule (pyproject.toml) finds in these files."""
    result = subprocess.run(  # noqa: S603 - our own linter, on our own files
        [sys.executable, "-m", "ruff", "check", "--no-cache", "--select", "TID251",
         "--output-format", "concise", *map(str, paths)],
        cwd=ROOT, capture_output=True, text=True, check=False)
    return [line for line in result.stdout.splitlines() if "TID251" in line]


def test_no_portal_module_reads_the_wall_clock() -> None:
    assert ruff_clock_findings(ROOT / "portal") == []


def test_the_rule_finds_every_way_of_reading_the_wall_clock() -> None:
    """The check above would pass on nothing if the rule were off: show it catches each read."""
    probe = ROOT / "portal" / "services" / "_wall_clock_probe.py"
    probe.write_text(WALL_CLOCK_READS)
    try:
        findings = ruff_clock_findings(probe)
    finally:
        probe.unlink()
    assert len(findings) == 4, findings


def test_travel_moves_now_and_today_and_then_puts_them_back() -> None:
    moment = datetime(2031, 3, 30, 23, 30, tzinfo=UTC)  # 00:30 on 31 March in London (BST)
    before = utcnow()
    with clock.travel(moment, tick=False):
        assert utcnow() == clock.now() == moment
        assert clock.today() == date(2031, 3, 31)
        assert clock.timestamp() == int(moment.timestamp())
    assert abs(utcnow() - before) < timedelta(minutes=1)


def test_a_ticking_clock_runs_on_from_where_it_was_moved() -> None:
    moment = datetime.now(UTC) + timedelta(days=400)
    with clock.travel(moment):
        first = clock.now()
        assert abs(first - moment) < timedelta(seconds=5)
        assert clock.now() >= first


def test_travel_needs_an_aware_moment() -> None:
    with pytest.raises(ValueError, match="timezone-aware"), \
            clock.travel(datetime(2030, 1, 1)):  # noqa: DTZ001 - the mistake under test
        pass


def test_sessions_live_on_the_moved_clock(signed_in, session) -> None:
    """A session started three years on ends after the idle limit on that moved clock, with the
    real clock standing still: the session limits read the portal's clock, not the machine's."""
    user = make_user(session)
    start = datetime.now(UTC) + timedelta(days=3 * 365)
    with clock.travel(start, tick=False):
        client = signed_in(user)
        assert client.get("/account").status_code == 200
    with clock.travel(start + timedelta(minutes=29), tick=False):
        assert client.get("/account").status_code == 200
    with clock.travel(start + timedelta(minutes=61), tick=False):
        assert client.get("/account").status_code == 302
