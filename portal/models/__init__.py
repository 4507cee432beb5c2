"""Every model, imported in one place for the app and for Alembic."""

from portal.models.assignments import Assignment, AssignmentSource
from portal.models.audit import AuditEvent
from portal.models.base import Base, utcnow
from portal.models.invitations import Invitation, InvitationStatus
from portal.models.live_sessions import (
    Attendance,
    BookingStatus,
    LiveSession,
    SessionBooking,
    SessionMode,
)
from portal.models.notes import NOTE_KIND_LABELS, NoteKind, OrganisationNote, ReportSubscription
from portal.models.organisations import (
    BOROUGH_LABELS,
    LIVE_STATUSES,
    MEMBER_STATUS,
    SECTOR_LABELS,
    Borough,
    CommitmentSignature,
    JoinDraft,
    Organisation,
    SchemeStatus,
    Sector,
    Site,
    Tier,
    normalise_name,
)
from portal.models.outbox import OutboxMessage, OutboxStatus
from portal.models.people import (
    WITHDRAWAL_REASON_LABELS,
    Membership,
    OrgRole,
    RecoveryCode,
    User,
    WithdrawalReason,
)
from portal.models.policies import (
    ElementStatus,
    PolicyDocument,
    PolicyElementEvent,
    PolicyElementRecord,
    Verification,
)
from portal.models.pulse import AwarenessPulse, AwarenessPulseCount
from portal.models.reminders import Reminder
from portal.models.self_assessment import (
    OWNER_LABELS,
    ActionStatus,
    OwnerRole,
    PlanAction,
    SelfAssessment,
)
from portal.models.support import SupportService, SupportServiceBorough, SupportServiceCategory
from portal.models.training import (
    AttemptStatus,
    Certificate,
    CertificateStatus,
    Course,
    Module,
    ModuleCompletion,
    ModuleVersion,
    QuizAttempt,
)
from portal.models.training_status import TrainingStatus

__all__ = [
    "Attendance",
    "BookingStatus",
    "LiveSession",
    "SessionBooking",
    "SessionMode",
    "OWNER_LABELS",
    "ActionStatus",
    "OwnerRole",
    "PlanAction",
    "SelfAssessment",
    "AwarenessPulse",
    "AwarenessPulseCount",
    "Assignment",
    "AssignmentSource",
    "ElementStatus",
    "PolicyDocument",
    "PolicyElementEvent",
    "PolicyElementRecord",
    "Verification",
    "Reminder",
    "AttemptStatus",
    "BOROUGH_LABELS",
    "SECTOR_LABELS",
    "WITHDRAWAL_REASON_LABELS",
    "AuditEvent",
    "Certificate",
    "TrainingStatus",
    "CertificateStatus",
    "Course",
    "Module",
    "ModuleCompletion",
    "ModuleVersion",
    "QuizAttempt",
    "Base",
    "Borough",
    "CommitmentSignature",
    "Invitation",
    "InvitationStatus",
    "JoinDraft",
    "Membership",
    "LIVE_STATUSES",
    "MEMBER_STATUS",
    "SchemeStatus",
    "OrgRole",
    "Organisation",
    "NOTE_KIND_LABELS",
    "NoteKind",
    "OrganisationNote",
    "OutboxMessage",
    "OutboxStatus",
    "RecoveryCode",
    "ReportSubscription",
    "SupportService",
    "SupportServiceBorough",
    "SupportServiceCategory",
    "Sector",
    "Site",
    "Tier",
    "User",
    "WithdrawalReason",
    "normalise_name",
    "utcnow",
]
