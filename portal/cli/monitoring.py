"""`flask --app portal monitoring check`: the dashboard's training status against a recount."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from portal.db import new_session
from portal.services import training_status

SHOWN = 20  # differences listed; the count says how many there are


@click.group("monitoring", cls=AppGroup, help="The coordinators' dashboard figures.")
def monitoring_group() -> None:
    pass


@monitoring_group.command("check")
@click.option("--repair", is_flag=True,
              help="Also write every row again from the records (in one transaction).")
def monitoring_check(repair: bool) -> None:
    """Recount each role's training status from the certificates, assignments and memberships
    and report every row that differs (exit status 1 if any does)."""
    with new_session() as session:
        found = training_status.differences(session)
        if found and repair:
            training_status.rebuild(session)
            session.commit()
    if not found:
        click.echo("Training status matches a recount of the records: 0 differences.")
        return
    click.echo(f"Training status differs from a recount for {len(found)} "
               f"{'role' if len(found) == 1 else 'roles'} (membership ids):")
    for difference in found[:SHOWN]:
        click.echo(f"  membership {difference.membership_id}: stored {difference.stored}, "
                   f"recounted {difference.expected}")
    if len(found) > SHOWN:
        click.echo(f"  ... and {len(found) - SHOWN} more")
    if repair:
        click.echo("Repaired: every row was written again from the records.")
    sys.exit(1)
