"""Every model, imported in one place for the app and for Alembic."""

from portal.models.audit import AuditEvent
from portal.models.base import Base, utcnow
from portal.models.organisations import MembershipStatus, Organisation
from portal.models.outbox import OutboxMessage, OutboxStatus
from portal.models.people import Membership, OrgRole, User
from portal.models.support import SupportService, SupportServiceBorough, SupportServiceCategory
from portal.models.training import (
    AttemptStatus,
    Certificate,
    Course,
    Module,
    ModuleCompletion,
    ModuleVersion,
    QuizAttempt,
)

__all__ = [
    "AttemptStatus",
    "AuditEvent",
    "Certificate",
    "Course",
    "Module",
    "ModuleCompletion",
    "ModuleVersion",
    "QuizAttempt",
    "Base",
    "Membership",
    "MembershipStatus",
    "OrgRole",
    "Organisation",
    "OutboxMessage",
    "OutboxStatus",
    "SupportService",
    "SupportServiceBorough",
    "SupportServiceCategory",
    "User",
    "utcnow",
]
