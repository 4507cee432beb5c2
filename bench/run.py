"""`make bench`: seed (or reuse) the benchmark database, measure every page, report.

Settings (environment):
  BENCH_DATABASE_URL  PostgreSQL to run against (its tables are dropped and reloaded when they do
                      not hold the chosen scale); SQLite under bench/.data/ when unset.
  BENCH_SCALE         small | regional | national (default small on SQLite, regional on
                      PostgreSQL); see bench/scales.py.
  BENCH_RESEED=1      reload the data even if the database already holds the chosen scale.
  BENCH_SAMPLES       requests per page for server time and SQL counts (default 50).
  BENCH_DURATION, BENCH_ROUNDS, BENCH_WARMUP   wrk seconds per run, rounds, warm-up seconds.
  BENCH_SKIP          comma-separated phases to leave out: server, throughput, export, sync.

`python -m bench --only NAMES` (comma-separated phases and/or page names from bench/pages.py)
measures only those, e.g. `--only sync` or `--only home,sign_in`; such a partial run writes
bench/results/partial.json (not committed) and leaves latest.json alone.

A whole run writes bench/results/last-run.json (not committed), so `make bench` leaves the tree
clean. `--record` (or BENCH_RECORD=1, e.g. `make bench BENCH_RECORD=1`) also updates the committed
results: bench/results/latest.json and <database>-<scale>.json.
"""

from __future__ import annotations

import argparse
import logging
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.engine import make_url

from bench import course_sync, exports, pages, quiz, report, servertime, throughput
from bench.scales import chosen_scale
from bench.sessions import session_cookie
from config import ProductionConfig
from portal import create_app
from portal import seeding as bulk
from portal.models import Organisation, User

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BENCH_DIR.parent
DATA_DIR = BENCH_DIR / ".data"
RESULTS_FILE = BENCH_DIR / "results" / "latest.json"
PARTIAL_FILE = BENCH_DIR / "results" / "partial.json"  # --only runs; ignored by git
LAST_RUN_FILE = BENCH_DIR / "results" / "last-run.json"  # whole runs; ignored by git


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


# ---- the database ----

def database_url(scale_name: str) -> str:
    url = os.environ.get("BENCH_DATABASE_URL")
    if not url:
        DATA_DIR.mkdir(exist_ok=True)
        return f"sqlite:///{DATA_DIR / f'{scale_name}.sqlite'}"
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        raise SystemExit("BENCH_DATABASE_URL must be a PostgreSQL URL.")
    return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)


def holds_scale(url: str, scale: bulk.Scale) -> bool:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            organisations = connection.scalar(sa.select(sa.func.count(Organisation.id)))
            people = connection.scalar(sa.select(sa.func.count(User.id)).where(
                User.email.like(f"%@{bulk.SCALE_DOMAIN}")))
    except sa.exc.DBAPIError:
        return False
    finally:
        engine.dispose()
    return organisations == scale.organisations and people == scale.people + 1


def reset_database(url: str) -> None:
    if url.startswith("sqlite"):
        path = Path(make_url(url).database)
        for extra in ("", "-wal", "-shm"):
            Path(f"{path}{extra}").unlink(missing_ok=True)
        return
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.exec_driver_sql("DROP SCHEMA public CASCADE")
        connection.exec_driver_sql("CREATE SCHEMA public")
    engine.dispose()


def flask_command(url: str, *args: str) -> str:
    completed = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "portal", *args], cwd=PROJECT_DIR,
        env={**os.environ, "DATABASE_URL": url, "PORTAL_ENV": "development"},
        capture_output=True, text=True)
    if completed.returncode != 0:
        raise SystemExit(f"flask {' '.join(args)} failed:\n{completed.stdout}{completed.stderr}")
    return completed.stdout


def prepare_database(url: str, scale: bulk.Scale) -> float | None:
    """Seconds taken by seed-scale, or None when the data was already there."""
    if not os.environ.get("BENCH_RESEED") and holds_scale(url, scale):
        log("Reusing the seeded database (BENCH_RESEED=1 reloads it).")
        return None
    log(f"Loading {scale.organisations:,} organisations, {scale.people:,} people, "
        f"{scale.attempts:,} attempts...")
    reset_database(url)
    flask_command(url, "db", "upgrade")
    flask_command(url, "courses", "sync")
    started = time.perf_counter()
    output = flask_command(url, "seed-scale", "--organisations", str(scale.organisations),
                           "--people", str(scale.people), "--attempts", str(scale.attempts))
    seconds = time.perf_counter() - started
    log(output.strip().splitlines()[0])
    return seconds


# ---- the portal, configured as in production ----

def server_env(url: str) -> dict[str, str]:
    return {"PORTAL_ENV": "production", "DATABASE_URL": url,
            "SECRET_KEY": os.environ.get("BENCH_SECRET_KEY") or secrets.token_urlsafe(48),
            "TRUSTED_HOSTS": "127.0.0.1,localhost", "RATELIMIT_STORAGE_URI": "memory://",
            # The benchmark measures pages, not the limiter (its sessions are signed directly,
            # bench/sessions.py), and needs no Redis: the opt-out production otherwise refuses.
            "RATELIMIT_SINGLE_PROCESS": "true", "MAIL_BACKEND": "console",
            # The coordinator dashboard is measured worked out on every view (issue 22).
            "DASHBOARD_CACHE_SECONDS": "0"}


def portal_app() -> Flask:
    config = ProductionConfig()  # read when config.py was imported, before server_env was set
    config.DASHBOARD_CACHE_SECONDS = 0  # figures worked out on every view, as under gunicorn
    app = create_app(config)
    logging.getLogger().setLevel(logging.WARNING)
    return app


def course_sync_app(url: str, courses_dir: Path) -> Flask:
    config = ProductionConfig()
    config.DATABASE_URL, config.COURSES_DIR = url, courses_dir
    app = create_app(config)
    logging.getLogger().setLevel(logging.WARNING)
    return app


# ---- quiz submissions on demand ----

class SubmissionPool:
    """Prepared quiz submissions, topped up so a load run never runs out."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.prepared: list[quiz.Submission] = []
        # Submissions per second to prepare for: far above today's portal; a run that uses them
        # all is reported as a problem (raise BENCH_QUIZ_RATE then).
        self.rate = float(os.environ.get("BENCH_QUIZ_RATE", "1000"))
        self.in_file: list[quiz.Submission] = []
        self.exhausted = False  # a wrk run submitted every attempt it was given

    def fresh(self, needed: int) -> list[quiz.Submission]:
        with self.app.extensions["portal.sessionmaker"]() as session:
            available = quiz.still_open(session, self.prepared)
            if len(available) < needed:
                available += quiz.prepare_submissions(self.app, session, needed - len(available),
                                                      seed=len(self.prepared) + 1)
        self.prepared = available
        return available

    def iterate(self, count: int) -> Iterator[quiz.Submission]:
        return iter(self.fresh(count))

    def request_file(self) -> Path:
        """A file of submissions for one wrk run; notes if the previous run used them all up."""
        self.check_not_exhausted()
        needed = int(self.rate * (throughput.duration() + 2) * 1.5) + 200
        self.in_file = self.fresh(needed)
        path = DATA_DIR / "quiz-requests.tsv"
        with path.open("w", encoding="utf-8") as file:
            for submission in self.in_file:
                file.write(f"{submission.path}\t{submission.cookie}\t{submission.body}\n")
        return path

    def check_not_exhausted(self) -> None:
        with self.app.extensions["portal.sessionmaker"]() as session:
            if self.in_file and not quiz.still_open(session, self.in_file):
                self.exhausted = True

    def discard(self) -> None:
        """Delete the prepared attempts nobody submitted, so runs do not pile them up."""
        with self.app.extensions["portal.sessionmaker"]() as session:
            ids = [s.attempt_id for s in quiz.still_open(session, self.prepared)]
            for start in range(0, len(ids), 5_000):
                session.execute(sa.delete(quiz.QuizAttempt).where(
                    quiz.QuizAttempt.id.in_(ids[start:start + 5_000])))
            session.commit()


# ---- the phases ----

def cookies_for(app: Flask) -> dict[str, str]:
    with app.extensions["portal.sessionmaker"]() as session:
        return {role: session_cookie(app, pages.principal(session, role))[0]
                for role in pages.EMAILS}


PHASES = ("server", "throughput", "export", "sync")


def chosen(only: set[str] | None) -> tuple[set[str], list[pages.Page]]:
    """The phases to run and the pages to measure, given `--only` (None: everything)."""
    skip = set(filter(None, os.environ.get("BENCH_SKIP", "").split(",")))
    if not only:
        return set(PHASES) - skip, list(pages.PAGES)
    names = {page.name for page in pages.PAGES}
    unknown = only - names - set(PHASES)
    if unknown:
        raise SystemExit(f"--only: unknown {', '.join(sorted(unknown))}; choose phases "
                         f"({', '.join(PHASES)}) or pages ({', '.join(sorted(names))}).")
    named_pages = [page for page in pages.PAGES if page.name in only]
    phases = only & set(PHASES)
    if named_pages and not phases & {"server", "throughput"}:
        phases |= {"server", "throughput"}  # pages alone: both page measurements
    return phases - skip, named_pages or list(pages.PAGES)


def measure_server_time(app: Flask, fixtures: pages.Fixtures, pool: SubmissionPool,
                        results: report.Results, chosen_pages: list[pages.Page]) -> None:
    samples = int(os.environ.get("BENCH_SAMPLES", "50"))
    cookies = cookies_for(app)
    for page in chosen_pages:
        submissions = pool.iterate(samples + 5) if page.kind == pages.QUIZ_SUBMIT else None
        timing = servertime.measure_page(app, page, fixtures, cookies.get(page.user),
                                         submissions, samples=samples)
        results.server[page.name] = timing
        log(f"server time {page.name}: p50 {timing.p50_ms:.1f} ms, p95 {timing.p95_ms:.1f} ms, "
            f"{timing.statements} statements")


def measure_throughput(app: Flask, fixtures: pages.Fixtures, pool: SubmissionPool,
                       env: dict[str, str], results: report.Results,
                       chosen_pages: list[pages.Page]) -> None:
    if not throughput.wrk_available():
        log("wrk is not installed (make bench installs it): throughput skipped.")
        results.notes.append("wrk missing: no throughput figures")
        return
    portal = throughput.Server("portal", "portal:create_app()", env, DATA_DIR)
    hello = throughput.Server("hello", "bench.hello:app", {}, DATA_DIR)
    try:
        cookies = cookies_for(app)  # fresh: the idle limit is 30 minutes
        for page in chosen_pages:
            if not page.throughput:
                continue
            if page.kind == pages.QUIZ_SUBMIT:
                comparison = _quiz_throughput(hello, portal, pool)
            elif page.name == "your_training" and env["DATABASE_URL"].startswith("postgresql"):
                comparison = _with_floor(hello, portal, env, page.url(fixtures),
                                         cookies.get(page.user))
            else:
                comparison = throughput.compare_get(hello, portal, page.url(fixtures),
                                                    cookies.get(page.user))
            _record(results, page.name, comparison)
    finally:
        portal.stop()
        hello.stop()


def _record(results: report.Results, name: str, comparison: throughput.Comparison) -> None:
    results.throughput[name] = comparison
    figures = comparison.as_json()
    floor = (f", {_shown(comparison.floor_ratio)} of its floor ({figures['floor_rps']} req/s)"
             if comparison.floor else "")
    log(f"throughput {name}: ratio {_shown(comparison.ratio)} ({figures['portal_rps']} / "
        f"{figures['hello_rps']} req/s, load {figures['load']}){floor} "
        f"{'; '.join(comparison.problems)}")


def _with_floor(hello: throughput.Server, portal: throughput.Server, env: dict[str, str],
                path: str, cookie: str | None) -> throughput.Comparison:
    """Your training with its floor (bench/floor.py) loaded in the same rounds: hello world,
    the portal, the floor, each round, so the page's share of the floor compares figures taken
    moments apart. PostgreSQL only: the floor's query is written for it."""
    floor = throughput.Server("floor", "bench.floor:create_app()", env, DATA_DIR)
    try:
        return throughput.compare_get(hello, portal, path, cookie, floor=floor)
    finally:
        floor.stop()


def _quiz_throughput(hello: throughput.Server, portal: throughput.Server,
                     pool: SubmissionPool) -> throughput.Comparison:
    first = pool.fresh(1)[0]
    status = throughput.request(portal.url, "POST", first.path, {
        "Cookie": first.cookie, "Content-Type": "application/x-www-form-urlencoded"}, first.body)
    if status != 303:
        comparison = throughput.Comparison()
        comparison.problems.append(f"quiz submission answered {status}, not 303")
        return comparison

    def next_file() -> Path:
        return pool.request_file()

    comparison = throughput.compare_script(hello, portal, next_file)
    pool.check_not_exhausted()
    if pool.exhausted:
        comparison.problems.append("prepared attempts ran out: some requests resubmitted")
    return comparison


def _shown(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--only", help="comma-separated phases (server, throughput, export, "
                                       "sync) and/or page names to measure; the rest is skipped")
    parser.add_argument("--record", action="store_true",
                        default=os.environ.get("BENCH_RECORD") == "1",
                        help="also update the committed results (latest.json and "
                             "<database>-<scale>.json); otherwise only last-run.json is written")
    arguments = parser.parse_args(argv)
    only = set(filter(None, (arguments.only or "").split(","))) or None
    phases, chosen_pages = chosen(only)
    started = time.perf_counter()
    postgres = bool(os.environ.get("BENCH_DATABASE_URL"))
    scale_name, scale = chosen_scale(postgres)
    url = database_url(scale_name)
    results = report.Results(scale_name=scale_name, scale=scale,
                             database="postgresql" if postgres else "sqlite")
    results.seed_seconds = prepare_database(url, scale)
    env = server_env(url)
    os.environ.update(env)
    app = portal_app()
    with app.extensions["portal.sessionmaker"]() as session:
        fixtures = pages.load_fixtures(session)
    pool = SubmissionPool(app)
    try:
        if "server" in phases:
            measure_server_time(app, fixtures, pool, results, chosen_pages)
        if "throughput" in phases:
            measure_throughput(app, fixtures, pool, env, results, chosen_pages)
    finally:
        pool.discard()
    if "export" in phases:
        for name in exports.REQUIRED:
            results.exports[name] = exports.measure_in_subprocess(name, env)
            log(f"export {name}: {results.exports[name]}")
    if "sync" in phases:
        results.course_sync = course_sync.measure(course_sync_app, url)
        log(f"course sync: {results.course_sync}")
    results.seconds = time.perf_counter() - started
    write_results(results, scale_name, only, record=arguments.record)


def write_results(results: report.Results, scale_name: str, only: set[str] | None, *,
                  record: bool) -> None:
    if only:
        results.notes.append(f"partial run: --only {','.join(sorted(only))}")
        written = [PARTIAL_FILE]
    elif record:
        written = [RESULTS_FILE, RESULTS_FILE.with_name(f"{results.database}-{scale_name}.json")]
    else:
        written = [LAST_RUN_FILE]
    for path in written:
        report.write(results, path)
    print(report.table(results))
    log(f"Wrote {' and '.join(str(path.relative_to(PROJECT_DIR)) for path in written)}.")


if __name__ == "__main__":
    main()
