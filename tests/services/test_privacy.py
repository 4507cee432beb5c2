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
from portal.models import AuditEvent, Base, Invitation, User, utcnow
from portal.privacy import (
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
from portal.services.monitoring import Filters
from portal.services.privacy import (
    WITHHELD,
    AlreadyErasedError,
    OwnAccountError,
    StillAChampionError,
    _cell,
    _plain,
    erase_person,
    find_footprint,
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
    return _plain(value)


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
        wanted = sorted(json.dumps(expected_value(table, column, rule, row[column],
                                                  world.subject), default=str) for row in rows)
        got = sorted(json.dumps(row.get(column), default=str) for row in exported)
        assert got == wanted, f"{table}.{column}"
        checked += 1
    assert checked >= 60  # nearly every personal column has a row for the subject


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
                    assert csv_row[column].removeprefix("'") == str(value), (table, column)
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
                if link.match == Match.USER_ID and column in row:
                    assert row[column] == world.subject.id, (table, column)


def test_priv_02_export_shows_secrets_only_as_stored(session, world: World) -> None:
    document, _, texts = read_zip(export(session, world.subject))
    assert document["tables"]["user_account"][0]["password_hash"] == WITHHELD
    assert world.subject.password_hash not in texts["personal-data.json"]
    assert "token_hash" not in texts["invitation.csv"].splitlines()[0]


def test_csv_cells_never_start_a_formula() -> None:
    """CSV-01: a name like =HYPERLINK(...) is shown as text in a spreadsheet."""
    assert _cell("=HYPERLINK(\"http://x\")").startswith("'=")
    assert _cell("+1") == "'+1" and _cell("@SUM(A1)") == "'@SUM(A1)"
    assert _cell({"a": 1}) == '{"a": 1}' and _cell(None) == "" and _cell(3) == "3"


def snapshot_of(session, person: User) -> dict:
    session.expire_all()
    return footprint_rows(session, person)


def test_priv_03_erasure_handles_every_registered_column(session, erasable: World) -> None:
    coordinator = make_user(session, is_coordinator=True)
    before = snapshot_of(session, erasable.subject)
    erase_person(session, erasable.subject, actor=coordinator, now=utcnow())
    session.commit()
    session.expire_all()
    for table, column, rule in personal_columns():
        cls_table = Base.metadata.tables[table]
        (key,) = cls_table.primary_key.columns
        for row_key, (roles, old) in before.get(table, {}).items():
            if rule.of not in roles:
                continue
            new = session.execute(select(cls_table).where(key == row_key)).mappings().first()
            check_erased(table, column, rule, old, new)


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
    before["people"] = [(before["people"][0][0] + 1,)]  # the coordinator made for the test
    assert after == before


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
