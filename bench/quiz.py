"""Quiz submissions for the benchmark: every request submits a different attempt.

A submission is `POST /training/attempts/<id>` with the answers and the CSRF token, by the
attempt's owner, and the portal then answers 303 to the result page. Each attempt can be
submitted once, so the harness prepares them beforehand: seeded champions (not the benchmark
learner) each get an attempt in progress on every module of their course, inserted in bulk, and
a signed-in cookie. Half the prepared answers pass, half fail, so both paths are measured.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from urllib.parse import urlencode

from flask import Flask
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from bench.sessions import session_cookie
from portal import seeding as scale
from portal.models import (
    AttemptStatus,
    Course,
    Membership,
    Module,
    Organisation,
    OrgRole,
    QuizAttempt,
    SchemeStatus,
    User,
    utcnow,
)
from portal.services.training import draw_questions


@dataclass(frozen=True)
class Submission:
    attempt_id: int
    path: str
    cookie: str
    body: str


def prepare_submissions(app: Flask, session: Session, count: int,
                        seed: int = 10) -> list[Submission]:
    """Insert `count` attempts in progress (fewer if there are not enough people) and commit."""
    rng = random.Random(seed)
    modules = _champion_modules(session)
    users = _quiz_takers(session, -(-count // max(1, len(modules))))
    planned = [(user, module) for user in users for module in modules][:count]
    if not planned:
        raise RuntimeError("No seeded champions are left to take quizzes; reseed the database.")
    cookies = {user.id: session_cookie(app, user) for user in {u for u, _m in planned}}
    rows, answers = [], []
    for number, (user, module) in enumerate(planned):
        version = module.current_version
        drawn = draw_questions(version.questions, version.questions_per_attempt,
                               version.shuffle_answers, rng)
        rows.append({"user_id": user.id, "module_id": module.id,
                     "module_version_id": version.id, "drawn": drawn,
                     "public_id": uuid.uuid4(), "started_at": utcnow()})
        answers.append(_answers(version.questions, drawn, right=number % 2 == 0))
    first_id = (session.scalar(select(func.max(QuizAttempt.id))) or 0) + 1
    session.execute(insert(QuizAttempt), rows)
    session.commit()
    stored = dict(session.execute(select(QuizAttempt.public_id, QuizAttempt.id).where(
        QuizAttempt.id >= first_id)).all())
    return [Submission(stored[row["public_id"]], f"/training/attempts/{row['public_id']}",
                       cookies[row["user_id"]][0],
                       urlencode([("csrf_token", cookies[row["user_id"]][1]), *chosen]))
            for row, chosen in zip(rows, answers, strict=True)]


def still_open(session: Session, submissions: list[Submission]) -> list[Submission]:
    """The prepared submissions whose attempt has not been submitted yet."""
    if not submissions:
        return []
    open_ids = set(session.scalars(select(QuizAttempt.id).where(
        QuizAttempt.id >= min(s.attempt_id for s in submissions),
        QuizAttempt.status == AttemptStatus.IN_PROGRESS)))
    return [s for s in submissions if s.attempt_id in open_ids]


def _champion_modules(session: Session) -> list[Module]:
    return list(session.scalars(
        select(Module).join(Course, Course.id == Module.course_id)
        .where(Course.audience.in_(["champion", "all"]), Course.retired_at.is_(None),
               Module.retired_at.is_(None), Module.current_version_id.is_not(None))
        .order_by(Course.id, Module.position)))


def _quiz_takers(session: Session, count: int) -> list[User]:
    """Current seeded champions of approved organisations with no quiz open, never the learner."""
    busy = select(QuizAttempt.id).where(QuizAttempt.user_id == User.id,
                                        QuizAttempt.status == AttemptStatus.IN_PROGRESS)
    return list(session.scalars(
        select(User).join(Membership, Membership.user_id == User.id)
        .join(Organisation, Organisation.id == Membership.organisation_id)
        .where(Membership.role == OrgRole.CHAMPION, Membership.withdrawn_at.is_(None),
               Organisation.scheme_status == SchemeStatus.APPROVED,
               User.email.like(f"person%@{scale.SCALE_DOMAIN}"), ~busy.exists())
        .order_by(User.id).limit(count)))


def _answers(questions: list[dict], drawn: list[dict], *, right: bool) -> list[tuple[str, str]]:
    """Form fields question-1, question-2... as the quiz page names them."""
    by_id = {q["id"]: q for q in questions}
    fields = []
    for number, item in enumerate(drawn, 1):
        answers = by_id[item["question"]]["answers"]
        keys = [a["key"] for a in answers if a["correct"] == right] or [answers[0]["key"]]
        if not by_id[item["question"]]["multiple"]:
            keys = keys[:1]
        fields += [(f"question-{number}", key) for key in keys]
    return fields

