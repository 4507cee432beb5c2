"""Counting the SQL statements a piece of work sends, with an engine event listener."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa


class StatementLog:
    """The statements seen while the `count_statements` block ran, in order."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    def __len__(self) -> int:
        return len(self.statements)

    @property
    def count(self) -> int:
        return len(self.statements)


@contextmanager
def count_statements(engine: sa.Engine) -> Iterator[StatementLog]:
    """Record every statement the engine sends to the database inside the block.

    Transaction control (BEGIN/COMMIT/ROLLBACK, SAVEPOINT) is not a cursor execution, so it is
    not counted; an executemany counts once, as it is one round of work for the driver.
    """
    log = StatementLog()

    def record(_conn: object, _cursor: object, statement: str, *_rest: object) -> None:
        log.statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield log
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
