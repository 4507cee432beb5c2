"""Reading a course file: its text, its YAML front matter with line numbers, and typed
front-matter values, each bad one reported in plain English at its line.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    # Python-Markdown's tree, for type hints only: we never parse XML.
    pass  # nosec B405

from portal.courses.model import CourseError

# --------------------------------------------------------------------------------------------
# Reading a file: text, front matter, YAML with line numbers.
# --------------------------------------------------------------------------------------------

MAX_FILE_BYTES = 1_000_000
MODULE_KEYS = ("id", "title", "version", "summary", "minutes", "content_note", "quiz", "sources")
QUIZ_KEYS = ("pass_mark", "questions_per_attempt", "shuffle_answers", "max_attempts")
COURSE_KEYS = ("id", "title", "audience", "required", "refresher_months", "live_session",
               "renewal_window_months", "renewal_grace_months", "refresher_modules", "modules")
AUDIENCES = ("champion", "hr_lead", "all")
_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_STEM = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")


@dataclass
class Problems:
    """The errors found in one file, each tied to a line of it."""

    path: Path
    errors: list[CourseError] = field(default_factory=list)

    def add(self, line: int, message: str) -> None:
        self.errors.append(CourseError(self.path, line, message))

    def sorted(self) -> list[CourseError]:
        return sorted(self.errors, key=lambda error: error.line)


@dataclass
class _Document:
    """A file split into its front matter (with the line of each key) and its Markdown body."""

    text: str
    data: dict[str, Any]
    key_lines: dict[str, int]
    body: list[tuple[int, str]]  # (file line, text) for each line after the front matter


def read_document(path: Path, problems: Problems) -> _Document | None:
    text = _read_text(path, problems)
    if text is None:
        return None
    lines = text.split("\n")
    if lines[0].rstrip() != "---":
        problems.add(1, "the file must start with front matter: a line ---, the settings, "
                        "then another line ---")
        return None
    end = next((i for i in range(1, len(lines)) if lines[i].rstrip() == "---"), None)
    if end is None:
        problems.add(1, "the front matter is never closed: add a line --- after the settings")
        return None
    data, key_lines = _parse_yaml("\n".join(lines[1:end]), problems)
    body = [(number, line) for number, line in enumerate(lines[end + 1:], start=end + 2)]
    return None if data is None else _Document(text, data, key_lines, body)


def _read_text(path: Path, problems: Problems) -> str | None:
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            problems.add(0, "the file is larger than 1 MB")
            return None
        text = path.read_bytes().decode("utf-8")
    except OSError as exc:
        problems.add(0, f"cannot read the file ({exc.strerror or exc})")
        return None
    except UnicodeDecodeError:
        problems.add(0, "the file is not UTF-8 text; save it as UTF-8")
        return None
    # Files saved on Windows or with a byte-order mark must hash and parse like any other.
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def _parse_yaml(text: str, problems: Problems) -> tuple[dict[str, Any] | None, dict[str, int]]:
    """Parse front matter with the safe loader, keeping each key's file line for messages."""
    try:
        node = _compose(text)
        if node is None:
            return {}, {}
        if not isinstance(node, yaml.MappingNode):
            problems.add(2, "the front matter must be settings written as `key: value` lines")
            return None, {}
        data = yaml.SafeLoader("").construct_document(node)
    except yaml.YAMLError as exc:
        problems.add(_yaml_error_line(exc), f"front matter is not valid YAML: {_yaml_problem(exc)}")
        return None, {}
    key_lines: dict[str, int] = {}
    _record_key_lines(node, "", key_lines, problems)
    return data, key_lines


# libyaml's parser (when PyYAML was built with it) composes front matter about ten times faster.
# Anything it refuses is composed again by the pure-Python parser, whose messages authors see.
_FAST_LOADER = getattr(yaml, "CSafeLoader", None)


def _compose(text: str) -> yaml.Node | None:
    if _FAST_LOADER is not None:
        try:
            return yaml.compose(text, Loader=_FAST_LOADER)
        except yaml.YAMLError:
            pass
    return yaml.compose(text, Loader=yaml.SafeLoader)


def _yaml_error_line(exc: yaml.YAMLError) -> int:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    # Marks count from 0 within the YAML, which starts on line 2 of the file.
    return mark.line + 2 if mark is not None else 1


def _yaml_problem(exc: yaml.YAMLError) -> str:
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    if "mapping values are not allowed" in problem:
        problem += " (if a value contains a colon, put the value in quotes)"
    return problem


def _record_key_lines(node: yaml.Node, prefix: str, lines: dict[str, int],
                      problems: Problems) -> None:
    """Map "quiz.pass_mark" or "modules.2" to its file line, and report keys given twice.

    Only two levels are walked: that is all the format has, and YAML aliases could otherwise
    make a deeper walk exponential.
    """
    if isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            lines[f"{prefix}{index}"] = item.start_mark.line + 2
        return
    if not isinstance(node, yaml.MappingNode):
        return
    for key_node, value_node in node.value:
        name = f"{prefix}{key_node.value}"
        if name in lines:
            problems.add(key_node.start_mark.line + 2, f'"{name}" is set twice in the front matter')
        lines[name] = key_node.start_mark.line + 2
        if not prefix:
            _record_key_lines(value_node, f"{name}.", lines, problems)


# --------------------------------------------------------------------------------------------
# Typed front-matter values, each bad one reported in plain English at its line.
# --------------------------------------------------------------------------------------------


class FrontMatter:
    """Reads typed settings from a document, recording an error for each missing or bad one."""

    def __init__(self, document: _Document, problems: Problems) -> None:
        self.data = document.data
        self.key_lines = document.key_lines
        self.problems = problems
        self.valid = True

    def line(self, key: str) -> int:
        while key not in self.key_lines and "." in key:
            key = key.rsplit(".", 1)[0]
        return self.key_lines.get(key, 1)

    def fail(self, key: str, message: str) -> None:
        self.fail_at(self.line(key), message)

    def fail_at(self, line: int, message: str) -> None:
        self.valid = False
        self.problems.add(line, message)

    def get(self, key: str) -> Any:
        value: Any = self.data
        for part in key.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        return value

    def check_keys(self, allowed: Iterable[str], prefix: str = "") -> None:
        """Every key must be one this format knows, so a typo cannot silently drop a setting."""
        section = self.get(prefix.rstrip(".")) if prefix else self.data
        allowed = tuple(allowed)
        for key in section if isinstance(section, dict) else ():
            if str(key) not in allowed:
                close = difflib.get_close_matches(str(key), allowed, n=1)
                hint = f' (did you mean "{close[0]}"?)' if close else ""
                self.fail(f"{prefix}{key}", f'unknown front-matter key "{prefix}{key}"{hint}')

    def text(self, key: str, *, required: bool = False) -> str:
        value = self.get(key)
        if value is None:
            if required:
                self.fail(key, f'the front matter has no "{key}"')
            return ""
        if not isinstance(value, str):
            self.fail(key, f"{key} must be text (put it in quotes)")
            return ""
        if required and not value.strip():
            self.fail(key, f"{key} is empty")
        return value.strip()

    def slug(self, key: str) -> str:
        value = self.text(key, required=True)
        if value and not _SLUG.fullmatch(value):
            self.fail(key, f'{key} "{value}" must use only lower-case letters, digits and '
                           "single hyphens, e.g. spotting-the-signs")
        return value

    def number(self, key: str, minimum: int, maximum: int | None = None, *,
               required: bool = False, hint: str = "") -> int | None:
        value = self.get(key)
        if value is None:
            if required:
                self.fail(key, f'the front matter has no "{key}"')
            return None
        whole = isinstance(value, int) and not isinstance(value, bool)
        if not whole or value < minimum or (maximum is not None and value > maximum):
            limits = f"of {minimum} or more" if maximum is None else f"from {minimum} to {maximum}"
            self.fail(key, f"{key.rsplit('.', 1)[-1]} must be a whole number {limits}{hint}")
            return None
        return int(value)

    def flag(self, key: str) -> bool:
        value = self.get(key)
        if value is not None and not isinstance(value, bool):
            self.fail(key, f"{key.rsplit('.', 1)[-1]} must be true or false")
        return value is True

    def choice(self, key: str, options: tuple[str, ...]) -> str:
        value = self.text(key, required=True)
        if value and value not in options:
            self.fail(key, f"{key} must be {', '.join(options[:-1])} or {options[-1]}")
        return value

    def strings(self, key: str, *, required: bool = False) -> tuple[str, ...]:
        value = self.get(key)
        if value is None or value == []:
            if required:
                self.fail(key, f'the front matter has no "{key}" (list them as "- " lines)')
            return ()
        if not isinstance(value, list):
            self.fail(key, f'{key} must be a list, one "- " line per item')
            return ()
        for index, item in enumerate(value):
            if not isinstance(item, str) or not item.strip():
                self.fail(f"{key}.{index}", f"{key} item {index + 1} must be text "
                                            "(put it in quotes if it contains a colon)")
        return tuple(item.strip() for item in value if isinstance(item, str) and item.strip())


