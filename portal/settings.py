"""The few settings the domain services need, as one typed object that needs no Flask.

The app builds it once from its configuration (`Settings.from_config`) and gives it to every
database session it opens (`attach`): views, the worker and the CLI all reach the services
through such a session, so services read `settings_of(session)` and never `current_app`.
A session opened without settings is a mistake, and says so: there is no fallback to `Config`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from types import MappingProxyType
from typing import Any

from sqlalchemy.orm import Session
from werkzeug.routing import Map

INFO_KEY = "portal.settings"


class SettingsMissingError(RuntimeError):
    """A session reached a service without the portal's settings attached."""


@dataclass(frozen=True)
class Settings:
    scheme_name: str
    base_url: str  # links in e-mails start here, never at the request's Host header (AUTH-10)
    training_due_days: int
    invitation_days: int
    email_confirmation_days: int
    coverage_target_per_100_staff: float
    retention: Mapping[str, timedelta] = field(default_factory=dict)
    # Days before a certificate expires when its holder (and their HR leads) are reminded.
    certificate_reminder_days: tuple[int, ...] = (90, 30, 7)
    # The address e-mails come from: the organiser of the calendar invitations they carry.
    sender_address: str = ""
    # The app's routes (werkzeug's, filled in as blueprints register): links are built from
    # endpoints without a request, so the worker's e-mails link the same pages as the views'.
    routes: Map = field(default_factory=Map, compare=False, repr=False)

    @classmethod
    def from_config(cls, config: Mapping[str, Any], routes: Map | None = None) -> Settings:
        return cls(scheme_name=str(config["SCHEME_NAME"]),
                   base_url=str(config["BASE_URL"]).rstrip("/"),
                   training_due_days=int(config["TRAINING_DUE_DAYS"]),
                   invitation_days=int(config["INVITATION_DAYS"]),
                   email_confirmation_days=config["EMAIL_CONFIRMATION_MAX_AGE"].days,
                   coverage_target_per_100_staff=float(config["COVERAGE_TARGET_PER_100_STAFF"]),
                   retention=MappingProxyType(dict(config["RETENTION"])),
                   certificate_reminder_days=tuple(config.get("CERTIFICATE_REMINDER_DAYS",
                                                              (90, 30, 7))),
                   sender_address=str(config.get("MAIL_SENDER_ADDRESS", "")),
                   routes=routes if routes is not None else Map())

    def path(self, endpoint: str, **values: object) -> str:
        """The path of an endpoint's page, e.g. "/organisations/3/champions"."""
        return self.routes.bind("localhost").build(endpoint, values)

    def link(self, endpoint: str, **values: object) -> str:
        """An absolute link for an e-mail: BASE_URL and the endpoint's path, never the Host
        header of a request (AUTH-10)."""
        return self.base_url + self.path(endpoint, **values)


def session_info(settings: Settings) -> dict[str, object]:
    """The `info` of a session that carries `settings` (Session(..., info=...))."""
    return {INFO_KEY: settings}


def settings_of(session: Session) -> Settings:
    found = session.info.get(INFO_KEY)
    if not isinstance(found, Settings):
        raise SettingsMissingError("this session was opened without the portal's settings "
                                   "(portal.settings.attach)")
    return found
