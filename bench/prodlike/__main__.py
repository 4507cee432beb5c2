"""`make prodlike`: start the production-like run, run every check and the load test, report.

    python -m bench.prodlike [--users 100] [--seconds 60] [--no-load] [--keep-logs DIR]

Needs TEST_DATABASE_URL (a PostgreSQL server where databases may be created) and REDIS_URL;
the Makefile gives both the loopback defaults CI uses. Exits non-zero if any check fails.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import traceback
from pathlib import Path

from bench.prodlike import scenarios
from bench.prodlike.load import run_load
from bench.prodlike.stack import Settings, Stack

CHECKS = [
    ("(a) sessions valid on both instances", scenarios.sessions_shared),
    ("(b) sign-in throttling shared through Redis", scenarios.throttling_shared),
    ("(c) worker killed mid-batch: none lost, none twice", scenarios.worker_killed_mid_batch),
    ("(d) PostgreSQL down and back", scenarios.database_outage),
]


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.prodlike", description=__doc__)
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--no-load", action="store_true", help="only the four checks")
    parser.add_argument("--only", help="run only the checks whose titles contain this, e.g. (d)")
    parser.add_argument("--keep-logs", type=Path, help="write the processes' logs here")
    options = parser.parse_args()
    settings = Settings.from_environment()
    if settings is None:
        print("Set TEST_DATABASE_URL and REDIS_URL (make prodlike sets loopback defaults).")
        return 2
    failed = 0
    with tempfile.TemporaryDirectory(prefix="prodlike-") as scratch:
        workdir = options.keep_logs or Path(scratch)
        started = time.monotonic()
        with Stack(settings, workdir) as stack:
            print(f"Started in {time.monotonic() - started:.1f} s: instances {stack.urls}, "
                  f"database {stack.database_name}, Redis prefix {stack.key_prefix}")
            for title, check in CHECKS:
                if options.only is None or options.only in title:
                    failed += report(title, check, stack)
            if not options.no_load:
                title = f"(load) {options.users} users for {options.seconds:.0f} s"
                failed += report(title, lambda s: load_summary(s, options), stack)
            if stack.logged_failures():
                print("Unexpected errors were logged:\n" + "\n".join(stack.logged_failures()))
                failed += 1
            if failed:
                print(stack.all_logs_tail())
    print("All checks passed." if not failed else f"{failed} check(s) failed.")
    return 1 if failed else 0


def load_summary(stack: Stack, options: argparse.Namespace) -> dict:
    result = run_load(stack, users=options.users, seconds=options.seconds)
    summary = result.summary()
    assert not result.ledger.server_errors, result.ledger.server_errors[:10]
    assert not any(code >= 500 for code in result.server_statuses), result.server_statuses
    assert not result.ledger.problems, result.ledger.problems[:10]
    assert not result.mismatches, result.mismatches
    return summary


def report(title: str, check, stack: Stack) -> int:  # noqa: ANN001 - one of CHECKS
    started = time.monotonic()
    try:
        facts = check(stack)
    except Exception as error:  # noqa: BLE001 - reported, and the run goes on to the next check
        print(f"FAIL {title} ({time.monotonic() - started:.1f} s): {error!r}")
        traceback.print_exc()
        return 1
    print(f"ok   {title} ({time.monotonic() - started:.1f} s): {json.dumps(facts)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
