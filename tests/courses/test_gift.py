"""GIFT import: each question reads, renders and marks as it would in Moodle, or is reported.

The corpus (tests/fixtures/gift/corpus.gift) holds one example of every feature in Moodle's GIFT
documentation. The tests load the converted Markdown through the portal's own course loader and
compare the text of the rendered HTML with what the GIFT source means.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.courses import Module, Question, check_path, load_module_file
from portal.courses.gift import GiftError, convert_gift, import_gift

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "gift" / "corpus.gift"
FRONT_MATTER = "---\nid: imported\ntitle: Imported\nversion: 1\nquiz:\n  pass_mark: 80\n---\n\n"
PLAIN_TAGS = {"p", "br"}  # all that plain text may render to: no emphasis, links, lists, headings


class _RenderedText(HTMLParser):
    """What a reader sees in rendered HTML: <br> and block ends are line breaks."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.tags: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        if tag == "br":
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in {"p", "li", "h2", "h3", "h4", "blockquote"}:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(re.sub(r"\s+", " ", data))  # source whitespace shows as one space


def rendered(html: str) -> tuple[str, set[str]]:
    """The visible text of rendered HTML (lines trimmed, blank-line runs merged) and its tags."""
    parser = _RenderedText()
    parser.feed(html)
    parser.close()
    text = "\n".join(line.strip() for line in "".join(parser.parts).split("\n"))
    return re.sub(r"\n{3,}", "\n\n", text).strip(), parser.tags


@dataclass(frozen=True)
class Expected:
    """What the GIFT source means: the texts a learner sees, and which answers are right."""

    prompt: str
    answers: tuple[tuple[str, bool, str], ...]  # (text, right, feedback)
    explanation: str = ""
    markdown: bool = False  # written in [markdown], so formatting tags are expected


TF = ("True", "False")

# Every question of the corpus the portal can hold, in file order.
CORPUS_QUESTIONS = [
    Expected("Which of these is part of the role?", (
        ("Listening without judging", True, "Yes: listening comes first."),
        ("Investigating what happened", False, "No: that is not the role."),
        ("Deciding for the colleague", False, "")),
        "Listen, then point to specialist help."),
    Expected("Write ~, =, #, {, } and : literally, with a backslash \\ too.", (
        ("~ tilde = equals", True, "# hash { braces }"),
        ("a: colon", False, "")),
        "General feedback: { all } ~ = #"),
    Expected("Plain *stars*, _underscores_, `ticks`, [a link](https://example.org) and "
             "<b>tags</b> & &amp; stay as written.\n===", (
                 ("#", True, ""),
                 ("1. 2021", False, "- a dash"),
                 ("> a quote", False, "+ a plus"),
                 ("| a | table |", False, "")),
             "{{ 7*7 }} and <script>alert(1)</script> stay text"),
    Expected("First line of the question\nsecond line\nthird line",
             (("Right", True, ""), ("Wrong", False, ""))),
    Expected("Listening is part of the role.",
             (("True", True, "Yes, it is."), ("False", False, "Look again: it is."))),
    Expected("A champion investigates.", (
        ("True", False, "No: a champion does not investigate."),
        ("False", True, "Right: never investigate."))),
    Expected("The word TRUE works too.", (("True", True, ""), ("False", False, ""))),
    Expected("The letter F works too.", (("True", False, ""), ("False", True, "")),
             "F means false."),
    Expected("Only the wrong-answer feedback is given.",
             (("True", True, ""), ("False", False, "Shown to those who pick False."))),
    Expected("Which two are right? Select all that apply.", (
        ("The first right one", True, "Correct."),
        ("The second right one", True, ""),
        ("A wrong one", False, "Not this one.")),
        "Both right answers, and nothing else."),
    Expected("Which three are right?", (
        ("One", True, ""), ("Two", True, ""), ("Three", True, ""), ("Four", False, ""))),
    Expected("Moodle shows tick boxes here.",
             (("The only right one", True, ""), ("Not this", False, ""))),
    Expected("A champion _____ first.", (
        ("listens", True, ""), ("investigates", False, ""), ("decides", False, ""))),
    Expected("Listening _____ is part of the role.", (("True", True, ""), ("False", False, ""))),
    Expected("A champion _____ first.", (("listens", True, ""), ("decides", False, "")),
             markdown=True),
    Expected("Plain *text* 1. here", (("*one*", True, "- two"), ("other", False, ""))),
    Expected("Auto-format _text_", (("yes", True, ""), ("no", False, ""))),
    Expected("Some emphasis and strong text.\n\na list item\n\n[x] not an answer", (
        ("A bold answer", True, "Feedback with emphasis"),
        ("A *plain* answer", False, "# not a heading")),
        "General feedback", markdown=True),
    Expected("An HTML question & a link (https://example.org/help).", (
        ("Right answer", True, "Good\ntwo lines"),
        ("Wrong answer", False, "")),
        "General\nfeedback"),
    Expected("Is this the same question?", (("True", True, ""), ("False", False, ""))),
    Expected("Is this the same question?", (("True", False, ""), ("False", True, ""))),
    Expected("Is this repeated without a title?", (("Yes", True, ""), ("No", False, ""))),
    Expected("Is this repeated without a title?", (("No", True, ""), ("Yes", False, ""))),
]

# Every question of the corpus the portal cannot hold: (text on its first line, Moodle type).
CORPUS_SKIPPED = [
    ("::Matching::", "matching"),
    ("::Numerical::", "numerical"),
    ("::Numerical range::", "numerical"),
    ("::Short answer::", "short answer"),
    ("::Essay::", "essay"),
    ("This line is a description", "description"),
    ("A champion {=listens =listen} first.", "short answer (missing word)"),
    ("::Lone part marks::", "multiple choice"),
    ("::Zero weight wrong::", "multiple choice"),
    ("::Part marks in single choice::", "multiple choice"),
    ("::Negative single choice::", "multiple choice"),
    ("::Lower case::", "short answer"),
]


def line_of(text: str, source: str) -> int:
    return next(number for number, line in enumerate(source.split("\n"), start=1)
                if text in line)


def load_converted(markdown_text: str, tmp_path: Path) -> Module:
    """Load converted blocks as a module, through the loader the portal itself uses."""
    path = tmp_path / "01-imported.md"
    path.write_text(FRONT_MATTER + markdown_text, encoding="utf-8")
    module, errors = load_module_file(path)
    assert errors == [], [str(error) for error in errors]
    assert check_path(path) == []
    assert module is not None
    return module


def assert_reads_as(question: Question, expected: Expected) -> None:
    """The rendered question, answers, feedback and explanation read as the GIFT source means."""
    pieces = [(question.prompt_html, expected.prompt),
              (question.explanation_html, expected.explanation)]
    for answer, (text, _, feedback) in zip(question.answers, expected.answers, strict=True):
        pieces += [(answer.text_html, text), (answer.feedback_html, feedback)]
    for html, meant in pieces:
        text, tags = rendered(html)
        assert text == meant, html
        if not expected.markdown:
            assert tags <= PLAIN_TAGS, html
    assert [answer.correct for answer in question.answers] == [
        right for _, right, _ in expected.answers]
    assert question.multiple == (sum(right for _, right, _ in expected.answers) >= 2)


def test_every_supported_corpus_question_reads_as_its_gift_source(tmp_path: Path) -> None:
    result = import_gift(CORPUS)
    module = load_converted(result.markdown, tmp_path)
    assert result.imported == len(module.questions) == len(CORPUS_QUESTIONS)
    for question, expected in zip(module.questions, CORPUS_QUESTIONS, strict=True):
        assert_reads_as(question, expected)


def test_markdown_marker_keeps_markdown_and_html_marker_keeps_only_text(tmp_path: Path) -> None:
    questions = load_converted(import_gift(CORPUS).markdown, tmp_path).questions
    by_text = {rendered(question.prompt_html)[0].split(" ")[0]: question
               for question in questions}
    markdown, from_html = by_text["Some"], by_text["An"]
    assert "<em>emphasis</em>" in markdown.prompt_html
    assert "<strong>strong</strong>" in markdown.prompt_html
    assert rendered(markdown.prompt_html)[1] >= {"ul", "li"}
    assert "<strong>bold</strong>" in markdown.answers[0].text_html
    assert "<em>feedback</em>" in markdown.explanation_html
    assert "alert" not in from_html.prompt_html and "<a" not in from_html.prompt_html


def test_titles_are_kept_and_repeated_texts_get_distinct_ids(tmp_path: Path) -> None:
    result = import_gift(CORPUS)
    assert "<!-- Moodle title: Single choice -->" in result.markdown
    assert "<!-- Moodle title: Escapes: all of them -->" in result.markdown
    assert "<!-- Moodle title: Repeated (copy 2) -->" in result.markdown
    assert "<!-- Moodle title: copy 2 of a question with the same text -->" in result.markdown
    assert "<!-- Moodle category: $course$/top/Champions/Practice -->" in result.markdown
    questions = load_converted(result.markdown, tmp_path).questions
    assert len({question.id for question in questions}) == len(questions)
    assert all("Moodle title" not in question.prompt_html for question in questions)


def test_unsupported_questions_are_reported_by_line_and_the_rest_imported() -> None:
    source = CORPUS.read_text(encoding="utf-8")
    result = import_gift(CORPUS)
    assert [(skip.line, skip.kind) for skip in result.skipped] == [
        (line_of(marker, source), kind) for marker, kind in CORPUS_SKIPPED]
    assert result.imported == len(CORPUS_QUESTIONS)
    assert all(skip.reason for skip in result.skipped)


def test_part_marks_are_never_silently_turned_into_all_or_nothing() -> None:
    source = CORPUS.read_text(encoding="utf-8")
    result = import_gift(CORPUS)
    reasons = {skip.line: skip.reason for skip in result.skipped}
    assert "add up to 50%" in reasons[line_of("::Lone part marks::", source)]
    assert '"Three" has weight 0%' in reasons[line_of("::Zero weight wrong::", source)]
    assert "gives 50% of the marks" in reasons[line_of("::Part marks in single choice::", source)]
    assert "takes away 25%" in reasons[line_of("::Negative single choice::", source)]
    notes = {note.line: note.text for note in result.notes}
    assert "part marks" in notes[line_of("::Multiple answers::", source)]
    assert "part marks" in notes[line_of("::Thirds::", source)]
    assert "radio buttons" in notes[line_of("::Full weight with tick boxes::", source)]
    assert "[html]" in notes[line_of("::HTML marker::", source)]


def test_crlf_line_endings_and_a_byte_order_mark_change_nothing(tmp_path: Path) -> None:
    windows = tmp_path / "windows.gift"
    windows.write_bytes(b"\xef\xbb\xbf" + CORPUS.read_bytes().replace(b"\n", b"\r\n"))
    plain, converted = import_gift(CORPUS), import_gift(windows)
    assert converted.markdown == plain.markdown
    assert converted.skipped == plain.skipped and converted.notes == plain.notes


@pytest.mark.parametrize(("gift", "expected"), [
    # A format name Moodle does not know (it reads lower case only) is text.
    ("[HTML]<b>Q</b> {=a ~b}", Expected("[HTML]<b>Q</b>", (("a", True, ""), ("b", False, "")))),
    # General feedback is not trimmed before Moodle looks for its marker.
    ("Q {=a ~b ####  [html]<b>G</b>}",
     Expected("Q", (("a", True, ""), ("b", False, "")), "[html]<b>G</b>")),
    # Text before the first = or ~ is a wrong answer in Moodle.
    ("Q {first ~a =b}", Expected("Q", (("first", False, ""), ("a", False, ""), ("b", True, "")))),
    # A link whose text is its address is not shown twice.
    ('[html]See <a href="https://example.org">https://example.org</a> {=a ~b}',
     Expected("See https://example.org", (("a", True, ""), ("b", False, "")))),
    # Weights with decimals, and feedback on a weighted answer.
    ("Q {~%12.5%a ~%87.5%b#fb ~%-100%c}",
     Expected("Q", (("a", True, ""), ("b", True, "fb"), ("c", False, "")))),
])
def test_moodle_details_read_as_moodle_reads_them(gift: str, expected: Expected,
                                                  tmp_path: Path) -> None:
    result = convert_gift(gift, "detail.gift")
    assert result.skipped == []
    (question,) = load_converted(result.markdown, tmp_path).questions
    assert_reads_as(question, expected)


def test_html_that_shows_no_text_is_skipped() -> None:
    result = convert_gift('[html]Q {=<img src\\="x.png"> ~b}\n\nFine? {T}\n', "img.gift")
    assert [(skip.line, skip.reason) for skip in result.skipped] == [
        (1, "the question or one of its answers shows no text")]


@pytest.mark.parametrize(("answers", "right"), [
    ("~%50%a ~%50%b ~%-100%c", [True, True, False]),
    ("~%60%a ~%60%b ~%-100%c", [True, True, False]),  # only both together reach 100%
    ("~%100%a ~%-50%b", [True, False]),
    ("=a ~b ~%0%c", [True, False, False]),
    ("=a ~%100%b", None),  # two answers earn full marks
    ("~%50%a ~%50%b ~%50%c ~%-100%d", None),  # any two already earn full marks
    ("~%50%a ~%50%b ~%-0%c", None),  # a weight of 0 adds nothing, so ticking it is no loss
    ("~%50%a ~b", None),
    ("=%50%a ~b", None),  # Moodle would show "%50%" as part of the answer
    ("~%--50%a =b", None),
    ("=a", None),
    ("=a ~A", None),  # the portal keys answers by their text, ignoring case
])
def test_weights_convert_only_when_moodle_and_the_portal_agree_on_full_marks(
        answers: str, right: list[bool] | None, tmp_path: Path) -> None:
    gift = f"Question? {{{answers}}}\n\nAnother question? {{T}}\n"
    result = convert_gift(gift, "weights.gift")
    if right is None:
        assert [skip.line for skip in result.skipped] == [1]
        return
    question = load_converted(result.markdown, tmp_path).questions[0]
    assert [answer.correct for answer in question.answers] == right


@pytest.mark.parametrize(("gift", "kind", "reason"), [
    ("Q? {=a ~b", "unreadable", "the { and } around the answers do not pair up"),
    ("::Unclosed title Q? {T}", "unreadable", "the question title ::...:: is never closed"),
    ("{=a ~b}", "multiple choice", "the question has no text"),
    ("$CATEGORY: a\nQ? {T}", "category", "Moodle reads every line after $CATEGORY:"),
])
def test_unreadable_questions_are_skipped_with_the_reason(gift: str, kind: str,
                                                         reason: str) -> None:
    result = convert_gift(f"{gift}\n\nFine? {{T}}\n", "x.gift")
    (skip,) = result.skipped
    assert (skip.line, skip.kind) == (1, kind) and skip.reason.startswith(reason)
    assert result.imported == 1


def test_a_file_with_nothing_to_import_is_an_error() -> None:
    with pytest.raises(GiftError, match="no questions"):
        convert_gift("// only a comment\n", "empty.gift")
    with pytest.raises(GiftError) as caught:
        convert_gift("Describe it. {}\n\nHow many? {#3}\n", "free-text.gift")
    assert [line for line, _ in caught.value.problems] == [1, 3]
    assert str(caught.value).startswith("free-text.gift:1: essay:")


def test_a_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bank.gift"
    path.write_bytes(b"Caf\xe9? {T}")
    with pytest.raises(GiftError, match="not UTF-8"):
        import_gift(path)


# Every printable ASCII character, so each one Markdown or GIFT treats as syntax is tried.
TEXT = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126) | st.just("\n"),
               min_size=1, max_size=30)


def gift_escape(text: str) -> str:
    return re.sub(r"([\\~=#{}:])", r"\\\1", text).replace("\n", "\\n")


def meant(text: str) -> str:
    """What Moodle shows for plain or Moodle-format text: trimmed, each line break kept."""
    return "\n".join(" ".join(line.split()) for line in text.strip().split("\n"))


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(prompt=TEXT, right=TEXT, wrong=TEXT, feedback=TEXT, general=TEXT)
def test_any_plain_text_reads_exactly_as_written(tmp_path: Path, prompt: str, right: str,
                                                 wrong: str, feedback: str,
                                                 general: str) -> None:
    """Acceptance 1 and 3 for arbitrary text: the import always loads and reads as written."""
    gift = (f"Q {gift_escape(prompt)} {{\n=R {gift_escape(right)}#F {gift_escape(feedback)}\n"
            f"~W {gift_escape(wrong)}\n####G {gift_escape(general)}\n}}\n")
    (question,) = load_converted(convert_gift(gift, "any.gift").markdown, tmp_path).questions
    assert_reads_as(question, Expected(
        meant(f"Q {prompt}"),
        ((meant(f"R {right}"), True, meant(f"F {feedback}")),
         (meant(f"W {wrong}"), False, "")),
        meant(f"G {general}")))


# Text built to look like <quiz> syntax, Markdown and HTML at once.
SYNTAX_TEXT = st.text(alphabet=st.sampled_from(list(" \n\t-*+>[]x<>/quiz#=.1!&;()`_|ab")),
                      min_size=1, max_size=40)


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(form=st.sampled_from(["markdown", "html", "plain", "moodle"]), prompt=SYNTAX_TEXT,
       right=SYNTAX_TEXT, wrong=SYNTAX_TEXT, feedback=SYNTAX_TEXT, general=SYNTAX_TEXT)
def test_every_import_passes_courses_check(tmp_path: Path, form: str, prompt: str, right: str,
                                           wrong: str, feedback: str, general: str) -> None:
    """Acceptance 3 in every format: a question is imported as a valid block or skipped."""
    gift = (f"[{form}]Q {gift_escape(prompt)} {{\n=R {gift_escape(right)}#"
            f"{gift_escape(feedback)}\n~W {gift_escape(wrong)}\n####{gift_escape(general)}\n}}"
            "\n\nFine? {T}\n")
    result = convert_gift(gift, "any.gift")
    module = load_converted(result.markdown, tmp_path)
    assert len(module.questions) == result.imported == 2 - len(result.skipped)
    assert all(skip.reason for skip in result.skipped)


GIFT_PIECES = st.sampled_from([
    *" \n\t-*+>[]x<>/#=.1!&;()`_|ab\\:~{}%", "{T}", "{F#no#yes}", "~%50%", "~%-100%", "::t::",
    "[markdown]", "[html]", "<quiz>", "</quiz>", "- [x] ", "\r\n", "####", "$CATEGORY: c\n\n",
    "// c\n", "\\n", "\n\n"])


@settings(max_examples=200, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pieces=st.lists(GIFT_PIECES, min_size=1, max_size=60))
def test_any_gift_text_gives_valid_blocks_or_a_clear_error(tmp_path: Path,
                                                           pieces: list[str]) -> None:
    """Whatever the file holds, what is imported passes `courses check`; the rest is reported."""
    try:
        result = convert_gift("".join(pieces), "any.gift")
    except GiftError as error:
        assert error.problems and all(reason for _, reason in error.problems)
        return
    assert len(load_converted(result.markdown, tmp_path).questions) == result.imported


def write_module(tmp_path: Path, blocks: str) -> Path:
    module = tmp_path / "course" / "01-imported.md"
    module.parent.mkdir(exist_ok=True)
    module.write_text(FRONT_MATTER + blocks, encoding="utf-8")
    return module


def test_import_gift_command_writes_blocks_or_nothing(app, tmp_path: Path) -> None:
    """QUIZ-14 and the CLI: what converts is written and passes `courses check`, template
    syntax stays literal, each skipped question is reported by line; --strict writes nothing."""
    output = tmp_path / "out.md"
    runner = app.test_cli_runner()
    result = runner.invoke(args=["courses", "import-gift", str(CORPUS), "-o", str(output)])
    assert result.exit_code == 0, result.output
    source = CORPUS.read_text(encoding="utf-8")
    for marker, kind in CORPUS_SKIPPED:
        assert f"{CORPUS}:{line_of(marker, source)}: skipped {kind} question: " in result.stderr
    assert f"Imported {len(CORPUS_QUESTIONS)} question(s), skipped {len(CORPUS_SKIPPED)}" \
        in result.stderr
    module = write_module(tmp_path, output.read_text(encoding="utf-8"))
    checked = runner.invoke(args=["courses", "check", str(module)])
    assert checked.exit_code == 0 and "No problems found." in checked.output, checked.output
    loaded, _ = load_module_file(module)
    assert loaded is not None and "{{ 7*7 }}" in loaded.questions[2].explanation_html

    output.unlink()
    strict = runner.invoke(args=["courses", "import-gift", str(CORPUS), "-o", str(output),
                                 "--strict"])
    assert strict.exit_code != 0
    assert "--strict: 12 question(s) could not be imported; nothing was written." \
        in strict.output
    assert not output.exists()


def test_import_gift_command_prints_only_blocks_on_stdout(app, tmp_path: Path) -> None:
    bank = tmp_path / "bank.gift"
    bank.write_text("::T::Fine? {T}\n\nMatch. {=a -> b =c -> d}\n", encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["courses", "import-gift", str(bank)])
    assert result.exit_code == 0, result.output
    assert result.stdout == convert_gift(bank.read_text(), "bank.gift").markdown
    assert f"{bank}:3: skipped matching question" in result.stderr
    assert check_path(write_module(tmp_path, result.stdout)) == []


def test_import_gift_command_fails_when_nothing_converts(app, tmp_path: Path) -> None:
    bank = tmp_path / "bank.gift"
    bank.write_text("How many? {#3}\n", encoding="utf-8")
    output = tmp_path / "out.md"
    result = app.test_cli_runner().invoke(
        args=["courses", "import-gift", str(bank), "-o", str(output)])
    assert result.exit_code != 0
    assert f"{bank}:1: numerical:" in result.output and not output.exists()
