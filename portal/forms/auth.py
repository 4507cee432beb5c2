"""Forms for signing in and managing a password."""

from __future__ import annotations

from wtforms import EmailField, PasswordField, StringField, SubmitField
from wtforms.validators import Email, InputRequired, Length

from portal.forms.base import PortalForm
from portal.forms.organisations import plain_text
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


class ChangeNameForm(PortalForm):
    full_name = StringField("Full name", widget=CachedGovTextInput(), validators=[
        InputRequired("Enter your full name"),
        Length(max=200, message="Full name must be 200 characters or fewer"), plain_text])
    submit = SubmitField("Save name", widget=CachedGovSubmitInput())


class ChangeEmailForm(PortalForm):
    email = EmailField("New email address", widget=CachedGovTextInput(), validators=[
        InputRequired("Enter your new email address"),
        Length(max=320, message=EMAIL_MESSAGE),
        Email(EMAIL_MESSAGE, check_deliverability=False), plain_text])
    password = PasswordField("Your password", widget=CachedGovPasswordInput(), validators=[
        InputRequired("Enter your password"), Length(max=1024)])
    submit = SubmitField("Send a confirmation link", widget=CachedGovSubmitInput())
