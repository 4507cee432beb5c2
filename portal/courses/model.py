"""The catalogue's data: frozen dataclasses, so a loaded course cannot be changed by a request.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    # Python-Markdown's tree, for type hints only: we never parse XML.
    pass  # nosec B405



# --------------------------------------------------------------------------------------------
# The catalogue's data: frozen, so a loaded course cannot be changed by a request.
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """One answer; `key` hashes its normalised text, so reordering answers keeps attempts valid."""

    key: str
    text_html: str
    correct: bool
    feedback_html: str


@dataclass(frozen=True)
class Question:
    """`id` is "<module id>:<hash of the normalised question text>": a reworded question is new."""

    id: str
    prompt_html: str
    answers: tuple[Answer, ...]
    explanation_html: str
    multiple: bool
    line: int


@dataclass(frozen=True)
class QuizSettings:
    """`questions_per_attempt` None asks every question; `max_attempts` 0 means unlimited."""

    pass_mark: int
    questions_per_attempt: int | None
    shuffle_answers: bool
    max_attempts: int


@dataclass(frozen=True)
class Module:
    """One module version: `content_hash` changes with any edit, `version` when authors bump it."""

    id: str
    title: str
    version: int
    summary: str
    minutes: int | None
    content_note: str
    quiz: QuizSettings
    sources: tuple[str, ...]
    body_html: str
    questions: tuple[Question, ...]
    path: Path
    content_hash: str
    # False when the loader was told this version is stored already (see load_catalogue): it
    # was checked in full but not rendered, so every *_html field is empty.
    rendered: bool = True


@dataclass(frozen=True)
class Course:
    """An ordered pathway of modules; `path` is its course.md."""

    id: str
    title: str
    audience: str
    required: bool
    refresher_months: int
    description_html: str
    modules: tuple[Module, ...]
    path: Path
    live_session: bool = False  # certified only after attending a live session too
    renewal_window_months: int = 0  # renewal opens this long before the certificate expires
    renewal_grace_months: int = 0  # and stays open this long after
    refresher_modules: tuple[str, ...] = ()  # the module ids a renewal needs (empty: all)


@dataclass(frozen=True)
class Catalogue:
    """Every course that loaded without a single error, in folder-name order."""

    courses: tuple[Course, ...] = ()

    def course(self, course_id: str) -> Course | None:
        """Return the course with this id, or None."""
        return next((course for course in self.courses if course.id == course_id), None)

    def module(self, module_id: str) -> Module | None:
        """Return the module with this id from any course, or None."""
        modules = (module for course in self.courses for module in course.modules)
        return next((module for module in modules if module.id == module_id), None)


class CourseError(Exception):
    """A problem in a course file, with the file and line an author needs to fix it."""

    def __init__(self, path: Path, line: int, message: str) -> None:
        super().__init__(path, line, message)
        self.path = Path(path)
        self.line = line
        self.message = message

    def __str__(self) -> str:
        where = display_path(self.path)
        return f"{where}:{self.line}: {self.message}" if self.line else f"{where}: {self.message}"

    def __repr__(self) -> str:
        return f"CourseError({str(self.path)!r}, {self.line}, {self.message!r})"


def display_path(path: Path) -> str:
    """Show a path relative to the working directory when it is inside it."""
    try:
        return str(path.absolute().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


