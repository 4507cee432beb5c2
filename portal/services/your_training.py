"""What "Your training" and a module's page show, read as plain columns in few statements.

One statement reads every module of the person's courses with what decides its status: the
person's latest pass (its version and date), whether they ever started it, the earliest due date
of their pending assignments of the module and of its course, and the course's current
certificate. The other reads their pending assignments. No entity is loaded: the page is a list,
and building the ORM's object graph for it cost more than the rest of the request.

The statuses follow the same rules as everywhere else (training.pass_status,
training.status_when_due, assignments.combined_status); tests/services/test_your_training.py
checks the page's figures against training.learner_progress for the same people.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import cast

from sqlalchemy import Select, and_, bindparam, exists, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session
from sqlalchemy.sql.expression import BindParameter, ColumnElement, ScalarSelect

from portal.models import (
    Assignment,
    AttemptStatus,
    Certificate,
    Course,
    Membership,
    Module,
    ModuleCompletion,
    ModuleVersion,
    Organisation,
    QuizAttempt,
    User,
)
from portal.services.assignments import combined_status, pending
from portal.services.training import (
    RESUME_ORDER,
    ModuleStatus,
    not_passed_status,
    pass_status,
    status_when_due,
)


@dataclass(frozen=True)
class ModuleLine:
    id: int
    title: str
    status: ModuleStatus


@dataclass(frozen=True)
class CourseCard:
    id: int
    title: str
    modules: tuple[ModuleLine, ...]
    certificate_id: int | None
    certificate_expires_at: datetime | None
    due_on: date | None  # the earliest pending assignment of the course or its modules

    @property
    def passed_count(self) -> int:
        return sum(m.status == ModuleStatus.PASSED for m in self.modules)

    @property
    def is_overdue(self) -> bool:
        return any(m.status == ModuleStatus.OVERDUE for m in self.modules)


@dataclass(frozen=True)
class AssignedLine:
    course_id: int | None  # an assignment is of a course or of one module
    module_id: int | None
    title: str
    organisation: str
    due_on: date
    status: ModuleStatus


@dataclass(frozen=True)
class Resume:
    course: CourseCard
    module: ModuleLine


@dataclass(frozen=True)
class Overview:
    courses: tuple[CourseCard, ...]
    assignments: tuple[AssignedLine, ...]

    @property
    def resume(self) -> Resume | None:
        """The module to go back to: one already started, else the first overdue, due a
        refresher or not started, in course order (as training.where_to_continue)."""
        for status in RESUME_ORDER:
            for course in self.courses:
                found = next((m for m in course.modules if m.status == status), None)
                if found is not None:
                    return Resume(course, found)
        return None


def overview(session: Session, user: User, now: datetime) -> Overview:
    courses = _courses(session, user, now)
    modules = {line.id: line for course in courses for line in course.modules}
    by_course = {course.id: course for course in courses}
    assignments = []
    for row in session.execute(_assignments_query(), {"user_id": user.id}):
        if row.module_id is not None:
            lines = [modules[row.module_id]] if row.module_id in modules else []
        else:
            lines = list(by_course[row.course_id].modules) if row.course_id in by_course else []
        status = combined_status([line.status for line in lines], row.due_on, now.date(),
                                 pending=True, completed=False)
        assignments.append(AssignedLine(row.course_id, row.module_id, row.title or "",
                                        row.organisation, row.due_on, status))
    return Overview(courses, tuple(assignments))


def _courses(session: Session, user: User, now: datetime) -> tuple[CourseCard, ...]:
    cards: list[CourseCard] = []
    lines: list[ModuleLine] = []
    for row in session.execute(_modules_query(), _modules_parameters(user, now)):
        if not cards or cards[-1].id != row.course_id:
            lines = []
            cards.append(CourseCard(row.course_id, row.course_title, (), row.certificate_id,
                                    row.certificate_expires_at, None))
        if row.passed_version is not None:
            status = pass_status(row.passed_version, row.passed_at, row.version,
                                 row.refresher_months, now)
        else:
            status = not_passed_status(row.started)
        due = min((d for d in (row.module_due, row.course_due) if d is not None), default=None)
        lines.append(ModuleLine(row.module_id, row.title, status_when_due(status, due, now)))
        card = cards[-1]
        due_on = min((d for d in (card.due_on, due) if d is not None), default=None)
        cards[-1] = CourseCard(card.id, card.title, tuple(lines), card.certificate_id,
                               card.certificate_expires_at, due_on)
    return tuple(cards)


# The statements are built once: building them took a third of the request's Python work.
_USER: BindParameter[int] = bindparam("user_id")
_NOW: BindParameter[datetime] = bindparam("now")


@cache
def _modules_query() -> Select:
    latest_pass = (select(ModuleCompletion).where(ModuleCompletion.user_id == _USER,
                                                  ModuleCompletion.module_id == Module.id)
                   .order_by(ModuleCompletion.completed_at.desc(), ModuleCompletion.id.desc())
                   .limit(1))
    current = (select(Certificate).where(Certificate.user_id == _USER,
                                         Certificate.course_id == Course.id,
                                         # a moment given when the statement runs
                                         Certificate.is_current_at(cast(datetime, _NOW)))
               .order_by(Certificate.issued_at.desc(), Certificate.id.desc()).limit(1))
    return (
        select(Course.id.label("course_id"), Course.title.label("course_title"),
               Course.refresher_months, Module.id.label("module_id"), ModuleVersion.title,
               ModuleVersion.version,
               _first(latest_pass, ModuleCompletion.version).label("passed_version"),
               _first(latest_pass, ModuleCompletion.completed_at).label("passed_at"),
               exists().where(QuizAttempt.user_id == _USER,
                              QuizAttempt.module_id == Module.id).label("started"),
               _earliest_due(Assignment.module_id == Module.id).label("module_due"),
               _earliest_due(Assignment.course_id == Course.id).label("course_due"),
               _first(current, Certificate.id).label("certificate_id"),
               _first(current, Certificate.expires_at).label("certificate_expires_at"))
        .join(Module, and_(Module.course_id == Course.id, Module.retired_at.is_(None)))
        .join(ModuleVersion, ModuleVersion.id == Module.current_version_id)
        # As training.courses_for: courses for the person's current roles, or every course.
        .where(Course.retired_at.is_(None),
               or_(bindparam("every_course"),
                   Course.audience.in_(bindparam("audiences", expanding=True))))
        .order_by(Course.id, Module.position))


def _modules_parameters(user: User, now: datetime) -> dict:
    roles = {str(m.role) for m in user.memberships if m.is_current}
    return {"user_id": user.id, "now": now, "every_course": user.is_coordinator,
            "audiences": [*roles, "all"]}


def _first(query: Select, column: InstrumentedAttribute) -> ScalarSelect:
    return query.with_only_columns(column).scalar_subquery()


def _earliest_due(which: ColumnElement[bool]) -> ScalarSelect:
    return (select(func.min(Assignment.due_on))
            .where(Assignment.user_id == _USER, pending(), which).scalar_subquery())


@cache
def _assignments_query() -> Select:
    """The person's pending assignments in organisations where they are a current member,
    soonest due first."""
    module = ModuleVersion.__table__.alias("assigned_module_version")
    return (
        select(Assignment.course_id, Assignment.module_id, Assignment.due_on,
               Organisation.name.label("organisation"),
               func.coalesce(Course.title, module.c.title).label("title"))
        .join(Membership, and_(Membership.user_id == Assignment.user_id,
                               Membership.organisation_id == Assignment.organisation_id))
        .join(Organisation, Organisation.id == Assignment.organisation_id)
        .outerjoin(Course, Course.id == Assignment.course_id)
        .outerjoin(Module, Module.id == Assignment.module_id)
        .outerjoin(module, module.c.id == Module.current_version_id)
        .where(Assignment.user_id == _USER, pending(), Membership.is_current)
        .order_by(Assignment.due_on, Assignment.id))


@dataclass(frozen=True)
class ModulePage:
    """What a module's page needs besides its lesson (lessons.lesson, kept per process)."""

    id: int
    course_id: int
    course_title: str
    current_version_id: int
    in_progress: bool  # the person has an attempt in progress: "Continue the quiz"


def module_page(session: Session, user: User, module_id: int) -> ModulePage | None:
    """A module in use of a course this person may take, in one statement; None otherwise."""
    row = session.execute(_module_page_query(), {"user_id": user.id,
                                                 "module_id": module_id}).first()
    if row is None or not course_is_for(user, row.audience, row.course_retired_at):
        return None
    return ModulePage(row.id, row.course_id, row.course_title, row.current_version_id,
                      row.in_progress)


def course_is_for(user: User, audience: str, retired_at: datetime | None) -> bool:
    """Whether training.courses_for(user) includes a course with this audience (and retirement),
    without loading every course and module (tests/views/test_training_pages.py checks the two
    agree)."""
    if retired_at is not None:
        return False
    if user.is_coordinator:
        return True
    return audience in {"all", *(str(m.role) for m in user.memberships if m.is_current)}


@cache
def _module_page_query() -> Select:
    return (
        select(Module.id, Module.course_id, Module.current_version_id,
               Course.title.label("course_title"), Course.audience,
               Course.retired_at.label("course_retired_at"),
               exists().where(QuizAttempt.user_id == _USER, QuizAttempt.module_id == Module.id,
                              QuizAttempt.status == AttemptStatus.IN_PROGRESS)
               .label("in_progress"))
        .join(Course, Course.id == Module.course_id)
        .where(Module.id == bindparam("module_id"), Module.retired_at.is_(None),
               Module.current_version_id.is_not(None)))
