"""Forms for the support directory: the public search, and coordinators' upkeep."""

from __future__ import annotations

from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovCheckboxInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import (
    BooleanField,
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, ValidationError

from portal.forms.base import PortalForm
from portal.models import SupportService
from portal.services.support import BOROUGHS, CATEGORIES, NATIONAL

SEARCH_MAX_LENGTH = 100
YES_NO_UNKNOWN = {"yes": True, "no": False}


def choices(labels: dict[str, str]) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in labels.items()]


SEARCH_AREAS = {"": "All areas"} | {k: v for k, v in BOROUGHS.items() if k != NATIONAL}


class SupportSearchForm(PortalForm):
    """The public search: a plain GET form, so it works without JavaScript and needs no CSRF."""

    class Meta:
        csrf = False

    q = StringField("Search", widget=GovTextInput(), validators=[
        Length(max=SEARCH_MAX_LENGTH,
               message=f"Search words must be {SEARCH_MAX_LENGTH} characters or fewer")])
    borough = SelectField("Area", choices=choices(SEARCH_AREAS), default="", widget=GovSelect(),
                          validate_choice=False,
                          description="National services are always included.")
    category = SelectMultipleField("Kind of help", choices=choices(CATEGORIES),
                                   widget=GovCheckboxesInput(), validate_choice=False,
                                   description="Select all that apply.")
    open_24_hours = BooleanField("Only services open 24 hours", widget=GovCheckboxInput())

    def validate_borough(self, field: SelectField) -> None:
        if field.data and field.data not in SEARCH_AREAS:
            raise ValidationError("Select an area from the list")

    def validate_category(self, field: SelectMultipleField) -> None:
        if any(value not in CATEGORIES for value in field.data or []):
            raise ValidationError("Select kinds of help from the list")


class SupportServiceForm(PortalForm):
    """A service's details. The rules live in services/support.py, shared with the data file."""

    # Labels match the field names the shared validation messages use ("Summary must ...").
    name = StringField("Name", widget=GovTextInput())
    summary = TextAreaField("Summary", widget=GovTextArea(), description=(
        "What the service offers and who it is for. Plain text, up to 1,000 characters."))
    phone = StringField("Phone number (optional)", widget=GovTextInput(), description=(
        "Digits and spaces only, like 0808 2000 247. Short numbers such as 999, 101 and "
        "116 123 are allowed."))
    phone_note = StringField("Phone note (optional)", widget=GovTextInput(),
                             description="For example: Freephone. Office hours only.")
    text_or_chat = TextAreaField("Text or web chat (optional)", widget=GovTextArea(),
                                 description="How to text or chat with the service, if it can.")
    website = StringField("Website (optional)", widget=GovTextInput(),
                          description="The full address, starting with https://")
    email = StringField("Email address (optional)", widget=GovTextInput())
    hours = StringField("Opening hours (optional)", widget=GovTextInput(),
                        description="For example: Monday to Friday, 9am to 5pm")
    open_24_hours = RadioField("Is it open 24 hours?", widget=GovRadioInput(),
                               choices=choices({"yes": "Yes", "no": "No",
                                                 "unknown": "Not known"}),
                               default="unknown", validate_choice=False,
                               description="Select ‘Not known’ if the service does not say.")
    boroughs = SelectMultipleField(
        "Areas it covers", choices=choices(BOROUGHS), widget=GovCheckboxesInput(),
        validate_choice=False,
        description="Select National for a service anyone in the UK can use.")
    categories = SelectMultipleField("Kinds of help", choices=choices(CATEGORIES),
                                     widget=GovCheckboxesInput(), validate_choice=False,
                                     description="Select all that apply.")
    submit = SubmitField("Save service", widget=GovSubmitInput())

    def service_data(self) -> dict[str, object]:
        """What the person entered, in the shape services.support.validate_service checks."""
        data: dict[str, object] = {name: getattr(self, name).data for name in (
            "name", "summary", "phone", "phone_note", "text_or_chat", "website", "email",
            "hours", "boroughs", "categories")}
        data["open_24_hours"] = YES_NO_UNKNOWN.get(self.open_24_hours.data)
        return data

    def show_errors(self, errors: dict[str, str]) -> None:
        for name, message in errors.items():
            field = getattr(self, name)
            field.errors = [*field.errors, message]

    def fill_from(self, service: SupportService) -> None:
        for name in ("name", "summary", "phone", "phone_note", "text_or_chat", "website",
                     "email", "hours"):
            getattr(self, name).data = getattr(service, name)
        self.open_24_hours.data = {True: "yes", False: "no"}.get(service.open_24_hours,
                                                                 "unknown")
        self.boroughs.data = service.borough_keys
        self.categories.data = service.category_keys


class RetireServiceForm(PortalForm):
    submit = SubmitField("Retire service", widget=GovSubmitInput())


class MarkCheckedForm(PortalForm):
    return_to = HiddenField()
    submit = SubmitField("Mark as checked today", widget=GovSubmitInput())
