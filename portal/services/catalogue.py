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


def stored_versions(session: Session) -> dict[tuple[str, str], int]:
    """Every stored module version: (module key, content hash) -> version id.

    Given to the loader as `stored`, so `courses sync` renders only what it will store.
    """
    rows = session.execute(select(Module.key, ModuleVersion.content_hash, ModuleVersion.id)
                           .join(ModuleVersion, ModuleVersion.module_id == Module.id))
    return {(key, content_hash): version_id for key, content_hash, version_id in rows}


def sync_catalogue(session: Session, catalogue: loader.Catalogue,
                   stored: dict[tuple[str, str], int] | None = None) -> SyncReport:
    """Make the database match the catalogue; idempotent, and nothing is ever deleted.

    `stored` is stored_versions(session), if the caller has it already.
    """
    report = SyncReport()
    stored = stored_versions(session) if stored is None else stored
    courses = {c.key: c for c in session.scalars(select(Course))}
    modules = {m.key: m for m in session.scalars(select(Module))}
    seen_courses, seen_modules = set(), set()
    for loaded in catalogue.courses:
        course = _upsert_course(session, courses.get(loaded.id), loaded)
        seen_courses.add(loaded.id)
        for position, loaded_module in enumerate(loaded.modules, 1):
            module = modules.get(loaded_module.id) or _new_module(session, loaded_module.id)
            module.course, module.position, module.retired_at = course, position, None
            module.in_refresher = not loaded.refresher_modules \
                or loaded_module.id in loaded.refresher_modules
            version_id = stored.get((loaded_module.id, loaded_module.content_hash))
            _sync_version(session, module, loaded_module, version_id, report)
            seen_modules.add(loaded_module.id)
    _retire_missing(courses, modules, seen_courses, seen_modules, report)
    return report


def _upsert_course(session: Session, course: Course | None, loaded: loader.Course) -> Course:
    if course is None:
        course = Course(key=loaded.id)
        session.add(course)
    values = {"title": loaded.title, "audience": loaded.audience, "required": loaded.required,
              "refresher_months": loaded.refresher_months,
              "requires_live_session": loaded.live_session,
              "renewal_window_months": loaded.renewal_window_months,
              "renewal_grace_months": loaded.renewal_grace_months,
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
                  version_id: int | None, report: SyncReport) -> None:
    """Add a version row only when the content hash is new; point the module at it.

    `version_id` is the stored version with this content, if any (a version belongs to one
    module: its content names the module's id).
    """
    if version_id is None:
        if not loaded.rendered:
            raise ValueError(f"module {loaded.id} was not rendered but has no stored version")
        version = _version_row(loaded)
        version.module = module
        session.add(version)
        (report.created if module.current_version_id is None else report.new_versions) \
            .append(loaded.id)
        module.current_version = version  # written after the row by the one flush at the end
    elif module.current_version_id == version_id:
        report.unchanged.append(loaded.id)
    else:  # back to content stored before: point at that version again
        module.current_version = session.get(ModuleVersion, version_id)


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
