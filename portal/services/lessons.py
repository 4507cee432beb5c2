"""What the module page shows of a stored module version, kept per process by version id.

A ModuleVersion row is written once by `courses sync` and never changed (a new version is a new
row), so its lesson can be kept for as long as the process lives: the module page then reads
neither the row's Markdown-rendered HTML nor its quiz JSON from the database again. Nothing
about any person is kept here.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from sqlalchemy.orm import Session

from portal.caching import BoundedCache
from portal.models import ModuleVersion

CACHE_SIZE = 512  # versions; a whole curriculum is far fewer
CONTENTS_FROM = 4  # a lesson with this many sections or more gets a contents list
_SECTION = re.compile(r"<h2([^>]*)>(.*?)</h2>", re.S)
_TAG = re.compile(r"<[^>]+>")
# The app's sessions carry its cache of lessons (portal/db.py), so two apps in one process
# (tests) never see each other's; a session without one reads the database every time.
INFO_KEY = "portal.lessons"


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
    contents: list[tuple[str, str]] = []

    def anchor(match: re.Match) -> str:
        number = len(contents) + 1
        contents.append((f"section-{number}", html.unescape(_TAG.sub("", match.group(2)))))
        return f'<h2 id="section-{number}"{match.group(1)}>{match.group(2)}</h2>'

    return _SECTION.sub(anchor, body_html), tuple(contents)


def new_cache() -> BoundedCache[int, Lesson]:
    return BoundedCache(CACHE_SIZE)


def lesson(session: Session, version_id: int) -> Lesson:
    """The lesson of this version, from this app's cache or (the first time) the database."""
    cache: BoundedCache[int, Lesson] | None = session.info.get(INFO_KEY)
    if cache is None:
        return _read(session, version_id)
    return cache.get_or_make(version_id, lambda: _read(session, version_id))


def _read(session: Session, version_id: int) -> Lesson:
    version = session.get(ModuleVersion, version_id)
    if version is None:
        raise LookupError(f"no module version {version_id}")
    body_html, contents = with_contents(version.body_html)
    return Lesson(version.id, version.title, version.content_note, body_html,
                  len(version.questions), version.questions_per_attempt, version.pass_mark,
                  version.max_attempts, tuple(version.sources), contents)
