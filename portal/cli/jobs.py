"""The worker and the daily jobs it runs, each also a command of its own: lapse-memberships,
retention run, tiers refresh and reminders run.
"""

from __future__ import annotations

import logging
import signal
import time

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy.exc import SQLAlchemyError

from portal import clock
from portal.db import is_unavailable, new_session
from portal.mail import send_due_messages
from portal.models import (
    utcnow,
)
from portal.services.organisations import lapse_overdue_organisations
from portal.services.reminders import send_reminders
from portal.services.retention import apply_retention
from portal.services.schedule import DailyTimer, run_daily_jobs
from portal.services.tiers import refresh_all_tiers

log = logging.getLogger(__name__)


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


