"""Each role's training status, kept in step with the records it is worked out from (issue 22).

One row per membership: copies of what the coordinators' dashboard groups and filters by, and
the *dates* its figures compare with the clock (never "current" or "overdue" flags, which would
go stale as time passes). Written only by services/training_status.py, in the same transaction
as every change to the records below it; `flask --app portal monitoring check` recounts it.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Base


class TrainingStatus(Base):
    __tablename__ = "training_status"

    membership_id: Mapped[int] = mapped_column(
        sa.ForeignKey("membership.id", ondelete="CASCADE"), primary_key=True)
    # Copies of the membership (a role never moves to another organisation).
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisation.id", ondelete="CASCADE"), index=True)
    site_id: Mapped[int | None] = mapped_column(sa.ForeignKey("site.id", ondelete="SET NULL"))
    champion: Mapped[bool]  # the champion role (withdrawn or not)
    current: Mapped[bool]  # not withdrawn
    joined_at: Mapped[datetime]  # membership.created_at
    record_key: Mapped[int] = mapped_column(sa.SmallInteger)
    # The person's certificates of required champion courses, revoked ones included ("ever
    # trained") or not ("current": never_expires, or certified_until later than now).
    first_certified_at: Mapped[datetime | None]
    last_certified_at: Mapped[datetime | None]
    never_expires: Mapped[bool]  # a certificate not revoked and without an expiry date
    certified_until: Mapped[datetime | None]  # the latest expiry of those not revoked
    # The earliest due date of the person's pending assignments in this organisation.
    first_due_on: Mapped[date | None]

    @hybrid_property
    def is_current_champion(self) -> bool:
        return self.champion and self.current

    @is_current_champion.inplace.expression
    @classmethod
    def _is_current_champion_expression(cls) -> sa.ColumnElement[bool]:
        return sa.and_(cls.champion.is_(True), cls.current.is_(True))

    def __repr__(self) -> str:
        return f"<TrainingStatus membership={self.membership_id}>"
