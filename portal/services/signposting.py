"""The signposting card: one printable page that tells staff where to turn.

It combines how to reach the organisation's champions at work, what its policy offers staff, and
the key support services for the boroughs where it has sites.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portal.models import (
    Borough,
    ElementStatus,
    Organisation,
    PolicyElementRecord,
    Site,
    SupportService,
    SupportServiceBorough,
    SupportServiceCategory,
)
from portal.services.policy_framework import WRITTEN_POLICY, policy_framework
from portal.services.support import check_text

# The national services every card lists first, in this order: the 24-hour helpline, then
# the helplines for men, for LGBT+ people, and for anyone worried about their own behaviour.
NATIONAL_SERVICE_KEYS = (
    "national-domestic-abuse-helpline",
    "mens-advice-line",
    "national-lgbt-domestic-abuse-helpline",
    "respect-phoneline",
)
LOCAL_SERVICE_LIMIT = 5  # what still fits on one printed page with the rest of the card
LOCAL_CATEGORY = "domestic-abuse"
CONTACT_MAX_LENGTH = 200
# A mobile number (07…, +44 7…, 00 44 7…) in any spacing: the card must never carry a
# person's own phone. Work switchboards and extensions are fine.
MOBILE_NUMBER = re.compile(r"(?:\+|00)\s*44\s*\(?0?\)?\s*7(?:[\s\-.]*\d){9}|\b07(?:[\s\-.]*\d){9}")


class ContactRouteError(ValueError):
    """The work contact route was refused; the message says why, for the form."""


@dataclass(frozen=True)
class SignpostingCard:
    organisation: Organisation
    champion_contact: str | None
    # What the policy offers staff, one plain sentence per element that is in place. Empty
    # until the written policy itself is in place: a card should not promise half a policy.
    policy_points: list[str]
    policy_review_on: date | None
    borough_names: list[str]
    national_services: list[SupportService]
    local_services: list[SupportService]

    @property
    def has_policy(self) -> bool:
        return bool(self.policy_points)


def clean_contact_route(value: str | None) -> str | None:
    """A shared work route to the champions, such as a team mailbox or an intranet page."""
    try:
        text = check_text(value, label="How staff can reach your champions",
                          max_length=CONTACT_MAX_LENGTH)
    except ValueError as error:
        raise ContactRouteError(str(error)) from error
    if text and MOBILE_NUMBER.search(text):
        raise ContactRouteError(
            "Enter a shared work route, such as a team mailbox or intranet page – not a "
            "mobile number. Never give a champion's own phone number")
    return text


def set_contact_route(organisation: Organisation, value: str | None) -> None:
    organisation.champion_contact = clean_contact_route(value)


def build_card(session: Session, organisation: Organisation) -> SignpostingCard:
    boroughs = _boroughs(session, organisation)
    review_on, points = _policy_points(session, organisation)
    return SignpostingCard(
        organisation=organisation,
        champion_contact=organisation.champion_contact,
        policy_points=points,
        policy_review_on=review_on,
        borough_names=[borough.label for borough in boroughs],
        national_services=_national_services(session),
        local_services=_local_services(session, boroughs),
    )


def _boroughs(session: Session, organisation: Organisation) -> list[Borough]:
    query = (sa.select(Site.borough).distinct()
             .where(Site.organisation_id == organisation.id, Site.borough != Borough.OUTSIDE))
    return sorted(session.scalars(query), key=lambda borough: borough.label)


def _policy_points(session: Session,
                   organisation: Organisation) -> tuple[date | None, list[str]]:
    records = {record.element_key: record for record in session.scalars(
        sa.select(PolicyElementRecord).where(
            PolicyElementRecord.organisation_id == organisation.id,
            PolicyElementRecord.status == ElementStatus.IN_PLACE))}
    if WRITTEN_POLICY not in records:
        return None, []
    framework = policy_framework()
    points = [element.staff_summary for element in framework.elements
              if element.key in records]
    return records[WRITTEN_POLICY].review_on, points


def _national_services(session: Session) -> list[SupportService]:
    services = session.scalars(sa.select(SupportService).where(
        SupportService.key.in_(NATIONAL_SERVICE_KEYS), SupportService.retired_at.is_(None)))
    by_key = {service.key: service for service in services}
    return [by_key[key] for key in NATIONAL_SERVICE_KEYS if key in by_key]


def _local_services(session: Session, boroughs: list[Borough]) -> list[SupportService]:
    """Services for domestic abuse that cover one of the organisation's boroughs by name.

    The most local come first: a borough's own service before one that covers the region.
    """
    if not boroughs:
        return []
    area_keys = [support_area_key(borough) for borough in boroughs]
    covers_area = (sa.select(SupportServiceBorough.service_id)
                   .where(SupportServiceBorough.borough.in_(area_keys)))
    gives_help = (sa.select(SupportServiceCategory.service_id)
                  .where(SupportServiceCategory.category == LOCAL_CATEGORY))
    areas_covered = (sa.select(sa.func.count())
                     .where(SupportServiceBorough.service_id == SupportService.id)
                     .scalar_subquery())
    query = (sa.select(SupportService)
             .where(SupportService.retired_at.is_(None),
                    SupportService.id.in_(covers_area), SupportService.id.in_(gives_help),
                    SupportService.key.not_in(NATIONAL_SERVICE_KEYS))
             .order_by(areas_covered, SupportService.name)
             .limit(LOCAL_SERVICE_LIMIT))
    return list(session.scalars(query))


def support_area_key(borough: Borough) -> str:
    """The directory writes areas with hyphens ("st-helens"); sites use enum values."""
    return borough.value.replace("_", "-")
