"""The action plan: recommendations become actions with a due date, a status and an owner role.

Completing an action tied to a policy framework element records that element as in place through
services/policy.py, the one place element records change (with its history, its audit event and
a fresh request for a coordinator to verify it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import case, select
from sqlalchemy.orm import Session

from portal import clock
from portal.models import (
    ActionStatus,
    ElementStatus,
    Organisation,
    OwnerRole,
    PlanAction,
    SelfAssessment,
    User,
)
from portal.services import policy
from portal.services.audit import record_event
from portal.services.self_assessment import Question, recommendations

WHATS_NEXT_LIMIT = 3


def uk_date(now: datetime) -> date:
    return now.astimezone(clock.LONDON).date()


def open_question_keys(session: Session, organisation: Organisation) -> set[str]:
    return set(session.scalars(select(PlanAction.question_key).where(
        PlanAction.organisation_id == organisation.id, PlanAction.status != ActionStatus.DONE,
        PlanAction.question_key.is_not(None))))


def add_recommendations(session: Session, organisation: Organisation,
                        assessment: SelfAssessment, question_keys: list[str], *, due_on: date,
                        actor: User, now: datetime) -> int:
    """An action for each chosen recommendation not already open in the plan; how many."""
    already = open_question_keys(session, organisation)
    chosen = [r.question for r in recommendations(assessment)
              if r.question.key in question_keys and r.question.key not in already]
    for question in chosen:
        session.add(_action(organisation, question, due_on=due_on, actor=actor, now=now))
    if chosen:
        record_event(session, "action_plan.actions_added", actor=actor,
                     organisation=organisation, details={"count": len(chosen)})
    return len(chosen)


def _action(organisation: Organisation, question: Question, *, due_on: date, actor: User,
            now: datetime) -> PlanAction:
    return PlanAction(organisation_id=organisation.id, question_key=question.key,
                      element_key=question.element, title=question.recommendation,
                      owner_role=question.owner, due_on=due_on,
                      status=ActionStatus.NOT_STARTED, created_at=now, updated_at=now,
                      updated_by_id=actor.id)


def actions_for(session: Session, organisation: Organisation) -> list[PlanAction]:
    """Open actions first, soonest due first; then the done ones."""
    done_last = case((PlanAction.status == ActionStatus.DONE, 1), else_=0)
    return list(session.scalars(
        select(PlanAction).where(PlanAction.organisation_id == organisation.id)
        .order_by(done_last, PlanAction.due_on, PlanAction.id)))


def whats_next(session: Session, organisation: Organisation) -> list[PlanAction]:
    """The few open actions due soonest, for the organisation page."""
    return list(session.scalars(
        select(PlanAction).where(PlanAction.organisation_id == organisation.id,
                                 PlanAction.status != ActionStatus.DONE)
        .order_by(PlanAction.due_on, PlanAction.id).limit(WHATS_NEXT_LIMIT)))


def action_in(session: Session, organisation: Organisation, action_id: int) -> PlanAction | None:
    action = session.get(PlanAction, action_id)
    return action if action is not None and action.organisation_id == organisation.id else None


@dataclass(frozen=True)
class ActionChanges:
    status: ActionStatus
    owner_role: OwnerRole
    due_on: date


def update_action(session: Session, organisation: Organisation, action: PlanAction,
                  changes: ActionChanges, *, actor: User, now: datetime) -> bool:
    """Apply an HR lead's changes; completing an element's action records the element as in
    place. Whether anything changed."""
    if (action.status, action.owner_role, action.due_on) == (
            changes.status, changes.owner_role, changes.due_on):
        return False
    completing = changes.status == ActionStatus.DONE and action.status != ActionStatus.DONE
    action.status, action.owner_role, action.due_on = (changes.status, changes.owner_role,
                                                       changes.due_on)
    action.completed_on = uk_date(now) if changes.status == ActionStatus.DONE else None
    action.updated_at = now
    action.updated_by_id = actor.id
    if completing and action.element_key is not None:
        _complete_element(session, organisation, action, actor=actor, now=now)
    record_event(session, "action_plan.action_changed", actor=actor, organisation=organisation,
                 target=action, details={"status": changes.status.value})
    return True


def _complete_element(session: Session, organisation: Organisation, action: PlanAction, *,
                      actor: User, now: datetime) -> None:
    """The element is in place from today, unless it already was; the note says where it came
    from, for the coordinator who verifies it."""
    record = policy.record_for(session, organisation, action.element_key or "")
    if record is not None and record.status == ElementStatus.IN_PLACE:
        return
    note = (record.evidence_note if record is not None and record.evidence_note else
            f"Completed in the action plan: {action.title}")[:500]
    policy.save_element(
        session, organisation, action.element_key or "",
        policy.ElementAnswers(status=ElementStatus.IN_PLACE, in_place_on=uk_date(now),
                              review_on=record.review_on if record is not None else None,
                              evidence_note=note),
        version=record.version if record is not None else 0, actor=actor, now=now)
