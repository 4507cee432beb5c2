"""Forms for an organisation's details, sites and the scheme commitment."""

from __future__ import annotations

import re

from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxInput,
    GovRadioInput,
    GovSubmitInput,
    GovTextInput,
)
from wtforms import BooleanField, RadioField, SelectChoice, StringField, SubmitField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from portal.forms.base import PortalForm
from portal.models import BOROUGH_LABELS, SECTOR_LABELS
from portal.services.organisations import REGISTERED_NUMBER_MESSAGE, is_valid_registered_number

CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")


def choices(labels: dict[str, str]) -> list[SelectChoice]:
    return [SelectChoice(str(value), label) for value, label in labels.items()]


YES_NO = choices({"yes": "Yes", "no": "No"})
MAX_HEADCOUNT = 1_000_000


def plain_text(form: PortalForm, field: StringField) -> None:
    """One line of text: no line breaks, tabs or other control characters (HDR-INJ-01)."""
    if field.data and CONTROL_CHARACTERS.search(field.data):
        raise ValidationError(f"{field.label.text} must be on one line, without tabs")


def registered_number(form: PortalForm, field: StringField) -> None:
    if not is_valid_registered_number(field.data):
        raise ValidationError(REGISTERED_NUMBER_MESSAGE)


def whole_number(form: PortalForm, field: StringField) -> None:
    text = (field.data or "").replace(",", "")
    if not text.isascii() or not text.isdigit():
        raise ValidationError("Number of staff must be a whole number, like 25")
    if not 1 <= int(text) <= MAX_HEADCOUNT:
        raise ValidationError(f"Number of staff must be between 1 and {MAX_HEADCOUNT:,}")


def headcount_of(field: StringField) -> int:
    return int(field.data.replace(",", ""))


class OrganisationDetailsForm(PortalForm):
    name = StringField("Organisation name", widget=GovTextInput(), validators=[
        InputRequired("Enter the organisation’s name"),
        Length(max=200, message="Organisation name must be 200 characters or fewer"), plain_text])
    registered_number = StringField(
        "Companies House or charity number (optional)", widget=GovTextInput(),
        description="For example, 01234567, SC123456 or 1123456",
        validators=[Optional(), Length(max=20, message=REGISTERED_NUMBER_MESSAGE),
                    registered_number])
    sector = RadioField("Which sector is the organisation in?", widget=GovRadioInput(),
                        choices=choices(SECTOR_LABELS),
                        validators=[InputRequired("Select the organisation’s sector")])
    listed_publicly = RadioField(
        "Do you want the organisation to appear in the public list of members?",
        widget=GovRadioInput(), choices=YES_NO,
        description="The list shows the organisation’s name, sector and boroughs, never people.",
        validators=[InputRequired("Select yes if the organisation should appear in the list")])
    submit = SubmitField("Continue", widget=GovSubmitInput())


class SiteForm(PortalForm):
    name = StringField("Site name", widget=GovTextInput(),
                            description="For example, Head office or Bootle depot",
                            validators=[InputRequired("Enter the site’s name"),
                                        Length(max=120, message="Site name must be 120 "
                                                                "characters or fewer"),
                                        plain_text])
    borough = RadioField("Where is the site?", widget=GovRadioInput(),
                         choices=choices(BOROUGH_LABELS),
                         validators=[InputRequired("Select where the site is")])
    headcount = StringField("How many staff work at this site?", widget=GovTextInput(),
                            validators=[InputRequired("Enter the number of staff at the site"),
                                        Length(max=12), whole_number])
    submit = SubmitField("Save site", widget=GovSubmitInput())


class CommitmentForm(PortalForm):
    signatory_name = StringField("Full name of the person signing", widget=GovTextInput(),
                                 validators=[InputRequired("Enter the full name of the person "
                                                           "signing"),
                                             Length(max=200, message="Full name must be 200 "
                                                                     "characters or fewer"),
                                             plain_text])
    signatory_job_title = StringField("Their job title", widget=GovTextInput(), validators=[
        InputRequired("Enter the job title of the person signing"),
        Length(max=100, message="Job title must be 100 characters or fewer"), plain_text])
    agree = BooleanField(
        "I confirm that the organisation agrees to the scheme commitment and that I may sign "
        "for it", widget=GovCheckboxInput(),
        validators=[DataRequired("Confirm that the organisation agrees to the commitment")])
    submit = SubmitField("Continue", widget=GovSubmitInput())


class ActionForm(PortalForm):
    """A button and nothing else; the template names the action."""

    submit = SubmitField("Continue", widget=GovSubmitInput())
