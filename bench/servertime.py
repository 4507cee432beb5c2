"""Server time and SQL statements per request, measured in-process with Flask's test client.

Each page is requested `warmup` times, then `samples` times one after another (no concurrency),
timing the whole request with perf_counter and counting the statements the engine sends. The
test client adds a fraction of a millisecond of its own; there is no network, HTTP parsing or
gunicorn in these figures (the throughput ratio measures those).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterator
from dataclasses import dataclass

from flask import Flask

from bench.pages import GET, QUIZ_SUBMIT, Fixtures, Page
from bench.quiz import Submission
from bench.sqlcount import count_statements


@dataclass
class PageTiming:
    name: str
    p50_ms: float
    p95_ms: float
    statements: int  # the most seen in any one request
    statements_min: int
    samples: int


class UnexpectedStatusError(RuntimeError):
    pass


def measure_page(app: Flask, page: Page, fixtures: Fixtures, cookie: str | None,
                 submissions: Iterator[Submission] | None = None, *, samples: int = 50,
                 warmup: int = 5) -> PageTiming:
    client = app.test_client(use_cookies=False)
    engine = app.extensions["portal.engine"]
    durations, counts = [], []
    for number in range(warmup + samples):
        request = _request(page, fixtures, cookie, submissions)
        with count_statements(engine) as log:
            started = time.perf_counter()
            response = client.open(**request)
            elapsed = time.perf_counter() - started
        expected = 303 if page.kind == QUIZ_SUBMIT else 200
        if response.status_code != expected:
            raise UnexpectedStatusError(
                f"{page.name}: {request['path']} answered {response.status_code}, "
                f"not {expected}")
        if number >= warmup:
            durations.append(elapsed * 1000)
            counts.append(log.count)
    return PageTiming(page.name, statistics.median(durations), percentile(durations, 95),
                      max(counts), min(counts), samples)


def _request(page: Page, fixtures: Fixtures, cookie: str | None,
             submissions: Iterator[Submission] | None) -> dict:
    if page.kind == QUIZ_SUBMIT:
        submission = next(submissions)
        return {"path": submission.path, "method": "POST", "data": submission.body,
                "content_type": "application/x-www-form-urlencoded",
                "headers": {"Cookie": submission.cookie}}
    assert page.kind == GET
    return {"path": page.url(fixtures), "method": "GET",
            "headers": {"Cookie": cookie} if cookie else {}}


def percentile(values: list[float], percent: int) -> float:
    """Nearest-rank percentile: the smallest value with `percent`% of the values at or below."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * percent // 100))
    return ordered[rank - 1]
