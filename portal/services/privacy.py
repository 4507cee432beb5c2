"""Data-subject rights: finding everything held about a person, exporting it, and erasing it.

All three are driven by the privacy registry (portal/privacy.py): the rows tied to a person are
found through the registry's links, the export shows the columns the registry says are theirs,
and the erasure does to each column what the registry says (PRIV-02, PRIV-03).
"""

from __future__ import annotations

import csv
import enum
import io
import json
import uuid
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.models import (
    LIVE_STATUSES,
    Assignment,
    Base,
    Invitation,
    JoinDraft,
    Membership,
    Organisation,
    OrgRole,
    User,
    WithdrawalReason,
)
from portal.privacy import (
    REGISTRY,
    Erasure,
    Export,
    Link,
    Match,
    Personal,
    Role,
    exported_columns,
    linked_tables,
)
from portal.services.audit import record_event
from portal.services.errors import PortalError

WITHHELD = "stored, not shown"
CONNECTION = {frozenset({Role.SUBJECT}): "about you", frozenset({Role.ACTOR}): "done by you",
              frozenset({Role.SUBJECT, Role.ACTOR}): "about you, done by you"}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class AlreadyErasedError(PortalError):
    """The person's data has been erased already."""


class OwnAccountError(PortalError):
    """Coordinators cannot erase their own account: another coordinator must do it."""


class StillAChampionError(PortalError):
    """A serving champion is withdrawn first, through the champion withdrawal (with a reason,
    their pending training cancelled, the organisation's tier refreshed), and then erased: so the
    erasure itself changes none of the scheme's figures, and no figure drops without a reason."""


@dataclass
class Footprint:
    """Every row tied to one person: table name → primary key → how the person is linked."""

    person_id: int
    rows: dict[str, dict[object, set[Role]]] = field(default_factory=dict)
    found: dict[tuple[str, str], int] = field(default_factory=dict)  # (table, link) → rows

    def add(self, table: str, column: str, keys: list[object], role: Role) -> None:
        self.found[(table, column)] = len(keys)
        rows = self.rows.setdefault(table, {})
        for key in keys:
            rows.setdefault(key, set()).add(role)

    def keys(self, table: str, role: Role | None = None) -> list[object]:
        return [key for key, roles in self.rows.get(table, {}).items()
                if role is None or role in roles]


def mapped_class(table: str) -> type:
    return next(m.class_ for m in Base.registry.mappers if m.local_table.name == table)


def _primary_key(table: str) -> sa.Column:
    (column,) = Base.metadata.tables[table].primary_key.columns
    return column


def find_footprint(session: Session, person: User) -> Footprint:
    """The rows of every registered table that are about the person or record what they did."""
    footprint = Footprint(person.id)
    audit_links = []
    for name, entry in linked_tables().items():
        for column, link in entry.links.items():
            if link.match == Match.AUDIT_TARGET:
                audit_links.append((name, column, link))
            else:
                footprint.add(name, column, _matching_keys(session, name, column, link, person),
                              link.role)
    for name, column, link in audit_links:  # after the rest: events about any of their rows
        footprint.add(name, column, _audit_keys(session, name, column, footprint), link.role)
    return footprint


def _matching_keys(session: Session, table: str, column: str, link: Link,
                   person: User) -> list[object]:
    columns = Base.metadata.tables[table].c
    if link.match == Match.DRAFT_EMAIL:
        return [draft.id for draft in session.scalars(select(JoinDraft))
                if _draft_email(draft.answers) == person.email.lower()]
    if link.match == Match.EMAIL:
        condition = func.lower(columns[column]) == person.email.lower()
    else:
        condition = columns[column] == person.id
    return list(session.scalars(select(_primary_key(table)).where(condition)))


def _draft_email(answers: object) -> str | None:
    account = answers.get("account") if isinstance(answers, dict) else None
    email = account.get("email") if isinstance(account, dict) else None
    return email.strip().lower() if isinstance(email, str) else None


def _audit_keys(session: Session, table: str, column: str, footprint: Footprint) -> list[object]:
    """Events whose target is the person or one of the rows about them."""
    columns = Base.metadata.tables[table].c
    conditions = []
    for name in footprint.rows:
        ids = [key for key in footprint.keys(name, Role.SUBJECT) if isinstance(key, int)]
        if ids and name != table:
            target_type = mapped_class(name).__name__.lower()
            conditions.append(sa.and_(columns.target_type == target_type,
                                      columns[column].in_(ids)))
    if not conditions:
        return []
    return list(session.scalars(select(_primary_key(table)).where(sa.or_(*conditions))))


# Subject access export (PRIV-02).

def personal_data(session: Session, person: User) -> dict[str, list[dict]]:
    """Every linked table (even when empty) → the person's rows, each with only their columns."""
    footprint = find_footprint(session, person)
    tables = {}
    for name in linked_tables():
        links = footprint.rows.get(name, {})
        table = Base.metadata.tables[name]
        found = session.execute(select(table).where(_primary_key(name).in_(list(links)))
                                .order_by(_primary_key(name))).mappings() if links else []
        tables[name] = [_exported_row(name, row, links[row[_primary_key(name).name]], person)
                        for row in found]
    return tables


def _exported_row(table: str, row: sa.RowMapping, roles: set[Role], person: User) -> dict:
    """The row's columns that are the person's; a link to someone else (another actor on the
    same record) is left out, so the export holds nobody else's data."""
    exported = {"connection": CONNECTION[frozenset(roles)]}
    links = REGISTRY[table].links
    for column in exported_columns(table, roles):
        rule = REGISTRY[table].columns[column]
        value = row[column]
        if column in links and links[column].match == Match.USER_ID and value != person.id:
            continue
        if isinstance(rule, Personal) and rule.export == Export.WITHHELD:
            value = WITHHELD if value is not None else None
        exported[column] = _plain(value)
    return exported


def _plain(value: object) -> object:
    """JSON-ready: dates as ISO 8601, enums as their stored value."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def subject_access_zip(session: Session, person: User, *, now: datetime, scheme_name: str,
                       retention: dict[str, timedelta]) -> bytes:
    """The person's data as one JSON file and one CSV file per table, in a zip."""
    tables = personal_data(session, person)
    document = {"scheme": scheme_name, "generated_at": now.isoformat(), "person_id": person.id,
                "tables": tables, "about_the_data": _about_the_data(),
                "retention_days": {key: period / timedelta(days=1)
                                   for key, period in retention.items()}}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("README.txt", _readme(scheme_name, now))
        archive.writestr("personal-data.json",
                         json.dumps(document, indent=2, ensure_ascii=False, default=str))
        for name, rows in tables.items():
            archive.writestr(f"{name}.csv", _csv(name, rows))
    return buffer.getvalue()


def _about_the_data() -> dict[str, dict[str, dict[str, str]]]:
    """What each personal column is, why it is kept and for how long (Art 15(1)(a), (b), (d))."""
    return {name: {column: {"category": rule.category.value, "purpose": rule.purpose,
                            "retention": rule.retention}
                   for column, rule in entry.columns.items() if isinstance(rule, Personal)}
            for name, entry in linked_tables().items()}


def _readme(scheme_name: str, now: datetime) -> str:
    return (f"{scheme_name}: a copy of the personal data held about you, made on "
            f"{now:%-d %B %Y}.\n\n"
            "personal-data.json holds everything, with what each item is for and how long it "
            "is kept.\nEach .csv file holds the same rows of one kind of record, for "
            "spreadsheets.\nThe 'connection' column says whether a record is about you or "
            "records something you did.\nPasswords are never shown, only whether one is "
            "stored.\n")


def _csv(table: str, rows: list[dict]) -> str:
    present = {column for row in rows for column in row}
    header = ["connection", *(column for column in exported_columns(table, set(Role))
                              if not rows or column in present)]
    output = io.StringIO()
    writer = csv.writer(output)
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(row.get(column)) for column in header])
    return output.getvalue()


def _cell(value: object) -> str:
    """A CSV cell that a spreadsheet shows as text, never runs as a formula (CSV-01)."""
    if value is None:
        return ""
    text = json.dumps(value, ensure_ascii=False) if isinstance(value, dict | list) else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


# Erasure (PRIV-03).

def erase_person(session: Session, person: User, *, actor: User | None, now: datetime,
                 reason: str = "request") -> None:
    """Anonymise a person: every registered column of theirs is replaced, cleared or deleted as
    the registry says; what figures need is kept without their name. A serving champion must be
    withdrawn first (see StillAChampionError); any HR lead role ends with the erasure.

    The account can no longer sign in and every session of theirs ends. The audit trail notes
    the erasure and who did it, and nothing of what was erased.
    """
    if person.erased_at is not None:
        raise AlreadyErasedError
    if actor is not None and actor.id == person.id:
        raise OwnAccountError
    if serving_champion_roles(session, person):
        raise StillAChampionError
    footprint = find_footprint(session, person)
    _end_roles(session, person, footprint, actor=actor, now=now)
    for table, links in footprint.rows.items():
        _erase_rows(session, table, links)
    person.session_version += 1
    person.erased_at = now
    record_event(session, "person.erased", actor=actor, target=person,
                 details={"reason": reason})


def serving_champion_roles(session: Session, person: User) -> list[Membership]:
    """The person's current champion roles in organisations still in (or joining) the scheme,
    which must end before their data can be erased."""
    return list(session.scalars(select(Membership).join(Organisation).where(
        Membership.user_id == person.id, Membership.role == OrgRole.CHAMPION,
        Membership.withdrawn_at.is_(None), Organisation.status.in_(LIVE_STATUSES))
        .order_by(Membership.id)))


def _end_roles(session: Session, person: User, footprint: Footprint, *, actor: User | None,
               now: datetime) -> None:
    """Current HR lead roles end (kept, so counts by organisation stay right; they count in no
    scheme figure and have no other way to end), open invitations to the person are withdrawn,
    and their unfinished assignments cancelled."""
    for membership in session.scalars(select(Membership).where(
            Membership.user_id == person.id, Membership.withdrawn_at.is_(None))):
        membership.withdrawn_at = now
        membership.withdrawal_reason = WithdrawalReason.OTHER
        record_event(session, "membership.ended", actor=actor,
                     organisation=membership.organisation, target=membership,
                     details={"reason": "erasure"})
    invitations = footprint.keys("invitation", Role.SUBJECT)
    for invitation in session.scalars(select(Invitation).where(
            Invitation.id.in_(invitations), Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None))):
        invitation.revoked_at = now
    for assignment in session.scalars(select(Assignment).where(
            Assignment.user_id == person.id, Assignment.cancelled_at.is_(None),
            Assignment.completed_at.is_(None))):
        assignment.cancelled_at = now
        assignment.cancelled_by_id = actor.id if actor is not None else None


def _erase_rows(session: Session, table: str, links: dict[object, set[Role]]) -> None:
    cls = mapped_class(table)
    mapper = sa.inspect(cls)
    key = mapper.get_property_by_column(_primary_key(table)).key
    columns = Base.metadata.tables[table].c
    for row in session.scalars(select(cls).where(getattr(cls, key).in_(list(links)))):
        rules = [(column, rule) for column, rule in REGISTRY[table].columns.items()
                 if isinstance(rule, Personal) and rule.of in links[getattr(row, key)]]
        if any(rule.erasure == Erasure.DELETE_ROW for _, rule in rules):
            session.delete(row)
            continue
        for column, rule in rules:
            attribute = mapper.get_property_by_column(columns[column]).key
            if rule.erasure == Erasure.CLEAR:
                setattr(row, attribute, None)
            elif rule.erasure == Erasure.REPLACE:
                placeholder = rule.placeholder
                setattr(row, attribute, placeholder(row) if callable(placeholder)
                        else placeholder)
