"""What the module page shows of a stored module version, kept per process by version id.

A ModuleVersion row is written once by `courses sync` and never changed (a new version is a new
row), so its lesson can be kept for as long as the process lives: the module page then reads
neither the row's Markdown-rendered HTML nor its quiz JSON from the database again. Nothing
about any person is kept here.
"""

from __future__ import annotations

import html
import re
import threading
from dataclasses import dataclass

from flask import current_app
from sqlalchemy.orm import Session

from portal.models import ModuleVersion

CACHE_SIZE = 512  # versions; a whole curriculum is far fewer
CONTENTS_FROM = 4  # a lesson with this many sections or more gets a contents list
_SECTION = re.compile(r"<h2([^>]*)>(.*?)</h2>", re.S)
_TAG = re.compile(r"<[^>]+>")


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
    contents: tuple[tuple[str, str], ...] = ()  # (anchor, heading text) of each section


def with_contents(body_html: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    """Give each section heading of sanitised lesson HTML an id, and list them for a contents
    list when the lesson is long; short lessons are returned unchanged."""
    headings = _SECTION.findall(body_html)
    if len(headings) < CONTENTS_FROM:
        return body_html, ()
    contents = []

    def anchor(match: re.Match) -> str:
        number = len(contents) + 1
        contents.append((f"section-{number}", html.unescape(_TAG.sub("", match.group(2)))))
        return f'<h2 id="section-{number}"{match.group(1)}>{match.group(2)}</h2>'

    return _SECTION.sub(anchor, body_html), tuple(contents)


_lock = threading.Lock()


def lesson(session: Session, version_id: int) -> Lesson:
    """The lesson of this version, from this app's cache or (the first time) the database."""
    cache: dict[int, Lesson] = current_app.extensions.setdefault("portal.lessons", {})
    found = cache.get(version_id)
    if found is None:
        version = session.get(ModuleVersion, version_id)
        body_html, contents = with_contents(version.body_html)
        found = Lesson(version.id, version.title, version.content_note, body_html,
                       len(version.questions), version.questions_per_attempt, version.pass_mark,
                       version.max_attempts, tuple(version.sources), contents)
        with _lock:
            if len(cache) >= CACHE_SIZE:
                cache.clear()
            cache[version_id] = found
    return found
