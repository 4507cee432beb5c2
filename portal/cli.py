"""Command-line tasks: `flask --app portal <command>`."""

from __future__ import annotations

import secrets
import signal
import time
from pathlib import Path

import click
from alembic import command as alembic_command
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.courses import check_path, load_catalogue
from portal.db import get_engine
from portal.mail import send_due_messages
from portal.migrations import MIGRATIONS_DIR, alembic_config
from portal.models import (
    Borough,
    CommitmentSignature,
    Membership,
    MembershipStatus,
    Organisation,
    OrgRole,
    Sector,
    Site,
    User,
    utcnow,
)
from portal.services.accounts import normalise_email
from portal.services.catalogue import sync_catalogue
from portal.services.commitments import current_commitment
from portal.services.directory import (
    DATA_FILE,
    DirectoryFileError,
    load_directory,
    read_directory,
)
from portal.services.organisations import add_months, lapse_overdue_memberships

DEMO_PASSWORD = "demo-password-for-local-use-only"  # noqa: S105 - printed for local demos only
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
    app.cli.add_command(worker)
    app.cli.add_command(courses_group)
    app.cli.add_command(directory_group)
    app.cli.add_command(lapse_memberships)


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
    with Session(get_engine()) as session, session.begin():
        if session.scalar(select(User).where(User.email == "coordinator@example.org")):
            click.echo("Demo data is already loaded.")
        else:
            _load_demo(session, passwords.hash(DEMO_PASSWORD))
        _complete_demo_memberships(session)
    _print_demo_sign_ins()


def _load_demo(session: Session, password_hash: str) -> None:
    now = utcnow()
    session.add(User(email="coordinator@example.org", full_name="Dana Coordinator",
                     is_coordinator=True, password_hash=password_hash, exit_explained_at=now))
    for number, (org_name, (hr_name, champions)) in enumerate(DEMO_ORGANISATIONS.items(), 1):
        organisation = Organisation(name=org_name, status=MembershipStatus.APPROVED)
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


def _print_demo_sign_ins() -> None:
    click.echo(f"\nDemo sign-ins (password for all: {DEMO_PASSWORD}):")
    click.echo(f"  {'coordinator@example.org':<26} scheme coordinator")
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
    with Session(get_engine()) as session, session.begin():
        if session.scalar(select(User).where(User.email == email)):
            raise click.ClickException(f"An account for {email} already exists.")
        session.add(User(email=email, full_name=name, is_coordinator=True,
                         password_hash=passwords.hash(temporary)))
    click.echo(f"Created coordinator {email}. One-time password (change it after signing in):")
    click.echo(temporary)


@click.command("worker")
@with_appcontext
@click.option("--once", is_flag=True, help="Run one pass and exit.")
def worker(once: bool) -> None:
    """Send queued e-mail (and, later, run scheduled jobs) until stopped."""
    stopping = {"now": False}

    def stop(*_args: object) -> None:
        stopping["now"] = True  # finish the message in hand, then leave

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    poll = current_app.config["WORKER_POLL_SECONDS"]
    while True:
        with Session(get_engine()) as session:
            sent = send_due_messages(session)
        if sent:
            click.echo(f"Sent {sent} message(s).")
        if once or stopping["now"]:
            return
        time.sleep(poll)


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
    catalogue, errors = load_catalogue(current_app.config["COURSES_DIR"])
    if errors:
        for error in errors:
            click.echo(str(error))
        raise click.ClickException("Fix these problems first; nothing was changed.")
    with Session(get_engine()) as session, session.begin():
        report = sync_catalogue(session, catalogue)
    click.echo(f"Courses synced: {len(report.created)} new, {len(report.new_versions)} "
               f"changed, {len(report.unchanged)} unchanged, {len(report.retired)} retired.")


@courses_group.command("import-gift")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the <quiz> blocks to this file instead of the screen.")
def courses_import_gift(file: Path, output: Path | None) -> None:
    """Turn a Moodle GIFT question bank into <quiz> blocks; nothing is written on any error."""
    from portal.gift import GiftError, import_gift

    try:
        markdown = import_gift(file)
    except GiftError as error:
        for line, reason in error.problems:
            click.echo(f"{file}:{line}: {reason}")
        raise click.ClickException("The file was not converted.") from error
    if output is None:
        click.echo(markdown)
    else:
        output.write_text(markdown, encoding="utf-8")
        click.echo(f"Wrote {output}.")
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
    with Session(get_engine()) as session, session.begin():
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
    with Session(get_engine()) as session, session.begin():
        count = lapse_overdue_memberships(session, today=utcnow().date())
    click.echo(f"{count} {'membership' if count == 1 else 'memberships'} lapsed.")
