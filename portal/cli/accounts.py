"""Coordinator accounts from the command line: create-coordinator and reset-two-factor.
"""

from __future__ import annotations

import secrets

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from portal.db import new_session
from portal.models import (
    User,
)
from portal.services import two_factor
from portal.services.accounts import normalise_email
from portal.services.audit import record_event


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




