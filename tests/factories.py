"""Plain functions that make test data, with defaults and **overrides."""

from __future__ import annotations

from datetime import date
from functools import cache
from itertools import count
from pathlib import Path

from argon2 import PasswordHasher
from sqlalchemy.orm import Session

from portal.courses import load_catalogue
from portal.models import (
    Borough,
    CommitmentSignature,
    Membership,
    MembershipStatus,
    Organisation,
    OrgRole,
    Sector,
    Site,
    SupportService,
    User,
    utcnow,
)
from portal.services.catalogue import sync_catalogue
from portal.services.organisations import add_months
from portal.services.support import FIELD_CHECKS, apply_details, validate_service

DEFAULT_PASSWORD = "correct horse battery staple"  # noqa: S105 - test data
_numbers = count(1)


@cache
def default_password_hash() -> str:
    # Same cheap parameters as TestConfig, computed once for the whole run.
    return PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(DEFAULT_PASSWORD)


def make_user(session: Session, *, organisation: Organisation | None = None,
              role: OrgRole | None = None, **overrides: object) -> User:
    number = next(_numbers)
    values = {"email": f"person{number}@example.org", "full_name": f"Person {number}",
              "password_hash": default_password_hash(), "exit_explained_at": utcnow(),
              "email_verified_at": utcnow()}
    values.update(overrides)
    user = User(**values)
    session.add(user)
    if organisation is not None and role is not None:
        session.add(Membership(user=user, organisation=organisation, role=role))
    session.flush()
    return user


def make_organisation(session: Session, **overrides: object) -> Organisation:
    values = {"name": f"Organisation {next(_numbers)}", "status": MembershipStatus.APPROVED}
    values.update(overrides)
    organisation = Organisation(**values)
    session.add(organisation)
    session.flush()
    return organisation


def sync_courses(session: Session, root: Path) -> None:
    """Load and store a folder of courses, as `flask courses sync` does."""
    catalogue, errors = load_catalogue(root)
    assert errors == [], [str(e) for e in errors]
    sync_catalogue(session, catalogue)
    session.commit()


def make_support_service(session: Session, **overrides: object) -> SupportService:
    """A valid, listed service; details go through the same validation as the forms."""
    number = next(_numbers)
    details = {"name": f"Service {number}", "summary": "Advice and support by phone.",
               "phone": "0808 2000 247", "boroughs": ["national"],
               "categories": ["domestic-abuse"]}
    others = {"key": f"service-{number}", "last_checked_at": date(2026, 11, 1)}
    for name, value in overrides.items():
        (details if name in FIELD_CHECKS else others)[name] = value
    service = SupportService(**others)
    apply_details(service, validate_service(details))
    session.add(service)
    session.flush()
    return service


def make_site(session: Session, organisation: Organisation, **overrides: object) -> Site:
    values = {"name": f"Site {next(_numbers)}", "borough": Borough.LIVERPOOL, "headcount": 120}
    values.update(overrides)
    site = Site(organisation=organisation, **values)
    session.add(site)
    session.flush()
    return site


def make_member_organisation(session: Session, **overrides: object) -> Organisation:
    """An approved organisation with a site and a signed commitment, as after joining."""
    now = utcnow()
    values = {"sector": Sector.PRIVATE, "submitted_at": now, "approved_at": now,
              "renewal_due_on": add_months(now.date(), 12)}
    values.update(overrides)
    organisation = make_organisation(session, **values)
    make_site(session, organisation, name="Head office")
    session.add(CommitmentSignature(organisation=organisation, version=1,
                                    signatory_name="Alex Signer", signatory_job_title="Director"))
    session.flush()
    return organisation


def make_application(session: Session, *, confirmed: bool = True,
                     **overrides: object) -> tuple[Organisation, User]:
    """An application as /join leaves it: the applicant is its HR lead."""
    values = {"status": MembershipStatus.APPLIED, "approved_at": None, "renewal_due_on": None,
              "submitted_at": utcnow() if confirmed else None}
    values.update(overrides)
    organisation = make_member_organisation(session, **values)
    applicant = make_user(session, organisation=organisation, role=OrgRole.HR_LEAD,
                          email_verified_at=utcnow() if confirmed else None)
    return organisation, applicant
