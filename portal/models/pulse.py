"""The staff awareness pulse: an anonymous check that staff know the policy and the champions.

Only running totals are kept: one row per question and answer with its count, and the number of
people who answered on the pulse itself. No answer is ever stored as a row, and nothing records
when an answer came, so nothing can tie an answer to a person by order or timing.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.base import Base, utcnow
from portal.models.organisations import Organisation, Site


class AwarenessPulse(Base):
    """One pulse for an organisation, or for one of its sites, open for a set period."""

    __tablename__ = "awareness_pulse"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisation.id", ondelete="CASCADE"), index=True)
    site_id: Mapped[int | None] = mapped_column(sa.ForeignKey("site.id", ondelete="CASCADE"))
    # The public link's secret part: whoever has the link may answer, nobody can guess one.
    token: Mapped[str] = mapped_column(sa.String(64), unique=True)
    opens_on: Mapped[date]
    closes_on: Mapped[date]
    closed_early: Mapped[bool] = mapped_column(default=False)  # an HR lead closed it by hand
    respondents: Mapped[int] = mapped_column(default=0)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    organisation: Mapped[Organisation] = relationship()
    site: Mapped[Site | None] = relationship()
    counts: Mapped[list[AwarenessPulseCount]] = relationship(
        back_populates="pulse", cascade="all, delete-orphan")

    def is_open(self, today: date) -> bool:
        return not self.closed_early and self.opens_on <= today <= self.closes_on

    def __repr__(self) -> str:
        return f"<AwarenessPulse {self.id} org={self.organisation_id}>"


class AwarenessPulseCount(Base):
    """How many people gave one answer to one question of a pulse: a running total."""

    __tablename__ = "awareness_pulse_count"

    pulse_id: Mapped[int] = mapped_column(
        sa.ForeignKey("awareness_pulse.id", ondelete="CASCADE"), primary_key=True)
    question_key: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    answer_key: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    total: Mapped[int] = mapped_column(default=0)

    pulse: Mapped[AwarenessPulse] = relationship(back_populates="counts")

    def __repr__(self) -> str:
        return f"<AwarenessPulseCount {self.pulse_id} {self.question_key}={self.answer_key}>"
