"""The staff awareness pulse: open one, count its answers, publish its results.

Answers are only ever added to running totals (one per question and answer, plus the number of
people who answered): no response row, no time, no address. Results are shown only once at least
MINIMUM_RESPONDENTS people have answered the pulse, as percentages rounded to ROUND_TO, so no
answer can be told apart from the others.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from portal.models import (
    AwarenessPulse,
    AwarenessPulseCount,
    ElementStatus,
    Organisation,
    Site,
    User,
)
from portal.services import policy
from portal.services.audit import record_event
from portal.services.errors import PortalError
from portal.settings import Settings

MINIMUM_RESPONDENTS = 10
ROUND_TO = 5
LONGEST_PERIOD = timedelta(days=90)


@dataclass(frozen=True)
class Question:
    key: str
    text: str
    answers: tuple[tuple[str, str], ...]  # (key, label), in the order shown
    error: str  # the message when it is not answered


# Fixed for every pulse, so results compare across organisations. Keys are stored: never change
# one, add a new key instead.
QUESTIONS = (
    Question("policy", "Does your organisation have a policy on domestic abuse?",
             (("yes", "Yes"), ("no", "No"), ("not_sure", "I do not know")),
             "Select whether your organisation has a policy on domestic abuse"),
    Question("champions", "Do you know who the Workplace Champions are where you work, and "
             "how to reach them?",
             (("both", "Yes, I know who they are and how to reach them"),
              ("who_only", "I know who they are, but not how to reach them"),
              ("no", "No")),
             "Select whether you know who the champions are and how to reach them"),
    Question("support", "Do you know where to find specialist support, for yourself or for a "
             "colleague?", (("yes", "Yes"), ("no", "No"), ("not_sure", "I am not sure")),
             "Select whether you know where to find specialist support"),
)
# The answer that means "knows": the one awareness figure per question coordinators compare.
AWARE_ANSWERS = {"policy": "yes", "champions": "both", "support": "yes"}


class PulsePeriodError(PortalError):
    """The closing date is not in the allowed window; the message says why."""


class IncompleteAnswersError(PortalError):
    """Not every question has one of its own answers."""


def new_token() -> str:
    return secrets.token_urlsafe(32)


def check_closing_date(closes_on: date, today: date) -> None:
    if closes_on < today:
        raise PulsePeriodError("The closing date must be today or in the future")
    if closes_on > today + LONGEST_PERIOD:
        raise PulsePeriodError(f"The closing date must be within {LONGEST_PERIOD.days} days "
                               "of today")


def open_pulse(session: Session, organisation: Organisation, site: Site | None, *,
               closes_on: date, actor: User, today: date) -> AwarenessPulse:
    """A pulse open from today, with a zero total for every answer (so answering only adds)."""
    check_closing_date(closes_on, today)
    if site is not None and site.organisation_id != organisation.id:
        raise ValueError("the site belongs to another organisation")
    pulse = AwarenessPulse(organisation=organisation, site=site, token=new_token(),
                           opens_on=today, closes_on=closes_on, closed_early=False,
                           respondents=0,
                           created_by_id=actor.id)
    pulse.counts = [AwarenessPulseCount(question_key=question.key, answer_key=answer, total=0)
                    for question in QUESTIONS for answer, _label in question.answers]
    session.add(pulse)
    session.flush()
    record_event(session, "pulse.opened", actor=actor, organisation=organisation, target=pulse)
    return pulse


def close_pulse(session: Session, pulse: AwarenessPulse, *, actor: User, today: date) -> None:
    """Stop taking answers now; the period shown ends today."""
    pulse.closed_early = True
    pulse.closes_on = min(pulse.closes_on, today)
    record_event(session, "pulse.closed", actor=actor, organisation=pulse.organisation,
                 target=pulse)


def public_link(settings: Settings, pulse: AwarenessPulse) -> str:
    """The link HR leads share: BASE_URL, never the Host header of a request."""
    return settings.link("pulse.answer", token=pulse.token)


def pulse_by_token(session: Session, token: str) -> AwarenessPulse | None:
    if not token.isascii() or len(token) > 64:
        return None
    return session.scalar(sa.select(AwarenessPulse).where(AwarenessPulse.token == token))


def check_answers(answers: dict[str, str]) -> None:
    for question in QUESTIONS:
        if answers.get(question.key) not in {key for key, _label in question.answers}:
            raise IncompleteAnswersError(question.key)


def record_answers(session: Session, pulse: AwarenessPulse, answers: dict[str, str]) -> None:
    """Add one person's answers to the totals, in the database (so answers at the same moment
    are all counted). Nothing else about the answer is written anywhere."""
    check_answers(answers)
    for question in QUESTIONS:
        session.execute(
            sa.update(AwarenessPulseCount)
            .where(AwarenessPulseCount.pulse_id == pulse.id,
                   AwarenessPulseCount.question_key == question.key,
                   AwarenessPulseCount.answer_key == answers[question.key])
            .values(total=AwarenessPulseCount.total + 1))
    session.execute(sa.update(AwarenessPulse).where(AwarenessPulse.id == pulse.id)
                    .values(respondents=AwarenessPulse.respondents + 1))


def rounded_percentage(part: int, whole: int) -> int:
    """part / whole as a percentage, to the nearest ROUND_TO (halves up)."""
    return int(100 * part / (whole * ROUND_TO) + 0.5) * ROUND_TO


@dataclass(frozen=True)
class AnswerShare:
    label: str
    percentage: int


@dataclass(frozen=True)
class QuestionResult:
    question: Question
    shares: tuple[AnswerShare, ...]


def results(pulse: AwarenessPulse) -> tuple[QuestionResult, ...] | None:
    """Each question's answers as rounded percentages, or None below the minimum."""
    if pulse.respondents < MINIMUM_RESPONDENTS:
        return None
    totals = {(c.question_key, c.answer_key): c.total for c in pulse.counts}
    return tuple(
        QuestionResult(question, tuple(
            AnswerShare(label, rounded_percentage(totals.get((question.key, key), 0),
                                                  pulse.respondents))
            for key, label in question.answers))
        for question in QUESTIONS)


EVIDENCE_ELEMENT = "staff_informed"  # the policy element a pulse's results are evidence for


def evidence_note(pulse: AwarenessPulse) -> str | None:
    """The results as one evidence sentence (percentages only), or None below the minimum."""
    shares = results(pulse)
    if shares is None:
        return None
    aware = {r.question.key: next(s.percentage for s, (key, _label) in
                                  zip(r.shares, r.question.answers, strict=True)
                                  if key == AWARE_ANSWERS[r.question.key])
             for r in shares}
    group = pulse.site.name if pulse.site else "all staff"
    return (f"Staff awareness pulse ({group}, {pulse.opens_on:%d/%m/%Y} to "
            f"{pulse.closes_on:%d/%m/%Y}, at least {MINIMUM_RESPONDENTS} answers): "
            f"{aware['policy']}% knew of the policy, {aware['champions']}% knew who the "
            f"champions are and how to reach them, {aware['support']}% knew where to find "
            "specialist support.")


def attach_as_evidence(session: Session, pulse: AwarenessPulse, *, actor: User,
                       now: datetime) -> bool:
    """Add the results to the "staff told about the policy" element's evidence note, through
    the policy service like any other change to it. False below the minimum."""
    note = evidence_note(pulse)
    if note is None:
        return False
    record = policy.record_for(session, pulse.organisation, EVIDENCE_ELEMENT)
    earlier = record.evidence_note if record is not None and record.evidence_note else ""
    if note in earlier:
        return True
    combined = f"{earlier}\n{note}".strip() if len(earlier) + len(note) < 500 else note
    status = record.status if record is not None and record.status != ElementStatus.NOT_STARTED \
        else ElementStatus.IN_PROGRESS
    policy.save_element(
        session, pulse.organisation, EVIDENCE_ELEMENT,
        policy.ElementAnswers(status=status,
                              in_place_on=record.in_place_on if record is not None else None,
                              review_on=record.review_on if record is not None else None,
                              evidence_note=combined),
        version=record.version if record is not None else 0, actor=actor, now=now)
    return True


def pulses_for(session: Session, organisation: Organisation) -> list[AwarenessPulse]:
    """The organisation's pulses, newest first, with their sites loaded."""
    return list(session.scalars(
        sa.select(AwarenessPulse).where(AwarenessPulse.organisation_id == organisation.id)
        .options(selectinload(AwarenessPulse.site))
        .order_by(AwarenessPulse.opens_on.desc(), AwarenessPulse.id.desc())))


def pulse_in(session: Session, organisation: Organisation, pulse_id: int
             ) -> AwarenessPulse | None:
    pulse = session.get(AwarenessPulse, pulse_id)
    return pulse if pulse is not None and pulse.organisation_id == organisation.id else None
