"""Load, validate and render the training courses kept as Markdown in courses/.

The format is described in COURSE_FORMAT.md. Everything here is pure Python (no Flask): the
loader returns frozen dataclasses whose HTML has been rendered and sanitised once, so pages never
render Markdown per request, and every problem is reported as `path:line: message`.

The package: markdown (rendering), model (the frozen data), frontmatter (reading a file),
quizzes (a module's lesson and <quiz> blocks), catalogue (courses and the catalogue) and gift
(Moodle GIFT import). Its public names are importable from `portal.courses` itself.
"""

from portal.courses.catalogue import (
    check_path,
    load_catalogue,
)
from portal.courses.frontmatter import (
    AUDIENCES,
    COURSE_KEYS,
    MAX_FILE_BYTES,
    MODULE_KEYS,
    QUIZ_KEYS,
    FrontMatter,
    Problems,
    read_document,
)
from portal.courses.markdown import (
    ALLOWED_ATTRIBUTE_VALUES,
    ALLOWED_ATTRIBUTES,
    ALLOWED_TAGS,
    DROPPED_WITH_CONTENT,
    GOVUK_CLASSES,
    MAX_BLOCK_CHARS,
    MAX_BLOCK_LINES,
    MAX_BRACKET_SCAN,
    MAX_INDENT_COLUMNS,
    MAX_MARKDOWN_BYTES,
    MAX_NESTING,
    MAX_TAG_SCAN,
    URL_SCHEMES,
    ContentTooComplexError,
    ContentTooLargeError,
    MarkdownLimitError,
    check_markdown,
    check_markdown_limits,
    render_markdown,
)
from portal.courses.model import (
    Answer,
    Catalogue,
    Course,
    CourseError,
    Module,
    Question,
    QuizSettings,
    display_path,
)
from portal.courses.quizzes import (
    Renderer,
    content_hash,
    load_module_file,
    normalise_text,
    short_hash,
)

__all__ = [
    "ALLOWED_ATTRIBUTES",
    "ALLOWED_ATTRIBUTE_VALUES",
    "ALLOWED_TAGS",
    "AUDIENCES",
    "Answer",
    "COURSE_KEYS",
    "Catalogue",
    "ContentTooComplexError",
    "ContentTooLargeError",
    "Course",
    "CourseError",
    "DROPPED_WITH_CONTENT",
    "FrontMatter",
    "GOVUK_CLASSES",
    "MAX_BLOCK_CHARS",
    "MAX_BLOCK_LINES",
    "MAX_BRACKET_SCAN",
    "MAX_FILE_BYTES",
    "MAX_INDENT_COLUMNS",
    "MAX_MARKDOWN_BYTES",
    "MAX_NESTING",
    "MAX_TAG_SCAN",
    "MODULE_KEYS",
    "MarkdownLimitError",
    "Module",
    "Problems",
    "QUIZ_KEYS",
    "Question",
    "QuizSettings",
    "Renderer",
    "URL_SCHEMES",
    "check_markdown",
    "check_markdown_limits",
    "check_path",
    "content_hash",
    "display_path",
    "load_catalogue",
    "load_module_file",
    "normalise_text",
    "read_document",
    "render_markdown",
    "short_hash",
]
