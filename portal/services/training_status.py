"""Each role's training status (models/training_status.py), kept in step with its records.

The rule is written once, in `computed`: for each membership, the copies the dashboard groups
by, and from the person's records the dates its figures are compared with the clock:

- certificates of required champion courses (monitoring_filters.required_champion_courses):
  the first and last issued, revoked ones included (*ever trained*); whether one not revoked
  has no expiry date, and the latest expiry of those not revoked (*current* is "never expires,
  or expires after now": services/monitoring.py derives it at query time);
- the earliest due date of the person's pending assignments (not cancelled, not completed) in
  the membership's organisation (*overdue* is "due before today").

Every change to those records refreshes the rows of the people concerned in the same
transaction:

- changes made through the ORM (memberships, certificates, assignments, and a course's
  `required` or `audience`, which changes whose certificates count) are noted by a session hook
  at each flush;
- bulk UPDATE and INSERT statements name the people they changed with `changed(session, ids)`;
- the rows of the people noted are worked out again and written when the transaction commits
  (`settle`, also called before the dashboard reads in a session with changes of its own).

Deleting a membership (with its person or organisation) deletes its row, and deleting a site
empties its `site_id`, by the foreign keys, as for the membership itself.

Concurrency: on PostgreSQL a refresh takes a transaction-level advisory lock per person (in id
order), then works the rows out in a new statement, which sees everything committed before the
lock was granted: of two transactions changing one person's records, the second to commit
writes last and sees the first's changes. A rebuild of every row takes a lock that waits for
refreshes in flight and holds new ones back. On SQLite writers take turns (one write lock).

`differences` recounts every row from the records (`flask --app portal monitoring check`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy import Select, and_, case, event, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, SessionTransaction, UOWTransaction

from portal.models import (
    Assignment,
    Certificate,
    Course,
    Membership,
    OrgRole,
    TrainingStatus,
)

PENDING_PEOPLE = "portal.training_status.people"  # session.info: people noted, not yet written
PENDING_EVERYONE = "portal.training_status.everyone"
LOCK_CLASS = 22_001  # pg_advisory_xact_lock(LOCK_CLASS, user id): one person's rows
REBUILD_LOCK = (22_002, 0)  # shared by refreshes, exclusive for a rebuild of every row
BATCH = 5_000

COLUMNS = ("membership_id", "organisation_id", "site_id", "champion", "current", "joined_at",
           "record_key", "first_certified_at", "last_certified_at", "never_expires",
           "certified_until", "first_due_on")
SOURCE_COLUMNS = tuple(name for name in COLUMNS if name != "membership_id")


def required_champion_courses() -> Select:
    """The courses whose certificates count (the same as monitoring_filters')."""
    return select(Course.id).where(Course.required.is_(True),
                                   Course.audience.in_(("champion", "all")))


def computed(user_ids: Iterable[int] | None = None) -> Select:
    """The rows as the records say they should be, for these people's memberships (None:
    everyone's), in COLUMNS order."""
    people = None if user_ids is None else sorted(set(user_ids))
    live = Certificate.revoked_at.is_(None)
    certificates = (select(Certificate.user_id.label("user_id"),
                           func.min(Certificate.issued_at).label("first"),
                           func.max(Certificate.issued_at).label("last"),
                           func.max(case((and_(live, Certificate.expires_at.is_(None)), 1),
                                         else_=0)).label("never"),
                           func.max(case((live, Certificate.expires_at))).label("until"))
                    .where(Certificate.course_id.in_(required_champion_courses()))
                    .group_by(Certificate.user_id))
    pending = (select(Assignment.organisation_id.label("organisation_id"),
                      Assignment.user_id.label("user_id"),
                      func.min(Assignment.due_on).label("due_on"))
               .where(Assignment.cancelled_at.is_(None), Assignment.completed_at.is_(None))
               .group_by(Assignment.organisation_id, Assignment.user_id))
    # A WHERE clause always: SQLite reads "INSERT ... SELECT ... ON CONFLICT" as a join without.
    condition = Membership.id.is_not(None)
    if people is not None:
        certificates = certificates.where(Certificate.user_id.in_(people))
        pending = pending.where(Assignment.user_id.in_(people))
        condition = Membership.user_id.in_(people)
    c, p = certificates.subquery("certified"), pending.subquery("pending")
    return (select(Membership.id, Membership.organisation_id, Membership.site_id,
                   Membership.role == OrgRole.CHAMPION, Membership.withdrawn_at.is_(None),
                   Membership.created_at, Membership.record_key, c.c.first, c.c.last,
                   func.coalesce(c.c.never, 0) == 1, c.c.until, p.c.due_on)
            .select_from(Membership)
            .outerjoin(c, c.c.user_id == Membership.user_id)
            .outerjoin(p, and_(p.c.user_id == Membership.user_id,
                               p.c.organisation_id == Membership.organisation_id))
            .where(condition))


def _upsert(session: Session, source: Select) -> None:
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = cast(sa.Table, TrainingStatus.__table__)
    statement = insert(table).from_select(list(COLUMNS), source)
    session.execute(statement.on_conflict_do_update(
        index_elements=[table.c.membership_id],
        set_={name: statement.excluded[name] for name in SOURCE_COLUMNS},
        where=sa.or_(*(table.c[name].is_distinct_from(statement.excluded[name])
                       for name in SOURCE_COLUMNS))))


def _is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def refresh(session: Session, user_ids: Iterable[int]) -> None:
    """Work these people's rows out again from their records and write them, now."""
    people = sorted(set(user_ids))
    for start in range(0, len(people), BATCH):
        batch = people[start:start + BATCH]
        if _is_postgres(session):
            session.execute(sa.text(
                "SELECT pg_advisory_xact_lock_shared(:rebuild_class, :rebuild_id), "
                "pg_advisory_xact_lock(:class, person) "
                "FROM unnest(CAST(:people AS integer[])) WITH ORDINALITY AS p(person, n) "
                "ORDER BY n"),
                {"rebuild_class": REBUILD_LOCK[0], "rebuild_id": REBUILD_LOCK[1],
                 "class": LOCK_CLASS, "people": batch})
        _upsert(session, computed(batch))


def rebuild(session: Session) -> None:
    """Work every row out again (the migration's backfill, the scale seeder, a course that
    starts or stops counting, and `monitoring check --repair`)."""
    if _is_postgres(session):
        session.execute(sa.text("SELECT pg_advisory_xact_lock(:class, :id)"),
                        {"class": REBUILD_LOCK[0], "id": REBUILD_LOCK[1]})
    _upsert(session, computed())


# --- What the figures compare with the clock -------------------------------------------------

def certified_at(moment: datetime) -> sa.ColumnElement[bool]:
    """A current certification at `moment` (Certificate.is_current_at, for any one of them)."""
    return sa.or_(TrainingStatus.never_expires.is_(True), TrainingStatus.certified_until > moment)


def overdue_on(today: date) -> sa.ColumnElement[bool]:
    """A pending assignment in the organisation due before `today`."""
    return TrainingStatus.first_due_on < today


# --- Noting changes and writing them at commit ----------------------------------------------

def changed(session: Session, user_ids: Iterable[int | None]) -> None:
    """These people's records changed by a statement the session hook does not see (a bulk
    UPDATE or INSERT): their rows are written again before the transaction commits."""
    people = {user_id for user_id in user_ids if user_id is not None}
    if people:
        session.info.setdefault(PENDING_PEOPLE, set()).update(people)


def changed_everyone(session: Session) -> None:
    session.info[PENDING_EVERYONE] = True


def settle(session: Session) -> None:
    """Write the rows of everyone noted so far in this transaction (and flush first)."""
    session.flush()
    everyone = session.info.pop(PENDING_EVERYONE, False)
    people = session.info.pop(PENDING_PEOPLE, set())
    if everyone:
        rebuild(session)
    elif people:
        refresh(session, people)


def _watched_people(session: Session) -> set[int | None]:
    people: set[int | None] = set()
    for instance in (*session.new, *session.dirty, *session.deleted):
        if isinstance(instance, Membership | Certificate | Assignment):
            people.add(instance.user_id)
            people.update(_previous(instance, "user_id"))
        elif isinstance(instance, Course) and _course_counts_differently(instance):
            changed_everyone(session)
    return people


def _previous(instance: object, attribute: str) -> list[Any]:
    history = sa.inspect(instance).attrs[attribute].history
    return list(history.deleted or ())


def _course_counts_differently(course: Course) -> bool:
    state = sa.inspect(course)
    if state.deleted or state.was_deleted:
        return True
    return bool(state.attrs.required.history.deleted or state.attrs.audience.history.deleted)


@event.listens_for(Session, "after_flush")
def _note_flushed_changes(session: Session, _context: UOWTransaction) -> None:
    """What the flush wrote (ids assigned, the collections and history not yet reset)."""
    changed(session, _watched_people(session))


@event.listens_for(Session, "before_commit")
def _settle_before_commit(session: Session) -> None:
    settle(session)


@event.listens_for(Session, "after_transaction_end")
def _forget_at_the_end(session: Session, transaction: SessionTransaction) -> None:
    """Rolled back (or committed, written already): nothing is left to write."""
    if transaction.parent is None:
        session.info.pop(PENDING_PEOPLE, None)
        session.info.pop(PENDING_EVERYONE, None)


# --- The recount ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Difference:
    membership_id: int
    stored: tuple | None  # None: no row stored
    expected: tuple | None  # None: a row stored for no membership


def differences(session: Session) -> list[Difference]:
    """Every row that differs from a full recount of the records (none, when all is well)."""
    session.flush()
    expected = {row[0]: tuple(row[1:]) for row in session.execute(computed())}
    stored = {row[0]: tuple(row[1:]) for row in session.execute(
        select(*(TrainingStatus.__table__.c[name] for name in COLUMNS)))}
    return [Difference(key, stored.get(key), expected.get(key))
            for key in sorted(expected.keys() | stored.keys())
            if _normal(stored.get(key)) != _normal(expected.get(key))]


def _normal(row: tuple | None) -> tuple | None:
    """Booleans as SQLite returns them from an expression (0/1) compare equal to True/False."""
    return None if row is None else tuple(
        bool(value) if isinstance(value, bool | int) and index in (2, 3, 8) else value
        for index, value in enumerate(row))
