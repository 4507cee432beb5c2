"""Forms about certificates: a coordinator revoking one."""

from __future__ import annotations

from govuk_frontend_wtf.wtforms_widgets import GovRadioInput, GovSubmitInput
from wtforms import RadioField, SubmitField
from wtforms.validators import InputRequired

from portal.forms.base import PortalForm
from portal.forms.organisations import choices
from portal.models.training import REVOCATION_REASONS


class RevokeCertificateForm(PortalForm):
    reason = RadioField("Why are you revoking the certificate?", widget=GovRadioInput(),
                        choices=choices(REVOCATION_REASONS),
                        validators=[InputRequired("Select a reason")])
    submit = SubmitField("Revoke certificate", widget=GovSubmitInput())
