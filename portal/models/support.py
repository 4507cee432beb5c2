"""The support directory: national and local services that champions point colleagues to."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.base import Base, utcnow

if TYPE_CHECKING:
    from portal.models.people import User


class SupportService(Base):
    """One service in the public directory; never records who looked at it."""

    __tablename__ = "support_service"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(80), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    summary: Mapped[str] = mapped_column(sa.String(1000))
    phone: Mapped[str | None] = mapped_column(sa.String(40))
    phone_note: Mapped[str | None] = mapped_column(sa.String(300))
    text_or_chat: Mapped[str | None] = mapped_column(sa.String(500))
    website: Mapped[str | None] = mapped_column(sa.String(500))
    email: Mapped[str | None] = mapped_column(sa.String(320))
    hours: Mapped[str | None] = mapped_column(sa.String(300))
    open_24_hours: Mapped[bool | None]  # None: not verified either way
    # " word word ... ": the lower-cased words of the name, summary and kinds of help, so a
    # search matches the start of any word with one portable LIKE (see services/support.py).
    search_text: Mapped[str] = mapped_column(sa.Text)
    last_checked_at: Mapped[date] = mapped_column(index=True)
    last_checked_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    retired_at: Mapped[datetime | None]
    # Fingerprint of the data-file entry last loaded: `directory load` leaves the service alone
    # (and so keeps coordinators' edits) until that entry changes.
    loaded_hash: Mapped[str | None] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    # Loaded with one query per collection for a whole page of services, never one per service.
    boroughs: Mapped[list[SupportServiceBorough]] = relationship(
        back_populates="service", cascade="all, delete-orphan", lazy="selectin",
        order_by="SupportServiceBorough.borough")
    categories: Mapped[list[SupportServiceCategory]] = relationship(
        back_populates="service", cascade="all, delete-orphan", lazy="selectin",
        order_by="SupportServiceCategory.category")
    last_checked_by: Mapped[User | None] = relationship()

    @property
    def borough_keys(self) -> list[str]:
        return [row.borough for row in self.boroughs]

    @property
    def category_keys(self) -> list[str]:
        return [row.category for row in self.categories]

    @property
    def tel_link(self) -> str | None:
        return "tel:" + self.phone.replace(" ", "") if self.phone else None

    @property
    def website_label(self) -> str | None:
        """The address as people would read it out: no https://, no trailing slash."""
        if not self.website:
            return None
        return self.website.removeprefix("https://").rstrip("/")

    @property
    def is_retired(self) -> bool:
        return self.retired_at is not None

    def __repr__(self) -> str:
        return f"<SupportService {self.id} {self.key}>"


class SupportServiceBorough(Base):
    """An area a service covers: a borough key, or "national"."""

    __tablename__ = "support_service_borough"

    service_id: Mapped[int] = mapped_column(
        sa.ForeignKey("support_service.id", ondelete="CASCADE"), primary_key=True)
    borough: Mapped[str] = mapped_column(sa.String(32), primary_key=True, index=True)

    service: Mapped[SupportService] = relationship(back_populates="boroughs")


class SupportServiceCategory(Base):
    """A kind of help a service gives (domestic abuse, stalking, men, ...)."""

    __tablename__ = "support_service_category"

    service_id: Mapped[int] = mapped_column(
        sa.ForeignKey("support_service.id", ondelete="CASCADE"), primary_key=True)
    category: Mapped[str] = mapped_column(sa.String(32), primary_key=True, index=True)

    service: Mapped[SupportService] = relationship(back_populates="categories")
