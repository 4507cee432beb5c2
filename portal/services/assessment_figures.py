"""Coordinators' view of self-assessment and staff awareness across the scheme.

Everything here counts organisations, exactly (organisations are not people), or adds up pulse
totals from organisations whose pulse reached the minimum number of answers. No organisation's
own answers, scores or pulse are shown: a self-assessment is confidential to its organisation.
"""

from __future__ import annotations

import enum
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from portal.models import (
    AwarenessPulse,
    AwarenessPulseCount,
    Borough,
    Organisation,
    PlanAction,
    Sector,
    SelfAssessment,
    Site,
)
from portal.services import pulse as pulses
from portal.services.monitoring_filters import SizeBand, size_band_of
from portal.services.self_assessment import CURRENT_FOR, Section, question_set


class Breakdown(enum.StrEnum):
    SECTOR = "sector"
    BOROUGH = "borough"
    SIZE = "size"


# Score bands, as (label, lowest score in the band), highest first.
BANDS = (("75% or more", 75), ("50% to 74%", 50), ("25% to 49%", 25), ("Under 25%", 0))
NOT_APPLICABLE_BAND = "Does not apply"


def band_of(score: int | None) -> str:
    if score is None:
        return NOT_APPLICABLE_BAND
    return next(label for label, lowest in BANDS if score >= lowest)


@dataclass(frozen=True)
class GroupRow:
    label: str
    organisations: int
    bands: dict[str, int]  # band label: organisations


@dataclass(frozen=True)
class SectionDistribution:
    section: Section
    rows: tuple[GroupRow, ...]


@dataclass(frozen=True)
class Awareness:
    question: pulses.Question
    percentage: int  # of people who answered, rounded to pulses.ROUND_TO


@dataclass(frozen=True)
class AssessmentFigures:
    members: int
    with_current_assessment: int
    with_plan: int
    distributions: tuple[SectionDistribution, ...]
    awareness_organisations: int
    awareness: tuple[Awareness, ...]


def _current_scores(session: Session, now: datetime) -> dict[int, dict]:
    """Each member organisation's latest self-assessment, if submitted within the year."""
    newer = aliased(SelfAssessment)
    rows = session.execute(
        select(SelfAssessment.organisation_id, SelfAssessment.scores)
        .join(Organisation, Organisation.id == SelfAssessment.organisation_id)
        .where(Organisation.is_member, SelfAssessment.submitted_at >= now - CURRENT_FOR,
               ~exists().where(newer.organisation_id == SelfAssessment.organisation_id,
                               newer.submitted_at > SelfAssessment.submitted_at)))
    return {org_id: scores or {} for org_id, scores in rows}


def _groups(session: Session, organisation_ids: list[int], by: Breakdown
            ) -> dict[int, list[str]]:
    """The group label(s) of each organisation: one sector and size; a borough for each
    borough it has a site in."""
    if not organisation_ids:
        return {}
    found: dict[int, list[str]] = defaultdict(list)
    if by == Breakdown.BOROUGH:
        rows = session.execute(select(Site.organisation_id, Site.borough).distinct()
                               .where(Site.organisation_id.in_(organisation_ids)))
        for org_id, borough in rows:
            found[org_id].append(Borough(borough).label)
    elif by == Breakdown.SECTOR:
        for org_id, sector in session.execute(select(Organisation.id, Organisation.sector)
                                              .where(Organisation.id.in_(organisation_ids))):
            found[org_id].append(Sector(sector).label)
    else:
        headcount = func.coalesce(func.sum(Site.headcount), 0)
        for org_id, band in session.execute(
                select(Site.organisation_id, size_band_of(headcount))
                .where(Site.organisation_id.in_(organisation_ids))
                .group_by(Site.organisation_id)):
            found[org_id].append(SizeBand(band).label)
    return found


def _distributions(scores: dict[int, dict], groups: dict[int, list[str]]
                   ) -> tuple[SectionDistribution, ...]:
    labels = sorted({label for found in groups.values() for label in found})
    result = []
    for section in question_set().sections:
        rows = []
        for label in labels:
            in_group = [org_id for org_id in scores if label in groups.get(org_id, [])]
            bands = Counter(band_of(scores[org_id].get(section.key)) for org_id in in_group)
            rows.append(GroupRow(label, len(in_group), dict(bands)))
        result.append(SectionDistribution(section, tuple(rows)))
    return tuple(result)


def _awareness(session: Session) -> tuple[int, tuple[Awareness, ...]]:
    """Across member organisations: each one's latest pulse that reached the minimum."""
    later = aliased(AwarenessPulse)
    qualifying = (AwarenessPulse.respondents >= pulses.MINIMUM_RESPONDENTS)
    latest = (select(AwarenessPulse.id, AwarenessPulse.respondents)
              .join(Organisation, Organisation.id == AwarenessPulse.organisation_id)
              .where(Organisation.is_member, qualifying,
                     ~exists().where(later.organisation_id == AwarenessPulse.organisation_id,
                                     later.respondents >= pulses.MINIMUM_RESPONDENTS,
                                     later.id > AwarenessPulse.id))).subquery()
    respondents, organisations = session.execute(
        select(func.coalesce(func.sum(latest.c.respondents), 0), func.count())).one()
    if not organisations:
        return 0, ()
    aware = or_(*(and_(AwarenessPulseCount.question_key == question,
                       AwarenessPulseCount.answer_key == answer)
                  for question, answer in pulses.AWARE_ANSWERS.items()))
    totals = {key: int(total) for key, total in session.execute(
        select(AwarenessPulseCount.question_key, func.sum(AwarenessPulseCount.total))
        .where(AwarenessPulseCount.pulse_id.in_(select(latest.c.id)), aware)
        .group_by(AwarenessPulseCount.question_key))}
    return organisations, tuple(
        Awareness(q, pulses.rounded_percentage(totals.get(q.key, 0), int(respondents)))
        for q in pulses.QUESTIONS)


def figures(session: Session, *, by: Breakdown, now: datetime) -> AssessmentFigures:
    """A fixed number of queries, however many organisations."""
    members = session.scalar(select(func.count()).select_from(Organisation)
                             .where(Organisation.is_member)) or 0
    with_plan = session.scalar(
        select(func.count(func.distinct(PlanAction.organisation_id)))
        .join(Organisation, Organisation.id == PlanAction.organisation_id)
        .where(Organisation.is_member)) or 0
    scores = _current_scores(session, now)
    groups = _groups(session, sorted(scores), by)
    awareness_organisations, awareness = _awareness(session)
    return AssessmentFigures(members=members, with_current_assessment=len(scores),
                             with_plan=with_plan,
                             distributions=_distributions(scores, groups),
                             awareness_organisations=awareness_organisations,
                             awareness=awareness)
