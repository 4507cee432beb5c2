"""The portal's one clock: every "now" and "today" in the portal is read from here.

Nothing else in `portal/` reads the wall clock (`tests/test_clock.py` fails if a module does), so a
test can move or stop time for the whole portal at once — services, views, templates, the CLI, the
worker and the browser tests' live server, which is a thread of the test process — with `travel`.
Only the portal's reading moves: libraries (Flask's cookie expiry, the browser in a browser test)
keep real time, so a browser still accepts the cookies of a portal living on another day.

Durations measured with `time.perf_counter()` or `time.monotonic()` are not readings of "now" and
do not come from here.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

try:
    LONDON = ZoneInfo("Europe/London")  # the scheme's days: every date shown, filtered or stored
except ZoneInfoNotFoundError:  # no time zone data on this machine: days run in UTC rather than fail
    LONDON = UTC  # type: ignore[assignment]

_shift = timedelta(0)
_stopped_at: datetime | None = None


def now() -> datetime:
    """The current moment, timezone-aware, in UTC."""
    if _stopped_at is not None:
        return _stopped_at
    return datetime.now(UTC) + _shift


def today() -> date:
    """The scheme's current day: today's date in the UK (Europe/London), not in UTC."""
    return now().astimezone(LONDON).date()


def timestamp() -> int:
    """Whole seconds since the epoch, for stamps kept in the session cookie."""
    return int(now().timestamp())


@contextmanager
def travel(to: datetime, *, tick: bool = True) -> Iterator[None]:
    """Move the portal to the moment `to` (aware) until the block ends.

    With `tick` the clock runs on from there; without it, it stays stopped at `to`.
    """
    global _shift, _stopped_at
    if to.tzinfo is None:
        raise ValueError("travel needs a timezone-aware moment")
    saved = _shift, _stopped_at
    if tick:
        _shift, _stopped_at = to - datetime.now(UTC), None
    else:
        _stopped_at = to.astimezone(UTC)
    try:
        yield
    finally:
        _shift, _stopped_at = saved
