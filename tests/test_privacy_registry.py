"""PRIV-01: every column of every table is classified in the privacy registry.

A new column, or a new table, fails here until it is registered as personal data (with its
category, purpose, retention rule, export and erasure) or as not personal (with the reason).
"""

from __future__ import annotations

import pytest

from config import Config
from portal.models import Base
from portal.privacy_registry import (
    REGISTRY,
    Erasure,
    Link,
    Match,
    NotPersonal,
    Personal,
    Role,
    personal_columns,
)


def all_columns() -> set[tuple[str, str]]:
    return {(table.name, column.name) for table in Base.metadata.sorted_tables
            for column in table.columns}


def registered_columns() -> set[tuple[str, str]]:
    return {(table, column) for table, entry in REGISTRY.items() for column in entry.columns}


def test_priv_01_every_column_of_every_table_is_classified() -> None:
    missing = sorted(all_columns() - registered_columns())
    assert missing == [], (
        "Register these columns in portal/privacy_registry.py as Personal(...) or "
        f"NotPersonal(...): {missing}")


def test_priv_01_the_registry_names_only_real_columns() -> None:
    assert sorted(registered_columns() - all_columns()) == []


def test_priv_01_every_column_that_points_at_a_person_is_a_registered_link() -> None:
    """A foreign key to user_account ties a row to a person: export and erasure must know."""
    unlinked = sorted(
        (table.name, column.name) for table in Base.metadata.sorted_tables
        for column in table.columns
        if any(fk.column.table.name == "user_account" for fk in column.foreign_keys)
        and column.name not in REGISTRY[table.name].links)
    assert unlinked == []


def test_priv_01_every_link_column_is_personal_data() -> None:
    for table, entry in REGISTRY.items():
        for column, link in entry.links.items():
            assert isinstance(link, Link)
            assert isinstance(entry.columns.get(column), Personal), (table, column)


@pytest.mark.parametrize(("table", "column", "rule"), personal_columns(),
                         ids=[f"{t}.{c}" for t, c, _ in personal_columns()])
def test_priv_01_each_personal_column_has_purpose_retention_and_handling(
        table: str, column: str, rule: Personal) -> None:
    assert rule.purpose.strip()
    assert rule.retention in Config.RETENTION, f"{table}.{column}: unknown retention rule"
    assert rule.of in {link.role for link in REGISTRY[table].links.values()}, (
        f"{table}.{column} belongs to the {rule.of} of its row, but no link says who that is")
    if rule.erasure == Erasure.REPLACE:
        assert rule.placeholder is not None


def test_priv_01_a_row_is_either_deleted_or_kept_for_each_kind_of_link() -> None:
    """Deleting a row and keeping some of its personal columns would be contradictory."""
    for table, entry in REGISTRY.items():
        for role in Role:
            erasures = {rule.erasure for rule in entry.columns.values()
                        if isinstance(rule, Personal) and rule.of == role}
            assert Erasure.DELETE_ROW not in erasures or erasures == {Erasure.DELETE_ROW}, table


def test_priv_03_only_links_to_the_person_a_row_is_about_are_detached() -> None:
    """Erasure moves a kept row to a placeholder account through the column holding the id of
    the person it is about; nothing else can be moved that way."""
    detached = [(table, column) for table, column, rule in personal_columns()
                if rule.erasure == Erasure.DETACH]
    assert ("quiz_attempt", "user_id") in detached and ("membership", "user_id") in detached
    for table, column in detached:
        link = REGISTRY[table].links.get(column)
        assert link is not None and link.role == Role.SUBJECT, (table, column)
        assert link.match == Match.USER_ID and table != "user_account", (table, column)


def test_priv_01_linked_tables_have_a_single_column_key() -> None:
    for table in (name for name, entry in REGISTRY.items() if entry.links):
        assert len(Base.metadata.tables[table].primary_key.columns) == 1, table


def test_priv_01_email_and_name_columns_are_personal_unless_explained() -> None:
    """Columns called email or *_name are personal, except where the reason says whose they are
    (a support service's public e-mail, an organisation's name)."""
    for table, entry in REGISTRY.items():
        for column, rule in entry.columns.items():
            if column in ("email", "to_address", "full_name") or column.endswith("_name"):
                assert isinstance(rule, Personal) or (
                    isinstance(rule, NotPersonal) and len(rule.reason) > 20), (table, column)


def test_audit_targets_and_drafts_are_matched_specially() -> None:
    matches = {link.match for entry in REGISTRY.values() for link in entry.links.values()}
    assert matches == set(Match)
