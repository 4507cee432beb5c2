"""Convert a Moodle GIFT question bank into the `<quiz>` blocks of COURSE_FORMAT.md.

Only the question types a `<quiz>` block can hold are converted: single choice, multiple answer
and true/false. Anything else (matching, numerical, short answer, essay, missing word) is refused
with its line and the reason, and nothing is returned unless the whole file converts, so an
import never silently drops or changes a question.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from portal.courses import normalise_text


class GiftError(ValueError):
    """The GIFT file holds questions a <quiz> block cannot, so nothing was converted."""

    def __init__(self, source_name: str, problems: list[tuple[int, str]]) -> None:
        super().__init__(source_name, problems)
        self.source_name = source_name
        self.problems = problems

    def __str__(self) -> str:
        return "\n".join(f"{self.source_name}:{line}: {reason}" for line, reason in self.problems)


class _Refused(Exception):
    """One question cannot be converted; the message says why in plain English."""


@dataclass
class _Answer:
    text: str
    correct: bool
    feedback: str = ""


@dataclass
class _Question:
    line: int
    prompt: str
    answers: list[_Answer] = field(default_factory=list)
    explanation: str = ""


# Escaped GIFT control characters stand in as private-use characters while the syntax is
# parsed, then become the literal character again.
_ESCAPES = {":": "\ue000", "~": "\ue001", "=": "\ue002", "#": "\ue003", "{": "\ue004",
            "}": "\ue005", "\\": "\ue006"}
_UNESCAPE = str.maketrans({placeholder: char for char, placeholder in _ESCAPES.items()})
_ESCAPE = re.compile(r"\\([:~=#{}\\n])")
_FORMAT = re.compile(r"^\s*\[(?:html|moodle|plain|markdown)\]", re.IGNORECASE)
_WEIGHT = re.compile(r"^%(-?\d+(?:\.\d+)?)%")
_TRUE_FALSE = {"T": True, "TRUE": True, "F": False, "FALSE": False}
# A line starting like this would be read as an answer, feedback, heading or tag in a <quiz>.
_MARKDOWN_LEAD = re.compile(r"^([-*+>#])|^(</?quiz)")


def import_gift(path: Path) -> str:
    """Read a GIFT file and convert it, refusing the whole file if any question cannot convert."""
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise GiftError(str(path), [(1, "the file is not UTF-8 text; save it as UTF-8")]) from exc
    return convert_gift(text, str(path))


def convert_gift(text: str, source_name: str) -> str:
    """Convert GIFT text to `<quiz>` Markdown, or raise GiftError listing every problem."""
    questions: list[_Question] = []
    problems: list[tuple[int, str]] = []
    for line, chunk in _chunks(text):
        try:
            questions.append(_parse_question(line, chunk))
        except _Refused as exc:
            problems.append((line, str(exc)))
    problems += _repeated_questions(questions)
    if not questions and not problems:
        problems.append((1, "the file holds no questions"))
    if problems:
        raise GiftError(source_name, sorted(problems))
    return "\n\n".join(_quiz_markdown(question) for question in questions) + "\n"


def _chunks(text: str) -> list[tuple[int, str]]:
    """Split into questions at blank lines, dropping `//` comments and `$CATEGORY:` lines."""
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    chunks: list[tuple[int, str]] = []
    lines: list[str] = []
    start = 0
    for number, line in enumerate([*text.split("\n"), ""], start=1):
        stripped = line.strip()
        if stripped.startswith("//") or stripped.startswith("$CATEGORY:"):
            continue  # Moodle ignores comments; categories have no meaning in a module
        if stripped:
            start = start if lines else number
            lines.append(line)
        elif lines:
            chunks.append((start, "\n".join(lines)))
            lines = []
    return chunks


def _parse_question(line: int, chunk: str) -> _Question:
    text = _drop_title(_ESCAPE.sub(_escape, chunk).strip())
    opening, closing = text.find("{"), text.find("}")
    if opening == -1 and closing == -1:
        raise _Refused("this has no answers in { }: descriptions cannot be imported")
    if opening == -1 or closing < opening or "{" in text[opening + 1:closing]:
        raise _Refused("the { and } around the answers do not pair up (write \\{ or \\} for "
                       "a literal brace)")
    if text[closing + 1:].strip() or "{" in text[closing + 1:]:
        raise _Refused("missing-word questions (text after the closing }) cannot be imported")
    prompt = _clean(text[:opening])
    if not prompt:
        raise _Refused("this question has no text before its answers")
    body, explanation = _split_general_feedback(text[opening + 1:closing])
    return _Question(line, prompt, _answers(body), explanation)


def _escape(match: re.Match[str]) -> str:
    char = match.group(1)
    return "\n" if char == "n" else _ESCAPES[char]


def _drop_title(text: str) -> str:
    """Drop `::title::`: a <quiz> question is identified by its text, never by a name."""
    if not text.startswith("::"):
        return text
    end = text.find("::", 2)
    if end == -1:
        raise _Refused("the question title ::...:: is never closed")
    return text[end + 2:].strip()


def _split_general_feedback(body: str) -> tuple[str, str]:
    head, separator, tail = body.rpartition("####")
    return (head, _clean(tail)) if separator else (body, "")


def _answers(body: str) -> list[_Answer]:
    """Decide the question type in Moodle's order, refusing the types <quiz> cannot hold."""
    body = body.strip()
    if not body:
        raise _Refused("essay questions ({}) cannot be imported: answers here are never free text")
    if body.startswith("#"):
        raise _Refused("numerical questions ({#...}) cannot be imported")
    if "~" in body:
        return _choice_answers(body)
    if "=" in body and "->" in body:
        raise _Refused("matching questions (->) cannot be imported")
    answers = _true_false_answers(body)
    if answers is None:
        raise _Refused("short-answer questions (only = answers, no ~) cannot be imported: "
                       "answers here are never free text")
    return answers


def _true_false_answers(body: str) -> list[_Answer] | None:
    value, _, feedback = body.partition("#")
    correct = _TRUE_FALSE.get(value.strip().upper())
    if correct is None:
        return None
    # Moodle's order: the first #feedback is for a wrong answer, the second for a right one.
    wrong, _, right = feedback.partition("#")
    true_feedback, false_feedback = (right, wrong) if correct else (wrong, right)
    return [_Answer("True", correct, _clean(true_feedback)),
            _Answer("False", not correct, _clean(false_feedback))]


def _choice_answers(body: str) -> list[_Answer]:
    parts = re.split(r"(?=[=~])", body)
    if parts[0].strip():
        raise _Refused(f'the answer "{_clean(parts[0])}" must start with = (right) or ~ (wrong)')
    weighted = [_weighted_answer(part) for part in parts[1:]]
    single = any(part.startswith("=") for part in parts[1:])
    answers = _single_choice(weighted) if single else _multiple_answer(weighted)
    _check_answer_set(answers)
    return answers


def _weighted_answer(part: str) -> tuple[float, _Answer]:
    marker, rest = part[0], part[1:].strip()
    weight = 100.0 if marker == "=" else 0.0
    if match := _WEIGHT.match(rest):
        weight, rest = float(match.group(1)), rest[match.end():]
    text, _, feedback = rest.partition("#")
    return weight, _Answer(_one_line(text), weight > 0, _clean(feedback))


def _single_choice(weighted: list[tuple[float, _Answer]]) -> list[_Answer]:
    """With an = answer Moodle accepts any full-credit answer; a <quiz> has exactly one."""
    if any(0 < weight < 100 for weight, _ in weighted):
        raise _Refused("partial credit (%n% between 0 and 100) cannot be imported: mark each "
                       "answer right (=) or wrong (~)")
    if sum(weight >= 100 for weight, _ in weighted) > 1:
        raise _Refused("more than one answer is fully right in a single-choice question: use "
                       "~%50% weights for a \"select all that apply\" question instead")
    return [answer for _, answer in weighted]


def _multiple_answer(weighted: list[tuple[float, _Answer]]) -> list[_Answer]:
    """Without an = answer, every positively weighted answer is one to select."""
    if not any(weight > 0 for weight, _ in weighted):
        raise _Refused("no answer is right: mark one with = or give answers a positive %n% weight")
    return [answer for _, answer in weighted]


def _check_answer_set(answers: list[_Answer]) -> None:
    if len(answers) < 2:
        raise _Refused("a question needs at least two answers")
    if any(not answer.text for answer in answers):
        raise _Refused("an answer has no text")
    texts = [normalise_text(answer.text) for answer in answers]
    if len(set(texts)) < len(texts):
        raise _Refused("the same answer is given twice")


def _repeated_questions(questions: list[_Question]) -> list[tuple[int, str]]:
    """Two questions with the same text would share an id in a module, so refuse the second."""
    first: dict[str, int] = {}
    problems = []
    for question in questions:
        key = normalise_text(question.prompt)
        if key in first:
            problems.append((question.line, f"this question has the same text as the one on "
                                            f"line {first[key]}"))
        first.setdefault(key, question.line)
    return problems


def _clean(text: str) -> str:
    """Drop a [format] marker, restore escaped characters and trim."""
    return _FORMAT.sub("", text).translate(_UNESCAPE).strip()


def _one_line(text: str) -> str:
    return " ".join(_clean(text).split())


def _quiz_markdown(question: _Question) -> str:
    lines = ["<quiz>", *_markdown_lines(question.prompt)]
    for answer in question.answers:
        lines.append(f"- [{'x' if answer.correct else ' '}] {answer.text}")
        if answer.feedback:
            lines.append(f"  > {_one_line(answer.feedback)}")
    if question.explanation:
        lines += ["", *_markdown_lines(question.explanation)]
    return "\n".join([*lines, "</quiz>"])


def _markdown_lines(text: str) -> list[str]:
    """Keep paragraphs, escaping line starts a <quiz> block would read as answers or tags."""
    lines = []
    for line in text.split("\n"):
        line = line.strip()
        lines.append(_MARKDOWN_LEAD.sub(lambda m: f"\\{m[1]}" if m[1] else f"&lt;{m[2][1:]}", line))
    return lines
