"""grade_attempt and draw_questions are pure functions (HOUSE_STYLE.md)."""

from __future__ import annotations

import random

from portal.services.training import draw_questions, grade_attempt


def question(qid: str, right: list[str], wrong: list[str]) -> dict:
    answers = [{"key": k, "correct": True} for k in right]
    answers += [{"key": k, "correct": False} for k in wrong]
    return {"id": qid, "answers": answers, "multiple": len(right) > 1}


QUESTIONS = {"q1": question("q1", ["a"], ["b", "c"]),
             "q2": question("q2", ["a", "b"], ["c"]),
             "q3": question("q3", ["t"], ["f"])}
DRAWN = [{"question": q, "answers": []} for q in QUESTIONS]


def test_all_right_passes_with_100() -> None:
    grade = grade_attempt(QUESTIONS, DRAWN, {"q1": ["a"], "q2": ["b", "a"], "q3": ["t"]}, 80)
    assert (grade.correct_count, grade.total, grade.score, grade.passed) == (3, 3, 100, True)


def test_select_all_that_apply_needs_exactly_the_right_answers() -> None:
    for chosen in (["a"], ["a", "b", "c"], ["c"]):
        grade = grade_attempt(QUESTIONS, DRAWN, {"q1": ["a"], "q2": chosen, "q3": ["t"]}, 80)
        assert grade.correct_count == 2 and not grade.results[1].correct


def test_pass_mark_is_inclusive() -> None:
    grade = grade_attempt(QUESTIONS, DRAWN, {"q1": ["a"], "q2": ["a", "b"], "q3": ["f"]}, 67)
    assert grade.score == 67 and grade.passed
    assert not grade_attempt(QUESTIONS, DRAWN, {"q1": ["a"], "q2": ["a", "b"], "q3": ["f"]},
                             68).passed


def test_unanswered_questions_count_as_wrong() -> None:
    assert grade_attempt(QUESTIONS, DRAWN, {}, 0).correct_count == 0


def test_draw_takes_the_requested_number_without_repeats_and_shuffles_answers() -> None:
    pool = [question(f"q{i}", ["a"], ["b", "c", "d"]) for i in range(10)]
    drawn = draw_questions(pool, 5, True, random.Random(4))
    assert len(drawn) == 5 and len({d["question"] for d in drawn}) == 5
    assert all(sorted(d["answers"]) == ["a", "b", "c", "d"] for d in drawn)
    orders = {tuple(d["answers"]) for d in draw_questions(pool, 10, True, random.Random(1))}
    assert len(orders) > 1


def test_draw_keeps_answer_order_when_not_shuffling() -> None:
    pool = [question("q", ["a"], ["b", "c"])]
    assert draw_questions(pool, None, False, random.Random(1))[0]["answers"] == ["a", "b", "c"]
