"""The support directory: its vocabulary, the rules every service meets, search, and upkeep."""

from __future__ import annotations

import calendar
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import partial
from urllib.parse import urlsplit

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal import clock
from portal.models import (
    SupportService,
    SupportServiceBorough,
    SupportServiceCategory,
    User,
    utcnow,
)
from portal.services.audit import record_event
from portal.services.errors import PortalError

NATIONAL = "national"
BOROUGHS: dict[str, str] = {
    NATIONAL: "National",
    "halton": "Halton",
    "knowsley": "Knowsley",
    "liverpool": "Liverpool",
    "sefton": "Sefton",
    "st-helens": "St Helens",
    "wirral": "Wirral",
    "outside": "Outside the Liverpool City Region",
}
CATEGORIES: dict[str, str] = {
    "domestic-abuse": "Domestic abuse",
    "sexual-violence": "Sexual violence",
    "stalking": "Stalking",
    "forced-marriage-honour": "Forced marriage and ‘honour’-based abuse",
    "fgm": "Female genital mutilation (FGM)",
    "men": "Men",
    "lgbt": "LGBT+ people",
    "children-young-people": "Children and young people",
    "worried-about-own-behaviour": "People worried about their own behaviour",
    "mental-health": "Mental health",
    "emergency": "Emergencies",
    "reporting": "Reporting a crime",
}
CHECK_EVERY_MONTHS = 6
PER_PAGE = 20
MAX_SEARCH_WORDS = 10
SHORT_WORD_LENGTH = 3

# Phone numbers: digits and spaces; the short numbers people call for help, and ordinary UK
# geographic (01, 02), non-geographic (03), mobile (07) and freephone (0800, 0808) numbers.
SHORT_NUMBERS = frozenset({"999", "101", "111"})
LONG_NUMBER_PREFIXES = ("01", "02", "03", "07", "0800", "0808")
# Childline's 0800 1111 is shorter than other 0800 numbers: allowed by name, not by a looser rule.
NAMED_EXCEPTIONS = frozenset({"08001111"})
HOST = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+")
KEY = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


class InvalidServiceError(PortalError):
    """Some details of a service break the directory's rules; `errors` maps field to message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{field}: {message}" for field, message in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class ServiceDetails:
    """A service's details after validation: what the directory shows."""

    name: str
    summary: str
    phone: str | None
    phone_note: str | None
    text_or_chat: str | None
    website: str | None
    email: str | None
    hours: str | None
    open_24_hours: bool | None
    boroughs: tuple[str, ...]
    categories: tuple[str, ...]


# --- Validation: one set of rules for the data file and the coordinators' forms -------------

def validate_service(raw: Mapping[str, object]) -> ServiceDetails:
    """Check every field against the directory's rules; raise InvalidServiceError listing all."""
    values: dict[str, object] = {}
    errors: dict[str, str] = {}
    for name, check in FIELD_CHECKS.items():
        try:
            values[name] = check(raw.get(name))
        except ValueError as error:
            errors[name] = str(error)
    if not errors and not any(values[f] for f in ("phone", "website", "email", "text_or_chat")):
        errors["phone"] = ("Enter at least one way to contact the service: a phone number, "
                           "website, email address or text or web chat")
    if errors:
        raise InvalidServiceError(errors)
    return ServiceDetails(**values)  # type: ignore[arg-type]


def check_text(value: object, *, label: str, max_length: int, required: bool = False,
               missing: str = "") -> str | None:
    """Plain text only: `<` and `>` are refused, so nothing can smuggle HTML into a page."""
    text = _as_text(value, label)
    if not text:
        if required:
            raise ValueError(missing)
        return None
    if len(text) > max_length:
        raise ValueError(f"{label} must be {max_length} characters or fewer")
    if "<" in text or ">" in text:
        raise ValueError(f"{label} must not include the characters < or > (HTML is not allowed)")
    if CONTROL_CHARACTERS.search(text):
        raise ValueError(f"{label} must not include control characters")
    return text


def _as_text(value: object, label: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValueError(f"{label} must be text")
    return value.replace("\r\n", "\n").strip()


def check_phone(value: object) -> str | None:
    """Digits and spaces: 999, 101, 111, 116 numbers, or a 10 or 11 digit UK number."""
    text = _as_text(value, "Phone number")
    if not text:
        return None
    if not re.fullmatch(r"[0-9 ]+", text):
        raise ValueError("Enter the phone number using only digits and spaces, like 0808 2000 247")
    digits = text.replace(" ", "")
    if not is_uk_phone_number(digits):
        raise ValueError("Enter a UK phone number, like 0808 2000 247, or a short number such as "
                         "999, 101, 111 or 116 123")
    return " ".join(text.split())


def is_uk_phone_number(digits: str) -> bool:
    if digits in SHORT_NUMBERS or digits in NAMED_EXCEPTIONS:
        return True
    if digits.startswith("116"):
        return len(digits) == 6  # harmonised numbers for services of social value (116 123)
    return digits.startswith(LONG_NUMBER_PREFIXES) and len(digits) in (10, 11)


def check_website(value: object) -> str | None:
    """Only full https:// addresses: no javascript:, data: or plain http links."""
    text = _as_text(value, "Website")
    if not text:
        return None
    if len(text) > 500:
        raise ValueError("Website address must be 500 characters or fewer")
    if any(ch.isspace() or ch in '<>"\\' for ch in text) or CONTROL_CHARACTERS.search(text):
        raise ValueError("Enter the website address without spaces, like https://www.example.org")
    parts = urlsplit(text)
    if parts.scheme.lower() == "http":
        raise ValueError("Website address must start with https:// (not http://)")
    if parts.scheme.lower() != "https":
        raise ValueError("Enter a website address that starts with https://, like "
                         "https://www.example.org")
    if parts.username or parts.password or not HOST.fullmatch(parts.netloc.lower()):
        raise ValueError("Enter a full website address, like https://www.example.org")
    return "https" + text[len(parts.scheme):]


def check_email(value: object) -> str | None:
    text = _as_text(value, "Email address")
    if not text:
        return None
    try:
        return validate_email(text, check_deliverability=False).normalized
    except EmailNotValidError:
        raise ValueError("Enter an email address in the correct format, like "
                         "name@example.org") from None


def check_open_24_hours(value: object) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    raise ValueError("Select whether the service is open 24 hours")


def check_choices(value: object, *, vocabulary: Mapping[str, str], missing: str,
                  unknown: str) -> tuple[str, ...]:
    """Keys from a fixed list, at least one, returned in the list's order without repeats."""
    if value is None or value == "":
        value = []
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise ValueError(missing)
    chosen = list(value)
    if not chosen:
        raise ValueError(missing)
    strangers = [str(item) for item in chosen
                 if not isinstance(item, str) or item not in vocabulary]
    if strangers:
        raise ValueError(unknown.format(", ".join(strangers), ", ".join(vocabulary)))
    return tuple(key for key in vocabulary if key in chosen)


def check_boroughs(value: object) -> tuple[str, ...]:
    boroughs = check_choices(
        value, vocabulary=BOROUGHS, missing="Select the areas the service covers, or National",
        unknown="Select areas from the list (not {0}; the list is {1})")
    if NATIONAL in boroughs and len(boroughs) > 1:
        raise ValueError("Select National or the areas the service covers, not both")
    return boroughs


FIELD_CHECKS: dict[str, Callable[[object], object]] = {
    "name": partial(check_text, label="Name", max_length=200, required=True,
                    missing="Enter the name of the service"),
    "summary": partial(check_text, label="Summary", max_length=1000, required=True,
                       missing="Enter what the service offers and who it is for"),
    "phone": check_phone,
    "phone_note": partial(check_text, label="Phone note", max_length=300),
    "text_or_chat": partial(check_text, label="Text or web chat", max_length=500),
    "website": check_website,
    "email": check_email,
    "hours": partial(check_text, label="Opening hours", max_length=300),
    "open_24_hours": check_open_24_hours,
    "boroughs": check_boroughs,
    "categories": partial(
        check_choices, vocabulary=CATEGORIES,
        missing="Select at least one kind of help the service gives",
        unknown="Select kinds of help from the list (not {0}; the list is {1})"),
}


def check_key(value: object) -> str:
    """Keys name services in the data file: lower-case words joined by hyphens."""
    if not isinstance(value, str) or not value:
        raise ValueError("Enter a key for the service, like national-helpline")
    if len(value) > 80 or not KEY.fullmatch(value):
        raise ValueError("Key must be lower-case letters and digits joined by hyphens, "
                         "80 characters or fewer")
    return value


# --- Search ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Search:
    """What someone asked the directory for; nothing about it is ever stored or logged."""

    text: str = ""
    borough: str | None = None
    categories: tuple[str, ...] = ()
    open_24_hours: bool = False
    page: int = 1


@dataclass(frozen=True)
class ResultsPage:
    services: list[SupportService]
    total: int
    page: int
    pages: int


def search_words(text: str) -> list[str]:
    """Lower-case words without punctuation or possessives: "Men's" is "men", "LGBT+" "lgbt"."""
    text = re.sub(r"['’‘`]s\b", "", text.casefold())
    text = re.sub(r"['’‘`]", "", text)
    return [word for word in re.split(r"[\W_]+", text) if word]


def search_text_for(name: str, summary: str, categories: Iterable[str]) -> str:
    """What searches look in: the name, the summary and the names of the kinds of help."""
    labels = " ".join(CATEGORIES.get(key, "") for key in categories)
    return " " + " ".join(search_words(f"{name} {summary} {labels}")) + " "


def escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def find_services(session: Session, search: Search, per_page: int = PER_PAGE) -> ResultsPage:
    """Current services matching every search word, in any chosen area or kind of help.

    A constant number of queries whatever the page holds: a count, the page, and one query
    each for the areas and kinds of help of the whole page.
    """
    stmt = _matching(search)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    pages = max(1, math.ceil(total / per_page))
    page = min(max(search.page, 1), pages)
    ordered = stmt.order_by(*_ordering(search)).offset((page - 1) * per_page).limit(per_page)
    return ResultsPage(list(session.scalars(ordered)), total, page, pages)


def _matching(search: Search) -> sa.Select:
    stmt = select(SupportService).where(SupportService.retired_at.is_(None))
    words = search_words(search.text)[:MAX_SEARCH_WORDS]
    if search.text.strip() and not words:
        return stmt.where(sa.false())  # only punctuation: matches nothing, never everything
    for word in words:
        stmt = stmt.where(SupportService.search_text.like(_word_pattern(word), escape="\\"))
    if search.borough:
        stmt = stmt.where(SupportService.boroughs.any(
            SupportServiceBorough.borough.in_({search.borough, NATIONAL})))
    if search.categories:
        stmt = stmt.where(SupportService.categories.any(
            SupportServiceCategory.category.in_(search.categories)))
    if search.open_24_hours:
        stmt = stmt.where(SupportService.open_24_hours.is_(True))
    return stmt


def _word_pattern(word: str) -> str:
    """Short words match whole words ("men" is not "mental"); longer ones match word starts."""
    if len(word) <= SHORT_WORD_LENGTH:
        return f"% {escape_like(word)} %"
    return f"% {escape_like(word)}%"


def _ordering(search: Search) -> list:
    order: list = [func.lower(SupportService.name), SupportService.id]
    if search.borough and search.borough != NATIONAL:
        local = SupportService.boroughs.any(SupportServiceBorough.borough == search.borough)
        order.insert(0, sa.case((local, 0), else_=1))  # the borough's own services first
    return order


# --- Coordinators' upkeep ----------------------------------------------------------------

def uk_today() -> date:
    return clock.today()


def months_before(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def all_services(session: Session) -> list[SupportService]:
    """Every service, retired ones included, for coordinators."""
    return list(session.scalars(select(SupportService).order_by(
        SupportService.retired_at.is_not(None), func.lower(SupportService.name),
        SupportService.id)))


def services_due_for_check(session: Session, today: date) -> list[SupportService]:
    """Current services nobody has checked for six months or more, oldest check first."""
    return list(session.scalars(select(SupportService).where(due_for_check(today)).order_by(
        SupportService.last_checked_at, func.lower(SupportService.name))))


def due_for_check(today: date) -> sa.ColumnElement[bool]:
    """A current service nobody has checked for CHECK_EVERY_MONTHS months or more."""
    return sa.and_(SupportService.retired_at.is_(None),
                   SupportService.last_checked_at <= months_before(today, CHECK_EVERY_MONTHS))


def add_service(session: Session, raw: Mapping[str, object], *, added_by: User,
                today: date) -> SupportService:
    """Validate and add a service; the person adding it has just checked it."""
    details = validate_service(raw)
    service = SupportService(key=_free_key(session, details.name), last_checked_at=today,
                             last_checked_by_id=added_by.id)
    apply_details(service, details)
    session.add(service)
    session.flush()
    record_event(session, "support_service.added", actor=added_by, target=service,
                 details={"key": service.key})
    return service


def update_service(session: Session, service: SupportService, raw: Mapping[str, object], *,
                   updated_by: User) -> list[str]:
    """Validate and save new details; returns the names of the fields that changed."""
    details = validate_service(raw)
    changed = apply_details(service, details)
    if changed:
        record_event(session, "support_service.edited", actor=updated_by, target=service,
                     details={"key": service.key, "fields": changed})
    return changed


def retire_service(session: Session, service: SupportService, *, retired_by: User) -> None:
    """Take a service out of the public directory; coordinators can still see it."""
    if service.retired_at is None:
        service.retired_at = utcnow()
        record_event(session, "support_service.retired", actor=retired_by, target=service,
                     details={"key": service.key})


def mark_checked(session: Session, service: SupportService, *, checked_by: User,
                 today: date) -> None:
    """Record who confirmed the details are still right, and when."""
    service.last_checked_at = today
    service.last_checked_by_id = checked_by.id
    record_event(session, "support_service.checked", actor=checked_by, target=service,
                 details={"key": service.key})


def apply_details(service: SupportService, details: ServiceDetails) -> list[str]:
    """Copy validated details onto the service; returns the names of the fields that changed."""
    changed = []
    for name in ("name", "summary", "phone", "phone_note", "text_or_chat", "website", "email",
                 "hours", "open_24_hours"):
        if getattr(service, name) != getattr(details, name):
            setattr(service, name, getattr(details, name))
            changed.append(name)
    if _sync(service.boroughs, details.boroughs, "borough", SupportServiceBorough):
        changed.append("boroughs")
    if _sync(service.categories, details.categories, "category", SupportServiceCategory):
        changed.append("categories")
    service.search_text = search_text_for(details.name, details.summary, details.categories)
    return changed


def _sync(rows: list, keys: tuple[str, ...], attribute: str, row_type: type) -> bool:
    """Make a collection of rows hold exactly `keys`, keeping rows that stay."""
    current = {getattr(row, attribute) for row in rows}
    if current == set(keys):
        return False
    rows[:] = [row for row in rows if getattr(row, attribute) in keys]
    rows.extend(row_type(**{attribute: key}) for key in keys if key not in current)
    return True


def _free_key(session: Session, name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    base = "-".join(search_words(ascii_name))[:70].strip("-") or "service"
    taken = set(session.scalars(select(SupportService.key).where(
        SupportService.key.like(f"{escape_like(base)}%", escape="\\"))))
    key, number = base, 1
    while key in taken:
        number += 1
        key = f"{base}-{number}"
    return key
