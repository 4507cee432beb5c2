"""Data-subject rights: finding everything held about a person, exporting it, and erasing it.

All three are driven by the privacy registry (portal/privacy_registry.py): the rows tied to a
person are found through the registry's links, the export shows the columns the registry says
are theirs, and the erasure does to each column what the registry says (PRIV-02, PRIV-03).
"""

from __future__ import annotations

import csv
import enum
import html
import io
import json
import re
import uuid
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import nh3
import sqlalchemy as sa
from sqlalchemy import func, select
from sqlalchemy.orm import Mapper, Session

from portal.models import (
    LIVE_STATUSES,
    Assignment,
    AuditEvent,
    Base,
    Invitation,
    JoinDraft,
    Membership,
    Module,
    ModuleVersion,
    Organisation,
    User,
    WithdrawalReason,
)
from portal.privacy_registry import (
    ERASED_DOMAIN,
    ERASED_NAME,
    REGISTRY,
    Erasure,
    Export,
    Link,
    Match,
    Personal,
    Role,
    erased_address,
    exported_columns,
    linked_tables,
    personal_columns,
)
from portal.services import training_status
from portal.services.audit import record_event
from portal.services.errors import PortalError
from portal.services.exports import neutralise
from portal.services.policy_framework import policy_framework

WITHHELD = "stored, not shown"
CONNECTION = {frozenset({Role.SUBJECT}): "about you", frozenset({Role.ACTOR}): "done by you",
              frozenset({Role.SUBJECT, Role.ACTOR}): "about you, done by you"}


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
    return next(m.class_ for m in Base.registry.mappers
                if getattr(m.local_table, "name", None) == table)


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
#
# The export is for the person to read: organisations, sites, courses, modules and documents by
# name, questions and answers by their text, "you" for their own account, and no internal ids,
# request ids or hashes. Each column the registry says is theirs is shown under its name less a
# trailing "_id"; a reference to a record that has no name of its own is left out (that record,
# if it is theirs, is in the export itself).

YOU = "you"
# Columns that mean something only inside the portal: the row's own key is left out everywhere.
INTERNAL_COLUMNS = {("audit_event", "request_id"), ("audit_event", "target_id"),
                    ("outbox_message", "dedupe_key")}
RENAMED = {"element_key": "policy_element"}
INTERNAL_REFERENCE = re.compile(r"^(?:[a-z_]+:)?\d+$")
# What names each kind of referenced record: (table, column or function of the row).
NAMED_BY = {"organisation": "name", "site": "name", "course": "title",
            "policy_document": "filename", "support_service": "name"}


def personal_data(session: Session, person: User) -> dict[str, list[dict]]:
    """Every linked table (even when empty) → the person's rows, each with only their columns,
    readable: names instead of ids, question and answer texts instead of keys."""
    footprint = find_footprint(session, person)
    raw = {}
    for name in linked_tables():
        links = footprint.rows.get(name, {})
        table = Base.metadata.tables[name]
        found: Iterable[sa.RowMapping] = session.execute(
            select(table).where(_primary_key(name).in_(list(links)))
            .order_by(_primary_key(name))).mappings() if links else []
        raw[name] = [(row, links[row[_primary_key(name).name]]) for row in found]
    names = _names(session, raw)
    return {name: [_exported_row(name, row, roles, person, names) for row, roles in rows]
            for name, rows in raw.items()}


def _exported_row(table: str, row: sa.RowMapping, roles: set[Role], person: User,
                  names: dict[tuple[str, object], object]) -> dict:
    """The row's columns that are the person's; a link to someone else (another actor on the
    same record) is left out, so the export holds nobody else's data."""
    exported: dict[str, object] = {"connection": CONNECTION[frozenset(roles)]}
    links = REGISTRY[table].links
    for column in exported_columns(table, roles):
        rule = REGISTRY[table].columns[column]
        value = row[column]
        if column in links and links[column].match == Match.USER_ID and value != person.id:
            continue
        if isinstance(rule, Personal) and rule.export == Export.WITHHELD:
            value = WITHHELD if value is not None else None
        shown = _readable(table, column, value, row, names)
        if shown is not _LEFT_OUT:
            exported[shown_as(column)] = _plain(shown)
    return exported


_LEFT_OUT = object()


def shown_as(column: str) -> str:
    """The name a column has in the export: what it means rather than how it is stored."""
    return RENAMED.get(column, column.removesuffix("_id"))


def _readable(table: str, column: str, value: object, row: sa.RowMapping,
              names: dict[tuple[str, object], object]) -> object:
    """The value as the person can read it, or _LEFT_OUT for internal ids."""
    if _internal(table, column):
        return _LEFT_OUT
    if table == "reminder" and column == "reference" and INTERNAL_REFERENCE.match(str(value)):
        return _LEFT_OUT  # "assignment:12": the kind is shown, the id means nothing outside
    if column == "element_key" and value is not None:
        element = policy_framework().get(str(value))
        return element.title if element is not None else value
    if table == "quiz_attempt" and column in ("drawn", "selected"):
        return _attempt_texts(value, names.get(("questions", row["module_version_id"])),
                              chosen=column == "selected")
    target = _referenced_table(table, column)
    if target is None or value is None or value == WITHHELD:
        return value
    if target == "user_account":
        return YOU  # other people's ids were left out before
    return names.get((target, value), _LEFT_OUT)


def _internal(table: str, column: str) -> bool:
    return column == _primary_key(table).name or (table, column) in INTERNAL_COLUMNS


def _referenced_table(table: str, column: str) -> str | None:
    for foreign_key in Base.metadata.tables[table].c[column].foreign_keys:
        return foreign_key.column.table.name
    return None


def _names(session: Session, raw: dict[str, list[tuple[sa.RowMapping, set[Role]]]]
           ) -> dict[tuple[str, object], object]:
    """(table, id) → what to show for every record the rows refer to, a query per kind."""
    wanted: dict[str, set[object]] = {}
    for table, rows in raw.items():
        for column in Base.metadata.tables[table].c:
            target = _referenced_table(table, column.name)
            if target in NAMED_BY or target in ("module", "module_version"):
                wanted.setdefault(target, set()).update(
                    row[column.name] for row, _ in rows if row[column.name] is not None)
    names: dict[tuple[str, object], object] = {}
    for target, ids in wanted.items():
        if target == "module":
            found = session.execute(select(Module.id, ModuleVersion.title).join(
                ModuleVersion, ModuleVersion.id == Module.current_version_id)
                .where(Module.id.in_(ids)))
            names |= {("module", key): title for key, title in found}
        elif target == "module_version":
            for version in session.scalars(select(ModuleVersion).where(ModuleVersion.id.in_(ids))):
                names[("module_version", version.id)] = f"{version.title} (version " \
                                                        f"{version.version})"
                names[("questions", version.id)] = version.questions
        else:
            named = Base.metadata.tables[target]
            pairs = session.execute(select(named.c.id, named.c[NAMED_BY[target]])
                                    .where(named.c.id.in_(ids)))
            names |= {(target, key): name for key, name in pairs}
    return names


def _attempt_texts(value: object, questions_of_version: object, *, chosen: bool) -> object:
    """The questions of an attempt, and the answers offered or chosen, by their text."""
    if value is None or not isinstance(questions_of_version, list):
        return value
    questions = {question["id"]: question for question in questions_of_version}
    if chosen:  # {question id: [answer keys]}
        pairs = [(key, keys) for key, keys in value.items()] if isinstance(value, dict) else []
        label = "your answers"
    else:  # [{"question": id, "answers": [keys]}]
        pairs = [(item.get("question"), item.get("answers", [])) for item in value
                 if isinstance(item, dict)] if isinstance(value, list) else []
        label = "answers shown"
    readable = []
    for question_id, keys in pairs:
        question = questions.get(question_id) or questions.get(_as_int(question_id))
        if question is None:
            continue
        answers = {answer["key"]: answer for answer in question["answers"]}
        readable.append({"question": _text(question["prompt_html"]),
                         label: [_text(answers[key]["text_html"]) for key in keys
                                 if key in answers]})
    return readable


def _as_int(value: object) -> object:
    return int(value) if isinstance(value, str) and value.isdigit() else value


def _text(fragment: str) -> str:
    """Plain text of rendered course HTML (tags dropped, entities decoded)."""
    return " ".join(html.unescape(nh3.clean(fragment, tags=set())).split())


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
    document = {"scheme": scheme_name, "generated_at": now.isoformat(),
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
    return {name: {shown_as(column): {"category": rule.category.value,
                                                "purpose": rule.purpose,
                                                "retention": rule.retention}
                   for column, rule in entry.columns.items() if isinstance(rule, Personal)}
            for name, entry in linked_tables().items()}


def _readme(scheme_name: str, now: datetime) -> str:
    return (f"{scheme_name}: a copy of the personal data held about you, made on "
            f"{now:%-d %B %Y}.\n\n"
            "personal-data.json holds everything, with what each item is for and how long it "
            "is kept.\nEach .csv file holds the same rows of one kind of record, for "
            "spreadsheets.\nThe 'connection' column says whether a record is about you or "
            "records something you did.\nOrganisations, sites, courses and modules are shown "
            "by name, and quiz questions and answers by their text.\nPasswords are never "
            "shown, only whether one is stored.\n")


def _csv(table: str, rows: list[dict]) -> str:
    present = {column for row in rows for column in row}
    columns = ["connection", *(shown_as(column) for column in exported_columns(table, set(Role))
                               if not _internal(table, column))]
    header = list(dict.fromkeys(column for column in columns if not rows or column in present))
    output = io.StringIO()
    writer = csv.writer(output)
    writer.writerow([_heading(column) for column in header])
    for row in rows:
        writer.writerow([_cell(row.get(column)) for column in header])
    return output.getvalue()


def _heading(column: str) -> str:
    return column.replace("_", " ").capitalize()


def _cell(value: object) -> str:
    """A CSV cell a spreadsheet shows as text, never runs as a formula: the same rule as every
    other export (exports.neutralise: leading spaces and full-width signs too; CSV-01)."""
    if value is None:
        return ""
    text = json.dumps(value, ensure_ascii=False) if isinstance(value, dict | list) else str(value)
    return str(neutralise(text))


# Erasure (PRIV-03).

def erase_person(session: Session, person: User, *, actor: User | None, now: datetime,
                 reason: str = "request") -> None:
    """Anonymise a person: every registered column of theirs is replaced, cleared or deleted as
    the registry says; what figures need is kept without their name, and detached from their
    account (see `_detach_records`). A serving champion must be withdrawn first (see
    StillAChampionError); any HR lead role ends with the erasure.

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
    _detach_records(session, person, footprint, now=now)
    person.session_version += 1
    person.erased_at = now
    record_event(session, "person.erased", actor=actor, target=person,
                 details={"reason": reason})


def serving_champion_roles(session: Session, person: User) -> list[Membership]:
    """The person's current champion roles in organisations still in (or joining) the scheme,
    which must end before their data can be erased."""
    return list(session.scalars(select(Membership).join(Organisation).where(
        Membership.user_id == person.id, Membership.is_current_champion,
        Organisation.scheme_status.in_(LIVE_STATUSES))
        .order_by(Membership.id)))


def _end_roles(session: Session, person: User, footprint: Footprint, *, actor: User | None,
               now: datetime) -> None:
    """Current HR lead roles end (kept, so counts by organisation stay right; they count in no
    scheme figure and have no other way to end), open invitations to the person are withdrawn,
    and their unfinished assignments cancelled."""
    for membership in session.scalars(select(Membership).where(
            Membership.user_id == person.id, Membership.is_current)):
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
    mapper: Mapper[Any] = sa.inspect(cls)
    key = mapper.get_property_by_column(_primary_key(table)).key
    columns = Base.metadata.tables[table].c
    row: Any
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


def _detach_records(session: Session, person: User, footprint: Footprint, *,
                    now: datetime) -> User:
    """Move every kept row about the person (roles, invitations accepted, assignments, quiz
    attempts, completions, certificates: each link the registry marks Erasure.DETACH) to a new
    placeholder account that nothing ties to theirs, and with them the audit events of what the
    person did to those rows. Figures still count one person with those records, but the erased
    account keeps no role or training that could be read back to whoever it was.

    The placeholder's times are the day of the erasure, not its moment, so they do not match
    the erased account's to the microsecond.
    """
    session.flush()  # the rows the registry deletes are gone before anything moves
    day = datetime.combine(now.date(), datetime.min.time(), tzinfo=now.tzinfo)
    placeholder = User(email=f"erased-{uuid.uuid4().hex}@{ERASED_DOMAIN}", full_name=ERASED_NAME,
                       password_hash=None, is_active=False, created_at=day, erased_at=day)
    session.add(placeholder)
    session.flush()
    placeholder.email = erased_address(placeholder)
    for table, column in _detached_links():
        keys = footprint.keys(table, Role.SUBJECT)
        if not keys:
            continue
        columns = Base.metadata.tables[table].c
        session.execute(sa.update(Base.metadata.tables[table])
                        .where(columns[column] == person.id, _primary_key(table).in_(keys))
                        .values({column: placeholder.id}))
        session.execute(sa.update(AuditEvent).where(
            AuditEvent.actor_id == person.id,
            AuditEvent.target_type == mapped_class(table).__name__.lower(),
            AuditEvent.target_id.in_([key for key in keys if isinstance(key, int)]))
            .values(actor_id=placeholder.id))
    # The rows moved by bulk UPDATE: both people's training status is written again.
    training_status.changed(session, [person.id, placeholder.id])
    session.expire_all()  # relationships loaded before (person.memberships) are out of date
    return placeholder


def _detached_links() -> list[tuple[str, str]]:
    """(table, column) of every link the registry says erasure moves (Erasure.DETACH)."""
    return [(table, column) for table, column, rule in personal_columns()
            if rule.erasure == Erasure.DETACH]

