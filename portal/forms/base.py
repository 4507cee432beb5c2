"""The form base class: whitespace stripped, GOV.UK-style messages."""

from __future__ import annotations

from flask_wtf import FlaskForm


def strip_whitespace(value: object) -> object:
    """Surrounding whitespace goes; so does any NUL, which no one types and PostgreSQL cannot
    store or compare (a NUL in a search box was a 500: FUZZ-01)."""
    return value.replace("\x00", "").strip() if isinstance(value, str) else value


def search_text(value: object, limit: int = 200) -> str:
    """What someone typed into a search box, from a query string: runs of whitespace become one
    space and NULs go (PostgreSQL cannot compare one: a NUL in a search was a 500, FUZZ-01)."""
    return " ".join(str(value or "").replace("\x00", "").split())[:limit]


class PortalForm(FlaskForm):
    """Every form strips surrounding whitespace from text and reads only its declared fields."""

    class Meta:
        def bind_field(self, form, unbound_field, options):  # noqa: ANN001 - WTForms hook
            filters = [strip_whitespace, *unbound_field.kwargs.get("filters", [])]
            if unbound_field.field_class.__name__ in ("PasswordField",):
                filters = list(unbound_field.kwargs.get("filters", []))  # passwords keep spaces
            return unbound_field.bind(form=form, filters=filters, **options)
