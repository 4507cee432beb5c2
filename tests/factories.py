"""Plain functions that make test data, with defaults and **overrides."""

from __future__ import annotations

import io
import re
from datetime import datetime
from functools import cache
from itertools import count
from pathlib import Path

from argon2 import PasswordHasher
from dateutil.relativedelta import relativedelta
from pypdf import PdfWriter
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal import clock
from portal.courses import load_catalogue
from portal.models import (
    AttemptStatus,
    Borough,
    Certificate,
    CommitmentSignature,
    Course,
    Membership,
    Module,
    ModuleCompletion,
    ModuleVersion,
    Organisation,
    OrgRole,
    QuizAttempt,
    SchemeStatus,
    Sector,
    Site,
    SupportService,
    User,
    utcnow,
)
from portal.services.catalogue import stored_versions, sync_catalogue
from portal.services.organisations import add_months
from portal.services.support import FIELD_CHECKS, apply_details, validate_service

DEFAULT_PASSWORD = "correct horse battery staple"  # noqa: S105 - test data
COORDINATOR_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # noqa: S105 - test data
_numbers = count(1)


@cache
@cache
def pdf_document() -> bytes:
    """A real one-page PDF, as pypdf writes one: what an evidence upload must parse as."""
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def default_password_hash() -> str:
    # Same cheap parameters as TestConfig, computed once for the whole run.
    return PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(DEFAULT_PASSWORD)


def make_user(session: Session, *, organisation: Organisation | None = None,
              role: OrgRole | None = None, **overrides: object) -> User:
    number = next(_numbers)
    values = {"email": f"person{number}@example.org", "full_name": f"Person {number}",
              "password_hash": default_password_hash(), "exit_explained_at": utcnow(),
              "email_verified_at": utcnow()}
    if overrides.get("is_coordinator"):
        # Coordinators sign in with two factors: enrolled already, unless a test says otherwise
        # (totp_secret=None). tests/two_factor.py completes the code step as their app would.
        values.update(totp_secret=COORDINATOR_TOTP_SECRET, totp_confirmed_at=utcnow())
    values.update(overrides)
    user = User(**values)
    session.add(user)
    if organisation is not None and role is not None:
        session.add(Membership(user=user, organisation=organisation, role=role))
    session.flush()
    return user


def make_organisation(session: Session, **overrides: object) -> Organisation:
    values = {"name": f"Organisation {next(_numbers)}", "scheme_status": SchemeStatus.APPROVED}
    values.update(overrides)
    organisation = Organisation(**values)
    session.add(organisation)
    session.flush()
    return organisation


def sync_courses(session: Session, root: Path) -> None:
    """Load and store a folder of courses, as `flask courses sync` does."""
    stored = stored_versions(session)
    catalogue, errors = load_catalogue(root, stored=stored)
    assert errors == [], [str(e) for e in errors]
    sync_catalogue(session, catalogue, stored)
    session.commit()


def make_support_service(session: Session, **overrides: object) -> SupportService:
    """A valid, listed service; details go through the same validation as the forms."""
    number = next(_numbers)
    details = {"name": f"Service {number}", "summary": "Advice and support by phone.",
               "phone": "0808 2000 247", "boroughs": ["national"],
               "categories": ["domestic-abuse"]}
    # Checked about a month ago: well inside the six months before a service is due for a check.
    others = {"key": f"service-{number}", "last_checked_at": clock.today() - relativedelta(days=36)}
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
    values = {"scheme_status": SchemeStatus.APPLIED, "approved_at": None, "renewal_due_on": None,
              "submitted_at": utcnow() if confirmed else None}
    values.update(overrides)
    organisation = make_member_organisation(session, **values)
    applicant = make_user(session, organisation=organisation, role=OrgRole.HR_LEAD,
                          email_verified_at=utcnow() if confirmed else None)
    return organisation, applicant


def make_course(session: Session, **overrides: object) -> Course:
    """A course row; by default a required champion course with a 24-month refresher."""
    number = next(_numbers)
    values = {"key": f"course-{number}", "title": f"Course {number}", "audience": "champion",
              "required": True, "refresher_months": 24}
    values.update(overrides)
    course = Course(**values)
    session.add(course)
    session.flush()
    return course


def make_certificate(session: Session, user: User, course: Course | None = None, *,
                     issued_at: datetime | None = None, expires_at: datetime | None | str = "auto"
                     ) -> Certificate:
    """A certificate with the module, attempt and completion rows it points at.

    By default for a required champion course, issued now and expiring after 24 months.
    """
    course = course or session.scalar(select(Course).where(Course.key == "required-champion")) \
        or make_course(session, key="required-champion")
    issued_at = issued_at or utcnow()
    if expires_at == "auto":
        expires_at = issued_at + relativedelta(months=course.refresher_months or 24)
    number = next(_numbers)
    module = Module(key=f"module-{number}", course_id=course.id)
    session.add(module)
    session.flush()
    version = ModuleVersion(module_id=module.id, version=1, content_hash=f"{number:064d}",
                            title="Module", body_html="", pass_mark=80, questions=[])
    session.add(version)
    session.flush()
    attempt = QuizAttempt(user_id=user.id, module_id=module.id, module_version_id=version.id,
                          drawn=[], status=AttemptStatus.SUBMITTED, score=100, passed=True,
                          submitted_at=issued_at)
    session.add(attempt)
    session.flush()
    completion = ModuleCompletion(user_id=user.id, module_id=module.id,
                                  module_version_id=version.id, version=1,
                                  attempt_id=attempt.id, completed_at=issued_at)
    session.add(completion)
    session.flush()
    certificate = Certificate(code=f"TEST{number:08d}", user_id=user.id, course_id=course.id,
                              completion_id=completion.id, issued_at=issued_at,
                              expires_at=expires_at)
    session.add(certificate)
    session.flush()
    return certificate


TRAINING_FIXTURES = Path(__file__).resolve().parent / "fixtures" / "training"


def write_copied_course(root: Path, key: str, audience: str, modules: int) -> None:
    """A course of `modules` copies of the first test module, each with its own id."""
    folder = root / key
    folder.mkdir(parents=True)
    source = (TRAINING_FIXTURES / "basics" / "01-first.md").read_text(encoding="utf-8")
    stems = []
    for number in range(1, modules + 1):
        stems.append(f"{number:02d}-copy")
        text = re.sub(r"^id: .*$", f"id: {key}-{number}", source, count=1, flags=re.MULTILINE)
        (folder / f"{stems[-1]}.md").write_text(text, encoding="utf-8")
    listed = "".join(f"  - {stem}\n" for stem in stems)
    (folder / "course.md").write_text(
        f"---\nid: {key}\ntitle: Course {key}\naudience: {audience}\nrequired: false\n"
        f"refresher_months: 12\nmodules:\n{listed}---\nCopies.\n", encoding="utf-8")
