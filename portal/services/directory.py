"""The directory's data file: read it, check every entry, and load it by key (all or nothing)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import SupportService
from portal.services.audit import record_event
from portal.services.errors import PortalError
from portal.services.support import (
    FIELD_CHECKS,
    InvalidServiceError,
    ServiceDetails,
    apply_details,
    check_key,
    search_text_for,
    validate_service,
)

DATA_FILE = Path(__file__).resolve().parent.parent / "data" / "support-services.yaml"
FILE_VERSION = 1
# Besides a service's details, each entry has a key, where the details came from, and when
# they were last checked.
ALLOWED_FIELDS = set(FIELD_CHECKS) | {"key", "source", "last_checked"}


class DirectoryFileError(PortalError):
    """The data file has problems; `problems` lists each as `file: service "key": message`."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class DirectoryEntry:
    key: str
    details: ServiceDetails
    last_checked: date
    fingerprint: str


@dataclass
class LoadReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)


def read_directory(path: Path = DATA_FILE) -> list[DirectoryEntry]:
    """Every entry of the file, checked; raise DirectoryFileError listing every problem."""
    services = _services_in(path)
    entries, problems, seen = [], [], set()
    for number, raw in enumerate(services, 1):
        label = f'service "{raw["key"]}"' if isinstance(raw, dict) and raw.get("key") \
            else f"service {number}"
        try:
            entry = _entry(raw)
        except InvalidServiceError as error:
            problems += [f"{path}: {label}: {name}: {message}"
                         for name, message in error.errors.items()]
            continue
        if entry.key in seen:
            problems.append(f"{path}: {label}: key: the key is used by another service")
        seen.add(entry.key)
        entries.append(entry)
    if problems:
        raise DirectoryFileError(problems)
    return entries


def _services_in(path: Path) -> list:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise DirectoryFileError([f"{path}: cannot be read: {error}"]) from None
    if not isinstance(document, dict) or document.get("version") != FILE_VERSION:
        raise DirectoryFileError([f"{path}: must be a mapping with version: {FILE_VERSION}"])
    services = document.get("services")
    if not isinstance(services, list) or not services:
        raise DirectoryFileError([f"{path}: must have a list of services"])
    return services


def _entry(raw: object) -> DirectoryEntry:
    if not isinstance(raw, dict):
        raise InvalidServiceError({"service": "must be a mapping of fields"})
    errors = {name: f'unknown field "{name}"' for name in raw if name not in ALLOWED_FIELDS}
    checked: dict[str, object] = {}
    for name, check in FILE_ONLY_CHECKS.items():
        try:
            checked[name] = check(raw.get(name))
        except ValueError as error:
            errors[name] = str(error)
    try:
        details = validate_service(raw)
    except InvalidServiceError as error:
        errors.update(error.errors)
    if errors:
        raise InvalidServiceError(errors)
    return DirectoryEntry(checked["key"], details, checked["last_checked"],  # type: ignore[arg-type]
                          _fingerprint(raw))


def _check_date(value: object) -> date:
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value)
        except ValueError:
            pass
    if not isinstance(value, date) or isinstance(value, datetime):
        raise ValueError("last_checked must be a date, like 2026-11-21")
    return value


def _check_source(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("source must say where the details were verified")
    return value


FILE_ONLY_CHECKS = {"key": check_key, "last_checked": _check_date, "source": _check_source}


def _fingerprint(raw: dict) -> str:
    """Changes to `source` alone do not count: they do not change what the directory shows."""
    shown = {name: value for name, value in raw.items() if name != "source"}
    return hashlib.sha256(json.dumps(shown, sort_keys=True, default=str).encode()).hexdigest()


def load_directory(session: Session, entries: list[DirectoryEntry]) -> LoadReport:
    """Create new services and update those whose file entry changed since it was last loaded.

    An entry the file has not changed is left alone, so coordinators' edits survive reloads;
    retired services stay retired. The caller commits.
    """
    existing = {service.key: service for service in session.scalars(
        select(SupportService).where(SupportService.key.in_([e.key for e in entries])))}
    report = LoadReport()
    for entry in entries:
        service = existing.get(entry.key)
        if service is None:
            service = SupportService(key=entry.key)
            session.add(service)
            _load_entry(service, entry)
            report.created.append(entry.key)
        elif service.loaded_hash != entry.fingerprint and _load_entry(service, entry):
            report.updated.append(entry.key)
        else:
            service.loaded_hash = entry.fingerprint
            service.search_text = search_text_for(service.name, service.summary,
                                                  service.category_keys)
            report.unchanged.append(entry.key)
    if report.changed:
        record_event(session, "support_directory.loaded",
                     details={"created": len(report.created), "updated": len(report.updated)})
    return report


def _load_entry(service: SupportService, entry: DirectoryEntry) -> bool:
    changed = apply_details(service, entry.details)
    if service.last_checked_at != entry.last_checked:
        service.last_checked_at = entry.last_checked
        service.last_checked_by_id = None
        changed.append("last_checked_at")
    service.loaded_hash = entry.fingerprint
    return bool(changed)

