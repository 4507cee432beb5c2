"""Reminders: at most one neutral digest e-mail per person per day, each reminder sent once.

The daily job (portal/services/schedule.py) finds what is due with one set-based query per kind,
each leaving out reminders already recorded in the `reminder` table. For each person it then
writes, in one transaction, the reminder rows (INSERT ... ON CONFLICT DO NOTHING RETURNING) and
one outbox row whose dedupe key is per person per day. Two runs, or two workers at once, can
therefore never send a reminder twice: the second insert of a reminder finds the first (waiting
for it to commit on PostgreSQL), and a second digest on the same day is refused by the outbox's
unique dedupe key, which rolls back that person's transaction so the reminders wait for tomorrow.

Nothing goes to deactivated people, to withdrawn members, or about organisations that are not
approved. Subjects and bodies are neutral: no course or module titles (they can name the
subject, and e-mail is a channel an abuser may read).
"""

from __future__ import annotations

import typing
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import String, Table, and_, case, cast, exists, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

from portal.mail import queue_email
from portal.models import (
    ActionStatus,
    Assignment,
    BookingStatus,
    Certificate,
    Course,
    Invitation,
    LiveSession,
    Membership,
    Organisation,
    OrgRole,
    OutboxMessage,
    PlanAction,
    PolicyElementRecord,
    Reminder,
    SelfAssessment,
    SessionBooking,
    User,
    utcnow,
)
from portal.services.assignments import pending
from portal.settings import Settings, settings_of

ASSIGNMENT_DUE = "assignment_due"
ASSIGNMENT_OVERDUE = "assignment_overdue"
CERTIFICATE_EXPIRING = "certificate_expiring"
CHAMPION_CERTIFICATE_EXPIRING = "champion_certificate_expiring"  # to the champion's HR leads
INVITATION_PENDING = "invitation_pending"
POLICY_REVIEW = "policy_review"
RENEWAL_DUE = "renewal_due"
LIVE_SESSION_SOON = "live_session_soon"
ACTION_OVERDUE = "action_overdue"
ACTION_DUE = "action_due"
SELF_ASSESSMENT_DUE = "self_assessment_due"
KIND_ORDER = (LIVE_SESSION_SOON, ASSIGNMENT_OVERDUE, ASSIGNMENT_DUE, CERTIFICATE_EXPIRING,
              CHAMPION_CERTIFICATE_EXPIRING, RENEWAL_DUE, POLICY_REVIEW, ACTION_OVERDUE,
              ACTION_DUE, SELF_ASSESSMENT_DUE, INVITATION_PENDING)

DUE_SOON_DAYS = 7  # an assignment's due date is this close
INVITATION_NUDGE_DAYS = 3  # an invitation has waited this long since it was (last) sent
INVITATION_NUDGE_LIMIT_DAYS = 30  # older invitations are left to the champions page
POLICY_REVIEW_NOTICE_DAYS = 30  # a policy element's review date is this close, or has passed
RENEWAL_NOTICE_DAYS = (60, 30, 7)  # before the renewal date; one reminder at each stage
LIVE_SESSION_NOTICE_DAYS = 2  # a booked live session starts today or within this many days
SELF_ASSESSMENT_YEAR = timedelta(days=365)  # as services/self_assessment.CURRENT_FOR
BATCH = 500


class iso_date(FunctionElement):  # noqa: N801 - an SQL function, named like one
    """A date column as 'YYYY-MM-DD' text on every database, whatever its date style."""

    type = String()
    inherit_cache = True


@compiles(iso_date, "postgresql")
def _iso_date_postgresql(element: iso_date, compiler: SQLCompiler, **kw: Any) -> str:
    return f"to_char({compiler.process(element.clauses, **kw)}, 'YYYY-MM-DD')"


@compiles(iso_date)
def _iso_date_default(element: iso_date, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.clauses, **kw)  # SQLite keeps dates as ISO text


def _text(value: Any) -> ColumnElement[str]:
    return cast(value, String)


@dataclass(frozen=True)
class Due:
    """One reminder that is due: what it is about, for the digest's wording."""

    kind: str
    user_id: int
    reference: str
    on: date
    organisation_id: int
    organisation: str
    detail: str | None = None


def start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _not_sent(kind: str, user_id: Any, reference: Any) -> ColumnElement[bool]:
    return ~exists().where(Reminder.kind == kind, Reminder.user_id == user_id,
                           Reminder.reference == reference)


def _current_member(role: OrgRole | None = None
                    ) -> tuple[type[Membership], ColumnElement[bool]]:
    """A current membership in an approved organisation, to join on."""
    member = aliased(Membership)
    condition = and_(member.is_current, Organisation.id == member.organisation_id,
                     Organisation.is_member)
    if role is not None:
        condition = and_(condition, member.role == role)
    return member, condition


def _assignment_reminders(session: Session, today: date, *, overdue: bool) -> Iterator[Due]:
    kind = ASSIGNMENT_OVERDUE if overdue else ASSIGNMENT_DUE
    member, current = _current_member()
    reference = _text(Assignment.id)
    when = Assignment.due_on < today if overdue else Assignment.due_on.between(
        today, today + timedelta(days=DUE_SOON_DAYS))
    rows = session.execute(
        select(Assignment.user_id, reference, Assignment.due_on, Organisation.id,
               Organisation.name)
        .select_from(Assignment)
        .join(member, and_(member.user_id == Assignment.user_id,
                           member.organisation_id == Assignment.organisation_id))
        .join(Organisation, current)
        .where(pending(), when, _not_sent(kind, Assignment.user_id, reference)))
    for user_id, ref, due_on, org_id, org_name in rows:
        yield Due(kind, user_id, ref, due_on, org_id, org_name)


def _certificate_stage(today: date, stages: tuple[int, ...]) -> ColumnElement[str]:
    """The nearest reminder stage (days before expiry) a certificate's expiry has reached."""
    ordered = sorted(stages)
    return case(*[(Certificate.expires_at < start_of(today + timedelta(days=days + 1)), str(days))
                  for days in ordered[:-1]], else_=str(ordered[-1]))


def _expiring_certificates(session: Session, today: date, stages: tuple[int, ...],
                           recipient: type[Membership] | None = None) -> Iterator[tuple]:
    """The holder's latest certificate of each course expiring within the first stage, with its
    stage (a reference per certificate and stage), for the holder or, given `recipient`, for the
    HR leads of the organisations where the holder is a current champion."""
    member, current = _current_member(OrgRole.CHAMPION if recipient is not None else None)
    newer = aliased(Certificate)
    reference = _text(Certificate.id) + ":" + _certificate_stage(today, stages)
    who = recipient.user_id if recipient is not None else Certificate.user_id
    query = (select(who, reference, Certificate.expires_at, Organisation.id, Organisation.name,
                    User.full_name)
             .select_from(Certificate)
             .join(Course, and_(Course.id == Certificate.course_id, Course.retired_at.is_(None)))
             .join(User, User.id == Certificate.user_id)
             .join(member, member.user_id == Certificate.user_id)
             .join(Organisation, current))
    if recipient is not None:
        query = query.join(recipient, and_(recipient.organisation_id == Organisation.id,
                                           recipient.role == OrgRole.HR_LEAD,
                                           recipient.is_current))
    kind = CHAMPION_CERTIFICATE_EXPIRING if recipient is not None else CERTIFICATE_EXPIRING
    return iter(session.execute(
        query.where(Certificate.expires_at >= start_of(today),
                    Certificate.expires_at < start_of(today + timedelta(days=max(stages) + 1)),
                    Certificate.revoked_at.is_(None),
                    ~exists().where(newer.user_id == Certificate.user_id,
                                    newer.course_id == Certificate.course_id,
                                    newer.revoked_at.is_(None),
                                    newer.issued_at > Certificate.issued_at),
                    _not_sent(kind, who, reference))
        .order_by(Certificate.id, Organisation.id)))


def _certificate_reminders(session: Session, today: date) -> Iterator[Due]:
    """The person's latest certificate of a course reaches a reminder stage before it expires
    (90, 30 and 7 days by default): to them, and a line to each of their HR leads."""
    stages = settings_of(session).certificate_reminder_days
    seen = set()
    for user_id, ref, expires_at, org_id, org_name, _name in _expiring_certificates(
            session, today, stages):
        if ref not in seen:  # once, whichever of the person's organisations it names
            seen.add(ref)
            yield Due(CERTIFICATE_EXPIRING, user_id, ref, expires_at.date(), org_id, org_name)
    hr_lead = aliased(Membership)
    told = set()
    for user_id, ref, expires_at, org_id, org_name, name in _expiring_certificates(
            session, today, stages, recipient=hr_lead):
        if (user_id, ref) not in told:
            told.add((user_id, ref))
            yield Due(CHAMPION_CERTIFICATE_EXPIRING, user_id, ref, expires_at.date(), org_id,
                      org_name, name)


def _invitation_reminders(session: Session, today: date) -> Iterator[Due]:
    """To the organisation's HR leads: an invitation not accepted some days after it was sent.

    Only a hash of the link is stored, so the invitee cannot be sent their link again from
    here; their HR leads can resend it. A resend (a new link) can earn a new reminder.
    """
    hr_lead, current = _current_member(OrgRole.HR_LEAD)
    reference = _text(Invitation.id) + ":" + func.substr(Invitation.token_hash, 1, 16)
    rows = session.execute(
        select(hr_lead.user_id, reference, Invitation.last_sent_at, Organisation.id,
               Organisation.name, Invitation.full_name)
        .select_from(Invitation)
        .join(hr_lead, hr_lead.organisation_id == Invitation.organisation_id)
        .join(Organisation, current)
        .where(Invitation.accepted_at.is_(None), Invitation.revoked_at.is_(None),
               Invitation.last_sent_at < start_of(
                   today - timedelta(days=INVITATION_NUDGE_DAYS - 1)),
               Invitation.last_sent_at >= start_of(
                   today - timedelta(days=INVITATION_NUDGE_LIMIT_DAYS)),
               _not_sent(INVITATION_PENDING, hr_lead.user_id, reference)))
    for user_id, ref, sent_at, org_id, org_name, invitee in rows:
        yield Due(INVITATION_PENDING, user_id, ref, sent_at.date(), org_id, org_name, invitee)


def _policy_reminders(session: Session, today: date) -> Iterator[Due]:
    """To HR leads: a policy element's review date is close or has passed (once per date)."""
    hr_lead, current = _current_member(OrgRole.HR_LEAD)
    reference = _text(PolicyElementRecord.id) + ":" + iso_date(PolicyElementRecord.review_on)
    rows = session.execute(
        select(hr_lead.user_id, reference, PolicyElementRecord.review_on, Organisation.id,
               Organisation.name)
        .select_from(PolicyElementRecord)
        .join(hr_lead, hr_lead.organisation_id == PolicyElementRecord.organisation_id)
        .join(Organisation, current)
        .where(PolicyElementRecord.review_on <= today + timedelta(
            days=POLICY_REVIEW_NOTICE_DAYS),
               _not_sent(POLICY_REVIEW, hr_lead.user_id, reference)))
    for user_id, ref, review_on, org_id, org_name in rows:
        yield Due(POLICY_REVIEW, user_id, ref, typing.cast(date, review_on), org_id, org_name)


def _renewal_reminders(session: Session, today: date) -> Iterator[Due]:
    """To HR leads at 60, 30 and 7 days before the renewal date: the latest stage reached."""
    hr_lead, current = _current_member(OrgRole.HR_LEAD)
    stages = sorted(RENEWAL_NOTICE_DAYS)
    stage = case(*[(Organisation.renewal_due_on <= today + timedelta(days=days), str(days))
                   for days in stages[:-1]], else_=str(stages[-1]))
    reference = (_text(Organisation.id) + ":" + iso_date(Organisation.renewal_due_on) + ":"
                 + stage)
    rows = session.execute(
        select(hr_lead.user_id, reference, Organisation.renewal_due_on, Organisation.id,
               Organisation.name)
        .select_from(Organisation)
        .join(hr_lead, current)
        .where(Organisation.renewal_due_on.between(today,
                                                   today + timedelta(days=stages[-1])),
               _not_sent(RENEWAL_DUE, hr_lead.user_id, reference)))
    for user_id, ref, due_on, org_id, org_name in rows:
        yield Due(RENEWAL_DUE, user_id, ref, typing.cast(date, due_on), org_id, org_name)


def _live_session_reminders(session: Session, today: date) -> Iterator[Due]:
    """To people with a booked place: their live session starts soon (once per booking)."""
    member, current = _current_member()
    reference = _text(SessionBooking.id)
    rows = session.execute(
        select(SessionBooking.user_id, reference, LiveSession.starts_at, Organisation.id,
               Organisation.name, LiveSession.id)
        .select_from(SessionBooking)
        .join(LiveSession, LiveSession.id == SessionBooking.session_id)
        .join(member, member.user_id == SessionBooking.user_id)
        .join(Organisation, current)
        .where(SessionBooking.status == BookingStatus.BOOKED,
               LiveSession.starts_at >= start_of(today),
               LiveSession.starts_at < start_of(
                   today + timedelta(days=LIVE_SESSION_NOTICE_DAYS + 1)),
               _not_sent(LIVE_SESSION_SOON, SessionBooking.user_id, reference))
        .order_by(SessionBooking.id, Organisation.id))
    seen = set()
    for user_id, ref, starts_at, org_id, org_name, session_id in rows:
        if ref not in seen:  # once, whichever of the person's organisations it names
            seen.add(ref)
            yield Due(LIVE_SESSION_SOON, user_id, ref, starts_at.date(), org_id, org_name,
                      str(session_id))


def _action_reminders(session: Session, today: date, *, overdue: bool) -> Iterator[Due]:
    """To HR leads: an open action of the plan is due within a week, or overdue (once per due
    date, so moving the date on earns a new reminder)."""
    kind = ACTION_OVERDUE if overdue else ACTION_DUE
    hr_lead, current = _current_member(OrgRole.HR_LEAD)
    reference = _text(PlanAction.id) + ":" + iso_date(PlanAction.due_on)
    when = PlanAction.due_on < today if overdue else PlanAction.due_on.between(
        today, today + timedelta(days=DUE_SOON_DAYS))
    rows = session.execute(
        select(hr_lead.user_id, reference, PlanAction.due_on, Organisation.id, Organisation.name)
        .select_from(PlanAction)
        .join(hr_lead, hr_lead.organisation_id == PlanAction.organisation_id)
        .join(Organisation, current)
        .where(PlanAction.status != ActionStatus.DONE, when,
               _not_sent(kind, hr_lead.user_id, reference)))
    for user_id, ref, due_on, org_id, org_name in rows:
        yield Due(kind, user_id, ref, due_on, org_id, org_name)


def _self_assessment_reminders(session: Session, today: date) -> Iterator[Due]:
    """To HR leads: the organisation's latest self-assessment is a year old (once for it)."""
    hr_lead, current = _current_member(OrgRole.HR_LEAD)
    newer = aliased(SelfAssessment)
    reference = _text(SelfAssessment.id)
    rows = session.execute(
        select(hr_lead.user_id, reference, SelfAssessment.submitted_at, Organisation.id,
               Organisation.name)
        .select_from(SelfAssessment)
        .join(hr_lead, hr_lead.organisation_id == SelfAssessment.organisation_id)
        .join(Organisation, current)
        .where(SelfAssessment.submitted_at < start_of(today) - SELF_ASSESSMENT_YEAR
               + timedelta(days=1),
               ~exists().where(newer.organisation_id == SelfAssessment.organisation_id,
                               newer.submitted_at > SelfAssessment.submitted_at),
               _not_sent(SELF_ASSESSMENT_DUE, hr_lead.user_id, reference)))
    for user_id, ref, submitted_at, org_id, org_name in rows:
        due_on = (typing.cast(datetime, submitted_at) + SELF_ASSESSMENT_YEAR).date()
        yield Due(SELF_ASSESSMENT_DUE, user_id, ref, due_on, org_id, org_name)


def due_reminders(session: Session, today: date) -> dict[int, list[Due]]:
    """Everything due today and not yet sent, by person."""
    found: dict[int, list[Due]] = defaultdict(list)
    for source in (_live_session_reminders(session, today),
                   _assignment_reminders(session, today, overdue=True),
                   _assignment_reminders(session, today, overdue=False),
                   _certificate_reminders(session, today), _invitation_reminders(session, today),
                   _policy_reminders(session, today), _renewal_reminders(session, today),
                   _action_reminders(session, today, overdue=True),
                   _action_reminders(session, today, overdue=False),
                   _self_assessment_reminders(session, today)):
        for item in source:
            found[item.user_id].append(item)
    return found


def digest_key(user_id: int, today: date) -> str:
    return f"reminders:{user_id}:{today.isoformat()}"


def send_reminders(session: Session, *, today: date) -> int:
    """Queue today's digests; returns how many. Commits once per person (a unit of work)."""
    due = due_reminders(session, today)
    session.commit()
    sent = 0
    people = sorted(due)
    for start in range(0, len(people), BATCH):
        batch = people[start:start + BATCH]
        recipients = session.execute(select(User.id, User.email, User.full_name).where(
            User.id.in_(batch), User.is_active.is_(True))).all()
        already = set(session.scalars(select(OutboxMessage.dedupe_key).where(
            OutboxMessage.dedupe_key.in_([digest_key(user_id, today) for user_id in batch]))))
        session.commit()
        for user_id, email, full_name in recipients:
            if digest_key(user_id, today) not in already:
                sent += _send_digest(session, user_id, email, full_name, due[user_id], today)
    return sent


def _insert_reminders(session: Session, user_id: int, items: list[Due],
                      today: date) -> set[tuple[str, str]]:
    """Record the reminders; returns those this call added (others were sent already)."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    now = utcnow()
    rows = [{"kind": kind, "user_id": user_id, "reference": reference, "sent_on": today,
             "created_at": now}
            for kind, reference in sorted({(i.kind, i.reference) for i in items})]
    table = typing.cast(Table, Reminder.__table__)
    result = session.execute(insert(table).values(rows).on_conflict_do_nothing()
                             .returning(table.c.kind, table.c.reference))
    return {(kind, reference) for kind, reference in result}


def _send_digest(session: Session, user_id: int, email: str, full_name: str, items: list[Due],
                 today: date) -> int:
    """One person's digest and its reminder rows, in one transaction; 1 if queued."""
    try:
        added = _insert_reminders(session, user_id, items, today)
        new = [item for item in items if (item.kind, item.reference) in added]
        if not new:
            session.rollback()
            return 0
        queue_email(session, kind="reminders", to=email, dedupe_key=digest_key(user_id, today),
                    subject=f"Reminders from {settings_of(session).scheme_name}",
                    template="reminders", full_name=full_name,
                    lines=_lines(new, settings_of(session)),
                    today=today)
        session.flush()
    except IntegrityError:  # a digest for today went first: these reminders wait for tomorrow
        session.rollback()
        return 0
    session.commit()
    return 1


@dataclass(frozen=True)
class Line:
    item: Due
    link: str


# The page that deals with each kind of reminder, by endpoint (tests check each resolves): the
# person's own training, or a page of the organisation the reminder is about.
PERSONAL_PAGES = {ASSIGNMENT_DUE: "training.index", ASSIGNMENT_OVERDUE: "training.index",
                  CERTIFICATE_EXPIRING: "training.index"}
ORGANISATION_PAGES = {INVITATION_PENDING: "champions.index", POLICY_REVIEW: "policy.index",
                      CHAMPION_CERTIFICATE_EXPIRING: "champions.index",
                      ACTION_DUE: "assessment.plan", ACTION_OVERDUE: "assessment.plan",
                      SELF_ASSESSMENT_DUE: "assessment.overview"}
ORGANISATION_OVERVIEW = "organisations.overview"


def _lines(items: list[Due], settings: Settings) -> list[Line]:
    """The digest's items, most urgent kind first, each with the page that deals with it."""
    ordered = sorted(items, key=lambda i: (KIND_ORDER.index(i.kind), i.on, i.organisation))
    return [Line(item, reminder_link(item, settings)) for item in ordered]


def reminder_link(item: Due, settings: Settings) -> str:
    if item.kind == LIVE_SESSION_SOON:
        return settings.link("live_sessions.detail", live_session_id=int(item.detail or 0))
    if item.kind in PERSONAL_PAGES:
        return settings.link(PERSONAL_PAGES[item.kind])
    return settings.link(ORGANISATION_PAGES.get(item.kind, ORGANISATION_OVERVIEW),
                         org_id=item.organisation_id)
