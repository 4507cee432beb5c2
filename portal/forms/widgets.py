"""GOV.UK form widgets that keep the HTML of a blank field (issue 10: the sign-in page).

A govuk-frontend-wtf widget renders a template of several GOV.UK macros each time, which was
half the cost of showing the sign-in form. A field shown blank — a GET, no value, no error — renders
the same for everybody, since its label, hint and attributes come from the code, so that HTML
is kept per process, keyed by the widget's params. A field holding anything the person typed, a
value from the database, or an error message is rendered afresh every time.

Use these only on fields whose label and hint never hold personal data.
"""

from __future__ import annotations

from flask import request
from govuk_frontend_wtf.wtforms_widgets import GovPasswordInput, GovSubmitInput, GovTextInput
from markupsafe import Markup

from portal.caching import BoundedCache

CACHE_SIZE = 256

_cache: BoundedCache[tuple[str, str], Markup] = BoundedCache(CACHE_SIZE)


class _BlankFieldCache:
    template: str

    def render(self, params: dict) -> Markup:
        if request.method != "GET" or "errorMessage" in params or not self.is_blank(params):
            return super().render(params)  # type: ignore[misc]
        key = (self.template, repr(params))
        return _cache.get_or_make(key, lambda: super(_BlankFieldCache, self).render(params))  # type: ignore[misc]

    def is_blank(self, params: dict) -> bool:
        return not params.get("value")


class CachedGovTextInput(_BlankFieldCache, GovTextInput):
    pass


class CachedGovPasswordInput(_BlankFieldCache, GovPasswordInput):
    pass


class CachedGovSubmitInput(_BlankFieldCache, GovSubmitInput):
    def is_blank(self, params: dict) -> bool:
        return True  # its value is WTForms' own ("y" on a GET), never the person's


def clear() -> None:
    _cache.clear()
