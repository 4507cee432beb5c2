"""The work route staff use to reach an organisation's champions, shown on its signposting card."""

from __future__ import annotations

from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput, GovTextInput
from wtforms import StringField, SubmitField, ValidationError

from portal.forms.base import PortalForm
from portal.forms.organisations import plain_text
from portal.services.signposting import ContactRouteError, clean_contact_route


def contact_route(form: PortalForm, field: StringField) -> None:
    try:
        clean_contact_route(field.data)
    except ContactRouteError as error:
        raise ValidationError(str(error)) from error


class ChampionContactForm(PortalForm):
    champion_contact = StringField(
        "How can staff reach your Workplace Champions at work?", widget=GovTextInput(),
        description=("A shared route, such as a team mailbox or an intranet page, for example "
                     "champions@example.org. Never a champion’s own phone number."),
        validators=[plain_text, contact_route])
    submit = SubmitField("Save", widget=GovSubmitInput())
