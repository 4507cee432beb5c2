"""The floor for "Your training": the same page from one hand-written query and plain Jinja.

Served by gunicorn with the same settings as the portal and hello world (bench/throughput.py),
reading the same signed session cookie, it answers GET /training with the HTML the portal
sends for that person (tests/bench/test_floor.py checks the two match) and the same security
headers, but does only what that page cannot do without:

- check the session cookie's signature (Flask's own session interface, same SECRET_KEY and
  cookie name) and read the person's id and session version from it;
- run ONE SQL statement (PostgreSQL, autocommit, so no BEGIN or ROLLBACK round trips) that
  checks the account is active and the session version matches, and returns the person's
  courses, modules, latest passes, started modules, current certificates and assignments;
- work out the statuses in a few lines of Python (the portal's rules, written out again here);
- render a plain Jinja template (bench/templates/floor_your_training.html), with a CSP nonce
  and a signed CSRF token as the portal makes them.

It leaves out, on purpose, what a real page must also do: the ORM, Flask-Login, the session
clock (re-signing the cookie), rate limits, audit and error handling. The ratio
`your_training / floor` in the results says how close the portal comes to this floor.
"""

from __future__ import annotations

import os
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Flask, Response, redirect, session
from itsdangerous import URLSafeTimedSerializer
from jinja2 import Environment, FileSystemLoader, select_autoescape

TEMPLATES = Path(__file__).resolve().parent / "templates"
LONDON = ZoneInfo("Europe/London")
COOKIE_NAME = "__Host-session"  # config.ProductionConfig.SESSION_COOKIE_NAME
IDLE_SECONDS, ABSOLUTE_SECONDS = 30 * 60, 12 * 60 * 60  # a champion's limits (config.py)

# One statement: a row for the person (kind 'u'), one per module of each course for their
# current roles ('m'), one per pending assignment in an organisation where they are a member
# ('a'). Statuses' inputs come worked out: the latest pass and whether it has lapsed, whether
# any attempt was started, the course's current certificate and the earliest due dates.
QUERY = """
WITH me AS (
  SELECT id, is_coordinator FROM user_account
  WHERE id = %(user_id)s AND is_active AND session_version = %(version)s
), roles AS (
  SELECT m.role FROM membership m JOIN me ON m.user_id = me.id WHERE m.withdrawn_at IS NULL
), courses AS (
  SELECT c.id, c.title, c.refresher_months FROM course c
  WHERE c.retired_at IS NULL AND EXISTS (SELECT 1 FROM me) AND (
        c.audience = 'all' OR c.audience IN (SELECT role FROM roles)
        OR (SELECT is_coordinator FROM me))
), due AS (
  SELECT a.course_id, a.module_id, min(a.due_on) AS due_on
  FROM assignment a JOIN me ON a.user_id = me.id
  WHERE a.cancelled_at IS NULL AND a.completed_at IS NULL GROUP BY a.course_id, a.module_id
), passes AS (
  SELECT DISTINCT ON (mc.module_id) mc.module_id, mc.version, mc.completed_at
  FROM module_completion mc JOIN me ON mc.user_id = me.id
  ORDER BY mc.module_id, mc.completed_at DESC
), started AS (
  SELECT DISTINCT qa.module_id FROM quiz_attempt qa JOIN me ON qa.user_id = me.id
), certificates AS (
  SELECT DISTINCT ON (ce.course_id) ce.course_id, ce.id, ce.expires_at
  FROM certificate ce JOIN me ON ce.user_id = me.id
  WHERE ce.revoked_at IS NULL AND (ce.expires_at IS NULL OR ce.expires_at > now())
  ORDER BY ce.course_id, ce.issued_at DESC
)
SELECT 'u' AS kind, NULL::int AS course_id, NULL AS course_title, NULL::int AS module_id,
       NULL AS title, NULL::int AS position, NULL::boolean AS passed, NULL::boolean AS stale,
       NULL::boolean AS started, NULL::date AS due_on, NULL::date AS course_due,
       NULL::int AS certificate_id, NULL::timestamptz AS expires_at, NULL AS organisation
FROM me
UNION ALL
SELECT 'm', c.id, c.title, mo.id, v.title, mo.position, p.module_id IS NOT NULL,
       p.version < v.version OR (c.refresher_months > 0
         AND p.completed_at <= now() - make_interval(months => c.refresher_months)),
       s.module_id IS NOT NULL, md.due_on, cd.due_on, ce.id, ce.expires_at, NULL
FROM courses c JOIN module mo ON mo.course_id = c.id AND mo.retired_at IS NULL
JOIN module_version v ON v.id = mo.current_version_id
LEFT JOIN passes p ON p.module_id = mo.id LEFT JOIN started s ON s.module_id = mo.id
LEFT JOIN due md ON md.module_id = mo.id LEFT JOIN due cd ON cd.course_id = c.id
LEFT JOIN certificates ce ON ce.course_id = c.id
UNION ALL
SELECT 'a', a.course_id, NULL, a.module_id, coalesce(ac.title, av.title), a.id, NULL, NULL,
       NULL, a.due_on, NULL, NULL, NULL, o.name
FROM assignment a JOIN me ON a.user_id = me.id
JOIN membership ms ON ms.user_id = a.user_id AND ms.organisation_id = a.organisation_id
  AND ms.withdrawn_at IS NULL
JOIN organisation o ON o.id = a.organisation_id
LEFT JOIN course ac ON ac.id = a.course_id
LEFT JOIN module am ON am.id = a.module_id
LEFT JOIN module_version av ON av.id = am.current_version_id
WHERE a.cancelled_at IS NULL AND a.completed_at IS NULL
ORDER BY 1, 2, 6, 10
"""

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
    "Cache-Control": "no-store, private", "Pragma": "no-cache", "Vary": "Cookie"}
CSP = ("default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self'; "
       "img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; "
       "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


@dataclass
class Module:
    id: int
    title: str
    status: str


@dataclass
class Course:
    id: int
    title: str
    modules: list[Module]
    due_on: date | None
    certificate_id: int | None
    expires_at: datetime | None

    @property
    def passed_count(self) -> int:
        return sum(m.status == "passed" for m in self.modules)

    @property
    def is_overdue(self) -> bool:
        return any(m.status == "overdue" for m in self.modules)


def module_status(row: sa.Row, today: date) -> str:
    if row.passed and not row.stale:
        return "passed"
    due = min((d for d in (row.due_on, row.course_due) if d is not None), default=None)
    if due is not None and due < today:
        return "overdue"
    if row.passed:
        return "needs refresher"
    return "in progress" if row.started else "not started"


def assignment_status(row: sa.Row, courses: dict[int, Course], modules: dict[int, Module],
                      today: date) -> str:
    if row.module_id is not None:
        statuses = [modules[row.module_id].status] if row.module_id in modules else []
    else:
        course = courses.get(row.course_id)
        statuses = [m.status for m in course.modules] if course else []
    if statuses and all(s == "passed" for s in statuses):
        return "passed"
    if row.due_on < today:
        return "overdue"
    if "needs refresher" in statuses:
        return "needs refresher"
    return "in progress" if {"in progress", "passed"} & set(statuses) else "not started"


def where_to_continue(courses: list[Course]) -> tuple[Course, Module] | None:
    for status in ("in progress", "overdue", "needs refresher", "not started"):
        for course in courses:
            for module in course.modules:
                if module.status == status:
                    return course, module
    return None


def govuk_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(LONDON).date()
    return f"{value.day} {value:%B %Y}"


def create_app(database_url: str | None = None, secret_key: str | None = None,
               cookie_name: str = COOKIE_NAME) -> Flask:
    """The floor app; gunicorn calls it with no arguments (settings from the environment, as
    the portal's), tests with the test portal's settings."""
    app = Flask(__name__)
    app.config.update(SECRET_KEY=secret_key or os.environ["SECRET_KEY"],
                      SESSION_COOKIE_NAME=cookie_name)
    url = database_url or os.environ["DATABASE_URL"]
    if not url.startswith("postgresql"):
        raise SystemExit("The floor runs on PostgreSQL only.")
    engine = sa.create_engine(sa.make_url(url).set(drivername="postgresql+psycopg"),
                              isolation_level="AUTOCOMMIT", pool_size=8)
    jinja = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(),
                        trim_blocks=False)
    jinja.filters["govuk_date"] = govuk_date
    app.extensions["floor.engine"] = engine
    template = jinja.get_template("floor_your_training.html")
    csrf = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="wtf-csrf-token")

    @app.get("/training")
    def your_training() -> Response:
        user_id, _, version = str(session.get("_user_id", "")).partition(":")
        if not user_id.isdigit() or not version.isdigit():
            return redirect("/sign-in")
        with engine.connect() as connection:
            rows = connection.exec_driver_sql(
                QUERY, {"user_id": int(user_id), "version": int(version)}).all()
        if not any(row.kind == "u" for row in rows):
            return redirect("/sign-in")
        today = datetime.now(UTC).date()
        courses: dict[int, Course] = {}
        modules: dict[int, Module] = {}
        for row in rows:
            if row.kind == "m":
                course = courses.get(row.course_id)
                if course is None:
                    course = courses[row.course_id] = Course(
                        row.course_id, row.course_title, [], None, row.certificate_id,
                        row.expires_at)
                module = modules[row.module_id] = Module(row.module_id, row.title,
                                                         module_status(row, today))
                course.modules.append(module)
                for due in (row.due_on, row.course_due):
                    if due is not None and (course.due_on is None or due < course.due_on):
                        course.due_on = due
        assignments = [(row, assignment_status(row, courses, modules, today))
                       for row in rows if row.kind == "a"]
        now = time.time()  # the timeout warning's seconds left, as portal/security.py works it out
        seconds_left = max(0, int(min(session.get("seen", now) + IDLE_SECONDS,
                                      session.get("started", now) + ABSOLUTE_SECONDS) - now))
        nonce = secrets.token_hex(16)
        token = session.get("csrf_token")
        html = template.render(
            courses=list(courses.values()), resume=where_to_continue(list(courses.values())),
            assignments=assignments, seconds_left=seconds_left, nonce=nonce,
            csrf_token=csrf.dumps(token) if token else "")
        response = Response(html, headers=SECURITY_HEADERS)
        response.headers["Content-Security-Policy"] = CSP.format(nonce=nonce)
        return response

    return app
