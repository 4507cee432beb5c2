"""Subject access export and erasure, driven by the privacy registry (PRIV-02, PRIV-03).

Both tests walk every personal column the registry lists: a new registered column is checked
without changing these tests, and a new link to people must be seeded in tests/privacy_world.py
(test_the_world_reaches_every_registered_link) before anything passes.
"""

from __future__ import annotations

import csv
import io
import json
import uuid
import zipfile
from datetime import datetime

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from config import Config
from portal.models import AuditEvent, Base, Invitation, ModuleVersion, User, utcnow
from portal.privacy_registry import (
    ERASED_DOMAIN,
    REGISTRY,
    Erasure,
    Export,
    Match,
    Personal,
    Role,
    linked_tables,
    personal_columns,
)
from portal.services import monitoring
from portal.services.audit import record_event
from portal.services.exports import neutralise
from portal.services.invitations import hash_token
from portal.services.monitoring_filters import Filters
from portal.services.subject_rights import (
    INTERNAL_COLUMNS,
    WITHHELD,
    AlreadyErasedError,
    OwnAccountError,
    StillAChampionError,
    _cell,
    _heading,
    _plain,
    erase_person,
    find_footprint,
    shown_as,
    subject_access_zip,
)
from tests.factories import make_user
from tests.privacy_world import (
    OTHER_EMAIL,
    OTHER_NAME,
    SUBJECT_EMAIL,
    SUBJECT_NAME,
    World,
    build_world,
    scheme_figures,
    withdraw_as_champion,
)

# Columns whose value the erasure changes on purpose although the registry keeps them: ending
# the person's roles and cancelling their unfinished assignments.
STATE_CHANGES = {("membership", "withdrawn_at"), ("membership", "withdrawal_reason"),
                 ("assignment", "cancelled_at")}


@pytest.fixture
def world(session) -> World:
    return build_world(session)


@pytest.fixture
def erasable(session, world: World) -> World:
    """The world once the subject has been withdrawn as a champion, as erasure requires."""
    withdraw_as_champion(session, world)
    return world


def footprint_rows(session, person: User) -> dict[str, dict[object, tuple[set[Role], dict]]]:
    """Every row tied to the person: table → key → (how they are linked, the row's values)."""
    footprint = find_footprint(session, person)
    result = {}
    for name, links in footprint.rows.items():
        table = Base.metadata.tables[name]
        (key,) = table.primary_key.columns
        rows = session.execute(select(table).where(key.in_(list(links)))).mappings()
        result[name] = {row[key.name]: (links[row[key.name]], dict(row)) for row in rows}
    return result


def read_zip(data: bytes) -> tuple[dict, dict[str, list[dict]], dict[str, str]]:
    archive = zipfile.ZipFile(io.BytesIO(data))
    texts = {name: archive.read(name).decode("utf-8") for name in archive.namelist()}
    document = json.loads(texts["personal-data.json"])
    tables = {name.removesuffix(".csv"): list(csv.DictReader(io.StringIO(text)))
              for name, text in texts.items() if name.endswith(".csv")}
    return document, tables, texts


def export(session, person: User) -> bytes:
    return subject_access_zip(session, person, now=utcnow(), scheme_name="Workplace Champions",
                              retention=Config.RETENTION)


def expected_value(table: str, column: str, rule: Personal, value: object,
                   person: User) -> object | None:
    if value is not None and rule.export == Export.WITHHELD:
        return WITHHELD
    link = REGISTRY[table].links.get(column)
    if link is not None and link.match == Match.USER_ID and value != person.id:
        return None  # someone else's id on the same record: left out
    if link is not None and link.match == Match.USER_ID:
        return "you"
    return _plain(value)


def is_internal(table: str, column: str) -> bool:
    (key,) = Base.metadata.tables[table].primary_key.columns
    return column == key.name or (table, column) in INTERNAL_COLUMNS


def is_reference(table: str, column: str) -> bool:
    """A column naming another record (not a person): shown by that record's name."""
    columns = Base.metadata.tables[table].c
    if column not in columns:
        return False
    targets = {fk.column.table.name for fk in columns[column].foreign_keys}
    return bool(targets) and targets != {"user_account"}


def test_the_world_reaches_every_registered_link(session, world: World) -> None:
    """Every link of every table finds rows of the subject, so the tests below cover them all."""
    footprint = find_footprint(session, world.subject)
    links = {(table, column) for table, entry in linked_tables().items()
             for column in entry.links}
    assert {key for key, count in footprint.found.items() if count} == links


def test_priv_02_export_holds_every_registered_personal_column(session, world: World) -> None:
    before = footprint_rows(session, world.subject)
    document, csv_tables, _ = read_zip(export(session, world.subject))
    tables = document["tables"]
    assert set(tables) == set(linked_tables()) == set(csv_tables)
    checked = 0
    for table, column, rule in personal_columns():
        rows = [values for roles, values in before.get(table, {}).values() if rule.of in roles]
        if not rows:
            continue
        exported = [row for row in tables[table]
                    if rule.of in _roles(row["connection"])]
        assert len(exported) == len(rows), f"{table} ({rule.of})"
        checked += 1
        if is_internal(table, column):  # an id that means nothing outside the portal
            assert all(shown_as(column) not in row for row in exported), f"{table}.{column}"
            continue
        if is_reference(table, column) or (table, column) in READABLE:
            continue  # shown by name: test_priv_02_export_is_readable
        wanted = sorted(json.dumps(expected_value(table, column, rule, row[column],
                                                  world.subject), default=str) for row in rows)
        got = sorted(json.dumps(row.get(shown_as(column)), default=str) for row in exported)
        assert got == wanted, f"{table}.{column}"
    assert checked >= 60  # nearly every personal column has a row for the subject


# Columns shown through a translation (texts for keys): checked by the readability test.
READABLE = {("quiz_attempt", "drawn"), ("quiz_attempt", "selected"),
            ("reminder", "reference")}


def test_priv_02_export_is_readable(session, world: World) -> None:
    """PRIV-02: organisations, sites, courses, modules, policy elements and documents by name,
    questions and answers by their text; no internal ids, request ids or hashes anywhere."""
    document, csv_tables, texts = read_zip(export(session, world.subject))
    tables = document["tables"]
    assert "person_id" not in document
    membership = next(row for row in tables["membership"] if row["role"] == "champion")
    assert membership["organisation"] == world.champion_org.name and membership["user"] == "you"
    assert membership["site"] == "Head office"
    # Their own certificate by course; the one they revoked shows only what they did.
    assert {row["course"] for row in tables["certificate"] if "course" in row} \
        == {"Basics course"}
    assert {row["module"] for row in tables["module_completion"]} == {"First module",
                                                                      "Second module"}
    attempt = next(row for row in tables["quiz_attempt"] if row["status"] == "submitted")
    assert attempt["module_version"] == "First module (version 1)"
    assert attempt["drawn"][0] == {"question": "Which colour is the sky on a clear day?",
                                   "answers shown": ["Green", "Blue"]}
    assert {"question": "The sun rises in the east.", "your answers": ["True"]} \
        in attempt["selected"]
    element = tables["policy_element_record"][0]
    assert element["policy_element"] == "Written policy approved by leadership"
    assert element["document"] == "policy.pdf"
    assert all("reference" not in row for row in tables["reminder"])  # "assignment:1"
    for table, rows in tables.items():
        for row in rows:
            for key, value in row.items():
                assert key != "id" and not key.endswith("_id"), (table, key)
                assert key not in ("request", "dedupe_key", "target", "public"), (table, key)
                if is_reference(table, key + "_id") and value is not None:
                    assert isinstance(value, str) and not value.isdigit(), (table, key, value)
    everything = "\n".join(texts.values())
    hashes = [hash_token("s1"), hash_token("s2"), "1" * 64, "0" * 64,
              *session.scalars(select(ModuleVersion.content_hash))]
    for secret in (world.subject.password_hash, *hashes):
        assert secret not in everything, secret
    header = texts["membership.csv"].splitlines()[0]
    assert header.startswith("Connection,User,Organisation,Role,Site,Created at")
    assert {row["Organisation"] for row in csv_tables["membership"]} == {
        world.champion_org.name, world.lead_org.name}


def _roles(connection: str) -> set[Role]:
    roles = set()
    if "about you" in connection:
        roles.add(Role.SUBJECT)
    if "done by you" in connection:
        roles.add(Role.ACTOR)
    return roles


def test_priv_02_csv_files_hold_the_same_rows_as_the_json(session, world: World) -> None:
    document, csv_tables, texts = read_zip(export(session, world.subject))
    for table, rows in document["tables"].items():
        assert len(csv_tables[table]) == len(rows), table
        for json_row, csv_row in zip(rows, csv_tables[table], strict=True):
            for column, value in json_row.items():
                if isinstance(value, str | int) and not isinstance(value, bool):
                    assert csv_row[_heading(column)].removeprefix("'") == str(value), \
                        (table, column)
    assert "README.txt" in texts
    about = document["about_the_data"]["user_account"]["email"]
    assert about["category"] == "contact" and about["retention"] in Config.RETENTION


def test_priv_02_export_holds_nobody_elses_data(session, world: World) -> None:
    _, _, texts = read_zip(export(session, world.subject))
    everything = "\n".join(texts.values()).lower()
    for secret in (OTHER_EMAIL, OTHER_NAME, "argon2", "Porter", "o1"):
        assert secret.lower() not in everything.replace("porters", ""), secret
    document = json.loads(texts["personal-data.json"])
    for table, rows in document["tables"].items():
        for row in rows:
            for column, link in REGISTRY[table].links.items():
                if link.match == Match.USER_ID and shown_as(column) in row:
                    assert row[shown_as(column)] == "you", (table, column)


def test_priv_02_export_shows_secrets_only_as_stored(session, world: World) -> None:
    document, _, texts = read_zip(export(session, world.subject))
    assert document["tables"]["user_account"][0]["password_hash"] == WITHHELD
    assert world.subject.password_hash not in texts["personal-data.json"]
    assert "token_hash" not in texts["invitation.csv"].splitlines()[0]


@pytest.mark.parametrize("text", [
    "=HYPERLINK(\"http://x\")", "+1", "-1+2", "@SUM(A1)", "\t=1", "\r=1",
    "  =HYPERLINK(\"http://x\")",  # leading spaces: spreadsheets trim them and run the rest
    "\uff1dHYPERLINK(\"http://x\")", "\uff0b1", "\uff0d1", "\uff20SUM(A1)",  # full-width signs
])
def test_csv_cells_never_start_a_formula(text: str) -> None:
    """CSV-01: the subject access export neutralises cells with the function every other
    export uses (exports.neutralise), so a name like =HYPERLINK(...) is shown as text."""
    assert _cell(text) == neutralise(text) == "'" + text


def test_csv_cells_that_are_not_formulas_are_kept() -> None:
    assert _cell({"a": 1}) == '{"a": 1}' and _cell(None) == "" and _cell(3) == "3"
    assert _cell("Harbour Lights Ltd") == "Harbour Lights Ltd"


def test_csv_01_a_formula_in_the_subject_access_export_is_neutralised(session,
                                                                      world: World) -> None:
    """CSV-01: a job title typed with a leading space and a full-width equals sign arrives in
    the person's CSV as text."""
    hostile = " \uff1dHYPERLINK(\"http://evil.example\")"
    for membership in world.subject.memberships:
        membership.job_title = hostile
    session.commit()
    _, csv_tables, _ = read_zip(export(session, world.subject))
    assert {row["Job title"] for row in csv_tables["membership"]} == {"'" + hostile}


def snapshot_of(session, person: User) -> dict:
    session.expire_all()
    return footprint_rows(session, person)


def test_priv_03_erasure_handles_every_registered_column(session, erasable: World) -> None:
    coordinator = make_user(session, is_coordinator=True)
    before = snapshot_of(session, erasable.subject)
    erase_person(session, erasable.subject, actor=coordinator, now=utcnow())
    session.commit()
    session.expire_all()
    placeholder = placeholder_of(session, erasable.subject)
    for table, column, rule in personal_columns():
        if (table, column) in detached_links():
            check_detached(session, table, column, before, erasable.subject, placeholder)
            continue
        cls_table = Base.metadata.tables[table]
        (key,) = cls_table.primary_key.columns
        for row_key, (roles, old) in before.get(table, {}).items():
            if rule.of not in roles:
                continue
            new = session.execute(select(cls_table).where(key == row_key)).mappings().first()
            check_erased(table, column, rule, old, new)


def detached_links() -> set[tuple[str, str]]:
    """Links by user id to the rows about a person that erasure moves to a placeholder."""
    return {(table, column) for table, column, rule in personal_columns()
            if rule.erasure == Erasure.DETACH}


def placeholder_of(session, person: User) -> User:
    """The account the erased person's kept records were moved to (the only other erased one
    in these tests)."""
    (placeholder,) = session.scalars(select(User).where(User.erased_at.is_not(None),
                                                        User.id != person.id)).all()
    return placeholder


def check_detached(session, table: str, column: str, before: dict, person: User,
                   placeholder: User) -> None:
    """Rows the registry keeps now point at the placeholder; deleted ones are gone."""
    cls_table = Base.metadata.tables[table]
    (key,) = cls_table.primary_key.columns
    for row_key, (roles, old) in before.get(table, {}).items():
        if Role.SUBJECT not in roles or old[column] != person.id:
            continue
        new = session.execute(select(cls_table).where(key == row_key)).mappings().first()
        if new is not None:
            assert new[column] == placeholder.id, f"{table}.{column}"


def check_erased(table: str, column: str, rule: Personal, old: dict, new: object) -> None:
    where = f"{table}.{column}"
    if rule.erasure == Erasure.DELETE_ROW:
        assert new is None, where
        return
    assert new is not None, where
    if rule.erasure == Erasure.CLEAR:
        assert new[column] is None, where
    elif rule.erasure == Erasure.REPLACE and callable(rule.placeholder):
        assert new[column] != old[column], where
    elif rule.erasure == Erasure.REPLACE:
        assert new[column] == rule.placeholder, where
    elif (table, column) in STATE_CHANGES:
        assert new[column] is not None, where
    else:
        assert new[column] == old[column], where


def text_columns() -> list[sa.Column]:
    return [column for table in Base.metadata.sorted_tables for column in table.columns
            if isinstance(column.type, sa.String | sa.Text | sa.JSON)]


def find_anywhere(session, needles: list[str]) -> list[str]:
    """Every table and column where any of the strings appears (PRIV-03 "search all tables")."""
    hits = []
    for column in text_columns():
        values = session.scalars(select(column).where(column.is_not(None))).all()
        for value in values:
            text = json.dumps(value) if not isinstance(value, str) else value
            hits += [f"{column.table.name}.{column.name}: {needle}" for needle in needles
                     if needle.lower() in text.lower()]
    return hits


def test_priv_03_after_erasure_their_email_and_name_are_nowhere(session, erasable: World) -> None:
    needles = [SUBJECT_EMAIL, SUBJECT_NAME, *SUBJECT_NAME.replace("-", " ").split(),
               "Ward clerk"]
    assert find_anywhere(session, needles)  # the search does find them beforehand
    erase_person(session, erasable.subject, actor=make_user(session, is_coordinator=True),
                 now=utcnow())
    session.commit()
    assert find_anywhere(session, needles) == []
    assert find_anywhere(session, [OTHER_EMAIL, OTHER_NAME])  # other people's data stays


def test_priv_03_erasure_keeps_the_scheme_figures(session, erasable: World) -> None:
    before = scheme_figures(session)
    assert before["trained_champions"] and before["completions"]
    erase_person(session, erasable.subject, actor=make_user(session, is_coordinator=True),
                 now=utcnow())
    session.commit()
    after = scheme_figures(session)
    # The coordinator made for the test, and the placeholder the records were moved to (an
    # erased account: no figure of people counts erased accounts).
    before["people"] = [(before["people"][0][0] + 2,)]
    assert after == before


def user_links() -> list[tuple[str, str]]:
    """Every column of every table that holds a user id (a foreign key to user_account)."""
    return [(table.name, column.name) for table in Base.metadata.sorted_tables
            for column in table.columns
            if any(fk.column.table.name == "user_account" for fk in column.foreign_keys)]


def test_priv_03_after_erasure_no_row_can_be_joined_back_to_the_person(session,
                                                                      erasable: World) -> None:
    """PRIV-03, acceptance: walking the privacy registry, no row about the erased person (a
    role, an invitation they accepted, an assignment, a quiz attempt, a completion, a
    certificate, an audit event about those) stays tied to their account; the records move to
    a placeholder account that no row ties back to theirs, so the figures keep them."""
    subject = erasable.subject
    moved = {table: tied_to(session, table, column, subject)
             for table, column in detached_links()}
    assert moved["membership"] and moved["quiz_attempt"] and moved["module_completion"]
    assert moved["certificate"] and moved["assignment"] and moved["invitation"]
    accepted = session.scalar(select(Invitation).where(Invitation.accepted_by_id == subject.id))
    acceptance = record_event(session, "invitation.accepted", actor=subject, target=accepted,
                              organisation=accepted.organisation)  # as the join flow does
    erase_person(session, subject, actor=make_user(session, is_coordinator=True), now=utcnow())
    session.commit()
    session.expire_all()
    after = find_footprint(session, subject)
    # 1. Walking the registry from the erased account finds only the account itself and the
    # audit events about the account (its erasure, views of it): no role, no training.
    about = {table for table in after.rows if after.keys(table, Role.SUBJECT)}
    assert about == {"user_account", "audit_event"}, about
    events = session.scalars(select(AuditEvent).where(
        AuditEvent.id.in_(after.keys("audit_event", Role.SUBJECT)))).all()
    assert {(event.target_type, event.target_id) for event in events} == {("user", subject.id)}
    # 2. The placeholder has every kept record, and walking from it reaches nothing of theirs.
    placeholder = placeholder_of(session, subject)
    theirs = find_footprint(session, placeholder)
    for table, column in detached_links():
        assert tied_to(session, table, column, placeholder) == moved[table], table
        assert tied_to(session, table, column, subject) == 0, table
    assert theirs.keys("audit_event", Role.ACTOR) == [acceptance.id]  # moved with the invitation
    # 3. No row anywhere holds both accounts' ids, and nothing the erased account did was done
    # to a record about the placeholder.
    for table, column in user_links():
        columns = Base.metadata.tables[table].c
        others = [other for other_table, other in user_links() if other_table == table]
        for other in others:
            both = session.scalar(select(sa.func.count()).select_from(columns[column].table)
                                  .where(columns[column] == subject.id,
                                         columns[other] == placeholder.id))
            assert both == 0, (table, column, other)
    by_them = session.scalars(select(AuditEvent).where(AuditEvent.actor_id == subject.id)).all()
    placeholder_rows = {(mapped_class_name(table), key) for table in theirs.rows
                        for key in theirs.keys(table, Role.SUBJECT)}
    assert not [event.action for event in by_them
                if (event.target_type, event.target_id) in placeholder_rows]
    # 4. The placeholder's own row carries nothing of the erased account's.
    erased = session.get(User, subject.id)
    assert placeholder.full_name == "Erased person" and not placeholder.is_active
    assert placeholder.password_hash is None and placeholder.email.endswith(ERASED_DOMAIN)
    assert placeholder.created_at != erased.created_at
    assert placeholder.erased_at != erased.erased_at


def tied_to(session, table: str, column: str, person: User) -> int:
    columns = Base.metadata.tables[table].c
    return session.scalar(select(sa.func.count()).select_from(columns[column].table)
                          .where(columns[column] == person.id))


def mapped_class_name(table: str) -> str:
    return next(m.class_ for m in Base.registry.mappers
                if m.local_table.name == table).__name__.lower()


def test_priv_03_other_peoples_rows_are_untouched(session, erasable: World) -> None:
    coordinator = make_user(session, is_coordinator=True)
    session.commit()
    before = about(snapshot_of(session, erasable.other))
    erase_person(session, erasable.subject, actor=coordinator, now=utcnow())
    session.commit()
    assert about(snapshot_of(session, erasable.other)) == before


def about(snapshot: dict) -> dict:
    """The rows about the person (not those recording what they did to someone else)."""
    return {table: {key: values for key, (roles, values) in rows.items() if Role.SUBJECT in roles}
            for table, rows in snapshot.items()}


def test_priv_03_the_account_is_locked_and_the_audit_notes_only_the_fact(session,
                                                                         erasable: World) -> None:
    coordinator = make_user(session, is_coordinator=True)
    subject = erasable.subject
    version = subject.session_version
    erase_person(session, subject, actor=coordinator, now=utcnow())
    session.commit()
    assert subject.full_name == "Erased person"
    assert subject.email == f"erased-user-account-{subject.id}@{ERASED_DOMAIN}"
    assert subject.password_hash is None and not subject.is_active
    assert subject.session_version == version + 1 and subject.erased_at is not None
    assert all(m.withdrawn_at is not None for m in subject.memberships)
    assert session.scalar(select(sa.func.count()).select_from(Invitation).where(
        Invitation.accepted_at.is_(None), Invitation.revoked_at.is_(None),
        Invitation.email.like(f"%{ERASED_DOMAIN}"))) == 0
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "person.erased"))
    assert (event.actor_id, event.target_type, event.target_id, event.details) == (
        coordinator.id, "user", subject.id, {"reason": "request"})
    ended = session.scalars(select(AuditEvent.organisation_id).where(
        AuditEvent.action == "membership.ended")).all()
    assert ended == [erasable.lead_org.id]  # the champion role was withdrawn beforehand


def test_priv_03_erasing_twice_or_yourself_is_refused(session, erasable: World) -> None:
    coordinator = make_user(session, is_coordinator=True)
    with pytest.raises(OwnAccountError):
        erase_person(session, coordinator, actor=coordinator, now=utcnow())
    erase_person(session, erasable.subject, actor=coordinator, now=utcnow())
    with pytest.raises(AlreadyErasedError):
        erase_person(session, erasable.subject, actor=coordinator, now=utcnow())


def test_export_values_are_plain_json() -> None:
    assert _plain(datetime(2026, 1, 2, 3, 4, tzinfo=None)) == "2026-01-02T03:04:00"
    assert _plain(uuid.UUID(int=1)) == "00000000-0000-0000-0000-000000000001"


def test_priv_03_a_serving_champion_is_withdrawn_before_erasure(session, world: World) -> None:
    """Erasure changes no figure, so a current champion role ends first, with its reason."""
    coordinator = make_user(session, is_coordinator=True)
    session.commit()
    before = snapshot_of(session, world.subject)
    with pytest.raises(StillAChampionError):
        erase_person(session, world.subject, actor=coordinator, now=utcnow())
    session.rollback()
    assert snapshot_of(session, world.subject) == before
    assert not world.subject.is_erased


def test_priv_03_erasure_leaves_the_coordinator_dashboard_unchanged(session,
                                                                     erasable: World) -> None:
    """Acceptance (#9): every total and breakdown of the dashboard, compared before and after
    erasing a (withdrawn) champion who holds a certificate."""
    now = utcnow()
    coordinator = make_user(session, is_coordinator=True)
    session.commit()
    before = monitoring.dashboard(session, Filters(), now)
    # The other champion's certificate; the subject's no longer counts once they left (issue
    # 17: completions are those of the champions the headline counts).
    assert sum(month.completions.value for month in before.months) == 1
    assert before.headline.champions.value == 1  # the other champion, still serving
    erase_person(session, erasable.subject, actor=coordinator, now=now)
    session.commit()
    session.expire_all()
    assert monitoring.dashboard(session, Filters(), now) == before
