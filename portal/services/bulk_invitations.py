"""Inviting many champions from a CSV file: all rows are checked, and any bad row rejects the file.

The file is UTF-8 CSV (a byte-order mark is fine) with the template's header row. Cells that
start like a spreadsheet formula (=, +, -, @, tab or carriage return) are rejected, not altered,
so that what we store is exactly what the HR lead typed.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from email_validator import EmailNotValidError, validate_email
from sqlalchemy.orm import Session

from portal.models import Invitation, Organisation, OrgRole, Site, User
from portal.services import invitations as invites
from portal.services.accounts import normalise_email
from portal.services.audit import record_event
from portal.services.errors import PortalError

HEADERS = ("Full name", "Work email", "Site", "Job title")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CONTROL = {chr(code) for code in range(32)} | {"\x7f"}


class ChampionFileError(PortalError):
    """The file as a whole cannot be used; the message says why."""


@dataclass
class ChampionRowsError(PortalError):
    """Some rows are wrong: (row number, reason) for each, numbered as a spreadsheet shows them."""

    problems: list[tuple[int, str]] = field(default_factory=list)


def template_csv() -> str:
    """The downloadable template: the header row only (with a BOM, so Excel reads UTF-8)."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(HEADERS)
    return "\ufeff" + buffer.getvalue()


def _decode(data: bytes) -> str:
    if not data.strip():
        raise ChampionFileError("The selected file is empty")
    if b"\x00" in data:
        raise ChampionFileError("The selected file must be a CSV file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ChampionFileError("The selected file must be saved as UTF-8. In Excel, choose "
                                "‘CSV UTF-8’ as the file type when you save it") from error


def _records(text: str) -> list[list[str]]:
    rows = []
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        for row in reader:
            rows.append(row)
    except csv.Error as error:
        raise ChampionFileError(f"Row {len(rows) + 1} of the file could not be read. Check that "
                                "every quotation mark is closed") from error
    return rows


def _check_header(rows: list[list[str]]) -> None:
    header = [cell.strip().casefold() for cell in rows[0]] if rows else []
    while header and header[-1] == "":
        header.pop()
    if header != [name.casefold() for name in HEADERS]:
        raise ChampionFileError("The first row must be the column headings from the template: "
                                + ", ".join(HEADERS))


@dataclass
class _Row:
    number: int
    cells: list[str]


def read_rows(data: bytes, *, max_rows: int) -> list[_Row]:
    """The file's data rows with their row numbers; blank rows are skipped."""
    rows = _records(_decode(data))
    _check_header(rows)
    data_rows = [_Row(number, cells) for number, cells in enumerate(rows[1:], start=2)
                 if any(cell.strip() for cell in cells)]
    if not data_rows:
        raise ChampionFileError("The file has no champions in it. Add a row for each champion "
                                "under the headings")
    if len(data_rows) > max_rows:
        raise ChampionFileError(f"The file has {len(data_rows)} champions. Upload "
                                f"{max_rows} or fewer at a time")
    return data_rows


def _text_problem(value: str, what: str, *, required: bool, max_length: int) -> str | None:
    stripped = value.strip()
    if not stripped:
        return f"enter the {what}" if required else None
    if value.lstrip(" ").startswith(FORMULA_START) or stripped.startswith(FORMULA_START):
        return (f"the {what} must not start with =, +, -, @ or a tab, which spreadsheets treat "
                "as a formula")
    if CONTROL & set(stripped):
        return f"the {what} must be on one line, without tabs"
    if len(stripped) > max_length:
        return f"the {what} must be {max_length} characters or fewer"
    return None


def _email_problem(value: str) -> str | None:
    email = value.strip()
    if not email:
        return "enter the champion’s work email address"
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        return "enter an email address in the correct format, like name@example.com"
    return "the email address must be 320 characters or fewer" if len(email) > 320 else None


@dataclass
class _Checker:
    sites: dict[str, Site]
    members: set[str]
    invited: set[str]
    seen: dict[str, int] = field(default_factory=dict)

    def problems(self, row: _Row) -> list[str]:
        cells = [*row.cells, "", "", "", ""]
        if any(cell.strip() for cell in row.cells[len(HEADERS):]):
            return [f"has more than {len(HEADERS)} columns"]
        name, email, site, job = cells[:4]
        found = [_text_problem(name, "full name", required=True, max_length=200),
                 _email_problem(email),
                 self._site_problem(site),
                 _text_problem(job, "job title", required=False, max_length=100)]
        found.append(None if found[1] else self._person_problem(email, row.number))
        return [problem for problem in found if problem]

    def _site_problem(self, site: str) -> str | None:
        if not site.strip():
            return "enter the site"
        if site.strip().casefold() not in self.sites:
            names = ", ".join(s.name for s in self.sites.values())
            return f"there is no site called ‘{site.strip()}’. Use one of: {names}"
        return None

    def _person_problem(self, email: str, number: int) -> str | None:
        address = normalise_email(email)
        if address in self.seen:
            return f"this email address is also on row {self.seen[address]}"
        self.seen[address] = number
        if address in self.members:
            return "this person already has a role in your organisation"
        if address in self.invited:
            return "you have already invited this person"
        return None


def invitees_from_file(session: Session, organisation: Organisation, data: bytes, *,
                       max_rows: int) -> list[invites.Invitee]:
    """Every row as an invitee, or ChampionFileError / ChampionRowsError; nothing is written."""
    rows = read_rows(data, max_rows=max_rows)
    checker = _Checker(sites={site.name.casefold(): site for site in organisation.sites},
                       members=invites.current_member_emails(session, organisation),
                       invited=invites.open_invitation_emails(session, organisation))
    problems = [(row.number, problem) for row in rows for problem in checker.problems(row)]
    if problems:
        raise ChampionRowsError(problems)
    return [invites.Invitee(full_name=row.cells[0].strip(), email=row.cells[1].strip(),
                            role=OrgRole.CHAMPION, site=checker.sites[row.cells[2].strip()
                                                                       .casefold()],
                            job_title=(row.cells[3].strip() if len(row.cells) > 3 else None)
                            or None)
            for row in rows]


def invite_many(session: Session, organisation: Organisation, people: list[invites.Invitee], *,
                invited_by: User, days: int) -> list[tuple[Invitation, str]]:
    """Create every invitation in the caller's one transaction; the caller e-mails them."""
    if not organisation.is_member:
        raise invites.MembershipNotActiveError
    created = [invites.add_invitation(session, organisation, person, invited_by=invited_by,
                                      days=days) for person in people]
    record_event(session, "invitations.uploaded", actor=invited_by, organisation=organisation,
                 details={"count": len(created)})
    return created
