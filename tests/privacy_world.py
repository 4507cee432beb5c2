"""A person with data in every table the privacy registry links to people, and someone else.

Used by the subject access and erasure tests (PRIV-02, PRIV-03). `test_the_world_reaches_every
registered link` fails when a table gains a link to people and nothing here seeds it, so a new
kind of personal data cannot escape those tests.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from portal import clock
from portal.models import (
    Assignment,
    AssignmentSource,
    Attendance,
    AuditEvent,
    AwarenessPulse,
    BookingStatus,
    Certificate,
    CommitmentSignature,
    Course,
    Invitation,
    JoinDraft,
    LiveSession,
    Membership,
    Module,
    NoteKind,
    Organisation,
    OrganisationNote,
    OrgRole,
    OutboxMessage,
    OutboxStatus,
    OwnerRole,
    PlanAction,
    PolicyDocument,
    PolicyElementEvent,
    PolicyElementRecord,
    RecoveryCode,
    Reminder,
    ReportSubscription,
    SelfAssessment,
    SessionBooking,
    SessionMode,
    User,
    Verification,
    WithdrawalReason,
    utcnow,
)
from portal.services import training
from portal.services.audit import record_event
from portal.services.champions import withdraw_champion
from portal.services.invitations import hash_token
from tests.factories import (
    make_member_organisation,
    make_support_service,
    make_user,
    sync_courses,
)

TRAINING_FIXTURES = Path(__file__).resolve().parent / "fixtures" / "training"
SUBJECT_NAME = "Quentin Zephyrine-Oakes"
SUBJECT_EMAIL = "quentin.zephyrine@example.org"
OTHER_NAME = "Ottoline Brackenridge"
OTHER_EMAIL = "ottoline.brackenridge@example.org"


@dataclass
class World:
    subject: User
    other: User
    champion_org: Organisation  # the subject is a champion here, the other person too
    lead_org: Organisation  # the subject is an HR lead here
    course: Course


def pass_course(session: Session, user: User, course: Course) -> None:
    """Take and pass every module of the course through the training service."""
    for module in session.scalars(select(Module).where(Module.course_id == course.id)
                                  .order_by(Module.position)):
        attempt = training.start_attempt(session, user, module, rng=random.Random(1))
        questions = {q["id"]: q for q in attempt.module_version.questions}
        selected = {item["question"]: [a["key"] for a in questions[item["question"]]["answers"]
                                       if a["correct"]] for item in attempt.drawn}
        assert training.submit_attempt(session, attempt, selected)
    session.flush()


def start_module(session: Session, user: User, course: Course) -> None:
    module = session.scalars(select(Module).where(Module.course_id == course.id)).first()
    training.start_attempt(session, user, module, rng=random.Random(2))


def build_world(session: Session) -> World:
    sync_courses(session, TRAINING_FIXTURES)
    course = session.scalar(select(Course).where(Course.key == "basics"))
    champion_org = make_member_organisation(session, name="Harbour Lights Ltd")
    lead_org = make_member_organisation(session, name="Riverside Mills Ltd")
    subject = make_user(session, email=SUBJECT_EMAIL, full_name=SUBJECT_NAME,
                        last_signed_in_at=utcnow(), password_changed_at=utcnow())
    other = make_user(session, email=OTHER_EMAIL, full_name=OTHER_NAME)
    for person, org, role in ((subject, champion_org, OrgRole.CHAMPION),
                              (subject, lead_org, OrgRole.HR_LEAD),
                              (other, champion_org, OrgRole.CHAMPION),
                              (other, lead_org, OrgRole.HR_LEAD)):
        session.add(Membership(user=person, organisation=org, role=role,
                               site=org.sites[0], job_title=f"{person.full_name} job title"))
    session.flush()
    _training(session, subject, other, course, champion_org)
    _invitations_and_mail(session, subject, other, champion_org, lead_org)
    _organisation_work(session, subject, other, lead_org)
    _audit(session, subject, other, champion_org)
    session.commit()
    return World(subject, other, champion_org, lead_org, course)


def _training(session: Session, subject: User, other: User, course: Course,
              org: Organisation) -> None:
    pass_course(session, subject, course)
    pass_course(session, other, course)
    start_module(session, subject, course)  # an attempt in progress, after the passes
    other_certificate = session.scalar(select(Certificate).where(Certificate.user_id == other.id))
    other_certificate.revoked_at, other_certificate.revoked_reason = utcnow(), "issued_in_error"
    other_certificate.revoked_by_id = subject.id
    starts = utcnow() - timedelta(days=1)
    live = LiveSession(course_id=course.id, mode=SessionMode.ONLINE, capacity=4,
                       joining_link="https://meet.example.org/room", starts_at=starts,
                       ends_at=starts + timedelta(hours=2), booked_count=2,
                       trainer_id=subject.id, created_by_id=subject.id)
    session.add(live)
    session.flush()
    session.add_all([
        SessionBooking(session_id=live.id, user_id=subject.id, status=BookingStatus.BOOKED,
                       booked_by_id=other.id, attendance=Attendance.ATTENDED,
                       attendance_marked_at=utcnow(), attendance_marked_by_id=other.id),
        SessionBooking(session_id=live.id, user_id=other.id, status=BookingStatus.BOOKED,
                       booked_by_id=subject.id, attendance=Attendance.LEFT_EARLY,
                       attendance_marked_at=utcnow(), attendance_marked_by_id=subject.id),
    ])
    module = session.scalars(select(Module).where(Module.course_id == course.id)).first()
    session.add_all([
        Assignment(organisation_id=org.id, user_id=subject.id, course_id=course.id,
                   source=AssignmentSource.AUTOMATIC, due_on=date.today() + timedelta(days=30),
                   assigned_by_id=other.id),
        Assignment(organisation_id=org.id, user_id=subject.id, module_id=module.id,
                   source=AssignmentSource.HR_LEAD, due_on=date.today() + timedelta(days=9)),
        Assignment(organisation_id=org.id, user_id=other.id, course_id=course.id,
                   source=AssignmentSource.HR_LEAD, due_on=date.today(),
                   assigned_by_id=subject.id, cancelled_by_id=subject.id,
                   cancelled_at=utcnow()),
    ])


def _invitations_and_mail(session: Session, subject: User, other: User,
                          champion_org: Organisation, lead_org: Organisation) -> None:
    now = utcnow()
    session.add_all([
        Invitation(organisation=champion_org, role=OrgRole.CHAMPION, email=SUBJECT_EMAIL,
                   full_name=SUBJECT_NAME, job_title="Ward clerk", token_hash=hash_token("s1"),
                   invited_by_id=other.id, expires_at=now + timedelta(days=7),
                   accepted_at=now, accepted_by_id=subject.id),
        Invitation(organisation=lead_org, role=OrgRole.HR_LEAD, email=SUBJECT_EMAIL,
                   full_name=SUBJECT_NAME, token_hash=hash_token("s2"),
                   expires_at=now + timedelta(days=7)),
        Invitation(organisation=lead_org, role=OrgRole.CHAMPION, email=OTHER_EMAIL,
                   full_name=OTHER_NAME, job_title="Porter", token_hash=hash_token("o1"),
                   invited_by_id=subject.id, expires_at=now + timedelta(days=7)),
        OutboxMessage(kind="invitation", to_address=SUBJECT_EMAIL, subject="Your invitation",
                      body_text=f"Dear {SUBJECT_NAME}, you are invited.", status=OutboxStatus.SENT,
                      sent_at=now, dedupe_key="subject-invitation"),
        OutboxMessage(kind="reminder", to_address=SUBJECT_EMAIL.upper(), subject="A reminder",
                      body_text="Your training is due.", last_error="451 try again later"),
        OutboxMessage(kind="invitation", to_address=OTHER_EMAIL, subject="Your invitation",
                      body_text=f"Dear {OTHER_NAME}, you are invited.", status=OutboxStatus.SENT,
                      sent_at=now),
        RecoveryCode(user_id=subject.id, code_hash="1" * 64),
        RecoveryCode(user_id=other.id, code_hash="2" * 64),
        Reminder(kind="assignment_due", user_id=subject.id, reference="assignment:1",
                 sent_on=now.date()),
        Reminder(kind="assignment_due", user_id=other.id, reference="assignment:2",
                 sent_on=now.date()),
        JoinDraft(id="draft-subject", answers={"account": {"email": SUBJECT_EMAIL.title(),
                                                           "full_name": SUBJECT_NAME}},
                  password_hash="argon2-draft-hash"),
        JoinDraft(id="draft-other", answers={"account": {"email": OTHER_EMAIL,
                                                         "full_name": OTHER_NAME}}),
    ])


def _organisation_work(session: Session, subject: User, other: User, org: Organisation) -> None:
    session.add(CommitmentSignature(organisation=org, version=1, signatory_name=SUBJECT_NAME,
                                    signatory_job_title="Head of People", signed_by_id=subject.id))
    document = PolicyDocument(organisation_id=org.id, element_key="written_policy",
                              storage_key="subject-upload", filename="policy.pdf",
                              content_type="application/pdf", size_bytes=10, sha256="0" * 64,
                              uploaded_by_id=subject.id)
    session.add(document)
    session.flush()
    record = PolicyElementRecord(organisation_id=org.id, element_key="written_policy",
                                 evidence_note="Adopted at the board meeting",
                                 document_id=document.id, updated_by_id=subject.id,
                                 verified_by_id=other.id, verification=Verification.VERIFIED,
                                 verified_at=utcnow())
    checked = PolicyElementRecord(organisation_id=org.id, element_key="training_plan",
                                  updated_by_id=other.id, verified_by_id=subject.id,
                                  verification=Verification.RETURNED,
                                  verification_comment="Please add the review date")
    session.add_all([record, checked])
    session.flush()
    session.add(PolicyElementEvent(record_id=record.id, action="updated", status=record.status,
                                   verification=Verification.UNVERIFIED,
                                   evidence_note="Adopted at the board meeting",
                                   actor_id=subject.id))
    service = make_support_service(session)
    service.last_checked_by_id = subject.id
    session.add_all([
        OrganisationNote(organisation_id=org.id, kind=NoteKind.CALL, author_id=subject.id,
                         body="Called about the poster campaign"),
        OrganisationNote(organisation_id=org.id, kind=NoteKind.MEETING, author_id=other.id,
                         body="Met the HR team"),
        ReportSubscription(user_id=subject.id),
        ReportSubscription(user_id=other.id),
        # The subject as HR lead: a staff survey opened, a self-assessment started and
        # submitted, an action of the plan updated (the organisation's records, not theirs).
        AwarenessPulse(organisation_id=org.id, token="subject-pulse-token",
                       opens_on=clock.today(), closes_on=clock.today() + timedelta(days=14),
                       created_by_id=subject.id),
        SelfAssessment(organisation_id=org.id, question_set_version=1, answers={},
                       started_by_id=subject.id, submitted_by_id=subject.id,
                       submitted_at=utcnow()),
        PlanAction(organisation_id=org.id, title="Tell staff about the policy",
                   owner_role=OwnerRole.HR_LEAD, due_on=clock.today() + timedelta(days=30),
                   updated_by_id=subject.id),
    ])


def _audit(session: Session, subject: User, other: User, org: Organisation) -> None:
    membership = session.scalar(select(Membership).where(
        Membership.user_id == subject.id, Membership.organisation_id == org.id))
    invitation = session.scalar(select(Invitation).where(Invitation.email == SUBJECT_EMAIL))
    record_event(session, "site.added", actor=subject, organisation=org)
    record_event(session, "champion.withdrawn", actor=other, organisation=org,
                 target=membership, details={"reason": "other"})
    record_event(session, "invitation.sent", actor=other, organisation=org, target=invitation,
                 details={"role": "champion"})
    record_event(session, "person.viewed", actor=other, target=subject)
    record_event(session, "person.viewed", actor=subject, target=other)


def withdraw_as_champion(session: Session, world: World) -> None:
    """Withdraw the subject as a champion, as a coordinator would before erasing them."""
    membership = session.scalar(select(Membership).where(
        Membership.user_id == world.subject.id, Membership.role == OrgRole.CHAMPION))
    withdraw_champion(session, membership, actor=make_user(session, is_coordinator=True),
                      reason=WithdrawalReason.OTHER)
    session.commit()


def scheme_figures(session: Session) -> dict[str, list[tuple]]:
    """The figures erasure must not change, straight from SQL: champions (ever), trained
    champions and completions per organisation, and certificates per course."""
    queries = {
        "champions": """
            SELECT organisation_id, COUNT(*) FROM membership WHERE role = 'champion'
            GROUP BY organisation_id ORDER BY organisation_id""",
        "trained_champions": """
            SELECT m.organisation_id, COUNT(DISTINCT m.user_id) FROM membership m
            JOIN certificate c ON c.user_id = m.user_id
            JOIN course k ON k.id = c.course_id AND k.required AND k.audience = 'champion'
            WHERE m.role = 'champion' GROUP BY m.organisation_id ORDER BY m.organisation_id""",
        "completions": """
            SELECT m.organisation_id, COUNT(*) FROM membership m
            JOIN module_completion mc ON mc.user_id = m.user_id
            GROUP BY m.organisation_id ORDER BY m.organisation_id""",
        "certificates": """
            SELECT course_id, COUNT(*) FROM certificate GROUP BY course_id ORDER BY course_id""",
        "attempts": "SELECT module_id, COUNT(*) FROM quiz_attempt GROUP BY module_id "
                    "ORDER BY module_id",
        "people": "SELECT COUNT(*) FROM user_account",
    }
    return {name: [tuple(row) for row in session.execute(text(sql))]
            for name, sql in queries.items()}


def audit_count(session: Session, action: str) -> int:
    return session.scalar(select(func.count()).select_from(AuditEvent)
                          .where(AuditEvent.action == action)) or 0
