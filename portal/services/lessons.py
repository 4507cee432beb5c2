"""What the module page shows of a stored module version, kept per process by version id.

A ModuleVersion row is written once by `courses sync` and never changed (a new version is a new
row), so its lesson can be kept for as long as the process lives: the module page then reads
neither the row's Markdown-rendered HTML nor its quiz JSON from the database again. Nothing
about any person is kept here.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from flask import current_app
from sqlalchemy.orm import Session

from portal.models import ModuleVersion

CACHE_SIZE = 512  # versions; a whole curriculum is far fewer


@dataclass(frozen=True)
class Lesson:
    version_id: int
    title: str
    content_note: str
    body_html: str
    question_count: int
    questions_per_attempt: int | None
    pass_mark: int
    max_attempts: int
    sources: tuple[str, ...]


_lock = threading.Lock()


def lesson(session: Session, version_id: int) -> Lesson:
    """The lesson of this version, from this app's cache or (the first time) the database."""
    cache: dict[int, Lesson] = current_app.extensions.setdefault("portal.lessons", {})
    found = cache.get(version_id)
    if found is None:
        version = session.get(ModuleVersion, version_id)
        found = Lesson(version.id, version.title, version.content_note, version.body_html,
                       len(version.questions), version.questions_per_attempt, version.pass_mark,
                       version.max_attempts, tuple(version.sources))
        with _lock:
            if len(cache) >= CACHE_SIZE:
                cache.clear()
            cache[version_id] = found
    return found
