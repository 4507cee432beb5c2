"""The privacy registry: every column of every table, classified (PRIV-01, Part C P12).

Each column is either personal data, with its category, purpose, retention rule and what a subject
access export and an erasure do with it, or not personal, with the reason.
tests/test_privacy_registry.py fails when a column of any table is missing here, so a new column
cannot ship without a decision.

Rows are tied to a person through *links*: columns holding the person's id or e-mail address. A
link makes the person either the row's *subject* (the row is about them) or its *actor* (they did
what the row records). Each personal column says whose data it is (`of`). The subject access
export and the erasure (both in services/subject_rights.py) are driven from here:
a row linked to a person shows them, and erases for them, only the columns that are theirs.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from portal.models.training import new_certificate_code

ERASED_NAME = "Erased person"
ERASED_DOMAIN = "erased.invalid"  # .invalid never resolves (RFC 2606): nothing can be sent there


class Category(enum.StrEnum):
    REFERENCE = "reference"  # which person a row is about, or who did what it records
    IDENTITY = "identity"  # name, job title
    CONTACT = "contact"  # work e-mail address
    CREDENTIAL = "credential"  # password hashes
    ACCOUNT = "account"  # how and when the account was set up and used
    ROLE = "role"  # organisations, roles and sites, and when roles started and ended
    TRAINING = "training"  # assignments, quiz attempts and answers, completions, certificates
    CORRESPONDENCE = "correspondence"  # e-mails sent to the person


class Role(enum.StrEnum):
    SUBJECT = "subject"  # the row is about the person
    ACTOR = "actor"  # the person did what the row records


class Match(enum.StrEnum):
    USER_ID = "user_id"  # the column holds the person's user_account.id
    EMAIL = "email"  # the column holds the person's e-mail address
    AUDIT_TARGET = "audit_target"  # audit_event.target_id: the person, their roles or invitations
    DRAFT_EMAIL = "draft_email"  # the address typed into an unfinished application (JSON)


class Erasure(enum.StrEnum):
    REPLACE = "replace"  # overwritten with a placeholder that identifies nobody
    CLEAR = "clear"  # emptied (NULL)
    DELETE_ROW = "delete_row"  # the whole row is deleted
    # The row is kept for the figures but moved to a new erased placeholder account, so nothing
    # left ties it to the erased one (a role or a quiz attempt would tell whose it was).
    DETACH = "detach"
    KEEP = "keep"  # kept: it identifies nobody once the account is anonymised, and figures need it


class Export(enum.StrEnum):
    VALUE = "value"  # the value is in the export
    WITHHELD = "withheld"  # secrets: the export says one is stored, never what it is


@dataclass(frozen=True)
class Link:
    role: Role
    match: Match = Match.USER_ID


@dataclass(frozen=True)
class Personal:
    category: Category
    purpose: str
    retention: str  # a key of the RETENTION setting
    erasure: Erasure
    export: Export = Export.VALUE
    of: Role = Role.SUBJECT
    # What REPLACE writes: a value, or a function of the row object.
    placeholder: object | Callable[[object], object] = None


@dataclass(frozen=True)
class NotPersonal:
    reason: str
    export: bool = True  # False for secrets and long texts that tell a person nothing about them


@dataclass(frozen=True)
class Table:
    columns: Mapping[str, Personal | NotPersonal]
    links: Mapping[str, Link] = field(default_factory=dict)


def erased_address(row: object) -> str:
    """A unique address per row that can never receive mail."""
    table = row.__tablename__.replace("_", "-")  # type: ignore[attr-defined]
    return f"erased-{table}-{row.id}@{ERASED_DOMAIN}"  # type: ignore[attr-defined]


def fresh_certificate_code(_row: object) -> str:
    """The printed code stops verifying: /verify no longer finds the certificate."""
    return new_certificate_code()


def _key(reason: str = "record key") -> NotPersonal:
    return NotPersonal(reason)


def _reference(role: Role, retention: str, purpose: str) -> Personal:
    return Personal(Category.REFERENCE, purpose, retention, Erasure.KEEP, of=role)


def _detached(retention: str, purpose: str) -> Personal:
    """The link from a kept record to the person it is about: moved away by erasure."""
    return Personal(Category.REFERENCE, purpose, retention, Erasure.DETACH, of=Role.SUBJECT)


def _record(reason: str, *names: str, export: bool = True) -> dict[str, NotPersonal]:
    return {name: NotPersonal(reason, export) for name in names}


def _kept(category: Category, retention: str, purpose: str, *names: str) -> dict[str, Personal]:
    return {name: Personal(category, purpose, retention, Erasure.KEEP) for name in names}


SUBJECT, ACTOR = Role.SUBJECT, Role.ACTOR
CATALOGUE = "the course catalogue, the same for everybody"
DIRECTORY = "the public support directory: services, not people"
ORGANISATION = "about the organisation, not a person"
TRAINING_PURPOSE = ("the person's training record; kept without their name afterwards so the "
                    "scheme's training figures stay right")
ROLE_PURPOSE = ("the person's roles in member organisations; kept without their name afterwards "
                "so counts by organisation stay right")
WORK_TEXT = ("free text written for the organisation about its policy work, not about its "
             "author; the form asks for nothing about people")

REGISTRY: dict[str, Table] = {
    "user_account": Table(
        links={"id": Link(SUBJECT)},
        columns={
            "id": _reference(SUBJECT, "former_member", "identifies the account in the portal"),
            "email": Personal(Category.CONTACT, "signing in and e-mail about the scheme",
                              "former_member", Erasure.REPLACE, placeholder=erased_address),
            "full_name": Personal(Category.IDENTITY, "addressing the person; their "
                                  "organisation's lists; certificates", "former_member",
                                  Erasure.REPLACE, placeholder=ERASED_NAME),
            "password_hash": Personal(Category.CREDENTIAL, "signing in", "former_member",
                                      Erasure.CLEAR, export=Export.WITHHELD),
            "is_coordinator": Personal(Category.ROLE, "what the account may do",
                                       "former_member", Erasure.REPLACE, placeholder=False),
            "is_active": Personal(Category.ACCOUNT, "whether the account may sign in",
                                  "former_member", Erasure.REPLACE, placeholder=False),
            "password_change_required": Personal(
                Category.ACCOUNT, "replacing a one-time password at the first sign-in",
                "former_member", Erasure.REPLACE, placeholder=False),
            "password_changed_at": Personal(Category.ACCOUNT, "ending older sessions and links",
                                            "former_member", Erasure.CLEAR),
            "email_verified_at": Personal(Category.ACCOUNT, "knowing the address is theirs",
                                          "former_member", Erasure.CLEAR),
            "pending_email": Personal(Category.CONTACT, "changing the e-mail address, once the "
                                      "new one is confirmed", "former_member", Erasure.CLEAR),
            "pending_email_at": Personal(Category.ACCOUNT, "a change of address expires",
                                         "former_member", Erasure.CLEAR),
            "exit_explained_at": Personal(Category.ACCOUNT, "explaining the Exit this page "
                                          "button once", "former_member", Erasure.CLEAR),
            "last_signed_in_at": Personal(Category.ACCOUNT, "account security",
                                          "former_member", Erasure.CLEAR),
            **_kept(Category.ACCOUNT, "former_member", "scheme figures over time",
                    "created_at"),
            "session_version": NotPersonal("a counter that ends sessions", export=False),
            "erased_at": NotPersonal("when the data was erased; the row then identifies nobody"),
            "totp_secret": Personal(Category.CREDENTIAL, "two-factor sign-in (coordinators)",
                                    "former_member", Erasure.CLEAR, export=Export.WITHHELD),
            "totp_confirmed_at": Personal(Category.ACCOUNT, "two-factor sign-in is set up",
                                          "former_member", Erasure.CLEAR),
            "totp_last_step": Personal(Category.ACCOUNT, "refusing a replayed sign-in code",
                                       "former_member", Erasure.CLEAR, export=Export.WITHHELD),
        }),
    "recovery_code": Table(
        links={"user_id": Link(SUBJECT)},
        columns={
            "id": _key(),
            "user_id": Personal(Category.REFERENCE, "whose recovery code this is",
                                "former_member", Erasure.DELETE_ROW, of=SUBJECT),
            "code_hash": Personal(Category.CREDENTIAL, "signing in without the app",
                                  "former_member", Erasure.DELETE_ROW, export=Export.WITHHELD),
            "created_at": Personal(Category.ACCOUNT, "when the codes were made",
                                   "former_member", Erasure.DELETE_ROW),
            "used_at": Personal(Category.ACCOUNT, "each code works once", "former_member",
                                Erasure.DELETE_ROW),
        }),
    "membership": Table(
        links={"user_id": Link(SUBJECT)},
        columns={
            "id": _key(),
            "user_id": _detached("former_member", "whose role this is"),
            **_kept(Category.ROLE, "former_member", ROLE_PURPOSE, "organisation_id", "role",
                    "site_id", "created_at", "withdrawn_at", "withdrawal_reason"),
            "job_title": Personal(Category.IDENTITY, "telling colleagues who the person is",
                                  "former_member", Erasure.CLEAR),
            "record_key": NotPersonal("a random number for rounding published counts (the "
                                      "cell-key method); it says nothing about the person",
                                      export=False),
        }),
    # Worked out from the membership, certificate and assignment rows above and below (each
    # registered) and written again whenever they change; keyed by the membership, so it moves
    # with the membership when erasure detaches it, and is deleted with it.
    "training_status": Table(columns=_record(
        "a copy derived from the role's membership, certificate and assignment rows for the "
        "scheme's figures, kept in step with them; it adds nothing they do not hold",
        "membership_id", "organisation_id", "site_id", "champion", "current", "joined_at",
        "record_key", "first_certified_at", "last_certified_at", "never_expires",
        "certified_until", "first_due_on", export=False)),
    "invitation": Table(
        links={"email": Link(SUBJECT, Match.EMAIL), "accepted_by_id": Link(SUBJECT),
               "invited_by_id": Link(ACTOR)},
        columns={
            "email": Personal(Category.CONTACT, "sending the invitation", "closed_invitation",
                              Erasure.REPLACE, placeholder=erased_address),
            "full_name": Personal(Category.IDENTITY, "the name the account starts with",
                                  "closed_invitation", Erasure.REPLACE, placeholder=ERASED_NAME),
            "job_title": Personal(Category.IDENTITY, "the job title the role starts with",
                                  "closed_invitation", Erasure.CLEAR),
            "accepted_by_id": _detached("closed_invitation", "who accepted"),
            "invited_by_id": _reference(ACTOR, "closed_invitation", "who sent the invitation"),
            **_record("the state of the invitation", "id", "organisation_id", "role", "site_id",
                      "created_at", "expires_at", "last_sent_at", "resend_day",
                      "resends_on_day", "accepted_at", "revoked_at"),
            "token_hash": NotPersonal("the hash of a random single-use token", export=False),
        }),
    "join_draft": Table(
        links={"answers": Link(SUBJECT, Match.DRAFT_EMAIL)},
        columns={
            "answers": Personal(Category.IDENTITY, "an application in progress, including the "
                                "applicant's name and e-mail address", "join_draft",
                                Erasure.DELETE_ROW),
            "password_hash": Personal(Category.CREDENTIAL, "the account an application makes",
                                      "join_draft", Erasure.DELETE_ROW, export=Export.WITHHELD),
            "id": NotPersonal("a random key held in the applicant's session", export=False),
            "created_at": NotPersonal("when the draft was started, to discard it"),
        }),
    "commitment_signature": Table(
        links={"signed_by_id": Link(ACTOR)},
        columns={
            "signatory_name": Personal(Category.IDENTITY, "who signed the commitment for the "
                                       "organisation", "former_member", Erasure.REPLACE,
                                       of=ACTOR, placeholder=ERASED_NAME),
            "signatory_job_title": Personal(Category.IDENTITY, "the signatory's authority to "
                                            "sign", "former_member", Erasure.REPLACE, of=ACTOR,
                                            placeholder=""),
            "signed_by_id": _reference(ACTOR, "former_member", "whose account signed"),
            **_record("which version of the commitment the organisation signed, and when",
                      "id", "organisation_id", "version", "signed_at"),
        }),
    "outbox_message": Table(
        links={"to_address": Link(SUBJECT, Match.EMAIL)},
        columns={
            "to_address": Personal(Category.CONTACT, "sending the message", "email_record",
                                   Erasure.DELETE_ROW),
            "subject": Personal(Category.CORRESPONDENCE, "sending the message", "email_record",
                                Erasure.DELETE_ROW),
            "body_text": Personal(Category.CORRESPONDENCE, "sending the message", "email_body",
                                  Erasure.DELETE_ROW),
            "dedupe_key": Personal(Category.REFERENCE, "sending a message only once; may hold "
                                   "a hash of the address", "email_record", Erasure.DELETE_ROW),
            "attachment_name": Personal(Category.CORRESPONDENCE, "sending the message (a "
                                        "neutral file name)", "email_record",
                                        Erasure.DELETE_ROW),
            "attachment_type": Personal(Category.CORRESPONDENCE, "sending the message",
                                        "email_record", Erasure.DELETE_ROW),
            "attachment_text": Personal(Category.CORRESPONDENCE, "sending the message (a "
                                        "calendar invitation)", "email_body",
                                        Erasure.DELETE_ROW),
            "last_error": Personal(Category.CORRESPONDENCE, "retrying; the mail server's "
                                   "answer may quote the address", "email_record",
                                   Erasure.DELETE_ROW),
            **_record("the state of sending", "id", "kind", "status", "attempts",
                      "next_attempt_at", "claimed_at", "sent_at", "created_at"),
            "claim_token": NotPersonal("a worker's random claim on the message", export=False),
        }),
    "organisation_note": Table(
        links={"author_id": Link(ACTOR)},
        columns={
            "author_id": _reference(ACTOR, "former_member", "accountability: who recorded the "
                                    "contact"),
            **_record(ORGANISATION, "id", "organisation_id", "kind", "created_at"),
            # Shown beside the box: a note holds contact with the organisation, never anything
            # about a person's situation. Its author sees it in their subject access export.
            "body": NotPersonal("a coordinator's note of contact with the organisation (calls, "
                                "meetings, agreed actions); the form forbids anything about a "
                                "person's situation"),
        }),
    "report_subscription": Table(
        links={"user_id": Link(SUBJECT)},
        columns={
            "id": _key(),
            "user_id": Personal(Category.REFERENCE, "sending the board report's monthly link",
                                "former_member", Erasure.DELETE_ROW, of=SUBJECT),
            "created_at": Personal(Category.ACCOUNT, "when the person asked for the link",
                                   "former_member", Erasure.DELETE_ROW),
        }),
    "audit_event": Table(
        links={"actor_id": Link(ACTOR), "target_id": Link(SUBJECT, Match.AUDIT_TARGET)},
        columns={
            "actor_id": _reference(ACTOR, "audit_event", "accountability: who did it"),
            "target_id": _reference(SUBJECT, "audit_event", "accountability: to whom"),
            **_record("what happened, when and to which organisation", "id", "occurred_at",
                      "action", "outcome", "organisation_id", "target_type", "request_id"),
            "details": NotPersonal("small structured values such as a reason from a list or a "
                                   "count; never free text about people"),
        }),
    "assignment": Table(
        links={"user_id": Link(SUBJECT), "assigned_by_id": Link(ACTOR),
               "cancelled_by_id": Link(ACTOR)},
        columns={
            "id": _key(),
            "user_id": _detached("former_member", "who is asked to do the training"),
            **_kept(Category.TRAINING, "former_member", TRAINING_PURPOSE, "organisation_id",
                    "course_id", "module_id", "source", "due_on", "created_at", "completed_at",
                    "cancelled_at"),
            "assigned_by_id": _reference(ACTOR, "former_member", "who assigned it"),
            "cancelled_by_id": _reference(ACTOR, "former_member", "who cancelled it"),
        }),
    "reminder": Table(
        links={"user_id": Link(SUBJECT)},
        columns={
            "id": _key(),
            "user_id": Personal(Category.REFERENCE, "sending each reminder only once",
                                "former_member", Erasure.DELETE_ROW, of=SUBJECT),
            "kind": Personal(Category.TRAINING, "sending each reminder only once",
                             "former_member", Erasure.DELETE_ROW),
            "reference": Personal(Category.TRAINING, "which assignment, certificate or date the "
                                  "reminder was about", "former_member", Erasure.DELETE_ROW),
            "sent_on": Personal(Category.TRAINING, "sending each reminder only once",
                                "former_member", Erasure.DELETE_ROW),
            **_record("when the row was written", "created_at"),
        }),
    "quiz_attempt": Table(
        links={"user_id": Link(SUBJECT)},
        columns={
            "id": _key(),
            "public_id": NotPersonal("a random id for the attempt's address", export=False),
            "user_id": _detached("former_member", "whose attempt this is"),
            **_kept(Category.TRAINING, "former_member", TRAINING_PURPOSE, "module_id",
                    "module_version_id", "status", "drawn", "selected", "correct_count",
                    "score", "passed", "started_at", "submitted_at"),
        }),
    "module_completion": Table(
        links={"user_id": Link(SUBJECT)},
        columns={
            "id": _key(),
            "user_id": _detached("former_member", "whose completion this is"),
            **_kept(Category.TRAINING, "former_member", TRAINING_PURPOSE, "module_id",
                    "module_version_id", "version", "attempt_id", "completed_at"),
        }),
    "certificate": Table(
        links={"user_id": Link(SUBJECT), "revoked_by_id": Link(ACTOR)},
        columns={
            "id": _key(),
            "user_id": _detached("former_member", "whose certificate this is"),
            "code": Personal(Category.REFERENCE, "checking the certificate at /verify",
                             "former_member", Erasure.REPLACE, placeholder=fresh_certificate_code),
            **_kept(Category.TRAINING, "former_member", TRAINING_PURPOSE, "course_id",
                    "completion_id", "issued_at", "expires_at", "revoked_at", "revoked_reason"),
            "revoked_by_id": _reference(ACTOR, "former_member", "which coordinator revoked it"),
            "show_full_name": Personal(Category.IDENTITY, "the holder's choice to show their "
                                       "full name on the public check", "former_member",
                                       Erasure.REPLACE, placeholder=False),
        }),
    "live_session": Table(
        links={"trainer_id": Link(ACTOR), "created_by_id": Link(ACTOR)},
        columns={
            "trainer_id": _reference(ACTOR, "former_member", "who runs the session"),
            "created_by_id": _reference(ACTOR, "former_member", "who scheduled the session"),
            **_record("a scheduled training session: when, where and how many places", "id",
                      "course_id", "mode", "venue", "borough", "access_info", "starts_at",
                      "ends_at", "capacity", "booked_count", "created_at", "cancelled_at",
                      "invitation_sequence"),
            "joining_link": NotPersonal("the online meeting's address, shown to booked people",
                                        export=False),
        }),
    "session_booking": Table(
        links={"user_id": Link(SUBJECT), "booked_by_id": Link(ACTOR),
               "attendance_marked_by_id": Link(ACTOR)},
        columns={
            "id": _key(),
            "user_id": _detached("former_member", "whose place or waiting-list entry this is"),
            **_kept(Category.TRAINING, "former_member", TRAINING_PURPOSE, "session_id",
                    "status", "created_at", "promoted_at", "cancelled_at", "attendance",
                    "attendance_marked_at"),
            "booked_by_id": _reference(ACTOR, "former_member", "who made the booking"),
            "attendance_marked_by_id": _reference(ACTOR, "former_member",
                                                  "who marked the attendance"),
        }),
    "policy_document": Table(
        links={"uploaded_by_id": Link(ACTOR)},
        columns={
            "uploaded_by_id": _reference(ACTOR, "former_member", "who uploaded the evidence"),
            **_record(ORGANISATION, "id", "organisation_id", "element_key", "filename",
                      "content_type", "size_bytes", "uploaded_at"),
            **_record("where and how the file is stored", "storage_key", "sha256",
                      export=False),
        }),
    "policy_element_record": Table(
        links={"verified_by_id": Link(ACTOR), "updated_by_id": Link(ACTOR)},
        columns={
            "verified_by_id": _reference(ACTOR, "former_member", "who verified the evidence"),
            "updated_by_id": _reference(ACTOR, "former_member", "who last changed the record"),
            **_record(ORGANISATION, "id", "organisation_id", "element_key", "status",
                      "in_place_on", "review_on", "document_id", "verification", "verified_at",
                      "updated_at", "version"),
            **_record(WORK_TEXT, "evidence_note", "verification_comment"),
        }),
    "policy_element_event": Table(
        links={"actor_id": Link(ACTOR)},
        columns={
            "actor_id": _reference(ACTOR, "former_member", "who made the change"),
            **_record(ORGANISATION, "id", "record_id", "action", "status", "verification",
                      "in_place_on", "review_on", "document_id", "created_at"),
            **_record(WORK_TEXT, "evidence_note", "comment"),
        }),
    "self_assessment": Table(
        links={"started_by_id": Link(ACTOR), "submitted_by_id": Link(ACTOR)},
        columns={
            "started_by_id": _reference(ACTOR, "former_member", "who started the assessment"),
            "submitted_by_id": _reference(ACTOR, "former_member", "who submitted it"),
            **_record(ORGANISATION, "id", "organisation_id", "question_set_version", "answers",
                      "scores", "started_at", "updated_at", "submitted_at"),
        }),
    "plan_action": Table(
        links={"updated_by_id": Link(ACTOR)},
        columns={
            "updated_by_id": _reference(ACTOR, "former_member", "who last changed the action"),
            # The owner is a role from a fixed list and the title comes from the question set
            # or is typed by an HR lead about the organisation's work, never about a person.
            **_record(ORGANISATION, "id", "organisation_id", "question_key", "element_key",
                      "owner_role", "due_on", "status", "completed_on", "created_at",
                      "updated_at"),
            **_record(WORK_TEXT, "title"),
        }),
    # The pulse keeps totals only: no column holds an answer, a person, or when anyone answered.
    "awareness_pulse": Table(
        links={"created_by_id": Link(ACTOR)},
        columns={
            "created_by_id": _reference(ACTOR, "former_member", "which HR lead opened the pulse"),
            **_record(ORGANISATION, "id", "organisation_id", "site_id", "opens_on", "closes_on",
                      "closed_early", "created_at"),
            **_record("how many people answered, a total with nothing about any of them",
                      "respondents"),
            **_record("the secret part of the pulse's public link", "token", export=False),
        }),
    "awareness_pulse_count": Table(columns=_record(
        "a running total of one answer to one question, with nothing about who gave it",
        "pulse_id", "question_key", "answer_key", "total")),
    "support_service": Table(
        links={"last_checked_by_id": Link(ACTOR)},
        columns={
            "last_checked_by_id": _reference(ACTOR, "former_member",
                                             "which coordinator last checked the entry"),
            **_record(DIRECTORY, "id", "key", "name", "last_checked_at", "retired_at",
                      "created_at", "updated_at"),
            # A service's public contact details (helplines), never a person's own.
            **_record(DIRECTORY, "summary", "phone", "phone_note", "text_or_chat", "website",
                      "email", "hours", "open_24_hours", "search_text", "loaded_hash",
                      export=False),
        }),
    "support_service_borough": Table(columns=_record(DIRECTORY, "service_id", "borough")),
    "support_service_category": Table(columns=_record(DIRECTORY, "service_id", "category")),
    "organisation": Table(columns={
        **_record(ORGANISATION, "id", "name", "name_key", "registered_number", "sector",
                  "listed_publicly", "status", "status_reason", "status_changed_at",
                  "submitted_at", "approved_at", "renewal_due_on", "tier", "tier_changed_at",
                  "created_at"),
        "champion_contact": NotPersonal("a work route to the champions, such as a shared "
                                        "mailbox; the form asks for no personal details"),
    }),
    "site": Table(columns=_record(ORGANISATION, "id", "organisation_id", "name", "borough",
                                  "headcount", "created_at")),
    "course": Table(columns=_record(CATALOGUE, "id", "key", "title", "audience", "required",
                                    "refresher_months", "requires_live_session",
                                    "renewal_window_months", "renewal_grace_months",
                                    "description_html", "retired_at", "updated_at")),
    "module": Table(columns=_record(CATALOGUE, "id", "key", "course_id", "position",
                                    "in_refresher", "current_version_id", "retired_at")),
    "module_version": Table(columns=_record(
        CATALOGUE, "id", "module_id", "version", "content_hash", "title", "summary", "minutes",
        "content_note", "body_html", "pass_mark", "questions_per_attempt", "shuffle_answers",
        "max_attempts", "sources", "questions", "created_at")),
}


def personal_columns() -> list[tuple[str, str, Personal]]:
    """Every registered personal column, as (table, column, classification)."""
    return [(table, column, rule) for table, entry in REGISTRY.items()
            for column, rule in entry.columns.items() if isinstance(rule, Personal)]


def linked_tables() -> dict[str, Table]:
    """The tables whose rows can be tied to a person."""
    return {name: entry for name, entry in REGISTRY.items() if entry.links}


def exported_columns(table: str, roles: set[Role]) -> list[str]:
    """The columns a person sees of a row they are linked to in these roles."""
    return [column for column, rule in REGISTRY[table].columns.items()
            if (isinstance(rule, NotPersonal) and rule.export)
            or (isinstance(rule, Personal) and rule.of in roles)]
