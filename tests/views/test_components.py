"""Cached GOV.UK components render exactly what the macros render (portal/views/components.py)."""

from __future__ import annotations

import pytest
from flask import render_template_string

from portal.caching import BoundedCache
from portal.views import components

CASES = [
    ("skip-link", "govukSkipLink", {"href": "/exit", "text": "Exit this page",
                                    "classes": "govuk-js-exit-this-page-skiplink"}),
    ("skip-link", "govukSkipLink", {"href": "#main-content", "text": "Skip to main content"}),
    ("exit-this-page", "govukExitThisPage", {"redirectUrl": "/exit"}),
    ("back-link", "govukBackLink", {"href": "/training", "text": "Back to the course"}),
    ("service-navigation", "govukServiceNavigation", {"ariaLabel": "Menu", "navigation": [
        {"href": "/dashboard", "text": "Home", "active": False},
        {"href": "/training", "text": "Your training", "active": True}]}),
]


@pytest.mark.parametrize(("name", "macro", "params"), CASES)
def test_a_cached_component_is_the_macros_html(app, name, macro, params) -> None:
    components.clear()
    with app.test_request_context("/"):
        expected = render_template_string(
            f'{{% from "govuk_frontend_jinja/components/{name}/macro.html" import {macro} %}}'
            f"{{{{ {macro}(params) }}}}", params=params)
        first = components.govuk_component(name, params)
        again = components.govuk_component(name, dict(params))
    assert first == expected and first.strip()
    assert again is first  # the second time comes from the cache


def test_different_params_are_different_entries_and_the_cache_is_bounded(
        app, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(components, "_cache", BoundedCache(3))
    with app.test_request_context("/"):
        html = [components.govuk_component("back-link", {"href": f"/{n}", "text": "Back"})
                for n in range(10)]
    assert [f'href="/{n}"' in page for n, page in enumerate(html)] == [True] * 10
    assert len(components._cache) <= 3


def test_a_blank_sign_in_field_is_kept_and_is_the_widgets_html(app) -> None:
    from govuk_frontend_wtf.wtforms_widgets import GovPasswordInput, GovSubmitInput, GovTextInput

    from portal.forms import widgets
    from portal.forms.auth import SignInForm

    widgets.clear()
    with app.test_request_context("/sign-in"):
        form = SignInForm()
        params = {"params": {"autocomplete": "email", "classes": "govuk-!-width-two-thirds"}}
        pairs = [(form.email(**params), GovTextInput()(form.email, **params)),
                 (form.password(), GovPasswordInput()(form.password)),
                 (form.submit(), GovSubmitInput()(form.submit))]
        again = form.email(**params)
    for cached, plain in pairs:
        assert cached == plain and "<" in cached
    assert again is pairs[0][0]
    assert len(widgets._cache) == 3


def test_nothing_a_person_typed_is_kept(app, client) -> None:
    from portal.forms import widgets

    widgets.clear()
    page = client.get("/sign-in")
    token = page.get_data(as_text=True).split('name="csrf_token" type="hidden" value="')[1]
    response = client.post("/sign-in", data={"csrf_token": token.split('"')[0],
                                             "email": "typed.address@example.org",
                                             "password": "not the password"})
    assert response.status_code == 200
    assert "typed.address@example.org" in response.get_data(as_text=True)  # shown back
    kept = " ".join(f"{key[1]} {html}" for key, html in widgets._cache.items())
    assert "typed.address" not in kept and "Enter a correct email" not in kept


def test_markup_and_text_params_are_told_apart(app) -> None:
    from markupsafe import Markup

    components.clear()
    with app.test_request_context("/"):
        text = components.govuk_component("back-link", {"href": "/", "text": "<b>x</b>"})
        markup = components.govuk_component("back-link", {"href": "/", "text": Markup("<b>x</b>")})
    assert "&lt;b&gt;x&lt;/b&gt;" in text and "<b>x</b>" in markup
