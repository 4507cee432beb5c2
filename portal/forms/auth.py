"""Forms for signing in and managing a password."""

from __future__ import annotations

from govuk_frontend_wtf.wtforms_widgets import GovPasswordInput, GovSubmitInput, GovTextInput
from wtforms import EmailField, PasswordField, SubmitField
from wtforms.validators import Email, InputRequired, Length

from portal.forms.base import PortalForm

EMAIL_MESSAGE = "Enter an email address in the correct format, like name@example.com"


class SignInForm(PortalForm):
    email = EmailField("Email address", widget=GovTextInput(), validators=[
        InputRequired("Enter your email address"), Length(max=320, message=EMAIL_MESSAGE)])
    password = PasswordField("Password", widget=GovPasswordInput(), validators=[
        InputRequired("Enter your password"), Length(max=1024)])
    submit = SubmitField("Sign in", widget=GovSubmitInput())


class ForgotPasswordForm(PortalForm):
    email = EmailField("Email address", widget=GovTextInput(), validators=[
        InputRequired("Enter your email address"),
        Email(EMAIL_MESSAGE, check_deliverability=False), Length(max=320, message=EMAIL_MESSAGE)])
    submit = SubmitField("Send me a link", widget=GovSubmitInput())


class NewPasswordForm(PortalForm):
    password = PasswordField("New password", widget=GovPasswordInput(), validators=[
        InputRequired("Enter a new password"), Length(max=1024)])
    submit = SubmitField("Save password", widget=GovSubmitInput())


class ChangePasswordForm(PortalForm):
    current_password = PasswordField("Current password", widget=GovPasswordInput(), validators=[
        InputRequired("Enter your current password"), Length(max=1024)])
    password = PasswordField("New password", widget=GovPasswordInput(), validators=[
        InputRequired("Enter a new password"), Length(max=1024)])
    submit = SubmitField("Change password", widget=GovSubmitInput())


class ContinueForm(PortalForm):
    submit = SubmitField("Continue", widget=GovSubmitInput())
