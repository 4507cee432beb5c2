"""Forms for the staff awareness pulse: an HR lead opening one, and the anonymous answer form."""

from __future__ import annotations

from govuk_frontend_wtf.wtforms_widgets import GovRadioInput, GovSubmitInput
from wtforms import RadioField, SubmitField
from wtforms.validators import InputRequired

from portal.forms.base import PortalForm
from portal.forms.organisations import choices
from portal.forms.policy import GovDateField
from portal.models import Organisation
from portal.services.pulse import QUESTIONS

WHOLE_ORGANISATION = "all"


class OpenPulseForm(PortalForm):
    group = RadioField("Who is it for?", widget=GovRadioInput(),
                       validators=[InputRequired("Select who the pulse is for")])
    closes_on = GovDateField("When should it close?", noun="the closing date",
                             description="Up to 90 days from today. For example, 27 3 2027")
    submit = SubmitField("Open the pulse", widget=GovSubmitInput())

    def __init__(self, organisation: Organisation, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        labels = {WHOLE_ORGANISATION: f"Everyone at {organisation.name}"}
        if len(organisation.sites) > 1:  # one site is the whole organisation
            labels |= {str(site.id): f"Staff at {site.name} only" for site in organisation.sites}
        self.group.choices = choices(labels)


class PulseAnswerForm(PortalForm):
    """No CSRF token: there is no session to bind one to, and none is wanted (see
    views/pulse.py). The fields are the fixed questions, built below."""

    class Meta:
        csrf = False

    submit = SubmitField("Send your answers", widget=GovSubmitInput())

    def answers(self) -> dict[str, str]:
        return {question.key: self[question.key].data for question in QUESTIONS}


for _question in QUESTIONS:
    setattr(PulseAnswerForm, _question.key, RadioField(
        _question.text, widget=GovRadioInput(), choices=choices(dict(_question.answers)),
        validators=[InputRequired(_question.error)]))
