"""The form base class: whitespace stripped, GOV.UK-style messages."""

from __future__ import annotations

from flask_wtf import FlaskForm


def strip_whitespace(value: object) -> object:
    return value.strip() if isinstance(value, str) else value


class PortalForm(FlaskForm):
    """Every form strips surrounding whitespace from text and reads only its declared fields."""

    class Meta:
        def bind_field(self, form, unbound_field, options):  # noqa: ANN001 - WTForms hook
            filters = [strip_whitespace, *unbound_field.kwargs.get("filters", [])]
            if unbound_field.field_class.__name__ in ("PasswordField",):
                filters = list(unbound_field.kwargs.get("filters", []))  # passwords keep spaces
            return unbound_field.bind(form=form, filters=filters, **options)
