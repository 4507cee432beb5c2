"""Forms for signing in and managing a password."""

from __future__ import annotations

from wtforms import EmailField, PasswordField, SubmitField
from wtforms.validators import Email, InputRequired, Length

from portal.forms.base import PortalForm
from portal.forms.widgets import CachedGovPasswordInput, CachedGovSubmitInput, CachedGovTextInput

EMAIL_MESSAGE = "Enter an email address in the correct format, like name@example.com"


class SignInForm(PortalForm):
    email = EmailField("Email address", widget=CachedGovTextInput(), validators=[
        InputRequired("Enter your email address"), Length(max=320, message=EMAIL_MESSAGE)])
    password = PasswordField("Password", widget=CachedGovPasswordInput(), validators=[
        InputRequired("Enter your password"), Length(max=1024)])
    submit = SubmitField("Sign in", widget=CachedGovSubmitInput())


class ForgotPasswordForm(PortalForm):
    email = EmailField("Email address", widget=CachedGovTextInput(), validators=[
        InputRequired("Enter your email address"),
        Email(EMAIL_MESSAGE, check_deliverability=False), Length(max=320, message=EMAIL_MESSAGE)])
    submit = SubmitField("Send me a link", widget=CachedGovSubmitInput())


class NewPasswordForm(PortalForm):
    password = PasswordField("New password", widget=CachedGovPasswordInput(), validators=[
        InputRequired("Enter a new password"), Length(max=1024)])
    submit = SubmitField("Save password", widget=CachedGovSubmitInput())


class ChangePasswordForm(PortalForm):
    current_password = PasswordField(
        "Current password", widget=CachedGovPasswordInput(),
        validators=[InputRequired("Enter your current password"), Length(max=1024)])
    password = PasswordField("New password", widget=CachedGovPasswordInput(), validators=[
        InputRequired("Enter a new password"), Length(max=1024)])
    submit = SubmitField("Change password", widget=CachedGovSubmitInput())


class ConfirmPasswordForm(PortalForm):
    password = PasswordField("Password", widget=CachedGovPasswordInput(), validators=[
        InputRequired("Enter your password"), Length(max=1024)])
    submit = SubmitField("Confirm", widget=CachedGovSubmitInput())


class ContinueForm(PortalForm):
    submit = SubmitField("Continue", widget=CachedGovSubmitInput())
