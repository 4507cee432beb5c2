"""GIFT import: supported question types convert and load; everything else is refused whole."""

from __future__ import annotations

from pathlib import Path

import pytest

from portal.courses import Module, load_module_file
from portal.gift import GiftError, convert_gift, import_gift

FRONT_MATTER = "---\nid: imported\ntitle: Imported\nversion: 1\nquiz:\n  pass_mark: 80\n---\n\n"

SINGLE_CHOICE = """\
// Questions for the champions' course.
$CATEGORY: $course$/top/Champions

::Role::Which of these is part of a champion's role? {
  =Listening without judging#Listening is the heart of the role.
  ~Investigating what happened#Champions never investigate.
  ~Contacting the partner
  ####A champion listens and signposts to specialists.
}
"""

MULTIPLE_ANSWER = """\
::Signs:: Which of these could be signs of domestic abuse? Select all that apply. {
  ~%50%Frequent lateness#Changes in attendance are common.
  ~%-100%Booking annual leave in August
  ~%50%A partner repeatedly phoning at work
}
"""

TRUE_FALSE = """\
You should contact their partner to hear both sides.{FALSE
#Contacting the partner can put your colleague at risk.
#Right: never contact the partner.}

::TF2::Domestic abuse can be economic.{TRUE}

Champions are counsellors. {F####A champion is not a counsellor.}
"""

ESCAPES = """\
What does \\{\\{ 7\\=7 \\}\\} show\\: text or a number \\# 1 \\~? {
  =The text
  ~A number
}
"""


def load_converted(markdown_text: str, tmp_path: Path) -> Module:
    path = tmp_path / "01-imported.md"
    path.write_text(FRONT_MATTER + markdown_text, encoding="utf-8")
    module, errors = load_module_file(path)
    assert errors == [], [str(error) for error in errors]
    assert module is not None
    return module


def test_single_choice_with_feedback_title_comments_and_category(tmp_path: Path) -> None:
    converted = convert_gift(SINGLE_CHOICE, "role.gift")
    assert converted == (
        "<quiz>\n"
        "Which of these is part of a champion's role?\n"
        "- [x] Listening without judging\n"
        "  > Listening is the heart of the role.\n"
        "- [ ] Investigating what happened\n"
        "  > Champions never investigate.\n"
        "- [ ] Contacting the partner\n"
        "\n"
        "A champion listens and signposts to specialists.\n"
        "</quiz>\n"
    )
    (question,) = load_converted(converted, tmp_path).questions
    assert [answer.correct for answer in question.answers] == [True, False, False]
    assert not question.multiple
    assert "signposts" in question.explanation_html
    assert "Role" not in question.prompt_html


def test_multiple_answer_weights_mark_the_positive_answers(tmp_path: Path) -> None:
    converted = convert_gift(MULTIPLE_ANSWER, "signs.gift")
    assert "- [x] Frequent lateness\n  > Changes in attendance are common.\n" in converted
    assert "- [ ] Booking annual leave in August\n" in converted
    (question,) = load_converted(converted, tmp_path).questions
    assert question.multiple
    assert [answer.correct for answer in question.answers] == [True, False, True]


def test_true_false_puts_each_feedback_on_its_branch(tmp_path: Path) -> None:
    converted = convert_gift(TRUE_FALSE, "tf.gift")
    assert (
        "- [ ] True\n  > Contacting the partner can put your colleague at risk.\n"
        "- [x] False\n  > Right: never contact the partner.\n"
    ) in converted
    first, second, third = load_converted(converted, tmp_path).questions
    assert [answer.correct for answer in first.answers] == [False, True]
    assert [answer.correct for answer in second.answers] == [True, False]
    assert [answer.text_html for answer in second.answers] == ["True", "False"]
    assert "not a counsellor" in third.explanation_html


def test_escaped_characters_come_out_literally(tmp_path: Path) -> None:
    converted = convert_gift(ESCAPES, "escapes.gift")
    assert "What does {{ 7=7 }} show: text or a number # 1 ~?\n" in converted
    (question,) = load_converted(converted, tmp_path).questions
    assert "{{ 7=7 }} show: text or a number # 1 ~?" in question.prompt_html


def test_lines_that_would_read_as_quiz_syntax_are_escaped(tmp_path: Path) -> None:
    gift = "- [x] looks like an answer\n> and a quote\n</quiz>\n# and a heading {T}\n"
    module = load_converted(convert_gift(gift, "tricky.gift"), tmp_path)
    (question,) = module.questions
    assert len(question.answers) == 2
    assert "- [x] looks like an answer" in question.prompt_html
    assert "&lt;/quiz&gt;" in question.prompt_html


def test_a_whole_bank_converts_to_one_loadable_module(tmp_path: Path) -> None:
    bank = "\n".join([SINGLE_CHOICE, MULTIPLE_ANSWER, TRUE_FALSE, ESCAPES])
    module = load_converted(convert_gift(bank, "bank.gift"), tmp_path)
    assert len(module.questions) == 6


def test_a_matching_question_refuses_the_whole_file_with_its_line() -> None:
    gift = SINGLE_CHOICE + "\n::Match:: Match the service to its number. {\n" \
        "  =Helpline -> 0808 2000 247\n  =Police -> 999\n}\n"
    with pytest.raises(GiftError) as caught:
        convert_gift(gift, "match.gift")
    assert caught.value.problems == [(11, "matching questions (->) cannot be imported")]
    assert str(caught.value) == "match.gift:11: matching questions (->) cannot be imported"


UNSUPPORTED = """\
Match these. {=a -> b =c -> d}

What is 2 + 2? {#4}

Who runs the helpline? {=Refuge =refuge.org.uk}

Describe your role. {}

The {=champion ~manager} listens first.

This is only a description.
"""


def test_every_unsupported_question_is_reported_and_nothing_returned() -> None:
    with pytest.raises(GiftError) as caught:
        convert_gift(UNSUPPORTED + "\nFine? {T}\n", "bank.gift")
    assert [(line, reason.split(" (")[0].split(":")[0]) for line, reason in
            caught.value.problems] == [
        (1, "matching questions"),
        (3, "numerical questions"),
        (5, "short-answer questions"),
        (7, "essay questions"),
        (9, "missing-word questions"),
        (11, "this has no answers in { }"),
    ]


@pytest.mark.parametrize(("gift", "reason"), [
    ("Q? {=a =b ~c}", "more than one answer is fully right"),
    ("Q? {=a ~%50%b ~c}", "partial credit"),
    ("Q? {~%-50%a ~b}", "no answer is right"),
    ("Q? {=only ~}", "an answer has no text"),
    ("Q? {=same ~Same}", "the same answer is given twice"),
    ("Q? {~%100%only}", "a question needs at least two answers"),
    ("Q? {=a ~b", "the { and } around the answers do not pair up"),
    ("::Unclosed title Q? {T}", "the question title ::...:: is never closed"),
    ("{=a ~b}", "this question has no text"),
    ("Q? {T}\n\nq?  {F}", "this question has the same text as the one on line 1"),
])
def test_questions_a_quiz_block_cannot_hold_are_refused(gift: str, reason: str) -> None:
    with pytest.raises(GiftError) as caught:
        convert_gift(gift, "x.gift")
    assert caught.value.problems[0][1].startswith(reason)


def test_an_empty_file_is_refused() -> None:
    with pytest.raises(GiftError, match="no questions"):
        convert_gift("// only a comment\n", "empty.gift")


def test_import_gift_reads_a_file(tmp_path: Path) -> None:
    path = tmp_path / "bank.gift"
    path.write_bytes(b"\xef\xbb\xbf" + SINGLE_CHOICE.replace("\n", "\r\n").encode("utf-8"))
    assert import_gift(path) == convert_gift(SINGLE_CHOICE, "bank.gift")
    path.write_bytes(b"Caf\xe9? {T}")
    with pytest.raises(GiftError, match="not UTF-8"):
        import_gift(path)


def test_import_gift_command_writes_blocks_or_nothing(app, tmp_path: Path) -> None:
    """The CLI: a good bank is written to -o; a bank with a matching question writes nothing."""
    good, bad = tmp_path / "good.gift", tmp_path / "bad.gift"
    good.write_text(SINGLE_CHOICE + "\n" + TRUE_FALSE, encoding="utf-8")
    bad.write_text(SINGLE_CHOICE + "\nMatch these. {\n=a -> 1\n=b -> 2\n}\n", encoding="utf-8")
    output = tmp_path / "out.md"
    runner = app.test_cli_runner()
    result = runner.invoke(args=["courses", "import-gift", str(good), "-o", str(output)])
    assert result.exit_code == 0, result.output
    assert output.read_text(encoding="utf-8").count("<quiz>") == 4
    output.unlink()
    result = runner.invoke(args=["courses", "import-gift", str(bad), "-o", str(output)])
    assert result.exit_code != 0
    assert "bad.gift:" in result.output and "matching" in result.output
    assert not output.exists()
