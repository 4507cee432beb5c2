"""The benchmark harness's own parts: statement counting, the page table, quiz preparation."""

from __future__ import annotations

import subprocess

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select

from bench import exports, pages, quiz, report, run, servertime
from bench.sessions import session_cookie
from bench.sqlcount import count_statements
from portal.models import AttemptStatus, QuizAttempt, User
from tests.factories import make_user

TINY = ["--organisations", "12", "--people", "540", "--attempts", "1500"]


def test_count_statements_counts_what_the_block_sends_and_stops_after(app, session) -> None:
    engine = app.extensions["portal.engine"]
    make_user(session)
    session.commit()
    with count_statements(engine) as log:
        session.scalar(select(User.id))
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
            connection.execute(sa.text("SELECT 2"))
    assert log.count == 3 and len(log) == 3
    assert "user_account" in log.statements[0] and log.statements[2] == "SELECT 2"
    session.scalar(select(User.id))
    assert log.count == 3  # the listener is gone


def test_count_statements_removes_its_listener_after_an_error(app) -> None:
    engine = app.extensions["portal.engine"]
    with pytest.raises(RuntimeError), count_statements(engine) as failed:
        raise RuntimeError
    with count_statements(engine) as log, engine.connect() as connection:
        connection.execute(sa.text("SELECT 1"))
    assert log.count == 1 and failed.count == 0


def test_percentile_is_nearest_rank() -> None:
    values = [float(n) for n in range(1, 101)]
    assert servertime.percentile(values, 50) == 50.0
    assert servertime.percentile(values, 95) == 95.0
    assert servertime.percentile([3.0], 95) == 3.0


def test_every_page_in_the_table_answers_and_is_counted(app, session) -> None:
    """The harness end to end at a tiny scale: right status codes, statements counted."""
    runner = app.test_cli_runner()
    assert runner.invoke(args=["courses", "sync"]).exit_code == 0
    assert runner.invoke(args=["seed-scale", *TINY]).exit_code == 0
    fixtures = pages.load_fixtures(session)
    prepared = quiz.prepare_submissions(app, session, 4)
    first_prepared = min(s.attempt_id for s in prepared)
    submissions = iter(prepared)
    for page in pages.PAGES:
        cookie = session_cookie(app, pages.principal(session, page.user))[0] \
            if page.user else None
        timing = servertime.measure_page(app, page, fixtures, cookie, submissions, samples=1,
                                         warmup=1)
        assert timing.samples == 1 and (timing.statements > 0 or page.user is None), page.name
    assert session.scalar(select(func.count()).select_from(QuizAttempt).where(
        QuizAttempt.status == AttemptStatus.SUBMITTED, QuizAttempt.id >= first_prepared)) == 2


def test_required_pages_without_an_entry_are_reported_as_not_built_yet(monkeypatch) -> None:
    monkeypatch.setattr(pages, "PAGES", [p for p in pages.PAGES if p.name != "hr_dashboard"])
    assert "hr_dashboard" in pages.pending()
    assert "home" not in pages.pending()
    assert report.NOT_BUILT == "not built yet"


def test_an_export_entry_streams_its_generator_and_rows_are_counted(session) -> None:
    chunks = ["name,status\n", "A,trained\nB,", "current\n", b"C,trained\n"]
    by_path = exports.Export("demo", "tests.bench.test_harness:_demo_export")
    by_callable = exports.Export("demo", lambda _session, _fixtures: iter(chunks))
    assert exports.count_rows(by_callable.stream(session, None)) == 3
    assert exports.count_rows(by_path.stream(session, None)) == 2
    assert exports.measure_in_subprocess("no-such-export", {}) == {"status": "not built yet"}


def _demo_export(_session) -> list[str]:
    return ["a,b\n", "1,2\n", "3,4\n"]


def test_a_whole_run_writes_only_a_file_git_ignores_unless_asked_to_record(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """`make bench` leaves `git status` clean; `--record` updates the committed results."""
    written: list = []
    monkeypatch.setattr(run.report, "write", lambda results, path: written.append(path))
    monkeypatch.setattr(run.report, "table", lambda results: "")
    results = run.report.Results(scale_name="small", scale=None, database="sqlite")
    run.write_results(results, "small", None, record=False)
    assert written == [run.LAST_RUN_FILE]
    ignored = subprocess.run(["git", "check-ignore", "-q", str(run.LAST_RUN_FILE)],
                             cwd=run.PROJECT_DIR, check=False)
    assert ignored.returncode == 0, "last-run.json must be ignored by git"
    written.clear()
    run.write_results(results, "small", None, record=True)
    assert written == [run.RESULTS_FILE, run.RESULTS_FILE.with_name("sqlite-small.json")]
