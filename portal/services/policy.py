"""Policy adoption: HR leads record each framework element; coordinators verify or return it.

One PolicyElementRecord per organisation and element holds the current state, created at the
first save. Every change also writes a PolicyElementEvent (the history) and an audit event.
Saves are optimistic: the form carries the record's version, and a save based on an older
version is refused with StaleRecordError rather than silently overwriting someone else's work.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.sql.expression import ColumnElement

from portal.models import (
    ElementStatus,
    Organisation,
    PolicyDocument,
    PolicyElementEvent,
    PolicyElementRecord,
    User,
    Verification,
)
from portal.services.audit import record_event
from portal.services.errors import PortalError
from portal.services.policy_framework import PolicyElement, policy_framework
from portal.services.tiers import refresh_tier
from portal.services.uploads import CheckedUpload, FileStore

QUEUE_PAGE_SIZE = 50


class StaleRecordError(PortalError):
    """Someone saved the element after the form was opened; nothing was changed."""


class NotInPlaceError(PortalError):
    """Only an element recorded as in place can be verified or returned."""


class AlreadyVerifiedError(PortalError):
    """The element is verified already."""


@dataclass(frozen=True)
class ElementAnswers:
    status: ElementStatus
    in_place_on: date | None
    review_on: date | None
    evidence_note: str | None


@dataclass(frozen=True)
class ElementState:
    """A framework element with this organisation's record of it (None until first saved)."""

    element: PolicyElement
    record: PolicyElementRecord | None

    @property
    def status(self) -> ElementStatus:
        return self.record.status if self.record else ElementStatus.NOT_STARTED

    @property
    def verification(self) -> Verification:
        return self.record.verification if self.record else Verification.UNVERIFIED

    @property
    def version(self) -> int:
        return self.record.version if self.record else 0

    @property
    def awaiting_verification(self) -> bool:
        return self.status == ElementStatus.IN_PLACE and \
            self.verification == Verification.UNVERIFIED

    @property
    def has_evidence(self) -> bool:
        return self.record is not None and bool(self.record.evidence_note
                                                or self.record.document_id)


@dataclass(frozen=True)
class SaveResult:
    record: PolicyElementRecord | None  # None: nothing recorded (nothing to record)
    changed: bool
    stored_key: str | None  # a file written for this save: remove it if the commit fails


def element(key: str) -> PolicyElement | None:
    return policy_framework().get(key)


def element_states(session: Session, organisation: Organisation) -> list[ElementState]:
    """Every framework element, in framework order, with the organisation's record (one query)."""
    records = {record.element_key: record for record in session.scalars(
        select(PolicyElementRecord).options(selectinload(PolicyElementRecord.document))
        .where(PolicyElementRecord.organisation_id == organisation.id))}
    return [ElementState(item, records.get(item.key)) for item in policy_framework().elements]


def element_state(session: Session, organisation: Organisation, key: str) -> ElementState | None:
    item = element(key)
    if item is None:
        return None
    return ElementState(item, record_for(session, organisation, key))


def record_for(session: Session, organisation: Organisation,
               key: str) -> PolicyElementRecord | None:
    return session.scalar(select(PolicyElementRecord).where(
        PolicyElementRecord.organisation_id == organisation.id,
        PolicyElementRecord.element_key == key))


def history(session: Session, record: PolicyElementRecord | None) -> list[PolicyElementEvent]:
    """The element's changes, newest first, with who made them."""
    if record is None:
        return []
    return list(session.scalars(
        select(PolicyElementEvent).options(selectinload(PolicyElementEvent.actor))
        .where(PolicyElementEvent.record_id == record.id)
        .order_by(PolicyElementEvent.created_at.desc(), PolicyElementEvent.id.desc())))


def documents_by_id(session: Session, events: list[PolicyElementEvent]
                    ) -> dict[int, PolicyDocument]:
    ids = {event.document_id for event in events if event.document_id}
    if not ids:
        return {}
    return {document.id: document for document in session.scalars(
        select(PolicyDocument).where(PolicyDocument.id.in_(ids)))}


def document_in(session: Session, organisation: Organisation,
                document_id: int) -> PolicyDocument | None:
    """A document, found only through its organisation: another employer's id finds nothing."""
    return session.scalar(select(PolicyDocument).where(
        PolicyDocument.organisation_id == organisation.id, PolicyDocument.id == document_id))


def _evidence_changes(record: PolicyElementRecord, answers: ElementAnswers,
                      new_document: bool) -> bool:
    """Whether what a coordinator verified has changed (the review date alone does not count)."""
    return (new_document or record.status != answers.status
            or record.in_place_on != answers.in_place_on
            or (record.evidence_note or None) != answers.evidence_note)


def save_element(session: Session, organisation: Organisation, key: str,
                 answers: ElementAnswers, *, version: int, actor: User, now: datetime,
                 upload: CheckedUpload | None = None, store: FileStore | None = None
                 ) -> SaveResult:
    """Record an HR lead's answers for one element; the caller commits.

    Raises StaleRecordError if `version` is not the record's current version (0 = no record
    yet), before anything is written. An upload is written to `store` only after that check;
    the result names its storage key so the caller can remove it if the commit fails.
    """
    record = record_for(session, organisation, key)
    if (record.version if record else 0) != version:
        raise StaleRecordError(key)
    if record is None and _is_empty(answers) and upload is None:
        return SaveResult(None, changed=False, stored_key=None)  # "not started" is no news
    if record is None:
        record = PolicyElementRecord(organisation_id=organisation.id, element_key=key,
                                     status=ElementStatus.NOT_STARTED,
                                     verification=Verification.UNVERIFIED)
        session.add(record)
        is_new = True
    else:
        is_new = False
    evidence_changed = _evidence_changes(record, answers, upload is not None)
    if not is_new and not evidence_changed and record.review_on == answers.review_on:
        return SaveResult(record, changed=False, stored_key=None)
    stored_key = None
    if upload is not None:
        if store is None:
            raise ValueError("an upload needs a file store")
        document, stored_key = _store_document(session, organisation, key, upload, store, actor,
                                               now)
        record.document = document
    try:
        _apply_answers(session, record, answers, actor=actor, now=now,
                       reset=evidence_changed and not is_new)
    except BaseException:
        if stored_key is not None and store is not None:
            store.delete(stored_key)
        raise
    return SaveResult(record, changed=True, stored_key=stored_key)


def _is_empty(answers: ElementAnswers) -> bool:
    return answers.status == ElementStatus.NOT_STARTED and answers.review_on is None \
        and not answers.evidence_note


def _store_document(session: Session, organisation: Organisation, key: str,
                    upload: CheckedUpload, store: FileStore, actor: User,
                    now: datetime) -> tuple[PolicyDocument, str]:
    stored_key = store.write(upload.data)
    document = PolicyDocument(organisation_id=organisation.id, element_key=key,
                              storage_key=stored_key, filename=upload.display_name,
                              content_type=upload.kind.content_type, size_bytes=len(upload.data),
                              sha256=hashlib.sha256(upload.data).hexdigest(),
                              uploaded_by_id=actor.id, uploaded_at=now)
    session.add(document)
    return document, stored_key


def _apply_answers(session: Session, record: PolicyElementRecord, answers: ElementAnswers, *,
                   actor: User, now: datetime, reset: bool) -> None:
    record.status = answers.status
    record.in_place_on = answers.in_place_on if answers.status == ElementStatus.IN_PLACE \
        else None
    record.review_on = answers.review_on
    record.evidence_note = answers.evidence_note
    if reset:
        record.verification = Verification.UNVERIFIED
        record.verified_by_id = record.verified_at = None
    record.updated_by_id, record.updated_at = actor.id, now
    session.flush()
    _add_event(session, record, "updated", actor=actor, now=now)
    organisation = session.get_one(Organisation, record.organisation_id)
    record_event(session, "policy.element_saved", actor=actor, organisation=organisation,
                 target=record, details={"element": record.element_key,
                                         "status": record.status.value,
                                         "document": record.document_id is not None})
    refresh_tier(session, organisation, now)


def _add_event(session: Session, record: PolicyElementRecord, action: str, *, actor: User,
               now: datetime, comment: str | None = None) -> PolicyElementEvent:
    event = PolicyElementEvent(
        record_id=record.id, action=action, status=record.status,
        verification=record.verification, in_place_on=record.in_place_on,
        review_on=record.review_on, evidence_note=record.evidence_note,
        document_id=record.document_id, comment=comment, actor_id=actor.id, created_at=now)
    session.add(event)
    return event


def _check_reviewable(record: PolicyElementRecord, version: int) -> None:
    if record.version != version:
        raise StaleRecordError(record.element_key)
    if record.status != ElementStatus.IN_PLACE:
        raise NotInPlaceError(record.element_key)


def verify_element(session: Session, record: PolicyElementRecord, *, version: int,
                   actor: User, now: datetime) -> None:
    """A coordinator confirms the evidence; the caller commits."""
    _check_reviewable(record, version)
    if record.verification == Verification.VERIFIED:
        raise AlreadyVerifiedError(record.element_key)
    _review(session, record, Verification.VERIFIED, None, actor=actor, now=now)


def verify_selected(session: Session, selected: dict[int, int], *, actor: User,
                    now: datetime) -> int:
    """Verify every selected element (record id → version the coordinator saw), all or none:
    if any has changed or left the queue since, StaleRecordError and nothing is verified (the
    caller rolls back). The caller commits."""
    records = list(session.scalars(
        select(PolicyElementRecord)
        .join(Organisation, Organisation.id == PolicyElementRecord.organisation_id)
        .where(PolicyElementRecord.id.in_(list(selected)), awaiting_verification_condition())
        .order_by(PolicyElementRecord.id)))
    if len(records) != len(selected):
        raise StaleRecordError("selection")
    for record in records:
        verify_element(session, record, version=selected[record.id], actor=actor, now=now)
    return len(records)


def return_element(session: Session, record: PolicyElementRecord, *, version: int,
                   comment: str, actor: User, now: datetime) -> None:
    """A coordinator sends the element back to the HR leads with a comment; the caller commits."""
    _check_reviewable(record, version)
    _review(session, record, Verification.RETURNED, comment, actor=actor, now=now)


def _review(session: Session, record: PolicyElementRecord, verification: Verification,
            comment: str | None, *, actor: User, now: datetime) -> None:
    record.verification = verification
    record.verification_comment = comment
    record.verified_by_id, record.verified_at = actor.id, now
    session.flush()
    action = "verified" if verification == Verification.VERIFIED else "returned"
    _add_event(session, record, action, actor=actor, now=now, comment=comment)
    organisation = session.get_one(Organisation, record.organisation_id)
    record_event(session, f"policy.element_{action}", actor=actor, organisation=organisation,
                 target=record, details={"element": record.element_key})
    refresh_tier(session, organisation, now)


@dataclass(frozen=True)
class QueuedElement:
    record: PolicyElementRecord
    organisation_name: str
    element: PolicyElement | None


def awaiting_verification_condition() -> ColumnElement[bool]:
    """In place and not yet verified (the organisation must be a member too: join it)."""
    return and_(PolicyElementRecord.status == ElementStatus.IN_PLACE,
                PolicyElementRecord.verification == Verification.UNVERIFIED,
                Organisation.is_member)


def review_overdue_condition(today: date) -> ColumnElement[bool]:
    """In place, of a member organisation, with its review date passed (join the organisation)."""
    return and_(PolicyElementRecord.status == ElementStatus.IN_PLACE,
                PolicyElementRecord.review_on < today, Organisation.is_member)


def _queue_page(session: Session, condition: ColumnElement[bool], order: tuple, *, page: int,
                per_page: int) -> tuple[list[QueuedElement], int]:
    query = (select(PolicyElementRecord, Organisation.name)
             .join(Organisation, Organisation.id == PolicyElementRecord.organisation_id)
             .where(condition))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.execute(query.order_by(*order, PolicyElementRecord.id)
                           .offset((page - 1) * per_page).limit(per_page))
    return [QueuedElement(record, name, element(record.element_key)) for record, name in rows], \
        total


def awaiting_verification(session: Session, *, page: int, per_page: int = QUEUE_PAGE_SIZE
                          ) -> tuple[list[QueuedElement], int]:
    """Elements in place and not yet verified, of approved organisations, oldest change first."""
    return _queue_page(session, awaiting_verification_condition(),
                       (PolicyElementRecord.updated_at,), page=page, per_page=per_page)


def reviews_overdue(session: Session, today: date, *, page: int,
                    per_page: int = QUEUE_PAGE_SIZE) -> tuple[list[QueuedElement], int]:
    """Elements in place whose review date has passed, most overdue first."""
    return _queue_page(session, review_overdue_condition(today),
                       (PolicyElementRecord.review_on,), page=page, per_page=per_page)


@dataclass(frozen=True)
class PolicySummary:
    states: list[ElementState]

    @property
    def in_place(self) -> int:
        return sum(state.status == ElementStatus.IN_PLACE for state in self.states)

    @property
    def verified(self) -> int:
        return sum(state.status == ElementStatus.IN_PLACE
                   and state.verification == Verification.VERIFIED for state in self.states)

    @property
    def awaiting(self) -> int:
        return sum(state.awaiting_verification for state in self.states)

    @property
    def total(self) -> int:
        return len(self.states)


def policy_summary(session: Session, organisation: Organisation) -> PolicySummary:
    return PolicySummary(element_states(session, organisation))
