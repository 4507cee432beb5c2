"""The public side of membership: the opt-in list of members, and checking one organisation.

Only organisations, never people: name, sector, boroughs and tier.
"""

from __future__ import annotations

from sqlalchemy import false, func, or_, select
from sqlalchemy.orm import Session

from portal.models import Organisation, normalise_name
from portal.services.organisation_search import Page, boroughs_of
from portal.services.organisations import normalise_registered_number

PAGE_SIZE = 25
MAX_MATCHES = 10


def listed_members(session: Session, search: str, page: int,
                   per_page: int = PAGE_SIZE) -> Page:
    """Current members who chose to be listed, by name; three statements a page."""
    query = select(Organisation).where(Organisation.is_member,
                                       Organisation.listed_publicly.is_(True))
    key = normalise_name(search)
    if search.strip():
        query = query.where(Organisation.name_key.contains(key, autoescape=True)
                            if key else false())
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    members = list(session.scalars(query.order_by(func.lower(Organisation.name), Organisation.id)
                                   .offset((page - 1) * per_page).limit(per_page)))
    return Page(members, boroughs_of(session, [m.id for m in members]), total, page, per_page)


def current_members_matching(session: Session, name_or_number: str) -> list[Organisation]:
    """Current members whose name (ignoring case, punctuation and "Ltd") or Companies House or
    charity number is exactly the one given. Lapsed, suspended or refused organisations are
    simply not found, so nothing is said about them."""
    key = normalise_name(name_or_number)
    number = normalise_registered_number(name_or_number)
    matches = [Organisation.name_key == key] if key else []
    if number:
        matches.append(Organisation.registered_number == number)
    if not matches:
        return []
    return list(session.scalars(
        select(Organisation).where(Organisation.is_member,
                                   or_(*matches))
        .order_by(Organisation.name, Organisation.id).limit(MAX_MATCHES)))
