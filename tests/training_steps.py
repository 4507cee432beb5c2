"""Training test data: the fixture courses, champions, and passes recorded as the quiz would."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import (
    AttemptStatus,
    Course,
    Membership,
    Module,
    Organisation,
    OrgRole,
    QuizAttempt,
    User,
    utcnow,
)
from portal.services import training
from portal.services.assignments import assign_required_courses
from tests.factories import make_user, sync_courses

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "training"
REAL_COURSES = Path(__file__).resolve().parents[1] / "courses"


def load_basics(session: Session) -> tuple[Course, dict[str, Module]]:
    """The fixture course "basics": required for champions, two modules, 24-month refresher."""
    sync_courses(session, FIXTURES)
    course = session.scalar(select(Course).where(Course.key == "basics"))
    return course, {m.key: m for m in course.modules}


def make_champion(session: Session, organisation: Organisation, *, assign: bool = True,
                  **overrides: object) -> User:
    """A champion whose membership has started (required courses assigned, as on joining)."""
    user = make_user(session, organisation=organisation, role=OrgRole.CHAMPION, **overrides)
    membership = session.scalar(select(Membership).where(
        Membership.user_id == user.id, Membership.organisation_id == organisation.id))
    if organisation.sites:
        membership.site = organisation.sites[0]
    if assign:
        assign_required_courses(session, membership)
    session.flush()
    return user


def start_module(session: Session, user: User, module: Module) -> QuizAttempt:
    attempt = QuizAttempt(user_id=user.id, module_id=module.id,
                          module_version_id=module.current_version_id, drawn=[])
    session.add(attempt)
    session.flush()
    return attempt


def pass_module(session: Session, user: User, module: Module,
                when: datetime | None = None) -> None:
    """Record a pass as a submitted, passing quiz does: completion, certificate, assignments."""
    when = when or utcnow()
    attempt = QuizAttempt(user_id=user.id, module_id=module.id,
                          module_version_id=module.current_version_id, drawn=[],
                          status=AttemptStatus.SUBMITTED, score=100, passed=True,
                          submitted_at=when, started_at=when)
    session.add(attempt)
    session.flush()
    training.record_completion(session, attempt, when)
    session.flush()
