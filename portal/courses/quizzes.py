"""Modules: front matter, the lesson, and its <quiz> blocks of questions.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Container
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    # Python-Markdown's tree, for type hints only: we never parse XML.
    pass  # nosec B405

from portal.courses.frontmatter import MODULE_KEYS, QUIZ_KEYS, FrontMatter, Problems, read_document
from portal.courses.markdown import MarkdownLimitError, check_markdown, render_markdown
from portal.courses.model import Answer, CourseError, Module, Question, QuizSettings

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
    problems = Problems(path)
    document = read_document(path, problems)
    if document is None:
        return _ParsedModule(path, None, "", 0, problems.sorted())
    meta = FrontMatter(document, problems)
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


def _module_settings(meta: FrontMatter) -> dict[str, Any]:
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


def _quiz_settings(meta: FrontMatter) -> QuizSettings:
    pass_mark = meta.number("quiz.pass_mark", 0, 100, required=True)
    return QuizSettings(
        pass_mark=pass_mark if pass_mark is not None else 0,
        questions_per_attempt=meta.number("quiz.questions_per_attempt", 1,
                                          hint=" (leave it out to ask every question)"),
        shuffle_answers=meta.flag("quiz.shuffle_answers"),
        max_attempts=meta.number("quiz.max_attempts", 0, hint=" (0 means unlimited)") or 0,
    )


def _split_quizzes(body: list[tuple[int, str]],
                   problems: Problems) -> tuple[list[tuple[int, str]], list[_QuizBlock]]:
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


def _end_unclosed(block: _QuizBlock | None, problems: Problems) -> None:
    if block is not None and not block.closed:
        problems.add(block.line, "<quiz> is never closed (add a line </quiz>)")


def _quiz_tag_kind(number: int, line: str, problems: Problems) -> str:
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


def _parse_questions(blocks: list[_QuizBlock], module_id: str, problems: Problems,
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
                        meta: FrontMatter) -> None:
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


def _render_at(lines: list[tuple[int, str]], problems: Problems, render: Renderer,
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

    def __init__(self, number: int, block: _QuizBlock, problems: Problems,
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


