"""Training: the course catalogue as synced from courses/, attempts, completions, certificates.

Modules are stored once per *version* of their content (author's version number plus content
hash), with the rendered HTML and the questions. Attempts and completions point at the version
they were taken on, so rewording a module never changes what past results mean.
"""

from __future__ import annotations

import enum
import secrets
import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.hybrid import hybrid_method
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.base import Base, utcnow


class Course(Base):
    __tablename__ = "course"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(100), unique=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    audience: Mapped[str] = mapped_column(sa.String(16))  # champion | hr_lead | all
    required: Mapped[bool] = mapped_column(default=False)
    refresher_months: Mapped[int] = mapped_column(default=0)
    # Certified only after attending a live session as well as passing the modules.
    requires_live_session: Mapped[bool] = mapped_column(default=False)
    # Renewal opens this many months before a certificate expires and stays open this many
    # months after, a renewal running on from the old expiry date. 0: no window (the course can
    # be refreshed at any time, the new certificate running from the day it is earned).
    renewal_window_months: Mapped[int] = mapped_column(default=0)
    renewal_grace_months: Mapped[int] = mapped_column(default=0)
    description_html: Mapped[str] = mapped_column(sa.Text, default="")
    retired_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    modules: Mapped[list[Module]] = relationship(back_populates="course",
                                                 order_by="Module.position")

    def __repr__(self) -> str:
        return f"<Course {self.key}>"


class Module(Base):
    __tablename__ = "module"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(100), unique=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("course.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    # Part of the shorter path that renews a certificate (course.md `refresher_modules`).
    in_refresher: Mapped[bool] = mapped_column(default=True)
    current_version_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("module_version.id", use_alter=True))
    retired_at: Mapped[datetime | None]

    course: Mapped[Course] = relationship(back_populates="modules")
    current_version: Mapped[ModuleVersion | None] = relationship(
        foreign_keys=[current_version_id], post_update=True)

    @property
    def version_now(self) -> ModuleVersion:
        """The current version: `courses sync` stores one with every module it adds."""
        if self.current_version is None:
            raise LookupError(f"module {self.key} has no stored version")
        return self.current_version

    def __repr__(self) -> str:
        return f"<Module {self.key}>"


class ModuleVersion(Base):
    """One stored version of a module's content, rendered once at sync."""

    __tablename__ = "module_version"
    __table_args__ = (sa.UniqueConstraint("module_id", "content_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(sa.ForeignKey("module.id"), index=True)
    version: Mapped[int]  # the author's number: bumping it asks past passers to redo the module
    content_hash: Mapped[str] = mapped_column(sa.String(64))
    title: Mapped[str] = mapped_column(sa.String(200))
    summary: Mapped[str] = mapped_column(sa.Text, default="")
    minutes: Mapped[int | None]
    content_note: Mapped[str] = mapped_column(sa.Text, default="")
    body_html: Mapped[str] = mapped_column(sa.Text)
    pass_mark: Mapped[int]
    questions_per_attempt: Mapped[int | None]
    shuffle_answers: Mapped[bool] = mapped_column(default=False)
    max_attempts: Mapped[int] = mapped_column(default=0)
    sources: Mapped[list] = mapped_column(sa.JSON, default=list)
    # [{id, prompt_html, multiple, explanation_html, answers: [{key, text_html, correct,
    #   feedback_html}]}] — read only on the server; pages never show `correct` before submission.
    questions: Mapped[list] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    module: Mapped[Module] = relationship(foreign_keys=[module_id])

    def __repr__(self) -> str:
        return f"<ModuleVersion module={self.module_id} v{self.version}>"


class AttemptStatus(enum.StrEnum):
    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"


class QuizAttempt(Base):
    __tablename__ = "quiz_attempt"
    __table_args__ = (
        # At most one attempt in progress per person and module, even under races (QUIZ-07).
        sa.Index("uq_quiz_attempt_one_in_progress", "user_id", "module_id", unique=True,
                 postgresql_where=sa.text("status = 'in_progress'"),
                 sqlite_where=sa.text("status = 'in_progress'")),
        sa.CheckConstraint("score IS NULL OR (score >= 0 AND score <= 100)", name="score_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, unique=True, default=uuid.uuid4)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"),
                                         index=True)
    module_id: Mapped[int] = mapped_column(sa.ForeignKey("module.id"))
    module_version_id: Mapped[int] = mapped_column(sa.ForeignKey("module_version.id"))
    status: Mapped[AttemptStatus] = mapped_column(default=AttemptStatus.IN_PROGRESS)
    # The draw: [{"question": id, "answers": [key, ...]}] in the order shown to the learner.
    drawn: Mapped[list] = mapped_column(sa.JSON)
    selected: Mapped[dict | None] = mapped_column(sa.JSON)  # {question id: [answer keys]}
    correct_count: Mapped[int | None]
    score: Mapped[int | None]
    passed: Mapped[bool | None]
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None]

    module_version: Mapped[ModuleVersion] = relationship()

    def __repr__(self) -> str:
        return f"<QuizAttempt {self.id} {self.status}>"


class ModuleCompletion(Base):
    """A pass, recorded in the same transaction as the attempt that earned it."""

    __tablename__ = "module_completion"
    __table_args__ = (sa.Index("ix_module_completion_user_module", "user_id", "module_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"))
    module_id: Mapped[int] = mapped_column(sa.ForeignKey("module.id"))
    module_version_id: Mapped[int] = mapped_column(sa.ForeignKey("module_version.id"))
    version: Mapped[int]  # the author's version number passed
    attempt_id: Mapped[int] = mapped_column(sa.ForeignKey("quiz_attempt.id"), unique=True)
    completed_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<ModuleCompletion user={self.user_id} module={self.module_id}>"


CERTIFICATE_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread
CERTIFICATE_CODE_LENGTH = 12


def new_certificate_code() -> str:
    """A fresh random code for a certificate (printed on it, and the key of /verify/<code>)."""
    return "".join(secrets.choice(CERTIFICATE_CODE_ALPHABET)
                   for _ in range(CERTIFICATE_CODE_LENGTH))


class Certificate(Base):
    __tablename__ = "certificate"
    # expires_at rides along (PostgreSQL): "is this champion currently certified?" is then an
    # index-only lookup for each champion of an organisation.
    __table_args__ = (sa.Index("ix_certificate_user_course", "user_id", "course_id",
                               postgresql_include=["expires_at"]),
                      sa.Index("ix_certificate_expires_at", "expires_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"))
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("course.id"))
    # The completion that finished the course: one certificate per completion, even under races.
    completion_id: Mapped[int] = mapped_column(sa.ForeignKey("module_completion.id"), unique=True)
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    revoked_reason: Mapped[str | None] = mapped_column(sa.String(32))  # a key of REVOCATION_REASONS
    revoked_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    # The holder's choice: /verify shows their full name instead of initials.
    show_full_name: Mapped[bool] = mapped_column(default=False)

    course: Mapped[Course] = relationship()

    # Current certification, written only here: in Python (`certificate.is_current_at(now)`) and
    # in queries (`.where(Certificate.is_current_at(now))`).
    @hybrid_method
    def is_current_at(self, moment: datetime) -> bool:
        """Not revoked, and not expired at `moment` (without an expiry date, never expires)."""
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > moment)

    @is_current_at.inplace.expression  # type: ignore[attr-defined]  # SQLAlchemy types it loosely
    @classmethod
    def _is_current_at_expression(cls, moment: datetime) -> sa.ColumnElement[bool]:
        return sa.and_(cls.revoked_at.is_(None),
                       sa.or_(cls.expires_at.is_(None), cls.expires_at > moment))

    def status_at(self, moment: datetime) -> CertificateStatus:
        if self.revoked_at is not None:
            return CertificateStatus.REVOKED
        current = self.is_current_at(moment)
        return CertificateStatus.CURRENT if current else CertificateStatus.EXPIRED

    def __repr__(self) -> str:
        return f"<Certificate {self.id}>"


class CertificateStatus(enum.StrEnum):
    CURRENT = "current"
    EXPIRED = "expired"
    REVOKED = "revoked"


# Why a coordinator revoked a certificate: a reason from this list, never free text.
REVOCATION_REASONS = {
    "issued_in_error": "Issued in error",
    "training_not_completed": "The training was not completed as required",
    "misconduct": "Withdrawn by the scheme after a conduct review",
    "holder_request": "At the holder’s request",
}
