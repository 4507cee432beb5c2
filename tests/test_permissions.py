"""Every view declares who may use it; routes follow the URL rules (AUTHZ-01, PARAM-01)."""

from __future__ import annotations

import re

from flask import Flask
from werkzeug.routing import UUIDConverter

from portal.permissions import PUBLIC_ENDPOINTS
from portal.security import DatabaseIdConverter


def test_every_view_declares_an_access_rule(app: Flask) -> None:
    """AUTHZ-01: a new, unclassified route fails this test."""
    undeclared = sorted(
        endpoint for endpoint, view in app.view_functions.items()
        if endpoint not in PUBLIC_ENDPOINTS and not hasattr(view, "access_rule"))
    assert undeclared == [], f"Add an access decorator to: {undeclared}"


def test_every_id_in_a_url_is_typed(app: Flask) -> None:
    """PARAM-01: ids are int or uuid converters, so junk ids are a 404, never a 500; `int`
    is the bounded one, so an id too large for the database does not match either."""
    assert app.url_map.converters["int"] is DatabaseIdConverter
    for rule in app.url_map.iter_rules():
        for name, converter in rule._converters.items():
            if name.endswith("_id"):
                assert isinstance(converter, DatabaseIdConverter | UUIDConverter), rule


def test_paths_are_kebab_case(app: Flask) -> None:
    for rule in app.url_map.iter_rules():
        static_part = re.sub(r"<[^>]+>", "", rule.rule)
        assert static_part == static_part.lower() and "_" not in static_part, rule.rule


def test_sensitive_words_never_appear_in_paths(app: Flask) -> None:
    """PRIV-10: URLs show up in browser history; they stay neutral."""
    for rule in app.url_map.iter_rules():
        assert not re.search(r"abuse|violence|refuge|victim", rule.rule), rule.rule
