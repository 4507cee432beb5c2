"""The catalogue's health, for coordinators: each course and module, every stored version of it,
and how people fare on each version (aggregates only).

People are counted by the cell-key method like every figure of people (services/small_numbers.py):
a person's record key here is the smallest of their roles' keys (0 for someone with no role), so
the same people always make the same cell. A pass rate and an average number of attempts are
shown only for a version at least THRESHOLD people have taken: below that they would tell one
person's results. The page costs four statements however many versions, people and attempts.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, load_only, selectinload

from portal.models import AttemptStatus, Course, Membership, ModuleVersion, QuizAttempt
from portal.services.small_numbers import Cell, cell


@dataclass(frozen=True)
class VersionHealth:
    id: int
    version: int
    content_hash: str
    title: str
    created_at: datetime
    live: bool
    people_taken: Cell  # people with a submitted attempt on this version
    people_passed: Cell
    attempts: int  # for the rates only, never shown
    passes: int

    @property
    def rates_shown(self) -> bool:
        return self.people_taken.number is not None and self.people_taken.value > 0

    @property
    def pass_rate(self) -> int | None:
        """Per cent of submitted attempts that passed, when it may be shown."""
        if not self.rates_shown or not self.attempts:
            return None
        return round(100 * self.passes / self.attempts)

    @property
    def average_attempts(self) -> float | None:
        """Attempts per person who took it, when it may be shown."""
        if not self.rates_shown:
            return None
        return round(self.attempts / self.people_taken.value, 1)


@dataclass(frozen=True)
class ModuleHealth:
    key: str
    title: str
    retired: bool
    versions: list[VersionHealth]  # newest first

    @property
    def live(self) -> VersionHealth | None:
        return next((version for version in self.versions if version.live), None)


@dataclass(frozen=True)
class CourseHealth:
    key: str
    title: str
    retired: bool
    updated_at: datetime
    modules: list[ModuleHealth]


def _version_figures(session: Session) -> dict[int, tuple[Cell, Cell, int, int]]:
    """Per version: people who took it, people who passed, attempts and passes (one statement)."""
    keys = (select(Membership.user_id.label("user_id"),
                   func.min(Membership.record_key).label("key"))
            .group_by(Membership.user_id).subquery("person_keys"))
    per_person = (select(QuizAttempt.module_version_id.label("version_id"),
                         func.count().label("attempts"),
                         func.sum(case((QuizAttempt.passed.is_(True), 1), else_=0)).label("passes"),
                         func.coalesce(func.min(keys.c.key), 0).label("key"))
                  .outerjoin(keys, keys.c.user_id == QuizAttempt.user_id)
                  .where(QuizAttempt.status == AttemptStatus.SUBMITTED)
                  .group_by(QuizAttempt.module_version_id, QuizAttempt.user_id)
                  .subquery("per_person"))
    passed = per_person.c.passes > 0
    rows = session.execute(select(
        per_person.c.version_id, func.count(), func.sum(per_person.c.key),
        func.sum(case((passed, 1), else_=0)), func.sum(case((passed, per_person.c.key), else_=0)),
        func.sum(per_person.c.attempts), func.sum(per_person.c.passes),
    ).group_by(per_person.c.version_id))
    return {version_id: (cell(taken, taken_key), cell(passers, passed_key), int(attempts or 0),
                         int(passes or 0))
            for version_id, taken, taken_key, passers, passed_key, attempts, passes in rows}


def catalogue_health(session: Session) -> list[CourseHealth]:
    courses = list(session.scalars(select(Course).options(selectinload(Course.modules))
                                   .order_by(Course.retired_at.is_not(None), Course.title)))
    versions: dict[int, list[ModuleVersion]] = defaultdict(list)
    listed = select(ModuleVersion).options(load_only(  # not the content: it is not shown
        ModuleVersion.module_id, ModuleVersion.version, ModuleVersion.content_hash,
        ModuleVersion.title, ModuleVersion.created_at))
    for version in session.scalars(listed.order_by(
            ModuleVersion.module_id, ModuleVersion.created_at.desc(), ModuleVersion.id.desc())):
        versions[version.module_id].append(version)
    figures = _version_figures(session)
    nothing = (Cell(), Cell(), 0, 0)
    return [CourseHealth(
        course.key, course.title, course.retired_at is not None, course.updated_at,
        [ModuleHealth(module.key, versions[module.id][0].title if versions[module.id]
                      else module.key, module.retired_at is not None,
                      [VersionHealth(version.id, version.version, version.content_hash,
                                     version.title, version.created_at,
                                     version.id == module.current_version_id,
                                     *figures.get(version.id, nothing))
                       for version in versions[module.id]])
         for module in course.modules])
        for course in courses]
