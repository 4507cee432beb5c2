"""Coordinators finding a person and seeing their record (for subject access and erasure)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from portal.models import Certificate, Membership, ModuleCompletion, User

SEARCH_LIMIT = 50
SEARCH_MIN_LENGTH = 3


def find_people(session: Session, text: str) -> list[User]:
    """People whose e-mail address or name contains the text (at most SEARCH_LIMIT)."""
    text = text.strip().lower()
    if len(text) < SEARCH_MIN_LENGTH:
        return []
    return list(session.scalars(
        select(User).where(or_(User.email.contains(text, autoescape=True),
                               func.lower(User.full_name).contains(text, autoescape=True)))
        .order_by(User.full_name, User.id).limit(SEARCH_LIMIT)))


@dataclass(frozen=True)
class PersonRecord:
    person: User
    memberships: list[Membership]
    completions: int
    certificates: int


def person_record(session: Session, user_id: int) -> PersonRecord | None:
    """A person's account, roles and how much training they have done (no scores)."""
    person = session.get(User, user_id)
    if person is None:
        return None
    memberships = list(session.scalars(
        select(Membership).options(selectinload(Membership.organisation),
                                   selectinload(Membership.site))
        .where(Membership.user_id == person.id).order_by(Membership.created_at)))
    completions = session.scalar(select(func.count()).select_from(ModuleCompletion)
                                 .where(ModuleCompletion.user_id == person.id))
    certificates = session.scalar(select(func.count()).select_from(Certificate)
                                  .where(Certificate.user_id == person.id))
    return PersonRecord(person, memberships, completions or 0, certificates or 0)
