"""Courses and the catalogue: every course folder under courses/, checked and loaded.
"""

from __future__ import annotations

from collections.abc import Container
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    # Python-Markdown's tree, for type hints only: we never parse XML.
    pass  # nosec B405

from portal.courses.frontmatter import (
    _STEM,
    AUDIENCES,
    COURSE_KEYS,
    FrontMatter,
    Problems,
    read_document,
)
from portal.courses.model import Catalogue, Course, CourseError, display_path
from portal.courses.quizzes import _parse_module, _ParsedModule, _render_at, _Rendering

# --------------------------------------------------------------------------------------------
# Courses and the catalogue.
# --------------------------------------------------------------------------------------------


@dataclass
class _ParsedCourse:
    path: Path  # its course.md
    header: dict[str, Any] | None  # the Course fields other than modules, when all are valid
    course_id: str
    id_line: int
    modules: list[_ParsedModule]
    errors: list[CourseError]


def load_catalogue(root: Path, *, stored: Container[tuple[str, str]] = frozenset(),
                   ) -> tuple[Catalogue, list[CourseError]]:
    """Load every course under root; the catalogue holds only courses with no errors at all.

    `stored` holds (module id, content hash) pairs whose rendered version the caller keeps
    already (`courses sync` passes the database's): such a module is checked in full, so the
    errors are the same, but not rendered; it comes back with `rendered` False and empty HTML.
    """
    return _load_root(Path(root), _Rendering(stored=stored))


def _load_root(root: Path, rendering: _Rendering) -> tuple[Catalogue, list[CourseError]]:
    if not root.is_dir():
        return Catalogue(), [CourseError(root, 0, "the courses folder does not exist")]
    folders = [child for child in sorted(root.iterdir())
               if child.is_dir() and not child.name.startswith((".", "_"))]
    if not folders:
        return Catalogue(), [CourseError(root, 0, "no course folders found")]
    return _load_courses(folders, rendering)


def check_path(path: Path) -> list[CourseError]:
    """Validate the courses root, one course folder or one module file (`flask courses check`).

    Nothing is rendered: the checks that rendering relies on run on their own (check_markdown).
    """
    path = Path(path)
    checking = _Rendering(check_only=True)
    if path.is_file() and path.name == "course.md":
        path = path.parent
    if path.is_file():
        return _parse_module(path, checking).errors
    if (path / "course.md").is_file():
        return _load_courses([path], checking)[1]
    if path.is_dir():
        return _load_root(path, checking)[1]
    return [CourseError(path, 0, "there is no such file or folder")]


def _load_courses(folders: list[Path],
                  rendering: _Rendering) -> tuple[Catalogue, list[CourseError]]:
    parsed = [_parse_course(folder, rendering) for folder in folders]
    _check_unique_ids(parsed)
    courses = tuple(course for course in map(_build_course, parsed) if course is not None)
    errors = [error for course in parsed
              for error in [*course.errors, *(e for m in course.modules for e in m.errors)]]
    return Catalogue(courses), errors


def _parse_course(folder: Path, rendering: _Rendering) -> _ParsedCourse:
    path = folder / "course.md"
    problems = Problems(path if path.is_file() else folder)
    document = read_document(path, problems) if path.is_file() else None
    if document is None:
        if not path.is_file():
            problems.add(0, "this course folder has no course.md")
        return _ParsedCourse(path, None, "", 0, [], problems.sorted())
    meta = FrontMatter(document, problems)
    header = _course_settings(meta)
    modules = [_parse_module(module_path, rendering)
               for module_path in _module_paths(folder, meta)]
    description = _render_at(document.body, problems, rendering.for_course(), drop_title=True)
    header["description_html"] = description
    header["refresher_modules"] = _refresher_modules(meta, modules)
    valid = meta.valid and description is not None and not problems.errors
    return _ParsedCourse(path, header if valid else None, header["id"], meta.line("id"),
                         modules, problems.sorted())


def _course_settings(meta: FrontMatter) -> dict[str, Any]:
    meta.check_keys(COURSE_KEYS)
    return {
        "id": meta.slug("id"),
        "title": meta.text("title", required=True),
        "audience": meta.choice("audience", AUDIENCES),
        "required": meta.flag("required"),
        "refresher_months": meta.number("refresher_months", 0, hint=" (0 means never)") or 0,
        "live_session": meta.flag("live_session"),
        "renewal_window_months": meta.number("renewal_window_months", 0, 60) or 0,
        "renewal_grace_months": meta.number("renewal_grace_months", 0, 60) or 0,
    }


def _refresher_modules(meta: FrontMatter, modules: list) -> tuple[str, ...]:
    """The ids of the modules a renewal needs (all of them when the key is absent)."""
    listed = meta.get("refresher_modules")
    if listed is None:
        return ()
    ids = {parsed.module.id for parsed in modules if parsed.module is not None}
    if not isinstance(listed, list) or not listed or not all(
            isinstance(item, str) for item in listed):
        meta.fail("refresher_modules", "refresher_modules must list module ids, one \"- \" "
                                       "line each")
        return ()
    unknown = [item for item in listed if item not in ids]
    if unknown and len(ids) == len(modules):  # (a module that failed to load is reported)
        meta.fail("refresher_modules", f'refresher_modules names "{unknown[0]}", which is not '
                                       "the id of one of this course's modules")
    return tuple(listed)


def _module_paths(folder: Path, meta: FrontMatter) -> list[Path]:
    """The listed module files in order, reporting stems that are repeated or have no file."""
    listed = meta.get("modules")
    if not isinstance(listed, list) or not listed:
        meta.fail("modules", 'the front matter needs "modules": the module file names in order, '
                             'one "- " line each')
        return []
    paths: list[Path] = []
    for index, stem in enumerate(listed):
        key = f"modules.{index}"
        if not isinstance(stem, str) or not _STEM.fullmatch(stem):
            meta.fail(key, f"modules item {index + 1} must be a file name without .md, "
                           "e.g. 01-spotting-the-signs")
            continue
        path = folder / f"{stem}.md"
        if path in paths:
            meta.fail(key, f'module "{stem}" is listed twice')
        elif not path.is_file():
            meta.fail(key, f'course lists module "{stem}" but there is no file '
                           f"{display_path(path)}")
        else:
            paths.append(path)
    return paths


def _check_unique_ids(courses: list[_ParsedCourse]) -> None:
    """Course ids and module ids are unique across every course, since progress is keyed on them."""
    course_seen: dict[str, Path] = {}
    module_seen: dict[str, Path] = {}
    for course in courses:
        if clash := _already_used("course", course.course_id, course.path, course_seen):
            course.header = None
            course.errors.append(CourseError(course.path, course.id_line, clash))
        for module in course.modules:
            if clash := _already_used("module", module.module_id, module.path, module_seen):
                module.module = None
                module.errors.append(CourseError(module.path, module.id_line, clash))


def _already_used(kind: str, item_id: str, path: Path, seen: dict[str, Path]) -> str | None:
    """Claim an id for the first file that uses it; later files get the message to report."""
    if not item_id:
        return None  # a missing or bad id has been reported already
    first = seen.setdefault(item_id, path)
    return None if first == path else f'{kind} id "{item_id}" is also used in {display_path(first)}'


def _build_course(parsed: _ParsedCourse) -> Course | None:
    """A course is offered only when it and every module it lists loaded without error."""
    if parsed.header is None or any(module.module is None for module in parsed.modules):
        return None
    modules = tuple(module.module for module in parsed.modules if module.module is not None)
    return Course(**parsed.header, modules=modules, path=parsed.path)
