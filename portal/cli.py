"""Command-line tasks: `flask --app portal <command>`."""

from __future__ import annotations

import logging
import secrets
import signal
import time
from datetime import timedelta
from pathlib import Path

import click
from alembic import command as alembic_command
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from portal import clock
from portal.courses import check_path, load_catalogue
from portal.db import get_engine, get_settings, is_unavailable, new_session
from portal.mail import send_due_messages
from portal.migrations import MIGRATIONS_DIR, alembic_config
from portal.models import (
    Assignment,
    AttemptStatus,
    Borough,
    CommitmentSignature,
    Course,
    ElementStatus,
    Membership,
    Module,
    Organisation,
    OrgRole,
    QuizAttempt,
    SchemeStatus,
    Sector,
    Site,
    User,
    utcnow,
)
from portal.services import two_factor
from portal.services.accounts import normalise_email
from portal.services.assignments import (
    assign,
    assign_required_courses,
    assign_required_for_organisation,
    catch_up_required_assignments,
)
from portal.services.audit import record_event
from portal.services.catalogue import stored_versions, sync_catalogue
from portal.services.commitments import current_commitment
from portal.services.directory import (
    DATA_FILE,
    DirectoryFileError,
    load_directory,
    read_directory,
)
from portal.services.organisations import add_months, lapse_overdue_organisations
from portal.services.policy import ElementAnswers, record_for, save_element, verify_element
from portal.services.reminders import send_reminders
from portal.services.retention import apply_retention
from portal.services.schedule import DailyTimer, run_daily_jobs
from portal.services.tiers import refresh_all_tiers, refresh_tier
from portal.services.training import record_completion

log = logging.getLogger(__name__)

DEMO_PASSWORD = "demo-password-for-local-use-only"  # noqa: S105 - local demos only  # nosec B105
# The demo coordinator's authenticator key: public, like the password, and only for local demos.
DEMO_COORDINATOR = "coordinator@example.org"
DEMO_TOTP_SECRET = "DEMOCOORDINATORKEYLOCALUSEONLY22"  # noqa: S105 - local demos  # nosec B105
DEMO_ORGANISATIONS = {
    "Mersey Ferries Trading Ltd": ("Hannah Reid", ["Sam Patel", "Jo Murphy"]),
    "Knowsley Community Bakery": ("Omar Haddad", ["Łucja Nowak-Öztürk", "Chris Doyle"]),
}

# Sector, registered number, public listing and sites (name, borough, headcount) of each.
DEMO_MEMBERSHIP = {
    "Mersey Ferries Trading Ltd": (Sector.PRIVATE, "01234567", True,
                                   [("Pier Head terminal", Borough.LIVERPOOL, 180),
                                    ("Seacombe terminal", Borough.WIRRAL, 60)]),
    "Knowsley Community Bakery": (Sector.VOLUNTARY, "1123456", False,
                                  [("Bakery and shop", Borough.KNOWSLEY, 35)]),
}


def register_commands(app: Flask) -> None:
    app.cli.add_command(db_group)
    app.cli.add_command(seed_demo)
    app.cli.add_command(create_coordinator)
    app.cli.add_command(reset_two_factor)
    app.cli.add_command(demo_code)
    app.cli.add_command(worker)
    app.cli.add_command(courses_group)
    app.cli.add_command(directory_group)
    app.cli.add_command(lapse_memberships)
    app.cli.add_command(retention_group)
    app.cli.add_command(tiers_group)
    app.cli.add_command(seed_scale_command)
    app.cli.add_command(reminders_group)


@click.group("db", cls=AppGroup, help="Database schema (Alembic migrations).")
def db_group() -> None:
    pass


@db_group.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Migrate the database up to REVISION (default: the newest)."""
    alembic_command.upgrade(alembic_config(current_app.config["DATABASE_URL"]), revision)


@db_group.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Migrate the database down to REVISION (e.g. -1)."""
    alembic_command.downgrade(alembic_config(current_app.config["DATABASE_URL"]), revision)


@db_group.command("revision")
@click.option("-m", "--message", required=True)
def db_revision(message: str) -> None:
    """Write a new migration from the difference between the models and the database."""
    config = alembic_config(current_app.config["DATABASE_URL"])
    existing = list((MIGRATIONS_DIR / "versions").glob("[0-9][0-9][0-9][0-9]_*.py"))
    alembic_command.revision(config, message=message, autogenerate=True,
                             rev_id=f"{len(existing) + 1:04d}")


@click.command("seed-demo")
@with_appcontext
def seed_demo() -> None:
    """Load demo people and organisations for trying the portal locally (never in production)."""
    if not current_app.config["DEMO_DATA_ALLOWED"]:
        raise click.ClickException("Demo data is not allowed in production.")
    passwords = current_app.extensions["portal.passwords"]
    with new_session() as session, session.begin():
        if session.scalar(select(User).where(User.email == DEMO_COORDINATOR)):
            click.echo("Demo data is already loaded.")
        else:
            _load_demo(session, passwords.hash(DEMO_PASSWORD))
        _complete_demo_memberships(session)
        _enrol_demo_coordinator(session)
        _demo_training(session)
        _seed_demo_policy(session)
    _print_demo_sign_ins()


def _load_demo(session: Session, password_hash: str) -> None:
    now = utcnow()
    session.add(User(email=DEMO_COORDINATOR, full_name="Dana Coordinator",
                     is_coordinator=True, password_hash=password_hash, exit_explained_at=now))
    for number, (org_name, (hr_name, champions)) in enumerate(DEMO_ORGANISATIONS.items(), 1):
        organisation = Organisation(name=org_name, scheme_status=SchemeStatus.APPROVED,
                                    champion_contact=f"Email champions{number}@example.org "
                                                     "or search 'Champions' on the intranet")
        session.add(organisation)
        people = [(hr_name, f"hr{number}@example.org", OrgRole.HR_LEAD)]
        people += [(name, f"champion{number}{i}@example.org", OrgRole.CHAMPION)
                   for i, name in enumerate(champions, 1)]
        for full_name, email, role in people:
            user = User(email=email, full_name=full_name, password_hash=password_hash)
            session.add(Membership(user=user, organisation=organisation, role=role))


def _complete_demo_memberships(session: Session) -> None:
    """Give the demo organisations their sites, sector and signed commitment, once."""
    now = utcnow()
    for name, (sector, number, listed, sites) in DEMO_MEMBERSHIP.items():
        organisation = session.scalar(select(Organisation).where(Organisation.name == name))
        if organisation is None or organisation.sites:
            continue
        organisation.sector, organisation.registered_number = sector, number
        organisation.listed_publicly = listed
        organisation.submitted_at = organisation.approved_at = now
        organisation.renewal_due_on = add_months(now.date(), current_app.config["RENEWAL_MONTHS"])
        for site_name, borough, headcount in sites:
            session.add(Site(organisation=organisation, name=site_name, borough=borough,
                             headcount=headcount))
        _sign_and_place_demo_people(session, organisation, now)


def _sign_and_place_demo_people(session: Session, organisation: Organisation, now: object) -> None:
    session.flush()
    hr_lead = next(m.user for m in organisation.memberships if m.role == OrgRole.HR_LEAD)
    session.add(CommitmentSignature(organisation=organisation, version=current_commitment().version,
                                    signed_by=hr_lead, signatory_name=hr_lead.full_name,
                                    signatory_job_title="Head of People", signed_at=now))
    for index, membership in enumerate(organisation.memberships):
        membership.user.email_verified_at = membership.user.email_verified_at or now
        if membership.role == OrgRole.CHAMPION:
            membership.site = organisation.sites[index % len(organisation.sites)]


# The first demo organisation's policy: some elements in place, one of them verified.
DEMO_POLICY = [
    ("written_policy", ElementStatus.IN_PLACE, 120,
     "Policy approved by the board on the date shown; minute 14/3 records the decision.", True),
    ("staff_informed", ElementStatus.IN_PLACE, 90,
     "Intranet page and team briefing for every terminal; added to the induction programme.",
     False),
    ("named_champions", ElementStatus.IN_PROGRESS, None, None, False),
    ("review_date", ElementStatus.IN_PLACE, 120,
     "The policy's front page sets the review for two years after approval.", False),
]


def _seed_demo_policy(session: Session) -> None:
    """Record the demo policy once, through the same service HR leads and coordinators use."""
    organisation = session.scalar(select(Organisation).where(
        Organisation.name == next(iter(DEMO_ORGANISATIONS))))
    if organisation is None or record_for(session, organisation, DEMO_POLICY[0][0]):
        return
    hr_lead = next(m.user for m in organisation.memberships if m.role == OrgRole.HR_LEAD)
    coordinator = session.scalar(select(User).where(User.email == "coordinator@example.org"))
    now = utcnow()
    for key, status, days_ago, note, verified in DEMO_POLICY:
        in_place_on = (now - timedelta(days=days_ago)).date() if days_ago else None
        review_on = add_months(in_place_on, 24) if in_place_on else None
        result = save_element(session, organisation, key,
                              ElementAnswers(status, in_place_on, review_on, note),
                              version=0, actor=hr_lead, now=now)
        if verified and coordinator is not None:
            verify_element(session, result.record, version=result.record.version,
                           actor=coordinator, now=now)
    for other in session.scalars(select(Organisation).where(
            Organisation.name.in_(list(DEMO_ORGANISATIONS)))):
        refresh_tier(session, other, now)


def _demo_training(session: Session) -> None:
    """The courses, and the first demo organisation's assignments: some overdue, some due soon,
    one set by its HR lead, and a champion part-way through. Once only."""
    if session.scalar(select(Course.id).limit(1)) is None:
        catalogue, errors = load_catalogue(current_app.config["COURSES_DIR"])
        if errors:
            return
        sync_catalogue(session, catalogue)
    organisation = session.scalar(select(Organisation).where(
        Organisation.name == next(iter(DEMO_ORGANISATIONS))))
    if organisation is None or session.scalar(select(Assignment.id).where(
            Assignment.organisation_id == organisation.id).limit(1)) is not None:
        return
    today = clock.today()
    people = {m.user.email: m for m in organisation.memberships}
    # Joined 40, 25 and 10 days ago: required training overdue, due in 5 days, due in 20.
    for email, days_ago in (("champion11@example.org", 40), ("champion12@example.org", 25),
                            ("hr1@example.org", 10)):
        assign_required_courses(session, people[email], today=today - timedelta(days=days_ago))
    course = session.scalar(select(Course).where(Course.key == "champion-essentials"))
    if course is None or len(course.modules) < 5:
        return
    jo = people["champion12@example.org"]
    for module in course.modules[:3]:
        _demo_pass(session, jo.user_id, module)
    assign(session, organisation, [jo], actor=people["hr1@example.org"].user,
           module=course.modules[4], due_on=today + timedelta(days=14), today=today)
    for other in DEMO_MEMBERSHIP:  # the other organisation: as joining would leave it
        org = session.scalar(select(Organisation).where(Organisation.name == other))
        if org is not None and org is not organisation:
            assign_required_for_organisation(session, org)


def _demo_pass(session: Session, user_id: int, module: Module) -> None:
    now = utcnow()
    attempt = QuizAttempt(user_id=user_id, module_id=module.id,
                          module_version_id=module.current_version_id, drawn=[],
                          status=AttemptStatus.SUBMITTED, score=100, passed=True,
                          started_at=now, submitted_at=now)
    session.add(attempt)
    session.flush()
    record_completion(session, attempt, now)


def _enrol_demo_coordinator(session: Session) -> None:
    """The demo coordinator's two-factor sign-in uses a fixed, printed key (never in production)."""
    coordinator = session.scalar(select(User).where(User.email == DEMO_COORDINATOR))
    if coordinator is not None and not coordinator.has_two_factor:
        coordinator.totp_secret = DEMO_TOTP_SECRET
        coordinator.totp_confirmed_at = utcnow()


def _print_demo_sign_ins() -> None:
    click.echo(f"\nDemo sign-ins (password for all: {DEMO_PASSWORD}):")
    click.echo(f"  {DEMO_COORDINATOR:<26} scheme coordinator, who also needs a code:")
    click.echo(f"  {'':<26} run `flask --app portal demo-code`, or add the key")
    click.echo(f"  {'':<26} {two_factor.grouped(DEMO_TOTP_SECRET)} to an authenticator app")
    for number, (org_name, (_hr, champions)) in enumerate(DEMO_ORGANISATIONS.items(), 1):
        click.echo(f"  {f'hr{number}@example.org':<26} HR lead, {org_name}")
        for i in range(1, len(champions) + 1):
            click.echo(f"  {f'champion{number}{i}@example.org':<26} champion, {org_name}")


@click.command("create-coordinator")
@with_appcontext
@click.argument("email")
@click.option("--name", default="Scheme coordinator", help="The coordinator's full name.")
def create_coordinator(email: str, name: str) -> None:
    """Create a coordinator account with a one-time random password to change at first sign-in."""
    email = normalise_email(email)
    if "@" not in email or any(ch in email for ch in "\r\n "):
        raise click.BadParameter("Enter an email address like name@example.org", param_hint="EMAIL")
    passwords = current_app.extensions["portal.passwords"]
    temporary = secrets.token_urlsafe(18)
    with new_session() as session, session.begin():
        if session.scalar(select(User).where(User.email == email)):
            raise click.ClickException(f"An account for {email} already exists.")
        session.add(User(email=email, full_name=name, is_coordinator=True,
                         password_hash=passwords.hash(temporary), password_change_required=True))
    click.echo(f"Created coordinator {email}. They set up two-factor sign-in with an "
               "authenticator app when they first sign in.")
    click.echo("One-time password (they must choose their own at first sign-in, after setting "
               "up the app, before they can see anything else):")
    click.echo(temporary)


@click.command("reset-two-factor")
@with_appcontext
@click.argument("email")
def reset_two_factor(email: str) -> None:
    """Turn off a coordinator's two-factor sign-in (lost phone and no recovery codes left).

    Check who is asking first, as carefully as when the account was created: they set up a new
    app at their next sign-in. Their sessions end, and the reset is audited.
    """
    with new_session() as session, session.begin():
        user = session.scalar(select(User).where(User.email == normalise_email(email)))
        if user is None or not user.is_coordinator:
            raise click.ClickException(f"There is no coordinator account for {email}.")
        two_factor.reset(session, user)
        record_event(session, "two_factor.reset", target=user, details={"via": "cli"})
        address = user.email
    click.echo(f"Two-factor sign-in is reset for {address}. They set up their authenticator "
               "app again at their next sign-in.")


@click.command("demo-code")
@with_appcontext
def demo_code() -> None:
    """Print the demo coordinator's current sign-in code (local demo data only)."""
    if not current_app.config["DEMO_DATA_ALLOWED"]:
        raise click.ClickException("Demo data is not allowed in production.")
    code = two_factor.code_at(DEMO_TOTP_SECRET, two_factor.current_step())
    click.echo(f"Code for {DEMO_COORDINATOR}: {code} (changes every "
               f"{two_factor.STEP_SECONDS} seconds; each code works once)")


@click.command("worker")
@with_appcontext
@click.option("--once", is_flag=True, help="Run the daily jobs and one sending pass, and exit.")
def worker(once: bool) -> None:
    """Send queued e-mail and run the daily jobs (reminders, lapsing) until stopped."""
    stopping = {"now": False}

    def stop(*_args: object) -> None:
        stopping["now"] = True  # finish the message in hand, then leave

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    poll = current_app.config["WORKER_POLL_SECONDS"]
    timer = DailyTimer(current_app.config["DAILY_JOBS_HOUR"])
    while True:
        pause = poll
        try:
            if once or timer.is_due(utcnow()):
                _run_daily_jobs(timer)
            with new_session() as session:
                sent = send_due_messages(session)
        except SQLAlchemyError as error:
            # The database is down or restarting: wait and try again rather than exit (REL-08).
            # A message sent but not yet marked stays claimed and is sent again after
            # MAIL_CLAIM_TIMEOUT (documented at-least-once, REL-06).
            if once or not is_unavailable(error):
                raise
            log.warning("worker.database_unavailable", extra={"error": type(error).__name__})
            sent, pause = 0, max(poll, 1)
        if sent:
            click.echo(f"Sent {sent} message(s).")
        if once or stopping["now"]:
            return
        time.sleep(pause)


def _run_daily_jobs(timer: DailyTimer) -> None:
    """One run of the daily jobs; a failure is logged and retried later, never fatal."""
    now = utcnow()
    try:
        with new_session() as session:
            report = run_daily_jobs(session, now.date(), now)
    except Exception:
        log.exception("schedule.failed")
        timer.failed(now)
        return
    timer.succeeded(now)
    if report.ran:
        click.echo(f"Daily jobs: {report.lapsed} lapsed, {report.tiers_changed} tier(s) changed, "
                   f"{report.assigned} assigned, {report.digests} reminder e-mail(s) queued.")


@click.group("courses", cls=AppGroup, help="Training content in courses/.")
def courses_group() -> None:
    pass


@courses_group.command("check")
@click.argument("path", required=False, type=click.Path(exists=True, path_type=Path))
def courses_check(path: Path | None) -> None:
    """List every problem in the courses (or one course folder or module file)."""
    errors = check_path(path or current_app.config["COURSES_DIR"])
    for error in errors:
        click.echo(str(error))
    if errors:
        raise click.ClickException(f"{len(errors)} problem(s) found.")
    click.echo("No problems found.")


@courses_group.command("sync")
def courses_sync() -> None:
    """Store the courses in the database: a new version row only when content changes."""
    with new_session() as session, session.begin():
        # Versions stored already are checked but not rendered again: that is most of the time.
        stored = stored_versions(session)
        catalogue, errors = load_catalogue(current_app.config["COURSES_DIR"], stored=stored)
        if errors:
            for error in errors:
                click.echo(str(error))
            raise click.ClickException("Fix these problems first; nothing was changed.")
        report = sync_catalogue(session, catalogue, stored)
        # A course that has just become required reaches current members now, not tomorrow.
        assigned = catch_up_required_assignments(session, today=clock.today())
    click.echo(f"Courses synced: {len(report.created)} new, {len(report.new_versions)} "
               f"changed, {len(report.unchanged)} unchanged, {len(report.retired)} retired.")
    if assigned:
        click.echo(f"Required training assigned to members who lacked it: {assigned}.")


@courses_group.command("import-gift")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the <quiz> blocks to this file instead of the screen.")
@click.option("--strict", is_flag=True,
              help="Fail, writing nothing, if any question cannot be imported.")
def courses_import_gift(file: Path, output: Path | None, strict: bool) -> None:
    """Turn a Moodle GIFT question bank into <quiz> blocks, reporting questions left out."""
    from portal.courses.gift import GiftError, import_gift

    try:
        result = import_gift(file)
    except GiftError as error:
        for line, reason in error.problems:
            click.echo(f"{file}:{line}: {reason}", err=True)
        raise click.ClickException("No question could be imported; nothing was written.") \
            from error
    # The report goes to stderr, in file order, so the blocks alone can be piped from stdout.
    report = [(skip.line, f"skipped {skip.kind} question: {skip.reason}")
              for skip in result.skipped]
    report += [(note.line, f"note: {note.text}") for note in result.notes]
    for line, message in sorted(report, key=lambda item: item[0]):
        click.echo(f"{file}:{line}: {message}", err=True)
    if strict and result.skipped:
        raise click.ClickException(f"--strict: {len(result.skipped)} question(s) could not be "
                                   "imported; nothing was written.")
    if output is None:
        click.echo(result.markdown, nl=False)
    else:
        output.write_text(result.markdown, encoding="utf-8")
    click.echo(f"Imported {result.imported} question(s), skipped {len(result.skipped)}"
               + (f"; wrote {output}." if output else "."), err=True)


@click.group("directory", cls=AppGroup, help="The public support directory.")
def directory_group() -> None:
    pass


@directory_group.command("load")
@click.option("--file", "path", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="The data file (default: portal/data/support-services.yaml).")
def directory_load(path: Path | None) -> None:
    """Load the directory's data file: add new services, update entries the file changed.

    Every entry is checked first; if any is invalid, nothing is written.
    """
    path = _shown(path or DATA_FILE)
    try:
        entries = read_directory(path)
    except DirectoryFileError as error:
        for problem in error.problems:
            click.echo(problem, err=True)
        raise click.ClickException(
            f"Nothing was loaded. Fix the {len(error.problems)} problem(s) above.") from None
    with new_session() as session, session.begin():
        report = load_directory(session, entries)
    click.echo(f"Loaded {path}: {len(report.created)} created, {len(report.updated)} updated, "
               f"{len(report.unchanged)} unchanged.")
    for key in report.updated:
        click.echo(f"  updated: {key}")


def _shown(path: Path) -> Path:
    """The path relative to the working directory when it is inside it, for shorter messages."""
    try:
        return path.resolve().relative_to(Path.cwd())
    except ValueError:
        return path
@click.command("lapse-memberships")
@with_appcontext
def lapse_memberships() -> None:
    """Mark approved memberships whose renewal date has passed as lapsed (run daily)."""
    with new_session() as session, session.begin():
        count = lapse_overdue_organisations(session, today=clock.today())
    click.echo(f"{count} {'membership' if count == 1 else 'memberships'} lapsed.")


@click.group("retention", cls=AppGroup, help="The retention schedule for personal data.")
def retention_group() -> None:
    pass


@retention_group.command("run")
def retention_run() -> None:
    """Delete or anonymise what has been kept longer than the RETENTION setting (run daily)."""
    with new_session() as session, session.begin():
        report = apply_retention(session, utcnow())
    if report.skipped:
        click.echo("Another run of the retention schedule is in progress; nothing was done.")
        return
    for rule, count in report.counts.items():
        click.echo(f"{rule.replace('_', ' ').capitalize()}: {count}")


@click.group("tiers", cls=AppGroup, help="Organisations' tiers (Committed, Active, Established).")
def tiers_group() -> None:
    pass


@tiers_group.command("refresh")
def tiers_refresh() -> None:
    """Re-check every organisation's tier, e.g. after certificates expire (run daily)."""
    with new_session() as session, session.begin():
        count = refresh_all_tiers(session, utcnow(),
                                  target=current_app.config["COVERAGE_TARGET_PER_100_STAFF"])
    click.echo(f"{count} {'tier' if count == 1 else 'tiers'} changed.")


@click.command("seed-scale")
@with_appcontext
@click.option("--organisations", type=click.IntRange(min=2), required=True,
              help="Organisations to add (one is the benchmark organisation).")
@click.option("--people", type=click.IntRange(min=1), required=True,
              help="HR leads and champions to add, at least organisations + 500.")
@click.option("--attempts", type=click.IntRange(min=0), required=True,
              help="Quiz attempts to add, spread over the last two years.")
@click.option("--seed", type=int, default=1, show_default=True,
              help="Random seed: the same seed makes the same data.")
def seed_scale_command(organisations: int, people: int, attempts: int, seed: int) -> None:
    """Add synthetic data in bulk for benchmarks (never in production). Sync courses first."""
    from portal.services import scale as bulk

    if not current_app.config["DEMO_DATA_ALLOWED"]:
        raise click.ClickException("Synthetic data is not allowed in production.")
    password_hash = current_app.extensions["portal.passwords"].hash(bulk.SCALE_PASSWORD)
    try:
        report = bulk.seed_scale(get_engine(), bulk.Scale(organisations, people, attempts),
                                 password_hash=password_hash,
                                 commitment_version=current_commitment().version, seed=seed,
                                 coverage_target=get_settings().coverage_target_per_100_staff)
    except bulk.ScaleError as error:
        raise click.ClickException(str(error)) from None
    rows = ", ".join(f"{count:,} {table}" for table, count in report.rows.items())
    click.echo(f"Added {rows} in {report.seconds:.1f} s.")
    click.echo(f"Benchmark organisation: {report.bench_organisation_id} "
               f"({bulk.BENCH_CHAMPIONS} champions). Sign-ins (password {bulk.SCALE_PASSWORD}): "
               f"{bulk.COORDINATOR_EMAIL}, {bulk.HR_LEAD_EMAIL}, {bulk.LEARNER_EMAIL}.")
@click.group("reminders", cls=AppGroup, help="Reminder e-mails (the worker sends them daily).")
def reminders_group() -> None:
    pass


@reminders_group.command("run")
@click.option("--date", "day", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Run as if today were this date (YYYY-MM-DD); default today.")
def reminders_run(day: object) -> None:
    """Queue today's reminder digests now; running it again the same day queues nothing new."""
    today = day.date() if day is not None else clock.today()
    with new_session() as session:
        count = send_reminders(session, today=today)
    click.echo(f"{count} reminder {'e-mail' if count == 1 else 'e-mails'} queued for "
               f"{today.isoformat()}.")
