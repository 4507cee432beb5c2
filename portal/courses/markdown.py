"""Course text to HTML: Markdown through Python-Markdown, then the nh3 allow-list.

The one place course text becomes HTML; see COURSE_FORMAT.md for what authors may write.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING

import markdown
import nh3
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
# (tests/courses/test_course_sync.py checks both give the same HTML).
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


