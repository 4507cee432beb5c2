"""The course loader: the valid fixture's structure, stable ids, and file:line errors."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from portal.courses import (
    Catalogue,
    CourseError,
    Module,
    check_path,
    load_catalogue,
    load_module_file,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "courses"
VALID = FIXTURES / "valid"
BROKEN = FIXTURES / "broken"
REPOSITORY_COURSES = Path(__file__).resolve().parents[2] / "courses"


def load_valid() -> Catalogue:
    catalogue, errors = load_catalogue(VALID)
    assert errors == []
    return catalogue


def test_valid_course_loads_with_its_settings() -> None:
    (course,) = load_valid().courses
    assert (course.id, course.title, course.audience) == ("sample-course", "Sample course",
                                                          "champion")
    assert (course.required, course.refresher_months) == (True, 24)
    assert course.path == VALID / "sample-course" / "course.md"
    assert 'href="/support"' in course.description_html
    assert [module.id for module in course.modules] == ["first-steps", "next-steps"]


def test_module_front_matter_becomes_typed_settings() -> None:
    module = load_valid().module("first-steps")
    assert isinstance(module, Module)
    assert (module.title, module.version, module.minutes) == ("First steps", 2, 15)
    assert module.summary == "What a champion does."
    assert module.content_note == ("This module mentions controlling behaviour. "
                                   "You can pause at any time.")
    assert module.sources == ("Domestic Abuse Act 2021, section 1",
                              "Home Office: statutory guidance")
    assert (module.quiz.pass_mark, module.quiz.questions_per_attempt) == (80, 2)
    assert (module.quiz.shuffle_answers, module.quiz.max_attempts) == (True, 3)
    assert module.path == VALID / "sample-course" / "01-first-steps.md"
    assert len(module.content_hash) == 64


def test_optional_settings_take_their_defaults() -> None:
    module = load_valid().module("next-steps")
    assert module is not None
    assert (module.minutes, module.summary, module.content_note, module.sources) == (None, "", "",
                                                                                     ())
    assert module.quiz.questions_per_attempt is None
    assert (module.quiz.shuffle_answers, module.quiz.max_attempts) == (False, 0)


def test_lesson_drops_its_title_and_starts_at_h2() -> None:
    module = load_valid().module("first-steps")
    assert module is not None
    assert "<h1" not in module.body_html
    assert "First steps</h" not in module.body_html
    assert '<h2 class="govuk-heading-m">What you will learn</h2>' in module.body_html
    assert '<h3 class="govuk-heading-s">A table</h3>' in module.body_html
    assert '<table class="govuk-table">' in module.body_html
    assert "<quiz>" not in module.body_html and "Listening without judging" not in module.body_html


def test_questions_answers_feedback_and_explanations() -> None:
    module = load_valid().module("first-steps")
    assert module is not None
    single, multiple, true_false = module.questions
    assert single.id.startswith("first-steps:") and len(single.id.split(":")[1]) == 12
    assert single.line == 35
    assert "part of a champion" in single.prompt_html
    assert [answer.correct for answer in single.answers] == [True, False, False]
    assert single.answers[0].text_html == "Listening without judging"
    assert "heart of the role" in single.answers[0].feedback_html
    assert single.answers[2].feedback_html == ""
    assert "signposts to specialists" in single.explanation_html
    assert not single.multiple
    assert multiple.multiple and [a.correct for a in multiple.answers] == [True, False, True]
    assert multiple.explanation_html == ""
    assert [a.text_html for a in true_false.answers] == ["True", "False"]
    assert len({answer.key for question in module.questions for answer in question.answers}) == 8


def test_catalogue_lookups() -> None:
    catalogue = load_valid()
    assert catalogue.course("sample-course") is catalogue.courses[0]
    assert catalogue.module("no-such-module") is None
    assert catalogue.course("no-such-course") is None


def test_ids_and_hash_are_stable_across_reloads() -> None:
    first, second = load_valid(), load_valid()
    assert first == second
    ids = [q.id for q in first.courses[0].modules[0].questions]
    assert ids == [q.id for q in second.courses[0].modules[0].questions]


def test_question_ids_survive_whitespace_and_case_but_the_hash_does_not(tmp_path: Path) -> None:
    source = VALID / "sample-course" / "01-first-steps.md"
    original, _ = load_module_file(source)
    edited = tmp_path / "01-first-steps.md"
    edited.write_text(source.read_text().replace(
        "Which of these is part of a champion's role?",
        "  Which of these is   part of a\nCHAMPION'S role?  "), encoding="utf-8")
    module, errors = load_module_file(edited)
    assert errors == [] and original is not None and module is not None
    assert [q.id for q in module.questions] == [q.id for q in original.questions]
    assert module.content_hash != original.content_hash


def test_content_hash_changes_with_a_typo_fix_but_not_line_endings(tmp_path: Path) -> None:
    source = VALID / "sample-course" / "02-next-steps.md"
    original, _ = load_module_file(source)
    windows = tmp_path / "windows.md"
    windows.write_bytes(source.read_bytes().replace(b"\n", b"\r\n"))
    typo = tmp_path / "typo.md"
    typo.write_text(source.read_text().replace("as it is written", "as it is writen"))
    assert original is not None
    assert load_module_file(windows)[0].content_hash == original.content_hash  # type: ignore[union-attr]
    assert load_module_file(typo)[0].content_hash != original.content_hash  # type: ignore[union-attr]


@pytest.mark.parametrize(("name", "line", "message"), [
    ("missing-correct.md", 16, "question 2 has no answer marked [x]"),
    ("feedback-not-under-answer.md", 15, "feedback must sit directly under an answer"),
    ("bad-yaml.md", 4, "front matter is not valid YAML: mapping values are not allowed here"),
    ("unknown-key.md", 5, 'unknown front-matter key "colour"'),
    ("quiz-never-closed.md", 12, "<quiz> is never closed"),
    ("quiz-attributes.md", 10, "<quiz> takes no attributes"),
    ("duplicate-question.md", 16, "question 2 has the same text as question 1"),
])
def test_each_error_names_its_file_and_line(name: str, line: int, message: str) -> None:
    module, errors = load_module_file(BROKEN / name)
    (error,) = [error for error in errors if error.message.startswith(message)]
    assert (error.path, error.line) == (BROKEN / name, line)
    assert module is None
    assert str(error).endswith(f"{name}:{line}: {error.message}")


def test_all_errors_in_a_file_are_collected() -> None:
    errors = check_path(BROKEN / "bad-settings.md")
    assert [(error.line, error.message.split(" must")[0].split(" (")[0]) for error in errors] == [
        (2, 'id "Broken Module"'),
        (4, "version"),
        (6, "pass_mark"),
        (7, "questions_per_attempt"),
        (8, "shuffle_answers"),
    ]
    assert errors[2].message == "pass_mark must be a whole number from 0 to 100"
    assert errors[3].message == ("questions_per_attempt (9) is more than the 1 question in "
                                 "this module")


def test_unknown_quiz_setting_suggests_the_likely_key() -> None:
    errors = check_path(BROKEN / "unknown-key.md")
    assert [(error.line, error.message) for error in errors] == [
        (5, 'unknown front-matter key "colour"'),
        (8, 'unknown front-matter key "quiz.pass_mrak" (did you mean "pass_mark"?)'),
    ]


def test_required_keys_are_reported() -> None:
    errors = check_path(BROKEN / "missing-required.md")
    assert [(error.line, error.message) for error in errors] == [
        (1, 'the front matter has no "id"'),
        (1, 'the front matter has no "title"'),
        (1, 'the front matter has no "version"'),
        (3, 'the front matter has no "quiz.pass_mark"'),
    ]


def test_too_few_answers_and_missing_answers() -> None:
    errors = check_path(BROKEN / "too-few-answers.md")
    assert [(error.line, error.message.split(":")[0]) for error in errors] == [
        (10, "question 1 has no answers"),
        (14, "question 2 needs at least two answers"),
    ]


def test_duplicate_module_ids_across_courses() -> None:
    root = BROKEN / "duplicate-ids"
    catalogue, errors = load_catalogue(root)
    (error,) = errors
    assert error.path == root / "course-b" / "01-shared.md"
    assert error.line == 3
    assert error.message.startswith('module id "shared-module" is also used in ')
    assert error.message.endswith(str(Path("course-a") / "01-shared.md"))
    assert [course.id for course in catalogue.courses] == ["course-a"]


def test_course_front_matter_errors_and_missing_module_file() -> None:
    folder = BROKEN / "bad-course"
    errors = check_path(folder)
    assert {error.path for error in errors} == {folder / "course.md"}
    assert [(error.line, error.message.split(" but ")[0]) for error in errors] == [
        (4, "audience must be champion, hr_lead or all"),
        (5, "refresher_months must be a whole number of 0 or more (0 means never)"),
        (8, 'course lists module "02-missing"'),
    ]
    assert errors[2].message.endswith(str(Path("bad-course") / "02-missing.md"))
    catalogue, _ = load_catalogue(BROKEN)
    assert "bad-course" not in [course.id for course in catalogue.courses]


def test_check_path_accepts_root_course_folder_and_module_file() -> None:
    assert check_path(VALID) == []
    assert check_path(VALID / "sample-course") == []
    assert check_path(VALID / "sample-course" / "course.md") == []
    assert check_path(VALID / "sample-course" / "01-first-steps.md") == []
    (missing,) = check_path(FIXTURES / "no-such-thing")
    assert missing.line == 0 and "no such file or folder" in missing.message


def test_broken_root_collects_every_error_without_stopping() -> None:
    catalogue, errors = load_catalogue(BROKEN)
    # Each subfolder is a course folder here, so the loose .md files are not read, but
    # both course folders (one missing course.md) are reported.
    assert any(error.message == "this course folder has no course.md" for error in errors)
    assert any(error.path.name == "course.md" and error.line == 4 for error in errors)
    assert catalogue.courses == ()


def test_error_text_is_path_line_message_relative_to_cwd(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(FIXTURES)
    error = CourseError(BROKEN / "bad-yaml.md", 4, "front matter is not valid YAML: x")
    expected = str(Path("broken") / "bad-yaml.md") + ":4: front matter is not valid YAML: x"
    assert str(error) == expected
    assert str(CourseError(Path("/elsewhere/a.md"), 0, "gone")) == "/elsewhere/a.md: gone"


def test_module_errors_in_a_copied_course_point_at_the_copy(tmp_path: Path) -> None:
    course = tmp_path / "sample-course"
    shutil.copytree(VALID / "sample-course", course)
    lesson = course / "02-next-steps.md"
    lesson.write_text(lesson.read_text().replace("- [x] The text", "- [ ] The text"))
    catalogue, errors = load_catalogue(tmp_path)
    assert [(error.path, error.line) for error in errors] == [(lesson, 13)]
    assert catalogue.courses == ()


def test_repository_courses_load_without_errors() -> None:
    """The real curriculum in courses/ must pass the same check CI runs."""
    if not REPOSITORY_COURSES.is_dir():
        pytest.skip("no courses/ folder in this checkout")
    catalogue, errors = load_catalogue(REPOSITORY_COURSES)
    assert [str(error) for error in errors] == []
    assert catalogue.courses


LAYOUT_MISTAKES = [
    # (lines between "Q?" and </quiz>, which of them is wrong (1-based), start of the message)
    ("- [x] a\n> fb\n- [ ] b", 2, "feedback under an answer must be indented"),
    ("- [x] a\n- [ ] b\nExplanation", 3, "leave a blank line between the answers and"),
    ("- [x] a\n  more text\n- [ ] b", 2, "an answer must fit on one line"),
    ("-[x] a\n- [ ] b", 1, 'write each answer as "- [x] text"'),
    ("- [x] a\n- [ ] b\n\nExplanation\n- [ ] c", 5, "answers must come before the explanation"),
    ("- [x] a\n- [ ] ", 2, "this answer has no text"),
    ("- [x] a\n- [ ]  A ", 2, 'question 1 has the answer "A" more than once'),
    ("  > feedback before any answer\n- [x] a\n- [ ] b", 1, "feedback must sit directly under"),
]


@pytest.mark.parametrize(("snippet", "wrong_line", "message"), LAYOUT_MISTAKES)
def test_quiz_layout_mistakes_point_at_their_line(snippet: str, wrong_line: int, message: str,
                                                  tmp_path: Path) -> None:
    path = tmp_path / "01-layout.md"
    path.write_text("---\nid: layout\ntitle: Layout\nversion: 1\nquiz:\n  pass_mark: 50\n---\n"
                    f"<quiz>\nQ?\n{snippet}\n</quiz>\n", encoding="utf-8")
    module, errors = load_module_file(path)
    assert module is None
    assert [(error.line, error.message[:len(message)]) for error in errors] == [
        (9 + wrong_line, message)]


def test_quiz_tags_must_pair_up(tmp_path: Path) -> None:
    path = tmp_path / "01-tags.md"
    path.write_text("---\nid: tags\ntitle: Tags\nversion: 1\nquiz:\n  pass_mark: 50\n---\n"
                    "Text\n</quiz>\n<quiz>\nQ?\n- [x] a\n- [ ] b\n</quiz>\n", encoding="utf-8")
    assert [(e.line, e.message) for e in check_path(path)] == [
        (9, "</quiz> has no <quiz> before it")]


def test_a_key_set_twice_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "01-twice.md"
    path.write_text("---\nid: twice\nid: again\ntitle: T\nversion: 1\nquiz:\n  pass_mark: 5\n"
                    "---\n<quiz>\nQ?\n- [x] a\n- [ ] b\n</quiz>\n", encoding="utf-8")
    assert [(e.line, e.message) for e in check_path(path)] == [
        (3, '"id" is set twice in the front matter')]


def test_renewal_settings_and_the_refresher_path(tmp_path: Path) -> None:
    """Issue 23: a live session, a renewal window and a shorter refresher path, checked."""
    course = tmp_path / "blended"
    shutil.copytree(FIXTURES.parent / "training" / "basics", course)
    text = (course / "course.md").read_text()
    settings = ("live_session: true\nrenewal_window_months: 6\nrenewal_grace_months: 3\n"
                "refresher_modules:\n  - second-module\n")
    (course / "course.md").write_text(text.replace("modules:\n", settings + "modules:\n", 1))
    catalogue, errors = load_catalogue(tmp_path)
    assert errors == []
    (loaded,) = catalogue.courses
    assert (loaded.live_session, loaded.renewal_window_months, loaded.renewal_grace_months,
            loaded.refresher_modules) == (True, 6, 3, ("second-module",))
    (course / "course.md").write_text(text.replace(
        "modules:\n", "refresher_modules:\n  - no-such-module\nmodules:\n", 1))
    (error,) = check_path(course)
    assert error.message == ('refresher_modules names "no-such-module", which is not the id of '
                             "one of this course's modules")
