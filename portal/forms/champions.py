"""Forms for inviting, accepting and withdrawing champions and HR leads, and the champion
list's filters."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from flask_wtf.file import FileField
from govuk_frontend_wtf.wtforms_widgets import (
    GovFileInput,
    GovPasswordInput,
    GovRadioInput,
    GovSubmitInput,
    GovTextInput,
)
from wtforms import EmailField, PasswordField, RadioField, StringField, SubmitField
from wtforms.validators import Email, InputRequired, Length, Optional

from portal.forms.auth import EMAIL_MESSAGE
from portal.forms.base import PortalForm, search_text
from portal.forms.organisations import choices, plain_text
from portal.models import WITHDRAWAL_REASON_LABELS
from portal.services.champion_list import SEARCH_MAX_LENGTH, SORTS, STATUSES, ChampionFilters


def _full_name(label: str, required: str) -> StringField:
    return StringField(label, widget=GovTextInput(), validators=[
        InputRequired(required),
        Length(max=200, message="Full name must be 200 characters or fewer"), plain_text])


def _work_email(label: str, required: str) -> EmailField:
    return EmailField(label, widget=GovTextInput(), validators=[
        InputRequired(required), Length(max=320, message=EMAIL_MESSAGE),
        Email(EMAIL_MESSAGE, check_deliverability=False), plain_text])


def _job_title() -> StringField:
    return StringField("Job title (optional)", widget=GovTextInput(), validators=[
        Optional(), Length(max=100, message="Job title must be 100 characters or fewer"),
        plain_text])


class InviteChampionForm(PortalForm):
    full_name = _full_name("Full name", "Enter the champion’s full name")
    email = _work_email("Work email address", "Enter the champion’s work email address")
    site = RadioField("Which site will they be a champion for?", widget=GovRadioInput(),
                      choices=[], validators=[InputRequired("Select the champion’s site")])
    job_title = _job_title()
    submit = SubmitField("Send invitation", widget=GovSubmitInput())


class InviteHrLeadForm(PortalForm):
    full_name = _full_name("Full name", "Enter the HR lead’s full name")
    email = _work_email("Work email address", "Enter the HR lead’s work email address")
    job_title = _job_title()
    submit = SubmitField("Send invitation", widget=GovSubmitInput())


class AcceptInvitationForm(PortalForm):
    full_name = _full_name("Your full name", "Enter your full name")
    password = PasswordField("Create a password", widget=GovPasswordInput(), validators=[
        InputRequired("Enter a password"), Length(max=1024)])
    submit = SubmitField("Create account", widget=GovSubmitInput())


class WithdrawChampionForm(PortalForm):
    reason = RadioField("Why are they no longer a champion?", widget=GovRadioInput(),
                        choices=choices(WITHDRAWAL_REASON_LABELS),
                        validators=[InputRequired("Select a reason")])
    submit = SubmitField("Withdraw champion", widget=GovSubmitInput())


class UploadChampionsForm(PortalForm):
    file = FileField("Upload a CSV file", widget=GovFileInput())
    submit = SubmitField("Upload and send invitations", widget=GovSubmitInput())


@dataclass(frozen=True)
class ChampionFilterInput:
    """The champion list's filters read from a request, any errors by field id, and what was
    typed (to show again). A part with an error is left out of the search."""

    filters: ChampionFilters
    errors: dict[str, str] = field(default_factory=dict)
    raw: dict[str, str] = field(default_factory=dict)


def parse_champion_filters(args: Mapping[str, str], site_ids: set[int]) -> ChampionFilterInput:
    """The search, site, status, overdue and sort arguments of the champions list (the champions
    page and the dashboard): every error at once, for a hand-edited or out-of-date link."""
    raw = {key: str(args.get(key, "")).strip()[:200] for key in ("q", "site", "status", "sort")}
    errors: dict[str, str] = {}
    search = search_text(raw["q"], 1000)
    if len(search) > SEARCH_MAX_LENGTH:
        errors["q"] = f"Search words must be {SEARCH_MAX_LENGTH} characters or fewer"
        search = ""
    site = raw["site"]
    site_id = int(site) if site.isascii() and site.isdigit() and len(site) < 12 else None
    if site and site_id not in site_ids | {0}:
        errors["site"] = "Select a site from the list"
        site_id = None
    if raw["status"] and raw["status"] not in STATUSES:
        errors["status"] = "Select a training status from the list"
    if raw["sort"] and raw["sort"] not in SORTS:
        errors["sort"] = "Select an order from the list"
    filters = ChampionFilters(
        search=search, site_id=site_id,
        status=raw["status"] if raw["status"] in STATUSES else None,
        overdue=args.get("overdue") == "yes",
        sort=raw["sort"] if raw["sort"] in SORTS else "name")
    return ChampionFilterInput(filters, errors, raw)
