"""How long `flask courses sync` takes for 100 modules: all new, unchanged, and all changed.

The modules are copies of the real ones (so rendering costs what real content costs) with new
ids, in ten courses, in a temporary COURSES_DIR, synced into a scratch database of the same kind
as the benchmark's: a temporary SQLite file, or a scratch database on the same PostgreSQL server.
The command runs in-process through Flask's CLI runner, so Python's start-up is not counted.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa
from alembic import command as alembic_command
from flask import Flask
from sqlalchemy.engine import make_url

from portal.migrations import alembic_config

COURSES = 10
MODULES_PER_COURSE = 10
REAL_COURSES = Path(__file__).resolve().parent.parent / "courses"


def write_courses(root: Path, *, edition: int) -> None:
    """100 modules in 10 courses; each edition changes every module's text and version."""
    sources = sorted(REAL_COURSES.glob("*/[0-9][0-9]-*.md"))
    for course in range(1, COURSES + 1):
        folder = root / f"bench-course-{course:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        stems = []
        for number in range(1, MODULES_PER_COURSE + 1):
            source = sources[(course * MODULES_PER_COURSE + number) % len(sources)]
            stem = f"{number:02d}-module"
            text = source.read_text(encoding="utf-8")
            text = re.sub(r"^id: .*$", f"id: bench-{course:02d}-{number:02d}", text, count=1,
                          flags=re.MULTILINE)
            text = re.sub(r"^version: .*$", f"version: {edition}", text, count=1,
                          flags=re.MULTILINE)
            text += f"\n\nThis copy is edition {edition} of a benchmark module.\n"
            (folder / f"{stem}.md").write_text(text, encoding="utf-8")
            stems.append(stem)
        modules = "".join(f"  - {stem}\n" for stem in stems)
        (folder / "course.md").write_text(
            f"---\nid: bench-course-{course:02d}\ntitle: Benchmark course {course}\n"
            f"audience: champion\nrequired: false\nrefresher_months: 0\nmodules:\n{modules}"
            f"---\nA copy of real modules, for timing the sync.\n", encoding="utf-8")


def measure(make_app: Callable[[str, Path], Flask], database_url: str) -> dict:
    """{"first": s, "unchanged": s, "changed": s} for 100 modules."""
    root = Path(tempfile.mkdtemp(prefix="bench-courses-"))
    with scratch_database(database_url) as url:
        alembic_command.upgrade(alembic_config(url), "head")
        app = make_app(url, root)
        write_courses(root, edition=1)
        times = {"first": _sync(app)}
        times["unchanged"] = _sync(app)
        write_courses(root, edition=2)
        times["changed"] = _sync(app)
        app.extensions["portal.engine"].dispose()
    shutil.rmtree(root)
    return {name: round(seconds, 2) for name, seconds in times.items()}


def _sync(app: Flask) -> float:
    started = time.perf_counter()
    result = app.test_cli_runner().invoke(args=["courses", "sync"])
    seconds = time.perf_counter() - started
    if result.exit_code != 0:
        raise RuntimeError(f"courses sync failed: {result.output}")
    return seconds


class scratch_database:  # noqa: N801 - used as a context manager, like tempfile's
    """A throwaway database beside the benchmark's."""

    def __init__(self, database_url: str) -> None:
        self.base = make_url(database_url)
        self.directory: Path | None = None

    def __enter__(self) -> str:
        if self.base.get_backend_name() == "sqlite":
            self.directory = Path(tempfile.mkdtemp(prefix="bench-sync-"))
            return f"sqlite:///{self.directory / 'sync.db'}"
        self.name = f"{self.base.database}_course_sync"
        self._admin(f'DROP DATABASE IF EXISTS "{self.name}"', f'CREATE DATABASE "{self.name}"')
        return self.base.set(database=self.name).render_as_string(hide_password=False)

    def __exit__(self, *_exc: object) -> None:
        if self.directory is not None:
            shutil.rmtree(self.directory)
        else:
            self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def _admin(self, *statements: str) -> None:
        engine = sa.create_engine(self.base.set(database="postgres"),
                                  isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            for statement in statements:
                connection.exec_driver_sql(statement)
        engine.dispose()
