"""Query-string filters of the coordinators' pages, read with GOV.UK error messages.

The dashboard, the organisations list and the exports take the same filters
(`services.monitoring_filters.Filters`); the organisations list adds a name or number, a status
and a sort order (`services.organisation_search.OrganisationSearch`). Reading them from a request's
arguments, and saying what is wrong with a date typed by hand, belongs here, not to the services.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import TypeVar

from portal.forms.base import search_text
from portal.models import Borough, SchemeStatus, Sector, Tier
from portal.services.monitoring_filters import Filters, SizeBand
from portal.services.organisation_search import MAX_PAGE, OrganisationSearch, Sort

DATE_FIELDS = {"from": "Applied from", "to": "Applied to"}
E = TypeVar("E", bound=enum.Enum)


@dataclass(frozen=True)
class FilterInput:
    """Filters read from a request, any errors by field id, and what was typed (to show again)."""

    filters: Filters
    errors: dict[str, str] = field(default_factory=dict)
    raw: dict[str, str] = field(default_factory=dict)


def _choice(kind: type[E], value: str | None) -> E | None:
    try:
        return kind(value) if value else None
    except ValueError:
        return None  # a hand-edited URL: ignore the filter rather than fail


def parse_filters(args: Mapping[str, str]) -> FilterInput:
    raw = {key: str(args.get(key, ""))[:40].strip()
           for key in ("borough", "sector", "size", "tier",
                       *(f"{p}-{part}" for p in DATE_FIELDS for part in ("day", "month", "year")))}
    errors: dict[str, str] = {}
    dates = {prefix: _parse_date(prefix, raw, errors) for prefix in DATE_FIELDS}
    if dates["from"] and dates["to"] and dates["to"] < dates["from"]:
        errors["to-day"] = "Applied to must be the same as or after applied from"
        dates["to"] = None
    filters = Filters(borough=_choice(Borough, raw["borough"]),
                      sector=_choice(Sector, raw["sector"]),
                      size_band=_choice(SizeBand, raw["size"]), tier=_choice(Tier, raw["tier"]),
                      applied_from=dates["from"], applied_to=dates["to"])
    return FilterInput(filters, errors, raw)


def _parse_date(prefix: str, raw: dict[str, str], errors: dict[str, str]) -> date | None:
    label = DATE_FIELDS[prefix]
    parts = {part: raw[f"{prefix}-{part}"] for part in ("day", "month", "year")}
    if not any(parts.values()):
        return None
    missing = [part for part, value in parts.items() if not value]
    if missing:
        errors[f"{prefix}-{missing[0]}"] = f"{label} must include a {' and '.join(missing)}"
        return None
    try:
        if not all(value.isascii() and value.isdigit() for value in parts.values()):
            raise ValueError
        day = date(int(parts["year"]), int(parts["month"]), int(parts["day"]))
    except ValueError:
        errors[f"{prefix}-day"] = f"{label} must be a real date"
        return None
    if not 2000 <= day.year <= 2100:
        errors[f"{prefix}-year"] = f"{label} must be a real date"
        return None
    return day


def parse_search(args: Mapping[str, str]) -> tuple[OrganisationSearch, FilterInput]:
    """The search in a request's arguments; unknown choices are ignored rather than refused."""
    parsed = parse_filters(args)
    status, sort = str(args.get("status", "")), str(args.get("sort", ""))
    search = OrganisationSearch(
        filters=parsed.filters, text=search_text(args.get("search")),
        status=SchemeStatus(status) if status in set(SchemeStatus) else None,
        sort=Sort(sort) if sort in set(Sort) else Sort.NAME,
        renewal_due_by=iso_day(args.get("renewal_due_by")),
        lapsed_since=iso_day(args.get("lapsed_since")))
    return search, parsed


def iso_day(value: str | None) -> date | None:
    """A date written 2027-01-31 (the work queues' links), or None if it is not one."""
    try:
        return date.fromisoformat(value) if value and len(value) == 10 else None
    except ValueError:
        return None


def page_number(value: str | None) -> int:
    value = value or "1"
    return int(value) if value.isascii() and value.isdigit() and 0 < int(value) < MAX_PAGE else 1
