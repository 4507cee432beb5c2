"""The employer self-assessment: the question set (versioned data), answers saved as they go,
scores per section, and recommendations that point to the model policy, the framework's
guidance and the training.

An assessment is confidential to its organisation: only its HR leads see its answers (the views
enforce it); coordinators see only counts across organisations (services/monitoring).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import Organisation, OwnerRole, SelfAssessment, User
from portal.services.audit import record_event
from portal.services.errors import PortalError

QUESTION_SET_PATH = Path(__file__).resolve().parent.parent / "data" / "self-assessment.yaml"
# How long a submitted assessment counts as current; after this it is due to be taken again.
CURRENT_FOR = timedelta(days=365)
# The one scale every question uses: (key, label, points). "Does not apply" scores nothing and
# leaves the question out of its section's score.
SCALE = (("yes", "Yes", 2), ("partly", "Partly", 1), ("no", "Not yet", 0))
NOT_APPLICABLE = ("not_applicable", "Does not apply")
POINTS = {key: points for key, _label, points in SCALE}
ANSWER_LABELS = {key: label for key, label, _points in SCALE} | dict([NOT_APPLICABLE])
FULL_MARKS = max(POINTS.values())


@dataclass(frozen=True)
class Question:
    key: str
    text: str
    guidance: str
    recommendation: str
    owner: OwnerRole
    links: tuple[str, ...]
    element: str | None = None
    can_skip: bool = False

    @property
    def choices(self) -> dict[str, str]:
        labels = {key: label for key, label, _points in SCALE}
        return labels | dict([NOT_APPLICABLE]) if self.can_skip else labels


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    questions: tuple[Question, ...]


@dataclass(frozen=True)
class QuestionSet:
    version: int
    sections: tuple[Section, ...]

    @property
    def questions(self) -> tuple[Question, ...]:
        return tuple(q for section in self.sections for q in section.questions)

    def section(self, key: str) -> Section | None:
        return next((s for s in self.sections if s.key == key), None)

    def after(self, section: Section) -> Section | None:
        index = self.sections.index(section)
        return self.sections[index + 1] if index + 1 < len(self.sections) else None


def _question(item: dict) -> Question:
    return Question(key=str(item["key"]), text=str(item["text"]),
                    guidance=str(item["guidance"]).strip(),
                    recommendation=str(item["recommendation"]).strip(),
                    owner=OwnerRole(item["owner"]), links=tuple(item.get("links", ())),
                    element=item.get("element"), can_skip=bool(item.get("can_skip", False)))


@cache
def question_set() -> QuestionSet:
    data = yaml.safe_load(QUESTION_SET_PATH.read_text(encoding="utf-8"))
    return QuestionSet(version=int(data["version"]), sections=tuple(
        Section(key=str(s["key"]), title=str(s["title"]),
                questions=tuple(_question(q) for q in s["questions"]))
        for s in data["sections"]))


class UnansweredError(PortalError):
    """Some questions have no answer yet; `questions` says which."""

    def __init__(self, questions: list[Question]) -> None:
        super().__init__(", ".join(q.key for q in questions))
        self.questions = questions


def draft_for(session: Session, organisation: Organisation) -> SelfAssessment | None:
    """The organisation's assessment in progress, if any (there is at most one)."""
    return session.scalar(select(SelfAssessment).where(
        SelfAssessment.organisation_id == organisation.id,
        SelfAssessment.submitted_at.is_(None)).order_by(SelfAssessment.id).limit(1))


def start(session: Session, organisation: Organisation, *, actor: User,
          now: datetime) -> SelfAssessment:
    """The draft to carry on with: the one in progress, or a new one."""
    draft = draft_for(session, organisation)
    if draft is not None:
        return draft
    draft = SelfAssessment(organisation_id=organisation.id,
                           question_set_version=question_set().version, answers={},
                           started_by_id=actor.id, started_at=now, updated_at=now)
    session.add(draft)
    session.flush()
    record_event(session, "self_assessment.started", actor=actor, organisation=organisation,
                 target=draft)
    return draft


def save_answers(assessment: SelfAssessment, answers: dict[str, str | None], *,
                 now: datetime) -> None:
    """Keep a section's answers (an empty one removes an earlier answer)."""
    questions = {q.key: q for q in question_set().questions}
    merged = dict(assessment.answers)
    for key, answer in answers.items():
        if key not in questions:
            raise ValueError(f"no question {key}")
        if answer is None:
            merged.pop(key, None)
        elif answer in questions[key].choices:
            merged[key] = answer
        else:
            raise ValueError(f"no answer {answer} to {key}")
    assessment.answers = merged  # a new dict, so the JSON column is written
    assessment.updated_at = now


def unanswered(assessment: SelfAssessment) -> list[Question]:
    return [q for q in question_set().questions if q.key not in assessment.answers]


def resume_at(assessment: SelfAssessment) -> Section | None:
    """The first section with a question not yet answered; None when all are answered."""
    return next((s for s in question_set().sections
                 if any(q.key not in assessment.answers for q in s.questions)), None)


def section_scores(answers: dict[str, str]) -> dict[str, int | None]:
    """Each section's points as a percentage of the most it could score, leaving out what does
    not apply; None when nothing in the section applies."""
    scores: dict[str, int | None] = {}
    for section in question_set().sections:
        points = [POINTS[answers[q.key]] for q in section.questions
                  if answers.get(q.key) in POINTS]
        scores[section.key] = round(100 * sum(points) / (FULL_MARKS * len(points))) \
            if points else None
    return scores


def submit(session: Session, organisation: Organisation, assessment: SelfAssessment, *,
           actor: User, now: datetime) -> None:
    missing = unanswered(assessment)
    if missing:
        raise UnansweredError(missing)
    assessment.scores = section_scores(assessment.answers)
    assessment.question_set_version = question_set().version  # the version it was scored on
    assessment.submitted_at = now
    assessment.submitted_by_id = actor.id
    assessment.updated_at = now
    record_event(session, "self_assessment.submitted", actor=actor, organisation=organisation,
                 target=assessment)


@dataclass(frozen=True)
class Recommendation:
    question: Question
    answer: str

    @property
    def answer_label(self) -> str:
        return ANSWER_LABELS[self.answer]


def recommendations(assessment: SelfAssessment) -> list[Recommendation]:
    """What to do next: every question not answered "yes" (and not "does not apply")."""
    return [Recommendation(q, assessment.answers[q.key]) for q in question_set().questions
            if assessment.answers.get(q.key) in ("partly", "no")]


def history(session: Session, organisation: Organisation) -> list[SelfAssessment]:
    """Submitted assessments, newest first."""
    return list(session.scalars(
        select(SelfAssessment).where(SelfAssessment.organisation_id == organisation.id,
                                     SelfAssessment.submitted_at.is_not(None))
        .order_by(SelfAssessment.submitted_at.desc(), SelfAssessment.id.desc())))


def submitted_in(session: Session, organisation: Organisation,
                 assessment_id: int) -> SelfAssessment | None:
    assessment = session.get(SelfAssessment, assessment_id)
    if assessment is None or assessment.organisation_id != organisation.id \
            or assessment.submitted_at is None:
        return None
    return assessment


def is_current(assessment: SelfAssessment | None, now: datetime) -> bool:
    """Submitted within CURRENT_FOR: after that it is due to be taken again."""
    return assessment is not None and assessment.submitted_at is not None \
        and now - assessment.submitted_at < CURRENT_FOR
