"""Forms for two-factor sign-in: a code from the authenticator app, or a recovery code."""

from __future__ import annotations

from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput, GovTextInput
from wtforms import StringField, SubmitField
from wtforms.validators import InputRequired, Length

from portal.forms.base import PortalForm

CODE_MESSAGE = "Enter the 6-digit code shown in your authenticator app"
WRONG_CODE = ("The code is not correct, or it has been used already. Enter the code your "
              "authenticator app shows now")
WRONG_RECOVERY_CODE = "The recovery code is not correct, or it has been used already"


class AppCodeForm(PortalForm):
    code = StringField("Code from your authenticator app", widget=GovTextInput(),
                       description="This is the 6-digit number shown in the app. It changes "
                                   "every 30 seconds.",
                       validators=[InputRequired(CODE_MESSAGE),
                                   Length(max=20, message=CODE_MESSAGE)])
    submit = SubmitField("Continue", widget=GovSubmitInput())


class RecoveryCodeForm(PortalForm):
    code = StringField("Recovery code", widget=GovTextInput(),
                       description="One of the recovery codes you saved when you set up "
                                   "two-factor sign-in. Each code works once.",
                       validators=[InputRequired("Enter a recovery code"),
                                   Length(max=60, message=WRONG_RECOVERY_CODE)])
    submit = SubmitField("Continue", widget=GovSubmitInput())
