"""Reading training pages and answering quizzes the way a person who knows the answers would.

The answers come from the course files in courses/ (the same ones `flask courses sync` stored),
matched to each question on the quiz page by its answer keys and wording. Nothing is read from
the run's database: the load generator knows only what the pages tell it.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

from portal.courses import Question, load_catalogue

MODULE_LINK = re.compile(r'href="/training/modules/(\d+)"')
ATTEMPT_PATH = re.compile(r"^/training/attempts/([0-9a-f-]{36})$")
RESULT_PATH = re.compile(r"^/training/attempts/([0-9a-f-]{36})/result$")
PASSED = "You passed"
NOT_PASSED = "You did not pass this time"
COURSE_COMPLETED = "You have completed the course"


class AnswerKey:
    def __init__(self, courses_dir: Path) -> None:
        catalogue, errors = load_catalogue(courses_dir)
        if errors:
            raise ValueError(f"the courses have problems: {errors[:3]}")
        self.by_answers: dict[frozenset[str], list[Question]] = defaultdict(list)
        for course in catalogue.courses:
            for module in course.modules:
                for question in module.questions:
                    self.by_answers[frozenset(a.key for a in question.answers)].append(question)

    def form(self, html: str, *, right: bool) -> dict[str, list[str]]:
        """Form fields answering every question on a quiz page, all right or all wrong."""
        data = {}
        for number, block in enumerate(html.split('<fieldset class="govuk-fieldset"')[1:], 1):
            name = f"question-{number}"
            keys = re.findall(rf'name="{name}" type="(?:radio|checkbox)" value="([^"]+)"', block)
            question = self._question(keys, block)
            correct = [a.key for a in question.answers if a.correct]
            wrong = [a.key for a in question.answers if not a.correct]
            data[name] = correct if right else wrong[:1]
        if not data:
            raise ValueError("no questions on the quiz page")
        return data

    def _question(self, keys: list[str], block: str) -> Question:
        candidates = self.by_answers.get(frozenset(keys), [])
        if len(candidates) > 1:
            candidates = [q for q in candidates if q.prompt_html in block]
        if len(candidates) != 1:
            raise ValueError(f"cannot tell which question has the answers {keys}")
        return candidates[0]


def module_ids(training_page: str) -> list[int]:
    """The modules linked from "Your training", in the order shown, each once."""
    return list(dict.fromkeys(int(found) for found in MODULE_LINK.findall(training_page)))
