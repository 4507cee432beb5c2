"""Forms of the join flow that are not shared with member organisations' own pages."""

from __future__ import annotations

from govuk_frontend_wtf.wtforms_widgets import GovPasswordInput, GovSubmitInput, GovTextInput
from wtforms import EmailField, PasswordField, StringField, SubmitField
from wtforms.validators import Email, InputRequired, Length

from portal.forms.auth import EMAIL_MESSAGE
from portal.forms.base import PortalForm
from portal.forms.organisations import plain_text


class AccountForm(PortalForm):
    full_name = StringField("Your full name", widget=GovTextInput(), validators=[
        InputRequired("Enter your full name"),
        Length(max=200, message="Full name must be 200 characters or fewer"), plain_text])
    email = EmailField("Your work email address", widget=GovTextInput(),
                       description="We will send a link to this address to confirm it.",
                       validators=[InputRequired("Enter your work email address"),
                                   Length(max=320, message=EMAIL_MESSAGE),
                                   Email(EMAIL_MESSAGE, check_deliverability=False), plain_text])
    password = PasswordField("Create a password", widget=GovPasswordInput(), validators=[
        InputRequired("Enter a password"), Length(max=1024)])
    submit = SubmitField("Continue", widget=GovSubmitInput())
