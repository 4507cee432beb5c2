"""Load, validate and render the training courses kept as Markdown in courses/.

The format is described in COURSE_FORMAT.md. Everything here is pure Python (no Flask): the
loader returns frozen dataclasses whose HTML has been rendered and sanitised once, so pages never
render Markdown per request, and every problem is reported as `path:line: message`.
"""

from __future__ import annotations

import difflib
import hashlib
import re
import threading
from collections.abc import Callable, Container, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import markdown
import nh3
import yaml
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

if TYPE_CHECKING:
    # Python-Markdown's tree, for type hints only: we never parse XML.
    from xml.etree.ElementTree import Element  # nosec B405

# --------------------------------------------------------------------------------------------
# Rendering: Markdown -> HTML -> nh3 allow-list. The one place course text becomes HTML.
# --------------------------------------------------------------------------------------------

MAX_MARKDOWN_BYTES = 100_000
# Python-Markdown is quadratic on some inputs (unclosed brackets or tags, long runs of rules in
# one block) and recurses once per nesting level, so such input is refused before rendering.
# Measured on the real lessons: blocks under 2,000 characters and 40 lines, nesting under 4.
MAX_BLOCK_CHARS = 10_000
MAX_BLOCK_LINES = 200
MAX_NESTING = 10
MAX_INDENT_COLUMNS = 40
MAX_BRACKET_SCAN = 1_000_000  # about 0.3 s of scanning for closing brackets
MAX_TAG_SCAN = 20_000_000  # (tag-like "<" count) x (text length): about 1 s of raw-HTML parsing

ALLOWED_TAGS = frozenset({
    "p", "h2", "h3", "h4", "ul", "ol", "li", "strong", "em", "a", "blockquote", "code", "pre",
    "table", "thead", "tbody", "tr", "th", "td", "br", "hr",
})
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "ol": {"start"},
    "th": {"colspan", "rowspan"},
    "td": {"colspan", "rowspan"},
}
ALLOWED_ATTRIBUTE_VALUES = {"th": {"scope": {"col", "row", "colgroup", "rowgroup"}}}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
# Dropped with everything inside them, not just unwrapped, so no script text shows as prose.
DROPPED_WITH_CONTENT = frozenset({
    "script", "style", "template", "noscript", "iframe", "object", "embed", "svg", "math",
    "textarea", "select", "title",
})
GOVUK_CLASSES = {
    "p": "govuk-body",
    "h2": "govuk-heading-m",
    "h3": "govuk-heading-s",
    "h4": "govuk-heading-s",
    "ul": "govuk-list govuk-list--bullet",
    "ol": "govuk-list govuk-list--number",
    "a": "govuk-link",
    "blockquote": "govuk-inset-text",
    "hr": "govuk-section-break govuk-section-break--m govuk-section-break--visible",
    "table": "govuk-table",
    "thead": "govuk-table__head",
    "tbody": "govuk-table__body",
    "tr": "govuk-table__row",
    "th": "govuk-table__header",
    "td": "govuk-table__cell",
}

_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
_CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_LIST_OR_QUOTE_MARKER = re.compile(r"[ \t]*(?:(?:[-*+]|\d{1,9}[.)])(?:[ \t]+|$)|>[ \t]?)")
_SINGLE_PARAGRAPH = re.compile(r"\A<p>(.*)</p>\Z", re.DOTALL)
_RAW_TAG = re.compile(r"<[!?/A-Za-z]")
# One paragraph of plain prose: lines of letters, digits, spaces and punctuation that Markdown
# leaves alone, each starting with a letter or quote (so no list, heading, rule or code block) and
# ending without a space (so no hard break). Most answers and feedback are like this, and
# Python-Markdown would only wrap them in <p>, so render_markdown skips the parser for them
# (tests/test_course_sync.py checks both give the same HTML).
_PLAIN_CHARACTER = "(?:[^\\W_]|[,.'\"?;:!()%/£‘’“”–—-])"
_PLAIN_LINE = f"(?:[^\\W\\d_]|['\"‘’“”])(?:(?:{_PLAIN_CHARACTER}| )*{_PLAIN_CHARACTER})?"
_PLAIN_PARAGRAPH = re.compile(f"{_PLAIN_LINE}(?:\n{_PLAIN_LINE})*")
_SQUARE_BRACKETS = re.compile(r"[\[\]]")
_ROUND_BRACKETS = re.compile(r"[()]")


class MarkdownLimitError(ValueError):
    """Markdown refused before rendering because it could make the renderer slow or crash."""

    def __init__(self, message: str, line: int = 0) -> None:
        super().__init__(message)
        self.line = line  # 0-based line within the text, so callers can point at the file line


class ContentTooLargeError(MarkdownLimitError):
    """Markdown over MAX_MARKDOWN_BYTES, refused so one file cannot tie up the renderer."""


class ContentTooComplexError(MarkdownLimitError):
    """Markdown nested too deeply or built to hit the renderer's slow paths, refused."""


def render_markdown(text: str, *, inline: bool = False, drop_title: bool = False) -> str:
    """Render trusted course Markdown to HTML holding only allow-listed tags, attributes and URLs.

    `inline` unwraps a lone paragraph (for answer labels); `drop_title` drops a leading `# Title`
    because the page shows the title itself. Headings are shifted so the first level is h2.
    """
    text = _CONTROL_CHARACTERS.sub("", text)
    check_markdown_limits(text)
    if _PLAIN_PARAGRAPH.fullmatch(text):
        html = f"<p>{text}</p>"  # what Python-Markdown makes of it, without its cost
    else:
        md = _markdown_parser(drop_title)
        md.reset()  # a parser keeps state (link references, stashed HTML) from its last document
        html = md.convert(text)
    if inline and html.count("<p>") == 1 and (match := _SINGLE_PARAGRAPH.match(html)):
        html = match.group(1)
    return _sanitise(html)


def check_markdown(text: str, *, inline: bool = False, drop_title: bool = False) -> str:
    """What render_markdown refuses, without rendering: for checks that need only the errors."""
    del inline, drop_title  # the same signature as render_markdown, so either can be passed
    check_markdown_limits(_CONTROL_CHARACTERS.sub("", text))
    return ""


# Building a Python-Markdown parser costs more than converting a typical fragment, and a course
# has thousands of fragments, so each thread keeps one configured parser per setting and resets
# it before every document (a parser is not safe to share between threads).
_parsers = threading.local()


def _markdown_parser(drop_title: bool) -> markdown.Markdown:
    cache: dict[bool, markdown.Markdown] | None = getattr(_parsers, "by_setting", None)
    if cache is None:
        cache = _parsers.by_setting = {}
    md = cache.get(drop_title)
    if md is None:
        md = cache[drop_title] = markdown.Markdown(
            extensions=["tables", "sane_lists", _HeadingExtension(drop_title=drop_title)],
            output_format="html",
        )
    return md


# One sanitiser built once from the allow-lists (building it per call cost more than cleaning).
_CLEANER = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    clean_content_tags=set(DROPPED_WITH_CONTENT),
    attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
    tag_attribute_values=ALLOWED_ATTRIBUTE_VALUES,
    set_tag_attribute_values={tag: {"class": value} for tag, value in GOVUK_CLASSES.items()},
    url_schemes=set(URL_SCHEMES),
    link_rel="noopener noreferrer",
    strip_comments=True,
)


def _sanitise(html: str) -> str:
    """Keep only the allow-list; ammonia adds the GOV.UK classes after filtering attributes."""
    return _CLEANER.clean(html)


class _HeadingTreeprocessor(Treeprocessor):
    def __init__(self, md: markdown.Markdown, drop_title: bool) -> None:
        super().__init__(md)
        self.drop_title = drop_title

    def run(self, root: Element) -> None:
        if self.drop_title and len(root) and root[0].tag == "h1":
            root.remove(root[0])
        headings = [element for element in root.iter() if element.tag in _HEADINGS]
        if not headings:
            return
        top = min(int(element.tag[1]) for element in headings)
        for element in headings:
            # h2 is the page's first level below its own h1; h5/h6 are clamped, not stripped.
            element.tag = f"h{min(int(element.tag[1]) - top + 2, 4)}"


class _HeadingExtension(Extension):
    def __init__(self, drop_title: bool) -> None:
        super().__init__()
        self.drop_title = drop_title

    def extendMarkdown(self, md: markdown.Markdown) -> None:  # noqa: N802 (Markdown's API name)
        md.treeprocessors.register(_HeadingTreeprocessor(md, self.drop_title), "portal_headings", 5)


def check_markdown_limits(text: str) -> None:
    """Refuse Markdown over 100 kB, or shaped to make Python-Markdown slow or recurse too deeply."""
    size = len(text.encode("utf-8"))
    if size > MAX_MARKDOWN_BYTES:
        raise ContentTooLargeError(
            f"the text is {size:,} bytes; the limit is {MAX_MARKDOWN_BYTES:,} bytes (100 kB), "
            "so split it into smaller modules"
        )
    blocks = list(_blocks(text))
    for start, lines in blocks:
        _check_block(start, lines)
    # (Text with no opening bracket or no "<" costs nothing on these two counts.)
    if ("[" in text or "(" in text) and sum(
            _bracket_scan_cost("\n".join(lines)) for _, lines in blocks) > MAX_BRACKET_SCAN:
        raise ContentTooComplexError("too many [ or ( brackets are left unclosed")
    if "<" in text and len(_RAW_TAG.findall(text)) * len(text) > MAX_TAG_SCAN:
        raise ContentTooComplexError("too many < signs for text this long: write HTML as Markdown")


def _blocks(text: str) -> Iterator[tuple[int, list[str]]]:
    """Yield each run of non-blank lines with the 0-based index of its first line."""
    lines: list[str] = []
    start = 0
    for index, line in enumerate(text.split("\n")):
        if line.strip():
            start = index if not lines else start
            lines.append(line)
        elif lines:
            yield start, lines
            lines = []
    if lines:
        yield start, lines


def _check_block(start: int, lines: list[str]) -> None:
    too_long = "a paragraph, list or table is longer than {}; break it up with blank lines"
    if len(lines) > MAX_BLOCK_LINES:
        raise ContentTooComplexError(too_long.format(f"{MAX_BLOCK_LINES} lines"), start)
    if sum(map(len, lines)) > MAX_BLOCK_CHARS:
        raise ContentTooComplexError(too_long.format(f"{MAX_BLOCK_CHARS:,} characters"), start)
    for offset, line in enumerate(lines):
        if line[:1].isalpha():
            continue  # no list or quote marker, no indent: the usual line of prose
        if _nesting_depth(line) > MAX_NESTING or _indent(line) > MAX_INDENT_COLUMNS:
            raise ContentTooComplexError(
                f"lists or quotes are nested more than {MAX_NESTING} levels deep", start + offset)


def _nesting_depth(line: str) -> int:
    depth = position = 0
    while (match := _LIST_OR_QUOTE_MARKER.match(line, position)) and match.end() > position:
        depth += 1
        position = match.end()
    return depth


def _indent(line: str) -> int:
    expanded = line.expandtabs(4)
    return len(expanded) - len(expanded.lstrip(" "))


def _bracket_scan_cost(block: str) -> int:
    """Estimate the characters Python-Markdown scans looking for closing brackets.

    Its link patterns scan from each `[` or `(` to the matching closer, or to the end of the
    block when there is none, so many unclosed brackets cost time quadratic in the block size.
    """
    cost = 0
    for opening, brackets in (("[", _SQUARE_BRACKETS), ("(", _ROUND_BRACKETS)):
        open_at: list[int] = []
        for match in brackets.finditer(block):
            index = match.start()
            if match.group() == opening:
                open_at.append(index)
            elif open_at:
                cost += index - open_at.pop()
        cost += sum(len(block) - index for index in open_at)
    return cost


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


# --------------------------------------------------------------------------------------------
# Reading a file: text, front matter, YAML with line numbers.
# --------------------------------------------------------------------------------------------

MAX_FILE_BYTES = 1_000_000
MODULE_KEYS = ("id", "title", "version", "summary", "minutes", "content_note", "quiz", "sources")
QUIZ_KEYS = ("pass_mark", "questions_per_attempt", "shuffle_answers", "max_attempts")
COURSE_KEYS = ("id", "title", "audience", "required", "refresher_months", "modules")
AUDIENCES = ("champion", "hr_lead", "all")
_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_STEM = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")


@dataclass
class _Problems:
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


def _read_document(path: Path, problems: _Problems) -> _Document | None:
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


def _read_text(path: Path, problems: _Problems) -> str | None:
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


def _parse_yaml(text: str, problems: _Problems) -> tuple[dict[str, Any] | None, dict[str, int]]:
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
                      problems: _Problems) -> None:
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


class _FrontMatter:
    """Reads typed settings from a document, recording an error for each missing or bad one."""

    def __init__(self, document: _Document, problems: _Problems) -> None:
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


# --------------------------------------------------------------------------------------------
# Modules: front matter, lesson, <quiz> blocks.
# --------------------------------------------------------------------------------------------

_QUIZ_TAG = re.compile(r"\s*<(/?)quiz(?=[\s>/]|$)(.*)$")
_ANSWER = re.compile(r"- \[([ xX])\](?: (.*))?")
_ANSWER_LIKE = re.compile(r"\s*[-*+]\s*\[\s*\S?\s*\]")  # "-[x]", "* [ ]", "- [ x ]", "- []"
_FEEDBACK = re.compile(r"[ \t]+>[ \t]?(.*)")
_FENCE = re.compile(r"\s*(```|~~~)")


def normalise_text(text: str) -> str:
    """Strip, collapse whitespace and casefold, so spacing or case edits keep an id stable."""
    return " ".join(text.split()).casefold()


def short_hash(text: str) -> str:
    """The first 12 hex digits of the SHA-256 of the normalised text: a stable, short key."""
    return hashlib.sha256(normalise_text(text).encode("utf-8")).hexdigest()[:12]


def content_hash(text: str) -> str:
    """Hash the file with only line endings and trailing spaces normalised: any real edit counts."""
    lines = (line.rstrip() for line in text.replace("\r\n", "\n").split("\n"))
    return hashlib.sha256("\n".join(lines).strip("\n").encode("utf-8")).hexdigest()


@dataclass
class _QuizBlock:
    line: int  # the line of its <quiz> tag
    lines: list[tuple[int, str]] = field(default_factory=list)
    closed: bool = False


@dataclass
class _DraftAnswer:
    line: int
    text: str
    correct: bool
    feedback: list[str] = field(default_factory=list)


@dataclass
class _ParsedModule:
    path: Path
    module: Module | None
    module_id: str
    id_line: int
    errors: list[CourseError]


Renderer = Callable[..., str]  # render_markdown, or check_markdown when no HTML is wanted


@dataclass(frozen=True)
class _Rendering:
    """What to render: nothing when only checking, and no module version already stored.

    Rendering is nearly all the time a load takes; every check still runs either way.
    """

    stored: Container[tuple[str, str]] = frozenset()  # (module id, content hash)
    check_only: bool = False

    def for_module(self, module_id: str, digest: str) -> Renderer:
        skip = self.check_only or (module_id, digest) in self.stored
        return check_markdown if skip else render_markdown

    def for_course(self) -> Renderer:
        return check_markdown if self.check_only else render_markdown


def load_module_file(path: Path) -> tuple[Module | None, list[CourseError]]:
    """Load one module file; the module is None when the file has any error."""
    parsed = _parse_module(Path(path), _Rendering())
    return parsed.module, parsed.errors


def _parse_module(path: Path, rendering: _Rendering) -> _ParsedModule:
    problems = _Problems(path)
    document = _read_document(path, problems)
    if document is None:
        return _ParsedModule(path, None, "", 0, problems.sorted())
    meta = _FrontMatter(document, problems)
    settings = _module_settings(meta)
    digest = content_hash(document.text)
    render = rendering.for_module(settings["id"], digest)
    lesson, blocks = _split_quizzes(document.body, problems)
    questions = _parse_questions(blocks, settings["id"], problems, render)
    _check_question_set(questions, len(blocks), meta)
    body_html = _render_at(lesson, problems, render, drop_title=True)
    module = None
    if meta.valid and not problems.errors and body_html is not None:
        module = Module(**settings, body_html=body_html,
                        questions=tuple(question for _, question in questions), path=path,
                        content_hash=digest, rendered=render is render_markdown)
    return _ParsedModule(path, module, settings["id"], meta.line("id"), problems.sorted())


def _module_settings(meta: _FrontMatter) -> dict[str, Any]:
    meta.check_keys(MODULE_KEYS)
    quiz = meta.get("quiz")
    if quiz is None:
        meta.fail("quiz", 'the front matter has no "quiz" (it needs at least "pass_mark")')
    elif not isinstance(quiz, dict):
        meta.fail("quiz", "quiz must hold settings such as `pass_mark: 80` on indented lines")
    else:
        meta.check_keys(QUIZ_KEYS, "quiz.")
    return {
        "id": meta.slug("id"),
        "title": meta.text("title", required=True),
        "version": meta.number("version", 1, required=True),
        "summary": meta.text("summary"),
        "minutes": meta.number("minutes", 1),
        "content_note": meta.text("content_note"),
        "quiz": _quiz_settings(meta) if isinstance(quiz, dict) else None,
        "sources": meta.strings("sources"),
    }


def _quiz_settings(meta: _FrontMatter) -> QuizSettings:
    pass_mark = meta.number("quiz.pass_mark", 0, 100, required=True)
    return QuizSettings(
        pass_mark=pass_mark if pass_mark is not None else 0,
        questions_per_attempt=meta.number("quiz.questions_per_attempt", 1,
                                          hint=" (leave it out to ask every question)"),
        shuffle_answers=meta.flag("quiz.shuffle_answers"),
        max_attempts=meta.number("quiz.max_attempts", 0, hint=" (0 means unlimited)") or 0,
    )


def _split_quizzes(body: list[tuple[int, str]],
                   problems: _Problems) -> tuple[list[tuple[int, str]], list[_QuizBlock]]:
    """Separate the lesson from the <quiz> blocks, reporting tags that do not pair up."""
    lesson: list[tuple[int, str]] = []
    blocks: list[_QuizBlock] = []
    current: _QuizBlock | None = None
    in_fence = False
    for number, line in body:
        kind = "text" if in_fence else _quiz_tag_kind(number, line, problems)
        if current is None and kind == "text":
            in_fence ^= bool(_FENCE.match(line))
            lesson.append((number, line))
        elif kind == "open":
            _end_unclosed(current, problems)
            current = _QuizBlock(number)
            blocks.append(current)
        elif kind == "close" and current is None:
            problems.add(number, "</quiz> has no <quiz> before it")
        elif kind == "close" and current is not None:
            current.closed = True
            lesson.append((number, ""))  # keeps the lesson text either side in separate paragraphs
            current = None
        elif current is not None:
            current.lines.append((number, line))
    _end_unclosed(current, problems)
    return lesson, blocks


def _end_unclosed(block: _QuizBlock | None, problems: _Problems) -> None:
    if block is not None and not block.closed:
        problems.add(block.line, "<quiz> is never closed (add a line </quiz>)")


def _quiz_tag_kind(number: int, line: str, problems: _Problems) -> str:
    match = _QUIZ_TAG.match(line)
    if match is None:
        return "text"
    closing, rest = match.group(1), match.group(2).strip()
    tag = f"<{closing}quiz>"
    if rest == ">":
        return "close" if closing else "open"
    if not rest.startswith(">"):
        problems.add(number, f"{tag} takes no attributes: write the line as {tag} on its own")
    else:
        problems.add(number, f"{tag} must be on a line of its own")
    return "close" if closing else "open"


def _parse_questions(blocks: list[_QuizBlock], module_id: str, problems: _Problems,
                     render: Renderer) -> list[tuple[int, Question]]:
    """Parse each block, numbering questions from 1 in file order as authors count them."""
    questions = []
    for number, block in enumerate(blocks, start=1):
        if not block.closed:
            continue  # it runs on into the lesson, so its lines are not worth parsing
        question = _QuestionParser(number, block, problems, render).parse(module_id)
        if question is not None:
            questions.append((number, question))
    return questions


def _check_question_set(questions: list[tuple[int, Question]], block_count: int,
                        meta: _FrontMatter) -> None:
    """Question ids must be unique, and an attempt cannot ask for more questions than exist."""
    seen: dict[str, int] = {}
    for number, question in questions:
        if question.id in seen:
            meta.fail_at(question.line, f"question {number} has the same text as "
                                        f"question {seen[question.id]}")
        seen.setdefault(question.id, number)
    wanted = meta.get("quiz.questions_per_attempt")
    if isinstance(wanted, int) and not isinstance(wanted, bool) and wanted > block_count > 0:
        noun = "question" if block_count == 1 else "questions"
        meta.fail("quiz.questions_per_attempt", f"questions_per_attempt ({wanted}) is more than "
                                                f"the {block_count} {noun} in this module")
    if block_count == 0:
        meta.fail_at(1, "the module has no questions: add at least one <quiz> block")


def _render_at(lines: list[tuple[int, str]], problems: _Problems, render: Renderer,
               **options: bool) -> str | None:
    """Render Markdown taken from the file, reporting a refusal at the file line it concerns."""
    if not lines:
        return ""
    try:
        return render("\n".join(text for _, text in lines), **options)
    except MarkdownLimitError as exc:
        problems.add(lines[min(exc.line, len(lines) - 1)][0], str(exc))
        return None


class _QuestionParser:
    """Reads one <quiz> block: question text, `- [x]` answers with `>` feedback, explanation."""

    def __init__(self, number: int, block: _QuizBlock, problems: _Problems,
                 render: Renderer) -> None:
        self.number = number
        self.block = block
        self.problems = problems
        self.render = render
        self.prompt: list[tuple[int, str]] = []
        self.answers: list[_DraftAnswer] = []
        self.explanation: list[tuple[int, str]] = []
        self.after_answer = False  # the previous line was an answer or its feedback
        self.malformed_answer = False
        self.error_count = len(problems.errors)

    def parse(self, module_id: str) -> Question | None:
        for number, line in self.block.lines:
            self._read_line(number, line.rstrip())
        self._check_answers()
        if len(self.problems.errors) > self.error_count:
            return None
        return self._build(module_id)

    def _read_line(self, number: int, line: str) -> None:
        answer = _ANSWER.fullmatch(line)
        if answer:
            self._add_answer(number, answer)
        elif _FEEDBACK.fullmatch(line):
            self._add_feedback(number, line)
        elif _ANSWER_LIKE.match(line):
            self.malformed_answer = True  # so the answer count below is not misleading
            self.problems.add(number, 'write each answer as "- [x] text" (right) or '
                                      '"- [ ] text" (wrong)')
        elif not self.answers:
            self.prompt.append((number, line))
        else:
            self._add_text_after_answers(number, line)

    def _add_answer(self, number: int, match: re.Match[str]) -> None:
        if self.explanation:
            self.problems.add(number, "answers must come before the explanation")
        elif not (match.group(2) or "").strip():
            self.problems.add(number, "this answer has no text")
        self.answers.append(_DraftAnswer(number, (match.group(2) or "").strip(),
                                         match.group(1) != " "))
        self.after_answer = True

    def _add_feedback(self, number: int, line: str) -> None:
        if not self.after_answer or self.explanation:
            self.problems.add(number, "feedback must sit directly under an answer "
                                      "(no blank line between them)")
            return
        match = _FEEDBACK.fullmatch(line)
        self.answers[-1].feedback.append(match.group(1) if match else "")

    def _add_text_after_answers(self, number: int, line: str) -> None:
        if not line.strip():
            self.after_answer = False
            if self.explanation:
                self.explanation.append((number, line))
        elif self.after_answer and line[:1] in (" ", "\t"):
            self.problems.add(number, "an answer must fit on one line; only feedback lines "
                                      "starting with > may sit under it")
        elif self.after_answer and line.startswith(">"):
            self.problems.add(number, "feedback under an answer must be indented: start the "
                                      "line with two spaces, then >")
        elif self.after_answer:
            self.problems.add(number, "leave a blank line between the answers and the explanation")
        else:
            self.explanation.append((number, line))

    def _check_answers(self) -> None:
        """Rule 7: question text, at least two answers, at least one right, none repeated."""
        if not "".join(text for _, text in self.prompt).strip():
            self._fail(f"question {self.number} has no question text before its answers")
        if not self.malformed_answer:  # a count would mislead while an answer line is malformed
            self._check_answer_count()
        keys: set[str] = set()
        for answer in self.answers:
            if answer.text and short_hash(answer.text) in keys:
                self.problems.add(answer.line, f'question {self.number} has the answer '
                                               f'"{answer.text}" more than once')
            keys.add(short_hash(answer.text))

    def _check_answer_count(self) -> None:
        if not self.answers:
            self._fail(f'question {self.number} has no answers: add lines "- [x] right answer" '
                       'and "- [ ] wrong answer"')
        elif len(self.answers) < 2:
            self._fail(f"question {self.number} needs at least two answers")
        elif not any(answer.correct for answer in self.answers):
            self._fail(f"question {self.number} has no answer marked [x]")

    def _fail(self, message: str) -> None:
        self.problems.add(self.block.line, message)  # question-wide: point at its <quiz> line

    def _build(self, module_id: str) -> Question | None:
        prompt = "\n".join(text for _, text in self.prompt).strip()
        answers = [self._build_answer(answer) for answer in self.answers]
        prompt_html = _render_at(self.prompt, self.problems, self.render)
        explanation_html = _render_at(self.explanation, self.problems, self.render)
        if prompt_html is None or explanation_html is None or None in answers:
            return None
        return Question(
            id=f"{module_id}:{short_hash(prompt)}",
            prompt_html=prompt_html,
            answers=tuple(answer for answer in answers if answer is not None),
            explanation_html=explanation_html,
            multiple=sum(answer.correct for answer in self.answers) >= 2,
            line=self.block.line,
        )

    def _build_answer(self, answer: _DraftAnswer) -> Answer | None:
        text_html = _render_at([(answer.line, answer.text)], self.problems, self.render,
                               inline=True)
        feedback = [(answer.line + 1 + index, text) for index, text in enumerate(answer.feedback)]
        feedback_html = _render_at(feedback, self.problems, self.render)
        if text_html is None or feedback_html is None:
            return None
        return Answer(short_hash(answer.text), text_html, answer.correct, feedback_html)


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
    problems = _Problems(path if path.is_file() else folder)
    document = _read_document(path, problems) if path.is_file() else None
    if document is None:
        if not path.is_file():
            problems.add(0, "this course folder has no course.md")
        return _ParsedCourse(path, None, "", 0, [], problems.sorted())
    meta = _FrontMatter(document, problems)
    header = _course_settings(meta)
    modules = [_parse_module(module_path, rendering)
               for module_path in _module_paths(folder, meta)]
    description = _render_at(document.body, problems, rendering.for_course(), drop_title=True)
    header["description_html"] = description
    valid = meta.valid and description is not None and not problems.errors
    return _ParsedCourse(path, header if valid else None, header["id"], meta.line("id"),
                         modules, problems.sorted())


def _course_settings(meta: _FrontMatter) -> dict[str, Any]:
    meta.check_keys(COURSE_KEYS)
    return {
        "id": meta.slug("id"),
        "title": meta.text("title", required=True),
        "audience": meta.choice("audience", AUDIENCES),
        "required": meta.flag("required"),
        "refresher_months": meta.number("refresher_months", 0, hint=" (0 means never)") or 0,
    }


def _module_paths(folder: Path, meta: _FrontMatter) -> list[Path]:
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
