"""Demo and benchmark data commands: seed-demo, demo-code and seed-scale (never in production).
"""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from portal.db import get_engine, get_settings, new_session
from portal.models import (
    User,
)
from portal.seeding.demo import (
    DEMO_COORDINATOR,
    DEMO_ORGANISATIONS,
    DEMO_PASSWORD,
    DEMO_TOTP_SECRET,
    complete_demo_memberships,
    demo_training,
    enrol_demo_coordinator,
    load_demo,
    seed_demo_policy,
    seed_demo_pulse,
    seed_demo_self_assessment,
)
from portal.services import two_factor
from portal.services.commitments import current_commitment
from portal.services.pulse import public_link
from portal.settings import settings_of


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
            load_demo(session, passwords.hash(DEMO_PASSWORD))
        complete_demo_memberships(session)
        enrol_demo_coordinator(session)
        demo_training(session)
        seed_demo_policy(session)
        seed_demo_self_assessment(session)
        demo_pulse = seed_demo_pulse(session)
        link = public_link(settings_of(session), demo_pulse) if demo_pulse else None
    _print_demo_sign_ins()
    if link:
        click.echo(f"\nStaff awareness pulse of {next(iter(DEMO_ORGANISATIONS))} (anyone may "
                   f"answer):\n  {link}")




def _print_demo_sign_ins() -> None:
    click.echo(f"\nDemo sign-ins (password for all: {DEMO_PASSWORD}):")
    click.echo(f"  {DEMO_COORDINATOR:<26} scheme coordinator, who also needs a code:")
    click.echo(f"  {'':<26} run `flask --app portal demo-code`, or add the key")
    click.echo(f"  {'':<26} {two_factor.grouped(DEMO_TOTP_SECRET)} to an authenticator app")
    for number, (org_name, (_hr, champions)) in enumerate(DEMO_ORGANISATIONS.items(), 1):
        click.echo(f"  {f'hr{number}@example.org':<26} HR lead, {org_name}")
        for i in range(1, len(champions) + 1):
            click.echo(f"  {f'champion{number}{i}@example.org':<26} champion, {org_name}")




@click.command("demo-code")
@with_appcontext
def demo_code() -> None:
    """Print the demo coordinator's current sign-in code (local demo data only)."""
    if not current_app.config["DEMO_DATA_ALLOWED"]:
        raise click.ClickException("Demo data is not allowed in production.")
    code = two_factor.code_at(DEMO_TOTP_SECRET, two_factor.current_step())
    click.echo(f"Code for {DEMO_COORDINATOR}: {code} (changes every "
               f"{two_factor.STEP_SECONDS} seconds; each code works once)")




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
    from portal import seeding as bulk

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


