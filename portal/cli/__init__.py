"""Command-line tasks: `flask --app portal <command>`, one module per area.

database (db upgrade/downgrade/revision), accounts (create-coordinator, reset-two-factor),
content (courses, directory), jobs (worker and the daily jobs: lapse-memberships, retention,
tiers, reminders), monitoring (check) and demo (seed-demo, demo-code, seed-scale). The names
are the public contract
in DESIGN.md and README.md, "Command line".
"""

from __future__ import annotations

from flask import Flask

from portal.cli.accounts import create_coordinator, reset_two_factor
from portal.cli.content import courses_group, directory_group
from portal.cli.database import db_group
from portal.cli.demo import demo_code, seed_demo, seed_scale_command
from portal.cli.jobs import (
    lapse_memberships,
    reminders_group,
    retention_group,
    tiers_group,
    worker,
)
from portal.cli.monitoring import monitoring_group


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
    app.cli.add_command(monitoring_group)
