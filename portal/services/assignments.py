"""Assignments: the scheme's required courses, HR leads' own assignments, and their status.

Required courses are assigned automatically when a membership starts (an invitation accepted
into an approved organisation, or the organisation approved for its applicant HR leads), and
the worker's daily catch-up assigns any that are missing, e.g. a course that `courses sync`
has just made required. An assignment is done when the assigned module is passed or the
course completed: `training.complete_assignments` marks it in the transaction of the pass.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any, cast

from sqlalchemy import Select, Table, and_, case, exists, func, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.sql.expression import ColumnElement, Exists

from portal.models import (
    Assignment,
    AssignmentSource,
    Certificate,
    Course,
    Membership,
    Module,
    ModuleCompletion,
    Organisation,
    OrgRole,
    User,
    utcnow,
)
from portal.models.base import UTCDateTime
from portal.services import training, training_status
from portal.services.audit import record_event
from portal.services.errors import PortalError
from portal.services.sql import rowcount
from portal.services.training import ModuleProgress, ModuleStatus
from portal.settings import settings_of

# Course audiences that each role takes.
AUDIENCES = {OrgRole.CHAMPION: ("champion", "all"), OrgRole.HR_LEAD: ("hr_lead", "all")}
PAGE_SIZE = 50


class DueDateError(PortalError):
    """An assignment's due date must be after today."""


class NotCancellableError(PortalError):
    """Only pending assignments made by an HR lead can be cancelled."""


def training_due_days(session: Session) -> int:
    """How long required training has from the start of a membership (coordinators' setting)."""
    return settings_of(session).training_due_days


def pending() -> ColumnElement[bool]:
    return and_(Assignment.cancelled_at.is_(None), Assignment.completed_at.is_(None))


def current_certificate(user_id: Any, course_id: Any, now: datetime) -> Exists:
    """A current certification of the course: one that never expires or expires later."""
    return exists().where(Certificate.user_id == user_id, Certificate.course_id == course_id,
                          Certificate.is_current_at(now))


def _from_select(insert: Any, *, source: Select[Any]) -> Any:
    return insert.from_select(["organisation_id", "user_id", "course_id", "source", "due_on",
                               "created_at", "completed_at"], source)


def _insert_skipping_duplicates(session: Session, statement_for: Callable[[Any], Any]) -> int:
    """Run an INSERT that skips rows the pending-assignment unique indexes refuse; returns how
    many rows it added."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = cast(Table, Assignment.__table__)
    statement = statement_for(insert(table)).on_conflict_do_nothing()
    people = session.scalars(statement.returning(table.c.user_id)).all()
    training_status.changed(session, people)
    return len(people)


# --- Required courses ------------------------------------------------------------------------

def required_courses(session: Session, role: OrgRole | None = None) -> list[Course]:
    query = select(Course).where(Course.required.is_(True), Course.retired_at.is_(None))
    if role is not None:
        query = query.where(Course.audience.in_(AUDIENCES[role]))
    return list(session.scalars(query.order_by(Course.id)))


def assign_required_courses(session: Session, membership: Membership, *,
                            today: date | None = None) -> int:
    """Assign the required courses for the member's role, unless one is already pending.

    Already certified: the assignment is recorded as done. Returns how many were made.
    """
    now = utcnow()
    today = today or now.date()
    courses = required_courses(session, membership.role)
    if not courses or membership.withdrawn_at is not None:
        return 0
    ids = [course.id for course in courses]
    held = set(session.scalars(select(Assignment.course_id).where(
        Assignment.organisation_id == membership.organisation_id,
        Assignment.user_id == membership.user_id, Assignment.course_id.in_(ids), pending())))
    certified = set(session.scalars(select(Certificate.course_id).where(
        Certificate.user_id == membership.user_id, Certificate.course_id.in_(ids),
        Certificate.is_current_at(now))))
    rows = [{"organisation_id": membership.organisation_id, "user_id": membership.user_id,
             "course_id": course_id, "source": AssignmentSource.AUTOMATIC,
             "due_on": today + timedelta(days=training_due_days(session)), "created_at": now,
             "completed_at": now if course_id in certified else None}
            for course_id in ids if course_id not in held]
    if not rows:
        return 0
    return _insert_skipping_duplicates(session, lambda insert: insert.values(rows))


def assign_required_for_organisation(session: Session, organisation: Organisation) -> int:
    """On approval (or reinstatement): required courses for every current member."""
    session.flush()
    members = session.scalars(select(Membership).where(
        Membership.organisation_id == organisation.id, Membership.is_current))
    return sum(assign_required_courses(session, membership) for membership in members)


def catch_up_required_assignments(session: Session, *, today: date) -> int:
    """Assign required courses that current members of approved organisations lack.

    Run daily by the worker, so a course newly made required by `courses sync` reaches everyone
    within a day, due TRAINING_DUE_DAYS later. A member who already has the course assigned
    (pending or done) is left alone; a cancelled one (withdrawal) does not count. Set-based and
    idempotent: the pending-assignment unique index makes racing runs harmless.
    """
    now = utcnow()
    due_on = today + timedelta(days=training_due_days(session))
    made = 0
    for course in required_courses(session):
        already = exists().where(Assignment.organisation_id == Membership.organisation_id,
                                 Assignment.user_id == Membership.user_id,
                                 Assignment.course_id == course.id,
                                 Assignment.cancelled_at.is_(None))
        done = case((current_certificate(Membership.user_id, course.id, now),
                     literal(now, UTCDateTime())), else_=None)
        source = (select(Membership.organisation_id, Membership.user_id, literal(course.id),
                         literal(AssignmentSource.AUTOMATIC.value), literal(due_on),
                         literal(now, UTCDateTime()), done)
                  .join(Organisation, Organisation.id == Membership.organisation_id)
                  .where(Organisation.is_member,
                         Membership.is_current,
                         Membership.role.in_([role for role, audiences in AUDIENCES.items()
                                              if course.audience in audiences]),
                         ~already))
        made += _insert_skipping_duplicates(session, partial(_from_select, source=source))
    return made


# --- HR leads' assignments -------------------------------------------------------------------

def assignable_courses(session: Session) -> list[Course]:
    """Courses (with their modules) an HR lead may assign to champions."""
    return list(session.scalars(
        select(Course).where(Course.retired_at.is_(None),
                             Course.audience.in_(AUDIENCES[OrgRole.CHAMPION]))
        .options(selectinload(Course.modules).selectinload(Module.current_version))
        .order_by(Course.id)))


def assign(session: Session, organisation: Organisation, memberships: Sequence[Membership], *,
           actor: User, due_on: date, today: date, course: Course | None = None,
           module: Module | None = None) -> tuple[int, int]:
    """Assign a course or a module to champions; returns (made, already had it pending).

    Someone who has already passed it (and it is current) gets it recorded as done.
    """
    if due_on <= today:
        raise DueDateError
    now = utcnow()
    user_ids = [m.user_id for m in memberships]
    target = course if course is not None else module
    if target is None:
        raise ValueError("assign a course or a module")
    done = _certified(session, user_ids, course.id, now) if course is not None \
        else _passed_module(session, user_ids, cast(Module, module), now)
    rows = [{"organisation_id": organisation.id, "user_id": user_id,
             "course_id": course.id if course is not None else None,
             "module_id": module.id if module is not None else None,
             "source": AssignmentSource.HR_LEAD, "due_on": due_on, "assigned_by_id": actor.id,
             "created_at": now, "completed_at": now if user_id in done else None}
            for user_id in user_ids]
    made = _insert_skipping_duplicates(session, lambda insert: insert.values(rows)) if rows else 0
    record_event(session, "assignment.created", actor=actor, organisation=organisation,
                 details={"kind": "course" if course is not None else "module",
                          "id": target.id, "count": made,
                          "due_on": due_on.isoformat()})
    return made, len(rows) - made


def _certified(session: Session, user_ids: list[int], course_id: int, now: datetime) -> set[int]:
    return set(session.scalars(select(Certificate.user_id).where(
        Certificate.user_id.in_(user_ids), Certificate.course_id == course_id,
        Certificate.is_current_at(now))))


def _passed_module(session: Session, user_ids: list[int], module: Module,
                   now: datetime) -> set[int]:
    cutoff = training.refresher_cutoff(module.course.refresher_months, now)
    query = select(ModuleCompletion.user_id).where(
        ModuleCompletion.user_id.in_(user_ids), ModuleCompletion.module_id == module.id,
        ModuleCompletion.version >= module.version_now.version)
    if cutoff is not None:
        query = query.where(ModuleCompletion.completed_at > cutoff)
    return set(session.scalars(query))


def assignment_in(session: Session, organisation: Organisation,
                  assignment_id: int) -> Assignment | None:
    """An assignment, found only through its organisation: another employer's id finds nothing."""
    return session.scalar(select(Assignment).where(
        Assignment.organisation_id == organisation.id, Assignment.id == assignment_id))


def cancel_assignment(session: Session, assignment: Assignment, *, actor: User) -> None:
    """HR leads cancel their own kind of assignment; required training is the scheme's rule."""
    if assignment.source != AssignmentSource.HR_LEAD or not assignment.is_pending:
        raise NotCancellableError
    assignment.cancelled_at, assignment.cancelled_by_id = utcnow(), actor.id
    record_event(session, "assignment.cancelled", actor=actor,
                 organisation=session.get(Organisation, assignment.organisation_id),
                 target=assignment)


def cancel_pending_for(session: Session, membership: Membership, *, actor: User | None) -> int:
    """A member who leaves keeps their record; their pending assignments there are cancelled."""
    cancelled = rowcount(session.execute(
        update(Assignment)
        .where(Assignment.organisation_id == membership.organisation_id,
               Assignment.user_id == membership.user_id, pending())
        .values(cancelled_at=utcnow(), cancelled_by_id=actor.id if actor else None)
        .execution_options(synchronize_session=False)))
    if cancelled:
        training_status.changed(session, [membership.user_id])
    return cancelled


# --- Status ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class AssignmentView:
    assignment: Assignment
    status: ModuleStatus

    @property
    def is_overdue(self) -> bool:
        return self.status == ModuleStatus.OVERDUE


def assignment_status(assignment: Assignment, modules: Iterable[ModuleProgress],
                      today: date) -> ModuleStatus:
    """Passed, overdue, needs refresher, in progress or not started, from the module statuses
    (the assigned module, or every module of the assigned course)."""
    return combined_status([progress.status for progress in modules], assignment.due_on, today,
                           pending=assignment.is_pending,
                           completed=assignment.completed_at is not None)


def combined_status(statuses: list[ModuleStatus], due_on: date, today: date, *, pending: bool,
                    completed: bool) -> ModuleStatus:
    """An assignment's status from its modules' statuses and its own dates."""
    if statuses and all(s == ModuleStatus.PASSED for s in statuses):
        return ModuleStatus.PASSED
    if pending and due_on < today:
        return ModuleStatus.OVERDUE
    if ModuleStatus.NEEDS_REFRESHER in statuses or completed:
        return ModuleStatus.NEEDS_REFRESHER  # done once, but a pass has lapsed or changed since
    if ModuleStatus.IN_PROGRESS in statuses or ModuleStatus.PASSED in statuses:
        return ModuleStatus.IN_PROGRESS
    return ModuleStatus.NOT_STARTED


def with_statuses(session: Session, assignments: Sequence[Assignment], now: datetime,
                  records: dict[int, training.LearnerRecord] | None = None
                  ) -> list[AssignmentView]:
    """Each assignment with its status, in a fixed number of queries for any number of rows
    (none, when the people's records are given)."""
    if not assignments:
        return []
    if records is None:
        records = training.learner_records(session, {a.user_id for a in assignments})
    views = []
    for assignment in assignments:
        record = records[assignment.user_id]
        progress = [record.progress(module, module.course, now)
                    for module in _assigned_modules(assignment)]
        views.append(AssignmentView(assignment,
                                    assignment_status(assignment, progress, now.date())))
    return views


def _assigned_modules(assignment: Assignment) -> list[Module]:
    if assignment.module is not None:
        return [assignment.module] if assignment.module.current_version else []
    course = assignment.course
    return [m for m in (course.modules if course is not None else [])
            if m.retired_at is None and m.current_version is not None]


def _loading() -> list:
    return [selectinload(Assignment.user), selectinload(Assignment.assigned_by),
            selectinload(Assignment.course).selectinload(Course.modules)
            .selectinload(Module.current_version),
            selectinload(Assignment.module).selectinload(Module.current_version),
            selectinload(Assignment.module).selectinload(Module.course)]


def organisation_assignments(session: Session, organisation: Organisation, *, now: datetime,
                             page: int = 1) -> tuple[list[AssignmentView], int]:
    """One page of the not-cancelled assignments of current champions, soonest due first."""
    query = (select(Assignment)
             .join(Membership, and_(Membership.user_id == Assignment.user_id,
                                    Membership.organisation_id == Assignment.organisation_id))
             .where(Assignment.organisation_id == organisation.id,
                    Assignment.cancelled_at.is_(None), Membership.is_current_champion))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.options(*_loading())
        .order_by(Assignment.completed_at.is_not(None), Assignment.due_on, Assignment.id)
        .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)).all()
    return with_statuses(session, rows, now), total
