"""Taking modules: starting attempts, grading on the server, completions and certificates."""

from __future__ import annotations

import enum
import random
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from dateutil.relativedelta import relativedelta
from sqlalchemy import exists, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, defer, joinedload

from portal.models import (
    Assignment,
    AttemptStatus,
    Attendance,
    Certificate,
    Course,
    LiveSession,
    Module,
    ModuleCompletion,
    ModuleVersion,
    QuizAttempt,
    SessionBooking,
    User,
    utcnow,
)
from portal.models.training import new_certificate_code
from portal.services import training_status
from portal.services.errors import PortalError
from portal.services.sql import rowcount
from portal.services.tiers import CHAMPION_AUDIENCES, refresh_tiers_for_user


class AttemptLimitReachedError(PortalError):
    """The module's max_attempts are used up."""


class InvalidAnswerError(PortalError):
    """An answer key that does not belong to the question it was sent for (QUIZ-03)."""


class UnansweredQuestionsError(PortalError):
    """Some drawn questions have no answer; carries their ids."""

    def __init__(self, question_ids: list[str]) -> None:
        super().__init__(question_ids)
        self.question_ids = question_ids


@dataclass(frozen=True)
class QuestionResult:
    question_id: str
    correct: bool
    selected: tuple[str, ...]


@dataclass(frozen=True)
class Grade:
    correct_count: int
    total: int
    score: int
    passed: bool
    results: tuple[QuestionResult, ...] = field(default=())


def grade_attempt(questions: dict[str, dict], drawn: list[dict],
                  selected: dict[str, list[str]], pass_mark: int) -> Grade:
    """Score drawn questions: right only when exactly the correct answers are chosen."""
    results = []
    for item in drawn:
        question = questions[item["question"]]
        chosen = tuple(sorted(selected.get(item["question"], [])))
        right = tuple(sorted(a["key"] for a in question["answers"] if a["correct"]))
        results.append(QuestionResult(item["question"], chosen == right, chosen))
    correct = sum(r.correct for r in results)
    total = len(results)
    score = round(100 * correct / total) if total else 0
    return Grade(correct, total, score, score >= pass_mark, tuple(results))


def draw_questions(questions: list[dict], per_attempt: int | None, shuffle_answers: bool,
                   rng: random.Random) -> list[dict]:
    """Draw `per_attempt` questions at random (all when unset), shuffling answers if asked."""
    count = min(per_attempt or len(questions), len(questions))
    drawn = []
    for question in rng.sample(questions, count):
        keys = [a["key"] for a in question["answers"]]
        if shuffle_answers:
            rng.shuffle(keys)
        drawn.append({"question": question["id"], "answers": keys})
    return drawn


def attempts_used(session: Session, user: User, module: Module) -> int:
    """Attempts count against max_attempts within the module's current author version."""
    version = module.version_now.version
    return session.scalar(
        select(func.count()).select_from(QuizAttempt)
        .join(ModuleVersion, ModuleVersion.id == QuizAttempt.module_version_id)
        .where(QuizAttempt.user_id == user.id, QuizAttempt.module_id == module.id,
               ModuleVersion.version == version)) or 0


def open_attempt(session: Session, user: User, module: Module) -> QuizAttempt | None:
    return session.scalar(select(QuizAttempt).where(
        QuizAttempt.user_id == user.id, QuizAttempt.module_id == module.id,
        QuizAttempt.status == AttemptStatus.IN_PROGRESS))


def start_attempt(session: Session, user: User, module: Module,
                  rng: random.Random | None = None) -> QuizAttempt:
    """Resume the attempt in progress, or draw a new one if the limit allows."""
    existing = open_attempt(session, user, module)
    if existing is not None:
        return existing
    version = module.version_now
    if version.max_attempts and attempts_used(session, user, module) >= version.max_attempts:
        raise AttemptLimitReachedError
    attempt = QuizAttempt(user_id=user.id, module_id=module.id, module_version_id=version.id,
                          drawn=draw_questions(version.questions, version.questions_per_attempt,
                                               version.shuffle_answers,
                                               rng or random.SystemRandom()))
    try:
        with session.begin_nested():  # a rolled-back savepoint also discards the new row
            session.add(attempt)
            session.flush()
    except IntegrityError:  # another request started one at the same moment (QUIZ-07)
        raced = open_attempt(session, user, module)
        if raced is None:
            raise
        return raced
    return attempt


def check_answers(attempt: QuizAttempt, selected: dict[str, list[str]]) -> None:
    """Every drawn question answered, with answers that belong to it (QUIZ-03, 2.2.3)."""
    questions = {q["id"]: q for q in attempt.module_version.questions}
    missing = []
    for item in attempt.drawn:
        question = questions[item["question"]]
        chosen = selected.get(item["question"], [])
        keys = {a["key"] for a in question["answers"]}
        if not chosen:
            missing.append(item["question"])
        elif not set(chosen) <= keys or len(set(chosen)) != len(chosen) or (
                not question["multiple"] and len(chosen) > 1):
            raise InvalidAnswerError
    if set(selected) - {item["question"] for item in attempt.drawn}:
        raise InvalidAnswerError
    if missing:
        raise UnansweredQuestionsError(missing)


def submit_attempt(session: Session, attempt: QuizAttempt,
                   selected: dict[str, list[str]]) -> bool:
    """Grade and record, exactly once: returns False if the attempt was already submitted.

    The in_progress → submitted transition is a conditional UPDATE, so of any number of
    simultaneous submissions exactly one wins (QUIZ-04, QUIZ-05).
    """
    check_answers(attempt, selected)
    version = attempt.module_version
    questions = {q["id"]: q for q in version.questions}
    grade = grade_attempt(questions, attempt.drawn, selected, version.pass_mark)
    now = utcnow()
    claimed = session.execute(
        update(QuizAttempt)
        .where(QuizAttempt.id == attempt.id, QuizAttempt.status == AttemptStatus.IN_PROGRESS)
        .values(status=AttemptStatus.SUBMITTED, submitted_at=now, selected=selected,
                correct_count=grade.correct_count, score=grade.score, passed=grade.passed)
        .execution_options(synchronize_session=False))
    if rowcount(claimed) != 1:
        return False
    if grade.passed:
        record_completion(session, attempt, now)
    return True


def record_completion(session: Session, attempt: QuizAttempt, now: datetime) -> ModuleCompletion:
    """Record a pass; if it completes the course, issue the certificate. A constant handful of
    statements however long the course (issue 10: the course check was one query per module)."""
    completion = ModuleCompletion(user_id=attempt.user_id, module_id=attempt.module_id,
                                  module_version_id=attempt.module_version_id,
                                  version=attempt.module_version.version,
                                  attempt_id=attempt.id, completed_at=now)
    session.add(completion)
    session.flush()
    course = attempt.module_version.module.course  # the quiz page reads them with the attempt
    latest, due = certification_due(session, attempt.user_id, course, now)
    complete_assignments(session, attempt.user_id, now, module_id=attempt.module_id,
                         course_id=course.id if due else None)
    if due:
        _certify(session, attempt.user_id, course, completion, now, previous=latest)
    return completion


def certification_due(session: Session, user_id: int, course: Course, now: datetime
                      ) -> tuple[Certificate | None, bool]:
    """The one rule for certification: every module has a current pass and, when the course asks
    for one, the person attended a live session of it, done in whichever order. Returns the
    person's latest certificate of the course too (latest_certificate), read with the passes."""
    latest, completed = _latest_and_completed(session, user_id, course, now)
    due = completed and (not course.requires_live_session or attended_live_session(
        session, user_id, course, now, latest=latest))
    return latest, due


def attended_live_session(session: Session, user_id: int, course: Course, now: datetime, *,
                          latest: Certificate | None) -> bool:
    """Attended in full (leaving early does not count) a session of the course, not lapsed."""
    cutoff = counting_from(course, latest, now)
    query = (select(SessionBooking.id).join(SessionBooking.live_session)
             .where(SessionBooking.user_id == user_id, LiveSession.course_id == course.id,
                    SessionBooking.attendance == Attendance.ATTENDED))
    if cutoff is not None:
        query = query.where(LiveSession.ends_at > cutoff)
    return session.scalar(select(exists(query))) or False


def certify_after_attendance(session: Session, user_id: int, course: Course,
                             now: datetime) -> Certificate | None:
    """The live session came last: certify from the latest pass of the course, once (a
    certificate names the completion that finished the course, one certificate each)."""
    previous, due = certification_due(session, user_id, course, now)
    if not due:
        return None
    latest = session.scalar(
        select(ModuleCompletion).join(Module, Module.id == ModuleCompletion.module_id)
        .where(ModuleCompletion.user_id == user_id, Module.course_id == course.id)
        .order_by(ModuleCompletion.completed_at.desc(), ModuleCompletion.id.desc()).limit(1))
    if latest is None or session.scalar(select(exists().where(
            Certificate.completion_id == latest.id))):
        return None
    complete_assignments(session, user_id, now, course_id=course.id)
    return _certify(session, user_id, course, latest, now, previous=previous)


def _certify(session: Session, user_id: int, course: Course, completion: ModuleCompletion,
             now: datetime, *, previous: Certificate | None) -> Certificate:
    certificate = issue_certificate(session, user_id, course, completion, now, previous=previous)
    session.flush()
    if counts_for_tiers(course):
        refresh_tiers_for_user(session, user_id, now)
    return certificate


def counts_for_tiers(course: Course) -> bool:
    """Tiers count champions holding a certificate of a required champion course (tiers.py)."""
    return course.required and course.audience in CHAMPION_AUDIENCES


def complete_assignments(session: Session, user_id: int, now: datetime, *,
                         module_id: int | None = None, course_id: int | None = None) -> None:
    """Mark the person's pending assignments of this module and/or course done, in every
    organisation, in the caller's transaction (the one that records the pass)."""
    targets = [Assignment.module_id == module_id if module_id is not None else None,
               Assignment.course_id == course_id if course_id is not None else None]
    done = session.execute(
        update(Assignment)
        .where(Assignment.user_id == user_id, or_(*[t for t in targets if t is not None]),
               Assignment.cancelled_at.is_(None), Assignment.completed_at.is_(None))
        .values(completed_at=now).execution_options(synchronize_session=False))
    if rowcount(done):
        training_status.changed(session, [user_id])


def refresher_cutoff(refresher_months: int, now: datetime) -> datetime | None:
    """Passes on or before this moment have lapsed (None: the course has no refresher).

    One definition for Python and for SQL aggregates (the HR lead's dashboard), so both agree.
    """
    return now - relativedelta(months=refresher_months) if refresher_months else None


def has_lapsed(completed_at: datetime, refresher_months: int, now: datetime) -> bool:
    cutoff = refresher_cutoff(refresher_months, now)
    return cutoff is not None and completed_at <= cutoff


def _latest_and_completed(session: Session, user_id: int, course: Course, now: datetime
                          ) -> tuple[Certificate | None, bool]:
    """The person's latest certificate of the course (as latest_certificate), and whether every
    module of it still in use has a pass that counts (counting_from), of its current version or
    a later one; while renewing, the refresher path is enough. One statement however many
    modules (issue 10: the course check was one query per module)."""
    latest_id = (select(Certificate.id)
                 .where(Certificate.user_id == user_id, Certificate.course_id == course.id,
                        Certificate.revoked_at.is_(None))
                 .order_by(Certificate.issued_at.desc(), Certificate.id.desc()).limit(1)
                 .scalar_subquery())
    passed_at = (select(func.max(ModuleCompletion.completed_at))
                 .where(ModuleCompletion.user_id == user_id,
                        ModuleCompletion.module_id == Module.id,
                        ModuleCompletion.version >= func.coalesce(ModuleVersion.version, 0))
                 .scalar_subquery())
    rows = session.execute(
        select(Module.in_refresher, passed_at.label("passed_at"), Certificate)
        .outerjoin(ModuleVersion, ModuleVersion.id == Module.current_version_id)
        .outerjoin(Certificate, Certificate.id == latest_id)
        .where(Module.course_id == course.id, Module.retired_at.is_(None))).all()
    latest = rows[0].Certificate if rows else None
    cutoff = counting_from(course, latest, now)
    renewing = latest is not None and renewal_state(latest, course, now) in RENEWABLE
    counted = [row for row in rows if row.in_refresher or not renewing]
    completed = bool(counted) and all(
        row.passed_at is not None and (cutoff is None or row.passed_at > cutoff)
        for row in counted)
    return latest, completed


class RenewalState(enum.StrEnum):
    NOT_YET = "not yet"  # the renewal window has not opened
    OPEN = "open"  # from the window's opening to the expiry date
    GRACE = "grace"  # expired, but still renewable from the old expiry date
    CLOSED = "closed"  # past the grace period: certified afresh, from the day it is earned


RENEWABLE = (RenewalState.OPEN, RenewalState.GRACE)


def renewal_opens(certificate: Certificate, course: Course) -> datetime | None:
    """From when passes (and a live session) count towards renewing this certificate. A course
    without a renewal window (0 months) can be refreshed at any time, from the day it is done."""
    if certificate.expires_at is None or not course.renewal_window_months:
        return None
    return certificate.expires_at - relativedelta(months=course.renewal_window_months)


def renewal_closes(certificate: Certificate, course: Course) -> datetime | None:
    if certificate.expires_at is None or not course.renewal_window_months:
        return None
    return certificate.expires_at + relativedelta(months=course.renewal_grace_months)


def renewal_state(certificate: Certificate, course: Course, now: datetime) -> RenewalState | None:
    opens, closes = renewal_opens(certificate, course), renewal_closes(certificate, course)
    if opens is None or closes is None or certificate.expires_at is None:
        return None
    if now < opens:
        return RenewalState.NOT_YET
    if now < certificate.expires_at:
        return RenewalState.OPEN
    return RenewalState.GRACE if now < closes else RenewalState.CLOSED


def latest_certificate(session: Session, user_id: int, course: Course) -> Certificate | None:
    """The person's latest certificate of the course that was not revoked."""
    return session.scalar(
        select(Certificate).where(Certificate.user_id == user_id,
                                  Certificate.course_id == course.id,
                                  Certificate.revoked_at.is_(None))
        .order_by(Certificate.issued_at.desc(), Certificate.id.desc()).limit(1))


def counting_from(course: Course, latest: Certificate | None, now: datetime) -> datetime | None:
    """Passes and live sessions after this moment count towards the next certificate: not
    lapsed (refresher_months) and, for someone already holding an expiring certificate of the
    course, made since its renewal window opened, so a certificate is renewed from its window
    and never issued again before it opens."""
    cutoffs = [refresher_cutoff(course.refresher_months, now)]
    if latest is not None:
        cutoffs.append(renewal_opens(latest, course))
    found = [cutoff for cutoff in cutoffs if cutoff is not None]
    return max(found) if found else None


def new_expiry(previous: Certificate | None, course: Course, now: datetime) -> datetime | None:
    """A renewal inside the window or grace period runs on from the old expiry date, so renewing
    early loses nothing; otherwise a certificate runs from the day it is earned."""
    if not course.refresher_months:
        return None
    start = now
    if previous is not None and previous.expires_at is not None and renewal_state(
            previous, course, now) in RENEWABLE:
        start = previous.expires_at
    return start + relativedelta(months=course.refresher_months)


def issue_certificate(session: Session, user_id: int, course: Course,
                      completion: ModuleCompletion, now: datetime, *,
                      previous: Certificate | None) -> Certificate:
    """A new certificate after `previous` (the latest of the course, or None): earlier ones stay
    in the person's history with their own dates."""
    expires = new_expiry(previous, course, now)
    certificate = Certificate(code=new_certificate_code(), user_id=user_id, course_id=course.id,
                              completion_id=completion.id, issued_at=now, expires_at=expires)
    session.add(certificate)
    return certificate


def normalise_certificate_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


class ModuleStatus(enum.StrEnum):
    NOT_STARTED = "not started"
    IN_PROGRESS = "in progress"
    PASSED = "passed"
    NEEDS_REFRESHER = "needs refresher"
    OVERDUE = "overdue"  # assigned, due before today, and not passed


@dataclass(frozen=True)
class ModuleProgress:
    module: Module
    status: ModuleStatus
    passed_at: datetime | None


@dataclass(frozen=True)
class CourseProgress:
    course: Course
    modules: tuple[ModuleProgress, ...]
    certificate: Certificate | None
    due_on: date | None = None  # the earliest pending assignment of the course or its modules

    @property
    def passed_count(self) -> int:
        return sum(m.status == ModuleStatus.PASSED for m in self.modules)

    @property
    def is_overdue(self) -> bool:
        return any(m.status == ModuleStatus.OVERDUE for m in self.modules)


@dataclass(frozen=True)
class LearnerRecord:
    """What one person has done: their latest pass of each module, and the modules they have
    started (any attempt)."""
    completions: dict[int, ModuleCompletion] = field(default_factory=dict)
    started: set[int] = field(default_factory=set)

    def progress(self, module: Module, course: Course, now: datetime) -> ModuleProgress:
        return module_progress(module, course, self.completions, self.started, now)


def learner_records(session: Session, user_ids: Iterable[int]) -> dict[int, LearnerRecord]:
    """The record of each person, in two queries however many people and modules."""
    user_ids = list(user_ids)
    records: dict[int, LearnerRecord] = defaultdict(LearnerRecord)
    for completion in session.scalars(select(ModuleCompletion).where(
            ModuleCompletion.user_id.in_(user_ids)).order_by(ModuleCompletion.completed_at)):
        records[completion.user_id].completions[completion.module_id] = completion
    for user_id, module_id in session.execute(select(QuizAttempt.user_id, QuizAttempt.module_id)
                                              .where(QuizAttempt.user_id.in_(user_ids))
                                              .distinct()):
        records[user_id].started.add(module_id)
    return records


def courses_for(session: Session, user: User) -> list[Course]:
    """Courses whose audience includes one of the person's current roles (all, for coordinators)."""
    roles = {str(m.role) for m in user.memberships if m.is_current}
    query = (select(Course).where(Course.retired_at.is_(None)).order_by(Course.id)
             .options(joinedload(Course.modules).joinedload(Module.current_version)
                      # Course lists show titles, never a lesson or quiz: skip reading those.
                      .options(defer(ModuleVersion.body_html), defer(ModuleVersion.questions),
                               defer(ModuleVersion.sources))))
    if not user.is_coordinator:
        query = query.where(Course.audience.in_([*roles, "all"]))
    return list(session.scalars(query).unique())


def learner_progress(session: Session, user: User, now: datetime,
                     record: LearnerRecord | None = None) -> list[CourseProgress]:
    """Every course for this person with each module's status, in a fixed number of queries.

    A module that is not passed and belongs to a pending assignment due before today (the
    module itself, or its whole course) is overdue.
    """
    courses = courses_for(session, user)
    if record is None:
        record = learner_records(session, [user.id])[user.id]
    certificates = _current_certificates(session, user, now)
    courses_due, modules_due = pending_due_dates(session, user.id)
    progress = []
    for course in courses:
        modules = []
        for module in course.modules:
            if module.retired_at is None:
                due = _earliest(courses_due.get(course.id), modules_due.get(module.id))
                modules.append(with_due_date(record.progress(module, course, now), due, now))
        due_on = _earliest(courses_due.get(course.id),
                           *(modules_due.get(m.id) for m in course.modules))
        progress.append(CourseProgress(course, tuple(modules), certificates.get(course.id),
                                       due_on))
    return progress


def pending_due_dates(session: Session, user_id: int) -> tuple[dict[int, date], dict[int, date]]:
    """The earliest due date of the person's pending assignments, by course and by module."""
    courses: dict[int, date] = {}
    modules: dict[int, date] = {}
    rows = session.execute(
        select(Assignment.course_id, Assignment.module_id, func.min(Assignment.due_on))
        .where(Assignment.user_id == user_id, Assignment.cancelled_at.is_(None),
               Assignment.completed_at.is_(None))
        .group_by(Assignment.course_id, Assignment.module_id))
    for course_id, module_id, due_on in rows:
        if course_id is not None:
            courses[course_id] = due_on
        elif module_id is not None:  # an assignment is of a course or of one module
            modules[module_id] = due_on
    return courses, modules


def _earliest(*dates: date | None) -> date | None:
    return min((d for d in dates if d is not None), default=None)


def with_due_date(progress: ModuleProgress, due_on: date | None,
                  now: datetime) -> ModuleProgress:
    status = status_when_due(progress.status, due_on, now)
    if status != progress.status:
        return ModuleProgress(progress.module, status, progress.passed_at)
    return progress


def status_when_due(status: ModuleStatus, due_on: date | None, now: datetime) -> ModuleStatus:
    """Overdue, when a pending assignment's due date has passed and the module is not passed."""
    if due_on is not None and due_on < now.date() and status != ModuleStatus.PASSED:
        return ModuleStatus.OVERDUE
    return status


def _current_certificates(session: Session, user: User, now: datetime) -> dict[int, Certificate]:
    found: dict[int, Certificate] = {}
    for certificate in session.scalars(select(Certificate).where(
            Certificate.user_id == user.id).order_by(Certificate.issued_at)):
        if certificate.is_current_at(now):
            found[certificate.course_id] = certificate
    return found


RESUME_ORDER = (ModuleStatus.IN_PROGRESS, ModuleStatus.OVERDUE, ModuleStatus.NEEDS_REFRESHER,
                ModuleStatus.NOT_STARTED)


def next_module_after(course: CourseProgress, module_id: int) -> ModuleProgress | None:
    """The next module of the course still to pass after this one (wrapping round), if any."""
    modules = list(course.modules)
    at = next((i for i, m in enumerate(modules) if m.module.id == module_id), -1)
    for entry in modules[at + 1:] + modules[:max(at, 0)]:
        if entry.status != ModuleStatus.PASSED and entry.module.id != module_id:
            return entry
    return None


def module_progress(module: Module, course: Course, completions: dict[int, ModuleCompletion],
                    started: set[int], now: datetime) -> ModuleProgress:
    """A module's status from the person's latest pass and whether they ever started it."""
    completion = completions.get(module.id)
    if completion is not None:
        return ModuleProgress(module, pass_status(
            completion.version, completion.completed_at, module.version_now.version,
            course.refresher_months, now), completion.completed_at)
    return ModuleProgress(module, not_passed_status(module.id in started), None)


def pass_status(passed_version: int, passed_at: datetime, current_version: int,
                refresher_months: int, now: datetime) -> ModuleStatus:
    """A module's status given the person's latest pass: a pass of an older version of the
    module, or one that has lapsed, needs a refresher."""
    stale = passed_version < current_version or has_lapsed(passed_at, refresher_months, now)
    return ModuleStatus.NEEDS_REFRESHER if stale else ModuleStatus.PASSED


def not_passed_status(started: bool) -> ModuleStatus:
    return ModuleStatus.IN_PROGRESS if started else ModuleStatus.NOT_STARTED
