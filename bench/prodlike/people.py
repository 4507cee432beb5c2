"""People for the run, inserted straight into its database (as the tests' factories do).

Each is a champion in an approved organisation, with a verified address and the first-time
exit-button explanation already seen, so they can sign in and take the champion course.
"""

from __future__ import annotations

import secrets
from functools import cache

from argon2 import PasswordHasher
from sqlalchemy.orm import Session

from bench.prodlike.stack import Stack
from config import Config
from portal.models import Membership, Organisation, OrgRole, SchemeStatus, User, utcnow

PASSWORD = "prodlike " + secrets.token_urlsafe(12)  # one per run, never stored anywhere


@cache
def password_hash() -> str:
    """Hashed once with the production cost, then shared: each hash costs about half a second."""
    return PasswordHasher(time_cost=Config.ARGON2_TIME_COST, memory_cost=Config.ARGON2_MEMORY_COST,
                          parallelism=Config.ARGON2_PARALLELISM).hash(PASSWORD)


def add_champions(stack: Stack, count: int, label: str) -> list[str]:
    """Add `count` champions in a new approved organisation; their e-mail addresses."""
    now = utcnow()
    emails = [f"{label}-{stack.run_id}-{number}@example.org" for number in range(1, count + 1)]
    with Session(stack.engine) as session, session.begin():
        organisation = Organisation(name=f"Prodlike {label} {stack.run_id}",
                                    scheme_status=SchemeStatus.APPROVED, submitted_at=now,
                                    approved_at=now)
        session.add(organisation)
        for number, email in enumerate(emails, 1):
            user = User(email=email, full_name=f"{label.title()} Person {number}",
                        password_hash=password_hash(), email_verified_at=now,
                        exit_explained_at=now)
            session.add(Membership(user=user, organisation=organisation, role=OrgRole.CHAMPION))
    return emails
