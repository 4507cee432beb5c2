"""Small SQL functions that PostgreSQL and SQLite spell differently, for reports.

Both work on UTC: timestamps are converted to UTC before their date or month is taken.
"""

from __future__ import annotations

from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

# julianday('2000-01-01'): day numbers count from 1 January 2000.
SQLITE_EPOCH = 2451544.5


class day_number(FunctionElement):  # noqa: N801 - used like a SQL function
    """Whole days since 1 January 2000 of a date or timestamp: differences are days between."""

    type = sa.Integer()
    inherit_cache = True
    name = "day_number"


class year_month(FunctionElement):  # noqa: N801
    """"2026-11" for any date or timestamp."""

    type = sa.String()
    inherit_cache = True
    name = "year_month"


def _argument(element: FunctionElement) -> sa.ColumnElement:
    return next(iter(element.clauses))


def _pg_utc(element: FunctionElement, compiler: SQLCompiler, **kw: object) -> str:
    argument = _argument(element)
    sql = compiler.process(argument, **kw)
    return f"timezone('UTC', {sql})" if _is_timestamp(argument.type) else sql


def _is_timestamp(type_: sa.types.TypeEngine) -> bool:
    return isinstance(getattr(type_, "impl_instance", type_), sa.DateTime)


@compiles(day_number, "postgresql")
def _day_number_pg(element: day_number, compiler: SQLCompiler, **kw: object) -> str:
    return f"(CAST({_pg_utc(element, compiler, **kw)} AS DATE) - DATE '2000-01-01')"


@compiles(day_number, "sqlite")
def _day_number_sqlite(element: day_number, compiler: SQLCompiler, **kw: object) -> str:
    sql = compiler.process(_argument(element), **kw)
    return f"CAST(julianday(date({sql})) - {SQLITE_EPOCH} AS INTEGER)"


@compiles(year_month, "postgresql")
def _year_month_pg(element: year_month, compiler: SQLCompiler, **kw: object) -> str:
    return f"to_char({_pg_utc(element, compiler, **kw)}, 'YYYY-MM')"


@compiles(year_month, "sqlite")
def _year_month_sqlite(element: year_month, compiler: SQLCompiler, **kw: object) -> str:
    return f"strftime('%Y-%m', {compiler.process(_argument(element), **kw)})"


def rowcount(result: sa.Result[Any]) -> int:
    """How many rows an UPDATE or DELETE touched (Session.execute types its result loosely)."""
    return cast(sa.CursorResult[Any], result).rowcount
