"""Storing the course catalogue from courses/: one row per module version, never re-rendered."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal import courses as loader
from portal.models import Course, Module, ModuleVersion, utcnow


@dataclass
class SyncReport:
    created: list[str] = field(default_factory=list)
    new_versions: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)


def sync_catalogue(session: Session, catalogue: loader.Catalogue) -> SyncReport:
    """Make the database match the catalogue; idempotent, and nothing is ever deleted."""
    report = SyncReport()
    courses = {c.key: c for c in session.scalars(select(Course))}
    modules = {m.key: m for m in session.scalars(select(Module))}
    seen_courses, seen_modules = set(), set()
    for loaded in catalogue.courses:
        course = _upsert_course(session, courses.get(loaded.id), loaded)
        seen_courses.add(loaded.id)
        for position, loaded_module in enumerate(loaded.modules, 1):
            module = modules.get(loaded_module.id) or _new_module(session, loaded_module.id)
            module.course, module.position, module.retired_at = course, position, None
            _sync_version(session, module, loaded_module, report)
            seen_modules.add(loaded_module.id)
    _retire_missing(courses, modules, seen_courses, seen_modules, report)
    return report


def _upsert_course(session: Session, course: Course | None, loaded: loader.Course) -> Course:
    if course is None:
        course = Course(key=loaded.id)
        session.add(course)
    values = {"title": loaded.title, "audience": loaded.audience, "required": loaded.required,
              "refresher_months": loaded.refresher_months,
              "description_html": loaded.description_html, "retired_at": None}
    for name, value in values.items():
        if getattr(course, name) != value:
            setattr(course, name, value)
    return course


def _new_module(session: Session, key: str) -> Module:
    module = Module(key=key)
    session.add(module)
    return module


def _sync_version(session: Session, module: Module, loaded: loader.Module,
                  report: SyncReport) -> None:
    """Add a version row only when the content hash is new; point the module at it."""
    version = None
    if module.id is not None:
        version = session.scalar(select(ModuleVersion).where(
            ModuleVersion.module_id == module.id,
            ModuleVersion.content_hash == loaded.content_hash))
    if version is None:
        version = _version_row(loaded)
        version.module = module
        session.add(version)
        (report.created if module.current_version is None else report.new_versions) \
            .append(loaded.id)
    elif module.current_version_id == version.id:
        report.unchanged.append(loaded.id)
    session.flush()
    module.current_version = version


def _version_row(loaded: loader.Module) -> ModuleVersion:
    quiz = loaded.quiz
    return ModuleVersion(
        version=loaded.version, content_hash=loaded.content_hash, title=loaded.title,
        summary=loaded.summary, minutes=loaded.minutes, content_note=loaded.content_note,
        body_html=loaded.body_html, pass_mark=quiz.pass_mark,
        questions_per_attempt=quiz.questions_per_attempt, shuffle_answers=quiz.shuffle_answers,
        max_attempts=quiz.max_attempts, sources=list(loaded.sources),
        questions=[_question_data(q) for q in loaded.questions])


def _question_data(question: loader.Question) -> dict:
    return {"id": question.id, "prompt_html": question.prompt_html,
            "multiple": question.multiple, "explanation_html": question.explanation_html,
            "answers": [asdict(a) for a in question.answers]}


def _retire_missing(courses: dict[str, Course], modules: dict[str, Module],
                    seen_courses: set[str], seen_modules: set[str], report: SyncReport) -> None:
    now = utcnow()
    for key, module in modules.items():
        if key not in seen_modules and module.retired_at is None:
            module.retired_at = now
            report.retired.append(key)
    for key, course in courses.items():
        if key not in seen_courses and course.retired_at is None:
            course.retired_at = now
            report.retired.append(key)
