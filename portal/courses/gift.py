"""Convert a Moodle GIFT question bank into the `<quiz>` blocks of COURSE_FORMAT.md.

The conversion follows what Moodle's own GIFT importer does with the same text (question/format/
gift in Moodle), so a question reads and marks in the portal as it would in Moodle:

- Text in Moodle's default format, `[moodle]` or `[plain]` is shown literally: every character
  Markdown would read as syntax is escaped, and each line break stays a line break. (Moodle's
  auto-format would also read HTML tags and entities written into such text, and link bare
  addresses; the import shows those literally: an author who means HTML says `[html]`.)
- `[markdown]` text stays Markdown; `[html]` text is shown as the text a browser would show (its
  tags are dropped, a link keeps its address in brackets), then escaped like plain text. The
  portal sanitises rendered HTML anyway, but HTML written into Markdown would be read as Markdown
  too, so the import never relies on that.
- `::title::` is kept as an HTML comment at the top of the question, which is also part of the
  question's identity, so questions with the same text get distinct ids.
- Weights (`%n%`) are converted only when Moodle gives full marks for exactly the selection the
  portal marks right; otherwise the question is skipped with the reason. The portal has no part
  marks, so a note says so for every question where Moodle would give them.

Question types the portal cannot hold (essay, short answer, numerical, matching, descriptions)
are skipped and reported with their line; the rest of the file is still converted.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import nh3

from portal.courses import (
    DROPPED_WITH_CONTENT,
    MAX_FILE_BYTES,
    URL_SCHEMES,
    MarkdownLimitError,
    normalise_text,
    render_markdown,
)


class GiftError(ValueError):
    """Nothing in the GIFT file could be converted; `problems` says why, line by line."""

    def __init__(self, source_name: str, problems: list[tuple[int, str]]) -> None:
        super().__init__(source_name, problems)
        self.source_name = source_name
        self.problems = problems

    def __str__(self) -> str:
        return "\n".join(f"{self.source_name}:{line}: {reason}" for line, reason in self.problems)


@dataclass(frozen=True)
class Skipped:
    """A question left out of the import: its first line, its Moodle type and why."""

    line: int
    kind: str
    reason: str


@dataclass(frozen=True)
class Note:
    """Something an author should know about an imported question (e.g. part marks not kept)."""

    line: int
    text: str


@dataclass
class GiftImport:
    """The `<quiz>` blocks converted, and what was skipped or changed on the way."""

    markdown: str
    imported: int
    skipped: list[Skipped] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)


class _Skip(Exception):
    """One question cannot be converted; the message says why in plain English."""

    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(reason)
        self.kind = kind
        self.reason = reason


@dataclass
class _Text:
    """A piece of GIFT text (escapes already restored) and the Moodle format it is written in."""

    text: str
    format: str  # moodle | plain | markdown | html


@dataclass
class _Answer:
    text: _Text
    weight: float  # percent, as Moodle stores it
    feedback: _Text


_Parsed = tuple[str, list[_Answer], list[str]]  # the Moodle type, the answers, notes


@dataclass
class _Question:
    title: str
    prompt: _Text
    answers: list[_Answer]
    explanation: _Text
    kind: str
    notes: list[str] = field(default_factory=list)


@dataclass
class _Block:
    """A converted question as Markdown lines, checked to render within the portal's limits."""

    title: str
    prompt: list[str]
    answers: list[tuple[str, bool, list[str]]]
    explanation: list[str]


# Escaped GIFT control characters stand in as private-use characters while the syntax is
# parsed, then become the literal character again (Moodle does the same with placeholders).
_PLACEHOLDERS = {":": "\ue000", "~": "\ue001", "=": "\ue002", "#": "\ue003", "{": "\ue004",
                 "}": "\ue005", "\\": "\ue006", "n": "\ue007"}
_UNESCAPE = str.maketrans({placeholder: ("\n" if char == "n" else char)
                           for char, placeholder in _PLACEHOLDERS.items()})
_ESCAPE = re.compile(r"\\([:~=#{}\\n])")
_FORMATS = ("moodle", "html", "plain", "markdown")  # Moodle reads these names in lower case only
# Moodle's own pattern: one or two digits, an optional point and more digits, between % signs.
_WEIGHT = re.compile(r"%(-*)([0-9]{1,2}\.?[0-9]*)%")
_TRUE_FALSE = {"T": True, "TRUE": True, "F": False, "FALSE": False}
# What PHP's trim() removes, which Moodle applies to lines and texts (no Unicode spaces).
_TRIM = " \t\n\r\0\x0b"
_SPACES = re.compile(r"[ \t\r\f\v]+")  # what a browser collapses (not non-breaking spaces)
# Stands for the blank of a missing-word question until the text's format is known.
_BLANK = "\ue010"
# Moodle marks an answer right when its fraction is within a millionth of 1 (1e-4 percent).
_FULL_MARKS = 100 - 1e-4

# Plain text for Python-Markdown: characters that are syntax anywhere in a line, and line starts
# that would make a heading, quote, list, rule or setext underline.
_INLINE_SYNTAX = re.compile(r"([\\`*_\[\]|])")
_LINE_START = re.compile(r"^(?:([#>+-])|(=)|(\d+)\.)")
# Lines the <quiz> parser would read as a tag, an answer or feedback, in Markdown written as such.
_QUIZ_TAG_LINE = re.compile(r"^(\s*)<(/?quiz)", re.IGNORECASE)
_ANSWER_LIKE_LINE = re.compile(r"^(\s*[-*+]\s*)\[")
_INDENTED_QUOTE = re.compile(r"^[ \t]+(?=>)")
_HARD_BREAK = re.compile(r"\S {2,}$")


def import_gift(path: Path) -> GiftImport:
    """Read a GIFT file and convert every question that can be converted."""
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise GiftError(str(path), [(1, "the file is not UTF-8 text; save it as UTF-8")]) from exc
    return convert_gift(text, str(path))


def convert_gift(text: str, source_name: str) -> GiftImport:
    """Convert GIFT text to `<quiz>` Markdown, reporting each question that cannot convert.

    Raises GiftError only when not a single question converts, since a module needs one.
    """
    result = GiftImport("", 0)
    parts: list[str] = []
    seen_prompts: set[str] = set()
    for line, lines in _chunks(text):
        try:
            if lines[0].startswith("$CATEGORY:"):
                parts.append(_category_comment(lines))
                continue
            question = _parse_question("\n".join(lines))
            block = _render_block(question)
        except _Skip as skip:
            result.skipped.append(Skipped(line, skip.kind, skip.reason))
            continue
        _make_distinct(block, seen_prompts)
        parts.append(_quiz_markdown(block))
        result.notes += [Note(line, note) for note in question.notes]
        result.imported += 1
    if not result.imported:
        problems = [(skip.line, f"{skip.kind}: {skip.reason}") for skip in result.skipped]
        raise GiftError(source_name, problems or [(1, "the file holds no questions")])
    result.markdown = "\n\n".join(parts) + "\n"
    size = len(result.markdown.encode("utf-8"))
    if size > MAX_FILE_BYTES - 10_000:  # room for the module's front matter
        raise GiftError(source_name, [(1, f"the converted questions take {size:,} bytes, more "
                                          "than a module file may hold (1 MB): split the file")])
    return result


def _chunks(text: str) -> list[tuple[int, list[str]]]:
    """Split into questions at blank lines, trimming lines and dropping `//` comments, as Moodle."""
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    chunks: list[tuple[int, list[str]]] = []
    lines: list[str] = []
    start = 0
    for number, line in enumerate([*text.split("\n"), ""], start=1):
        stripped = line.strip(_TRIM)
        if stripped.startswith("//"):
            continue
        if stripped:
            start = start if lines else number
            lines.append(stripped)
        elif lines:
            chunks.append((start, lines))
            lines = []
    return chunks


def _category_comment(lines: list[str]) -> str:
    if len(lines) > 1:
        raise _Skip("category", "Moodle reads every line after $CATEGORY: up to the next blank "
                                "line as part of the category name, so the question written "
                                "there is lost: put a blank line after the $CATEGORY: line")
    return f"<!-- Moodle category: {_comment_text(lines[0][len('$CATEGORY:'):])} -->"


# --------------------------------------------------------------------------------------------
# Reading one question as Moodle does.
# --------------------------------------------------------------------------------------------


def _parse_question(chunk: str) -> _Question:
    text = _ESCAPE.sub(lambda match: _PLACEHOLDERS[match[1]], chunk).strip(_TRIM)
    title, text = _split_title(text)
    opening, closing = text.find("{"), text.find("}")
    if opening == -1 and closing == -1:
        raise _Skip("description", "text with no answers in { } is a description, not a "
                                   "question: copy it into the lesson if it is needed")
    if opening == -1 or closing < opening:
        raise _Skip("unreadable", "the { and } around the answers do not pair up (write \\{ or "
                               "\\} for a literal brace)")
    # Answers before the end of the text make a missing-word question: Moodle shows a blank.
    gap = "" if text.endswith("}") else _BLANK
    prompt = _with_format(text[:opening] + gap + text[closing + 1:])
    body, separator, explanation = text[opening + 1:closing].strip(_TRIM).rpartition("####")
    if not separator:  # no general feedback: rpartition left everything in the last part
        body, explanation = explanation, ""
    general = _with_format(explanation, prompt.format)  # not trimmed first, as in Moodle
    kind, answers, notes = _answers(body.strip(_TRIM), prompt.format, missing_word=bool(gap))
    if not prompt.text.strip():
        raise _Skip(kind, "the question has no text before its answers")
    return _Question(title, prompt, answers, general, kind, notes)


def _split_title(text: str) -> tuple[str, str]:
    if not text.startswith("::"):
        return "", text
    end = text.find("::", 2)
    if end == -1:
        raise _Skip("unreadable", "the question title ::...:: is never closed")
    return _restore(text[2:end]).strip(_TRIM), text[end + 2:].strip(_TRIM)


def _with_format(text: str, default: str = "moodle") -> _Text:
    """Read a leading [format] marker as Moodle does (exact lower-case names only)."""
    if text.startswith("[") and (end := text.find("]")) != -1 and text[1:end] in _FORMATS:
        return _Text(_restore(text[end + 1:]).strip(_TRIM), text[1:end])
    return _Text(_restore(text).strip(_TRIM), default)


def _restore(text: str) -> str:
    return text.translate(_UNESCAPE)


def _answers(body: str, default: str, *, missing_word: bool) -> _Parsed:
    """Decide the question type in Moodle's order, skipping the types <quiz> cannot hold."""
    blank = " (missing word)" if missing_word else ""
    if not body:
        raise _Skip(f"essay{blank}", "learners would type free text, and the portal stores no "
                                     "free text")
    if body.startswith("#"):
        raise _Skip(f"numerical{blank}", "learners would type a number, and the portal stores no "
                                         "free text")
    if "~" in body:
        return _choice(body, default, f"multiple choice{blank}")
    if "=" in body and "->" in body:
        raise _Skip(f"matching{blank}", "a <quiz> question has one list of answers to tick, not "
                                        "pairs to match: rewrite each pair as its own question")
    head, has_feedback, feedback = body.partition("#")
    if (correct := _TRUE_FALSE.get(head.strip(_TRIM) if has_feedback else body)) is None:
        hint = (" (Moodle reads true/false only as T, TRUE, F or FALSE in capitals)"
                if head.strip(_TRIM).upper() in _TRUE_FALSE else "")
        raise _Skip(f"short answer{blank}", "learners would type the answer, and the portal "
                                            f"stores no free text{hint}")
    return f"true/false{blank}", _true_false(correct, feedback, default), []


def _true_false(correct: bool, feedback: str, default: str) -> list[_Answer]:
    # Moodle's order: the first #feedback is shown for the wrong answer, the second for the right.
    wrong, _, right = feedback.partition("#")
    wrong_text, right_text = (_with_format(text.strip(_TRIM), default) for text in (wrong, right))
    if correct:
        return [_Answer(_Text("True", "plain"), 100.0, right_text),
                _Answer(_Text("False", "plain"), 0.0, wrong_text)]
    return [_Answer(_Text("True", "plain"), 0.0, wrong_text),
            _Answer(_Text("False", "plain"), 100.0, right_text)]


def _choice(body: str, default: str, kind: str) -> _Parsed:
    # As Moodle: every = or ~ starts an answer; text before the first one is a 0% answer.
    parts = [part.strip(_TRIM) for part in body.replace("=", "~=").split("~")]
    if not parts[0]:
        parts.pop(0)
    if len(parts) < 2:
        raise _Skip(kind, "a question needs at least two answers")
    answers = [_choice_answer(part, default, kind) for part in parts]
    if any(not answer.text.text for answer in answers):
        raise _Skip(kind, "an answer has no text")
    if "=" in body:
        return kind, answers, _check_single(answers, kind)
    return kind, answers, _check_multiple(answers, kind)


def _choice_answer(part: str, default: str, kind: str) -> _Answer:
    if part.startswith("="):
        weight, rest = 100.0, part[1:]
        if _WEIGHT.match(rest):
            raise _Skip(kind, f'in "={_restore(rest)}" Moodle gives full marks and shows the '
                              "%...% as part of the answer: put a weight after ~, not =")
    elif match := _WEIGHT.match(part):
        if len(match[1]) > 1:
            raise _Skip(kind, f'"%{match[1]}{match[2]}%" is not a weight Moodle can read')
        weight, rest = float(match[2]) * (-1 if match[1] else 1), part[match.end():]
    else:
        weight, rest = 0.0, part
    text, _, feedback = rest.partition("#")
    return _Answer(_with_format(text.strip(_TRIM), default), weight,
                   _with_format(feedback.strip(_TRIM), default))


def _check_single(answers: list[_Answer], kind: str) -> list[str]:
    """With an = answer, Moodle marks the one answer chosen with that answer's weight."""
    for answer in answers:
        if 0 < answer.weight < _FULL_MARKS or answer.weight < 0:
            verb = "gives" if answer.weight > 0 else "takes away"
            raise _Skip(kind, f'choosing "{_plain(answer.text)}" {verb} {abs(answer.weight):g}% '
                              "of the marks in Moodle, and the portal marks a question only "
                              "right or wrong: make each answer = or ~")
    if sum(answer.weight >= _FULL_MARKS for answer in answers) > 1:
        raise _Skip(kind, "more than one answer earns full marks, and a single-choice question "
                          "in the portal has exactly one right answer")
    return []


def _check_multiple(answers: list[_Answer], kind: str) -> list[str]:
    """Without =, Moodle adds up the weights of the answers chosen (between 0% and 100%).

    The portal marks the question right only when exactly the positively weighted answers are
    chosen, so it is converted only when that selection, and no other, earns full marks.
    """
    right = [answer.weight for answer in answers if answer.weight > 0]
    others = [answer for answer in answers if answer.weight <= 0]
    total = sum(right)
    if not right:
        raise _Skip(kind, "no answer has = or a positive weight, so no choice earns marks")
    if total < _FULL_MARKS:
        raise _Skip(kind, f"the answers with a positive weight add up to {total:g}%, so no "
                          "choice earns full marks in Moodle, and the portal has no part marks: "
                          "make the right answers' weights add up to 100%")
    if total - min(right) >= _FULL_MARKS:
        raise _Skip(kind, f"the positive weights add up to {total:g}%, so choosing only some "
                          "of those answers already earns full marks in Moodle; the portal "
                          "would mark that wrong")
    if others and total + max(answer.weight for answer in others) >= _FULL_MARKS:
        extra = max(others, key=lambda answer: answer.weight)
        raise _Skip(kind, f'"{_plain(extra.text)}" has weight {extra.weight:g}%, so choosing it '
                          "as well as the right answers still earns full marks in Moodle; the "
                          "portal would mark that wrong: give each wrong answer a negative "
                          "weight such as %-100%")
    if len(right) == 1:
        return ["Moodle shows this question with tick boxes; the portal shows radio buttons, "
                "since exactly one answer is right"]
    return ["Moodle gives part marks for choosing some of the right answers; the portal marks "
            "this question right only when exactly the right answers are chosen"]


# --------------------------------------------------------------------------------------------
# Writing Markdown that renders to exactly the text Moodle would show.
# --------------------------------------------------------------------------------------------


def _render_block(question: _Question) -> _Block:
    block = _Block(
        title=question.title,
        prompt=_lines(question.prompt, question),
        answers=[(_one_line(answer.text, question), answer.weight > 0,
                  _lines(answer.feedback, question)) for answer in question.answers],
        explanation=_lines(question.explanation, question),
    )
    if not "".join(block.prompt).strip() or not all(text for text, _, _ in block.answers):
        raise _Skip(question.kind, "the question or one of its answers shows no text")
    texts = [normalise_text(text) for text, _, _ in block.answers]
    if len(set(texts)) < len(texts):
        raise _Skip(question.kind, "two answers have the same text (ignoring case and spacing), "
                                   "and the portal tells answers apart by their text")
    _check_renders(block, question.kind)
    return block


def _lines(piece: _Text, question: _Question) -> list[str]:
    """Markdown lines for a question, feedback or explanation, which may span several lines."""
    if not piece.text:
        return []
    if piece.format == "markdown":
        text = piece.text.replace(_BLANK, r"\_" * 5)
        return [_protect_markdown_line(line) for line in text.split("\n")]
    lines = _visible_lines(piece, question)
    return [_escape_line(line) + ("<br>" if index < len(lines) - 1 else "")
            for index, line in enumerate(lines)]


def _one_line(piece: _Text, question: _Question) -> str:
    """An answer must fit on one line: line breaks become <br> (Markdown: a space, as rendered)."""
    if piece.format == "markdown":
        return " ".join(_protect_markdown_line(line.strip()) for line in piece.text.split("\n"))
    return "<br>".join(_escape_line(line) for line in _visible_lines(piece, question))


def _visible_lines(piece: _Text, question: _Question) -> list[str]:
    """The lines a reader sees: Moodle shows each line break in plain and Moodle-format text."""
    text = piece.text.replace(_BLANK, "_____")
    if piece.format == "html":
        text, dropped = _html_text(text)
        if dropped and _HTML_NOTE not in question.notes:
            question.notes.append(_HTML_NOTE)
    return [_SPACES.sub(" ", line).strip(" ") for line in text.split("\n")]


def _escape_line(line: str) -> str:
    """Escape one line of plain text so Python-Markdown shows every character as written."""
    line = _INLINE_SYNTAX.sub(r"\\\1", line.replace("&", "&amp;").replace("<", "&lt;"))
    match = _LINE_START.match(line)
    if match is None:
        return line
    if match[1]:
        return "\\" + line
    if match[2]:
        return "&#61;" + line[1:]  # "=" has no backslash escape; a line of them is an underline
    return f"{match[3]}\\{line[match.end(3):]}"


def _protect_markdown_line(line: str) -> str:
    """Keep Markdown as Markdown, except lines the <quiz> parser would read as its own syntax."""
    line = _QUIZ_TAG_LINE.sub(r"\1&lt;\2", line)
    line = _ANSWER_LIKE_LINE.sub(r"\1\\[", line)
    line = _INDENTED_QUOTE.sub("", line)
    # The <quiz> parser trims line ends, so a Markdown hard break (two spaces) is written as <br>.
    return line.rstrip() + "<br>" if _HARD_BREAK.search(line) else line.rstrip()


_HTML_NOTE = ("[html] text is imported as the text it shows: its tags (bold, links, images, "
              "lists) are not kept, and a link's address is shown in brackets")
_HTML_BREAKS = frozenset({"br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "ul",
                          "ol", "blockquote", "pre", "table", "hr", "dt", "dd"})


# A browser's HTML parser (html5ever, through nh3) first reduces the HTML to the tags that shape
# its text: line breaks, blocks and links with a safe address. Scripts and styles go with
# their content, as on the portal's pages.
_HTML_SHAPE = nh3.Cleaner(
    tags=set(_HTML_BREAKS | {"a"}),
    clean_content_tags=set(DROPPED_WITH_CONTENT),
    attributes={"a": {"href"}},
    url_schemes=set(URL_SCHEMES),
    link_rel=None,
    strip_comments=True,
)
_TAG_NAME = re.compile(r"</?([A-Za-z][A-Za-z0-9]*)")


class _HtmlText(HTMLParser):
    """The text of HTML already reduced by _HTML_SHAPE, with its line breaks."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.links: list[tuple[str | None, int]] = []  # each open link's address, first part

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HTML_BREAKS:
            self.parts.append("\n")
        if tag == "a":
            self.links.append((dict(attrs).get("href"), len(self.parts)))

    def handle_endtag(self, tag: str) -> None:
        if tag in _HTML_BREAKS:
            self.parts.append("\n")
        if tag == "a" and self.links:
            href, start = self.links.pop()
            if href and "".join(self.parts[start:]).strip() != href:
                self.parts.append(f" ({href})")

    def handle_data(self, data: str) -> None:
        self.parts.append(re.sub(r"[ \t\n\r\f]+", " ", data))


def _html_text(source: str) -> tuple[str, bool]:
    """The text HTML shows, and whether tags other than paragraph and line breaks were left out."""
    parser = _HtmlText()
    parser.feed(_HTML_SHAPE.clean(source))
    parser.close()
    lines = (_SPACES.sub(" ", line).strip(" ") for line in "".join(parser.parts).split("\n"))
    dropped = any(name.lower() not in ("p", "br") for name in _TAG_NAME.findall(source))
    return "\n".join(line for line in lines if line), dropped


def _plain(piece: _Text) -> str:
    """Short text of a piece for messages."""
    text = " ".join(html.unescape(piece.text).split())
    return text if len(text) <= 60 else text[:57] + "..."


def _check_renders(block: _Block, kind: str) -> None:
    """Render every piece as the portal will, so a question it would refuse is skipped here."""
    pieces = [(block.prompt, False), (block.explanation, False)]
    pieces += [([text], True) for text, _, _ in block.answers]
    pieces += [(feedback, False) for _, _, feedback in block.answers]
    for lines, inline in pieces:
        try:
            render_markdown("\n".join(lines), inline=inline)
        except MarkdownLimitError as exc:
            raise _Skip(kind, f"the portal would refuse this text: {exc}") from exc


def _make_distinct(block: _Block, seen: set[str]) -> None:
    """A question's id hashes its text, so a repeated text gets a comment that tells it apart."""
    title, copy = block.title, 1
    while (key := normalise_text("\n".join(_prompt_lines(block)))) in seen:
        copy += 1
        block.title = (f"{title} (copy {copy})" if title
                       else f"copy {copy} of a question with the same text")
    seen.add(key)


def _prompt_lines(block: _Block) -> list[str]:
    title = [f"<!-- Moodle title: {_comment_text(block.title)} -->", ""] if block.title else []
    return [*title, *block.prompt]


def _comment_text(text: str) -> str:
    """Text safe inside an HTML comment: no `--`, which could end it."""
    text = " ".join(text.split())
    while "--" in text:
        text = text.replace("--", "- -")
    return text.removesuffix("-").strip()


def _quiz_markdown(block: _Block) -> str:
    lines = ["<quiz>", *_prompt_lines(block)]
    for text, correct, feedback in block.answers:
        lines.append(f"- [{'x' if correct else ' '}] {text}")
        lines += [f"  > {line}".rstrip() for line in feedback]
    if block.explanation:
        lines += ["", *block.explanation]
    return "\n".join([*lines, "</quiz>"])
