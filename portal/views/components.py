"""GOV.UK Frontend components rendered once per process for the same params.

The govuk-frontend-jinja macros are pure functions of their params, and some of the heaviest run
on every page with the same few params: the skip links, "Exit this page", the service
navigation. Calling the macro costs far more than looking up what it rendered last time, so
`govuk_component("skip-link", params)` keeps the HTML, keyed by the component and its params.

Only for params with nothing personal in them (fixed text, the site's own URLs, the navigation
items): the cache is shared by every request the process serves. Anything with a person's name,
answers or other data in it still calls the macro directly.
"""

from __future__ import annotations

from flask import current_app
from markupsafe import Markup

from portal.caching import BoundedCache

CACHE_SIZE = 512  # distinct (component, params); the least recently used go first

_cache: BoundedCache[tuple[str, str], Markup] = BoundedCache(CACHE_SIZE)


def govuk_component(name: str, params: dict) -> Markup:
    """The HTML of component `name` (e.g. "skip-link", as in the macro's folder) for `params`."""
    key = (name, repr(params))  # not JSON: repr tells Markup from str, which render differently
    return _cache.get_or_make(key, lambda: macro(name)(params))  # Markup: macros autoescape


def macro(name: str):  # noqa: ANN201 - a Jinja macro
    """The component's macro, as `{% from ".../macro.html" import govukName %}` gives it."""
    template = current_app.jinja_env.get_template(
        f"govuk_frontend_jinja/components/{name}/macro.html")
    return getattr(template.module, "govuk" + "".join(p.capitalize() for p in name.split("-")))


def clear() -> None:
    _cache.clear()
